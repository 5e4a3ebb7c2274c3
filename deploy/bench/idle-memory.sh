#!/usr/bin/env bash
# The memory of an idle stack: each long-running service's resident memory after start and after an idle spell.
#
#   idle-memory.sh [--idle SECONDS] [--target-mib N] [--running] [--keep]
#
#   --idle SECONDS  how long the stack stays idle between the two samples (default 120).
#   --target-mib N  the target for each service's RSS, in MiB (default 80): PASS/FAIL per service and sample.
#   --running       measure the stack deploy/local/stack.sh already runs (its "after start" sample is taken now)
#                   instead of starting it; the stack is left running.
#   --keep          leave the stack running at the end (it is stopped otherwise, when this script started it).
#
# Without --running it starts the local stack with `deploy/local/stack.sh up` (build, infrastructure, migrator, the
# seven services, exactly as a developer runs it; it restarts a stack already up), samples each service once all are
# ready, sends them nothing for SECONDS, and samples again. Per service and sample it prints, from /proc/PID:
#   RSS      VmRSS: every resident page, including the pages of the runtime's and the framework's files, which the
#            seven processes share (the kernel keeps one copy of them);
#   HWM      VmHWM, the peak RSS since start;
#   private  Private_Clean + Private_Dirty of smaps_rollup: the pages only this process has (what it costs the host);
#   PSS      the proportional set size: private pages plus its share of the shared ones (the seven add up to the host's total);
#   CPU      user + system CPU seconds the process used during the idle spell (its work at rest).
# It exits 0 when it measured, whatever the targets say; non-zero only when something broke.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
STACK="$REPO/deploy/local/stack.sh"
PIDS="$REPO/.local/stack/pids"
SERVICES=(api catalog dumper notifier restorer retention scheduler)

IDLE=120
TARGET_MIB=80
RUNNING=0
KEEP=0

log() { printf '[idle-memory %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf '[idle-memory] error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '4,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while (($#)); do
  case $1 in
    --idle)
      [[ ${2:-} =~ ^[1-9][0-9]{0,4}$ ]] || die "--idle takes a whole number of seconds from 1 to 99999"
      IDLE=$2
      shift 2
      ;;
    --target-mib)
      [[ ${2:-} =~ ^[1-9][0-9]{0,4}$ ]] || die "--target-mib takes a whole number of MiB"
      TARGET_MIB=$2
      shift 2
      ;;
    --running) RUNNING=1; shift ;;
    --keep) KEEP=1; shift ;;
    *) usage ;;
  esac
done

service_pid() { # service_pid NAME: the service's process id, or fail
  local pid
  pid=$(cat "$PIDS/$1.pid" 2>/dev/null) || die "no pid file for $1 in $PIDS: is the stack up?"
  [[ -d /proc/$pid ]] || die "$1 (pid $pid) is not running"
  printf '%s' "$pid"
}

# sample PID: "rss_kib hwm_kib private_kib pss_kib cpu_ticks"
sample() {
  local pid=$1 rss hwm rollup ticks
  read -r rss hwm < <(awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} END{print r, h}' "/proc/$pid/status")
  rollup=$(awk '/^Pss:/{p=$2} /^Private_Clean:/{c=$2} /^Private_Dirty:/{d=$2} END{print c + d, p}' "/proc/$pid/smaps_rollup")
  # /proc/PID/stat: the command may hold spaces; utime and stime are fields 14 and 15, i.e. 12 and 13 after ") ".
  ticks=$(sed 's/^.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')
  printf '%s %s %s %s\n' "$rss" "$hwm" "$rollup" "$ticks"
}

mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k / 1024}'; }
verdict() { awk -v k="$1" -v t="$TARGET_MIB" 'BEGIN{print (k / 1024 <= t) ? "PASS" : "FAIL"}'; }

machine() {
  printf '%s, %s cores, %s MiB RAM, load %s; .NET %s\n' "$(uname -sr)" "$(nproc)" \
    "$(awk '/^MemTotal:/{print int($2 / 1024)}' /proc/meminfo)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
    "$(dotnet --list-runtimes 2>/dev/null | awk '/Microsoft.NETCore.App/{v=$2} END{print v}')"
}

main() {
  local name
  if ((RUNNING == 0)); then
    # Stop the stack this script starts, on any exit (also when `up` fails half-way), unless --keep.
    ((KEEP)) || trap 'bash "$STACK" down >&2 || true' EXIT
    log "starting the local stack (deploy/local/stack.sh up)"
    bash "$STACK" up >&2
  fi

  local -A pids=() start=() idle=()
  for name in "${SERVICES[@]}"; do
    pids[$name]=$(service_pid "$name")
    start[$name]=$(sample "${pids[$name]}")
  done
  log "sampled after start; idle for ${IDLE}s"
  sleep "$IDLE"
  for name in "${SERVICES[@]}"; do
    [[ $(service_pid "$name") == "${pids[$name]}" ]] || die "$name restarted during the idle spell"
    idle[$name]=$(sample "${pids[$name]}")
  done

  local hz total_start=0 total_idle=0 total_pss=0 failures=0
  hz=$(getconf CLK_TCK)
  echo
  echo "Idle memory of the stack ($(machine)); target: RSS <= $TARGET_MIB MiB per service"
  printf '%-10s | %10s %10s %6s | %10s %10s %10s %10s %6s | %9s\n' service "start RSS" "start priv" "" \
    "idle RSS" "idle HWM" "idle priv" "idle PSS" "" "idle CPU"
  for name in "${SERVICES[@]}"; do
    local s_rss s_hwm s_priv s_pss s_ticks i_rss i_hwm i_priv i_pss i_ticks
    read -r s_rss s_hwm s_priv s_pss s_ticks <<<"${start[$name]}"
    read -r i_rss i_hwm i_priv i_pss i_ticks <<<"${idle[$name]}"
    [[ $(verdict "$s_rss") == PASS && $(verdict "$i_rss") == PASS ]] || failures=$((failures + 1))
    printf '%-10s | %10s %10s %6s | %10s %10s %10s %10s %6s | %8ss\n' "$name" \
      "$(mib "$s_rss")" "$(mib "$s_priv")" "$(verdict "$s_rss")" \
      "$(mib "$i_rss")" "$(mib "$i_hwm")" "$(mib "$i_priv")" "$(mib "$i_pss")" "$(verdict "$i_rss")" \
      "$(awk -v t=$((i_ticks - s_ticks)) -v hz="$hz" 'BEGIN{printf "%.2f", t / hz}')"
    total_start=$((total_start + s_rss))
    total_idle=$((total_idle + i_rss))
    total_pss=$((total_pss + i_pss))
  done
  printf '%-10s | %10s %10s %6s | %10s %10s %10s %10s\n' total "$(mib "$total_start")" "" "" "$(mib "$total_idle")" "" "" \
    "$(mib "$total_pss")"
  echo "(MiB; CPU over the ${IDLE}s idle spell; the PSS total is what the seven services take from the host)"
  echo "target RSS <= $TARGET_MIB MiB: $((${#SERVICES[@]} - failures)) of ${#SERVICES[@]} services PASS"
}

main
