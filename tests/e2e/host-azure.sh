#!/bin/bash
# End to end against the loopback fakes of Salesforce and Azure DevOps:
# sfci provision writes the variables into a variable group (created when
# missing, merged when it exists, every other variable and group kept),
# and sfci login gets a session from nothing but what Azure holds; then
# the faults: a bad token, a missing project, a token that may not change
# the group, a rate limit, a write that fails half-way.
#
# usage: host-azure.sh SFCI SAMPLE_PROJECT FAKE_SALESFORCE FAKE_AZURE
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
fake_salesforce=$3
fake_azure=$4
admin=00D000000000001!admin-session-for-tests
pat='azure-pat-for-tests-0123456789abcdef'
reader='azure-read-only-pat-for-tests'
branches="integration main pre-prod uat"
fakes=()
trap 'for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done; wait; rm -rf "$scratch"' EXIT

# start_fake NAME PROGRAM OPTION...: starts a fake, sets url_NAME.
start_fake() {
    name=$1 program=$2
    shift 2
    "$program" --port-file "$scratch/$name.port" "$@" 2>"$scratch/$name.log" &
    fakes+=($!)
    for _ in $(seq 100); do
        [ -s "$scratch/$name.port" ] && break
        sleep 0.05
    done
    eval "url_$name=http://127.0.0.1:$(cat "$scratch/$name.port")"
}

# start_azure NAME OPTION...: an organization 'acme' with the project CRM.
start_azure() {
    name=$1
    shift
    start_fake "$name" "$fake_azure" --org acme --token "$pat" \
        --read-only-token "$reader" --project CRM "$@"
}

start_fake sf "$fake_salesforce" --admin-token "$admin" \
    "${sample_users[@]}"
# The group is missing in CRM; groups of the same name elsewhere and other
# groups of CRM must come through untouched.
start_azure az --project Other --group Other/salesforce-auth \
    --seed 'salesforce-auth:SFDX_CLIENT_ID_UAT=other-project-id,secret' \
    --group CRM/release --seed 'release:KEEP_PLAIN=plain-value' \
    --seed 'release:KEEP_SECRET=kept-secret,secret'

sample_copy "$url_sf"

# provision AZURE_URL [OPTION...]: writes to the fake's CRM, as JSON.
provision() {
    azure=$1
    shift
    SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_sf \
        AZURE_DEVOPS_EXT_PAT=${token:-$pat} \
        "$sfci" -C "$project" provision --provider azure --repo CRM \
        --api-url "$azure/acme" --json "$@"
}

# suffix BRANCH: the <NAME> of its variables.
suffix() { tr 'a-z-' 'A-Z_' <<<"$1"; }

# stored AZURE_URL GROUP NAME: the plaintext the fake holds, in CRM.
stored() {
    curl -s "$1/_fake/variables" | jq -r --arg g "$2" --arg n "$3" \
        '.[] | select(.group == $g and .name == $n and
            (.projects | index("CRM"))) | .value'
}

# actions JSON: "name=action" of every variable of the report, sorted.
actions() {
    jq -r '.orgs[].variables[] | "\(.name)=\(.action)"' "$1" | sort | tr '\n' ' '
}

# all_actions JSON ACTION: every variable of the report has ACTION.
all_actions() {
    jq -e --arg a "$2" '[.orgs[].variables[]] | length == 8 and
        all(.action == $a)' "$1" >/dev/null
}

# login AZURE_URL BRANCH [ID KEY]: sfci login as a pipeline would, in an
# environment of nothing but the variables (from the fake's group unless
# given); prints the session's access token.
login() {
    azure=$1 branch=$2 name=$(suffix "$2")
    id=${3:-$(stored "$azure" salesforce-auth "SFDX_CLIENT_ID_$name")}
    key=${4:-$(stored "$azure" salesforce-auth "SFDX_CLIENT_KEY_$name")}
    env -i PATH="$PATH" HOME="$scratch" CI_COMMIT_REF_NAME="$branch" \
        "SFDX_CLIENT_ID_$name=$id" "SFDX_CLIENT_KEY_$name=$key" \
        "$sfci" -C "$project" login --format json 2>>"$scratch/login.err" |
        jq -r .access_token
}

# logins_work AZURE_URL: every branch gets a Salesforce session.
logins_work() {
    for branch in $branches; do
        grep -qE '^00D[A-Za-z0-9]{12,15}!' <<<"$(login "$1" "$branch")" ||
            return 1
    done
}

# requests AZURE_URL PATTERN: how many requests the fake got that match.
requests() { curl -s "$1/_fake/requests" | jq -r '.[]' | grep -c -- "$2"; }

variables_state() { curl -s "$1/_fake/variables" | jq -S .; }
apps_state() { curl -s "$url_sf/_fake/apps" | jq -S '[.[].name] | sort'; }

