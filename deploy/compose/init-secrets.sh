#!/usr/bin/env bash
# Makes the secret files the compose stack mounts (docker-compose.yml, top-level `secrets:`),
# in deploy/compose/secrets/ (git-ignored). Random passwords are made once and then kept; the
# files built from them (connection string, RabbitMQ config) are rewritten from the kept
# passwords each run, so running this again changes nothing.
#
#   ./deploy/compose/init-secrets.sh && docker compose up --build
#
# Permissions: outside swarm, compose bind-mounts secret files as they are on the host and
# ignores uid/gid/mode. Run as root (sudo), each file is given to the user of the container(s)
# that read it (postgres and rabbitmq 999, the services built here 1654, minio and mc root),
# mode 0400 or 0440, readable by nobody else (see readable_by at the end). Run as another user,
# the files are 0644 and only the folder (0700) keeps other users of this host out. With Docker's
# user-namespace remapping, run it as your user (the container users' numbers are shifted).
# Nothing is printed but file names.
#
# Passwords are set in PostgreSQL and RabbitMQ when their data is first created. To change them,
# delete the folder and the data: `docker compose down --volumes`, rerun this, `docker compose up`.
set -euo pipefail
umask 077

deploy_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
secrets_dir="$deploy_dir/compose/secrets"

