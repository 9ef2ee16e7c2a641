#!/bin/sh
# Smoke test of fake-jenkins: starts it and drives it with curl and jq as
# a Jenkins client would (API tokens, a password with its crumb, XML and
# form creates, config.xml reads and updates), and checks that it answers
# as Jenkins does, errors included.  Argument: the fake's path.  TAP.
set -u
fake=$1
. "$(dirname "$0")/../common/lib.sh"
pids=

cleanup() {
    for pid in $pids; do kill "$pid" 2>/dev/null; done
    rm -rf "$scratch"
}
trap cleanup EXIT

require_tools curl jq

body_shown=400
secret_text=org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl
system=/credentials/store/system/domain/_
folder_store=/job/team/job/crm/credentials/store/folder/domain/_

# start NAME OPTION...: starts a fake, sets url (and url_NAME).
start() {
    name=$1
    shift
    "$fake" --port-file "$scratch/$name.port" "$@" \
        >"$scratch/$name.out" 2>"$scratch/$name.err" &
    pids="$pids $!"
    eval "pid_$name=$!"
    for _ in $(seq 100); do
        [ -s "$scratch/$name.port" ] && break
        sleep 0.05
    done
    url=http://127.0.0.1:$(cat "$scratch/$name.port")
    eval "url_$name=$url"
}

# call METHOD PATH [CURL_OPTION...]: one request to $url; sets status,
# the body in $scratch/body and the headers in $scratch/headers.
call() {
    method=$1 path=$2
    shift 2
    status=$(curl -sg -o "$scratch/body" -D "$scratch/headers" \
        -w '%{http_code}' -X "$method" "$@" "$url$path")
}

# expect DESCRIPTION STATUS [TEXT]: the last answer had STATUS and a body
# containing TEXT.
expect() {
    if [ "$status" = "$2" ] && { [ $# -lt 3 ] || grep -qF -- "$3" "$scratch/body"; }
    then
        ok "$1"
    else
        not_ok "$1"
    fi
}

# expect_json DESCRIPTION STATUS FILTER: a JSON body for which FILTER holds.
expect_json() {
    if [ "$status" = "$2" ] && jq -e "$3" "$scratch/body" >/dev/null 2>&1; then
        ok "$1"
    else
        not_ok "$1"
    fi
}

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    description=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$description"; else not_ok "$description"; fi
}

header() { tr -d '\r' <"$scratch/headers" | sed -n "s/^$1: //Ip" | head -1; }

# xml ID SECRET [SCOPE]: a Secret text credential as XStream reads it.
xml() {
    printf '<%s><scope>%s</scope><id>%s</id><description>smoke</description><secret>%s</secret></%s>' \
        "$secret_text" "${3:-GLOBAL}" "$1" "$2" "$secret_text"
}

# create AUTH PATH ID SECRET: POST createCredentials with XML.
create() {
    call POST "$2/createCredentials" -u "$1" \
        -H 'Content-Type: application/xml' --data-binary "$(xml "$3" "$4")"
}

# value ID [FOLDER]: the secret the fake holds for ID.
value() {
    curl -s "$url/_fake/variables" |
        jq -r --arg id "$1" --arg f "${2:-}" \
            '.[] | select(.name == $id and (.folder // "") == $f) | .value'
}

start main --token ci:tok --password alice:pw --read-only-token ro:rotok \
    --folder team/crm --folder other --seed KEEP=kept \
    --seed FOLDED=folded,team/crm
check "the port file is written and nothing goes to stdout" \
    test -s "$scratch/main.port" -a ! -s "$scratch/main.out"

# --- authentication ---------------------------------------------------------
call GET /whoAmI/api/json -u ci:tok
expect_json "whoAmI names the token's user" 200 \
    '.anonymous == false and .name == "ci" and ._class == "hudson.security.WhoAmI"'
check "every answer says it is Jenkins (X-Jenkins)" test -n "$(header X-Jenkins)"
call GET /whoAmI/api/json -u ci:wrong
expect "a wrong API token is a 401 HTML page" 401 \
    "Invalid password/token for user: ci"
check "with WWW-Authenticate" test -n "$(header WWW-Authenticate)"
call GET "$system/api/json" -u nobody:tok
expect "an unknown user is a 401 on any page" 401
call GET /whoAmI/api/json
expect_json "whoAmI without credentials is anonymous (and 'authenticated')" \
    200 '.anonymous == true and .authenticated == true'
call GET "$system/api/json"
expect "anonymous may not read a store (403 HTML)" 403 \
    "anonymous is missing the Overall/Read permission"
call GET "$system/api/json" -H "Authorization: Bearer tok"
expect "a Bearer token is not Jenkins' scheme: anonymous, 403" 403

# --- listing and creating ---------------------------------------------------
call GET "$system/api/json?tree=credentials[id]" -u ci:tok
expect_json "the list has the seeded credential, ids only" 200 \
    '.credentials == [{"id": "KEEP", "_class":
        "com.cloudbees.plugins.credentials.CredentialsStoreAction$CredentialsWrapper"}]'
