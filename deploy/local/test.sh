#!/usr/bin/env bash
# The project's test command: starts a throwaway RabbitMQ + PostgreSQL (infra.sh), runs
# `dotnet test Backup.sln -c Release` against them, and tears them down again.
#
#   deploy/local/test.sh [extra dotnet test args]     e.g. --filter Category=Integration
#
# The tests find the broker and database through the BACKUP_* variables of infra.env.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
INFRA="$SCRIPT_DIR/infra.sh"

INFRA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/backup-test-infra.XXXXXXXX")

# shellcheck disable=SC2317 # invoked by the trap
tear_down_infra() {
  bash "$INFRA" down "$INFRA_DIR" || true
}
trap tear_down_infra EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$INFRA" up "$INFRA_DIR"
set -a
# shellcheck disable=SC1091
. "$INFRA_DIR/infra.env"
set +a

cd "$REPO_ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

TEST_LOG="$INFRA_DIR/dotnet-test.log"

# Adds up the per-assembly "Total tests / Passed / Failed / Skipped" blocks that the console
# logger prints at normal verbosity (or, failing that, the one-line "Failed: N, Passed: N" form).
count_results() {
  sed 's/\x1b\[[0-9;]*m//g' "$TEST_LOG" | awk '
    /^Total tests: [0-9]+/               { blocks = 1 }
    /^[ \t]+Passed: [0-9]+[ \t]*$/      { bp += $2 }
    /^[ \t]+Failed: [0-9]+[ \t]*$/      { bf += $2 }
    /^[ \t]+Skipped: [0-9]+[ \t]*$/     { bs += $2 }
    /- Failed: *[0-9]+, Passed: *[0-9]+, Skipped: *[0-9]+/ {
      line = $0; gsub(/[^0-9,]/, "", line); split(line, n, ",")
      of += n[1]; op += n[2]; os += n[3]; lines = 1
    }
    END {
      if (blocks)     printf "%d %d %d\n", bp, bf, bs
      else if (lines) printf "%d %d %d\n", op, of, os
    }'
}

started=$SECONDS
set +e
dotnet test Backup.sln -c Release --logger "console;verbosity=normal" \
  --blame-hang-timeout 10m --blame-hang-dump-type none "$@" </dev/null 2>&1 | tee "$TEST_LOG"
status=${PIPESTATUS[0]}
set -e

read -r passed failed skipped < <(count_results; echo) || true

# The failed tests' names and the first lines of their messages, so that the tail of the output
# (often all that a CI page shows) says what failed, not only how many.
failed_tests=$(sed 's/\x1b\[[0-9;]*m//g' "$TEST_LOG" | awk '
  /^  Failed [A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_.]+/ { shown = 0; printing = 1; print; next }
  printing && /^  (Passed|Skipped|Failed) |^  Stack Trace:|^(info|warn|fail|dbug): / { printing = 0 }
  printing && shown < 12 { print; shown++ }' | head -n 120 || true)
# A test that hangs for 10 minutes (--blame-hang-timeout) gets its test host killed; vstest names the tests it was running.
hung_tests=$(sed 's/\x1b\[[0-9;]*m//g' "$TEST_LOG" | grep -E -A3 "inactivity time|test run was aborted|active Tests? Running" | head -n 40 || true)
# Tear down before the summary, so that the summary is the last thing printed.
trap - EXIT
tear_down_infra

if [[ -n $hung_tests ]]; then
  echo "test.sh: a test host was aborted (a hang or a crash); what vstest said:"
  printf '%s\n' "$hung_tests"
fi
if [[ -n $failed_tests ]]; then
  echo "test.sh: the failed tests, each with the first lines of its message:"
  printf '%s\n' "$failed_tests"
fi
echo "test.sh: dotnet test exited $status after $((SECONDS - started))s"
if [[ -n ${passed:-} ]]; then
  echo "test.sh: $passed passed, $failed failed, $skipped skipped"
elif ((status == 0)); then
  echo "test.sh: PASSED (no test counts found in the output)"
else
  echo "test.sh: FAILED before any test ran (see the output above)"
fi
exit "$status"
