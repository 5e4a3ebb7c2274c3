#!/usr/bin/env bash
# Makes the secret files the compose stack mounts (docker-compose.yml, top-level `secrets:`),
# in deploy/compose/secrets/ (git-ignored). Random passwords are made once and then kept; the
# files built from them (connection string, RabbitMQ config) are rewritten from the kept
# passwords each run, so running this again changes nothing.
#
#   ./deploy/compose/init-secrets.sh && docker compose up --build
#
# Permissions: outside swarm, compose bind-mounts secret files as they are on the host and
# ignores uid/gid/mode. The containers read them as their own users (postgres 999, rabbitmq 999,
# app 1654), so the files are 0644, and the folder is 0700 so no other user of this host can
# reach them. Nothing is printed but file names.
#
# Passwords are set in PostgreSQL and RabbitMQ when their data is first created. To change them,
# delete the folder and the data: `docker compose down --volumes`, rerun this, `docker compose up`.
set -euo pipefail
umask 077

secrets_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/secrets"
mkdir -p "$secrets_dir"
chmod 0700 "$secrets_dir"

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
kept_password rabbitmq_password       # broker user "backup" (RabbitMq__Password)
kept_password minio_access_key        # minio's root user, the services' S3 access key (Storage__S3__AccessKey)
kept_password minio_secret_key        # its password, the services' S3 secret key (Storage__S3__SecretKey)

# ConnectionStrings__Catalog for the catalog, retention and the migrator.
derived catalog_connection_string <<CONNECTION
Host=postgres;Port=5432;Database=backup_catalog;Username=backup_catalog;Password=$(cat "$secrets_dir/catalog_db_password")
CONNECTION

# Mounted as /etc/rabbitmq/conf.d/20-backup-credentials.conf; the user name matches RabbitMq__Username.
derived rabbitmq.conf '%s\n' <<RABBITMQ
# Made by deploy/compose/init-secrets.sh. Applied when the broker's data is first created.
default_user = backup
default_pass = $(cat "$secrets_dir/rabbitmq_password")
default_vhost = /
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
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

echo "secrets in $secrets_dir"
