#!/bin/bash
# bench-login: CPU and wall time of one `sfci login` against the loopback
# fake of Salesforce, per login, over many runs; and, where the Salesforce
# CLI is installed (npm @salesforce/cli), `sf org login jwt` against the
# same fake in the same run, reported as a ratio.
#
# usage: bench/login.sh [BUILD_DIR] [RUNS]     (default: build, 200)
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
runs=${2:-200}
sfci=$build/cli/sfci
fake=$build/tests/fakes/fake-salesforce
admin='00D000000000001!bench-admin'
user=ci@acme.example.uat

scratch=$(mktemp -d)
"$fake" --port-file "$scratch/port" --admin-token "$admin" \
    --user "$user:System Administrator" 2>/dev/null &
fake_pid=$!
trap 'kill $fake_pid 2>/dev/null; wait; rm -rf "$scratch"' EXIT
for _ in $(seq 100); do [ -s "$scratch/port" ] && break; sleep 0.05; done
url=http://127.0.0.1:$(cat "$scratch/port")

project=$scratch/project
cp -r examples/sample-project/. "$project"
sed -i "s|^instanceUrl: .*|instanceUrl: $url|" \
    "$project/config/branches/.sfdx-hardis.uat.yml"
SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url "$sfci" -q -C "$project" \
    provision --branch uat --provider gitlab --dry-run >"$scratch/vars" ||
    exit 1
export CONFIG_BRANCH=uat
export SFDX_CLIENT_ID_UAT=$(sed -n 's/^SFDX_CLIENT_ID_UAT=//p' "$scratch/vars")
export SFDX_CLIENT_KEY_UAT=$(sed -n 's/^SFDX_CLIENT_KEY_UAT=//p' "$scratch/vars")

# cpu_now: sets cpu to the children's user + system seconds so far, from
# `times` run in this very shell (a subshell would not see its children).
cpu_now() {
    times >"$scratch/times"
    cpu=$(tail -1 "$scratch/times" | awk '{
        split($1, u, "m"); split($2, s, "m");
        printf "%.6f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
}

ms_now() { date +%s%N | cut -c1-13; }

# measure N COMMAND...: prints "cpu_ms wall_ms" per run of COMMAND.
measure() {
    n=$1
    shift
    cpu_now
    cpu0=$cpu
    wall0=$(ms_now)
    for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 || return 1; done
    wall1=$(ms_now)
    cpu_now
    cpu1=$cpu
    awk -v c0="$cpu0" -v c1="$cpu1" -v w0="$wall0" -v w1="$wall1" -v n="$n" \
        'BEGIN { printf "%.2f %.2f\n", (c1 - c0) * 1000 / n, (w1 - w0) / n }'
}

sfci_login() { "$sfci" -q -C "$project" login --format json; }

read -r sfci_cpu sfci_wall < <(measure "$runs" sfci_login) || {
    echo "bench-login: sfci login failed"
    exit 1
}
echo "bench-login: $runs logins against the loopback fake"
printf '  sfci login      %8.2f ms CPU  %8.2f ms wall per login\n' \
    "$sfci_cpu" "$sfci_wall"
awk -v c="$sfci_cpu" 'BEGIN { printf "  aim: under 5 ms of CPU per login: %s\n", c < 5 ? "met" : "missed" }'

if ! command -v sf >/dev/null; then
    echo "  sf org login jwt: the Salesforce CLI is not installed here" \
        "(npm install -g @salesforce/cli): no ratio"
    exit 0
fi

# The same key, decrypted, for the Salesforce CLI, which reads a file.
text=$(cat "$project/config/branches/.jwt/uat.key")
printf %s "${text#*:}" | perl -ne 'chomp; print pack("H*", $_)' |
    openssl enc -d -aes-256-cbc -iv "${text%%:*}" \
        -K "$(printf %s "$SFDX_CLIENT_KEY_UAT" | od -An -tx1 | tr -d ' \n')" \
        >"$scratch/key.pem"
chmod 600 "$scratch/key.pem"
sf_login() {
    SF_AUDIENCE_URL=https://test.salesforce.com HOME=$scratch \
        sf org login jwt --client-id "$SFDX_CLIENT_ID_UAT" \
        --jwt-key-file "$scratch/key.pem" --username "$user" \
        --instance-url "$url" --json
}
sf_runs=$((runs / 20 > 3 ? runs / 20 : 3))
if read -r sf_cpu sf_wall < <(measure "$sf_runs" sf_login); then
    printf '  sf org login jwt %7.2f ms CPU  %8.2f ms wall per login\n' \
        "$sf_cpu" "$sf_wall"
    awk -v a="$sf_wall" -v b="$sfci_wall" -v c="$sf_cpu" -v d="$sfci_cpu" \
        'BEGIN { printf "  sfci is %.0f times faster (wall), %.0f times (CPU); aim: 50\n", a / b, c / d }'
else
    echo "  sf org login jwt failed against the fake: no ratio"
fi
