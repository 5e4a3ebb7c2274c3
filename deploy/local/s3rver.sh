#!/usr/bin/env bash
# s3rver, a throwaway S3-compatible server for the S3 artifact store's tests (sourced by infra.sh, not run).
#
# Installed from npm at a pinned version into a cache outside the repository, started on a free loopback port with
# its data under DIR/s3 and one bucket, stopped by `infra.sh down`. s3rver has one fixed account, S3RVER/S3RVER:
# not a secret, and it goes to infra.env like the broker's and database's throwaway credentials.
#
# What s3rver 3.7.1 does not do (the tests say so where it matters): ListMultipartUploads (501 NotImplemented),
# AbortMultipartUpload (405), and checking V4 signatures (it checks the access key only).

readonly S3RVER_VERSION=3.7.1
readonly S3RVER_BUCKET=backups
readonly S3RVER_ACCOUNT=S3RVER

s3rver_missing_packages() {
  command -v node >/dev/null 2>&1 || echo nodejs
  command -v npm >/dev/null 2>&1 || echo npm
}

s3rver_home() {
  printf '%s/backup-infra/s3rver-%s' "${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}" "$S3RVER_VERSION"
}

s3rver_bin() { printf '%s/node_modules/s3rver/bin/s3rver.js' "$(s3rver_home)"; }

# Installs the pinned s3rver once per machine; concurrent installs wait for each other.
install_s3rver() {
  local home staging
  home=$(s3rver_home)
  [[ -f $(s3rver_bin) ]] && return 0
  mkdir -p "$(dirname "$home")"
  (
    flock -w 600 9 || die "timed out waiting for another s3rver install"
    [[ -f $(s3rver_bin) ]] && exit 0
    log "installing s3rver $S3RVER_VERSION from npm into $home"
    staging=$(mktemp -d "$home.XXXXXX")
    if ! npm install --prefix "$staging" --no-audit --no-fund --no-package-lock --loglevel=error \
      "s3rver@$S3RVER_VERSION" </dev/null >"$staging.log" 2>&1; then
      tail -n 30 "$staging.log" >&2
      rm -rf "$staging" "$staging.log"
      die "npm install s3rver@$S3RVER_VERSION failed"
    fi
    rm -rf "$home" "$staging.log"
    mv "$staging" "$home"
  ) 9>"$home.lock"
}

s3rver_dir() { printf '%s/s3' "$DIR"; }

s3rver_pid() {
  local f
  f="$(s3rver_dir)/s3rver.pid"
  [[ -s $f ]] && tr -dc '0-9' <"$f"
}

s3rver_running() { pid_alive "$(s3rver_pid || true)"; }

# A new instance: a free port, and the S3 lines of infra.env.
configure_s3rver() {
  local port
  read -r port < <(free_ports 1)
  mkdir -p "$(s3rver_dir)/data"
  chmod 0700 "$(s3rver_dir)"
  cat >>"$DIR/infra.env" <<EOF
BACKUP_S3_URL=http://127.0.0.1:$port
BACKUP_S3_BUCKET=$S3RVER_BUCKET
BACKUP_S3_ACCESS_KEY=$S3RVER_ACCOUNT
BACKUP_S3_SECRET_KEY=$S3RVER_ACCOUNT
EOF
  BACKUP_S3_URL=http://127.0.0.1:$port
}

start_s3rver() {
  local s port deadline
  [[ -n ${BACKUP_S3_URL:-} ]] || return 0 # an instance made before infra.sh started s3rver
  s=$(s3rver_dir)
  port=${BACKUP_S3_URL##*:}
  install_s3rver
  log "starting s3rver $S3RVER_VERSION on 127.0.0.1:$port (bucket $S3RVER_BUCKET)"
  (
    cd "$s" || exit 1
    setsid env "$(instance_marker)" node "$(s3rver_bin)" --directory "$s/data" --address 127.0.0.1 --port "$port" \
      --silent --no-vhost-buckets --configure-bucket "$S3RVER_BUCKET" </dev/null >>"$s/s3rver.log" 2>&1 &
    echo $! >"$s/s3rver.pid"
  )
  deadline=$((SECONDS + STARTUP_TIMEOUT))
  until port_is_listening "$port"; do
    s3rver_running || { tail -n 30 "$s/s3rver.log" >&2; die "s3rver stopped while starting"; }
    ((SECONDS < deadline)) || { tail -n 30 "$s/s3rver.log" >&2; die "s3rver did not listen on $port within ${STARTUP_TIMEOUT}s"; }
    sleep 0.2
  done
  # Something else listening on the port (a leftover of an earlier run) would look like a started s3rver while
  # ours failed with EADDRINUSE: the port must be held by the process started here.
  listening_pid_is "$port" "$(s3rver_pid)" || { tail -n 30 "$s/s3rver.log" >&2; die "port $port is held by another process, not this s3rver"; }
}

# listening_pid_is PORT PID: whether PID (or a child of it) listens on 127.0.0.1:PORT.
listening_pid_is() {
  local inode pid=$2 p fd
  inode=$(awk -v port="$(printf '%04X' "$1")" '$2 ~ ":"port"$" && $4 == "0A" {print $10; exit}' /proc/net/tcp)
  [[ -n $inode && -n $pid ]] || return 1
  for p in "$pid" $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    for fd in /proc/"$p"/fd/*; do
      [[ $(readlink "$fd" 2>/dev/null) == "socket:[$inode]" ]] && return 0
    done
  done
  return 1
}

stop_s3rver() {
  local pid
  pid=$(s3rver_pid || true)
  if pid_alive "$pid"; then
    log "stopping s3rver"
    kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -f "$(s3rver_dir)/s3rver.pid"
}
