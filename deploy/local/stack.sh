#!/usr/bin/env bash
# Runs the whole Backup system locally, without Docker: a throwaway RabbitMQ + PostgreSQL
# (infra.sh), the catalog and demo databases, the migrator, then the six services and the HTTP API.
#
#   stack.sh up                 start everything (rebuilds and restarts the services)
#   stack.sh status             services and their health, the 10 newest runs (full SHA-256)
#   stack.sh env                shell lines for the stack's PostgreSQL, backupctl and API: eval "$(stack.sh env)"
#   stack.sh backup SOURCE      request a backup of SOURCE now and wait for its outcome
#   stack.sh restore KEY [TARGET] [--overwrite]   restore an artifact into a new database, wait for the outcome
#   stack.sh logs [SERVICE]     tail the logs (all, or scheduler|dumper|catalog|notifier|retention|restorer|api|migrator)
#   stack.sh api-url            the HTTP API's base URL (its port is chosen at `up`)
#   stack.sh token ROLE         a development token for the API: reader, operator or admin (one hour)
#   stack.sh down [--purge]     stop everything; --purge also deletes artifacts, mail and logs
#
# State lives in REPO/.local/stack. Secrets are files in .local/stack/secrets (one per
# configuration key, read by the services' key-per-file provider), never environment
# variables or command-line arguments. Each service logs in to RabbitMQ as its own user of
# deploy/rabbitmq/permissions.tsv (its password in its own secrets folder, secrets/services/NAME);
# the broker's administrator (infra.sh's user) is for the management UI and this script only.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=deploy/local/common.sh
. "$SCRIPT_DIR/common.sh"
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
INFRA="$SCRIPT_DIR/infra.sh"

STATE="$REPO/.local/stack"
INFRA_DIR="$STATE/infra"
SECRETS="$STATE/secrets"
LOGS="$STATE/logs"
PIDS="$STATE/pids"
ARTIFACTS="$STATE/artifacts"
MAIL="$STATE/mail"
PGPASS="$STATE/pgpass"
CURL_CONFIG="$STATE/rabbitmq.curl"
# Each service's broker user and permissions: the one file the compose stack and the tests read too.
BROKER_PERMISSIONS="$REPO/deploy/rabbitmq/permissions.tsv"
# The API checks tokens against this key pair's public half; `stack.sh token` signs with the private one.
AUTH="$STATE/auth"
# backupctl, as `up` installs it (a launcher of the Release build): `stack.sh env` puts it on PATH.
BIN="$STATE/bin"

# Each service's catalog role (deploy/postgres/catalog-roles.tsv): short name -> role, short name -> Migrator key.
declare -A CATALOG_ROLES=() CATALOG_ROLE_SERVICES=() CATALOG_ROLE_PASSWORDS=()
read_catalog_roles "$REPO/deploy/postgres/catalog-roles.tsv"

# short name -> project
declare -A PROJECTS=(
  [scheduler]=Backup.Scheduler
  [dumper]=Backup.Dumper
  [catalog]=Backup.Catalog
  [notifier]=Backup.Notifier
  [retention]=Backup.Retention
  [restorer]=Backup.Restorer
  [api]=Backup.Api
)
SERVICES=(scheduler dumper catalog notifier retention restorer api)
READY_TIMEOUT=60
RESTORE_TIMEOUT=600
STOP_TIMEOUT=20

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

