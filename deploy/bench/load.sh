#!/usr/bin/env bash
# A load benchmark: many backup requests over many sources at once, through the catalog and two dumper processes.
#
#   load.sh [--requests N] [--sources N] [--keep]      (also: benchmark.sh --load ...)
#
#   --requests N  BackupRequested messages to publish at once (default 200), spread evenly over the sources.
#   --sources N   small source databases, each its own configured source (default 20); N divides --requests.
#   --keep        leave the temporary folder, the services and RabbitMQ/PostgreSQL running at the end.
#
# It starts its own RabbitMQ + PostgreSQL 15 (deploy/local/infra.sh), builds the solution in Release (BENCH_NO_BUILD=1
# skips that), migrates a catalog database, seeds the source databases (a few thousand rows each), starts the catalog
# and two dumpers (Dumper:ConcurrentDumps each, default 2; the dumpers share one artifact store), then publishes every
# request at once through the RabbitMQ management API (mandatory, confirmed: routed:true is checked) and waits until
# the catalog has every run in a final state. Then it checks, from the catalog's rows and the store:
#   - every run is Completed, its state entered once (backup_run_transitions), one dump job per run, one attempt;
#   - one artifact per run in the store, whose SHA-256 is its manifest's and the catalog's;
#   - no two dumps of one source overlapped (a dump: from BackupStarted's startedAt to its job's finished_at);
#   - the most dumps running at once was min(sources, 2 x Dumper:ConcurrentDumps);
# and prints the wall time against the ideal (the dumps' summed durations / the total concurrency), the per-run
# orchestration overhead ((recorded Completed - published) - the dump's duration) and the CPU the parts used.
# It exits non-zero when a check fails or something broke.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
INFRA="$REPO/deploy/local/infra.sh"
# shellcheck source=deploy/local/common.sh
. "$REPO/deploy/local/common.sh"
# shellcheck source=deploy/bench/common.sh
. "$SCRIPT_DIR/common.sh"

readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly CATALOG_DB=load_catalog
readonly SOURCE_ROLE=load_backup
readonly READY_TIMEOUT=120
readonly STOP_TIMEOUT=30
readonly DUMPS_PER_DUMPER=${Dumper__ConcurrentDumps:-2}
readonly HZ=$(getconf CLK_TCK)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

REQUESTS=200
SOURCES=20
KEEP=0
WORK=""
SERVICE_PIDS=()
FAILURES=()

log() { printf '[load %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[load] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '4,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }
check() { # check DESCRIPTION PROBLEMS: a check passes when PROBLEMS is empty
  if [[ -z $2 ]]; then
    printf '  PASS  %s\n' "$1"
  else
    printf '  FAIL  %s:\n%s\n' "$1" "$(head -n 10 <<<"$2" | sed 's/^/          /')"
    FAILURES+=("$1")
  fi
}

while (($#)); do
  case $1 in
    --requests)
      [[ ${2:-} =~ ^[1-9][0-9]{0,3}$ ]] || die "--requests takes a whole number from 1 to 9999"
      REQUESTS=$2
      shift 2
      ;;
    --sources)
      [[ ${2:-} =~ ^[1-9][0-9]?$ ]] || die "--sources takes a whole number from 1 to 99"
      SOURCES=$2
      shift 2
      ;;
    --keep) KEEP=1; shift ;;
    *) usage ;;
  esac
done
((REQUESTS % SOURCES == 0)) || die "--requests ($REQUESTS) must be a multiple of --sources ($SOURCES)"
[[ $DUMPS_PER_DUMPER =~ ^[1-9][0-9]?$ ]] || die "Dumper__ConcurrentDumps must be a whole number"
readonly PER_SOURCE=$((REQUESTS / SOURCES))
readonly CONCURRENCY=$((2 * DUMPS_PER_DUMPER))
readonly EXPECTED_PARALLEL=$((SOURCES < CONCURRENCY ? SOURCES : CONCURRENCY))
readonly DEADLINE=$((600 + 10 * REQUESTS))

