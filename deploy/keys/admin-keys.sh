#!/usr/bin/env bash
# Makes the administrators' OpenPGP key pair once, for a stack that encrypts its backups
# (Encryption:Required): `backupctl keys generate` writes, into DIR,
#   admin_key.pub.asc         the public key: the dumper's Encryption:RecipientKeyFiles:0 (not a secret)
#   admin_key.sec.asc         the secret key (0600): the restorer's Restore:SecretKeyFile, backupctl --secret-key-file
#   admin_key_passphrase      its passphrase (0600, random): Restore:SecretKeyPassphrase, --secret-key-passphrase-file
# Run again, it keeps the pair it made (a new pair would leave the backups made so far unopenable);
# with only some of the files there it stops rather than guess. Nothing is printed but the fingerprint and file names.
#
#   deploy/keys/admin-keys.sh DIR
#
# backupctl comes from PATH, else it is run from this repository with the .NET SDK.
set -euo pipefail
umask 077

dir="${1:?usage: admin-keys.sh DIR}"
mkdir -p "$dir"
public="$dir/admin_key.pub.asc" secret="$dir/admin_key.sec.asc" passphrase="$dir/admin_key_passphrase"

present=0
for file in "$public" "$secret" "$passphrase"; do [[ -e "$file" ]] && present=$((present + 1)); done
if (( present == 3 )); then
    echo "admin-keys.sh: keeping the key pair in $dir"
    exit 0
elif (( present > 0 )); then
    echo "admin-keys.sh: $dir holds only part of a key pair ($public, $secret, $passphrase); restore the missing file from your copy, or move them all away to make a new pair" >&2
    exit 1
fi

if command -v backupctl >/dev/null 2>&1; then
    backupctl=(backupctl)
else
    repository="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
    backupctl=(dotnet run --project "$repository/tools/Backup.Ctl" -c Release --)
fi

# 40 characters from [A-Za-z0-9], one line.
candidate=""
while (( ${#candidate} < 40 )); do candidate+="$(head -c 60 /dev/urandom | base64 | LC_ALL=C tr -dc 'A-Za-z0-9')"; done
printf '%s\n' "${candidate:0:40}" >"$passphrase"

if ! "${backupctl[@]}" keys generate --public-key-file "$public" --secret-key-file "$secret" \
        --passphrase-file "$passphrase" --user-id "${BACKUP_ADMIN_KEY_USER_ID:-Backup administrators}"; then
    rm -f "$passphrase"
    exit 1
fi
