#!/usr/bin/env bash
# The dashboard's JavaScript checks: every module parses as an ES module, and the unit tests of the pure modules pass.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
status=0
while IFS= read -r file; do
  node --input-type=module --check < "$file" || { echo "syntax error in $file" >&2; status=1; }
done < <(find "$here/../wwwroot" -name '*.js')
# Node 20 loads .js files as CommonJS unless told to detect ES module syntax (the default from Node 22).
node --experimental-detect-module --no-warnings --test "$here"/*.test.mjs || status=1
exit $status
