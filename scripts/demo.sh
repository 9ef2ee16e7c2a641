#!/bin/bash
# The whole flow of sfci on this machine, with no account anywhere: starts
# the bundled loopback fakes of Salesforce and GitLab, provisions the four
# major branches of a copy of examples/sample-project into them (deploy,
# verify, write the variables), then logs in to each org, as a pipeline
# would, with the values the fake GitLab stored.
#
# usage: scripts/demo.sh [BUILD_DIR]     (default: build, already compiled)
set -u
cd "$(dirname "$0")/.." || exit 1
build=${1:-build}
sfci=$PWD/$build/cli/sfci
admin='00D000000000001!demo-admin-session'
token=glpat-demo-token

step() { printf '\n==> %s\n' "$*"; }

scratch=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$scratch"' EXIT

# start NAME PROGRAM OPTION...: a fake on a free loopback port.
start() {
    name=$1 program=$2
    shift 2
    "$program" --port-file "$scratch/$name.port" "$@" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$scratch/$name.port" ] && break; sleep 0.05; done
    [ -s "$scratch/$name.port" ] || { echo "demo: $name did not start"; exit 1; }
}

step "starting a fake Salesforce org and a fake GitLab on loopback"
start salesforce "$build/tests/fakes/fake-salesforce" --admin-token "$admin" \
    --user 'ci@acme.example.integration:System Administrator' \
    --user 'ci@acme.example:System Administrator' \
    --user 'ci@acme.example.preprod:System Administrator' \
    --user 'ci@acme.example.uat:System Administrator' --propagation-ms 1500
start gitlab "$build/tests/fakes/gitlab/fake-gitlab" --token "$token" \
    --repo acme/crm
salesforce=http://127.0.0.1:$(cat "$scratch/salesforce.port")
gitlab=http://127.0.0.1:$(cat "$scratch/gitlab.port")
echo "Salesforce: $salesforce"
echo "GitLab:     $gitlab/api/v4 (project acme/crm)"

step "copying examples/sample-project, its orgs pointed at the fake"
project=$scratch/sample-project
cp -r examples/sample-project/. "$project"
sed -i "s|^instanceUrl: .*|instanceUrl: $salesforce|" \
    "$project"/config/branches/.sfdx-hardis.*.yml
ls "$project/config/branches"/.sfdx-hardis.*.yml | sed 's|.*/|  |'

step "sfci provision --all-branches --provider gitlab"
SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$salesforce GITLAB_TOKEN=$token \
    "$sfci" -C "$project" provision --all-branches --provider gitlab \
    --repo acme/crm --api-url "$gitlab/api/v4" || exit 1

step "what GitLab now holds (values cut)"
curl -s "$gitlab/_fake/variables" |
    jq -r '.[] | "  \(.key // .name) = \(.value[0:12])... masked=\(.masked)"'

step "sfci login in each branch's pipeline, from GitLab's values only"
for branch in integration main pre-prod uat; do
    name=$(tr 'a-z-' 'A-Z_' <<<"$branch")
    id=$(curl -s "$gitlab/_fake/variables" | jq -r --arg k "SFDX_CLIENT_ID_$name" '.[] | select((.key // .name) == $k) | .value')
    key=$(curl -s "$gitlab/_fake/variables" | jq -r --arg k "SFDX_CLIENT_KEY_$name" '.[] | select((.key // .name) == $k) | .value')
    env -i PATH="$PATH" CI_COMMIT_REF_NAME="$branch" \
        "SFDX_CLIENT_ID_$name=$id" "SFDX_CLIENT_KEY_$name=$key" \
        "$sfci" -C "$project" login --format json >"$scratch/session.json" || exit 1
    jq -r --arg b "$branch" '"  \($b): \(.username) on \(.instance_url), org \(.org_id), token \(.access_token[0:18])..."' \
        "$scratch/session.json"
done

step "done: the repository files sfci wrote"
(cd "$project" && find config -newer sfdx-project.json -type f | sort | sed 's/^/  /')
