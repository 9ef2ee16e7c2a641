# lib.sh: what the fakes' smoke scripts share, sourced after `fake=$1`.
# Sets scratch (a directory removed on exit, with the fake still running
# killed), count and failures for TAP, and gives the helpers below.
# Each answer goes to $scratch/body and its status to $status.  fake is
# the caller's; url and base are for it.
# shellcheck shell=sh disable=SC2034,SC2154

scratch=$(mktemp -d)
fake_pid=
failures=0
count=0
status=

cleanup() {
    [ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null
    rm -rf "$scratch"
}
trap cleanup EXIT

# require_tools TOOL...: bails out of the plan when one is missing.
require_tools() {
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null; then
            echo "Bail out! $tool is not installed"
            exit 1
        fi
    done
}

ok() {
    count=$((count + 1))
    echo "ok $count - $1"
}

# not_ok DESCRIPTION: a failure, with the status and the body's start
# (body_shown bytes, 600 unless set).
not_ok() {
    count=$((count + 1))
    failures=$((failures + 1))
    echo "not ok $count - $1"
    echo "#   status $status; body: $(head -c "${body_shown:-600}" \
        "$scratch/body")"
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    description=$1
    shift
    if "$@" >/dev/null 2>&1; then
        ok "$description"
    else
        not_ok "$description"
    fi
}

# expect_json DESCRIPTION STATUS FILTER: the last answer had STATUS and a
# JSON body for which the jq FILTER is true.
expect_json() {
    if [ "$status" = "$2" ] && jq -e "$3" "$scratch/body" >/dev/null 2>&1
    then
        ok "$1"
    else
        not_ok "$1"
    fi
}

# start_fake ARGS...: starts the fake; once its port is known, sets base
# to its root and url to base followed by $api_root (if set).
start_fake() {
    rm -f "$scratch/port"
    "$fake" --port-file "$scratch/port" "$@" \
        >"$scratch/fake.out" 2>"$scratch/fake.err" &
    fake_pid=$!
    tries=0
    while [ ! -s "$scratch/port" ] && [ $tries -lt 100 ]; do
        sleep 0.05
        tries=$((tries + 1))
    done
    base=http://127.0.0.1:$(cat "$scratch/port" 2>/dev/null)
    url=$base${api_root-}
}

# stop_fake DESCRIPTION: SIGTERM; the fake must exit 0 (no leak under a
# sanitizer) and have printed nothing on stdout.
stop_fake() {
    kill "$fake_pid"
    wait "$fake_pid"
    code=$?
    fake_pid=
    status=$code
    cp "$scratch/fake.err" "$scratch/body"
    if [ "$code" -eq 0 ] && [ ! -s "$scratch/fake.out" ]; then
        ok "$1"
    else
        not_ok "$1"
    fi
}

# tap_finish: the plan, and the exit status.
tap_finish() {
    echo "1..$count"
    [ "$failures" -eq 0 ]
}
