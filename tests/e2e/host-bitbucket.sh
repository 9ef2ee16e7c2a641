#!/bin/bash
# End to end against the loopback fakes of Salesforce and Bitbucket Cloud:
# provision writes every branch's variables as secured repository
# variables, and sfci login gets a session from nothing but what Bitbucket
# holds; a second run updates them in place; deployment variables with
# --environment; nothing else in Bitbucket is lost; and the faults a real
# Bitbucket gives (a refused token, a missing repository or environment, a
# token that may not write, a rate limit, a failed write).
#
# usage: host-bitbucket.sh SFCI SAMPLE_PROJECT FAKE_SALESFORCE FAKE_BITBUCKET
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
fake_salesforce=$3
fake_bitbucket=$4
admin=00D000000000001!admin-session-for-tests
token=bbrat_e2eRepositoryAccessToken0123456789
read_only=bbrat_e2eReadOnlyToken0123456789
email=ci@acme.example
api_token=ATATT3xE2eApiToken0123456789
branches=(integration main pre-prod uat)
fakes=()
trap 'for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done; wait; rm -rf "$scratch"' EXIT

for tool in curl jq; do
    if ! command -v "$tool" >/dev/null; then
        echo "Bail out! $tool is not installed"
        exit 1
    fi
done

# start FAKE NAME OPTION...: starts a fake, sets url_NAME once it listens.
start() {
    program=$1 name=$2
    shift 2
    "$program" --port-file "$scratch/$name.port" "$@" 2>"$scratch/$name.log" &
    fakes+=($!)
    for _ in $(seq 100); do
        [ -s "$scratch/$name.port" ] && break
        sleep 0.05
    done
    eval "url_$name=http://127.0.0.1:$(cat "$scratch/$name.port")"
}

# bitbucket NAME OPTION...: a Bitbucket holding acme/crm with a uat
# environment (and Bitbucket's own three), and variables that provision
# must leave alone.
bitbucket() {
    name=$1
    shift
    start "$fake_bitbucket" "$name" --token "$token" --read-only-token "$read_only" \
        --basic "$email:$api_token" --repo acme/crm --environment uat \
        --seed OTHER_VARIABLE=keep-me --seed DEPLOY_KEY=prod-only,Production \
        --seed UAT_ONLY=uat-only,uat "$@"
}

start "$fake_salesforce" sf --admin-token "$admin" \
    "${sample_users[@]}"

sample_copy "$url_sf"

# provision URL [OPTION...]: writes to the Bitbucket at URL, report on
# stdout; BITBUCKET_TOKEN is $bb_token when set, else $token.
provision() {
    root=$1/2.0
    shift
    env -u BITBUCKET_USERNAME -u BITBUCKET_API_TOKEN -u BITBUCKET_API_URL \
        SF_ACCESS_TOKEN="$admin" SF_ORG_INSTANCE_URL="$url_sf" \
        BITBUCKET_TOKEN="${bb_token-$token}" \
        "$sfci" -C "$project" provision --provider bitbucket --repo acme/crm \
        --api-url "$root" --json "$@"
}

upper() { tr 'a-z-' 'A-Z_' <<<"$1"; }

# stored URL NAME [ENVIRONMENT]: the value Bitbucket holds.
stored() {
    curl -s "$1/_fake/variables" |
        jq -r --arg n "$2" --arg e "${3-}" \
            '.[] | select(.name == $n and (.environment // "") == $e) | .value'
}

# login BRANCH ID KEY: sfci login with only what a Bitbucket pipeline
# would have; passes when it gets a Salesforce session.
login() {
    name=$(upper "$1")
    env -i PATH="$PATH" HOME="$scratch" CI_COMMIT_REF_NAME="$1" \
        "SFDX_CLIENT_ID_$name=$2" "SFDX_CLIENT_KEY_$name=$3" \
        "$sfci" -C "$project" login --format json 2>/dev/null |
        jq -e '.access_token | startswith("00D")' >/dev/null
}