usage() {
  sed -n '5,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

new_uuid() { cat /proc/sys/kernel/random/uuid; }

write_secret() { # write_secret PATH VALUE  (no trailing newline, mode 0600)
  (umask 077 && printf '%s' "$2" >"$1")
  chmod 0600 "$1"
}

# ---------------------------------------------------------------------------------------------
# Infrastructure and databases
# ---------------------------------------------------------------------------------------------

load_infra_env() {
  [[ -f $INFRA_DIR/infra.env ]] || die "the stack is not up (no $INFRA_DIR/infra.env): run stack.sh up"
  # shellcheck disable=SC1091
  . "$INFRA_DIR/infra.env"
  PSQL="$BACKUP_PG_BIN/psql"
  [[ -x $PSQL ]] || PSQL=/usr/bin/psql
}

infra_is_up() { [[ -f $INFRA_DIR/infra.env ]] && bash "$INFRA" status "$INFRA_DIR" >/dev/null 2>&1; }

ensure_infra() {
  mkdir -p "$STATE"
  if infra_is_up; then
    log "infrastructure already up ($INFRA_DIR)"
  else
    bash "$INFRA" up "$INFRA_DIR"
  fi
  load_infra_env
}

# A role's password: the one the secrets already hold (infrastructure still up), or a new one.
existing_catalog_password() {
  [[ -s $SECRETS/ConnectionStrings__Catalog ]] && sed -n 's/.*;Password=\([^;]*\).*/\1/p' "$SECRETS/ConnectionStrings__Catalog"
}
existing_service_role_password() { # existing_service_role_password NAME
  [[ -s $SECRETS/services/$1/ConnectionStrings__Catalog ]] &&
    sed -n 's/.*;Password=\([^;]*\).*/\1/p' "$SECRETS/services/$1/ConnectionStrings__Catalog"
}
existing_demo_password() {
  [[ -s $SECRETS/Sources__demo__Password ]] && cat "$SECRETS/Sources__demo__Password"
}

write_pgpass() {
  (umask 077 && cat >"$PGPASS") <<EOF
127.0.0.1:$BACKUP_PG_PORT:*:$BACKUP_PG_USER:$BACKUP_PG_PASSWORD
127.0.0.1:$BACKUP_PG_PORT:backup_catalog:backup_catalog:$CATALOG_PASSWORD
127.0.0.1:$BACKUP_PG_PORT:demo_app:demo_backup:$DEMO_PASSWORD
127.0.0.1:$BACKUP_BARE_PG_PORT:*:$BACKUP_BARE_PG_USER:$BACKUP_BARE_PG_PASSWORD
EOF
  chmod 0600 "$PGPASS"
}

# psql over TCP; passwords come from PGPASSFILE. SQL arrives on stdin or through -c/-f.
run_psql() { # run_psql USER DATABASE PSQL_ARGS...
  PGPASSFILE="$PGPASS" PGCONNECT_TIMEOUT=10 PGOPTIONS="-c client_min_messages=warning" "$PSQL" -X -q -w -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$BACKUP_PG_PORT" -U "$1" -d "$2" "${@:3}"
}

create_databases() {
  log "creating the catalog database and the demo source database"
  # Passwords travel in SQL on stdin, never on a command line.
  run_psql "$BACKUP_PG_USER" postgres <<EOF
SELECT 'CREATE ROLE backup_catalog LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'backup_catalog') \\gexec
ALTER ROLE backup_catalog WITH LOGIN PASSWORD '$CATALOG_PASSWORD';
SELECT 'CREATE DATABASE backup_catalog OWNER backup_catalog'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'backup_catalog') \\gexec
$(catalog_roles_sql)
SELECT 'CREATE ROLE demo_backup LOGIN'
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'demo_backup') \\gexec
ALTER ROLE demo_backup WITH LOGIN PASSWORD '$DEMO_PASSWORD';
SELECT 'CREATE DATABASE demo_app'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = 'demo_app') \\gexec
EOF
  run_psql "$BACKUP_PG_USER" demo_app -f "$REPO/deploy/demo/demo-source.sql" >/dev/null
  run_psql "$BACKUP_PG_USER" demo_app <<'EOF'
GRANT CONNECT ON DATABASE demo_app TO demo_backup;
GRANT USAGE ON SCHEMA public, billing TO demo_backup;
GRANT SELECT ON ALL TABLES IN SCHEMA public, billing TO demo_backup;
GRANT SELECT ON ALL SEQUENCES IN SCHEMA public, billing TO demo_backup;
EOF
}

# Each service's catalog role: LOGIN and its password, nothing else (the migrator grants its tables).
catalog_roles_sql() {
  local name
  for name in "${!CATALOG_ROLES[@]}"; do catalog_login_role_sql "${CATALOG_ROLES[$name]}" "${CATALOG_ROLE_PASSWORDS[$name]}"; done
}

write_secrets() {
  mkdir -p "$SECRETS"
  chmod 0700 "$SECRETS"
  write_secret "$SECRETS/rabbitmq-admin-password" "$BACKUP_RABBITMQ_PASSWORD"
  write_secret "$SECRETS/ConnectionStrings__Catalog" \
    "Host=127.0.0.1;Port=$BACKUP_PG_PORT;Database=backup_catalog;Username=backup_catalog;Password=$CATALOG_PASSWORD"
  write_secret "$SECRETS/Sources__demo__Password" "$DEMO_PASSWORD"
  # The restorer restores into this PostgreSQL as its superuser (a throwaway local server).
  write_secret "$SECRETS/Restore__Password" "$BACKUP_PG_PASSWORD"
  # Restore drills go to the bare server infra.sh starts beside it: none of the demo source's roles, as a
  # disaster-recovery server would be.
  write_secret "$SECRETS/Drills__Password" "$BACKUP_BARE_PG_PASSWORD"
  (umask 077 && printf 'user = "%s:%s"\n' "$BACKUP_RABBITMQ_USER" "$BACKUP_RABBITMQ_PASSWORD" >"$CURL_CONFIG")
  chmod 0600 "$CURL_CONFIG"
  write_auth_keys
}