call GET "$system/api/json" -u ci:tok
expect_json "without tree, each credential has its type name" 200 \
    '.credentials[0].typeName == "Secret text" and .credentials[0].fullName == "system/_/KEEP"'
create ci:tok "$system" SFDX_CLIENT_ID_UAT 'abc&amp;&lt;1&gt;'
expect "an XML create answers 200" 200
check "the fake holds the plaintext secret, entities decoded" \
    test "$(value SFDX_CLIENT_ID_UAT)" = 'abc&<1>'
curl -s "$url/_fake/variables" >"$scratch/variables"
check "as Secret text, scope GLOBAL, in the system store" jq -e \
    '.[] | select(.name == "SFDX_CLIENT_ID_UAT") |
        .kind == "Secret text" and .scope == "GLOBAL" and .folder == null' \
    "$scratch/variables"
create ci:tok "$system" SFDX_CLIENT_ID_UAT other
expect "a second create of that ID is a 409" 409
check "and leaves the secret as it was" test "$(value SFDX_CLIENT_ID_UAT)" = 'abc&<1>'
call POST "$system/createCredentials" -u ci:tok -H 'Content-Type:' \
    --data-binary "$(xml NO_TYPE x)"
expect "a create without Content-Type is refused (400)" 400 \
    "No Content-Type header set"
check "with the message in X-Error" test "$(header X-Error)" = "No Content-Type header set"
call POST "$system/createCredentials" -u ci:tok -H 'Content-Type: text/xml' \
    --data-binary "<$secret_text><id>BROKEN"
expect "unparsable XML is a 500 HTML page" 500 "Oops"
call POST "$system/createCredentials" -u ci:tok \
    -H 'Content-Type: application/xml' --data-binary '<com.example.Nope/>'
expect "an unknown credential class is a 500" 500
call POST "$system/createCredentials" -u ci:tok \
    -H 'Content-Type: application/xml' --data-binary "$(xml BADSCOPE x WORLD)"
expect "an unknown scope is a 500" 500
check "none of the refused creates stored anything" \
    test -z "$(value NO_TYPE)$(value BROKEN)$(value BADSCOPE)"
call GET "$system/createCredentials" -u ci:tok
expect "createCredentials wants POST (405)" 405
# form ID SECRET: the json field of the web form's create.
form() {
    printf 'json={"":"0","credentials":{"scope":"GLOBAL","id":"%s",%s}}' \
        "$1" "\"description\":\"d\",\"secret\":\"$2\",\"\$class\":\"$secret_text\""
}
call POST "$system/createCredentials" -u ci:tok \
    --data-urlencode "$(form FORM by-form)"
expect "a form create redirects (302)" 302
check "back to the domain" test "$(header Location)" = "../../domain/_"
check "and stores the secret" test "$(value FORM)" = by-form
call POST "$system/createCredentials" -u ci:tok \
    --data-urlencode "$(form FORM again)"