source_name() { printf 'load%02d' "$1"; } # the source and its database

# ---------------------------------------------------------------------------------------------
# Setup and teardown
# ---------------------------------------------------------------------------------------------

stop_services() {
  local pid deadline
  for pid in "${SERVICE_PIDS[@]}"; do pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for pid in "${SERVICE_PIDS[@]}"; do
    while pid_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SERVICE_PIDS=()
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $WORK && -d $WORK ]] || exit "$rc"
  if ((KEEP)); then
    log "kept $WORK; the services (pids ${SERVICE_PIDS[*]}), RabbitMQ and PostgreSQL are still running"
    log "stop them with: kill ${SERVICE_PIDS[*]}; $INFRA down $WORK/infra && rm -rf $WORK"
  else
    stop_services
    bash "$INFRA" down "$WORK/infra" >/dev/null 2>&1 || log "infra.sh down failed; check $WORK/infra"
    rm -rf "$WORK"
  fi
  exit "$rc"
}

pg() { env PGHOST=127.0.0.1 PGPORT="$BACKUP_PG_PORT" PGUSER="$BACKUP_PG_USER" PGPASSFILE="$WORK/pgpass" PGCONNECT_TIMEOUT=10 "$@"; }
psql_in() { pg "$PG_BIN/psql" -X -q -w -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; } # psql_in DATABASE ARGS... (SQL on stdin or -c)
query() { psql_in "$CATALOG_DB" -A -t -F ' ' -c "$1"; }                    # query SQL -> rows, fields separated by spaces

service_dll() { printf '%s/services/%s/bin/Release/net10.0/%s.dll' "$REPO" "$1" "$1"; }

start_infra() {
  log "starting RabbitMQ and PostgreSQL 15 (deploy/local/infra.sh up $WORK/infra)"
  bash "$INFRA" up "$WORK/infra" 2>"$WORK/logs/infra.log" || { tail -n 30 "$WORK/logs/infra.log" >&2; die "infra.sh up failed"; }
  # shellcheck disable=SC1091
  . "$WORK/infra/infra.env"
  SOURCE_PASSWORD=$(random_alnum 32)
  (umask 077 && printf '127.0.0.1:%s:*:%s:%s\n' "$BACKUP_PG_PORT" "$BACKUP_PG_USER" "$BACKUP_PG_PASSWORD" >"$WORK/pgpass")
  (umask 077 && printf 'user = "%s:%s"\n' "$BACKUP_RABBITMQ_USER" "$BACKUP_RABBITMQ_PASSWORD" >"$WORK/rabbitmq.curl")
}

# Each service's secrets (key-per-file, its own BACKUP_SECRETS_DIR, WORK/secrets/NAME): its broker password and catalog
# connection as its own user (service_identity); the dumper's also each source's password.
write_secrets() {
  local i name
  mkdir -p "$WORK/secrets"
  chmod 0700 "$WORK/secrets"
  for name in migrator catalog dumper; do
    mkdir -p "$WORK/secrets/$name"
    chmod 0700 "$WORK/secrets/$name"
    service_identity "$name" "$WORK/secrets/$name" "$CATALOG_DB"
  done
  for ((i = 1; i <= SOURCES; i++)); do write_secret "$WORK/secrets/dumper/Sources__$(source_name "$i")__Password" "$SOURCE_PASSWORD"; done
}

