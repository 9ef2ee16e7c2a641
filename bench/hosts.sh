#!/bin/bash
# bench-hosts: requests and wall time of `sfci provision --all-branches`
# (four branches of the sample project) for each CI host against its
# loopback fake, with LATENCY ms added to every answer of the host.  It
# reports the requests sent to the host, how many reads or updates were
# sent twice (a POST to a collection is one create per variable), the
# whole run's wall time, and the time spent waiting on the host (from the
# -v trace) against its floor, requests x latency: sfci sends one request
# at a time.  Aim: nothing sent twice, one public-key request per GitHub
# scope, and the host's time within 1.5 times the floor.
#
# usage: bench/hosts.sh [BUILD_DIR] [LATENCY_MS]   (default: build, 50)
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
latency=${2:-50}
sfci=$build/cli/sfci
admin='00D000000000001!bench-admin'
scratch=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait; rm -rf "$scratch"' EXIT

# start NAME PROGRAM OPTION...: a fake on a free port; prints its URL.
start() {
    name=$1 program=$2
    shift 2
    rm -f "$scratch/$name.port"
    # Not on our stdout: $(start ...) would wait for the fake to end.
    "$program" --port-file "$scratch/$name.port" "$@" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$scratch/$name.port" ] && break; sleep 0.05; done
    echo "http://127.0.0.1:$(cat "$scratch/$name.port")"
}

sf=$(start sf "$build/tests/fakes/fake-salesforce" --admin-token "$admin" \
    --user 'ci@acme.example.integration:System Administrator' \
    --user 'ci@acme.example:System Administrator' \
    --user 'ci@acme.example.preprod:System Administrator' \
    --user 'ci@acme.example.uat:System Administrator')

ms_now() { date +%s%N | cut -c1-13; }

# run HOST LATENCY: provisions every branch; sets wall, count, repeats.
run() {
    host=$1 lat=$2
    fake=$build/tests/fakes/$host/fake-$host
    case $host in
    gitlab)
        url=$(start "$host$lat" "$fake" --token t --repo acme/crm --latency-ms "$lat")
        api=$url/api/v4 env=(GITLAB_TOKEN=t) repo=acme/crm ;;
    github)
        url=$(start "$host$lat" "$fake" --token t --repo acme/crm --latency-ms "$lat")
        api=$url env=(GH_TOKEN=t) repo=acme/crm ;;
    azure)
        url=$(start "$host$lat" "$fake" --org acme --token t --project CRM --latency-ms "$lat")
        api=$url/acme env=(AZURE_DEVOPS_EXT_PAT=t) repo=CRM ;;
    bitbucket)
        url=$(start "$host$lat" "$fake" --token t --repo acme/crm --latency-ms "$lat")
        api=$url/2.0 env=(BITBUCKET_TOKEN=t) repo=acme/crm ;;
    jenkins)
        url=$(start "$host$lat" "$fake" --token ci:t --latency-ms "$lat")
        api=$url env=(JENKINS_USER_ID=ci JENKINS_API_TOKEN=t) repo=acme/crm ;;
    esac
    project=$scratch/$host$lat
    cp -r examples/sample-project/. "$project"
    sed -i "s|^instanceUrl: .*|instanceUrl: $sf|" "$project"/config/branches/.sfdx-hardis.*.yml
    start_ms=$(ms_now)
    env "${env[@]}" SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$sf \
        "$sfci" -v -C "$project" provision --all-branches --provider "$host" \
        --repo "$repo" --api-url "$api" >/dev/null 2>"$scratch/trace" || {
        echo "bench-hosts: $host failed: $(grep 'error:' "$scratch/trace")"
        exit 1
    }
    wall=$(($(ms_now) - start_ms))
    # The time of each answer from the host, after its request line.
    host_ms=$(awk -v url="$url" '
        /^sfci: > [A-Z]+ / { mine = index($4, url) == 1 }
        /^sfci: < [0-9]+ in [0-9]+ ms/ && mine { sum += $5; mine = 0 }
        END { print sum + 0 }' "$scratch/trace")
    curl -s "$url/_fake/requests" >"$scratch/requests.json"
    count=$(jq 'length' "$scratch/requests.json")
    repeats=$(jq '[.[] | select(startswith("POST ") | not)] | group_by(.)
        | map(length - 1) | add // 0' "$scratch/requests.json")
    keys=$(jq '[.[] | select(test("public-key"))] | length' "$scratch/requests.json")
}

echo "bench-hosts: provision --all-branches (4 orgs, 8 variables)," \
    "$latency ms per host answer"
printf '  %-10s %8s %8s %9s %9s %9s %6s\n' host requests repeated run \
    'on host' floor ratio
for host in gitlab github azure bitbucket jenkins; do
    [ -x "$build/tests/fakes/$host/fake-$host" ] || continue
    run "$host" "$latency"
    floor=$((count * latency))
    ratio=$(awk -v a="$host_ms" -v f="$floor" 'BEGIN { printf "%.2f", f ? a / f : 0 }')
    printf '  %-10s %8d %8d %6d ms %6d ms %6d ms %6s%s\n' "$host" "$count" \
        "$repeats" "$wall" "$host_ms" "$floor" "$ratio" \
        "$([ "$host" = github ] && echo "  ($keys public-key request)")"
done