check "a form create of a taken ID still redirects and changes nothing" \
    test "$status" = 302 -a "$(value FORM)" = by-form

# --- reading and updating ---------------------------------------------------
call GET "$system/credential/SFDX_CLIENT_ID_UAT/config.xml" -u ci:tok
expect "config.xml redacts the secret" 200 "<secret-redacted/>"
check "and holds no secret" sh -c "! grep -qF 'abc&' '$scratch/body'"
cp "$scratch/body" "$scratch/redacted.xml"
call GET "$system/credential/SFDX_CLIENT_ID_UAT/api/json" -u ci:tok
expect_json "credential/ID/api/json describes it" 200 \
    '.id == "SFDX_CLIENT_ID_UAT" and .typeName == "Secret text"'
call POST "$system/credential/SFDX_CLIENT_ID_UAT/config.xml" -u ci:tok \
    -H 'Content-Type: application/xml' --data-binary "$(xml SFDX_CLIENT_ID_UAT new1)"
expect "an update with the whole XML answers 200" 200
check "and replaces the secret" test "$(value SFDX_CLIENT_ID_UAT)" = new1
call POST "$system/credentials/SFDX_CLIENT_ID_UAT/config.xml" -u ci:tok \
    -H 'Content-Type: application/xml' --data-binary "$(xml SFDX_CLIENT_ID_UAT new2)"
check "the credentials/ID path works too" \
    test "$status" = 200 -a "$(value SFDX_CLIENT_ID_UAT)" = new2
call POST "$system/credential/SFDX_CLIENT_ID_UAT/config.xml" -u ci:tok \
    -H 'Content-Type: application/xml' --data-binary "$(xml OTHER_ID new3)"
check "an update whose XML names another ID is a 500, nothing changed" \
    test "$status" = 500 -a "$(value SFDX_CLIENT_ID_UAT)" = new2
call POST "$system/credential/MISSING/config.xml" -u ci:tok \
    -H 'Content-Type: application/xml' --data-binary "$(xml MISSING x)"
expect "an update of a missing ID is a 404" 404
call POST "$system/credential/FORM/config.xml" -u ci:tok \
    -H 'Content-Type: application/xml' \
    --data-binary "$(sed 's/SFDX_CLIENT_ID_UAT/FORM/' "$scratch/redacted.xml")"
check "posting back a redacted config.xml loses the secret, as in Jenkins" \
    test "$status" = 200 -a -z "$(value FORM | tr -d ' \n')"
call DELETE "$system/credential/FORM/config.xml" -u ci:tok
check "DELETE config.xml removes the credential" \
    test "$status" = 200 -a -z "$(value FORM)"
check "and keeps the others" test "$(value KEEP)" = kept

# --- a password needs the crumb of its session -----------------------------
create alice:pw "$system" PW_ONE x
expect "a password POST without a crumb is refused (403)" 403 \
    "No valid crumb was included in the request"
call GET /crumbIssuer/api/json -u alice:pw -c "$scratch/cookies"
expect_json "the crumb issuer gives a Jenkins-Crumb" 200 \
    '.crumbRequestField == "Jenkins-Crumb" and (.crumb | length) > 0'
crumb=$(jq -r .crumb "$scratch/body")
call POST "$system/createCredentials" -u alice:pw -H "Jenkins-Crumb: $crumb" \
    -H 'Content-Type: application/xml' --data-binary "$(xml PW_ONE x)"
expect "the crumb without its session cookie is refused" 403 "No valid crumb"
call POST "$system/createCredentials" -u alice:pw -H "Jenkins-Crumb: $crumb" \
    -b "$scratch/cookies" -H 'Content-Type: application/xml' \
    --data-binary "$(xml PW_ONE pw-secret)"
check "the crumb with its session cookie is accepted" \
    test "$status" = 200 -a "$(value PW_ONE)" = pw-secret
