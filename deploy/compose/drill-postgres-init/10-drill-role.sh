#!/usr/bin/env bash
# Run by the drill-postgres image once, when its data is empty (/docker-entrypoint-initdb.d), as the postgres OS
# user against the image's temporary, socket-only server.
#
# Creates the role backup_drill: what the restorer's restore drills log in as. CREATEDB, nothing else: it creates
# each drill's scratch database, so owns it, and drops it again. This server has none of the platform's other roles,
# as a disaster-recovery server would not: drills restore without the source's owners and grants.
#
# The password comes from the compose secret drill_db_password; psql reads the file itself (\set name `cat file`)
# and quotes it itself (:'name'), so it is never on a command line, in the environment, or in this output.
set -Eeuo pipefail

secrets_dir="${BACKUP_INIT_SECRETS_DIR:-/run/secrets}"
if [[ ! -r "$secrets_dir/drill_db_password" ]]; then
    echo "drill init: cannot read $secrets_dir/drill_db_password (run deploy/compose/init-secrets.sh before the first start)" >&2
    exit 1
fi

echo "drill init: role backup_drill"
psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
    --set drill_password_file="$secrets_dir/drill_db_password" <<'SQL'
\set drill_password `cat :'drill_password_file'`
SELECT format('CREATE ROLE backup_drill LOGIN CREATEDB PASSWORD %L', :'drill_password')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'backup_drill') \gexec
SELECT format('ALTER ROLE backup_drill LOGIN CREATEDB NOSUPERUSER PASSWORD %L', :'drill_password') \gexec
\unset drill_password
SQL
echo "drill init: done"