# A development signing key for the API's tokens (as deploy/compose/init-secrets.sh makes one for compose); kept
# across `up`s so that tokens minted earlier stay valid, removed by `down`.
write_auth_keys() {
  command -v openssl >/dev/null 2>&1 || die "openssl is needed for the API's development key (apt-get install openssl)"
  mkdir -p "$AUTH"
  chmod 0700 "$AUTH"
  if [[ ! -s $AUTH/dev_signing_key.pem ]]; then
    (umask 077 && openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$AUTH/dev_signing_key.pem" 2>/dev/null) ||
      die "openssl could not make the API's development key"
  fi
  openssl pkey -in "$AUTH/dev_signing_key.pem" -pubout -out "$AUTH/signing-public-key.pem" 2>/dev/null ||
    die "openssl could not write the API's public key"
}

prepare_databases_and_secrets() {
  CATALOG_PASSWORD=$(existing_catalog_password || true)
  DEMO_PASSWORD=$(existing_demo_password || true)
  [[ -n $CATALOG_PASSWORD ]] || CATALOG_PASSWORD=$(random_alnum 32)
  [[ -n $DEMO_PASSWORD ]] || DEMO_PASSWORD=$(random_alnum 32)
  local name
  for name in "${SERVICES[@]}"; do
    CATALOG_ROLE_PASSWORDS[$name]=$(existing_service_role_password "$name" || true)
    [[ -n ${CATALOG_ROLE_PASSWORDS[$name]} ]] || CATALOG_ROLE_PASSWORDS[$name]=$(random_alnum 32)
  done
  write_pgpass
  create_databases
  write_secrets
  create_broker_users "$CURL_CONFIG" "$BROKER_PERMISSIONS" "$SECRETS/rabbitmq"
}

# A service's own secrets folder: the shared secrets, RabbitMq__Password of its broker user (backup-NAME), and its
# ConnectionStrings__Catalog as its own catalog role (the migrator keeps the schema owner's).
write_service_secrets() { # write_service_secrets NAME
  local name=$1 folder="$SECRETS/services/$1" file
  mkdir -p "$folder"
  chmod 0700 "$SECRETS/services" "$folder"
  for file in "$SECRETS"/*; do
    [[ -f $file && $(basename "$file") != rabbitmq-admin-password ]] && cp -p "$file" "$folder/"
  done
  cp -p "$SECRETS/rabbitmq/backup-$name" "$folder/RabbitMq__Password"
  if [[ $name != migrator ]]; then
    write_secret "$folder/ConnectionStrings__Catalog" \
      "Host=127.0.0.1;Port=$BACKUP_PG_PORT;Database=backup_catalog;Username=${CATALOG_ROLES[$name]};Password=${CATALOG_ROLE_PASSWORDS[$name]}"
  fi
}

# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------

# The configuration every service (and the migrator) gets; secrets are files, not variables.
service_environment() {
  SERVICE_ENV=(
    DOTNET_ENVIRONMENT=Development
    # As in the Dockerfile: keeps the dumper's peak RSS flat across backups (zstd's worker threads and malloc arenas).
    MALLOC_ARENA_MAX=2
    RabbitMq__Host=127.0.0.1
    RabbitMq__Port="$BACKUP_RABBITMQ_PORT"
    RabbitMq__VirtualHost=/
    Storage__Root="$ARTIFACTS"
    Dumper__PgBinDirectory="$BACKUP_PG_BIN"
    Sources__demo__Host=127.0.0.1
    Sources__demo__Port="$BACKUP_PG_PORT"
    Sources__demo__Database=demo_app
    Sources__demo__Username=demo_backup
    Sources__demo__IncludeSchemas__0=public
    Sources__demo__IncludeSchemas__1=billing
    Sources__demo__ExcludeTables__0=public.audit_log
    Sources__demo__ExcludeTables__1=public.sessions
    "Sources__demo__Schedule=0 2 * * *"
    Sources__demo__TimeZone=Etc/UTC
    Notifier__Administrators__0=admin@example.com
    Notifier__From=backup@localhost
    Notifier__PickupDirectory="$MAIL"
    Retention__MaxAge=30.00:00:00
    Restore__Host=127.0.0.1
    Restore__Port="$BACKUP_PG_PORT"
    Restore__Username="$BACKUP_PG_USER"
    Restore__PgBinDirectory="$BACKUP_PG_BIN"
    Drills__Host=127.0.0.1
    Drills__Port="$BACKUP_BARE_PG_PORT"
    Drills__Username="$BACKUP_BARE_PG_USER"
    # The API (tokens as deploy/compose/dev-token.sh mints them: `stack.sh token ROLE`).
    Auth__Issuer=backup-dev
    Auth__Audience=backup-api
    Auth__SigningKeyFiles__0="$AUTH/signing-public-key.pem"
    # The dashboard's development sign-in (pick a role, no identity provider): it exists only because this key is set.
    Dashboard__DevelopmentSigningKeyFile="$AUTH/dev_signing_key.pem"
  )
}

service_dll() { # service_dll PROJECT
  printf '%s/services/%s/bin/Release/net10.0/%s.dll' "$REPO" "$1" "$1"
}

service_pid() { [[ -s $PIDS/$1.pid ]] && cat "$PIDS/$1.pid"; }
service_port() { [[ -s $PIDS/$1.port ]] && cat "$PIDS/$1.port"; }

health_code() { # health_code PORT
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health/ready" || true
}

build_solution() {
  log "building Backup.sln (Release)"
  if ! (cd "$REPO" && dotnet build Backup.sln -c Release -nologo -v q -clp:ErrorsOnly </dev/null >"$LOGS/build.log" 2>&1); then
    tail -n 40 "$LOGS/build.log" >&2
    die "build failed (full log: $LOGS/build.log)"
  fi
}

# backupctl on PATH without a second build: a launcher of the Release build `up` just made.
install_backupctl() {
  local dll="$REPO/tools/Backup.Ctl/bin/Release/net10.0/backupctl.dll"
  [[ -f $dll ]] || die "$dll not found (did the build produce it?)"
  mkdir -p "$BIN"
  printf '#!/bin/sh\n# backupctl from %s (deploy/local/stack.sh up)\nexec dotnet "%s" "$@"\n' "$REPO" "$dll" >"$BIN/backupctl"
  chmod 0755 "$BIN/backupctl"
}

run_migrator() {
  local dll roles
  dll=$(service_dll Backup.Migrator)
  # The migrator logs in as the schema's owner (backup_catalog) and grants each service's role its tables.
  mapfile -t roles < <(migrator_role_settings)
  log "migrating the catalog database, granting the services' catalog roles and declaring the broker topology"
  write_service_secrets migrator
  if ! (cd "$REPO" && env "${SERVICE_ENV[@]}" "${roles[@]}" RabbitMq__Username=backup-migrator BACKUP_SECRETS_DIR="$SECRETS/services/migrator" dotnet "$dll" </dev/null >"$LOGS/migrator.log" 2>&1); then
    tail -n 40 "$LOGS/migrator.log" >&2
    die "the migrator failed (log: $LOGS/migrator.log)"
  fi
}

start_service() { # start_service NAME PORT
  local name=$1 port=$2 project dll
  project=${PROJECTS[$name]}
  dll=$(service_dll "$project")
  [[ -f $dll ]] || die "$dll not found (did the build produce it?)"
  printf '\n==== %s starting on 127.0.0.1:%s at %s\n' "$project" "$port" "$(date -u +%FT%TZ)" >>"$LOGS/$name.log"
  # Its own secrets folder: its broker user's password, and its ConnectionStrings__Catalog as its own catalog role.
  write_service_secrets "$name"
  (cd "$REPO" && exec setsid env "${SERVICE_ENV[@]}" ASPNETCORE_URLS="http://127.0.0.1:$port" \
    RabbitMq__Username="backup-$name" BACKUP_SECRETS_DIR="$SECRETS/services/$name" \
    dotnet "$dll" </dev/null >>"$LOGS/$name.log" 2>&1) &
  echo "$!" >"$PIDS/$name.pid"
  echo "$port" >"$PIDS/$name.port"
}

wait_until_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT)) pending name code
  pending=("${SERVICES[@]}")
  while ((${#pending[@]})); do
    local still=()
    for name in "${pending[@]}"; do
      if ! pid_alive "$(service_pid "$name")"; then
        show_log_tail "$name"
        die "${PROJECTS[$name]} exited during startup"
      fi
      code=$(health_code "$(service_port "$name")")
      if [[ $code == 200 ]]; then
        log "${PROJECTS[$name]} ready"
      else
        still+=("$name")
      fi
    done
    pending=("${still[@]}")
    ((${#pending[@]})) || break
    if ((SECONDS >= deadline)); then
      for name in "${pending[@]}"; do show_log_tail "$name"; done
      die "not ready after ${READY_TIMEOUT}s: ${pending[*]}"
    fi
    sleep 0.5
  done
}

show_log_tail() {
  echo "---- last lines of $LOGS/$1.log" >&2
  tail -n 30 "$LOGS/$1.log" >&2 || true
}

stop_services() {
  local name pid deadline any=0
  for name in "${SERVICES[@]}"; do
    pid=$(service_pid "$name" || true)
    if pid_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null || true
      any=1
    fi
  done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for name in "${SERVICES[@]}"; do
    pid=$(service_pid "$name" || true)
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if pid_alive "$pid"; then
      log "${PROJECTS[$name]} did not stop within ${STOP_TIMEOUT}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDS/$name.pid" "$PIDS/$name.port"
  done
  ((any == 0)) || log "services stopped"
}

print_summary() {
  local name
  cat <<EOF

The Backup stack is up.
  Health (GET /health/ready):
EOF
  for name in "${SERVICES[@]}"; do
    printf '    %-18s http://127.0.0.1:%s/health/ready\n' "${PROJECTS[$name]}" "$(service_port "$name")"
  done
  cat <<EOF
  Dashboard:            http://localhost:$(service_port api)/  (development sign-in: pick reader, operator or admin)
  HTTP API:             http://127.0.0.1:$(service_port api)/api/v1  (OpenAPI: /openapi/v1.json; a token: stack.sh token operator)
  RabbitMQ management:  http://127.0.0.1:$BACKUP_RABBITMQ_MANAGEMENT_PORT/  (administrator $BACKUP_RABBITMQ_USER, password in $SECRETS/rabbitmq-admin-password; each service logs in as backup-<service>)
  PostgreSQL:           127.0.0.1:$BACKUP_PG_PORT  (catalog: backup_catalog, demo source: demo_app)
  Artifacts land in:    $ARTIFACTS/<source>/...
  Email lands in:       $MAIL/*.eml
  Logs:                 $LOGS/<service>.log
  backupctl:            $BIN/backupctl  (on PATH after: eval "\$(deploy/local/stack.sh env)")

Next:
  deploy/local/stack.sh backup demo     request a backup now and wait for its outcome
  deploy/local/stack.sh restore KEY     restore an artifact (its key as 'status' shows it) into a new database
  deploy/local/stack.sh status          services, health and the newest runs
  eval "\$(deploy/local/stack.sh env)"  PGHOST, PGPORT, PGUSER, PGPASSFILE, API, PATH (backupctl) in this shell
  deploy/local/stack.sh down            stop everything (--purge also deletes artifacts and mail)
EOF
}

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

cmd_up() {
  local name ports i=0
  mkdir -p "$STATE" "$LOGS" "$PIDS" "$ARTIFACTS" "$MAIL"
  chmod 0711 "$STATE" # traversable for infra.sh's PostgreSQL user, not listable
  chmod 0700 "$ARTIFACTS" "$MAIL" "$LOGS" "$PIDS"
  stop_services # a re-run of `up` restarts the services on a fresh build
  ensure_infra
  prepare_databases_and_secrets
  service_environment
  build_solution
  install_backupctl
  run_migrator
  read -r -a ports < <(free_ports "${#SERVICES[@]}")
  for name in "${SERVICES[@]}"; do
    start_service "$name" "${ports[i]}"
    i=$((i + 1))
  done
  wait_until_ready
  print_summary
}

cmd_down() {
  stop_services
  bash "$INFRA" down "$INFRA_DIR"
  rm -rf "$SECRETS" "$PIDS" "$PGPASS" "$CURL_CONFIG" "$AUTH" "$BIN"
  if [[ ${1:-} == --purge ]]; then
    rm -rf "$ARTIFACTS" "$MAIL" "$LOGS"
    rmdir "$STATE" 2>/dev/null || true
    log "stack down; artifacts, mail and logs deleted"
  else
    log "stack down; kept $ARTIFACTS and $MAIL (use down --purge to delete them)"
  fi
}

cmd_status() {
  local name pid port code
  echo "Services:"
  for name in "${SERVICES[@]}"; do
    pid=$(service_pid "$name" || true)
    port=$(service_port "$name" || true)
    if pid_alive "$pid"; then
      code=$(health_code "$port")
      if [[ $code == 200 ]]; then code="ready"; else code="not ready (HTTP ${code:-none})"; fi
      printf '  %-18s up    pid %-7s http://127.0.0.1:%s  %s\n' "${PROJECTS[$name]}" "$pid" "$port" "$code"
    else
      printf '  %-18s down\n' "${PROJECTS[$name]}"
    fi
  done
  if ! infra_is_up; then
    echo "Infrastructure: down"
    return 0
  fi
  load_infra_env
  echo "Infrastructure: RabbitMQ 127.0.0.1:$BACKUP_RABBITMQ_PORT (management http://127.0.0.1:$BACKUP_RABBITMQ_MANAGEMENT_PORT/), PostgreSQL 127.0.0.1:$BACKUP_PG_PORT, drill server 127.0.0.1:$BACKUP_BARE_PG_PORT"
  echo
  echo "Newest runs:"
  run_psql backup_catalog backup_catalog -P pager=off -P expanded=auto -c \
    "SELECT r.correlation_id AS run_id, r.source, r.current_state, r.requested_at, r.completed_at, r.size_bytes, r.sha256, r.artifact_key, v.state AS drill, round(v.recovery_seconds::numeric, 1) AS rto_s, coalesce(r.failure_reason, v.error_code) AS failure FROM backup_runs r LEFT JOIN backup_verifications v ON v.run_id = r.correlation_id ORDER BY r.requested_at DESC NULLS LAST LIMIT 10" ||
    echo "  (could not read the catalog)"
}

publish_backup_requested() { # publish_backup_requested SOURCE RUN_ID
  publish_message "$CURL_CONFIG" BackupRequested \
    "{\"runId\":\"$2\",\"source\":\"$1\",\"requestedAt\":\"$(now_utc)\",\"requestedBy\":\"stack.sh\"}"
}

run_state() { # run_state RUN_ID
  run_psql backup_catalog backup_catalog -A -t -c \
    "SELECT current_state FROM backup_runs WHERE correlation_id = '$1'" 2>/dev/null || true
}

cmd_backup() {
  local source=${1:-} run_id response state deadline
  [[ $source =~ ^[a-z0-9][a-z0-9_-]{0,62}$ ]] ||
    die "a source name is 1-63 of a-z 0-9 _ - (starting with a letter or digit): '${source}'"
  load_infra_env
  [[ -f $CURL_CONFIG && -f $PGPASS ]] || die "the stack is not up: run stack.sh up"
  run_id=$(new_uuid)
  response=$(publish_backup_requested "$source" "$run_id" 2>&1) || response="${response:-no answer}"
  case $response in
    *'"routed":true'*) ;;
    *NOT_FOUND*) die "the exchange Backup.Contracts:BackupRequested does not exist yet: the services have not started (stack.sh up)" ;;
    *'"routed":false'*) die "published, but no queue is bound to Backup.Contracts:BackupRequested yet: are the services up? (stack.sh status)" ;;
    *) die "unexpected answer from RabbitMQ: $response" ;;
  esac
  echo "Requested a backup of '$source': run $run_id"
  deadline=$((SECONDS + 60))
  state=""
  while ((SECONDS < deadline)); do
    state=$(run_state "$run_id")
    case $state in
      "" | Requested | Running) sleep 1 ;;
      *) break ;;
    esac
  done
  case $state in
    "") die "run $run_id does not appear in the catalog after 60s (see stack.sh logs catalog)" ;;
    Requested | Running) die "run $run_id is still $state after 60s (see stack.sh status)" ;;
  esac
  echo "Run $run_id: $state"
  run_psql backup_catalog backup_catalog -P pager=off -P expanded=auto -c \
    "SELECT correlation_id AS run_id, source, current_state, requested_at, completed_at, size_bytes, sha256, artifact_key, failure_reason FROM backup_runs WHERE correlation_id = '$run_id'" || true
  [[ $state != Failed ]]
}

# The shape of the keys the dumper makes (ArtifactKey): "demo/2026/11/24/20261124T020000Z-<run id>.dump.zst".
ARTIFACT_KEY_RE='^[a-z0-9][a-z0-9_-]{0,62}/[0-9]{4}/[0-9]{2}/[0-9]{2}/[0-9]{8}T[0-9]{6}Z-[0-9a-f]{32}\.dump(\.zst(\.gpg)?)?$'

management() { rabbitmq_api "$CURL_CONFIG" "$@"; } # management METHOD PATH [JSON]

publish_restore_requested() { # publish_restore_requested RESTORE_ID KEY TARGET OVERWRITE
  local target_field=""
  [[ -z $3 ]] || target_field="\"targetDatabase\":\"$3\","
  publish_message "$CURL_CONFIG" RestoreRequested \
    "{\"restoreId\":\"$1\",\"artifactKey\":\"$2\",$target_field\"overwrite\":$4,\"requestedAt\":\"$(now_utc)\",\"requestedBy\":\"stack.sh\"}"
}

# A JSON string field of a MassTransit message, unescaped: json_field NAME < MESSAGE
json_field() {
  local raw
  raw=$(sed -n "s/.*\"$1\":\"\(\([^\"\\\\]\|\\\\.\)*\)\".*/\1/p")
  printf '%b' "${raw//\\\"/\"}"
}

cmd_restore() {
  local key=${1:-} target="" overwrite=false restore_id queue exchange response payload message="" event="" deadline
  shift
  while (($#)); do
    case $1 in
      --overwrite) overwrite=true ;;
      -*) usage ;;
      *) [[ -z $target ]] || usage; target=$1 ;;
    esac
    shift
  done
  [[ $key =~ $ARTIFACT_KEY_RE ]] ||
    die "'$key' is not an artifact key: give it as the dumper made it (stack.sh status shows the newest), e.g. demo/2026/11/24/20261124T020000Z-<run id>.dump.zst"
  [[ -z $target || $target =~ ^[a-z_][a-z0-9_]{0,62}$ ]] ||
    die "a target database is a plain identifier: 1-63 of a-z 0-9 _, not starting with a digit: '$target'"
  load_infra_env
  [[ -f $CURL_CONFIG ]] || die "the stack is not up: run stack.sh up"

  restore_id=$(new_uuid)
  queue="stack.sh-restore-$restore_id"
  # A private queue for the outcome, on both outcome exchanges (declared here too, in case no restore has run yet);
  # it expires by itself if this script is interrupted.
  management PUT "queues/%2F/$queue" '{"durable":false,"auto_delete":false,"arguments":{"x-expires":900000}}' >/dev/null ||
    die "could not reach the RabbitMQ management API (is the stack up? stack.sh status)"
  trap 'management DELETE "queues/%2F/$queue" >/dev/null 2>&1; exit 130' INT TERM
  for exchange in RestoreCompleted RestoreFailed; do
    management PUT "exchanges/%2F/Backup.Contracts%3A$exchange" '{"type":"fanout","durable":true,"auto_delete":false}' >/dev/null &&
      management POST "bindings/%2F/e/Backup.Contracts%3A$exchange/q/$queue" '{"routing_key":""}' >/dev/null ||
      { management DELETE "queues/%2F/$queue" >/dev/null 2>&1 || true; die "could not listen on Backup.Contracts:$exchange"; }
  done

  response=$(publish_restore_requested "$restore_id" "$key" "$target" "$overwrite" 2>&1) || response="${response:-no answer}"
  case $response in
    *'"routed":true'*) ;;
    *)
      management DELETE "queues/%2F/$queue" >/dev/null 2>&1 || true
      case $response in
        *NOT_FOUND* | *'"routed":false'*) die "nothing takes RestoreRequested yet: is the restorer up? (stack.sh status)" ;;
        *) die "unexpected answer from RabbitMQ: $response" ;;
      esac
      ;;
  esac
  echo "Requested a restore of $key into ${target:-a new database (named by the restorer)}: restore $restore_id"

  deadline=$((SECONDS + RESTORE_TIMEOUT))
  while [[ -z $message ]] && ((SECONDS < deadline)); do
    response=$(management POST "queues/%2F/$queue/get" '{"count":10,"ackmode":"ack_requeue_false","encoding":"base64"}' 2>/dev/null) || response=""
    while read -r payload; do
      [[ -n $payload ]] || continue
      # MassTransit indents its JSON: one line, and no space after a field name's colon.
      payload=$(printf '%s' "$payload" | base64 -d 2>/dev/null | tr -d '\n' | sed 's/"\([A-Za-z]*\)": */"\1":/g') || continue
      [[ $payload == *"\"restoreId\":\"$restore_id\""* ]] || continue
      message=$payload
      case $payload in *'urn:message:Backup.Contracts:RestoreCompleted'*) event=RestoreCompleted ;; *) event=RestoreFailed ;; esac
    done < <(grep -o '"payload":"[^"]*"' <<<"$response" | sed 's/^"payload":"\(.*\)"$/\1/')
    [[ -n $message ]] || sleep 1
  done
  management DELETE "queues/%2F/$queue" >/dev/null 2>&1 || true
  trap - INT TERM
  [[ -n $message ]] || die "no outcome of restore $restore_id after ${RESTORE_TIMEOUT}s (see stack.sh logs restorer)"

  if [[ $event == RestoreCompleted ]]; then
    target=$(json_field targetDatabase <<<"$message")
    echo "Restore $restore_id: RestoreCompleted into database $target (127.0.0.1:$BACKUP_PG_PORT)"
    local schemas names expected restored i
    mapfile -t schemas < <(grep -o '"schema":"[^"]*"' <<<"$message" | cut -d'"' -f4)
    mapfile -t names < <(grep -o '"name":"[^"]*"' <<<"$message" | cut -d'"' -f4)
    mapfile -t expected < <(grep -o '"expectedRows":[0-9]*' <<<"$message" | cut -d: -f2)
    mapfile -t restored < <(grep -o '"restoredRows":[0-9]*' <<<"$message" | cut -d: -f2)
    for i in "${!schemas[@]}"; do
      printf '  %s.%s: %s rows expected, %s restored\n' "${schemas[i]}" "${names[i]}" "${expected[i]}" "${restored[i]}"
    done
    echo "Look inside: PGPASSFILE=$PGPASS $PSQL -h 127.0.0.1 -p $BACKUP_PG_PORT -U $BACKUP_PG_USER -d $target"
    return 0
  fi
  echo "Restore $restore_id: RestoreFailed $(json_field errorCode <<<"$message")"
  echo "  $(json_field reason <<<"$message")"
  return 1
}

