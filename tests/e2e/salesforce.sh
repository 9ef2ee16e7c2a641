#!/bin/bash
# End to end against the loopback fake of Salesforce: provision deploys
# and verifies the app, sfci login gets a session with the printed
# variables, a second provision rotates, sfci retire removes the old app;
# a production org runs no test; and the faults a real org gives.
#
# usage: salesforce.sh SFCI SAMPLE_PROJECT FAKE_SALESFORCE
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
fake=$3
admin=00D000000000001!admin-session-for-tests
fakes=()
extra=
trap 'for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done; wait; rm -rf "$scratch"' EXIT

# start_fake NAME OPTION...: starts a fake org, sets url_NAME.
start_fake() {
    name=$1
    shift
    "$fake" --port-file "$scratch/$name.port" --admin-token "$admin" "$@" \
        2>"$scratch/$name.log" &
    fakes+=($!)
    for _ in $(seq 100); do
        [ -s "$scratch/$name.port" ] && break
        sleep 0.05
    done
    eval "url_$name=http://127.0.0.1:$(cat "$scratch/$name.port")"
}

start_fake uat --user 'ci@acme.example.uat:System Administrator' \
    --propagation-ms 2500
start_fake prod --production --user 'ci@acme.example:System Administrator'

project=$scratch/project
cp -r "$sample/." "$project"
sed -i "s|^instanceUrl: .*|instanceUrl: $url_uat|" \
    "$project/config/branches/.sfdx-hardis.uat.yml"
sed -i "s|^instanceUrl: .*|instanceUrl: $url_prod|" \
    "$project/config/branches/.sfdx-hardis.main.yml"
git -C "$project" init -q
git -C "$project" -c user.name=t -c user.email=t@t add -A
git -C "$project" -c user.name=t -c user.email=t@t commit -qm sample

# provision BRANCH URL [OPTION...]: a deploying dry run as JSON.
provision() {
    branch=$1 url=$2
    shift 2
    SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url \
        "$sfci" -C "$project" provision --branch "$branch" --provider github \
        --dry-run --json "$@"
}

# value JSON NAME: a printed variable's value.
value() { jq -r --arg n "$2" '.orgs[0].variables[] | select(.name == $n) | .value' "$1"; }

# login BRANCH ID KEY [OPTION...]: sfci login as a pipeline would.
login() {
    branch=$1 id=$2 key=$3
    shift 3
    name=$(tr 'a-z-' 'A-Z_' <<<"$branch")
    env -i PATH="$PATH" HOME="$scratch" CI_COMMIT_REF_NAME="$branch" \
        "SFDX_CLIENT_ID_$name=$id" "SFDX_CLIENT_KEY_$name=$key" ${extra:+"$extra"} \
        "$sfci" -C "$project" login "$@"
}

apps() { curl -s "$1/_fake/apps" | jq -r '[.[].name] | sort | join(" ")'; }

# --- provision deploys, waits out the propagation, verifies ------------
provision uat "$url_uat" >"$scratch/first.json" 2>"$scratch/first.err"
check "provision --dry-run deploys and exits 0" test $? -eq 0
check "the propagation of the new app is waited out" \
    grep -q "still propagating the app" "$scratch/first.err"
check "the JWT login was verified" grep -q "the JWT login works" "$scratch/first.err"
id1=$(value "$scratch/first.json" SFDX_CLIENT_ID_UAT)
key1=$(value "$scratch/first.json" SFDX_CLIENT_KEY_UAT)
app1=$(jq -r '.orgs[0].app' "$scratch/first.json")
check "the org has the app, with the printed consumer key" \
    test "$(curl -s "$url_uat/_fake/apps" | jq -r --arg a "$app1" '.[] | select(.name == $a) | .consumer_key')" = "$id1"
check "the config records the app" \
    grep -qx "  - $app1" "$project/config/branches/.sfdx-hardis.uat.yml"
cp "$project/config/branches/.jwt/uat.key" "$scratch/uat1.key"

# --- sfci login with the printed variables -------------------------------
login uat "$id1" "$key1" --format json >"$scratch/session.json" 2>"$scratch/login.err"
check "sfci login exits 0" test $? -eq 0
token=$(jq -r .access_token "$scratch/session.json")
check "the session is an opaque Salesforce token" grep -qE '^00D[A-Za-z0-9]{12,15}!' <<<"$token"
check "the session works against the org" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url_uat/services/oauth2/userinfo")" = 200
login uat "$id1" "$key1" >"$scratch/session.sh" 2>/dev/null
check "--format sh prints export lines for eval" \
    sh -c ". '$scratch/session.sh' && test -n \"\$SF_ACCESS_TOKEN\" && test \"\$SF_ORG_INSTANCE_URL\" = '$url_uat'"

