#!/bin/sh
# Builds sfci in a build folder and runs every test, then prints
# "N passed, N failed" (N counts meson tests: one per unit test program
# and per end-to-end script).
#
# usage: scripts/run-tests.sh [BUILD_DIR [MESON_SETUP_OPTION...]]
#   e.g. scripts/run-tests.sh build-asan -Db_sanitize=address,undefined
set -u
cd "$(dirname "$0")/.." || exit 1
dir=${1:-build}
[ $# -gt 0 ] && shift

if [ -d "$dir/meson-private" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null || exit 1
else
    meson setup "$dir" "$@" >/dev/null || exit 1
fi
meson compile -C "$dir" >/dev/null || {
    meson compile -C "$dir"
    echo "0 passed, 1 failed"
    exit 1
}

meson test -C "$dir" --print-errorlogs --num-processes 2
status=$?

log=$dir/meson-logs/testlog.json
passed=$(jq -s '[.[] | select(.result == "OK" or .result == "EXPECTEDFAIL")] | length' "$log")
failed=$(jq -s '[.[] | select(.result != "OK" and .result != "EXPECTEDFAIL" and .result != "SKIP")] | length' "$log")
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