call POST "$system/createCredentials" -u ci:tok -H "Jenkins-Crumb: $crumb" \
    -b "$scratch/cookies" -H 'Content-Type: application/xml' \
    --data-binary "$(xml TOKEN_WITH_CRUMB x)"
expect "an API token may send a crumb it does not need" 200

# --- a token that may only read ---------------------------------------------
call GET "$system/api/json?tree=credentials[id]" -u ro:rotok
expect_json "a read-only token lists the store" 200 '.credentials | length > 0'
create ro:rotok "$system" RO x
expect "but may not create (403 HTML)" 403 \
    "ro is missing the Credentials/Create permission"
check "naming the permission in X-Required-Permission" test \
    "$(header X-Required-Permission)" = com.cloudbees.plugins.credentials.CredentialsProvider.Create
call POST "$system/credential/KEEP/config.xml" -u ro:rotok \
    -H 'Content-Type: application/xml' --data-binary "$(xml KEEP x)"
expect "nor update" 403 "ro is missing the Credentials/Update permission"
check "and changed nothing" test "$(value KEEP)" = kept -a -z "$(value RO)"

# --- folder stores ----------------------------------------------------------
call GET "$folder_store/api/json?tree=credentials[id]" -u ci:tok
expect_json "a folder's store lists its own credentials" 200 \
    '[.credentials[].id] == ["FOLDED"]'
create ci:tok "$folder_store" SFDX_CLIENT_ID_UAT in-folder
check "a create there goes to that folder" \
    test "$status" = 200 -a "$(value SFDX_CLIENT_ID_UAT team/crm)" = in-folder
check "and not to the system store" test "$(value SFDX_CLIENT_ID_UAT)" = new2
call GET "/job/team/job/nope/credentials/store/folder/domain/_/api/json" -u ci:tok
expect "a folder that does not exist is a 404 HTML page" 404 "HTTP ERROR 404"
call GET "/job/team/credentials/store/folder/domain/_/api/json" -u ci:tok
expect "a parent folder has its own store" 200
call GET "/job/team/job/crm/credentials/store/system/domain/_/api/json" -u ci:tok
expect "there is no system store under a folder" 404
call GET /api/json -u ci:tok
expect_json "the root lists the top folders" 200 '[.jobs[].name] | sort == ["other", "team"]'

# --- introspection ----------------------------------------------------------
call GET /_fake/requests
expect_json "/_fake/requests lists METHOD path" 200 \
    'index("POST /credentials/store/system/domain/_/createCredentials") != null'

# --- faults -----------------------------------------------------------------
start limited --token ci:tok --rate-limit-at 2
call GET /whoAmI/api/json -u ci:tok
expect "before the limit, a 200" 200
call GET /whoAmI/api/json -u ci:tok
expect "the Nth request is a 429" 429
check "with Retry-After: 1" test "$(header Retry-After)" = 1
call GET /whoAmI/api/json -u ci:tok
expect "once only" 200

start failing --token ci:tok --fail-write-at 2
create ci:tok "$system" ONE 1
create ci:tok "$system" TWO 2
expect "the Nth write is a 500 HTML page" 500 "Oops"
check "and stores nothing" test -z "$(value TWO)"
create ci:tok "$system" TWO 2
check "once only" test "$status" = 200 -a "$(value TWO)" = 2

start slow --token ci:tok --latency-ms 300
start_ms=$(date +%s%3N)
call GET /whoAmI/api/json -u ci:tok
check "--latency-ms delays each answer" test $(($(date +%s%3N) - start_ms)) -ge 300

"$fake" --token nocolon >/dev/null 2>&1
check "a malformed option exits 2" test $? -eq 2
"$fake" --seed X=y,missing >/dev/null 2>&1
check "a seed in an unknown folder exits 2" test $? -eq 2

kill "$pid_main"
wait "$pid_main"
check "SIGTERM ends it with 0" test $? -eq 0

tap_finish
