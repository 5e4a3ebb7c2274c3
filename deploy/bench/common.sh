# Functions the benchmark scripts share (sourced by benchmark.sh and load.sh, after deploy/local/common.sh and after
# they define log, die and WORK).

write_secret() { # write_secret PATH VALUE  (no trailing newline, mode 0600)
  (umask 077 && printf '%s' "$2" >"$1")
  chmod 0600 "$1"
}

# A string field of a manifest (or any JSON file written one field per line): json_string FILE NAME
json_string() { sed -n "s/^  \"$2\": \"\\(.*\\)\",\{0,1\}\$/\\1/p" "$1" | head -n 1; }

# dotnet build of Backup.sln in Release, its log in WORK/logs/build.log; nothing with BENCH_NO_BUILD=1.
build_backup_sln() {
  if [[ ${BENCH_NO_BUILD:-0} == 1 ]]; then
    log "BENCH_NO_BUILD=1: using the binaries already built in Release"
    return 0
  fi
  log "building Backup.sln (Release)"
  (cd "$REPO" && dotnet build Backup.sln -c Release -nologo -v q -clp:ErrorsOnly </dev/null >"$WORK/logs/build.log" 2>&1) || {
    tail -n 40 "$WORK/logs/build.log" >&2
    die "build failed"
  }
}

# The benchmarks run the services as they are deployed (deploy/local/stack.sh, the compose stack): each logs in to the
# broker as its own user of deploy/rabbitmq/permissions.tsv and to the catalog as its own role of
# deploy/postgres/catalog-roles.tsv, and the migrator logs in as the catalog database's owner (backup_catalog) and grants
# each role exactly its tables. Their passwords are files in WORK/identities (0700), made by catalog_database_sql.
declare -A CATALOG_ROLES=() CATALOG_ROLE_SERVICES=()
read_catalog_roles "$REPO/deploy/postgres/catalog-roles.tsv"

# catalog_database_sql DATABASE -> SQL for the server's superuser (on psql's stdin: it holds passwords) that makes the
# owner backup_catalog, the DATABASE it owns and each service's login role, their passwords new files in WORK/identities.
catalog_database_sql() {
  local dir="$WORK/identities" name
  mkdir -p "$dir"
  chmod 0700 "$dir"
  write_secret "$dir/catalog-owner" "$(random_alnum 32)"
  catalog_login_role_sql backup_catalog "$(<"$dir/catalog-owner")"
  printf 'CREATE DATABASE %s OWNER backup_catalog;\n' "$1"
  for name in "${!CATALOG_ROLES[@]}"; do
    write_secret "$dir/catalog-$name" "$(random_alnum 32)"
    catalog_login_role_sql "${CATALOG_ROLES[$name]}" "$(<"$dir/catalog-$name")"
  done
}

# create_service_broker_users: every broker user of permissions.tsv, as the infrastructure's administrator (WORK/rabbitmq.curl).
create_service_broker_users() {
  create_broker_users "$WORK/rabbitmq.curl" "$REPO/deploy/rabbitmq/permissions.tsv" "$WORK/identities/rabbitmq"
}

# service_identity NAME SECRETS_DIR DATABASE: NAME's (dumper, restorer, catalog, migrator, ...) broker password and
# catalog connection string as secret files; its environment needs RabbitMq__Username=backup-NAME, and the migrator's
# also MIGRATOR_ROLE_SETTINGS (each service's Migrator__ServiceRoles__<Service>=<role>).
service_identity() {
  local name=$1 secrets=$2 database=$3 role password
  if [[ $name == migrator ]]; then
    role=backup_catalog password=$(<"$WORK/identities/catalog-owner")
  else
    role=${CATALOG_ROLES[$name]:?"no catalog role for $name in deploy/postgres/catalog-roles.tsv"}
    password=$(<"$WORK/identities/catalog-$name")
  fi
  write_secret "$secrets/RabbitMq__Password" "$(<"$WORK/identities/rabbitmq/backup-$name")"
  write_secret "$secrets/ConnectionStrings__Catalog" \
    "Host=127.0.0.1;Port=$BACKUP_PG_PORT;Database=$database;Username=$role;Password=$password"
}

mapfile -t MIGRATOR_ROLE_SETTINGS < <(migrator_role_settings)
