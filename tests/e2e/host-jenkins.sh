#!/bin/bash
# End to end against the loopback fakes of Salesforce and Jenkins:
# provision writes Secret text credentials for the four sample branches,
# and sfci login works in an environment made only of what Jenkins holds;
# a second run updates them; --jenkins-folder writes to a folder's store;
# nothing else in Jenkins changes; and the faults a real Jenkins gives.
#
# usage: host-jenkins.sh SFCI SAMPLE_PROJECT FAKE_SALESFORCE FAKE_JENKINS
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
fake_salesforce=$3
fake_jenkins=$4
admin=00D000000000001!admin-session-for-tests
api_token=11d4e7c2a9b35f0e86c1d2a3b4c5d6e7f8
branches="integration main pre-prod uat"
fakes=()
trap 'for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done
    wait; rm -rf "$scratch"' EXIT

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

# start_jenkins NAME OPTION...: a Jenkins with the token and two folders.
start_jenkins() {
    name=$1
    shift
    start_fake "$name" "$fake_jenkins" --token "ci:$api_token" \
        --folder team/crm --folder other "$@"
}

start_fake sf "$fake_salesforce" --admin-token "$admin" \
    "${sample_users[@]}"
start_jenkins jenkins --read-only-token viewer:view-only \
    --password alice:a-password --seed KEEP=kept-secret \
    --seed SFDX_CLIENT_ID_UAT=other-folder-value,other \
    --seed TEAM_ONLY=team-secret,team/crm

sample_copy "$url_sf"

# provision URL [OPTION...]: a writing run against the Jenkins at URL.
provision() {
    url=$1
    shift
    SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_sf \
        JENKINS_USER_ID=${jenkins_user:-ci} \
        JENKINS_API_TOKEN=${jenkins_token:-$api_token} \
        "$sfci" -C "$project" provision --provider jenkins --api-url "$url" \
        "$@"
}

# stored URL ID [FOLDER]: the secret a Jenkins fake holds.
stored() {
    curl -s "$1/_fake/variables" | jq -r --arg id "$2" --arg f "${3:-}" \
        '.[] | select(.name == $id and (.folder // "") == $f) | .value'
}

# reported JSON ID: a variable's value in a JSON report.
reported() {
    jq -r --arg n "$2" '.orgs[].variables[] | select(.name == $n) | .value' "$1"
}

# upper BRANCH: the NAME of its variables.
upper() { tr 'a-z-' 'A-Z_' <<<"$1"; }

# login BRANCH ID KEY [CERT]: sfci login as a pipeline would, in an
# environment holding these values and nothing else; prints the token.
login() {
    name=$(upper "$1")
    env -i PATH="$PATH" HOME="$scratch" CI_COMMIT_REF_NAME="$1" \
        "SFDX_CLIENT_ID_$name=$2" "SFDX_CLIENT_KEY_$name=$3" \
        ${4:+"SFDX_CLIENT_CERT_$name=$4"} \
        "$sfci" -C "$project" login --format json 2>/dev/null |
        jq -r .access_token
}

# logs_in BRANCH URL [FOLDER]: a login from the values Jenkins holds works.
logs_in() {
    name=$(upper "$1")
    session=$(login "$1" "$(stored "$2" "SFDX_CLIENT_ID_$name" "${3:-}")" \
        "$(stored "$2" "SFDX_CLIENT_KEY_$name" "${3:-}")")
    [[ $session == 00D* ]]
}

