#!/usr/bin/env bash
# Run by the postgres image once, when its data volume is empty (/docker-entrypoint-initdb.d),
# as the postgres OS user against the image's temporary, socket-only server.
#
# Creates:
#   role + database backup_catalog   the catalog; the migrator creates its tables
#   database demo_app                 the demo source, seeded from deploy/demo/demo-source.sql
#   role demo_backup                  what the dumper logs in as: read-only on schemas public and billing
#   role backup_restorer              what the restorer logs in as: CREATEDB, nothing else; it owns (and so
#                                     may replace) only the databases it restores
#   the services' catalog roles       each service's login to the catalog, as deploy/postgres/catalog-roles.tsv
#                                     (mounted at /opt/backup/catalog-roles.tsv) names them: LOGIN and nothing
#                                     else; the migrator grants each exactly its tables (Migrator__ServiceRoles__<Service>)
#
# Passwords come from the compose secrets in /run/secrets. psql reads each file itself
# (\set name `cat file`) and quotes the value itself (:'name'), so no password is ever on a
# command line, in the environment, or in this script's output.
#
# Idempotent, so it can also be run by hand against an existing server:
#   docker compose exec postgres /docker-entrypoint-initdb.d/10-backup-databases.sh
set -Eeuo pipefail

secrets_dir="${BACKUP_INIT_SECRETS_DIR:-/run/secrets}"
demo_source_sql="${DEMO_SOURCE_SQL:-/opt/backup/demo/demo-source.sql}"
catalog_roles_file="${CATALOG_ROLES_FILE:-/opt/backup/catalog-roles.tsv}"

for required in "$secrets_dir/catalog_db_password" "$secrets_dir/demo_backup_password" \
    "$secrets_dir/restorer_db_password" "$demo_source_sql" "$catalog_roles_file"; do
    if [[ ! -r "$required" ]]; then
        echo "backup init: cannot read $required (run deploy/compose/init-secrets.sh before the first start)" >&2
        exit 1
    fi
done

run_psql() {
    psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" "$@"
}

echo "backup init: roles and databases"
run_psql --dbname postgres \
    --set catalog_password_file="$secrets_dir/catalog_db_password" \
    --set demo_backup_password_file="$secrets_dir/demo_backup_password" \
    --set restorer_password_file="$secrets_dir/restorer_db_password" <<'SQL'
\set catalog_password `cat :'catalog_password_file'`
\set demo_backup_password `cat :'demo_backup_password_file'`
\set restorer_password `cat :'restorer_password_file'`

SELECT format('CREATE ROLE backup_catalog LOGIN PASSWORD %L', :'catalog_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backup_catalog') \gexec
SELECT format('ALTER ROLE backup_catalog LOGIN PASSWORD %L', :'catalog_password') \gexec

SELECT format('CREATE ROLE demo_backup LOGIN PASSWORD %L', :'demo_backup_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'demo_backup') \gexec
SELECT format('ALTER ROLE demo_backup LOGIN PASSWORD %L', :'demo_backup_password') \gexec

-- CREATEDB only: the restorer creates the databases it restores into and so owns them; it can't read
-- or drop anyone else's (CONNECT on backup_catalog and demo_app is revoked from PUBLIC below).
SELECT format('CREATE ROLE backup_restorer LOGIN CREATEDB PASSWORD %L', :'restorer_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backup_restorer') \gexec
SELECT format('ALTER ROLE backup_restorer LOGIN CREATEDB NOSUPERUSER PASSWORD %L', :'restorer_password') \gexec

\unset catalog_password
\unset demo_backup_password
\unset restorer_password

SELECT 'CREATE DATABASE backup_catalog OWNER backup_catalog'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'backup_catalog') \gexec
SELECT 'CREATE DATABASE demo_app'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'demo_app') \gexec

-- Each role reaches only its own database.
REVOKE CONNECT, TEMPORARY ON DATABASE backup_catalog FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE backup_catalog TO backup_catalog;
REVOKE CONNECT, TEMPORARY ON DATABASE demo_app FROM PUBLIC;
GRANT CONNECT ON DATABASE demo_app TO demo_backup;
SQL

echo "backup init: the services' catalog roles (the migrator grants them their tables)"
# Each row: service, role, short name; the role's password is the secret catalog_<short name>_db_password.
while IFS=$'\t' read -r service role name; do
    [[ -z "$service" || "$service" == \#* ]] && continue
    password_secret="catalog_${name}_db_password"
    password_file="$secrets_dir/$password_secret"
    if [[ ! -r "$password_file" ]]; then
        echo "backup init: cannot read $password_file (run deploy/compose/init-secrets.sh before the first start)" >&2
        exit 1
    fi
    run_psql --dbname postgres --set role="$role" --set password_file="$password_file" <<'SQL'
\set password `cat :'password_file'`
SELECT format('CREATE ROLE %I LOGIN PASSWORD %L', :'role', :'password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD %L', :'role', :'password') \gexec
\unset password
SQL
done <"$catalog_roles_file"

echo "backup init: demo_app schema and seed ($demo_source_sql)"
run_psql --dbname demo_app --file "$demo_source_sql"

echo "backup init: demo_backup privileges"
run_psql --dbname demo_app <<'SQL'
GRANT USAGE ON SCHEMA public, billing TO demo_backup;
GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO demo_backup;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, billing TO demo_backup;
-- Tables the demo owner adds later are readable too, so a new table never breaks the backup.
ALTER DEFAULT PRIVILEGES IN SCHEMA public, billing GRANT SELECT ON TABLES TO demo_backup;
ALTER DEFAULT PRIVILEGES IN SCHEMA public, billing GRANT SELECT ON SEQUENCES TO demo_backup;
SQL

echo "backup init: done"