# The services, each named once here or in the one file it comes from:
# - those that use the bucket, each with a MinIO user of its own and only its policy
#   (deploy/compose/minio/policies/backup-<service>.json);
s3_users=(dumper notifier retention restorer api)
# - each service's login to the catalog: deploy/postgres/catalog-roles.tsv (service, role, short name), the list
#   deploy/local/stack.sh and postgres-init read too;
catalog_services=()
declare -A catalog_roles=()
while IFS=$'\t' read -r service role name; do
    [[ -z "$service" || "$service" == \#* ]] && continue
    catalog_services+=("$name")
    catalog_roles[$name]=$role
done <"$deploy_dir/postgres/catalog-roles.tsv"
# - each service's broker user: deploy/rabbitmq/permissions.tsv (read below).
permissions_file="$deploy_dir/rabbitmq/permissions.tsv"

mkdir -p "$secrets_dir"
chmod 0700 "$secrets_dir"
for existing in "$secrets_dir"/*; do
    if [[ -f "$existing" && ! -r "$existing" ]]; then
        echo "init-secrets.sh: $existing was given to a container's user by a run as root; run this as root again" >&2
        exit 1
    fi
done

# 32 characters from [A-Za-z0-9]: safe unquoted in a connection string and in rabbitmq.conf.
random_password() {
    local candidate=""
    while (( ${#candidate} < 32 )); do
        candidate+="$(head -c 48 /dev/urandom | base64 | LC_ALL=C tr -dc 'A-Za-z0-9')"
    done
    printf '%s' "${candidate:0:32}"
}

# write_file NAME: stdin to secrets/NAME, atomically, readable by the containers' users.
write_file() {
    local target="$secrets_dir/$1" temporary
    temporary="$(mktemp "$secrets_dir/.$1.XXXXXX")"
    cat >"$temporary"
    chmod 0644 "$temporary"
    mv -f "$temporary" "$target"
}

# kept_password NAME: makes secrets/NAME once; afterwards leaves it as it is.
kept_password() {
    local name="$1"
    if [[ -s "$secrets_dir/$name" ]]; then
        echo "kept     $name"
    else
        random_password | write_file "$name"
        echo "created  $name"
    fi
}

# derived FILE [FORMAT]: rewrites secrets/FILE from stdin if its content changed. Values read as
# configuration keys get no trailing newline (FORMAT '%s'); config files get one ('%s\n').
derived() {
    local name="$1" format="${2:-%s}" content
    content="$(cat)"
    if [[ -f "$secrets_dir/$name" ]] && [[ "$(cat "$secrets_dir/$name")" == "$content" ]]; then
        echo "kept     $name"
    else
        # shellcheck disable=SC2059 # the format is one of the two fixed ones above
        printf "$format" "$content" | write_file "$name"
        echo "written  $name"
    fi
}

kept_password postgres_password       # the postgres superuser (POSTGRES_PASSWORD_FILE)
kept_password catalog_db_password     # role backup_catalog, owner of database backup_catalog
kept_password demo_backup_password    # role demo_backup, read-only on demo_app (Sources__demo__Password)
kept_password restorer_db_password    # role backup_restorer, CREATEDB, restores into new databases (Restore__Password)
kept_password drill_postgres_password # the drill server's superuser (drill-postgres, POSTGRES_PASSWORD_FILE)
kept_password drill_db_password       # role backup_drill on drill-postgres, CREATEDB, the restore drills (Drills__Password)
kept_password rabbitmq_admin_password # broker user "backup-admin": the management UI and request-backup.sh only, never a service
kept_password minio_access_key        # minio's root user: used only by minio-bucket to make the bucket, policies and users
kept_password minio_secret_key        # its password
kept_password grafana_admin_password  # Grafana's user "admin" (http://localhost:3000; GF_SECURITY_ADMIN_PASSWORD__FILE)
kept_password rabbitmq_erlang_cookie  # the Erlang cookie of the nodes of deploy/compose/rabbitmq-cluster.yml

# One MinIO user per service that uses the bucket (s3_users), made by minio-bucket: the access key is the user's name,
# the secret key its password (Storage__S3__AccessKey / SecretKey).
for s3_user in "${s3_users[@]}"; do
    printf 'backup-%s' "$s3_user" | derived "s3_${s3_user}_access_key"
    kept_password "s3_${s3_user}_secret_key"
done

# ConnectionStrings__Catalog of the migrator, which logs in as the schema's owner.
derived catalog_connection_string <<CONNECTION
Host=postgres;Port=5432;Database=backup_catalog;Username=backup_catalog;Password=$(cat "$secrets_dir/catalog_db_password")
CONNECTION

# Every other service logs in to the catalog as its own role (catalog_roles; made by postgres-init), which the migrator
# grants exactly the tables its code uses (Migrator__ServiceRoles__<Service> in docker-compose.yml; the list is
# libraries/Backup.Database/Security/CatalogGrants.cs). The restorer's catalog role is not backup_restorer, its login for
# the databases it restores into.
for service in "${catalog_services[@]}"; do
    kept_password "catalog_${service}_db_password"
    derived "catalog_${service}_connection_string" <<CONNECTION
Host=postgres;Port=5432;Database=backup_catalog;Username=${catalog_roles[$service]};Password=$(cat "$secrets_dir/catalog_${service}_db_password")
CONNECTION
done

# One broker user per service, "backup-<service>", with the permissions of permissions_file (the one list
# the local stack and the tests use too) and its own password (RabbitMq__Password of that service only), loaded by
# RabbitMQ from definitions.json at every start; the administrator "backup-admin" is for people. RabbitMQ's stored
# form of a password: base64(salt + SHA-256(salt + password)), the 4-byte salt taken from the password's own hash so
# that running this again writes the same file.
rabbitmq_password_hash() {
    local password="$1" salted
    salted="$(mktemp)"
    printf 'rabbitmq-salt:%s' "$password" | openssl dgst -sha256 -binary | head -c 4 >"$salted"
    { cat "$salted"; printf '%s' "$password"; } | openssl dgst -sha256 -binary >>"$salted"
    base64 -w0 <"$salted"
    rm -f "$salted"
}
json_string() { # a JSON string literal of $1 (regexes hold backslashes)
    local value="${1//\\/\\\\}"
    printf '"%s"' "${value//\"/\\\"}"
}
broker_users=()
while IFS=$'\t' read -r user configure write read; do
    [[ -z "$user" || "$user" == \#* ]] && continue
    broker_users+=("$user")
    kept_password "rabbitmq_${user#backup-}_password"
done <"$permissions_file"
{
    printf '{\n  "vhosts": [{"name": "/"}],\n  "users": [\n'
    printf '    {"name": "backup-admin", "password_hash": "%s", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": ["administrator"]}' \
        "$(rabbitmq_password_hash "$(cat "$secrets_dir/rabbitmq_admin_password")")"
    for user in "${broker_users[@]}"; do
        printf ',\n    {"name": "%s", "password_hash": "%s", "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []}' \
            "$user" "$(rabbitmq_password_hash "$(cat "$secrets_dir/rabbitmq_${user#backup-}_password")")"
    done
    printf '\n  ],\n  "permissions": [\n    {"user": "backup-admin", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}'
    while IFS=$'\t' read -r user configure write read; do
        [[ -z "$user" || "$user" == \#* ]] && continue
        printf ',\n    {"user": "%s", "vhost": "/", "configure": %s, "write": %s, "read": %s}' \
            "$user" "$(json_string "$configure")" "$(json_string "$write")" "$(json_string "$read")"
    done <"$permissions_file"
    printf '\n  ]\n}'
} | derived rabbitmq-definitions.json '%s\n'

# Mounted as /etc/rabbitmq/conf.d/20-backup-credentials.conf: the administrator on a new node, then the definitions.
derived rabbitmq.conf '%s\n' <<RABBITMQ
# Made by deploy/compose/init-secrets.sh.
default_user = backup-admin
default_pass = $(cat "$secrets_dir/rabbitmq_admin_password")
default_vhost = /
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
load_definitions = /etc/rabbitmq/definitions.json
RABBITMQ

# A development signing key for API tokens (deploy/compose/dev-token.sh mints them). The private half
# stays on this host, readable by its owner only; the API gets the public half (compose config
# auth_public_key). With BACKUP_AUTH_AUTHORITY set, the API uses the platform's keys instead.
if [[ -s "$secrets_dir/auth_dev_signing_key.pem" ]]; then
    echo "kept     auth_dev_signing_key.pem"
else
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$secrets_dir/auth_dev_signing_key.pem" 2>/dev/null
    chmod 0600 "$secrets_dir/auth_dev_signing_key.pem"
    echo "created  auth_dev_signing_key.pem"
fi
openssl pkey -in "$secrets_dir/auth_dev_signing_key.pem" -pubout | derived auth_public_key.pem '%s\n'

# The dashboard's client secret at the platform's authority: empty (a public client: PKCE alone) until you put in it
# the secret the authority registered the client with; never replaced once it holds one.
if [[ -s "$secrets_dir/dashboard_client_secret" ]]; then
    echo "kept     dashboard_client_secret"
else
    : | write_file dashboard_client_secret
    echo "created  dashboard_client_secret (empty: a public client; put the authority's client secret in it if it gave one)"
fi

# Who may read each secret file: the user of each container that mounts it, and nobody else. Outside swarm, compose
# bind-mounts secret files as they are (it ignores uid/gid/mode), so the owner and mode set here are what the container
# sees. Only root can give a file to another user: run as root, each file is made 0400 for the one container user that
# reads it, or 0440 with that user's group when two do (postgres's init scripts and a service, minio-bucket and a
# service). Run as anyone else, the files stay 0644 inside this 0700 folder (readable in the containers; on this host by
# you alone). The container users: postgres and rabbitmq 999, the images built here "app" 1654, minio and mc root,
# grafana 472.
readonly postgres_uid=999 rabbitmq_uid=999 app_uid=1654 root_uid=0 grafana_uid=472
readable_by() { # NAME UID [SECOND_READERS_GID]
    local file="$secrets_dir/$1"
    (( EUID == 0 )) || return 0
    if [[ $# -eq 3 ]]; then
        chown "$2:$3" "$file" && chmod 0440 "$file"
    else
        chown "$2:$2" "$file" && chmod 0400 "$file"
    fi
}
readable_by postgres_password "$postgres_uid"
readable_by catalog_db_password "$postgres_uid"
readable_by catalog_connection_string "$app_uid"
for service in "${catalog_services[@]}"; do
    readable_by "catalog_${service}_db_password" "$postgres_uid"
    readable_by "catalog_${service}_connection_string" "$app_uid"
done
readable_by demo_backup_password "$postgres_uid" "$app_uid"
readable_by restorer_db_password "$postgres_uid" "$app_uid"
readable_by drill_postgres_password "$postgres_uid"
readable_by drill_db_password "$postgres_uid" "$app_uid"
readable_by rabbitmq.conf "$rabbitmq_uid"
readable_by rabbitmq-definitions.json "$rabbitmq_uid"
for user in "${broker_users[@]}"; do
    readable_by "rabbitmq_${user#backup-}_password" "$app_uid"
done
readable_by dashboard_client_secret "$app_uid"
# The development key: the API reads it only under deploy/compose/dev-signin.yml; dev-token.sh runs as root.
readable_by auth_dev_signing_key.pem "$app_uid"
readable_by grafana_admin_password "$grafana_uid"
readable_by rabbitmq_erlang_cookie "$root_uid" # rabbitmq-cluster-node.sh copies it, as root, for the rabbitmq user
readable_by minio_access_key "$root_uid"
readable_by minio_secret_key "$root_uid"
for s3_user in "${s3_users[@]}"; do
    readable_by "s3_${s3_user}_access_key" "$app_uid" "$root_uid"
    readable_by "s3_${s3_user}_secret_key" "$app_uid" "$root_uid"
done
if (( EUID != 0 )); then
    echo "note     not run as root: the files are 0644 in a 0700 folder; run as root to give each to its container's user only"
fi

echo "secrets in $secrets_dir"
