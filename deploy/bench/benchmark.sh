#!/usr/bin/env bash
# Measures the dumper's streaming pipeline against stock tools on a seeded database.
#
#   benchmark.sh [--scale N] [--runs N] [--keep]
#   benchmark.sh --memory-runs N [--memory-env 'VAR=VALUE ...']... [--scale N] [--keep]
#   benchmark.sh --idle-memory [--idle SECONDS] [--target-mib N] [--running] [--keep]
#   benchmark.sh --load [--requests N] [--sources N] [--keep]
#
#   --scale N   pgbench scale of the seeded database (default 60: about 1.2 GB; 8: about 160 MB; 1: about 20 MB).
#               Several, comma-separated (--scale 1,8,60), run one after the other, and a line per scale ends the output.
#               The documents table grows with it: 5,000 rows per unit (300,000 at 60).
#   --runs N    how many times each variant runs, round-robin (default 3); the table shows the
#               median wall and CPU time and the highest peak RSS.
#   --keep      leave the temporary folder, the databases and RabbitMQ/PostgreSQL running at the end
#               (the script prints how to stop them).
#   --memory-runs N  only the dumper's memory: N backups through one service process (and N more with
#               encryption), printing after each its VmHWM, VmRSS and where the resident memory is
#               (glibc's main arena, other anonymous memory, mapped files), and the same at the largest
#               of samples taken every 0.2 s during the backup. Each --memory-env adds a variant run
#               the same way with those variables set (e.g. 'DOTNET_gcServer=0').
#   --idle-memory    only the memory of the idle local stack: each service's RSS, private memory and PSS after
#               start and after an idle spell, against the 80 MiB target (deploy/bench/idle-memory.sh, its options).
#   --load      only the load benchmark: 200 backup requests over 20 sources at once through the catalog and two
#               dumpers, checked and timed (deploy/bench/load.sh, its options).
#
# It starts its own RabbitMQ + PostgreSQL 15 (deploy/local/infra.sh), builds the solution in Release,
# seeds a database, then times with /usr/bin/time (wall, user+sys CPU, peak RSS) and sizes:
# pg_dump -Fc; pg_dump -Fc -Z0; pg_dump -Fc -Z0 | zstd -3 -T2 | tee | sha256sum; the real dumper
# service answering one BackupRequested (and the same with encryption); createdb + pg_restore -j2 of
# the -Fc file against the dumper's artifact restored with stock tools, by the real restorer service
# answering one RestoreRequested, and by backupctl (published, a fresh process). It prints one
# table and the targets with PASS/FAIL. It exits 0 when everything ran, whatever the targets say;
# non-zero only when something broke.
#
# The dumper inherits this script's environment, so its settings can be varied from outside, e.g.
#   Dumper__CompressionThreads=0 Dumper__CompressionLevel=1 deploy/bench/benchmark.sh --scale 8
# (Dumper__*, DOTNET_gc* and DOTNET_TC_* variables in effect are printed in the header; MALLOC_ARENA_MAX defaults to 2, as deployed).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
INFRA="$REPO/deploy/local/infra.sh"
# shellcheck source=deploy/local/common.sh
. "$REPO/deploy/local/common.sh"
# shellcheck source=deploy/bench/common.sh
. "$SCRIPT_DIR/common.sh"

readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly DB=bench
readonly SOURCE_ROLE=bench_backup
readonly READY_TIMEOUT=90
readonly STOP_TIMEOUT=30
# pg_restore's options for every restore below, so that they differ only in how the archive arrives.
readonly RESTORE_FLAGS=(--no-owner --no-privileges --clean --if-exists --exit-on-error)

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

SCALE=60
RUNS=3
KEEP=0
MEMORY_RUNS=0
MEMORY_VARIANTS=("")
WORK=""
SERVICE_PID=""
FAILED_STEPS=()

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
  printf '[bench] error: %s\n' "$*" >&2
  exit 1
}

usage() {
  sed -n '4,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

# publish_programs DIR: backupctl, the dumper and the restorer published in Release, each in DIR/<project folder>:
# backupctl as the README installs it on a recovery machine (one native executable, compiled ahead of time with the
# runtime inside: tools/Backup.Ctl/Backup.Ctl.csproj), the services with the options of deploy/docker/Service.Dockerfile
# (framework-dependent ReadyToRun for this machine).
publish_programs() {
  local dir=$1 project options
  mkdir -p "$dir"
  log "publishing backupctl (native), the dumper and the restorer (ReadyToRun): Release, as they ship"
  for project in tools/Backup.Ctl services/Backup.Dumper services/Backup.Restorer; do
    options=()
    [[ $project == tools/Backup.Ctl ]] || options=(-p:SelfContained=false -p:UseAppHost=false)
    (cd "$REPO" && dotnet publish "$project" -c Release "${options[@]}" -o "$dir/${project#*/}" -nologo -v q -clp:ErrorsOnly \
      </dev/null >>"$dir/publish.log" 2>&1) || {
      tail -n 40 "$dir/publish.log" >&2
      die "dotnet publish of $project failed"
    }
  done
}

# run_scales SCALES ARGS...: --scale 1,8,60 runs this script once per scale (each its own infra and database; the build
# once), then prints one line per scale with the targets' figures (from BENCH_SUMMARY_FILE).
run_scales() {
  local scales=$1 scale summary rc=0
  shift
  summary=$(mktemp "${TMPDIR:-/tmp}/backup-bench-summary.XXXXXXXX")
  local published
  published=$(mktemp -d "${TMPDIR:-/tmp}/backup-bench-published.XXXXXXXX")
  if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    log "building Backup.sln (Release)"
    (cd "$REPO" && dotnet build Backup.sln -c Release -nologo -v q -clp:ErrorsOnly </dev/null >/dev/null) || die "build failed"
  fi
  [[ -n ${BENCH_PUBLISHED_DIR:-} ]] || publish_programs "$published"
  for scale in ${scales//,/ }; do
    log "scale $scale (of $scales)"
    BENCH_NO_BUILD=1 BENCH_PUBLISHED_DIR=${BENCH_PUBLISHED_DIR:-$published} BENCH_SUMMARY_FILE=$summary \
      bash "${BASH_SOURCE[0]}" --scale "$scale" "$@" || rc=$?
  done
  rm -rf "$published"
  echo
  echo "all scales (medians; wall/Z0 = wall / pg_dump -Fc -Z0's; CPU/stock = CPU / the stock pipeline's; latencies in s):"
  printf '%-6s %9s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n' scale "DB MB" "Z0 s" "dump s" "dump CPU" "wall/Z0" "CPU/stk" "enc/Z0" \
    "rst/j2" "ctl/j2" "pub>st" "man>cpl"
  cat "$summary"
  rm -f "$summary"
  return "$rc"
}

OTHER_ARGS=()
while (($#)); do
  [[ $1 != --scale ]] && OTHER_ARGS+=("$1")
  case $1 in
    --scale)
      [[ ${2:-} =~ ^[1-9][0-9]{0,3}(,[1-9][0-9]{0,3})*$ ]] || die "--scale takes whole numbers from 1 to 9999, comma-separated (e.g. 1,8,60)"
      SCALE=$2
      shift 2
      ;;
    --runs)
      [[ ${2:-} =~ ^[1-9]$ ]] || die "--runs takes a whole number from 1 to 9"
      RUNS=$2
      OTHER_ARGS+=("$2")
      shift 2
      ;;
    --keep) KEEP=1; shift ;;
    --memory-runs)
      [[ ${2:-} =~ ^[1-9][0-9]?$ ]] || die "--memory-runs takes a whole number from 1 to 99"
      MEMORY_RUNS=$2
      OTHER_ARGS+=("$2")
      shift 2
      ;;
    --memory-env)
      [[ ${2:-} =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || die "--memory-env takes 'VAR=VALUE ...'"
      MEMORY_VARIANTS+=("$2")
      OTHER_ARGS+=("$2")
      shift 2
      ;;
    --idle-memory) shift; exec bash "$SCRIPT_DIR/idle-memory.sh" "$@" ;; # the idle stack's memory: see idle-memory.sh
    --load) shift; exec bash "$SCRIPT_DIR/load.sh" "$@" ;;                # many requests at once: see load.sh
    -h | --help) usage ;;
    *) usage ;;
  esac
done
if [[ $SCALE == *,* ]]; then
  run_scales "$SCALE" "${OTHER_ARGS[@]}"
  exit
fi
readonly DOC_ROWS=$((5000 * SCALE))

# ---------------------------------------------------------------------------------------------
# Setup and teardown
# ---------------------------------------------------------------------------------------------

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else die "need root (or sudo) for: $*"; fi
}

