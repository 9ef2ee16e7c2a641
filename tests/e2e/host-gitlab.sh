#!/bin/bash
# End to end against the loopback fakes of Salesforce and GitLab:
# provision --all-branches writes the variables into a GitLab project,
# a pipeline logs in with nothing but what GitLab holds, a second run
# updates them, nothing else in the project changes; and the faults: a
# bad token, a missing project, a role or scope too small, a 429, a 500
# on a write.
#
# usage: host-gitlab.sh SFCI SAMPLE_PROJECT FAKE_SALESFORCE FAKE_GITLAB
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
fake_salesforce=$3
fake_gitlab=$4
admin=00D000000000001!admin-session-for-tests
token=glpat-e2e-maintainer-0123456789
repo=acme/crm
branches="integration main pre-prod uat"
fakes=()
stop_fakes() {
    for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done
    wait
    rm -rf "$scratch"
}
trap stop_fakes EXIT

# wait_port NAME: the port the fake called NAME wrote, once it is ready.
wait_port() {
    for _ in $(seq 100); do
        [ -s "$scratch/$1.port" ] && break
        sleep 0.05
    done
    cat "$scratch/$1.port"
}

# start_gitlab NAME OPTION...: a GitLab fake with the project and tokens;
# sets api_NAME (the API root) and fake_NAME (its address).
start_gitlab() {
    name=$1
    shift
    "$fake_gitlab" --port-file "$scratch/$name.port" --repo "$repo" \
        --repo acme/other --token "$token" --read-only-token developer-token \
        --read-api-token read-api-token --inherited-token inherited-token \
        "$@" 2>"$scratch/$name.log" &
    fakes+=($!)
    port=$(wait_port "$name")
    eval "fake_$name=http://127.0.0.1:$port"
    eval "api_$name=http://127.0.0.1:$port/api/v4"
}

"$fake_salesforce" --port-file "$scratch/sf.port" --admin-token "$admin" \
    "${sample_users[@]}" \
    2>"$scratch/sf.log" &
fakes+=($!)
sf=http://127.0.0.1:$(wait_port sf)

# Seeds: another variable, the same key in another scope, the same key in
# another project, and one of ours that a pipeline protects.
start_gitlab main \
    --seed 'DEPLOY_TOKEN=keep-me-0123456789,protected' \
    --seed 'SFDX_CLIENT_ID_UAT=uat-production-scope-id,scope=production' \
    --seed 'SFDX_CLIENT_KEY_MAIN=other-project-key-0123,repo=acme/other' \
    --seed 'NOTES=some text with spaces,description=left alone'

sample_copy "$sf"

# provision API [OPTION...]: writes every branch's variables to GitLab.
provision() {
    api=$1
    shift
    SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$sf \
        GITLAB_TOKEN=${gitlab_token-$token} \
        "$sfci" -C "$project" provision --all-branches --provider gitlab \
        --repo "$repo" --api-url "$api" --json "$@"
}

# stored FAKE NAME: the value GitLab holds for NAME in the scope '*'.
stored() {
    curl -s "$1/_fake/variables" | jq -r --arg n "$2" --arg r "$repo" \
        '.[] | select(.project == $r and .name == $n and
                      .environment_scope == "*") | .value'
}

# others FAKE: every variable but the ones sfci writes in the scope '*'.
others() {
    curl -s "$1/_fake/variables" | jq -S --arg r "$repo" \
        '[.[] | select((.project == $r and .environment_scope == "*" and
                        (.name | startswith("SFDX_CLIENT_"))) | not)]'
}

# login BRANCH ID KEY: sfci login as a GitLab job would, with no more than
# the two variables.
login() {
    name=$(tr 'a-z-' 'A-Z_' <<<"$1")
    env -i PATH="$PATH" HOME="$scratch" CI_COMMIT_REF_NAME="$1" \
        "SFDX_CLIENT_ID_$name=$2" "SFDX_CLIENT_KEY_$name=$3" \
        "$sfci" -C "$project" login --format json 2>/dev/null |
        jq -e '.access_token | startswith("00D")' >/dev/null
}

# logins_work FAKE: each branch logs in with what the fake holds.
logins_work() {
    for branch in $branches; do
        name=$(tr 'a-z-' 'A-Z_' <<<"$branch")
        login "$branch" "$(stored "$1" "SFDX_CLIENT_ID_$name")" \
            "$(stored "$1" "SFDX_CLIENT_KEY_$name")" || return 1
    done
}

# actions JSON: the distinct actions of the report, sorted.
actions() { jq -r '[.orgs[].variables[].action] | unique | join(" ")' "$1"; }

apps() { curl -s "$sf/_fake/apps" | jq -r '[.[].name] | sort | join(" ")'; }

before_others=$(others "$fake_main")

# --- a first run creates the variables -------------------------------------
provision "$api_main" >"$scratch/first.json" 2>"$scratch/first.err"
check "provision writes to GitLab and exits 0" test $? -eq 0
check "the report says created for every variable" \
    test "$(actions "$scratch/first.json")" = created
check "it reports the 8 variables of the 4 branches" \
    test "$(jq '[.orgs[].variables[]] | length' "$scratch/first.json")" = 8
check "the report holds no value" \
    jq -e '[.orgs[].variables[] | has("value")] | any | not' \
    "$scratch/first.json"
check "GitLab holds them masked, raw, unprotected, in the scope '*'" \
    jq -e --arg r "$repo" '[.[] | select(.project == $r and
        (.name | startswith("SFDX_CLIENT_")) and .environment_scope == "*")] |
        length == 8 and all(.masked and .raw and (.protected | not) and
                            .variable_type == "env_var")' \
    <(curl -s "$fake_main/_fake/variables")
