#!/usr/bin/env bash
# Throwaway RabbitMQ + PostgreSQL 15 on free loopback ports, for tests and the local stack.
#
#   infra.sh up DIR              install what is missing, start them (and s3rver, see s3rver.sh), write DIR/infra.env
#   infra.sh down DIR            stop them, kill leftovers of this instance, remove DIR
#   infra.sh status DIR          exit 0 when all are up
#   infra.sh rabbitmq-stop DIR   stop the broker only (same node, ports and data kept)
#   infra.sh rabbitmq-start DIR  start it again and wait until it is ready
#                                and, as root, a 16 MB tmpfs at DIR/small-disk for full-disk
#                                tests (BACKUP_SMALL_DISK in infra.env)
#   infra.sh rabbitmq-set DIR KEY MS
#                                set a timing of the running broker, for tests: consumer_timeout or
#                                channel_tick_interval (how often a channel checks it), in milliseconds
#
#   infra.sh cluster-up DIR      a three-node RabbitMQ cluster only (no PostgreSQL, no s3rver): nodes
#                                backup-rmq-N-XXXX@localhost, each with its own AMQP, management and distribution
#                                ports and data folder, one Erlang cookie (0400 file) and one epmd; DIR/infra.env
#                                names node 1 as BACKUP_RABBITMQ_PORT and all three in BACKUP_RABBITMQ_HOSTS
#   infra.sh rabbitmq-node-stop DIR N    stop node N (1-3) of a cluster (its data kept)
#   infra.sh rabbitmq-node-start DIR N   start it again and wait until it is back in the cluster
#   (down and status work on a cluster too)
#
# RabbitMQ also listens for TLS (AMQPS) on BACKUP_RABBITMQ_TLS_PORT, with a certificate for 127.0.0.1 and localhost signed
# by a throwaway CA made here (BACKUP_RABBITMQ_CA_FILE), for the tests of RabbitMq:UseTls.
#
# Besides the main PostgreSQL (superuser postgres, BACKUP_PG_*), a second, bare PostgreSQL 15 cluster
# (BACKUP_BARE_PG_*: superuser dr_admin, no other role) stands in for a disaster-recovery server that has none
# of the roles the tests create on the main one; restores are tested onto it.
#
# Both PostgreSQL servers offer TLS (ssl=on) with a certificate for 127.0.0.1 and localhost signed by a throwaway CA
# made here (BACKUP_PG_CA_FILE in infra.env: what a client verifies them with); clients that don't ask for TLS keep
# working. Members of the role backup_tls_only (made by whoever needs it) may connect over TLS only (hostnossl reject).
#
# Everything lives under DIR, so several instances (different DIRs) can run side by side.
# Secrets never appear on a command line: RabbitMQ reads its credentials from rabbitmq.conf,
# initdb from a --pwfile, curl from a -K config file, all mode 0600.
set -euo pipefail

readonly PG_BIN=/usr/lib/postgresql/15/bin
readonly RABBIT_BIN=/usr/lib/rabbitmq/bin # not /usr/sbin: Debian's wrapper there switches to the rabbitmq user
readonly PG_SYSTEM_USER=backup-infra
readonly PG_SUPERUSER=postgres
readonly PG_BARE_SUPERUSER=dr_admin # not postgres: no role of the main server exists on the bare one
readonly STARTUP_TIMEOUT=60

# shellcheck source=deploy/local/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=deploy/local/s3rver.sh
. "$(dirname "${BASH_SOURCE[0]}")/s3rver.sh"

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat >&2 <<'EOF'
usage: infra.sh up|down|status|rabbitmq-stop|rabbitmq-start|cluster-up DIR
       infra.sh rabbitmq-set DIR consumer_timeout|channel_tick_interval MILLISECONDS
       infra.sh rabbitmq-node-stop|rabbitmq-node-start DIR 1|2|3
EOF
  exit 2
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Runs a command as root: directly when root, through sudo when available.
as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

random_hex8() {
  local u
  u=$(</proc/sys/kernel/random/uuid)
  printf '%s' "${u:0:8}"
}