# logins URL ENVIRONMENT [BRANCH...]: every branch (or those given) logs in
# with the values Bitbucket holds in ENVIRONMENT ("" for the repository).
logins() {
    url=$1 environment=$2
    shift 2
    for branch in "${@:-${branches[@]}}"; do
        name=$(upper "$branch")
        login "$branch" "$(stored "$url" "SFDX_CLIENT_ID_$name" "$environment")" \
            "$(stored "$url" "SFDX_CLIENT_KEY_$name" "$environment")" || return 1
    done
}

actions() { jq -r '[.orgs[].variables[].action] | unique | join(" ")' "$1"; }
requests() { curl -s "$1/_fake/requests"; }
variables_state() { curl -s "$1/_fake/variables" | jq -c 'sort_by(.environment, .name)'; }
apps() { curl -s "$url_sf/_fake/apps" | jq -r '[.[].name] | sort | join(" ")'; }
files_state() { (cd "$project" && find config -type f -exec sha256sum {} + | sort); }
kept() {
    test "$(stored "$1" OTHER_VARIABLE)" = keep-me -a \
        "$(stored "$1" DEPLOY_KEY Production)" = prod-only -a \
        "$(stored "$1" UAT_ONLY uat)" = uat-only
}
vars=/2.0/repositories/acme/crm/pipelines_config/variables/

# --- the first run creates every variable ----------------------------------
bitbucket main
provision "$url_main" --all-branches >"$scratch/first.json" 2>"$scratch/first.err"
check "provision --all-branches writes to Bitbucket and exits 0" test $? -eq 0
check "the report says each of the 8 variables was created" \
    test "$(actions "$scratch/first.json")" = created -a \
    "$(jq '[.orgs[].variables[]] | length' "$scratch/first.json")" = 8
check "and prints no value, as they are in Bitbucket" \
    jq -e '[.orgs[].variables[] | has("value")] | any | not' "$scratch/first.json"
requests "$url_main" >"$scratch/requests.json"
check "the repository was checked before anything else" \
    test "$(jq -r '.[0]' "$scratch/requests.json")" = "GET /2.0/repositories/acme/crm"