check "every branch logs in with the values GitLab holds" \
    logins_work "$fake_main"
check "the other variables are unchanged" \
    test "$(others "$fake_main")" = "$before_others"

# --- a second run updates them -----------------------------------------------
curl -s "$fake_main/_fake/requests" | jq length >"$scratch/count"
provision "$api_main" >"$scratch/second.json" 2>"$scratch/second.err"
check "a second provision exits 0" test $? -eq 0
check "the report says updated for every variable" \
    test "$(actions "$scratch/second.json")" = updated
check "the new values log in" logins_work "$fake_main"
check "nothing is lost: other names, scopes and projects are unchanged" \
    test "$(others "$fake_main")" = "$before_others"
check "the update replaced the rows instead of adding some" \
    test "$(curl -s "$fake_main/_fake/variables" | jq --arg r "$repo" \
        '[.[] | select(.project == $r and .environment_scope == "*" and
              (.name | startswith("SFDX_CLIENT_")))] | length')" = 8
curl -s "$fake_main/_fake/requests" |
    jq -r --argjson n "$(cat "$scratch/count")" '.[$n:][]' >"$scratch/requests"
check "the second run sent no request twice" \
    test -z "$(sort "$scratch/requests" | uniq -d)"
check "it read every page of the variables" \
    grep -q 'variables?per_page=100&page=4$' "$scratch/requests"
check "it updated each key in its scope only" \
    test "$(grep -c '^PUT .*filter%5Benvironment_scope%5D=%2A$' \
        "$scratch/requests")" = 8

# --- a plan reads GitLab and changes nothing ---------------------------------
state=$(curl -s "$fake_main/_fake/variables")
provision "$api_main" --plan -v >"$scratch/plan.json" 2>"$scratch/plan.err"
check "a plan with a token exits 0" test $? -eq 0
check "and changes no variable" \
    test "$(curl -s "$fake_main/_fake/variables")" = "$state"
check "its -v trace shows no token and no value" \
    sh -c "! grep -qF -e '$token' -e keep-me-0123456789 \
        -e \"$(stored "$fake_main" SFDX_CLIENT_KEY_UAT)\" '$scratch/plan.err'"

# --- faults before any change -----------------------------------------------
state=$(curl -s "$fake_main/_fake/variables")
apps_before=$(apps)
gitlab_token=glpat-revoked expect_failure "a bad token exits 4" 4 GITLAB_TOKEN \
    -- provision "$api_main" -q
check "and deploys no app" test "$(apps)" = "$apps_before"
check "and changes no variable" \
    test "$(curl -s "$fake_main/_fake/variables")" = "$state"
expect_failure "a missing project exits 2" 2 "'acme/missing'" \
    -- provision "$api_main" -q --repo acme/missing
gitlab_token=developer-token expect_failure \
    "a Developer's token exits 4, asking for Maintainer" 4 Maintainer \
    -- provision "$api_main" -q
gitlab_token=read-api-token expect_failure \
    "a token with the read_api scope only exits 4" 4 "api scope" \
    -- provision "$api_main" -q
check "none of them deployed an app" test "$(apps)" = "$apps_before"
check "none of them changed a variable" \
    test "$(curl -s "$fake_main/_fake/variables")" = "$state"

# --- a role GitLab does not show (inherited from a parent group) -------------
gitlab_token=inherited-token provision "$api_main" >"$scratch/inherited.json" \
    2>"$scratch/inherited.err"
check "a Maintainer through a parent group is not refused" test $? -eq 0
check "and logs in" logins_work "$fake_main"

# --- 429 then success ---------------------------------------------------------
start_gitlab limited --rate-limit-at 3
provision "$api_limited" >"$scratch/limited.json" 2>"$scratch/limited.err"
check "a 429 is waited out and the run exits 0" test $? -eq 0
check "and creates every variable" \
    test "$(actions "$scratch/limited.json")" = created
check "the throttled request was sent again" \
    test "$(curl -s "$fake_limited/_fake/requests" | jq '.[2] == .[3]')" = true
check "the variables log in" logins_work "$fake_limited"

# --- a 500 on the third write -------------------------------------------------
start_gitlab failing --fail-write-at 3
provision "$api_failing" >"$scratch/failing.json" 2>"$scratch/failing.err"
check "a 500 on a write exits 3" test $? -eq 3
check "the report says so" jq -e '.exit_code == 3' "$scratch/failing.json"
check "the unwritten variables are failed, with their values" \
    jq -e '[.orgs[].variables[] | select(.action == "failed")] |
        length > 0 and all(.value | type == "string" and length > 0)' \
    "$scratch/failing.json"
check "the error names the variable and GitLab's answer" \
    grep -q "GitLab answered 500 to writing 'SFDX_CLIENT_" \
    "$scratch/failing.err"

# The branches that got this far log in with what GitLab holds plus what
# the report printed.
partial_logins() {
    jq -r '.orgs[].name' "$scratch/failing.json" >"$scratch/done"
    [ -s "$scratch/done" ] || return 1
    while read -r branch; do
        name=$(tr 'a-z-' 'A-Z_' <<<"$branch")
        for kind in ID KEY; do
            value=$(jq -r --arg n "SFDX_CLIENT_${kind}_$name" \
                '.orgs[].variables[] | select(.name == $n and
                    .action == "failed") | .value' "$scratch/failing.json")
            [ -n "$value" ] ||
                value=$(stored "$fake_failing" "SFDX_CLIENT_${kind}_$name")
            eval "value_$kind=\$value"
        done
        login "$branch" "$value_ID" "$value_KEY" || return 1
    done <"$scratch/done"
}
check "GitLab's values plus the printed ones log in" partial_logins

finish