# make_tls_files CA_DIR SERVER_DIR WHAT: a throwaway CA (CA_DIR/ca.crt; its key CA_DIR/ca.key never leaves CA_DIR) and
# a server certificate for 127.0.0.1 and localhost signed by it (SERVER_DIR/server.crt and server.key, 0600), for the
# test servers' TLS listeners. EC P-256: fast to make.
make_tls_files() {
  local ca=$1 server=$2 what=$3
  mkdir -p "$ca" "$server"
  chmod 0700 "$ca" "$server"
  log "making a throwaway CA and a server certificate for $what (127.0.0.1 and localhost)"
  (umask 077 && openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -days 30 \
    -subj "/CN=backup-infra throwaway CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -keyout "$ca/ca.key" -out "$ca/ca.crt" &&
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 -subj "/CN=localhost" \
      -keyout "$server/server.key" -out "$ca/server.csr" &&
    printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
      "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$ca/server.ext" &&
    openssl x509 -req -in "$ca/server.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -set_serial "0x$(random_hex8)" \
      -days 30 -sha256 -extfile "$ca/server.ext" -out "$server/server.crt") >"$ca/openssl.log" 2>&1 ||
    { cat "$ca/openssl.log" >&2; die "openssl could not make the certificates of $what"; }
  rm -f "$ca/server.csr" "$ca/server.ext" "$ca/openssl.log"
  chmod 0755 "$ca"
  chmod 0644 "$ca/ca.crt" "$server/server.crt"
  chmod 0600 "$server/server.key"
}

port_is_listening() { # port_is_listening PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# ---------------------------------------------------------------------------------------------
# Packages
# ---------------------------------------------------------------------------------------------

missing_packages() {
  [[ -x $RABBIT_BIN/rabbitmq-server ]] || echo rabbitmq-server
  [[ -x $PG_BIN/initdb && -x $PG_BIN/pg_ctl ]] || echo postgresql-15
  [[ -x $PG_BIN/psql && -x $PG_BIN/pg_dump ]] || echo postgresql-client-15
  command -v curl >/dev/null 2>&1 || echo curl
  command -v openssl >/dev/null 2>&1 || echo openssl # the throwaway CAs and certificates of the broker's and the servers' TLS
  command -v zstd >/dev/null 2>&1 || echo zstd # the stock-tools restore: zstd -dc X | pg_restore
  command -v gpg >/dev/null 2>&1 || echo gnupg # decrypting artifacts, and the encryption tests
  command -v clang >/dev/null 2>&1 || echo clang # backupctl's native build (dotnet publish tools/Backup.Ctl links with it)
  [[ -x /usr/bin/chromium ]] || echo chromium # the dashboard's browser tests (Playwright drives Debian's Chromium)
  [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || echo fonts-dejavu-core # text in the dashboard's screenshots
  s3rver_missing_packages # the S3 artifact store's tests
  # promtool (check config, check rules, test rules) for the alert rules' tests. The package's Prometheus server is never
  # started: the policy-rc.d below stops its postinst, and nothing here runs it.
  command -v promtool >/dev/null 2>&1 || echo prometheus
}

# Runs as root. A temporary policy-rc.d (exit 101) stops the packages' postinst scripts from
# starting system-wide RabbitMQ/PostgreSQL services; one that was already there is kept as is.
# shellcheck disable=SC2016 # expanded by the inner bash
readonly INSTALL_SCRIPT='
set -euo pipefail
exec 9>/var/lock/backup-infra-install.lock
flock -w 600 9
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
  printf "#!/bin/sh\nexit 101\n" >"$policy"
  chmod 0755 "$policy"
  trap "rm -f $policy" EXIT
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=600 "$@"
'

install_missing_packages() {
  local missing
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]} == 0)) && return 0
  log "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive bash -c "$INSTALL_SCRIPT" install "${missing[@]}" \
    >"${TMPDIR:-/tmp}/backup-infra-apt.$$.log" 2>&1 ||
    { tail -n 30 "${TMPDIR:-/tmp}/backup-infra-apt.$$.log" >&2; die "package installation failed"; }
  rm -f "${TMPDIR:-/tmp}/backup-infra-apt.$$.log"
  mapfile -t missing < <(missing_packages)
  ((${#missing[@]} == 0)) || die "still missing after install: ${missing[*]}"
}

# ---------------------------------------------------------------------------------------------
# Instance state. infra.env holds the public contract; state.env the private details
# (distribution/epmd ports, where the PostgreSQL directory really is).
# ---------------------------------------------------------------------------------------------

load_instance() {
  [[ -f $DIR/infra.env && -f $DIR/state.env ]] || return 1
  set -a
  # shellcheck disable=SC1091
  . "$DIR/infra.env"
  # shellcheck disable=SC1091
  . "$DIR/state.env"
  set +a
}

write_file_0600() { # write_file_0600 PATH  (content on stdin)
  (umask 077 && cat >"$1")
  chmod 0600 "$1"
}

write_env_files() {
  write_file_0600 "$DIR/infra.env" <<EOF
BACKUP_RABBITMQ_HOST=127.0.0.1
BACKUP_RABBITMQ_PORT=$BACKUP_RABBITMQ_PORT
BACKUP_RABBITMQ_MANAGEMENT_PORT=$BACKUP_RABBITMQ_MANAGEMENT_PORT
BACKUP_RABBITMQ_TLS_PORT=$BACKUP_RABBITMQ_TLS_PORT
BACKUP_RABBITMQ_CA_FILE=$(rabbit_tls_dir)/ca.crt
BACKUP_RABBITMQ_USER=$BACKUP_RABBITMQ_USER
BACKUP_RABBITMQ_PASSWORD=$BACKUP_RABBITMQ_PASSWORD
BACKUP_RABBITMQ_NODENAME=$BACKUP_RABBITMQ_NODENAME
BACKUP_PG_HOST=127.0.0.1
BACKUP_PG_PORT=$BACKUP_PG_PORT
BACKUP_PG_USER=$PG_SUPERUSER
BACKUP_PG_PASSWORD=$BACKUP_PG_PASSWORD
BACKUP_PG_BIN=$PG_BIN
BACKUP_PG_CA_FILE=$(pg_ca_file)
BACKUP_BARE_PG_HOST=127.0.0.1
BACKUP_BARE_PG_PORT=$BACKUP_BARE_PG_PORT
BACKUP_BARE_PG_USER=$PG_BARE_SUPERUSER
BACKUP_BARE_PG_PASSWORD=$BACKUP_BARE_PG_PASSWORD
BACKUP_INFRA_DIR=$DIR
EOF
  write_file_0600 "$DIR/state.env" <<EOF
RABBIT_DIST_PORT=$RABBIT_DIST_PORT
RABBIT_EPMD_PORT=$RABBIT_EPMD_PORT
PG_ROOT=$PG_ROOT
EOF
}

# Every process an instance starts carries this variable, so `down` can find leftovers of
# this instance only (and never touch another instance or a system service).
instance_marker() { printf 'BACKUP_INFRA_INSTANCE=%s' "$DIR"; }

instance_pids() {
  local marker f
  marker=$(instance_marker)
  while IFS= read -r f; do
    f=${f#/proc/}
    f=${f%/environ}
    pid_alive "$f" && printf '%s\n' "$f"
  done < <(grep -lzxF -- "$marker" /proc/[0-9]*/environ 2>/dev/null || true)
}

# ---------------------------------------------------------------------------------------------
# RabbitMQ
# ---------------------------------------------------------------------------------------------

# A cluster's node N lives in DIR/rabbitmq-N (RABBIT_NODE, set by use_cluster_node), the single broker in DIR/rabbitmq.
rabbit_dir() { printf '%s/rabbitmq%s' "$DIR" "${RABBIT_NODE:+-$RABBIT_NODE}"; }

# Where the Erlang cookie is (HOME of the broker and of rabbitmqctl): the nodes of a cluster share one.
rabbit_home() { if [[ -n ${RABBIT_NODE:-} ]]; then printf '%s/home' "$DIR"; else printf '%s/home' "$(rabbit_dir)"; fi; }

# This instance's environment for RabbitMQ scripts. HOME points into DIR so the Erlang cookie
# is ours whether or not the caller has a HOME; the system rabbitmq-env.conf is ignored; our
# own epmd port keeps the node apart from a system node and from other instances.
rabbit_env() {
  local r
  r=$(rabbit_dir)
  RABBIT_ENV=(
    HOME="$(rabbit_home)" LC_ALL=C.UTF-8
    "$(instance_marker)"
    RABBITMQ_NODENAME="$BACKUP_RABBITMQ_NODENAME"
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$BACKUP_RABBITMQ_PORT"
    RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
    ERL_EPMD_PORT="$RABBIT_EPMD_PORT"
    ERL_EPMD_ADDRESS=127.0.0.1
    RABBITMQ_CONF_ENV_FILE="$r/rabbitmq-env.conf"
    RABBITMQ_CONFIG_FILE="$r/rabbitmq.conf"
    RABBITMQ_ADVANCED_CONFIG_FILE="$r/advanced.config"
    RABBITMQ_ENABLED_PLUGINS_FILE="$r/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$r/mnesia"
    RABBITMQ_LOG_BASE="$r/log"
    RABBITMQ_PID_FILE="$r/rabbitmq.pid"
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    RABBITMQ_CTL_DIST_PORT_MIN=35672 RABBITMQ_CTL_DIST_PORT_MAX=35772
  )
}

# rabbitmqctl against our node, with a hard deadline; output goes to the startup log.
rabbitmqctl_with_deadline() { # rabbitmqctl_with_deadline SECONDS ARGS...
  local r
  r=$(rabbit_dir)
  rabbit_env
  (cd "$r" && timeout "$1" env "${RABBIT_ENV[@]}" "$RABBIT_BIN/rabbitmqctl" -q -n "$BACKUP_RABBITMQ_NODENAME" "${@:2}" \
    </dev/null >>"$r/log/startup.log" 2>&1)
}

rabbit_pid() {
  local f
  f="$(rabbit_dir)/rabbitmq.pid"
  [[ -s $f ]] && tr -dc '0-9' <"$f"
}

rabbit_running() { pid_alive "$(rabbit_pid || true)"; }

write_rabbit_cookie() {
  local home
  home=$(rabbit_home)
  mkdir -p "$home"
  chmod 0700 "$home"
  random_alnum 20 | write_file_0600 "$home/.erlang.cookie"
  chmod 0400 "$home/.erlang.cookie"
}

write_rabbit_config() {
  local r
  r=$(rabbit_dir)
  mkdir -p "$r/mnesia" "$r/log"
  chmod 0700 "$r"
  : >"$r/rabbitmq-env.conf"
  echo '[rabbitmq_management].' >"$r/enabled_plugins"
  write_file_0600 "$r/rabbitmq.conf" <<EOF
default_vhost = /
default_user = $BACKUP_RABBITMQ_USER
default_pass = $BACKUP_RABBITMQ_PASSWORD
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
management.tcp.ip = 127.0.0.1
management.tcp.port = $BACKUP_RABBITMQ_MANAGEMENT_PORT
log.console = false
log.file.level = info
EOF
  if [[ -n ${BACKUP_RABBITMQ_TLS_PORT:-} ]]; then
    cat >>"$r/rabbitmq.conf" <<EOF
listeners.ssl.1 = 127.0.0.1:$BACKUP_RABBITMQ_TLS_PORT
ssl_options.cacertfile = $(rabbit_tls_dir)/ca.crt
ssl_options.certfile = $(rabbit_tls_dir)/server.crt
ssl_options.keyfile = $(rabbit_tls_dir)/server.key
ssl_options.verify = verify_none
ssl_options.fail_if_no_peer_cert = false
EOF
  fi
  write_file_0600 "$r/curl.conf" <<EOF
user = "$BACKUP_RABBITMQ_USER:$BACKUP_RABBITMQ_PASSWORD"
EOF
}

# The broker's TLS listener (BACKUP_RABBITMQ_TLS_PORT): its own throwaway CA and server certificate, all in one folder;
# clients trust DIR/rabbitmq/tls/ca.crt (BACKUP_RABBITMQ_CA_FILE).
rabbit_tls_dir() { printf '%s/tls' "$(rabbit_dir)"; }

start_rabbit_in_background() {
  local r
  r=$(rabbit_dir)
  rm -f "$r/rabbitmq.pid"
  log "starting RabbitMQ node $BACKUP_RABBITMQ_NODENAME (amqp $BACKUP_RABBITMQ_PORT, amqps ${BACKUP_RABBITMQ_TLS_PORT:-none}, management $BACKUP_RABBITMQ_MANAGEMENT_PORT)"
  rabbit_env
  (cd "$r" && setsid env "${RABBIT_ENV[@]}" "$RABBIT_BIN/rabbitmq-server" -detached \
    </dev/null >>"$r/log/startup.log" 2>&1)
}

wait_for_rabbit() {
  local r deadline code
  r=$(rabbit_dir)
  deadline=$((SECONDS + STARTUP_TIMEOUT))
  if ! rabbitmqctl_with_deadline $((STARTUP_TIMEOUT + 10)) wait --timeout "$STARTUP_TIMEOUT" "$r/rabbitmq.pid"; then
    dump_rabbit_logs
    die "RabbitMQ did not start (it stopped, or was not ready within ${STARTUP_TIMEOUT}s)"
  fi
  # The broker is up; make sure AMQP and the management API answer too.
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -K "$r/curl.conf" \
      "http://127.0.0.1:$BACKUP_RABBITMQ_MANAGEMENT_PORT/api/overview" || true)
    if [[ $code == 200 ]] && port_is_listening "$BACKUP_RABBITMQ_PORT"; then
      return 0
    fi
    ((SECONDS < deadline)) || { dump_rabbit_logs; die "RabbitMQ management API not ready (HTTP $code)"; }
    sleep 0.2
  done
}

dump_rabbit_logs() {
  local f
  for f in "$(rabbit_dir)"/log/*.log; do
    [[ -f $f ]] || continue
    echo "---- $f" >&2
    tail -n 40 "$f" >&2
  done
}

stop_rabbit() {
  local r pid
  r=$(rabbit_dir)
  pid=$(rabbit_pid || true)
  if pid_alive "$pid"; then
    log "stopping RabbitMQ node $BACKUP_RABBITMQ_NODENAME"
    rabbitmqctl_with_deadline 60 stop "$r/rabbitmq.pid" || true
    if pid_alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$r/rabbitmq.pid"
}

# ---------------------------------------------------------------------------------------------
# A three-node RabbitMQ cluster (cluster-up). A new cluster's nodes boot one after another; nodes 2 and 3 join node 1 through
# classic_config peer discovery (their rabbitmq.conf names node 1, and they retry until it answers). Lists of the nodes' names and ports are
# space-separated in state.env; use_cluster_node N points the single-node functions above at node N.
# ---------------------------------------------------------------------------------------------

readonly CLUSTER_SIZE=3

is_cluster() { [[ -f $DIR/.backup-infra-cluster ]]; }

use_cluster_node() { # use_cluster_node N
  local names ports management dist
  read -r -a names <<<"$CLUSTER_NODENAMES"
  read -r -a ports <<<"$CLUSTER_PORTS"
  read -r -a management <<<"$CLUSTER_MANAGEMENT_PORTS"
  read -r -a dist <<<"$CLUSTER_DIST_PORTS"
  RABBIT_NODE=$1
  BACKUP_RABBITMQ_NODENAME=${names[$1 - 1]}
  BACKUP_RABBITMQ_PORT=${ports[$1 - 1]}
  BACKUP_RABBITMQ_MANAGEMENT_PORT=${management[$1 - 1]}
  RABBIT_DIST_PORT=${dist[$1 - 1]}
  BACKUP_RABBITMQ_TLS_PORT=
}

cluster_node_numbers() { seq 1 "$CLUSTER_SIZE"; }

write_cluster_env_files() {
  local hosts="" port first_port first_management
  for port in $CLUSTER_PORTS; do hosts+="${hosts:+,}127.0.0.1:$port"; done
  read -r first_port _ <<<"$CLUSTER_PORTS"
  read -r first_management _ <<<"$CLUSTER_MANAGEMENT_PORTS"
  write_file_0600 "$DIR/infra.env" <<EOF
BACKUP_RABBITMQ_HOST=127.0.0.1
BACKUP_RABBITMQ_PORT=$first_port
BACKUP_RABBITMQ_MANAGEMENT_PORT=$first_management
BACKUP_RABBITMQ_USER=$BACKUP_RABBITMQ_USER
BACKUP_RABBITMQ_PASSWORD=$BACKUP_RABBITMQ_PASSWORD
BACKUP_RABBITMQ_HOSTS=$hosts
BACKUP_RABBITMQ_CLUSTER_PORTS="$CLUSTER_PORTS"
BACKUP_RABBITMQ_CLUSTER_MANAGEMENT_PORTS="$CLUSTER_MANAGEMENT_PORTS"
BACKUP_RABBITMQ_CLUSTER_NODENAMES="$CLUSTER_NODENAMES"
BACKUP_INFRA_DIR=$DIR
EOF
  write_file_0600 "$DIR/state.env" <<EOF
RABBIT_EPMD_PORT=$RABBIT_EPMD_PORT
CLUSTER_NODENAMES="$CLUSTER_NODENAMES"
CLUSTER_PORTS="$CLUSTER_PORTS"
CLUSTER_MANAGEMENT_PORTS="$CLUSTER_MANAGEMENT_PORTS"
CLUSTER_DIST_PORTS="$CLUSTER_DIST_PORTS"
EOF
}

# Nodes 2 and 3 join node 1 when they first boot; a node with data of its own rejoins its cluster by itself.
write_cluster_node_config() { # write_cluster_node_config N (after use_cluster_node N)
  local first
  write_rabbit_config
  (($1 > 1)) || return 0
  read -r first _ <<<"$CLUSTER_NODENAMES"
  cat >>"$(rabbit_dir)/rabbitmq.conf" <<EOF
cluster_formation.peer_discovery_backend = classic_config
cluster_formation.classic_config.nodes.1 = $first
cluster_formation.discovery_retry_limit = $((STARTUP_TIMEOUT * 2))
cluster_formation.discovery_retry_interval = 500
EOF
}

# Waits (with a deadline) until node 1 counts every node as running in its cluster.
wait_for_cluster() {
  local deadline=$((SECONDS + STARTUP_TIMEOUT)) status running
  use_cluster_node 1
  while :; do
    status=$(rabbitmqctl_output 15 cluster_status --formatter json || true)
    running=$(grep -o '"running_nodes":\[[^]]*\]' <<<"$status" | grep -o '@' | wc -l)
    ((running == CLUSTER_SIZE)) && return 0
    ((SECONDS < deadline)) || { dump_rabbit_logs; die "the cluster has $running of $CLUSTER_SIZE nodes running after ${STARTUP_TIMEOUT}s"; }
    sleep 0.5
  done
}

# rabbitmqctl against the current node, its output on stdout (the startup log gets its errors).
rabbitmqctl_output() { # rabbitmqctl_output SECONDS ARGS...
  local r
  r=$(rabbit_dir)
  rabbit_env
  (cd "$r" && timeout "$1" env "${RABBIT_ENV[@]}" "$RABBIT_BIN/rabbitmqctl" -q -n "$BACKUP_RABBITMQ_NODENAME" "${@:2}" \
    </dev/null 2>>"$r/log/startup.log")
}

start_cluster_node() { # start_cluster_node N: start it (unless running) and wait until it answers
  use_cluster_node "$1"
  rabbit_running || start_rabbit_in_background
  wait_for_rabbit
}

create_cluster_instance() {
  local suffix n
  mkdir -p "$DIR"
  [[ -z $(ls -A "$DIR") ]] || die "$DIR is not empty and holds no instance"
  : >"$DIR/.backup-infra"
  : >"$DIR/.backup-infra-cluster"
  chmod 0700 "$DIR"
  local ports
  read -r -a ports < <(free_ports $((3 * CLUSTER_SIZE + 1)))
  RABBIT_EPMD_PORT=${ports[0]}
  CLUSTER_PORTS="${ports[*]:1:3}"
  CLUSTER_MANAGEMENT_PORTS="${ports[*]:4:3}"
  CLUSTER_DIST_PORTS="${ports[*]:7:3}"
  suffix=$(random_hex8)
  CLUSTER_NODENAMES=$(for n in $(cluster_node_numbers); do printf 'backup-rmq-%s-%s@localhost ' "$n" "${suffix:0:4}"; done)
  CLUSTER_NODENAMES=${CLUSTER_NODENAMES% }
  BACKUP_RABBITMQ_USER="backup-$(random_hex8)"
  BACKUP_RABBITMQ_PASSWORD=$(random_alnum 32)
  write_cluster_env_files
  use_cluster_node 1
  write_rabbit_cookie
  for n in $(cluster_node_numbers); do
    use_cluster_node "$n"
    write_cluster_node_config "$n"
  done
}

cmd_cluster_up() {
  local started=$SECONDS n pids=() pid
  install_missing_packages
  if load_instance; then
    is_cluster || die "$DIR holds a single-node instance (made by up), not a cluster"
    log "cluster in $DIR exists; starting the nodes that are not running"
    # Nodes with data wait for their peers as they boot, so they start together.
    for n in $(cluster_node_numbers); do
      (start_cluster_node "$n") &
      pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || die "a RabbitMQ node of the cluster did not start"; done
  else
    create_cluster_instance
    # A new node joins node 1 one at a time, after node 1 has booted: a node that joins while node 1 is still
    # enabling its feature flags (which rewrite the queue table) fails its schema integrity check.
    for n in $(cluster_node_numbers); do start_cluster_node "$n"; done
  fi
  wait_for_cluster
  log "cluster up in $((SECONDS - started))s: nodes $CLUSTER_NODENAMES, AMQP ports $CLUSTER_PORTS (management $CLUSTER_MANAGEMENT_PORTS); env in $DIR/infra.env"
}

cluster_node_argument() { # cluster_node_argument N: dies unless N names a node
  [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= CLUSTER_SIZE)) || die "node must be 1 to $CLUSTER_SIZE"
}

cmd_rabbitmq_node_stop() { # cmd_rabbitmq_node_stop N
  load_instance && is_cluster || die "no cluster in $DIR"
  cluster_node_argument "$1"
  use_cluster_node "$1"
  stop_rabbit
}

cmd_rabbitmq_node_start() { # cmd_rabbitmq_node_start N
  load_instance && is_cluster || die "no cluster in $DIR"
  cluster_node_argument "$1"
  start_cluster_node "$1"
  wait_for_cluster
  log "RabbitMQ node $1 is back in the cluster"
}

stop_cluster() {
  local n pids=() pid
  for n in $(cluster_node_numbers); do
    (use_cluster_node "$n" && stop_rabbit) &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
}

cluster_status() {
  local n ok=0
  for n in $(cluster_node_numbers); do
    use_cluster_node "$n"
    if rabbit_running; then echo "rabbitmq node $n: up (127.0.0.1:$BACKUP_RABBITMQ_PORT, $BACKUP_RABBITMQ_NODENAME)"; else echo "rabbitmq node $n: down"; ok=1; fi
  done
  return "$ok"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

# initdb refuses root: as root, PostgreSQL runs as an unprivileged system user.
ensure_pg_system_user() {
  is_root || return 0
  id -u "$PG_SYSTEM_USER" >/dev/null 2>&1 && return 0
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
    "$PG_SYSTEM_USER" 2>/dev/null || id -u "$PG_SYSTEM_USER" >/dev/null 2>&1 ||
    die "could not create system user $PG_SYSTEM_USER"
}

as_pg_user() {
  if is_root; then
    runuser -u "$PG_SYSTEM_USER" -- env "$(instance_marker)" "$@"
  else
    env "$(instance_marker)" "$@"
  fi
}

# The PostgreSQL directory is DIR/pg, unless the unprivileged user cannot reach DIR (a repo
# under /root, say); then it lives in a private directory under /tmp with DIR/pg linking to it.
choose_pg_root() {
  PG_ROOT="$DIR/pg"
  if is_root; then
    chmod o+x "$DIR"
    if ! runuser -u "$PG_SYSTEM_USER" -- test -x "$DIR"; then
      PG_ROOT=$(mktemp -d /tmp/backup-infra-pg.XXXXXXXX)
      ln -s "$PG_ROOT" "$DIR/pg"
    fi
  fi
  mkdir -p "$PG_ROOT"
  chmod 0700 "$PG_ROOT"
  if is_root; then chown "$PG_SYSTEM_USER:" "$PG_ROOT"; fi
}

# TLS for both clusters: a throwaway CA in DIR/pg-tls and one server certificate, with its key in PG_ROOT/tls, readable
# only by the PostgreSQL user.
pg_ca_file() { printf '%s/pg-tls/ca.crt' "$DIR"; }
pg_server_tls_dir() { printf '%s/tls' "$PG_ROOT"; }

make_pg_certificates() {
  make_tls_files "$DIR/pg-tls" "$(pg_server_tls_dir)" "the PostgreSQL servers"
  if is_root; then chown -R "$PG_SYSTEM_USER:" "$(pg_server_tls_dir)"; fi
}

# Two clusters: the main one in PG_ROOT, the bare one in PG_ROOT/bare. Each function below takes the cluster's
# folder (its data/ and sock/ folders and its logs are in it) and its port.
bare_pg_root() { printf '%s/bare' "$PG_ROOT"; }

pg_running() { # pg_running ROOT
  [[ -f $1/data/postmaster.pid ]] && (cd / && as_pg_user "$PG_BIN/pg_ctl" -D "$1/data" status >/dev/null 2>&1)
}

init_pg_cluster() { # init_pg_cluster ROOT PORT SUPERUSER PASSWORD
  local root=$1 port=$2 superuser=$3 pwfile="$1/pwfile"
  mkdir -p "$root"
  chmod 0700 "$root"
  if is_root; then chown "$PG_SYSTEM_USER:" "$root"; fi
  printf '%s\n' "$4" | write_file_0600 "$pwfile"
  if is_root; then chown "$PG_SYSTEM_USER:" "$pwfile"; fi
  log "initialising PostgreSQL 15 cluster (port $port, superuser $superuser)"
  if ! (cd "$root" && as_pg_user "$PG_BIN/initdb" -D "$root/data" -U "$superuser" \
    --pwfile="$pwfile" --auth-host=scram-sha-256 --auth-local=trust \
    --encoding=UTF8 --locale=C.UTF-8 --no-sync --no-instructions >"$root/initdb.log" 2>&1); then
    rm -f "$pwfile"
    cat "$root/initdb.log" >&2
    die "initdb failed"
  fi
  rm -f "$pwfile"
  mkdir -p "$root/sock"
  chmod 0700 "$root/sock"
  if is_root; then chown "$PG_SYSTEM_USER:" "$root/sock"; fi
  # Throwaway data: durability is traded for speed.
  cat >>"$root/data/postgresql.conf" <<EOF

# --- backup-infra ---
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$root/sock'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
ssl = on
ssl_cert_file = '$(pg_server_tls_dir)/server.crt'
ssl_key_file = '$(pg_server_tls_dir)/server.key'
EOF
  # First rule: members of backup_tls_only are turned away without TLS (tests show that a client really used it).
  printf '%s\n%s\n' "hostnossl all +backup_tls_only 127.0.0.1/32 reject" "$(cat "$root/data/pg_hba.conf")" >"$root/data/pg_hba.conf.new"
  mv "$root/data/pg_hba.conf.new" "$root/data/pg_hba.conf"
  if is_root; then chown "$PG_SYSTEM_USER:" "$root/data/pg_hba.conf"; fi
}

start_pg() { # start_pg ROOT PORT
  log "starting PostgreSQL on 127.0.0.1:$2"
  if ! (cd "$1" && as_pg_user "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/postgres.log" \
    -w -t "$STARTUP_TIMEOUT" -s start </dev/null >/dev/null 2>&1); then
    tail -n 40 "$1/postgres.log" >&2 || true
    die "PostgreSQL on port $2 did not start"
  fi
}

stop_pg() { # stop_pg ROOT PORT
  [[ -n ${1:-} && -d $1/data ]] || return 0
  if pg_running "$1"; then
    log "stopping PostgreSQL on port $2"
    (cd / && as_pg_user "$PG_BIN/pg_ctl" -D "$1/data" -m fast -w -t 30 -s stop </dev/null >/dev/null 2>&1) || true
  fi
}

# The bare server is initialised and started in a process of its own while the main one is (initdb is most of
# the cost, and there are two cores); wait_for_bare_pg waits for it and reports its failure.
start_bare_pg_in_background() {
  (init_pg_cluster "$(bare_pg_root)" "$BACKUP_BARE_PG_PORT" "$PG_BARE_SUPERUSER" "$BACKUP_BARE_PG_PASSWORD" &&
    start_pg "$(bare_pg_root)" "$BACKUP_BARE_PG_PORT") &
  BARE_PG_STARTING=$!
}

wait_for_bare_pg() {
  wait "$BARE_PG_STARTING" || die "the bare PostgreSQL server (port $BACKUP_BARE_PG_PORT) did not start"
}

# An instance made before the bare server existed has no BACKUP_BARE_PG_PORT: it goes on without one.
has_bare_pg() { [[ -n ${BACKUP_BARE_PG_PORT:-} ]]; }

# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------

create_instance() {
  mkdir -p "$DIR"
  [[ -z $(ls -A "$DIR") ]] || die "$DIR is not empty and holds no instance"
  : >"$DIR/.backup-infra"
  chmod 0700 "$DIR"
  read -r BACKUP_RABBITMQ_PORT BACKUP_RABBITMQ_MANAGEMENT_PORT RABBIT_DIST_PORT RABBIT_EPMD_PORT BACKUP_PG_PORT \
    BACKUP_BARE_PG_PORT BACKUP_RABBITMQ_TLS_PORT < <(free_ports 7)
  BACKUP_RABBITMQ_NODENAME="backup-$(random_hex8)@localhost"
  BACKUP_RABBITMQ_USER="backup-$(random_hex8)"
  BACKUP_RABBITMQ_PASSWORD=$(random_alnum 32)
  BACKUP_PG_PASSWORD=$(random_alnum 32)
  BACKUP_BARE_PG_PASSWORD=$(random_alnum 32)

  ensure_pg_system_user
  choose_pg_root
  write_rabbit_cookie
  write_rabbit_config
  make_tls_files "$(rabbit_tls_dir)" "$(rabbit_tls_dir)" "the broker"
  write_env_files
  configure_s3rver
  make_pg_certificates

  start_rabbit_in_background # boots while PostgreSQL is initialised
  start_bare_pg_in_background
  init_pg_cluster "$PG_ROOT" "$BACKUP_PG_PORT" "$PG_SUPERUSER" "$BACKUP_PG_PASSWORD"
  start_pg "$PG_ROOT" "$BACKUP_PG_PORT"
  start_s3rver
  mount_small_disk
  wait_for_bare_pg
  wait_for_rabbit
}

# A 16 MB filesystem of its own, so tests can fill a disk without touching the machine's: mounted when this
# process runs as root (as CI does); otherwise the full-disk tests say they were skipped and why.
small_disk() { printf '%s/small-disk' "$DIR"; }
mount_small_disk() {
  mkdir -p "$(small_disk)"
  if is_root && mount -t tmpfs -o size=16m,mode=0777 backup-small-disk "$(small_disk)" 2>/dev/null; then
    printf 'BACKUP_SMALL_DISK=%s\n' "$(small_disk)" >>"$DIR/infra.env"
  else
    log "could not mount a tmpfs at $(small_disk): the full-disk tests will be skipped"
  fi
}
unmount_small_disk() {
  if mountpoint -q "$(small_disk)" 2>/dev/null; then
    umount "$(small_disk)" || log "could not unmount $(small_disk)"
  fi
}

cmd_up() {
  local started=$SECONDS
  install_missing_packages
  if load_instance; then
    ! is_cluster || die "$DIR holds a cluster (made by cluster-up): use cluster-up"
    log "instance in $DIR exists; starting what is not running"
    rabbit_running || { start_rabbit_in_background; wait_for_rabbit; }
    pg_running "$PG_ROOT" || start_pg "$PG_ROOT" "$BACKUP_PG_PORT"
    if has_bare_pg && ! pg_running "$(bare_pg_root)"; then start_pg "$(bare_pg_root)" "$BACKUP_BARE_PG_PORT"; fi
    s3rver_running || start_s3rver
  else
    create_instance
  fi
  log "up in $((SECONDS - started))s: RabbitMQ 127.0.0.1:$BACKUP_RABBITMQ_PORT (management $BACKUP_RABBITMQ_MANAGEMENT_PORT), PostgreSQL 127.0.0.1:$BACKUP_PG_PORT${BACKUP_BARE_PG_PORT:+ (bare: $PG_BARE_SUPERUSER@127.0.0.1:$BACKUP_BARE_PG_PORT)}${BACKUP_S3_URL:+, s3rver $BACKUP_S3_URL}; env in $DIR/infra.env"
}

cmd_down() {
  local pids
  if load_instance && is_cluster; then
    stop_cluster
  elif load_instance; then
    stop_rabbit
    stop_pg "$PG_ROOT" "$BACKUP_PG_PORT"
    if has_bare_pg; then stop_pg "$(bare_pg_root)" "$BACKUP_BARE_PG_PORT"; fi
    stop_s3rver
  fi
  unmount_small_disk
  mapfile -t pids < <(instance_pids)
  if ((${#pids[@]})); then
    log "killing what is left of this instance (epmd and such): ${pids[*]}"
    kill -KILL "${pids[@]}" 2>/dev/null || true
  fi
  if [[ -L $DIR/pg ]]; then
    rm -rf "$(readlink "$DIR/pg")"
  fi
  if [[ -e $DIR/.backup-infra ]]; then
    rm -rf "$DIR"
  elif [[ -d $DIR ]]; then
    rmdir "$DIR" 2>/dev/null || log "left $DIR in place: it is not an infra.sh directory"
  fi
  return 0
}

cmd_status() {
  load_instance || { echo "down (no instance in $DIR)"; return 1; }
  if is_cluster; then cluster_status; return; fi
  local ok=0
  if rabbit_running; then echo "rabbitmq: up (127.0.0.1:$BACKUP_RABBITMQ_PORT)"; else echo "rabbitmq: down"; ok=1; fi
  if pg_running "$PG_ROOT"; then echo "postgres: up (127.0.0.1:$BACKUP_PG_PORT)"; else echo "postgres: down"; ok=1; fi
  if has_bare_pg; then
    if pg_running "$(bare_pg_root)"; then echo "bare postgres: up (127.0.0.1:$BACKUP_BARE_PG_PORT)"; else echo "bare postgres: down"; ok=1; fi
  fi
  if [[ -n ${BACKUP_S3_URL:-} ]]; then
    if s3rver_running; then echo "s3rver: up ($BACKUP_S3_URL)"; else echo "s3rver: down"; ok=1; fi
  fi
  return "$ok"
}

cmd_rabbitmq_stop() {
  load_instance || die "no instance in $DIR"
  ! is_cluster || die "$DIR holds a cluster: use rabbitmq-node-stop DIR N"
  stop_rabbit
}

cmd_rabbitmq_start() {
  load_instance || die "no instance in $DIR"
  ! is_cluster || die "$DIR holds a cluster: use rabbitmq-node-start DIR N"
  if rabbit_running; then
    log "RabbitMQ already running"
  else
    start_rabbit_in_background
  fi
  wait_for_rabbit
  log "RabbitMQ ready on 127.0.0.1:$BACKUP_RABBITMQ_PORT"
}

# Changes one of the broker's timings while it runs (channels opened afterwards use it); tests shorten the
# consumer timeout to seconds this way. Only the two keys below, only digits: nothing else reaches `eval`.
cmd_rabbitmq_set() { # cmd_rabbitmq_set KEY MILLISECONDS
  load_instance || die "no instance in $DIR"
  [[ $1 == consumer_timeout || $1 == channel_tick_interval ]] || die "rabbitmq-set: KEY is consumer_timeout or channel_tick_interval"
  [[ $2 =~ ^[0-9]{1,10}$ ]] || die "rabbitmq-set: MS must be a number of milliseconds"
  rabbitmqctl_with_deadline 30 eval "application:set_env(rabbit, $1, $2)." || die "rabbitmqctl eval failed (see $(rabbit_dir)/log/startup.log)"
  log "RabbitMQ $1 = $2 ms"
}

main() {
  if [[ ${1:-} == rabbitmq-set ]]; then
    (($# == 4)) || usage
  elif [[ ${1:-} == rabbitmq-node-stop || ${1:-} == rabbitmq-node-start ]]; then
    (($# == 3)) || usage
  else
    (($# == 2)) || usage
  fi
  DIR=$(realpath -m -- "$2")
  [[ $DIR != / ]] || die "refusing DIR=/"
  [[ $DIR =~ ^[A-Za-z0-9_./-]+$ ]] || die "DIR may only contain letters, digits and _ . / -"
  case $1 in
    up) cmd_up ;;
    down) cmd_down ;;
    status) cmd_status ;;
    rabbitmq-stop) cmd_rabbitmq_stop ;;
    rabbitmq-start) cmd_rabbitmq_start ;;
    rabbitmq-set) cmd_rabbitmq_set "$3" "$4" ;;
    cluster-up) cmd_cluster_up ;;
    rabbitmq-node-stop) cmd_rabbitmq_node_stop "$3" ;;
    rabbitmq-node-start) cmd_rabbitmq_node_start "$3" ;;
    *) usage ;;
  esac
}

main "$@"