# The configuration of every service (secrets are files); each source as the dumper's Sources:<name> section.
service_environment() {
  local i name
  SERVICE_ENV=(
    DOTNET_ENVIRONMENT=Production
    MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
    RabbitMq__Host=127.0.0.1
    RabbitMq__Port="$BACKUP_RABBITMQ_PORT"
    RabbitMq__VirtualHost=/
    Storage__Root="$WORK/store"
    Dumper__PgBinDirectory="$PG_BIN"
    Dumper__ConcurrentDumps="$DUMPS_PER_DUMPER"
  )
  for ((i = 1; i <= SOURCES; i++)); do
    name=$(source_name "$i")
    SERVICE_ENV+=("Sources__${name}__Host=127.0.0.1" "Sources__${name}__Port=$BACKUP_PG_PORT"
      "Sources__${name}__Database=$name" "Sources__${name}__Username=$SOURCE_ROLE")
  done
}

# The catalog database, each service's catalog role and broker user, then the migrator as the database's owner.
prepare_catalog() {
  catalog_database_sql "$CATALOG_DB" | psql_in postgres >/dev/null
  create_service_broker_users
  write_secrets
  log "migrating the catalog database (Backup.Migrator)"
  (cd "$WORK" && exec env "${SERVICE_ENV[@]}" RabbitMq__Username=backup-migrator BACKUP_SECRETS_DIR="$WORK/secrets/migrator" \
    "${MIGRATOR_ROLE_SETTINGS[@]}" dotnet "$(service_dll Backup.Migrator)" </dev/null >"$WORK/logs/migrator.log" 2>&1) ||
    { tail -n 30 "$WORK/logs/migrator.log" >&2; die "the migrator failed"; }
}

# SOURCES small databases, each a few thousand rows in two tables, readable by the sources' role.
seed_sources() {
  local i name
  log "seeding $SOURCES source databases"
  psql_in postgres <<<"CREATE ROLE $SOURCE_ROLE LOGIN PASSWORD '$SOURCE_PASSWORD';"
  for ((i = 1; i <= SOURCES; i++)); do
    name=$(source_name "$i")
    psql_in postgres -c "CREATE DATABASE $name" >/dev/null
    psql_in "$name" >/dev/null <<EOF
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int NOT NULL REFERENCES customers, placed_at timestamptz NOT NULL,
                     amount numeric(10, 2) NOT NULL, note text);
INSERT INTO customers SELECT c, 'customer ' || c, 'c' || c || '@example.com' FROM generate_series(1, 500) AS c;
INSERT INTO orders SELECT o, 1 + o % 500, timestamptz '2026-01-01' + o * interval '1 minute', (o % 997) / 10.0, md5(o::text)
  FROM generate_series(1, 5000 + 100 * $i) AS o;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $SOURCE_ROLE;
EOF
  done
}

