#!/usr/bin/env bash
# Mints a development token for the API of the compose stack, signed with the key that
# init-secrets.sh made (deploy/compose/secrets/auth_dev_signing_key.pem), valid for one hour.
#
#   deploy/compose/dev-token.sh ROLE [SUBJECT]      ROLE: reader, operator or admin
#   curl -H "Authorization: Bearer $(deploy/compose/dev-token.sh operator)" http://127.0.0.1:8080/api/v1/runs
#
# Issuer and audience follow BACKUP_AUTH_ISSUER / BACKUP_AUTH_AUDIENCE as docker-compose.yml does.
# For development only: in production the platform's authentication service issues the tokens.
set -euo pipefail

usage() { echo "usage: dev-token.sh reader|operator|admin [SUBJECT]" >&2; exit 2; }
(($# >= 1 && $# <= 2)) || usage
[[ $1 == reader || $1 == operator || $1 == admin ]] || usage
role="backup.$1"
subject="${2:-dev-$1}"
[[ $subject =~ ^[A-Za-z0-9._@-]{1,64}$ ]] || { echo "dev-token.sh: SUBJECT may hold letters, digits and . _ @ - (at most 64)" >&2; exit 2; }

key="${BACKUP_DEV_SIGNING_KEY:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets/auth_dev_signing_key.pem}"
[[ -r $key ]] || { echo "dev-token.sh: no signing key at $key: run deploy/compose/init-secrets.sh first" >&2; exit 1; }

base64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }

now=$(date +%s)
header=$(printf '{"alg":"RS256","typ":"JWT"}' | base64url)
payload=$(printf '{"iss":"%s","aud":"%s","sub":"%s","roles":["%s"],"iat":%d,"nbf":%d,"exp":%d}' \
  "${BACKUP_AUTH_ISSUER:-backup-dev}" "${BACKUP_AUTH_AUDIENCE:-backup-api}" "$subject" "$role" "$now" "$now" "$((now + 3600))" | base64url)
signature=$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$key" -binary | base64url)
printf '%s.%s.%s\n' "$header" "$payload" "$signature"