# everything URL: every credential of a Jenkins fake, sorted.
everything() { curl -s "$1/_fake/variables" | jq -S 'sort_by(.folder, .name)'; }
# written URL FILTER: how many SFDX_ credentials of the system store pass.
written() {
    curl -s "$1/_fake/variables" | jq "[.[] | select(.folder == null and
        (.name | startswith(\"SFDX_\"))) | select($2)] | length"
}
apps() { curl -s "$url_sf/_fake/apps" | jq -r '[.[].name] | sort | join(" ")'; }
requests() { curl -s "$1/_fake/requests" | jq -r '.[]'; }
actions() { jq -r '[.orgs[].variables[].action] | unique | join(" ")' "$1"; }

# --- the first run creates the credentials -------------------------------
provision "$url_jenkins" --all-branches --json \
    >"$scratch/first.json" 2>"$scratch/first.err"
check "provision --all-branches writes to Jenkins and exits 0" test $? -eq 0
check "every variable is reported created" \
    test "$(actions "$scratch/first.json")" = created
check "eight variables, for the four branches" \
    test "$(jq '[.orgs[].variables[]] | length' "$scratch/first.json")" = 8
check "the report holds no value" \
    jq -e '[.orgs[].variables[] | has("value")] | any | not' "$scratch/first.json"
check "Jenkins holds Secret text credentials, scope GLOBAL, system store" \
    test "$(written "$url_jenkins" \
        '.scope == "GLOBAL" and .kind == "Secret text"')" = 8
check "each says sfci wrote it" \
    test "$(written "$url_jenkins" '.description | test("sfci")')" = 8
for branch in $branches; do
    check "$branch: sfci login works with what Jenkins holds" \
        logs_in "$branch" "$url_jenkins"
done
check "whoAmI and the credential list were each read once" \
    test "$(requests "$url_jenkins" | grep -c -e '^GET /whoAmI/' \
        -e '^GET /credentials/store/system/domain/_/api/json$')" = 2
check "and no credential was written twice" \
    test "$(requests "$url_jenkins" | grep -c '^POST')" = 8
check "the other credentials are untouched" \
    test "$(stored "$url_jenkins" KEEP)" = kept-secret \
    -a "$(stored "$url_jenkins" SFDX_CLIENT_ID_UAT other)" = other-folder-value \
    -a "$(stored "$url_jenkins" TEAM_ONLY team/crm)" = team-secret
first_uat_id=$(stored "$url_jenkins" SFDX_CLIENT_ID_UAT)

# --- a plan reads Jenkins and changes nothing -----------------------------
before=$(everything "$url_jenkins")
SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_sf JENKINS_USER_ID=ci \
    JENKINS_API_TOKEN=$api_token "$sfci" -q -C "$project" provision \
    --provider jenkins --api-url "$url_jenkins" --branch uat --plan \
    >"$scratch/plan.out" 2>"$scratch/plan.err"
check "a plan with the token says the credentials will be updated" \
    grep -q "SFDX_CLIENT_ID_UAT (update) SFDX_CLIENT_KEY_UAT (update)" \
    "$scratch/plan.out"
check "and changes nothing" test "$(everything "$url_jenkins")" = "$before"

# --- a second run updates them, with no secret in its trace -------------
requests "$url_jenkins" >"$scratch/requests.before"
provision "$url_jenkins" --all-branches --json -v \
    >"$scratch/second.json" 2>"$scratch/second.err"
check "a second provision exits 0" test $? -eq 0
check "every variable is reported updated" \
    test "$(actions "$scratch/second.json")" = updated
check "by POST config.xml, never by reading config.xml" \
    test "$(requests "$url_jenkins" | sed "1,$(wc -l <"$scratch/requests.before")d" |
        grep -c -e '/config.xml' -e createCredentials)" = 8 \
    -a -z "$(requests "$url_jenkins" | grep '^GET .*/config.xml')"
check "the values changed" \
    test "$(stored "$url_jenkins" SFDX_CLIENT_ID_UAT)" != "$first_uat_id"
for branch in $branches; do
    check "$branch: sfci login works with the new values" \
        logs_in "$branch" "$url_jenkins"
done
check "the -v trace has neither a value nor the API token" \
    sh -c "! curl -s '$url_jenkins/_fake/variables' |
        jq -r '.[] | select(.name | startswith(\"SFDX_\")) | .value' |
        grep -qF -f - -e '$api_token' '$scratch/second.err'"
check "the other credentials are still untouched" \
    test "$(stored "$url_jenkins" KEEP)" = kept-secret \
    -a "$(stored "$url_jenkins" SFDX_CLIENT_ID_UAT other)" = other-folder-value

# --- a folder's store -----------------------------------------------------
system_uat=$(stored "$url_jenkins" SFDX_CLIENT_ID_UAT)
provision "$url_jenkins" --branch uat --jenkins-folder team/crm --json \
    >"$scratch/folder.json" 2>"$scratch/folder.err"
check "--jenkins-folder team/crm exits 0" test $? -eq 0
check "and creates the credentials in that folder's store" \
    test "$(actions "$scratch/folder.json")" = created \
    -a -n "$(stored "$url_jenkins" SFDX_CLIENT_ID_UAT team/crm)"
check "through /job/team/job/crm/credentials/store/folder/domain/_/" \
    grep -q '^POST /job/team/job/crm/credentials/store/folder/domain/_/createCredentials$' \
    <(requests "$url_jenkins")
check "sfci login works with the folder's values" \
    logs_in uat "$url_jenkins" team/crm
check "the system store and the other folders are untouched" \
    test "$(stored "$url_jenkins" SFDX_CLIENT_ID_UAT)" = "$system_uat" \
    -a "$(stored "$url_jenkins" SFDX_CLIENT_ID_UAT other)" = other-folder-value \
    -a "$(stored "$url_jenkins" TEAM_ONLY team/crm)" = team-secret

# --- faults before anything changes ---------------------------------------
files_state() { (cd "$project" && find config -type f -exec sha256sum {} + | sort); }
before=$(everything "$url_jenkins")
files=$(files_state)
org_apps=$(apps)
jenkins_token=wrong-token expect_failure "a refused API token exits 4" 4 \
    "JENKINS_API_TOKEN" -- provision "$url_jenkins" -q --all-branches
check "and deploys no app" test "$(apps)" = "$org_apps"
check "and changes no credential" test "$(everything "$url_jenkins")" = "$before"
check "and no file" test "$(files_state)" = "$files"

expect_failure "a folder that does not exist exits 2" 2 "'team/nope'" -- \
    provision "$url_jenkins" -q --branch uat --jenkins-folder team/nope
check "and says to check the Folders plugin" grep -q "Folders plugin" \
    "$scratch/err"
check "and deploys no app" test "$(apps)" = "$org_apps"

expect_failure "a missing JENKINS_URL without --api-url exits 2" 2 \
    "JENKINS_URL" -- env SF_ACCESS_TOKEN="$admin" \
    SF_ORG_INSTANCE_URL="$url_sf" JENKINS_USER_ID=ci \
    JENKINS_API_TOKEN="$api_token" "$sfci" -q -C "$project" provision \
    --provider jenkins --branch uat
check "JENKINS_URL is read when there is no --api-url" env \
    SF_ACCESS_TOKEN="$admin" SF_ORG_INSTANCE_URL="$url_sf" \
    JENKINS_USER_ID=ci JENKINS_API_TOKEN="$api_token" \
    JENKINS_URL="$url_jenkins/" "$sfci" -q -C "$project" provision \
    --provider jenkins --branch uat --plan

# --- faults once the app is deployed: exit 3, nothing lost --------------
before=$(everything "$url_jenkins")
jenkins_user=viewer jenkins_token=view-only provision "$url_jenkins" -q --branch integration \
    --json >"$scratch/viewer.json" 2>"$scratch/viewer.err"
check "a token that may only read exits 3 at the write" test $? -eq 3
check "naming the Credentials/Create permission, in one line" \
    test "$(wc -l <"$scratch/viewer.err")" = 1 \
    -a -n "$(grep 'Credentials/Create' "$scratch/viewer.err")"
check "and changes no credential" test "$(everything "$url_jenkins")" = "$before"
check "the unwritten values are reported, and log in" \
    test "$(login integration \
        "$(reported "$scratch/viewer.json" SFDX_CLIENT_ID_INTEGRATION)" \
        "$(reported "$scratch/viewer.json" SFDX_CLIENT_KEY_INTEGRATION)" |
        cut -c1-3)" = 00D