# launch_service NAME PROJECT SERVICE: starts the service in the background, as SERVICE's broker user and catalog role
# (catalog, dumper), and waits for its /health/ready.
launch_service() {
  local name=$1 port pid deadline code
  port=$(free_ports 1)
  log "starting $name ($2) on 127.0.0.1:$port"
  (cd "$WORK" && exec env "${SERVICE_ENV[@]}" RabbitMq__Username="backup-$3" BACKUP_SECRETS_DIR="$WORK/secrets/$3" \
    ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet "$(service_dll "$2")" \
    </dev/null >"$WORK/logs/$name.log" 2>&1) &
  pid=$!
  SERVICE_PIDS+=("$pid")
  printf '%s' "$pid" >"$WORK/$name.pid"
  deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    pid_alive "$pid" || { tail -n 30 "$WORK/logs/$name.log" >&2; die "$name exited during startup"; }
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/health/ready" || true)
    [[ $code == 200 ]] && break
    ((SECONDS < deadline)) || { tail -n 30 "$WORK/logs/$name.log" >&2; die "$name not ready after ${READY_TIMEOUT}s"; }
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------------------------
# The load
# ---------------------------------------------------------------------------------------------

# cpu_of PID... -> CPU seconds (utime+stime and that of its reaped children) the processes have used so far
cpu_of() { local p; for p in "$@"; do cat "/proc/$p/stat"; done | sed 's/^.*) //' | awk -v hz="$HZ" '{ t += $12 + $13 + $14 + $15 } END { printf "%.2f\n", t / hz }'; }
# PostgreSQL: the postmaster with its reaped backends, and its live children
server_pids() { local pm; pm=$(head -n 1 "$WORK/infra/pg/data/postmaster.pid"); printf '%s\n' "$pm"; pgrep -P "$pm" || true; }
rabbitmq_pid() { cat "$WORK/infra/rabbitmq/rabbitmq.pid"; }
cpu_sample() { # -> "dumpers catalog postgres rabbitmq load.sh" CPU seconds so far (load.sh's: its curls)
  # shellcheck disable=SC2046 # one pid per word
  printf '%s %s %s %s %s\n' "$(cpu_of "$(<"$WORK/dumper-a.pid")" "$(<"$WORK/dumper-b.pid")")" "$(cpu_of "$(<"$WORK/catalog.pid")")" \
    "$(cpu_of $(server_pids) 2>/dev/null)" "$(cpu_of "$(rabbitmq_pid)")" "$(cpu_of $$)"
}

# Publishes one BackupRequested (its requestedAt: now) and checks the broker routed it: publish_request RUN_ID SOURCE
publish_request() {
  local response
  response=$(publish_message "$WORK/rabbitmq.curl" BackupRequested \
    "{\"runId\":\"$1\",\"source\":\"$2\",\"requestedAt\":\"$(now_utc)\",\"requestedBy\":\"load.sh\"}") || true
  [[ $response == *'"routed":true'* ]] || printf '%s %s: %s\n' "$1" "$2" "$response" >>"$WORK/unrouted"
}

# Every request at once: one publisher per request, all in the background.
publish_all() {
  local r i publishers=()
  log "publishing $REQUESTS BackupRequested ($PER_SOURCE per source) at once"
  for ((r = 1; r <= PER_SOURCE; r++)); do
    for ((i = 1; i <= SOURCES; i++)); do
      publish_request "$(cat /proc/sys/kernel/random/uuid)" "$(source_name "$i")" &
      publishers+=($!)
    done
  done
  wait "${publishers[@]}" # not the services, also this shell's children
  [[ ! -s $WORK/unrouted ]] || { cat "$WORK/unrouted" >&2; die "$(wc -l <"$WORK/unrouted") requests were not routed"; }
}

readonly FINAL_STATES="'Completed', 'Delivered', 'Failed', 'TimedOut', 'Expired'"
await_final() {
  local final deadline=$((SECONDS + DEADLINE)) said=$SECONDS
  while :; do
    final=$(query "SELECT count(*) FROM backup_runs WHERE current_state IN ($FINAL_STATES)")
    ((final >= REQUESTS)) && break
    ((SECONDS < deadline)) || die "after ${DEADLINE}s only $final of $REQUESTS runs are final (logs: $WORK/logs)"
    if ((SECONDS - said >= 15)); then log "$final of $REQUESTS runs final"; said=$SECONDS; fi
    sleep 1
  done
}

# ---------------------------------------------------------------------------------------------
# Checks and figures
# ---------------------------------------------------------------------------------------------

# Each run's dump: its run, source, when BackupStarted says it started, and when its job finished.
readonly DUMPS_SQL="SELECT r.correlation_id AS run, r.source, r.started_at AS began, j.finished_at AS ended
  FROM backup_runs r JOIN jobs j ON j.kind = 'dump' AND j.key = replace(r.correlation_id::text, '-', '')"

check_catalog() {
  check "$REQUESTS runs in the catalog, all Completed" "$(query "
    SELECT 'runs: ' || count(*) FROM backup_runs HAVING count(*) <> $REQUESTS
    UNION ALL SELECT correlation_id || ' is ' || current_state || coalesce(' (' || failure_code || ')', '')
      FROM backup_runs WHERE current_state NOT IN ('Completed', 'Delivered')" 2>&1)"
  check "each run entered Completed once" "$(query "
    SELECT r.correlation_id || ': ' || count(t.id) || ' transitions to Completed' FROM backup_runs r
      LEFT JOIN backup_run_transitions t ON t.run_id = r.correlation_id AND t.to_state = 'Completed'
      GROUP BY r.correlation_id HAVING count(t.id) <> 1")"
  check "one dump job per run, finished after one attempt" "$(query "
    SELECT r.correlation_id || ': ' || count(j.key) || ' jobs, states ' || string_agg(j.state || '/' || j.attempts, ',')
      FROM backup_runs r LEFT JOIN jobs j ON j.kind = 'dump' AND j.key = replace(r.correlation_id::text, '-', '')
      GROUP BY r.correlation_id HAVING count(j.key) <> 1 OR bool_or(j.state <> 'finished' OR j.attempts <> 1 OR j.finished_at IS NULL)
    UNION ALL SELECT correlation_id || ': ' || attempts || ' attempts counted' FROM backup_runs WHERE attempts <> 1")"
  check "no two dumps of one source at a time" "$(query "
    WITH d AS ($DUMPS_SQL)
    SELECT a.source || ': ' || a.run || ' [' || a.began || ', ' || a.ended || '] overlaps ' || b.run || ' [' || b.began || ', ' || b.ended || ']'
      FROM d a JOIN d b ON a.source = b.source AND a.run < b.run AND a.began < b.ended AND b.began < a.ended")"
  PARALLEL=$(query "WITH d AS ($DUMPS_SQL) SELECT max((SELECT count(*) FROM d o WHERE o.began <= d.began AND d.began < o.ended)) FROM d")
  check "at most and at best $EXPECTED_PARALLEL dumps at once (min(sources, 2 dumpers x $DUMPS_PER_DUMPER))" \
    "$( ((PARALLEL == EXPECTED_PARALLEL)) || echo "the most at once was $PARALLEL")"
}


# One artifact per run beside its manifest, with the manifest's and the catalog's SHA-256, under the catalog's key.
check_store() {
  local problems="" run key sha files manifest artifact
  while read -r run key sha; do
    files=$(find "$WORK/store" -type f -name "*-${run//-/}.*" | sort)
    manifest=$(grep '\.manifest\.json$' <<<"$files" || true)
    artifact=$(grep -v '\.manifest\.json$' <<<"$files" || true)
    if [[ $(wc -l <<<"$manifest") != 1 || -z $manifest || $(wc -l <<<"$artifact") != 1 || -z $artifact ]]; then
      problems+="$run: $(wc -w <<<"$files") files in the store"$'\n'
      continue
    fi
    [[ $(json_string "$manifest" artifactKey) == "$key" && $WORK/store/$key == "$artifact" ]] ||
      problems+="$run: the catalog's key $key, the manifest's $(json_string "$manifest" artifactKey), stored $artifact"$'\n'
    [[ $(sha256sum <"$artifact" | cut -d' ' -f1) == "$sha" && $(json_string "$manifest" sha256) == "$sha" ]] ||
      problems+="$run: the artifact's SHA-256 is not the manifest's and the catalog's $sha"$'\n'
  done < <(query "SELECT correlation_id, coalesce(artifact_key, '-'), coalesce(sha256, '-') FROM backup_runs")
  check "one artifact per run, its SHA-256 its manifest's and the catalog's" "${problems%$'\n'}"
}

print_figures() { # print_figures T0 CPU_BEFORE CPU_AFTER
  local t0=$1 wall
  echo
  echo "load: $REQUESTS requests over $SOURCES sources, 2 dumpers x $DUMPS_PER_DUMPER dumps at once"
  # Wall: the first publication to the last run recorded Completed; ideal: the dumps' summed durations / the concurrency.
  query "
    WITH d AS (SELECT extract(epoch FROM completed_at - started_at) AS dump FROM backup_runs),
         w AS (SELECT extract(epoch FROM max(at)) - $t0 AS wall FROM backup_run_transitions WHERE to_state = 'Completed')
    SELECT round(w.wall::numeric, 2), round(sum(d.dump)::numeric, 2), round((sum(d.dump) / $CONCURRENCY)::numeric, 2),
           round((w.wall / (sum(d.dump) / $CONCURRENCY))::numeric, 2), round((sum(d.dump) / count(*))::numeric, 3)
      FROM d, w GROUP BY w.wall" |
    while read -r wall sum ideal ratio mean; do
      printf '  wall (first request published -> last run Completed)  %8s s\n' "$wall"
      printf '  ideal (sum of the %s dumps %s s / %s at once)        %8s s   (mean dump %s s)\n' "$REQUESTS" "$sum" "$CONCURRENCY" "$ideal" "$mean"
      printf '  wall / ideal                                           %8s\n' "$ratio"
    done
  # Per run, s: overhead = (Completed recorded - requestedAt) - the dump; its parts: before the dump (queued behind the
  # source's earlier dumps and the busy slots, then claimed) and after it (BackupCompleted to the catalog's row).
  echo "  per run, s                  p50      p95      max"
  query "
    WITH r AS (SELECT extract(epoch FROM t.at - r.requested_at) - extract(epoch FROM r.completed_at - r.started_at) AS overhead,
                      extract(epoch FROM r.started_at - r.requested_at) AS before, extract(epoch FROM t.at - r.completed_at) AS after
                 FROM backup_runs r JOIN backup_run_transitions t ON t.run_id = r.correlation_id AND t.to_state = 'Completed')
    SELECT 'overhead', percentile_cont(0.5) WITHIN GROUP (ORDER BY overhead), percentile_cont(0.95) WITHIN GROUP (ORDER BY overhead), max(overhead) FROM r
    UNION ALL SELECT 'before-dump', percentile_cont(0.5) WITHIN GROUP (ORDER BY before), percentile_cont(0.95) WITHIN GROUP (ORDER BY before), max(before) FROM r
    UNION ALL SELECT 'after-dump', percentile_cont(0.5) WITHIN GROUP (ORDER BY after), percentile_cont(0.95) WITHIN GROUP (ORDER BY after), max(after) FROM r" |
    while read -r name p50 p95 max; do printf '  %-22s %8.3f %8.3f %8.3f\n' "$name" "$p50" "$p95" "$max"; done
  read -r -a before <<<"$2"
  read -r -a after <<<"$3"
  awk -v b="${before[*]}" -v a="${after[*]}" 'BEGIN {
    split(b, x, " "); split(a, y, " "); for (i = 1; i <= 5; i++) d[i] = y[i] - x[i]
    printf "  CPU, s: dumpers %.2f (with their pg_dumps); the rest %.2f: catalog %.2f, PostgreSQL %.2f, RabbitMQ %.2f, load.sh (curl, psql) %.2f\n",
      d[1], d[2] + d[3] + d[4] + d[5], d[2], d[3], d[4], d[5] }'
  printf '  machine: %s cores, load average %s\n' "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

main() {
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/backup-load.XXXXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  mkdir -p "$WORK/logs" "$WORK/store"
  build_backup_sln
  start_infra
  service_environment
  prepare_catalog
  seed_sources
  launch_service catalog Backup.Catalog catalog
  launch_service dumper-a Backup.Dumper dumper
  launch_service dumper-b Backup.Dumper dumper

  local cpu0 cpu1 t0
  cpu0=$(cpu_sample)
  t0=$(date +%s.%N)
  publish_all
  log "published in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s; waiting for every run to be final (deadline ${DEADLINE}s)"
  await_final
  cpu1=$(cpu_sample)

  echo
  echo "checks:"
  check_catalog
  check_store
  print_figures "$t0" "$cpu0" "$cpu1"
  ((${#FAILURES[@]} == 0)) || die "${#FAILURES[@]} checks failed: $(printf '%s; ' "${FAILURES[@]}")"
}

main
