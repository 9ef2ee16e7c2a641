#!/bin/bash
# End to end against the loopback fakes of Salesforce and GitHub: provision
# writes every branch's variables as GitHub Actions secrets, and sfci login
# gets a session from nothing but what GitHub holds; a second run updates
# them; environment secrets; nothing else in GitHub is lost; and the faults
# a real GitHub gives (a refused token, a missing repository or environment,
# a read-only token, rate limits, a failed write).
#
# usage: host-github.sh SFCI SAMPLE_PROJECT FAKE_SALESFORCE FAKE_GITHUB
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
fake_salesforce=$3
fake_github=$4
admin=00D000000000001!admin-session-for-tests
token=ghp_e2eAdminToken0123456789
read_only=ghp_e2eReadOnlyToken0123456789
branches=(integration main pre-prod uat)
fakes=()
stop_fakes() {
    for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done
    wait
    rm -rf "$scratch"
}
trap stop_fakes EXIT

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
    "$program" --port-file "$scratch/$name.port" "$@" \
        2>"$scratch/$name.log" &
    fakes+=($!)
    for _ in $(seq 100); do
        [ -s "$scratch/$name.port" ] && break
        sleep 0.05
    done
    eval "url_$name=http://127.0.0.1:$(cat "$scratch/$name.port")"
}

# github NAME OPTION...: a GitHub holding acme/crm, its environments uat
# and prod, and two secrets that provision must leave alone.
github() {
    name=$1
    shift
    start "$fake_github" "$name" --token "$token" \
        --read-only-token "$read_only" --repo acme/crm \
        --environment uat --environment prod \
        --seed OTHER_SECRET=keep-me --seed DEPLOY_KEY=prod-only,prod "$@"
}

start "$fake_salesforce" sf --admin-token "$admin" \
    "${sample_users[@]}"

sample_copy "$url_sf"

# provision API [OPTION...]: writes to the GitHub at API, JSON on stdout;
# the token is $gh_token when set (even empty), else the admin's.
provision() {
    api=$1
    shift
    env -u GITHUB_TOKEN -u GITHUB_API_URL SF_ACCESS_TOKEN="$admin" \
        SF_ORG_INSTANCE_URL="$url_sf" GH_TOKEN="${gh_token-$token}" \
        "$sfci" -C "$project" provision --provider github --repo acme/crm \
        --api-url "$api" --json "$@"
}

upper() { tr 'a-z-' 'A-Z_' <<<"$1"; }