ensure_tools() {
  local missing=()
  [[ -x /usr/bin/time ]] || missing+=(time)
  command -v zstd >/dev/null 2>&1 || missing+=(zstd)
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  [[ -x $PG_BIN/pgbench ]] || missing+=(postgresql-contrib-15 postgresql-client-15)
  ((${#missing[@]} == 0)) && return 0
  log "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  command -v dotnet >/dev/null 2>&1 || die "dotnet (the .NET 10 SDK) is not on PATH"
}

stop_service() {
  [[ -n $SERVICE_PID ]] || return 0
  if pid_alive "$SERVICE_PID"; then
    kill -TERM "$SERVICE_PID" 2>/dev/null || true
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while pid_alive "$SERVICE_PID" && ((SECONDS < deadline)); do sleep 0.2; done
    if pid_alive "$SERVICE_PID"; then kill -KILL "$SERVICE_PID" 2>/dev/null || true; fi
  fi
  wait "$SERVICE_PID" 2>/dev/null || true
  SERVICE_PID=""
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_service
  [[ -n $WORK && -d $WORK ]] || exit "$rc"
  if ((KEEP)); then
    log "kept $WORK; RabbitMQ and PostgreSQL are still running (connection in $WORK/infra/infra.env, passwords in $WORK/pgpass)"
    log "stop and remove them with: $INFRA down $WORK/infra && rm -rf $WORK"
  else
    bash "$INFRA" down "$WORK/infra" >/dev/null 2>&1 || log "infra.sh down failed; check $WORK/infra"
    rm -rf "$WORK"
  fi
  exit "$rc"
}

check_disk() {
  local need_mb avail_mb
  # Source database, an -Fc file, a -Z0 file, zstd files, one restored copy and a decompressed archive at a time.
  need_mb=$((SCALE * 110 + 1500))
  avail_mb=$(df -Pm "$WORK" | awk 'NR == 2 { print $4 }')
  log "disk: ${avail_mb} MB free where $WORK is; this run needs about ${need_mb} MB"
  ((avail_mb >= need_mb)) || die "not enough free disk space under $(dirname "$WORK"): ${avail_mb} MB free, about ${need_mb} MB needed"
}

start_infra() {
  log "starting RabbitMQ and PostgreSQL 15 (deploy/local/infra.sh up $WORK/infra)"
  bash "$INFRA" up "$WORK/infra" 2>"$WORK/logs/infra.log" || {
    tail -n 30 "$WORK/logs/infra.log" >&2
    die "infra.sh up failed"
  }
  # shellcheck disable=SC1091
  . "$WORK/infra/infra.env"
  SOURCE_PASSWORD=$(random_alnum 32)
  (umask 077 && cat >"$WORK/pgpass") <<EOF
127.0.0.1:$BACKUP_PG_PORT:*:$BACKUP_PG_USER:$BACKUP_PG_PASSWORD
127.0.0.1:$BACKUP_PG_PORT:*:$SOURCE_ROLE:$SOURCE_PASSWORD
EOF
  chmod 0600 "$WORK/pgpass"
  (umask 077 && printf 'user = "%s:%s"\n' "$BACKUP_RABBITMQ_USER" "$BACKUP_RABBITMQ_PASSWORD" >"$WORK/rabbitmq.curl")
  chmod 0600 "$WORK/rabbitmq.curl"
  # Client programs get the connection from the environment and the passwords from the 0600 PGPASSFILE.
  PG_ENV=(PGHOST=127.0.0.1 PGPORT="$BACKUP_PG_PORT" PGUSER="$BACKUP_PG_USER" PGPASSFILE="$WORK/pgpass"
    PGCONNECT_TIMEOUT=10 PGOPTIONS="-c client_min_messages=warning")
}

build_solution() {
  build_backup_sln
  # backupctl, the dumper and the restorer as they ship (publish_programs), or as already published in
  # BENCH_PUBLISHED_DIR (--scale 1,8,60 publishes them once).
  local published=${BENCH_PUBLISHED_DIR:-$WORK/published}
  [[ -n ${BENCH_PUBLISHED_DIR:-} ]] || publish_programs "$published"
  BACKUPCTL="$published/Backup.Ctl/backupctl"
  DUMPER_DLL="$published/Backup.Dumper/Backup.Dumper.dll"
  RESTORER_DLL="$published/Backup.Restorer/Backup.Restorer.dll"
  local dll
  for dll in "$BACKUPCTL" "$DUMPER_DLL" "$RESTORER_DLL"; do [[ -f $dll ]] || die "$dll not found (published programs)"; done
}

# The dumper keeps its dump jobs (claims, heartbeats, retry timers) in the catalog database: one migrated here, each
# service logging in to it and to the broker as its own user, as deployed (catalog_database_sql, service_identity).
prepare_catalog() {
  local secrets="$WORK/secrets-migrator"
  catalog_database_sql bench_catalog | psql_as "$BACKUP_PG_USER" postgres >/dev/null
  create_service_broker_users
  mkdir -p "$secrets"
  chmod 0700 "$secrets"
  service_identity migrator "$secrets" bench_catalog
  log "migrating the catalog database (Backup.Migrator)"
  (cd "$WORK" && exec env DOTNET_ENVIRONMENT=Production RabbitMq__Host=127.0.0.1 RabbitMq__Port="$BACKUP_RABBITMQ_PORT" \
    RabbitMq__Username=backup-migrator RabbitMq__VirtualHost=/ BACKUP_SECRETS_DIR="$secrets" "${MIGRATOR_ROLE_SETTINGS[@]}" \
    dotnet "$REPO/services/Backup.Migrator/bin/Release/net10.0/Backup.Migrator.dll" </dev/null >"$WORK/logs/migrator.log" 2>&1) || {
    tail -n 30 "$WORK/logs/migrator.log" >&2
    die "the migrator failed"
  }
}

pg() { env "${PG_ENV[@]}" "$@"; }
psql_as() { # psql_as USER DATABASE ARGS...  (SQL on stdin or through -c)
  pg "$PG_BIN/psql" -X -q -w -v ON_ERROR_STOP=1 -U "$1" -d "$2" "${@:3}"
}
scalar() { psql_as "$BACKUP_PG_USER" "$1" -A -t -c "$2"; }

# ---------------------------------------------------------------------------------------------
# The database
# ---------------------------------------------------------------------------------------------

seed_database() {
  local started=$SECONDS
  log "seeding database '$DB': pgbench -i -s $SCALE, then $DOC_ROWS documents"
  psql_as "$BACKUP_PG_USER" postgres <<EOF
CREATE ROLE $SOURCE_ROLE LOGIN PASSWORD '$SOURCE_PASSWORD';
CREATE DATABASE $DB;
EOF
  pg "$PG_BIN/pgbench" -i -q -s "$SCALE" -U "$BACKUP_PG_USER" "$DB" >"$WORK/logs/pgbench.log" 2>&1 || {
    tail -n 20 "$WORK/logs/pgbench.log" >&2
    die "pgbench -i failed"
  }
  # Documents: a few hundred bytes of prose from a vocabulary, a jsonb document of a few keys, a hash.
  psql_as "$BACKUP_PG_USER" "$DB" >"$WORK/logs/seed.log" 2>&1 <<EOF || { cat "$WORK/logs/seed.log" >&2; die "seeding the documents table failed"; }
CREATE TABLE documents (
    id          bigint PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    customer    text NOT NULL,
    title       text NOT NULL,
    body        text NOT NULL,
    attributes  jsonb NOT NULL
);
CREATE TEMP TABLE vocabulary AS
SELECT string_to_array('invoice order customer payment shipment delivered pending refund account balance '
    || 'warehouse carrier tracking address street city postal region priority standard express return '
    || 'damaged replaced quantity discount coupon subscription renewal monthly annual contract signed '
    || 'reviewed approved rejected escalated support ticket resolved the a of to and for with on in '
    || 'was is has been will please thank you regards team update status note request received', ' ') AS w;
INSERT INTO documents
SELECT i,
       timestamptz '2024-01-01 00:00:00+00' + i * interval '97 seconds',
       'customer-' || lpad((i::bigint * 7919 % 20000)::text, 5, '0'),
       initcap(v.w[1 + (i % 23)]) || ' ' || v.w[1 + (i * 31 % array_length(v.w, 1))] || ' #' || i,
       array_to_string(ARRAY(
           SELECT v.w[1 + floor(random() * array_length(v.w, 1))::int]
           FROM generate_series(1, 35 + i % 40)), ' ')
         || '. Reference ' || md5(i::text) || '.',
       jsonb_build_object(
           'sku', 'SKU-' || (i % 4999),
           'status', (ARRAY['new', 'paid', 'shipped', 'delivered', 'returned'])[1 + i % 5],
           'quantity', 1 + i % 17,
           'price', round((random() * 500)::numeric, 2),
           'currency', (ARRAY['EUR', 'USD', 'GBP'])[1 + i % 3],
           'tags', jsonb_build_array(v.w[1 + i % 50], v.w[1 + i * 3 % 50]),
           'shipping', jsonb_build_object('carrier', (ARRAY['dhl', 'ups', 'fedex', 'post'])[1 + i % 4],
                                          'postal', lpad((i::bigint * 104729 % 99999)::text, 5, '0')),
           'note', array_to_string(ARRAY(
               SELECT v.w[1 + floor(random() * array_length(v.w, 1))::int]
               FROM generate_series(1, 8 + i % 12)), ' '))
FROM generate_series(1, $DOC_ROWS) AS i, vocabulary AS v;
CREATE INDEX documents_customer ON documents (customer);
GRANT SELECT ON ALL TABLES IN SCHEMA public TO $SOURCE_ROLE;
EOF
  psql_as "$BACKUP_PG_USER" "$DB" -c 'VACUUM (ANALYZE)' -c 'CHECKPOINT' >>"$WORK/logs/seed.log" 2>&1 ||
    { cat "$WORK/logs/seed.log" >&2; die "VACUUM/CHECKPOINT failed"; }
  # Autovacuum would otherwise wake up on every freshly restored database and land in the next measurement.
  psql_as "$BACKUP_PG_USER" postgres -c 'ALTER SYSTEM SET autovacuum = off' -c 'SELECT pg_reload_conf()' >>"$WORK/logs/seed.log" 2>&1 ||
    { cat "$WORK/logs/seed.log" >&2; die "could not turn autovacuum off"; }
  DB_BYTES=$(scalar "$DB" "SELECT pg_database_size('$DB')")
  ACCOUNTS_ROWS=$(scalar "$DB" 'SELECT count(*) FROM pgbench_accounts')
  DOCUMENTS_ROWS=$(scalar "$DB" 'SELECT count(*) FROM documents')
  log "seeded in $((SECONDS - started))s: $(mb "$DB_BYTES") MB ($(scalar "$DB" "SELECT pg_size_pretty(pg_database_size('$DB'))")), pgbench_accounts $ACCOUNTS_ROWS rows, documents $DOCUMENTS_ROWS rows"
}

# ---------------------------------------------------------------------------------------------
# Measurements: WALL, CPU, RSS (MB), SIZE (bytes) per variant
# ---------------------------------------------------------------------------------------------

declare -A WALL CPU RSS SIZE NOTE

# The waits inside a measured run poll without starting a process (each fork and exec of find, grep, cat or sleep
# costs a few ms of CPU, and at 10 polls a second that was most of the "other programs" CPU of a dumper run):
# pause sleeps with bash's own read -t on a FIFO nobody writes to; alive reads /proc with builtins.
pause() { read -r -t "$1" -u "$PAUSE_FD" _ || true; }
alive() { # alive PID: running and not a zombie, without a fork
  local stat
  [[ -n ${1:-} && -r /proc/$1/stat ]] || return 1
  read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

# ---- the machine is shared: what else ran, and what the PostgreSQL server spent --------------

HZ=$(getconf CLK_TCK)
readonly HZ
QUIET_WAITED=0
QUIET_GAVE_UP=0

# machine_sample -> "busy total" CPU seconds of the whole machine so far (/proc/stat; busy leaves out idle and iowait)
machine_sample() { awk -v hz="$HZ" 'NR == 1 { printf "%.2f %.2f\n", ($2 + $3 + $4 + $7 + $8 + $9) / hz, ($2 + $3 + $4 + $5 + $6 + $7 + $8 + $9) / hz; exit }' /proc/stat; }

# server_cpu -> CPU seconds of the PostgreSQL server so far: the postmaster, its live children, and the
# children it has reaped (backends that have exited: cutime + cstime of the postmaster).
server_cpu() {
  local pm p
  pm=$(head -n 1 "$WORK/infra/pg/data/postmaster.pid")
  {
    sed 's/^.*) /P /' "/proc/$pm/stat"
    for p in $(pgrep -P "$pm"); do sed 's/^.*) /C /' "/proc/$p/stat" 2>/dev/null || true; done
  } | awk -v hz="$HZ" '{ t += $13 + $14; if ($1 == "P") t += $15 + $16 } END { printf "%.2f\n", t / hz }'
}

# wait_for_quiet: before a run, wait (up to QUIET_TIMEOUT seconds in all) until the machine is nearly idle,
# so that another program's build or tests do not land in the measurement.
readonly QUIET_TIMEOUT=${BENCH_QUIET_TIMEOUT:-900}
wait_for_quiet() {
  local b0 t0 b1 t1 said=0
  while :; do
    read -r b0 t0 < <(machine_sample)
    sleep 2
    read -r b1 t1 < <(machine_sample)
    awk -v b="$(awk -v x="$b0" -v y="$b1" 'BEGIN { print y - x }')" -v t="$(awk -v x="$t0" -v y="$t1" 'BEGIN { print y - x }')" \
      'BEGIN { exit !(t > 0 && b / t < 0.10) }' && break
    if ((QUIET_WAITED >= QUIET_TIMEOUT)); then
      ((QUIET_GAVE_UP)) || log "the machine is still busy after ${QUIET_TIMEOUT}s of waiting in all; measuring anyway from now on"
      QUIET_GAVE_UP=1
      return 0
    fi
    ((said)) || log "the machine is busy (another program is using the CPU); waiting for it to go quiet"
    said=1
    QUIET_WAITED=$((QUIET_WAITED + 2))
  done
}

# proc_snapshot -> one line per process: "pid:starttime ppid name cpu_seconds cpu_with_children" (utime+stime, and
# that plus its reaped children's). Two processes in all (cat and awk), so that taking it costs the next run's figures
# next to nothing.
proc_snapshot() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v hz="$HZ" '
    NF == 0 { next }
    {
      lp = index($0, "("); rp = 0
      for (k = length($0); k > lp; k--) if (substr($0, k, 1) == ")") { rp = k; break }
      pid = substr($0, 1, lp - 2); name = substr($0, lp + 1, rp - lp - 1); gsub(/[ :]/, "_", name)
      split(substr($0, rp + 2), f, " ")
      printf "%s:%s %s %s %.2f %.2f\n", pid, f[20], f[2], name, (f[12] + f[13]) / hz, (f[12] + f[13] + f[14] + f[15]) / hz
    }'
}

# others_by_process BEFORE AFTER CLIENT_CPU -> "name:seconds,..." of the processes outside the measurement that used
# CPU between the snapshots (the six largest of 0.05 s or more; a dotnet process named by its .dll, e.g.
# dotnet:MSBuild.dll): each process's own CPU (a child it reaped meanwhile would bring the child's whole life's CPU,
# so a process that both started and ended during the run is not seen); the measured service (SERVICE_PID) and the
# PostgreSQL server's processes are left out; this script's own figure includes its reaped children (its polling, and
# /usr/bin/time with the measured pipeline, less CLIENT_CPU when the measured command was its child: MEASURED_CHILD=1).
others_by_process() {
  local pm pid name used arg
  pm=$(head -n 1 "$WORK/infra/pg/data/postmaster.pid")
  awk -v self="$$" -v service="${SERVICE_PID:-0}" -v pm="$pm" -v client="$3" -v child="${MEASURED_CHILD:-0}" '
    NR == FNR { before[$1] = $4; family[$1] = $5; next }
    {
      pid = $1; sub(/:.*/, "", pid)
      if (pid == service || pid == pm || $2 == pm || $2 == service) next
      d = $4 - (($1 in before) ? before[$1] : 0)
      name = $3
      if (pid == self) { name = "benchmark.sh"; d = $5 - family[$1]; if (child) d -= client }
      if (d >= 0.01) printf "%s %s %.2f\n", pid, name, d
    }' "$1" "$2" |
    while read -r pid name used; do
      if [[ $name == dotnet ]]; then
        local args=()
        mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || true
        for arg in "${args[@]}"; do
          if [[ $arg == *.dll ]]; then name="dotnet:${arg##*/}"; break; fi
        done
      fi
      printf '%s %s\n' "$name" "$used"
    done |
    awk '{ used[$1] += $2 } END { for (n in used) if (used[n] >= 0.05) printf "%.2f %s\n", used[n], n }' |
    sort -rn | head -n 6 | awk '{ printf "%s%s:%s", sep, $2, $1; sep = "," }'
}

# Before each run: a CHECKPOINT and a sync, so that no run pays for writing out what the one before it left
# dirty (the restores write over 2 GB each), then a quiet machine.
begin_sample() {
  psql_as "$BACKUP_PG_USER" postgres -c CHECKPOINT >/dev/null
  sync
  wait_for_quiet
  proc_snapshot >"$WORK/procs.before"
  read -r SAMPLE_BUSY _ < <(machine_sample)
  SAMPLE_SERVER=$(server_cpu)
}
# end_sample CLIENT_CPU -> sets SERVER_CPU (the server's CPU over the run) and OTHER_CPU (what the rest
# of the machine used over the run: busy - client - server; RabbitMQ and this script are in it too)
end_sample() {
  local busy server
  read -r busy _ < <(machine_sample)
  server=$(server_cpu)
  SERVER_CPU=$(awk -v a="$SAMPLE_SERVER" -v b="$server" 'BEGIN { printf "%.2f", b - a }')
  OTHER_CPU=$(awk -v a="$SAMPLE_BUSY" -v b="$busy" -v c="$1" -v s="$SERVER_CPU" 'BEGIN { o = b - a - c - s; printf "%.2f", o < 0 ? 0 : o }')
  proc_snapshot >"$WORK/procs.after"
  OTHER_PROCESSES=$(others_by_process "$WORK/procs.before" "$WORK/procs.after" "$1")
}

# Every run of a variant appends "wall cpu rss_mb server_cpu other_cpu" to WORK/runs.NAME; summarize()
# makes the table's values from them: the median wall, CPU and server CPU, the highest peak RSS.
record_run() { # record_run NAME WALL CPU RSS_MB   (after end_sample)
  local noisy=""
  printf '%s %s %s %s %s %s\n' "$2" "$3" "$4" "$SERVER_CPU" "$OTHER_CPU" "${OTHER_PROCESSES:--}" >>"$WORK/runs.$1"
  awk -v o="$OTHER_CPU" -v w="$2" -v n="$(nproc)" 'BEGIN { exit !(o > 0.1 * w * n) }' && noisy=" (other programs used ${OTHER_CPU} s of CPU meanwhile)"
  log "$1 (run $(wc -l <"$WORK/runs.$1")/$RUNS): $2 s wall, $3 s CPU, $4 MB peak RSS; PostgreSQL server $SERVER_CPU s CPU$noisy"
}
median_of() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
declare -A SERVER OTHER
summarize() { # summarize NAME
  local f="$WORK/runs.$1"
  WALL[$1]=$(awk '{ print $1 }' "$f" | median_of)
  CPU[$1]=$(awk '{ print $2 }' "$f" | median_of)
  RSS[$1]=$(awk '{ print $3 }' "$f" | sort -g | tail -n 1)
  SERVER[$1]=$(awk '{ print $4 }' "$f" | median_of)
  OTHER[$1]=$(awk '{ print $5 }' "$f" | median_of)
}
# The walls of every run; a run during which other programs used more than 10% of the machine is starred.
runs_of() { awk -v n="$(nproc)" '{ printf "%s%s%s", sep, $1, ($5 > 0.1 * $1 * n ? "*" : ""); sep = " " }' "$WORK/runs.$1"; }

# measure NAME COMMAND...  one run of COMMAND under /usr/bin/time, with the PostgreSQL client environment.
measure() {
  local name=$1 out="$WORK/time.$1"
  shift
  begin_sample
  if ! env "${PG_ENV[@]}" /usr/bin/time -o "$out" -f '%e %U %S %M' "$@" >"$WORK/logs/$name.log" 2>&1; then
    tail -n 20 "$WORK/logs/$name.log" >&2
    die "$name failed: $*"
  fi
  local e u s m cpu
  read -r e u s m < <(tail -n 1 "$out")
  cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')
  MEASURED_CHILD=1 end_sample "$cpu"
  record_run "$name" "$e" "$cpu" "$(awk -v k="$m" 'BEGIN { printf "%.1f", k / 1024 }')"
}

measure_stock_dumps() {
  local r
  log "warming the cache: pg_dump -Fc -Z0 > /dev/null (not timed)"
  pg "$PG_BIN/pg_dump" -U "$SOURCE_ROLE" -Fc -Z0 "$DB" >/dev/null
  for ((r = 1; r <= RUNS; r++)); do
    rm -f "$WORK/fc.dump"
    measure fc "$PG_BIN/pg_dump" -U "$SOURCE_ROLE" -Fc -f "$WORK/fc.dump" "$DB"
    SIZE[fc]=$(stat -c %s "$WORK/fc.dump")

    measure z0 "$PG_BIN/pg_dump" -U "$SOURCE_ROLE" -Fc -Z0 -f "$WORK/z0.dump" "$DB"
    SIZE[z0]=$(stat -c %s "$WORK/z0.dump")
    rm -f "$WORK/z0.dump"

    # shellcheck disable=SC2016 # expanded by the inner bash
    measure stock bash -c 'set -euo pipefail
      "$1" -U "$2" -Fc -Z0 "$3" | zstd -q -3 -T2 | tee "$4" | sha256sum >"$4.sha256"' \
      _ "$PG_BIN/pg_dump" "$SOURCE_ROLE" "$DB" "$WORK/stock.dump.zst"
    SIZE[stock]=$(stat -c %s "$WORK/stock.dump.zst")
    rm -f "$WORK/stock.dump.zst"
  done
  summarize fc
  summarize z0
  summarize stock
}

# ---------------------------------------------------------------------------------------------
# The dumper service
# ---------------------------------------------------------------------------------------------

encryption_available() {
  [[ -d $REPO/libraries/Backup.Storage/Encryption ]] &&
    grep -rqsE 'EncryptionOptions|Encryption(Extensions)?\.|AddArtifactEncryption|AddEncryption' \
      --include='*.cs' "$REPO/services/Backup.Dumper" "$REPO/libraries/Backup.Storage/StorageExtensions.cs"
}

# start_dumper NAME [EXTRA_ENV...]  starts the real service, waits for /health/ready.
start_dumper() {
  local name=$1 port secrets="$WORK/secrets-$1"
  shift
  mkdir -p "$secrets" "$WORK/store-$name"
  chmod 0700 "$secrets" "$WORK/store-$name"
  service_identity dumper "$secrets" bench_catalog
  write_secret "$secrets/Sources__${DB}__Password" "$SOURCE_PASSWORD"
  port=$(free_ports 1)
  local env_vars=(
    DOTNET_ENVIRONMENT=Production
    # As in the Dockerfile and stack.sh: zstd's worker threads otherwise leave their freed buffers in new malloc arenas.
    MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
    RabbitMq__Host=127.0.0.1
    RabbitMq__Port="$BACKUP_RABBITMQ_PORT"
    RabbitMq__Username=backup-dumper
    RabbitMq__VirtualHost=/
    Storage__Root="$WORK/store-$name"
    Dumper__PgBinDirectory="$PG_BIN"
    "Sources__${DB}__Host=127.0.0.1"
    "Sources__${DB}__Port=$BACKUP_PG_PORT"
    "Sources__${DB}__Database=$DB"
    "Sources__${DB}__Username=$SOURCE_ROLE"
    BACKUP_SECRETS_DIR="$secrets"
    ASPNETCORE_URLS="http://127.0.0.1:$port"
  )
  local extra
  for extra in "$@"; do
    case $extra in
      secret:*) extra=${extra#secret:}; write_secret "$secrets/${extra%%=*}" "${extra#*=}" ;;
      *) env_vars+=("$extra") ;;
    esac
  done
  launch_service Backup.Dumper "$DUMPER_DLL" "$WORK/logs/dumper-$name.log" "$port" "${env_vars[@]}"
}

# launch_service SERVICE DLL LOG PORT ENV...: starts the service (SERVICE_PID) and waits for its /health/ready.
launch_service() {
  local service=$1 dll=$2 log_file=$3 port=$4 deadline code
  shift 4
  log "starting $service on 127.0.0.1:$port"
  (cd "$WORK" && exec env "$@" dotnet "$dll" </dev/null >"$log_file" 2>&1) &
  SERVICE_PID=$!
  deadline=$((SECONDS + READY_TIMEOUT))
  while :; do
    pid_alive "$SERVICE_PID" || { tail -n 30 "$log_file" >&2; die "$service exited during startup"; }
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/health/ready" || true)
    [[ $code == 200 ]] && break
    ((SECONDS < deadline)) || { tail -n 30 "$log_file" >&2; die "$service not ready after ${READY_TIMEOUT}s"; }
    sleep 0.3
  done
  [[ $(cat "/proc/$SERVICE_PID/comm") == dotnet ]] || die "pid $SERVICE_PID is $(cat "/proc/$SERVICE_PID/comm"), not dotnet"
}

# proc_cpu PID  ->  "self children" CPU seconds (utime+stime, cutime+cstime: pg_dump once reaped)
proc_cpu() {
  local stat
  stat=$(<"/proc/$1/stat")
  stat=${stat##*) }
  awk -v hz="$HZ" '{ printf "%.2f %.2f\n", ($12 + $13) / hz, ($14 + $15) / hz }' <<<"$stat"
}
proc_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; } # proc_kb PID VmHWM|VmRSS

json_number() { sed -n "s/^  \"$2\": \\([0-9.]*\\),\{0,1\}\$/\\1/p" "$1" | head -n 1; }
epoch() { date -d "$1" +%s.%N; }

publish_backup_requested() { # publish_backup_requested RUN_ID
  publish_message "$WORK/rabbitmq.curl" BackupRequested \
    "{\"runId\":\"$1\",\"source\":\"$DB\",\"requestedAt\":\"$(now_utc)\",\"requestedBy\":\"benchmark.sh\"}"
}

# await_manifest NAME RUN_ID -> the path of the run's manifest, once the dumper has written it.
await_manifest() {
  local name=$1 run_id=$2 found=() polls=0 deadline=$((SECONDS + 600 + 30 * SCALE))
  while :; do
    # store/SOURCE/YYYY/MM/DD/<time>-<run id>.manifest.json, matched by bash itself (no find every 0.1 s).
    found=("$WORK/store-$name/$DB"/*/*/*/*-"${run_id//-/}".manifest.json)
    [[ -e ${found[0]} ]] && break
    polls=$((polls + 1))
    if ((polls % 10 == 0)) && grep -q "failed for run $run_id" "$WORK/logs/dumper-$name.log"; then
      tail -n 30 "$WORK/logs/dumper-$name.log" >&2
      die "the dumper ($name) reports that run $run_id failed"
    fi
    alive "$SERVICE_PID" || { tail -n 30 "$WORK/logs/dumper-$name.log" >&2; die "Backup.Dumper ($name) exited"; }
    ((SECONDS < deadline)) || die "no manifest for run $run_id after $((600 + 30 * SCALE))s (log: $WORK/logs/dumper-$name.log)"
    pause 0.1
  done
  AWAITED_MANIFEST=${found[0]}
}

# run_dumper NAME [EXTRA_ENV...]: RUNS backups, one after the other, through one real service process;
# fills WALL/CPU/RSS/SIZE/NOTE/ARTIFACT[NAME]. Wall is the manifest's completedAt - startedAt; CPU the
# process's utime+stime plus its reaped children's (pg_dump) over the run; peak RSS
# the process's VmHWM after the run (a high-water mark since the process started).
run_dumper() {
  local name=$1 store="$WORK/store-$1" r run_id response t0 t1 deadline manifest previous=""
  local idle_rss idle_hwm self0 kids0 self1 kids1 hwm waits="" selfs="" kids="" hwms=""
  local started completed key raw sha counted format completed_sent queued
  local latency_queue="" latency_claim="" latency_start="" latency_completed=""
  start_dumper "$@"
  listen_for_completions
  sleep 2 # let the idle service settle before the baseline
  idle_rss=$(proc_kb "$SERVICE_PID" VmRSS)
  idle_hwm=$(proc_kb "$SERVICE_PID" VmHWM)

  for ((r = 1; r <= RUNS; r++)); do
    begin_sample
    read -r self0 kids0 < <(proc_cpu "$SERVICE_PID")
    run_id=$(cat /proc/sys/kernel/random/uuid)
    t0=$(date +%s.%N)
    response=$(publish_backup_requested "$run_id") || die "could not reach the RabbitMQ management API: $response"
    [[ $response == *'"routed":true'* ]] || die "BackupRequested was not routed to the dumper's queue: $response"
    await_manifest "$name" "$run_id"
    manifest=$AWAITED_MANIFEST
    t1=$(date +%s.%N)
    read -r self1 kids1 < <(proc_cpu "$SERVICE_PID")
    # The run's sample ends here, before this script checks the artifact (sha256sum, psql, the bus's event).
    end_sample "$(awk -v a="$self0" -v b="$self1" -v c="$kids0" -v d="$kids1" 'BEGIN { printf "%.2f", (b - a) + (d - c) }')"
    hwm=$(proc_kb "$SERVICE_PID" VmHWM)

    started=$(json_string "$manifest" startedAt)
    completed=$(json_string "$manifest" completedAt)
    key=$(json_string "$manifest" artifactKey)
    [[ -n $started && -n $completed && -n $key ]] || die "unreadable manifest $manifest"
    [[ -f $store/$key ]] || die "the manifest names $key, which is not in the store"
    SIZE[$name]=$(json_number "$manifest" storedSizeBytes)
    raw=$(json_number "$manifest" rawSizeBytes)
    sha=$(json_string "$manifest" sha256)
    [[ $(sha256sum <"$store/$key" | cut -d' ' -f1) == "$sha" ]] || die "the artifact's SHA-256 differs from its manifest's"
    counted=$(tr -d ' \n' <"$manifest" | grep -o '"schema":"public","name":"pgbench_accounts","rows":[0-9]*' | grep -o '[0-9]*$' || true)
    [[ $counted == "$ACCOUNTS_ROWS" ]] || die "the manifest counts ${counted:-no} rows of pgbench_accounts, the source has $ACCOUNTS_ROWS"

    # The latencies, from the services' own timestamps: the request's publication (taken here before the publish) to the
    # job row's created_at (the consumer stored it) to the manifest's startedAt (the job's claim; the dump starts), and
    # the manifest's completedAt to BackupCompleted's sentTime (MassTransit's envelope, set as the dumper publishes it).
    completed_sent=$(await_completed "$run_id")
    queued=$(scalar bench_catalog "SELECT extract(epoch FROM created_at) FROM jobs WHERE kind = 'dump' AND key = '${run_id//-/}'")
    [[ -n $queued ]] || die "no dump job of run $run_id in the catalog's jobs table"
    latency_queue+=" $(awk -v a="$t0" -v b="$queued" 'BEGIN { printf "%.3f", b - a }')"
    latency_claim+=" $(awk -v a="$queued" -v b="$(epoch "$started")" 'BEGIN { printf "%.3f", b - a }')"
    latency_start+=" $(awk -v a="$t0" -v b="$(epoch "$started")" 'BEGIN { printf "%.3f", b - a }')"
    latency_completed+=" $(awk -v a="$(epoch "$completed")" -v b="$completed_sent" 'BEGIN { printf "%.3f", b - a }')"

    format=$(json_string "$manifest" format)
    format=${format//\\u002B/+} # System.Text.Json writes '+' as \u002B
    if [[ -n ${EXPECT_FORMAT:-} && $format != "$EXPECT_FORMAT" ]]; then
      die "the manifest says format '$format', expected '$EXPECT_FORMAT'"
    fi
    waits+=" $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')"
    hwms+=" $(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')"
    selfs+=" $(awk -v a="$self0" -v b="$self1" 'BEGIN { printf "%.2f", b - a }')"
    kids+=" $(awk -v a="$kids0" -v b="$kids1" 'BEGIN { printf "%.2f", b - a }')"
    record_run "$name" "$(awk -v a="$(epoch "$started")" -v b="$(epoch "$completed")" 'BEGIN { printf "%.2f", b - a }')" \
      "$(awk -v a="$self0" -v b="$self1" -v c="$kids0" -v d="$kids1" 'BEGIN { printf "%.2f", (b - a) + (d - c) }')" \
      "$(awk -v k="$hwm" 'BEGIN { printf "%.1f", k / 1024 }')"
    # Keep the newest artifact (the restores use it), not the older ones.
    [[ -n $previous ]] && rm -f "$previous" "${previous%%.dump*}.manifest.json"
    previous="$store/$key"
  done
  ARTIFACT[$name]=$previous
  summarize "$name"
  START_LATENCY[$name]=$(tr ' ' '\n' <<<"$latency_start" | grep . | median_of)
  COMPLETED_LATENCY[$name]=$(tr ' ' '\n' <<<"$latency_completed" | grep . | median_of)
  LATENCY_NOTE[$name]="publish->dump start (s):$latency_start (publish->job stored:$latency_queue; job stored->start:$latency_claim); manifest->BackupCompleted sent (s):$latency_completed"
  NOTE[$name]=$(printf 'format %s; publish->manifest (s):%s; CPU in the service (s):%s, in pg_dump (s):%s; VmHWM after each run (MB):%s; idle service before the runs %s MB RSS (VmHWM %s MB); raw archive %s MB; every artifact matched its SHA-256 and row count' \
    "$format" "$waits" "$selfs" "$kids" "$hwms" \
    "$(awk -v k="$idle_rss" 'BEGIN { printf "%.1f", k / 1024 }')" \
    "$(awk -v k="$idle_hwm" 'BEGIN { printf "%.1f", k / 1024 }')" "$(mb "$raw")")
  log "$name: ${NOTE[$name]}"
  stop_service
}

declare -A ARTIFACT START_LATENCY COMPLETED_LATENCY LATENCY_NOTE

# The dumper's BackupCompleted events come to a queue of this script's own, for their envelope's sentTime.
listen_for_completions() {
  management PUT "queues/%2F/benchmark-completions" '{"durable":false,"auto_delete":false,"arguments":{"x-expires":3600000}}' >/dev/null &&
    management PUT "exchanges/%2F/Backup.Contracts%3ABackupCompleted" '{"type":"fanout","durable":true,"auto_delete":false}' >/dev/null &&
    management POST "bindings/%2F/e/Backup.Contracts%3ABackupCompleted/q/benchmark-completions" '{"routing_key":""}' >/dev/null ||
    die "could not listen on Backup.Contracts:BackupCompleted"
}

# await_completed RUN_ID -> the epoch seconds of the run's BackupCompleted as its envelope says it was sent.
await_completed() {
  local response payload sent="" deadline=$((SECONDS + 60))
  while [[ -z $sent ]]; do
    ((SECONDS < deadline)) || die "no BackupCompleted of run $1 on the bus after 60 s"
    response=$(management POST "queues/%2F/benchmark-completions/get" '{"count":10,"ackmode":"ack_requeue_false","encoding":"base64"}') || continue
    while read -r payload; do
      [[ -n $payload ]] || continue
      payload=$(printf '%s' "$payload" | base64 -d 2>/dev/null | tr -d '\n' | sed 's/"\([A-Za-z]*\)": */"\1":/g') || continue
      [[ $payload == *"\"runId\":\"$1\""* ]] && sent=$(grep -o '"sentTime":"[^"]*"' <<<"$payload" | head -n 1 | cut -d'"' -f4)
    done < <(grep -o '"payload":"[^"]*"' <<<"$response" | sed 's/^"payload":"\(.*\)"$/\1/')
    [[ -n $sent ]] || pause 0.1
  done
  epoch "$sent"
}

# memory_line PID -> VmHWM, VmRSS and the resident memory by kind (MB), from /proc/PID/status and smaps:
# brk = [heap], glibc's main malloc arena; anon = every other anonymous mapping (the GC's regions, the other
# malloc arenas, malloc blocks mapped on their own such as zstd's buffers, thread stacks); files = mapped files
# (the assemblies and native libraries, and JIT code and loader heaps in /memfd:doublemapper).
memory_line() {
  awk '
    FILENAME ~ /status$/ { if ($1 == "VmHWM:") hwm = $2; if ($1 == "VmRSS:") rss = $2; next }
    /^[0-9a-f]+-[0-9a-f]+ / { kind = $6 == "[heap]" ? "brk" : (NF >= 6 && $6 != "[stack]" ? "file" : "anon"); next }
    $1 == "Rss:" { kb[kind] += $2 }
    END { printf "VmHWM %6.1f  VmRSS %6.1f  brk %5.1f  anon %5.1f  files %5.1f", hwm / 1024, rss / 1024, kb["brk"] / 1024, kb["anon"] / 1024, kb["file"] / 1024 }
  ' "/proc/$1/status" "/proc/$1/smaps"
}

# measure_memory: --memory-runs N backups per variant (each variant also with encryption), through one
# service process each, printing the memory after each backup. Not timed: no quiet-wait.
measure_memory() {
  local variant name r run_id response manifest extra=() v=0 encrypted sampler
  for variant in "${MEMORY_VARIANTS[@]}"; do
    for encrypted in 0 1; do
      ((encrypted == 0)) || encryption_available || continue
      name=mem$v
      extra=()
      [[ -n $variant ]] && read -r -a extra <<<"$variant"
      if ((encrypted)); then
        name+=_enc
        administrators_keys
        mapfile -t -O "${#extra[@]}" extra < <(encryption_settings)
      fi
      start_dumper "$name" "${extra[@]}"
      sleep 2
      echo "variant '${variant:-as configured}'$( ((encrypted)) && echo ', with encryption'), scale $SCALE, pid $SERVICE_PID"
      echo "  idle      $(memory_line "$SERVICE_PID")"
      for ((r = 1; r <= MEMORY_RUNS; r++)); do
        find "$WORK/store-$name" -name "*.dump*" -delete # the artifacts before (the last one is kept)
        run_id=$(cat /proc/sys/kernel/random/uuid)
        response=$(publish_backup_requested "$run_id") || die "could not reach the RabbitMQ management API: $response"
        [[ $response == *'"routed":true'* ]] || die "BackupRequested was not routed to the dumper's queue: $response"
        # The largest sample during the dump says what the peak was made of.
        (while pid_alive "$SERVICE_PID"; do memory_line "$SERVICE_PID" 2>/dev/null; echo; sleep 0.2; done) >"$WORK/memory.samples" &
        sampler=$!
        await_manifest "$name" "$run_id"
    manifest=$AWAITED_MANIFEST
        kill "$sampler" 2>/dev/null || true
        wait "$sampler" 2>/dev/null || true
        printf '  dump %2d   %s\n' "$r" "$(memory_line "$SERVICE_PID")"
        printf '   largest sample during it: %s\n' "$(sort -k4,4 -g "$WORK/memory.samples" | tail -n 1 | cut -c 15-)"
      done
      stop_service
    done
    v=$((v + 1))
  done
}

# A run's results, kept in a file so that a run in a subshell (the encrypted one) can hand them back.
save_result() { # save_result NAME
  declare -p WALL CPU RSS SIZE NOTE ARTIFACT SERVER OTHER START_LATENCY COMPLETED_LATENCY LATENCY_NOTE >"$WORK/result.$1"
}
load_result() { # load_result NAME
  local name=$1 line
  line=$(
    # shellcheck disable=SC1090
    . "$WORK/result.$name"
    printf '%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s' "${WALL[$name]}" "${CPU[$name]}" "${RSS[$name]}" "${SIZE[$name]}" \
      "${SERVER[$name]}" "${OTHER[$name]}" "${NOTE[$name]}" "${ARTIFACT[$name]}" "${START_LATENCY[$name]:-}" "${COMPLETED_LATENCY[$name]:-}" "${LATENCY_NOTE[$name]:-}"
  )
  IFS=$'\x1f' read -r "WALL[$name]" "CPU[$name]" "RSS[$name]" "SIZE[$name]" "SERVER[$name]" "OTHER[$name]" "NOTE[$name]" "ARTIFACT[$name]" \
    "START_LATENCY[$name]" "COMPLETED_LATENCY[$name]" "LATENCY_NOTE[$name]" <<<"$line"
}

measure_dumper() {
  run_dumper dumper
}

# check_decrypts ARTIFACT PASSPHRASE: stock gpg | zstd -dc gives a pg_dump archive (a throwaway GNUPGHOME, killed after).
# administrators_keys: the administrators' OpenPGP key pair, made once by backupctl as docs/restore.md says, in
# $WORK/keys: the public key is what the dumper encrypts to (Encryption:RecipientKeyFiles:0, as docker-compose.yml
# configures it), the secret key what gpg decrypts with.
administrators_keys() {
  [[ -f $WORK/keys/admins.pub.asc ]] && return 0
  mkdir -p "$WORK/keys"
  chmod 0700 "$WORK/keys"
  "$BACKUPCTL" keys generate --public-key-file "$WORK/keys/admins.pub.asc" \
    --secret-key-file "$WORK/keys/admins.sec.asc" >"$WORK/logs/keys.log" 2>&1 ||
    die "backupctl keys generate failed (see $WORK/logs/keys.log)"
}

# The dumper's settings for an encrypted backup, as the compose stack has them: to the administrators' public key
# (administrators_keys first).
encryption_settings() {
  printf '%s\n' Encryption__Required=true "Encryption__RecipientKeyFiles__0=$WORK/keys/admins.pub.asc"
}

# check_decrypts ARTIFACT: gpg, with the administrators' secret key, decrypts it into a zstd stream of a pg_dump archive.
check_decrypts() {
  local home="$WORK/gnupg" magic
  if ! command -v gpg >/dev/null 2>&1; then
    NOTE[dumper_enc]+="; gpg not installed: decryption not checked"
    return 0
  fi
  mkdir -p "$home"
  chmod 0700 "$home"
  gpg --homedir "$home" --batch --quiet --import "$WORK/keys/admins.sec.asc" 2>>"$WORK/logs/gpg.log" || true
  magic=$(gpg --homedir "$home" --batch --quiet --decrypt "$1" 2>>"$WORK/logs/gpg.log" | zstd -dc 2>/dev/null | head -c 5 || true)
  gpgconf --homedir "$home" --kill gpg-agent 2>/dev/null || true
  if [[ $magic == PGDMP ]]; then
    NOTE[dumper_enc]+="; gpg --decrypt (the administrators' secret key) | zstd -dc of the last artifact gives a pg_dump archive"
  else
    FAILED_STEPS+=("decrypting the encrypted artifact")
    NOTE[dumper_enc]+="; gpg --decrypt | zstd -dc of the last artifact did NOT give a pg_dump archive (see logs/gpg.log)"
  fi
}

# Last, and in a subshell: encryption is being built while this is written, and a failure of it
# should not throw away the other measurements (it still makes the script exit non-zero).
measure_dumper_encrypted() {
  if ! encryption_available; then
    NOTE[dumper_enc]="encryption: not available yet"
    return 0
  fi
  local settings
  administrators_keys
  mapfile -t settings < <(encryption_settings)
  if (
    trap stop_service EXIT
    EXPECT_FORMAT=pg_dump-custom+zstd+openpgp
    run_dumper dumper_enc "${settings[@]}"
    save_result dumper_enc
  ); then
    load_result dumper_enc
    check_decrypts "${ARTIFACT[dumper_enc]}"
  else
    FAILED_STEPS+=("dumper with encryption")
    NOTE[dumper_enc]="encryption: the run failed (see the messages above)"
  fi
}

# ---------------------------------------------------------------------------------------------
# Restores
# ---------------------------------------------------------------------------------------------

check_restored() { # check_restored DATABASE LAST_ROUND(0|1)  (then drops it, unless --keep and the last round)
  local accounts documents
  accounts=$(scalar "$1" 'SELECT count(*) FROM pgbench_accounts')
  documents=$(scalar "$1" 'SELECT count(*) FROM documents')
  [[ $accounts == "$ACCOUNTS_ROWS" && $documents == "$DOCUMENTS_ROWS" ]] ||
    die "$1: pgbench_accounts $accounts rows (source $ACCOUNTS_ROWS), documents $documents rows (source $DOCUMENTS_ROWS)"
  if ((KEEP == 0 || $2 == 0)); then pg "$PG_BIN/dropdb" -U "$BACKUP_PG_USER" "$1"; fi
}

no_database() { pg "$PG_BIN/dropdb" -U "$BACKUP_PG_USER" --if-exists "$1"; } # no_database NAME

# start_restorer: the real Backup.Restorer over the dumper's store, restoring into this PostgreSQL as stack.sh configures it.
start_restorer() {
  local secrets="$WORK/secrets-restorer" port
  mkdir -p "$secrets"
  chmod 0700 "$secrets"
  service_identity restorer "$secrets" bench_catalog
  write_secret "$secrets/Restore__Password" "$BACKUP_PG_PASSWORD"
  port=$(free_ports 1)
  launch_service Backup.Restorer "$RESTORER_DLL" "$WORK/logs/restorer.log" "$port" \
    DOTNET_ENVIRONMENT=Production MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}" \
    RabbitMq__Host=127.0.0.1 RabbitMq__Port="$BACKUP_RABBITMQ_PORT" RabbitMq__Username=backup-restorer RabbitMq__VirtualHost=/ \
    Storage__Root="$WORK/store-dumper" Restore__Host=127.0.0.1 Restore__Port="$BACKUP_PG_PORT" Restore__Username="$BACKUP_PG_USER" \
    Restore__PgBinDirectory="$PG_BIN" Restore__Jobs=2 Restore__TempDirectory="$WORK" \
    Drills__Enabled=true Drills__AllowSourceServer=true \
    BACKUP_SECRETS_DIR="$secrets" ASPNETCORE_URLS="http://127.0.0.1:$port"
  # Its outcomes come to a queue of this script's own (the exchanges are declared here in case nothing published yet).
  management PUT "queues/%2F/benchmark-restores" '{"durable":false,"auto_delete":false,"arguments":{"x-expires":3600000}}' >/dev/null ||
    die "could not declare the benchmark's queue"
  # The drills' outcomes likewise (the drill server is this one server: Drills:AllowSourceServer).
  management PUT "queues/%2F/benchmark-drills" '{"durable":false,"auto_delete":false,"arguments":{"x-expires":3600000}}' >/dev/null ||
    die "could not declare the benchmark's drill queue"
  local exchange
  for exchange in BackupVerified BackupVerificationFailed; do
    management PUT "exchanges/%2F/Backup.Contracts%3A$exchange" '{"type":"fanout","durable":true,"auto_delete":false}' >/dev/null &&
      management POST "bindings/%2F/e/Backup.Contracts%3A$exchange/q/benchmark-drills" '{"routing_key":""}' >/dev/null ||
      die "could not listen on Backup.Contracts:$exchange"
  done
  for exchange in RestoreCompleted RestoreFailed; do
    management PUT "exchanges/%2F/Backup.Contracts%3A$exchange" '{"type":"fanout","durable":true,"auto_delete":false}' >/dev/null &&
      management POST "bindings/%2F/e/Backup.Contracts%3A$exchange/q/benchmark-restores" '{"routing_key":""}' >/dev/null ||
      die "could not listen on Backup.Contracts:$exchange"
  done
}

management() { rabbitmq_api "$WORK/rabbitmq.curl" "$@"; } # management METHOD PATH [JSON]

# restore_by_event KEY TARGET: sets RESTORE_STARTED and RESTORE_COMPLETED (epoch seconds) from the restorer's RestoreCompleted.
restore_by_event() {
  local key=$1 target=$2 restore_id response payload message="" deadline=$((SECONDS + 600 + 30 * SCALE))
  restore_id=$(cat /proc/sys/kernel/random/uuid)
  response=$(publish_message "$WORK/rabbitmq.curl" RestoreRequested \
    "{\"restoreId\":\"$restore_id\",\"artifactKey\":\"$key\",\"targetDatabase\":\"$target\",\"overwrite\":false,\"requestedAt\":\"$(now_utc)\",\"requestedBy\":\"benchmark.sh\"}") ||
    die "could not publish RestoreRequested: $response"
  [[ $response == *'"routed":true'* ]] || die "RestoreRequested was not routed to the restorer: $response"
  while [[ -z $message ]]; do
    alive "$SERVICE_PID" || { tail -n 30 "$WORK/logs/restorer.log" >&2; die "Backup.Restorer exited"; }
    ((SECONDS < deadline)) || die "no outcome of restore $restore_id (log: $WORK/logs/restorer.log)"
    pause 0.5 # the walls come from the events' own times: polling more often would only add CPU to the run
    response=$(management POST "queues/%2F/benchmark-restores/get" '{"count":10,"ackmode":"ack_requeue_false","encoding":"base64"}') || continue
    [[ $response == '[]' ]] && continue
    while read -r payload; do
      [[ -n $payload ]] || continue
      # MassTransit indents its JSON: one line, and no space after a field name's colon.
      payload=$(printf '%s' "$payload" | base64 -d 2>/dev/null | tr -d '\n' | sed 's/"\([A-Za-z]*\)": */"\1":/g') || continue
      [[ $payload == *"\"restoreId\":\"$restore_id\""* ]] && message=$payload
    done < <(grep -o '"payload":"[^"]*"' <<<"$response" | sed 's/^"payload":"\(.*\)"$/\1/')
  done
  [[ $message == *'urn:message:Backup.Contracts:RestoreCompleted'* ]] ||
    die "the restorer failed: $(grep -o '"reason":"[^"]*"' <<<"$message" | head -n 1)"
  RESTORE_STARTED=$(epoch "$(grep -o '"startedAt":"[^"]*"' <<<"$message" | cut -d'"' -f4)")
  RESTORE_COMPLETED=$(epoch "$(grep -o '"completedAt":"[^"]*"' <<<"$message" | cut -d'"' -f4)")
}

# drill_by_event KEY: publishes a BackupCompleted for KEY under a new run id, as the dumper does after each backup, and
# waits for the restorer's BackupVerified; sets DRILL_PUBLISHED (epoch seconds, here), DRILL_VERIFIED (its verifiedAt)
# and DRILL_RTO (its recoveryTimeSeconds).
drill_by_event() {
  local key=$1 manifest run_id response payload message="" deadline=$((SECONDS + 600 + 30 * SCALE))
  manifest="$WORK/store-dumper/${key%.dump.zst}.manifest.json"
  run_id=$(cat /proc/sys/kernel/random/uuid)
  DRILL_PUBLISHED=$(date +%s.%N)
  response=$(publish_message "$WORK/rabbitmq.curl" BackupCompleted \
    "{\"runId\":\"$run_id\",\"source\":\"${key%%/*}\",\"startedAt\":\"$(now_utc)\",\"completedAt\":\"$(now_utc)\",\"artifactKey\":\"$key\",\"sizeBytes\":$(json_number "$manifest" storedSizeBytes),\"sha256\":\"$(json_string "$manifest" sha256)\",\"format\":\"pg_dump-custom+zstd\"}") ||
    die "could not publish BackupCompleted: $response"
  [[ $response == *'"routed":true'* ]] || die "BackupCompleted was not routed to the restorer's drills: $response"
  while [[ -z $message ]]; do
    alive "$SERVICE_PID" || { tail -n 30 "$WORK/logs/restorer.log" >&2; die "Backup.Restorer exited"; }
    ((SECONDS < deadline)) || die "no outcome of the drill of run $run_id (log: $WORK/logs/restorer.log)"
    pause 0.5 # the walls come from the events' own times: polling more often would only add CPU to the run
    response=$(management POST "queues/%2F/benchmark-drills/get" '{"count":10,"ackmode":"ack_requeue_false","encoding":"base64"}') || continue
    [[ $response == '[]' ]] && continue
    while read -r payload; do
      [[ -n $payload ]] || continue
      payload=$(printf '%s' "$payload" | base64 -d 2>/dev/null | tr -d '\n' | sed 's/"\([A-Za-z]*\)": */"\1":/g') || continue
      [[ $payload == *"\"runId\":\"$run_id\""* ]] && message=$payload
    done < <(grep -o '"payload":"[^"]*"' <<<"$response" | sed 's/^"payload":"\(.*\)"$/\1/')
  done
  [[ $message == *'urn:message:Backup.Contracts:BackupVerified'* ]] ||
    die "the drill failed: $(grep -o '"reason":"[^"]*"' <<<"$message" | head -n 1)"
  DRILL_VERIFIED=$(epoch "$(grep -o '"verifiedAt":"[^"]*"' <<<"$message" | cut -d'"' -f4)")
  DRILL_RTO=$(grep -o '"recoveryTimeSeconds":[0-9.]*' <<<"$message" | cut -d: -f2)
}

# One drill through the running restorer: wall = from publishing BackupCompleted to BackupVerified's verifiedAt (the
# intake, the job's claim, the drill, the scratch database dropped); CPU its process and its pg_restore runs.
measure_drill() { # measure_drill KEY
  local self0 kids0 self1 kids1 cpu
  begin_sample
  read -r self0 kids0 < <(proc_cpu "$SERVICE_PID")
  drill_by_event "$1"
  read -r self1 kids1 < <(proc_cpu "$SERVICE_PID")
  cpu=$(awk -v a="$self0" -v b="$self1" -v c="$kids0" -v d="$kids1" 'BEGIN { printf "%.2f", (b - a) + (d - c) }')
  end_sample "$cpu"
  record_run drill_svc "$(awk -v a="$DRILL_PUBLISHED" -v b="$DRILL_VERIFIED" 'BEGIN { printf "%.2f", b - a }')" "$cpu" \
    "$(awk -v k="$(proc_kb "$SERVICE_PID" VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')"
  NOTE[drill_svc]="measured recovery time of the last drill (its steps' sum, as BackupVerified reports it): ${DRILL_RTO} s"
}

# One restore through the running restorer: wall = RestoreCompleted's completedAt - startedAt; CPU its process and
# its pg_restore runs over the restore; peak its VmHWM.
measure_restorer() { # measure_restorer KEY TARGET
  local self0 kids0 self1 kids1 cpu
  begin_sample
  read -r self0 kids0 < <(proc_cpu "$SERVICE_PID")
  restore_by_event "$1" "$2"
  read -r self1 kids1 < <(proc_cpu "$SERVICE_PID")
  cpu=$(awk -v a="$self0" -v b="$self1" -v c="$kids0" -v d="$kids1" 'BEGIN { printf "%.2f", (b - a) + (d - c) }')
  end_sample "$cpu"
  record_run restore_svc "$(awk -v a="$RESTORE_STARTED" -v b="$RESTORE_COMPLETED" 'BEGIN { printf "%.2f", b - a }')" "$cpu" \
    "$(awk -v k="$(proc_kb "$SERVICE_PID" VmHWM)" 'BEGIN { printf "%.1f", k / 1024 }')"
}

measure_restores() {
  local artifact=${ARTIFACT[dumper]} r key
  key=${artifact#"$WORK/store-dumper/"}
  # The tables a drill counts: every table of the bench database (schema-qualified plain names).
  DRILL_TABLES=$(scalar "$DB" "SELECT string_agg(schemaname || '.' || tablename, ' ') FROM pg_tables WHERE schemaname = 'public'")
  start_restorer
  for ((r = 1; r <= RUNS; r++)); do
    # Every restore goes into a new database and creates it inside the measurement, as the service's do (createdb:
    # ~0.12 s here, CREATE DATABASE from template0).
    no_database restore_fc
    # shellcheck disable=SC2016 # expanded by the inner bash
    measure restore_fc bash -c 'set -euo pipefail
      "$1/createdb" -U "$2" "$3"
      "$1/pg_restore" -U "$2" -j2 "${@:5}" -d "$3" "$4"' \
      _ "$PG_BIN" "$BACKUP_PG_USER" restore_fc "$WORK/fc.dump" "${RESTORE_FLAGS[@]}"
    check_restored restore_fc $((r == RUNS))

    no_database restore_stream
    # shellcheck disable=SC2016
    measure restore_stream bash -c 'set -euo pipefail
      "$1/createdb" -U "$2" "$3"
      zstd -dc "$4" | "$1/pg_restore" -U "$2" "${@:5}" -d "$3"' \
      _ "$PG_BIN" "$BACKUP_PG_USER" restore_stream "$artifact" "${RESTORE_FLAGS[@]}"
    check_restored restore_stream $((r == RUNS))

    no_database restore_file
    # shellcheck disable=SC2016
    measure restore_file bash -c 'set -euo pipefail
      "$1/createdb" -U "$2" "$3"
      zstd -q -dc "$4" >"$5"
      "$1/pg_restore" -U "$2" -j2 "${@:6}" -d "$3" "$5"' \
      _ "$PG_BIN" "$BACKUP_PG_USER" restore_file "$artifact" "$WORK/restore.dump" "${RESTORE_FLAGS[@]}"
    rm -f "$WORK/restore.dump"
    check_restored restore_file $((r == RUNS))

    # The service's own path (the restorer runs the same code): a copy of the stored bytes checked for size and
    # SHA-256, CREATE DATABASE, the schema with pg_restore, the table data in 2 sessions straight from their own
    # decoders (rows counted in the COPY text), then indexes and constraints with pg_restore -j2.
    no_database restore_ctl
    measure restore_ctl "$BACKUPCTL" restore --store "$WORK/store-dumper" "$key" --target-database restore_ctl \
      --host 127.0.0.1 --port "$BACKUP_PG_PORT" --username "$BACKUP_PG_USER" --pg-bin "$PG_BIN" --jobs 2 --temp-dir "$WORK"
    check_restored restore_ctl $((r == RUNS))

    # The restorer service, as a platform service asks it: RestoreRequested in, RestoreCompleted out.
    no_database restore_svc
    measure_restorer "$key" restore_svc
    check_restored restore_svc $((r == RUNS))

    # A restore drill with stock tools: createdb, pg_restore -j2 of the -Fc file, every table counted with count(*)
    # (two sessions at a time, as the drill counts), dropdb.
    no_database drill_fc
    # shellcheck disable=SC2016 # expanded by the inner bash
    measure drill_fc bash -c 'set -euo pipefail
      "$1/createdb" -U "$2" "$3"
      "$1/pg_restore" -U "$2" -j2 "${@:6}" -d "$3" "$4"
      printf "%s\n" $5 | xargs -P 2 -I {} "$1/psql" -U "$2" -d "$3" -X -A -t -q -c "SELECT count(*) FROM {}" >/dev/null
      "$1/dropdb" -U "$2" "$3"' \
      _ "$PG_BIN" "$BACKUP_PG_USER" drill_fc "$WORK/fc.dump" "$DRILL_TABLES" "${RESTORE_FLAGS[@]}"

    # The restorer's drill, as it runs after every backup: BackupCompleted in, BackupVerified out.
    measure_drill "$key"
  done
  stop_service
  summarize restore_svc
  summarize restore_fc
  summarize restore_stream
  summarize restore_file
  summarize restore_ctl
  summarize drill_fc
  summarize drill_svc
}

# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

machine_line() {
  local cpu mem pg_server pg_dump_v dotnet_sdk dotnet_rt zstd_v
  cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
  mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  pg_server=$(scalar postgres 'SHOW server_version' | awk '{ print $1 }')
  pg_dump_v=$("$PG_BIN/pg_dump" --version | awk '{ print $3 }')
  dotnet_sdk=$(dotnet --version 2>/dev/null || echo '?')
  dotnet_rt=$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/ { v = $2 } END { print v }')
  zstd_v=$(zstd --version | grep -o 'v[0-9.]*' | head -n 1)
  printf 'machine: %s cores (nproc), %s RAM, %s, Linux %s; PostgreSQL %s, pg_dump %s; .NET SDK %s, runtime %s; zstd %s\n' \
    "$(nproc)" "$mem" "$cpu" "$(uname -r)" "$pg_server" "$pg_dump_v" "$dotnet_sdk" "$dotnet_rt" "$zstd_v"
}

row() { # row NAME LABEL [dump|restore]
  local name=$1 label=$2 kind=$3 wall cpu rss size wr sr
  if [[ -z ${WALL[$name]:-} ]]; then
    printf '%-44s  %s\n' "$label" "${NOTE[$name]:-not measured}"
    return
  fi
  wall=${WALL[$name]} cpu=${CPU[$name]} rss=${RSS[$name]}
  if [[ $kind == dump ]]; then
    size=$(mb "${SIZE[$name]}")
    wr=$(ratio "$wall" "${WALL[z0]}")
    sr=$(ratio "${SIZE[$name]}" "${SIZE[fc]}")
  else
    size=- wr=- sr=-
  fi
  printf '%-44s %8.2f %8.2f %9.1f %9s %9s %9s\n' "$label" "$wall" "$cpu" "$rss" "$size" "$wr" "$sr"
}

target() { # target LABEL VALUE LIMIT DESCRIPTION
  local verdict
  if [[ -z $2 || $2 == - ]]; then verdict="n/a "; elif le "$2" "$3"; then verdict=PASS; else verdict=FAIL; fi
  printf '  %s  %-52s %s\n' "$verdict" "$1" "$4"
}

report() {
  local overrides
  overrides=$(env | grep -E '^(Dumper__|DOTNET_gc|DOTNET_GC|DOTNET_Tiered|DOTNET_TC_)' | sort | tr '\n' ' ' || true)
  echo
  echo "Backup dumper benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- services 2>/dev/null || echo ' (services/ has uncommitted changes)')"
  machine_line
  printf 'database: pgbench scale %s + %s documents = %s MB (pg_database_size); pgbench_accounts %s rows\n' \
    "$SCALE" "$DOC_ROWS" "$(mb "$DB_BYTES")" "$ACCOUNTS_ROWS"
  echo "machine load while measuring: ${QUIET_WAITED}s spent waiting for other programs to go quiet"
  echo "dumper settings: ${overrides:-defaults (Dumper:CompressionLevel 3, Dumper:CompressionThreads 1)}, MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}"
  echo
  printf '%-44s %8s %8s %9s %9s %9s %9s\n' variant "wall s" "CPU s" "peak MB" "size MB" "wall/Z0" "size/Fc"
  printf '%s\n' "$(printf '%.0s-' {1..102})"
  row fc 'pg_dump -Fc -f file' dump
  row z0 'pg_dump -Fc -Z0 -f file' dump
  row stock 'pg_dump -Fc -Z0 | zstd -3 -T2 | tee | sha256' dump
  row dumper 'dumper service (zstd, SHA-256, manifest)' dump
  row dumper_enc 'dumper service with encryption' dump
  row restore_fc 'restore: createdb + pg_restore -j2 of -Fc' restore
  row restore_stream 'restore: createdb + zstd -dc | pg_restore' restore
  row restore_file 'restore: createdb, unzstd >f, pg_restore -j2' restore
  row restore_svc 'restore: restorer service (RestoreRequested)' restore
  row restore_ctl 'restore: backupctl restore (a fresh process)' restore
  row drill_fc 'drill: createdb, pg_restore -j2, count(*)' restore
  row drill_svc 'drill: restorer service (BackupCompleted)' restore
  echo
  echo "CPU s: the client side (pg_dump, zstd, sha256sum, pg_restore; for the dumper its process and the pg_dump it ran; for the restorer and backupctl their process and its pg_restore runs)."
  echo "peak MB: /usr/bin/time's maximum RSS (of the largest process of a pipeline); for the dumper and the restorer their VmHWM (a high-water mark since the service started)."
  echo "each variant ran $RUNS times, round-robin; wall, CPU and server CPU are medians, peak RSS the highest."
  echo "wall of every run (s), PostgreSQL server CPU (s, median), CPU used by other programs meanwhile (s, median; * marks a run where they used over 10% of the machine):"
  local name
  for name in fc z0 stock dumper dumper_enc restore_fc restore_stream restore_file restore_svc restore_ctl drill_fc drill_svc; do
    if [[ -f $WORK/runs.$name ]]; then
      printf '  %-15s %-34s server %6s   others %6s\n' "$name" "$(runs_of "$name")" "${SERVER[$name]}" "${OTHER[$name]}"
      printf '  %-15s   others by process, per run: %s\n' "" "$(awk '{ printf "%s%s", sep, $6; sep = " | " }' "$WORK/runs.$name")"
    fi
  done
  echo "dumper: ${NOTE[dumper]}"
  [[ -n ${WALL[dumper_enc]:-} ]] && echo "dumper with encryption: ${NOTE[dumper_enc]}"
  echo "dumper latencies: ${LATENCY_NOTE[dumper]}"
  [[ -n ${WALL[dumper_enc]:-} ]] && echo "dumper with encryption, latencies: ${LATENCY_NOTE[dumper_enc]}"
  echo "restores: every restored database held the source's row counts (pgbench_accounts $ACCOUNTS_ROWS, documents $DOCUMENTS_ROWS)"
  echo
  echo "targets:"
  target 'dumper wall <= 1.15 x pg_dump -Fc -Z0' "$(ratio "${WALL[dumper]}" "${WALL[z0]}")" 1.15 \
    "($(ratio "${WALL[dumper]}" "${WALL[z0]}") x: ${WALL[dumper]} s vs ${WALL[z0]} s)"
  target 'dumper CPU <= 1.1 x the stock pipeline' "$(ratio "${CPU[dumper]}" "${CPU[stock]}")" 1.1 \
    "($(ratio "${CPU[dumper]}" "${CPU[stock]}") x: ${CPU[dumper]} s vs ${CPU[stock]} s)"
  target 'publish -> dump start <= 0.2 s (median)' "${START_LATENCY[dumper]}" 0.2 "(${START_LATENCY[dumper]} s)"
  target 'manifest -> BackupCompleted on the bus <= 0.1 s (median)' "${COMPLETED_LATENCY[dumper]}" 0.1 "(${COMPLETED_LATENCY[dumper]} s)"
  target 'dumper artifact <= 0.85 x pg_dump -Fc file' "$(ratio "${SIZE[dumper]}" "${SIZE[fc]}")" 0.85 \
    "($(ratio "${SIZE[dumper]}" "${SIZE[fc]}") x: $(mb "${SIZE[dumper]}") MB vs $(mb "${SIZE[fc]}") MB)"
  if [[ -n ${WALL[dumper_enc]:-} ]]; then
    target 'dumper with encryption wall <= 1.25 x -Z0' "$(ratio "${WALL[dumper_enc]}" "${WALL[z0]}")" 1.25 \
      "($(ratio "${WALL[dumper_enc]}" "${WALL[z0]}") x: ${WALL[dumper_enc]} s vs ${WALL[z0]} s)"
  else
    target 'dumper with encryption wall <= 1.25 x -Z0' - 1.25 "(${NOTE[dumper_enc]})"
  fi
  target 'dumper peak RSS <= 200 MB' "${RSS[dumper]}" 200 "(${RSS[dumper]} MB VmHWM)"
  target 'restore (restorer service) <= 1.1 x pg_restore -j2 of -Fc' "$(ratio "${WALL[restore_svc]}" "${WALL[restore_fc]}")" 1.1 \
    "($(ratio "${WALL[restore_svc]}" "${WALL[restore_fc]}") x: ${WALL[restore_svc]} s vs ${WALL[restore_fc]} s; it also checks the SHA-256 and counts rows)"
  target 'restore (backupctl, a fresh process) <= 1.1 x pg_restore -j2' "$(ratio "${WALL[restore_ctl]}" "${WALL[restore_fc]}")" 1.1 \
    "($(ratio "${WALL[restore_ctl]}" "${WALL[restore_fc]}") x: ${WALL[restore_ctl]} s vs ${WALL[restore_fc]} s; the same code, plus a .NET process's start)"
  target 'drill (restorer service) <= 1.1 x createdb + pg_restore -j2 + count(*)' "$(ratio "${WALL[drill_svc]}" "${WALL[drill_fc]}")" 1.1 \
    "($(ratio "${WALL[drill_svc]}" "${WALL[drill_fc]}") x: ${WALL[drill_svc]} s vs ${WALL[drill_fc]} s; it also checks the SHA-256, every object and sequence of the archive)"
  [[ -n ${NOTE[drill_svc]:-} ]] && echo "  drill: ${NOTE[drill_svc]}"
  echo
  if [[ -n ${BENCH_SUMMARY_FILE:-} ]]; then
    printf '%-6s %9s %8s %8s %8s %8s %8s %8s %8s %8s %8s %8s\n' "$SCALE" "$(mb "$DB_BYTES")" "${WALL[z0]}" "${WALL[dumper]}" "${CPU[dumper]}" \
      "$(ratio "${WALL[dumper]}" "${WALL[z0]}")" "$(ratio "${CPU[dumper]}" "${CPU[stock]}")" "$(ratio "${WALL[dumper_enc]:-}" "${WALL[z0]}")" \
      "$(ratio "${WALL[restore_svc]}" "${WALL[restore_fc]}")" "$(ratio "${WALL[restore_ctl]}" "${WALL[restore_fc]}")" \
      "${START_LATENCY[dumper]}" "${COMPLETED_LATENCY[dumper]}" >>"$BENCH_SUMMARY_FILE"
  fi
  echo "for reference, the stock-tools restores of the artifact (not this service's path):"
  echo "  zstd -dc artifact | pg_restore: $(ratio "${WALL[restore_stream]}" "${WALL[restore_fc]}") x (${WALL[restore_stream]} s);" \
    "zstd -dc > file; pg_restore -j2: $(ratio "${WALL[restore_file]}" "${WALL[restore_fc]}") x (${WALL[restore_file]} s)"
}

# ---------------------------------------------------------------------------------------------

main() {
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  ensure_tools
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/backup-bench.XXXXXXXX")
  chmod 0711 "$WORK" # traversable by infra.sh's PostgreSQL user, not listable
  mkdir -p "$WORK/logs"
  chmod 0700 "$WORK/logs"
  mkfifo "$WORK/pause"
  exec {PAUSE_FD}<>"$WORK/pause"
  log "working in $WORK (scale $SCALE)"
  check_disk
  start_infra
  build_solution
  prepare_catalog
  seed_database
  if ((MEMORY_RUNS)); then
    measure_memory
    return 0
  fi
  measure_stock_dumps
  measure_dumper
  measure_restores
  measure_dumper_encrypted
  report
  if ((${#FAILED_STEPS[@]})); then
    log "broken: ${FAILED_STEPS[*]}"
    return 1
  fi
}

main "$@"