jenkins_user=alice jenkins_token=a-password provision "$url_jenkins" -q --branch integration \
    --json >"$scratch/password.json" 2>"$scratch/password.err"
check "a password in JENKINS_API_TOKEN exits 3 on the crumb" test $? -eq 3
check "and says to use an API token" \
    grep -q "JENKINS_API_TOKEN holds a password" "$scratch/password.err"

start_jenkins limited --rate-limit-at 3
provision "$url_limited" -q --branch uat --json >"$scratch/limited.json" \
    2>"$scratch/limited.err"
check "a 429 (with Retry-After) is waited out: exit 0" test $? -eq 0
check "the refused request was sent again, once" \
    test "$(requests "$url_limited" | grep -c createCredentials)" = 3
check "and every variable was created" \
    test "$(actions "$scratch/limited.json")" = created

start_jenkins broken --fail-write-at 3
provision "$url_broken" -q --all-branches --json >"$scratch/broken.json" \
    2>"$scratch/broken.err"
check "a 500 on the third write of --all-branches exits 3" test $? -eq 3
check "the first org's variables were created" \
    test "$(jq -r '[.orgs[0].variables[].action] | join(" ")' \
        "$scratch/broken.json")" = "created created"
check "the second org's are failed, with their values" \
    jq -e '.orgs[1].name == "main" and ([.orgs[1].variables[] |
        select(.action == "failed" and (.value | length) > 0)] | length) == 2' \
    "$scratch/broken.json"