# stored API NAME [ENVIRONMENT]: the plain text GitHub holds.
stored() {
    curl -s "$1/_fake/variables" |
        jq -r --arg n "$2" --arg e "${3-}" '.[]
            | select(.name == $n and (.environment // "") == $e) | .value'
}

# login BRANCH ID KEY: sfci login with only what a GitHub runner would
# have; passes when it gets a Salesforce session.
login() {
    name=$(upper "$1")
    env -i PATH="$PATH" HOME="$scratch" CI_COMMIT_REF_NAME="$1" \
        "SFDX_CLIENT_ID_$name=$2" "SFDX_CLIENT_KEY_$name=$3" \
        "$sfci" -C "$project" login --format json 2>/dev/null |
        jq -e '.access_token | startswith("00D")' >/dev/null
}

# logins API ENVIRONMENT [BRANCH...]: every branch (or those given) logs
# in with the values GitHub holds in ENVIRONMENT ("" for the repository).
logins() {
    api=$1 environment=$2
    shift 2
    for branch in "${@:-${branches[@]}}"; do
        name=$(upper "$branch")
        login "$branch" \
            "$(stored "$api" "SFDX_CLIENT_ID_$name" "$environment")" \
            "$(stored "$api" "SFDX_CLIENT_KEY_$name" "$environment")" ||
            return 1
    done
}

# others_kept API: the seeded secrets are as they were.
others_kept() {
    test "$(stored "$1" OTHER_SECRET)" = keep-me -a \
        "$(stored "$1" DEPLOY_KEY prod)" = prod-only
}

# count FILE FILTER: how many requests in FILE match the jq FILTER.
count() { jq "map(select($2)) | length" "$1"; }

actions() { jq -r '[.orgs[].variables[].action] | unique | join(" ")' "$1"; }
requests() { curl -s "$1/_fake/requests"; }
secrets_state() {
    curl -s "$1/_fake/variables" |
        jq -c 'map({name, environment, value}) | sort_by(.environment, .name)'
}
apps() { curl -s "$url_sf/_fake/apps" | jq -r '[.[].name] | sort | join(" ")'; }
files_state() {
    (cd "$project" && find config -type f -exec sha256sum {} + | sort)
}

# --- the first run creates every secret ----------------------------------
github main --max-per-page 2
provision "$url_main" --all-branches >"$scratch/first.json" 2>/dev/null
check "provision --all-branches writes to GitHub and exits 0" test $? -eq 0
check "the report says each of the 8 secrets was created" \
    test "$(actions "$scratch/first.json")" = created -a \
    "$(jq '[.orgs[].variables[]] | length' "$scratch/first.json")" = 8
check "and prints no value, as they are in GitHub" \
    jq -e '[.orgs[].variables[] | has("value")] | any | not' \
    "$scratch/first.json"
requests "$url_main" >"$scratch/requests.json"
check "the public key was fetched once" test "$(count "$scratch/requests.json" \
    'endswith("/actions/secrets/public-key")')" = 1
check "no request was sent twice" \
    jq -e 'group_by(.) | all(length == 1)' "$scratch/requests.json"
check "each secret was one PUT" test "$(count "$scratch/requests.json" \
    'startswith("PUT /repos/acme/crm/actions/secrets/SFDX_CLIENT_")')" = 8
names=$(curl -s "$url_main/_fake/variables" |
    jq -r 'map(select(.environment == null) | .name) | sort | join(" ")')
want="OTHER_SECRET"
for kind in ID KEY; do
    for branch in "${branches[@]}"; do
        want="$want SFDX_CLIENT_${kind}_$(upper "$branch")"
    done
done
check "GitHub holds the upper-case names of every branch" \
    test "$names" = "$want"
check "every branch logs in with nothing but GitHub's secrets" \
    logins "$url_main" ""
check "the other secrets are unchanged" others_kept "$url_main"
first_uat_id=$(stored "$url_main" SFDX_CLIENT_ID_UAT)

# --- a second run updates them; the first apps retire ----------------------
provision "$url_main" --all-branches >"$scratch/second.json" 2>/dev/null
check "a second provision exits 0" test $? -eq 0
check "and reports every secret as updated" \
    test "$(actions "$scratch/second.json")" = updated
check "with new values" \
    test "$(stored "$url_main" SFDX_CLIENT_ID_UAT)" != "$first_uat_id"
check "every branch logs in with the new values" logins "$url_main" ""
check "the apps of the first run were retired" test "$(apps)" = \
    "$(jq -r '[.orgs[].app] | sort | join(" ")' "$scratch/second.json")"
check "the other secrets are still unchanged" others_kept "$url_main"

# --- --plan with a token reads GitHub, writes nothing ----------------------
before=$(secrets_state "$url_main")
seen=$(requests "$url_main" | jq length)
provision "$url_main" --all-branches --plan >"$scratch/plan.json" 2>/dev/null
check "--plan with a token exits 0" test $? -eq 0
requests "$url_main" | jq ".[$seen:]" >"$scratch/plan-requests.json"
check "it lists the 9 secrets page by page (2 a page), each page once" \
    test "$(count "$scratch/plan-requests.json" \
        'contains("/actions/secrets?")')" = 5 -a \
    "$(jq 'group_by(.) | all(length == 1)' "$scratch/plan-requests.json")" \
    = true
check "and changes nothing" \
    test "$(count "$scratch/plan-requests.json" 'startswith("PUT")')" = 0 \
    -a "$(secrets_state "$url_main")" = "$before"

# --- environment secrets ---------------------------------------------------
not_uat='map(select(.environment != "uat"))'
others_before=$(curl -s "$url_main/_fake/variables" | jq -c "$not_uat")
seen=$(requests "$url_main" | jq length)
provision "$url_main" --branch uat --environment uat -v \
    >"$scratch/env.json" 2>"$scratch/env.err"
check "--environment uat writes environment secrets and exits 0" \
    test $? -eq 0
check "created in the environment" \
    test "$(actions "$scratch/env.json")" = created
requests "$url_main" | jq ".[$seen:]" >"$scratch/env-requests.json"
uat=/repos/acme/crm/environments/uat
check "after checking that the environment exists" \
    test "$(count "$scratch/env-requests.json" ". == \"GET $uat\"")" = 1
check "with the environment's own key, fetched once" test "$(count \
    "$scratch/env-requests.json" ". == \"GET $uat/secrets/public-key\"")" = 1
check "through PUT $uat/secrets/NAME" test "$(count \
    "$scratch/env-requests.json" "startswith(\"PUT $uat/secrets/\")")" = 2
check "uat logs in with the environment's secrets" logins "$url_main" uat uat
check "the repository's secrets and the other environment's are unchanged" \
    test "$(curl -s "$url_main/_fake/variables" | jq -c "$not_uat")" = \
    "$others_before"