# --- a second provision rotates; both apps serve until retire ------------
provision uat "$url_uat" >"$scratch/second.json" 2>/dev/null
check "a second provision exits 0" test $? -eq 0
id2=$(value "$scratch/second.json" SFDX_CLIENT_ID_UAT)
key2=$(value "$scratch/second.json" SFDX_CLIENT_KEY_UAT)
app2=$(jq -r '.orgs[0].app' "$scratch/second.json")
check "the rotation made a new app" test "$app2" != "$app1" -a "$id2" != "$id1"
check "both apps are in the org" test "$(apps "$url_uat")" = "$app1 $app2"
check "the new variables log in" login uat "$id2" "$key2" -q
# Pipelines still on the old values and the old key file keep working.
extra="SFDX_CLIENT_CERT_UAT=$(cat "$scratch/uat1.key")"
check "the old app still serves the old values" login uat "$id1" "$key1" -q
extra=

SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_uat \
    "$sfci" -C "$project" retire --branch uat >"$scratch/retire.out" 2>"$scratch/retire.err"
check "sfci retire exits 0" test $? -eq 0
check "only the new app is left in the org" test "$(apps "$url_uat")" = "$app2"
check "the config keeps only the current app" \
    test "$(grep -c '^  - sfci_uat_' "$project/config/branches/.sfdx-hardis.uat.yml")" = 1
check "retire says what it did" grep -q "retired $app1" "$scratch/retire.out"
login uat "$id1" "$key2" -q 2>"$scratch/old.err"
check "the retired app's consumer key no longer logs in (exit 4)" test $? -eq 4
check "and the error says why in one line" \
    test "$(wc -l <"$scratch/old.err")" = 1 -a -n "$(grep 'client identifier invalid' "$scratch/old.err")"

# --- production: no test level, rollback on error ------------------------
provision main "$url_prod" >"$scratch/prod.json" 2>"$scratch/prod.err"
check "a production org deploys without running tests" test $? -eq 0
check "the deploy sent no testLevel and rollbackOnError true" \
    jq -e '.[0].options | (has("testLevel") | not) and .rollbackOnError == true' \
        <(curl -s "$url_prod/_fake/deploys")
check "production logs in with the printed variables" \
    login main "$(value "$scratch/prod.json" SFDX_CLIENT_ID_MAIN)" \
    "$(value "$scratch/prod.json" SFDX_CLIENT_KEY_MAIN)" -q

# --- faults ---------------------------------------------------------------
# What the repository holds, byte for byte.
files_state() { (cd "$project" && find config -type f -exec sha256sum {} + | sort); }
before=$(files_state)
SF_ACCESS_TOKEN=expired SF_ORG_INSTANCE_URL=$url_uat \
    "$sfci" -q -C "$project" provision --branch uat --provider github \
    --dry-run >/dev/null 2>"$scratch/expired.err"
check "an expired admin token exits 4" test $? -eq 4
check "and names the session and the fix" grep -q "renew SF_ACCESS_TOKEN" "$scratch/expired.err"
check "and changes nothing" test "$(files_state)" = "$before"
check "and deploys nothing" test "$(apps "$url_uat")" = "$app2"

login uat "$id2" ffffffffffffffffffffffffffffffff -q 2>"$scratch/wrongkey.err"
check "a wrong decryption key at login exits 2" test $? -eq 2
check "and says the key does not open the file" \
    grep -q "SFDX_CLIENT_KEY_UAT does not open 'config/branches/.jwt/uat.key'" "$scratch/wrongkey.err"

start_fake broken --user 'ci@acme.example.uat:System Administrator' \
    --fail-component 'ExtlClntAppGlobalOauthSettings=Invalid certificate for this org'
SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_broken \
    "$sfci" -q -C "$project" provision --branch uat --provider github \
    --login-url "$url_broken" --dry-run >/dev/null 2>"$scratch/broken.err"
check "a component failure exits 1" test $? -eq 1
check "and Salesforce's message reaches the user" \
    grep -q "Invalid certificate for this org" "$scratch/broken.err"
check "and nothing is saved" test "$(files_state)" = "$before"
check "and the failed app was deleted again" test -z "$(apps "$url_broken")"
check "and the current app still works" login uat "$id2" "$key2" -q

start_fake flaky --user 'ci@acme.example.uat:System Administrator' --token-fail 2
cp "$project/config/branches/.sfdx-hardis.uat.yml" "$scratch/uat.yml"
sed -i "s|^instanceUrl: .*|instanceUrl: $url_flaky|" \
    "$project/config/branches/.sfdx-hardis.uat.yml"
provision uat "$url_flaky" >"$scratch/flaky.json" 2>"$scratch/flaky.err"
check "a token endpoint that answers 503 twice is retried" test $? -eq 0

# --- no secret in a -v run ------------------------------------------------
login uat "$(value "$scratch/flaky.json" SFDX_CLIENT_ID_UAT)" \
    "$(value "$scratch/flaky.json" SFDX_CLIENT_KEY_UAT)" -v \
    --format json >"$scratch/v.json" 2>"$scratch/v.err"