cmd_logs() {
  local files=() name=${1:-}
  if [[ -n $name ]]; then
    name=${name#Backup.}
    name=${name,,}
    [[ -f $LOGS/$name.log ]] || die "no log for '$1' in $LOGS"
    files=("$LOGS/$name.log")
  else
    shopt -s nullglob
    files=("$LOGS"/*.log)
    ((${#files[@]})) || die "no logs in $LOGS"
  fi
  if [[ -t 1 ]]; then
    exec tail -n 50 -F "${files[@]}"
  else
    tail -n 50 "${files[@]}"
  fi
}

cmd_api_url() {
  local port
  port=$(service_port api) && pid_alive "$(service_pid api)" || die "the API is not running: run stack.sh up"
  echo "http://127.0.0.1:$port"
}

# Shell lines for this stack, for `eval "$(stack.sh env)"`: the stock PostgreSQL tools reach the stack's server
# (password from the 0600 pgpass file, never in the environment), backupctl and the API's URL. No secret is printed.
cmd_env() {
  load_infra_env
  [[ -f $PGPASS ]] || die "the stack is not up (no $PGPASS): run stack.sh up"
  local api_port
  printf 'export PGHOST=127.0.0.1 PGPORT=%q PGUSER=%q PGPASSFILE=%q\n' "$BACKUP_PG_PORT" "$BACKUP_PG_USER" "$PGPASS"
  printf 'export BACKUP_PG_PORT=%q BACKUP_PG_USER=%q BACKUP_BARE_PG_PORT=%q BACKUP_BARE_PG_USER=%q\n' \
    "$BACKUP_PG_PORT" "$BACKUP_PG_USER" "$BACKUP_BARE_PG_PORT" "$BACKUP_BARE_PG_USER"
  printf 'export STORE=%q\n' "$ARTIFACTS"
  if api_port=$(service_port api); then printf 'export API=%q\n' "http://127.0.0.1:$api_port"; fi
  # shellcheck disable=SC2016 # $PATH is expanded by the shell that evals this line
  printf 'export PATH=%q:%q:"$PATH"\n' "$BIN" "$BACKUP_PG_BIN"
}

cmd_token() { # cmd_token ROLE
  [[ -s $AUTH/dev_signing_key.pem ]] || die "no development key: run stack.sh up"
  BACKUP_DEV_SIGNING_KEY="$AUTH/dev_signing_key.pem" BACKUP_AUTH_ISSUER=backup-dev BACKUP_AUTH_AUDIENCE=backup-api \
    exec "$REPO/deploy/compose/dev-token.sh" "$1"
}

main() {
  (($# >= 1)) || usage
  case $1 in
    up) (($# == 1)) || usage; cmd_up ;;
    down) cmd_down "${2:-}" ;;
    status) cmd_status ;;
    env) (($# == 1)) || usage; cmd_env ;;
    backup) (($# == 2)) || usage; cmd_backup "$2" ;;
    restore) (($# >= 2 && $# <= 4)) || usage; cmd_restore "${@:2}" ;;
    logs) cmd_logs "${2:-}" ;;
    api-url) (($# == 1)) || usage; cmd_api_url ;;
    token) (($# == 2)) || usage; cmd_token "$2" ;;
    *) usage ;;
  esac
}

main "$@"