check "the -v trace shows the requests" grep -q \
    "PUT $url_main$uat/secrets/SFDX_CLIENT_ID_UAT" "$scratch/env.err"
check "but neither the token nor a value" sh -c "! grep -qF -e '$token' \
    -e '$(stored "$url_main" SFDX_CLIENT_ID_UAT uat)' \
    -e '$(stored "$url_main" SFDX_CLIENT_KEY_UAT uat)' '$scratch/env.err'"

# --- faults: nothing changes before the token is known good ----------------
secrets_before=$(secrets_state "$url_main")
apps_before=$(apps)
files_before=$(files_state)
unchanged() {
    test "$(secrets_state "$url_main")" = "$secrets_before" -a \
        "$(apps)" = "$apps_before" -a "$(files_state)" = "$files_before"
}

gh_token=ghp_wrong expect_failure "a token GitHub rejects exits 4" \
    4 "GitHub rejected the token in GH_TOKEN (401 Bad credentials)" -- \
    provision "$url_main" -q --all-branches
check "and says the scopes it needs" \
    grep -q "the repo scope (classic token) or Secrets: write" "$scratch/err"
check "and deploys nothing, writes no secret and no file" unchanged

gh_token=$read_only expect_failure "a token without admin access exits 4" \
    4 "cannot change the secrets of 'acme/crm'" -- \
    provision "$url_main" -q --all-branches
check "and changes nothing" unchanged

expect_failure "a missing repository exits 2 and names it" \
    2 "GitHub has no repository 'acme/missing'" -- \
    provision "$url_main" -q --all-branches --repo acme/missing
check "and changes nothing" unchanged

expect_failure "a missing environment exits 2 and says to create it" \
    2 "GitHub has no environment 'staging' in 'acme/crm' (404): create it" \
    -- provision "$url_main" -q --branch uat --environment staging
check "and changes nothing" unchanged

gh_token= expect_failure "no token exits 2 and says which variable to set" \
    2 "set GH_TOKEN (or GITHUB_TOKEN)" -- \
    provision "$url_main" -q --branch uat
check "and changes nothing" unchanged

# --- rate limits are waited out ----------------------------------------------
github limited --rate-limit-at 3
provision "$url_limited" --all-branches >"$scratch/limited.json" 2>/dev/null
check "a secondary rate limit (403, retry-after) is waited out: exit 0" \
    test $? -eq 0
check "every secret was created" \
    test "$(actions "$scratch/limited.json")" = created
check "and every branch logs in" logins "$url_limited" ""

github primary --rate-limit-at 4 --rate-limit-primary --rate-limit-status 429
provision "$url_primary" --all-branches >"$scratch/primary.json" 2>/dev/null
check "a primary rate limit (429, remaining 0) is waited out: exit 0" \
    test $? -eq 0
check "every secret was created" \
    test "$(actions "$scratch/primary.json")" = created

# --- a failed write: exit 3, nothing generated is lost -----------------------
github failing --fail-write-at 3
provision "$url_failing" --all-branches \
    >"$scratch/failing.json" 2>"$scratch/failing.err"
check "a 500 on the third write exits 3" test $? -eq 3
check "the report says so" jq -e '.exit_code == 3' "$scratch/failing.json"
check "the unwritten variables are failed, with their values" \
    jq -e '[.orgs[].variables[] | select(.action == "failed")]
        | length > 0 and all(.value | length > 0)' "$scratch/failing.json"
check "the error names the secret and GitHub's answer" grep -q \
    "'SFDX_CLIENT_ID_MAIN' in 'acme/crm': GitHub failed (500 Server Error)" \
    "$scratch/failing.err"

# value_of ORG NAME: the reported value of a failed variable, else GitHub's.
value_of() {
    reported=$(jq -r --arg o "$1" --arg n "$2" '.orgs[]
        | select(.name == $o) | .variables[]
        | select(.name == $n and .action == "failed") | .value' \
        "$scratch/failing.json")
    if [ -n "$reported" ]; then
        echo "$reported"
    else
        stored "$url_failing" "$2"
    fi
}
logins_failing=0
for org in $(jq -r '.orgs[].name' "$scratch/failing.json"); do
    name=$(upper "$org")
    login "$org" "$(value_of "$org" "SFDX_CLIENT_ID_$name")" \
        "$(value_of "$org" "SFDX_CLIENT_KEY_$name")" || logins_failing=1
done
check "each org logs in with GitHub's values plus the reported ones" \
    test $logins_failing -eq 0
check "the other secrets are unchanged" others_kept "$url_failing"

finish