check "a -v login works" test -s "$scratch/v.json"
check "its trace shows the requests" grep -q "POST $url_flaky/services/oauth2/token" "$scratch/v.err"
secret_token=$(jq -r .access_token "$scratch/v.json")
check "its trace has no token, key or assertion" \
    sh -c "! grep -qF -e '$secret_token' -e '$(value "$scratch/flaky.json" SFDX_CLIENT_KEY_UAT)' -e 'eyJhbGciOiJSUzI1NiJ9.' '$scratch/v.err'"
cp "$scratch/uat.yml" "$project/config/branches/.sfdx-hardis.uat.yml"

SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_uat \
    "$sfci" -v -C "$project" provision --branch uat --provider gitlab \
    --dry-run >"$scratch/vp.out" 2>"$scratch/vp.err"
check "a -v provision works and traces the deploy" \
    grep -q "POST $url_uat/services/Soap/m/64.0" "$scratch/vp.err"
check "its trace has no admin token, consumer key or decryption key" \
    sh -c "! grep -qF -e '$admin' \
        -e \"\$(sed -n 's/^SFDX_CLIENT_ID_UAT=//p' '$scratch/vp.out')\" \
        -e \"\$(sed -n 's/^SFDX_CLIENT_KEY_UAT=//p' '$scratch/vp.out')\" '$scratch/vp.err'"

# --- the admin session from the Salesforce CLI ----------------------------
# A stand-in for sf that answers as `sf ... --json` does, for one alias.
mkdir -p "$scratch/bin"
cat >"$scratch/bin/sf" <<SF
#!/bin/sh
case "\$*" in
"org auth show-access-token --target-org uat-admin --json")
    echo '{"status":0,"result":{"accessToken":"$admin"}}' ;;
"org display --target-org uat-admin --json")
    echo '{"status":0,"result":{"instanceUrl":"$url_uat","username":"admin@acme.example.uat"}}' ;;
*) echo '{"status":1,"name":"NoAuthInfoFound"}'; exit 1 ;;
esac
SF
chmod +x "$scratch/bin/sf"
env -u SF_ACCESS_TOKEN PATH="$scratch/bin:$PATH" \
    "$sfci" -q -C "$project" provision --branch uat --provider gitlab \
    --dry-run --target-org uat-admin >/dev/null 2>"$scratch/cli.err"
check "--target-org takes the admin session from the Salesforce CLI" test $? -eq 0
env -u SF_ACCESS_TOKEN PATH="$scratch/bin:$PATH" \
    "$sfci" -q -C "$project" provision --branch uat --provider gitlab \
    --dry-run --target-org other >/dev/null 2>"$scratch/cli.err"
check "an alias the CLI does not know is refused (exit 2)" test $? -eq 2
check "with how to give a session" \
    grep -q "no admin session for 'other': set SF_ACCESS_TOKEN" "$scratch/cli.err"
SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_uat \
    "$sfci" -q -C "$project" provision --branch uat --provider gitlab \
    --dry-run --username nobody@acme.example >/dev/null 2>"$scratch/nobody.err"
check "a username that is not a user of the org is refused (exit 2)" test $? -eq 2
check "and named" grep -q "'nobody@acme.example' is not a user of the org" "$scratch/nobody.err"

# --- the Dev Hub, and GitHub Actions' format ------------------------------
start_fake hub --user 'release.manager@acme.example:System Administrator'
sed -i "s|^devHubInstanceUrl: .*|devHubInstanceUrl: $url_hub|" \
    "$project/config/.sfdx-hardis.yml"
SF_ACCESS_TOKEN=$admin SF_ORG_INSTANCE_URL=$url_hub \
    "$sfci" -C "$project" provision --devhub --provider github --dry-run \
    --json >"$scratch/hub.json" 2>/dev/null
check "the Dev Hub is provisioned against its org" test $? -eq 0
hub_id=$(value "$scratch/hub.json" SFDX_CLIENT_ID_DEVHUB_ACME_CRM)
hub_key=$(value "$scratch/hub.json" SFDX_CLIENT_KEY_DEVHUB_ACME_CRM)
: >"$scratch/github.env"
env -i PATH="$PATH" GITHUB_ENV="$scratch/github.env" \
    SFDX_CLIENT_ID_DEVHUB_ACME_CRM="$hub_id" \
    SFDX_CLIENT_KEY_DEVHUB_ACME_CRM="$hub_key" \
    "$sfci" -q -C "$project" login --devhub --format github >"$scratch/gh.out"
check "sfci login --devhub --format github exits 0" test $? -eq 0
hub_token=$(sed -n 's/^SF_ACCESS_TOKEN=//p' "$scratch/github.env")
check "it masks the token before anything else" \
    test "$(head -1 "$scratch/gh.out")" = "::add-mask::$hub_token"
check "it appends the session to GITHUB_ENV" \
    grep -qx "SF_ORG_INSTANCE_URL=$url_hub" "$scratch/github.env"
check "and the Dev Hub session works" \
    test "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $hub_token" "$url_hub/services/oauth2/userinfo")" = 200

finish