check "and no later org was touched" \
    test "$(jq '.orgs | length' "$scratch/broken.json")" = 2
check "the first org logs in with what Jenkins holds" \
    logs_in integration "$url_broken"
check "the second with the reported values" \
    test "$(login main "$(reported "$scratch/broken.json" SFDX_CLIENT_ID_MAIN)" \
        "$(reported "$scratch/broken.json" SFDX_CLIENT_KEY_MAIN)" |
        cut -c1-3)" = 00D

# With the key in a variable, the third write is of the same org.
start_jenkins failing --fail-write-at 3
provision "$url_failing" -q --branch uat --key-storage variable --json \
    >"$scratch/failing.json" 2>"$scratch/failing.err"
check "a 500 on the third write, SFDX_CLIENT_CERT_UAT, exits 3" test $? -eq 3
check "with one line that names the credential and the status" \
    test "$(wc -l <"$scratch/failing.err")" = 1 \
    -a -n "$(grep "'SFDX_CLIENT_CERT_UAT' (500)" "$scratch/failing.err")"
check "a 500 on a write is not sent again" \
    test "$(requests "$url_failing" | grep -c '^POST')" = 3
check "the first two are created, the third is failed" \
    test "$(jq -r '[.orgs[0].variables[].action] | join(" ")' \
        "$scratch/failing.json")" = "created created failed"
check "the failed one is reported with its value" \
    test -n "$(reported "$scratch/failing.json" SFDX_CLIENT_CERT_UAT)"
check "and Jenkins does not have it" \
    test -z "$(stored "$url_failing" SFDX_CLIENT_CERT_UAT)"
check "Jenkins' values plus the reported one log in" \
    test "$(login uat "$(stored "$url_failing" SFDX_CLIENT_ID_UAT)" \
        "$(stored "$url_failing" SFDX_CLIENT_KEY_UAT)" \
        "$(reported "$scratch/failing.json" SFDX_CLIENT_CERT_UAT)" |
        cut -c1-3)" = 00D

finish