check "the variables were listed once, page by page, then created by POST" \
    test "$(jq -c '[.[] | select(contains("/pipelines_config/")) | split(" ")[0]] | unique' "$scratch/requests.json")" = '["GET","POST"]' -a \
    "$(jq "[.[] | select(. == \"POST $vars\")] | length" "$scratch/requests.json")" = 8
check "no request was sent twice" \
    jq -e 'map(select(startswith("GET"))) | group_by(.) | all(length == 1)' "$scratch/requests.json"
check "Bitbucket holds them secured" \
    jq -e '[.[] | select(.name | startswith("SFDX_")) | .secured] | length == 8 and all' \
    <(curl -s "$url_main/_fake/variables")
check "every branch logs in with nothing but Bitbucket's variables" logins "$url_main" ""
check "the other variables are unchanged" kept "$url_main"
first_uat_id=$(stored "$url_main" SFDX_CLIENT_ID_UAT)
# uuids URL: each repository variable's key and uuid, as Bitbucket lists them.
uuids() {
    for page in 1 2 3 4 5 6; do
        curl -s -H "Authorization: Bearer $token" "$1$vars?page=$page"
    done | jq -r '.values[] | .key + " " + .uuid' | sort
}
uuids_before=$(uuids "$url_main")

# --- a second run updates them in place -------------------------------------
count_before=$(requests "$url_main" | jq length)
provision "$url_main" --all-branches >"$scratch/second.json" 2>/dev/null
check "a second provision exits 0" test $? -eq 0
check "and reports every variable as updated" test "$(actions "$scratch/second.json")" = updated
check "with new values" test "$(stored "$url_main" SFDX_CLIENT_ID_UAT)" != "$first_uat_id"
requests "$url_main" | jq ".[$count_before:]" >"$scratch/second-requests.json"
check "it followed 'next' through every page of the list, each once" \
    jq -e '(map(select(contains("/pipelines_config/variables/?"))) | length) == 5 and (group_by(.) | all(length == 1))' \
    "$scratch/second-requests.json"
check "and updated each variable by PUT at its {uuid}, braces encoded" \
    jq -e '(map(select(startswith("PUT "))) | length == 8 and all(test("/variables/%7B[0-9a-f-]{36}%7D$"))) and (map(select(startswith("POST "))) | length == 0)' \
    "$scratch/second-requests.json"
check "the variables kept their uuids" test "$(uuids "$url_main")" = "$uuids_before"
check "every branch logs in with the new values" logins "$url_main" ""
check "the apps of the first run were retired" \
    test "$(apps)" = "$(jq -r '[.orgs[].app] | sort | join(" ")' "$scratch/second.json")"
check "the other variables are still unchanged" kept "$url_main"

# --- --plan with a token reads Bitbucket, writes nothing --------------------
before=$(variables_state "$url_main")
count_before=$(requests "$url_main" | jq length)
provision "$url_main" --all-branches --plan >"$scratch/plan.json" 2>/dev/null
check "--plan with a token exits 0" test $? -eq 0
requests "$url_main" | jq ".[$count_before:]" >"$scratch/plan-requests.json"
check "it reads the list once and writes nothing" \
    jq -e '(map(select(startswith("GET") | not)) | length == 0) and (group_by(.) | all(length == 1))' \
    "$scratch/plan-requests.json"
check "and Bitbucket is unchanged" test "$(variables_state "$url_main")" = "$before"

# --- deployment variables ---------------------------------------------------
repo_before=$(curl -s "$url_main/_fake/variables" | jq -c 'map(select(.environment != "uat"))')
count_before=$(requests "$url_main" | jq length)
provision "$url_main" --branch uat --environment uat -v >"$scratch/env.json" 2>"$scratch/env.err"
check "--environment uat writes deployment variables and exits 0" test $? -eq 0
check "created in the environment" test "$(actions "$scratch/env.json")" = created
requests "$url_main" | jq ".[$count_before:]" >"$scratch/env-requests.json"
check "the environment was found through every page of the list" \
    test "$(jq '[.[] | select(contains("/environments?"))] | length' "$scratch/env-requests.json")" = 2
check "and the variables posted to its {uuid}" \
    jq -e 'map(select(startswith("POST "))) | length == 2 and all(test("/deployments_config/environments/%7B[0-9a-f-]{36}%7D/variables$"))' \
    "$scratch/env-requests.json"
check "uat logs in with the environment's variables" logins "$url_main" uat uat
check "the repository's variables and the other environments' are unchanged" \
    test "$(curl -s "$url_main/_fake/variables" | jq -c 'map(select(.environment != "uat"))')" = "$repo_before"
check "the environment's own variable is unchanged" test "$(stored "$url_main" UAT_ONLY uat)" = uat-only
check "the -v trace shows the requests" grep -q "GET $url_main/2.0/repositories/acme/crm/environments" "$scratch/env.err"
check "but neither the token nor a value" \
    sh -c "! grep -qF -e '$token' -e '$(stored "$url_main" SFDX_CLIENT_ID_UAT uat)' -e '$(stored "$url_main" SFDX_CLIENT_KEY_UAT uat)' '$scratch/env.err'"

# --- an API token (Basic) works as well --------------------------------------
bitbucket basic
env -u BITBUCKET_TOKEN -u BITBUCKET_API_URL SF_ACCESS_TOKEN="$admin" SF_ORG_INSTANCE_URL="$url_sf" \
    BITBUCKET_USERNAME="$email" BITBUCKET_API_TOKEN="$api_token" \
    "$sfci" -C "$project" provision --provider bitbucket --repo acme/crm \
    --api-url "$url_basic/2.0" --branch uat --json >"$scratch/basic.json" 2>/dev/null
check "BITBUCKET_USERNAME and BITBUCKET_API_TOKEN (Basic) write too" \
    test $? -eq 0 -a "$(actions "$scratch/basic.json")" = created
check "and uat logs in with them" logins "$url_basic" "" uat

# --- faults: nothing changes before the token is known good -------------------
variables_before=$(variables_state "$url_main")
apps_before=$(apps)
files_before=$(files_state)
unchanged() {
    test "$(variables_state "$url_main")" = "$variables_before" -a \
        "$(apps)" = "$apps_before" -a "$(files_state)" = "$files_before"
}

bb_token=bbrat_wrong expect_failure "a token Bitbucket rejects exits 4, naming BITBUCKET_TOKEN" \
    4 "Bitbucket rejected BITBUCKET_TOKEN for 'acme/crm' (401" -- \
    provision "$url_main" -q --all-branches
check "and the scope it needs" grep -q "admin:pipeline:bitbucket" "$scratch/err"
check "and deploys nothing, writes no variable and no file" unchanged

expect_failure "a missing repository exits 2 and names it" \
    2 "Bitbucket has no repository 'acme/missing' that the token can see (404): check --repo" -- \
    provision "$url_main" -q --all-branches --repo acme/missing
check "and changes nothing" unchanged

expect_failure "a missing environment exits 2 and says where to create it" \
    2 "no deployment environment 'qa': create it under Repository settings > Deployments" -- \
    provision "$url_main" -q --branch uat --environment qa
check "and changes nothing" unchanged

bb_token='' expect_failure "no token exits 2 and says which variables to set" \
    2 "set BITBUCKET_TOKEN" -- provision "$url_main" -q --branch uat
check "and changes nothing" unchanged

# Bitbucket cannot tell without writing that a token may not write.
bb_token=$read_only provision "$url_main" -q --branch uat >"$scratch/ro.json" 2>"$scratch/ro.err"
check "a token that may only read exits 3 at the first write" test $? -eq 3
check "naming Bitbucket's answer and the scope" \
    grep -q "refused to update 'SFDX_CLIENT_ID_UAT' in 'acme/crm' (403, 'Your credentials lack one or more required privilege scopes" "$scratch/ro.err"
check "and reports both variables failed, with their values" \
    jq -e '[.orgs[].variables[] | select(.action == "failed" and (.value | length) > 0)] | length == 2' "$scratch/ro.json"
check "which log in" login uat "$(jq -r '.orgs[0].variables[0].value' "$scratch/ro.json")" \
    "$(jq -r '.orgs[0].variables[1].value' "$scratch/ro.json")"
check "and Bitbucket's variables are unchanged" \
    test "$(variables_state "$url_main")" = "$variables_before"

# --- a rate limit is waited out -----------------------------------------------
bitbucket limited --rate-limit-at 3
provision "$url_limited" --all-branches >"$scratch/limited.json" 2>/dev/null
check "a 429 (Retry-After: 1) is waited out: exit 0" test $? -eq 0
check "every variable was created" test "$(actions "$scratch/limited.json")" = created
check "the refused request was sent again, and no other" \
    jq -e 'length == 11 and .[2] == .[3]' <(requests "$url_limited")
check "and every branch logs in" logins "$url_limited" ""

# --- a failed write: exit 3, nothing generated is lost -------------------------
bitbucket failing --fail-write-at 3
provision "$url_failing" --all-branches >"$scratch/failing.json" 2>"$scratch/failing.err"
check "a 500 on the third write exits 3" test $? -eq 3
check "the report says so" jq -e '.exit_code == 3' "$scratch/failing.json"
check "the written variables are created" \
    test "$(jq -r '.orgs[0].variables | map(.action) | join(" ")' "$scratch/failing.json")" = "created created"
check "the unwritten ones are failed, with their values" \
    jq -e '[.orgs[].variables[] | select(.action == "failed")] | length == 2 and all(.value | length > 0)' \
    "$scratch/failing.json"
check "the error names the variable and Bitbucket's answer" \
    grep -q "failed to create 'SFDX_CLIENT_ID_MAIN' in 'acme/crm' (500, 'Something went wrong')" "$scratch/failing.err"
# value_of ORG NAME: the reported value of a failed variable, else Bitbucket's.
value_of() {
    reported=$(jq -r --arg o "$1" --arg n "$2" \
        '.orgs[] | select(.name == $o) | .variables[] | select(.name == $n and .action == "failed") | .value' \
        "$scratch/failing.json")
    if [ -n "$reported" ]; then echo "$reported"; else stored "$url_failing" "$2"; fi
}
all_login=0
for org in $(jq -r '.orgs[].name' "$scratch/failing.json"); do
    name=$(upper "$org")
    login "$org" "$(value_of "$org" "SFDX_CLIENT_ID_$name")" \
        "$(value_of "$org" "SFDX_CLIENT_KEY_$name")" || all_login=1
done
check "each org reached logs in with Bitbucket's values plus the reported ones" test $all_login -eq 0
check "the other variables are unchanged" kept "$url_failing"

finish
