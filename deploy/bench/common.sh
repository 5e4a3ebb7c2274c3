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