# --- the first run creates the group ------------------------------------
provision "$url_az" --all-branches >"$scratch/first.json" 2>"$scratch/first.err"
check "provision --all-branches --provider azure exits 0" test $? -eq 0
check "every variable is reported created" all_actions "$scratch/first.json" created
check "no value is in the report of a successful write" \
    jq -e '[.orgs[].variables[] | has("value")] | any | not' "$scratch/first.json"
check "the group was created in CRM, shared with the project" \
    jq -e '[.[] | select(.name == "salesforce-auth" and .projects == ["CRM"])] | length == 1' \
    <(curl -s "$url_az/_fake/groups")
check "it holds the 8 variables, all secret" \
    jq -e '[.[] | select(.group == "salesforce-auth" and .projects == ["CRM"])] |
        length == 8 and all(.isSecret)' <(curl -s "$url_az/_fake/variables")
check "the consumer keys in Azure are the ones in the config's app" \
    test "$(stored "$url_az" salesforce-auth SFDX_CLIENT_ID_UAT | wc -c)" -gt 80
check "one POST created the group, then one PUT per org" \
    test "$(requests "$url_az" '^POST /acme/_apis/distributedtask/variablegroups$')" = 1 -a \
    "$(requests "$url_az" '^PUT /acme/_apis/distributedtask/variablegroups/')" = 3
check "the project and the group were read once" \
    test "$(requests "$url_az" '^GET /acme/_apis/projects/CRM$')" = 1 -a \
    "$(requests "$url_az" '^GET /acme/CRM/_apis/distributedtask/variablegroups$')" = 2
check "sfci login works for every branch from Azure's values alone" logins_work "$url_az"
check "the other project's group of the same name is untouched" \
    jq -e '[.[] | select(.projects == ["Other"]) | {name, value}] ==
        [{"name": "SFDX_CLIENT_ID_UAT", "value": "other-project-id"}]' \
    <(curl -s "$url_az/_fake/variables")
check "the other group of CRM is untouched" \
    test "$(stored "$url_az" release KEEP_PLAIN)" = plain-value -a \
    "$(stored "$url_az" release KEEP_SECRET)" = kept-secret

# --- a plan reads the host ------------------------------------------------
writes=$(requests "$url_az" '^P[OU]')
SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_sf AZURE_DEVOPS_EXT_PAT=$pat \
    "$sfci" -q -C "$project" provision --provider azure --repo CRM \
    --api-url "$url_az/acme" --all-branches --plan >"$scratch/plan.out" 2>&1
check "a plan with a token exits 0" test $? -eq 0
check "and says each variable would be updated" \
    test "$(grep -o 'SFDX_CLIENT_[A-Z_]* (update)' "$scratch/plan.out" | wc -l)" = 8
check "and writes nothing" test "$(requests "$url_az" '^P[OU]')" = "$writes"

# --- the second run updates, with -v ------------------------------------------
old_id=$(stored "$url_az" salesforce-auth SFDX_CLIENT_ID_UAT)
provision "$url_az" --all-branches -v >"$scratch/second.json" 2>"$scratch/second.err"
check "a second provision exits 0" test $? -eq 0
check "every variable is reported updated" all_actions "$scratch/second.json" updated
check "the values changed" \
    test "$(stored "$url_az" salesforce-auth SFDX_CLIENT_ID_UAT)" != "$old_id"
check "sfci login works with the new values" logins_work "$url_az"
check "the -v trace shows the PUT" \
    grep -q "PUT $url_az/acme/_apis/distributedtask/variablegroups/" "$scratch/second.err"
secrets=("$pat" "$(printf ':%s' "$pat" | base64 | tr -d '\n')")
for branch in $branches; do
    for kind in ID KEY; do
        secrets+=("$(stored "$url_az" salesforce-auth "SFDX_CLIENT_${kind}_$(suffix "$branch")")")
    done
done
leaks=0
for secret in "${secrets[@]}"; do
    grep -qF -- "$secret" "$scratch/second.err" && leaks=$((leaks + 1))
done
check "the trace holds no token and no value" test "$leaks" = 0
check "the other groups are still untouched" \
    test "$(stored "$url_az" release KEEP_SECRET)" = kept-secret

# --- an existing group keeps its other variables ------------------------------
start_azure existing --group CRM/salesforce-auth \
    --seed 'salesforce-auth:KEEP_PLAIN=plain-value' \
    --seed 'salesforce-auth:KEEP_SECRET=kept-secret,secret' \
    --seed 'salesforce-auth:SFDX_CLIENT_ID_UAT=old-id,secret' \
    --group CRM/release --seed 'release:OTHER=other-value,secret'
provision "$url_existing" --branch uat >"$scratch/existing.json" 2>/dev/null
check "provision into an existing group exits 0" test $? -eq 0
check "a variable it held is updated, a new one created" \
    test "$(actions "$scratch/existing.json")" = \
    "SFDX_CLIENT_ID_UAT=updated SFDX_CLIENT_KEY_UAT=created "
check "its plain variable is kept, plain" \
    jq -e '.[] | select(.name == "KEEP_PLAIN") | .value == "plain-value" and (.isSecret | not)' \
    <(curl -s "$url_existing/_fake/variables")
check "its secret variable is kept, secret, with its value" \
    jq -e '.[] | select(.name == "KEEP_SECRET") | .value == "kept-secret" and .isSecret' \
    <(curl -s "$url_existing/_fake/variables")
check "the other group is untouched" \
    test "$(stored "$url_existing" release OTHER)" = other-value
check "the group was written with one PUT and no POST" \
    test "$(requests "$url_existing" '^PUT ')" = 1 -a "$(requests "$url_existing" '^POST ')" = 0
check "sfci login works with the merged group" \
    grep -qE '^00D' <<<"$(login "$url_existing" uat)"

# --- faults: nothing changes before the token is accepted ------------------------
apps_before=$(apps_state)
variables_before=$(variables_state "$url_existing")
token=wrong-pat expect_failure "a bad token exits 4" 4 \
    "refused the token in AZURE_DEVOPS_EXT_PAT" -- \
    provision "$url_existing" --branch uat -q
check "and says which scope the token needs" \
    grep -q "vso.variablegroups_manage" "$scratch/err"
check "and deploys no app" test "$(apps_state)" = "$apps_before"
check "and changes no variable" \
    test "$(variables_state "$url_existing")" = "$variables_before"

expect_failure "a missing project exits 2" 2 \
    "the Azure DevOps project 'Missing' is not in" -- \
    env SF_ACCESS_TOKEN="$admin" SF_ORG_INSTANCE_URL="$url_sf" \
    AZURE_DEVOPS_EXT_PAT="$pat" "$sfci" -q -C "$project" provision --provider azure --repo Missing \
    --api-url "$url_existing/acme" --branch uat
check "and deploys no app" test "$(apps_state)" = "$apps_before"

token=$reader expect_failure "a token that may not change the group exits 4" 4 \
    "may not change the variable group 'salesforce-auth'" -- \
    provision "$url_existing" --branch uat -q
check "and deploys no app" test "$(apps_state)" = "$apps_before"
check "and changes no variable" \
    test "$(variables_state "$url_existing")" = "$variables_before"

# --- a rate limit is waited out ------------------------------------------------------
start_azure limited --rate-limit-at 2
provision "$url_limited" --branch uat >"$scratch/limited.json" 2>"$scratch/limited.err"
check "a 429 on the way is waited out (exit 0)" test $? -eq 0
check "the refused request was sent again" \
    test "$(requests "$url_limited" '^GET /acme/CRM/_apis/distributedtask/variablegroups$')" = 3
check "and the variables were written" \
    test "$(actions "$scratch/limited.json")" = \
    "SFDX_CLIENT_ID_UAT=created SFDX_CLIENT_KEY_UAT=created "

# --- a write that fails half-way -------------------------------------------------------
# The third group write is the third org's PUT (after the POST and a PUT).
start_azure failing --fail-write-at 3
provision "$url_failing" --all-branches >"$scratch/failing.json" 2>"$scratch/failing.err"
check "a failed write exits 3" test $? -eq 3
check "the report's exit code says so" jq -e '.exit_code == 3' "$scratch/failing.json"
failed=$(jq -r '.orgs[] | select(any(.variables[]; .action == "failed")) |
    .name' "$scratch/failing.json")
check "the third org's variables are reported failed" test "$failed" = pre-prod
check "with their values, so that nothing is lost" \
    jq -e '[.orgs[].variables[] | select(.action == "failed") | .value | length > 0] |
        length == 2 and all' "$scratch/failing.json"
check "Azure's message reaches the user" \
    grep -q "TF400898: An Internal Error Occurred" "$scratch/failing.err"
check "the orgs before it were written" \
    test -n "$(stored "$url_failing" salesforce-auth SFDX_CLIENT_KEY_MAIN)" -a \
    -n "$(stored "$url_failing" salesforce-auth SFDX_CLIENT_KEY_INTEGRATION)"
reported() {
    jq -r --arg n "$1" '.orgs[].variables[] | select(.name == $n) | .value' \
        "$scratch/failing.json"
}
check "sfci login works for them from Azure's values" \
    grep -qE '^00D' <<<"$(login "$url_failing" main)"
check "and for the failed org from the reported values" \
    grep -qE '^00D' <<<"$(login "$url_failing" pre-prod \
        "$(reported SFDX_CLIENT_ID_PRE_PROD)" "$(reported SFDX_CLIENT_KEY_PRE_PROD)")"

finish
