#!/bin/bash
# Smoke test of fake-github: starts it and drives it with curl, jq and the
# sealing helper as a GitHub client would, and checks that it answers as
# GitHub does, errors included.  Arguments: the fake's path, the sealing
# helper's path.  TAP.
set -u
fake=$1
seal=$2
. "$(dirname "$0")/../common/lib.sh"
token=ghp_smoke_admin
read_only=ghp_smoke_read_only

require_tools curl jq

# expect_error DESCRIPTION STATUS MESSAGE: GitHub's error body.
expect_error() {
    expect_json "$1" "$2" ".message == \"$3\" and .status == \"$2\"
        and (.documentation_url | startswith(\"https://docs.github.com/\"))"
}

# start_fake ARGS...: starts the fake; sets api once its port is known.
start_fake() {
    if [ -n "$fake_pid" ]; then
        kill "$fake_pid" 2>/dev/null
        wait "$fake_pid" 2>/dev/null
    fi
    rm -f "$scratch/port"
    "$fake" --port-file "$scratch/port" --token "$token" "$@" \
        >"$scratch/fake.out" 2>"$scratch/fake.err" &
    fake_pid=$!
    for _ in $(seq 100); do
        [ -s "$scratch/port" ] && break
        sleep 0.05
    done
    api=http://127.0.0.1:$(cat "$scratch/port")
}

# call METHOD PATH [BODY] [TOKEN]: one request as a client sends it; sets
# status, the body in $scratch/body, the headers in $scratch/headers.
call() {
    method=$1 path=$2 body=${3-} auth=${4-$token}
    args=(-s -o "$scratch/body" -D "$scratch/headers" -w '%{http_code}'
        -X "$method" -H 'Accept: application/vnd.github+json'
        -H 'X-GitHub-Api-Version: 2022-11-28')
    [ -n "$auth" ] && args+=(-H "Authorization: Bearer $auth")
    if [ -n "$body" ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$body")
    fi
    status=$(curl "${args[@]}" "$api$path")
}

header() { tr -d '\r' <"$scratch/headers" | sed -n "s/^$1: //Ip"; }

# sealed BASE PLAIN [KEY_ID]: the JSON body of a PUT for the scope at BASE.
sealed() {
    call GET "$1/public-key"
    key=$(jq -r .key "$scratch/body")
    id=${3-$(jq -r .key_id "$scratch/body")}
    value=$(printf %s "$2" | "$seal" "$key")
    jq -cn --arg v "$value" --arg k "$id" '{encrypted_value: $v, key_id: $k}'
}

# stored NAME [ENVIRONMENT]: the plain text the fake holds.
stored() {
    curl -s "$api/_fake/variables" |
        jq -r --arg n "$1" --arg e "${2-}" '.[]
            | select(.name == $n and (.environment // "") == $e) | .value'
}

# letters N: N times the letter a.
letters() { head -c "$1" /dev/zero | tr '\0' a; }

repo=/repos/acme/crm
secrets=$repo/actions/secrets

# --- start -------------------------------------------------------------
start_fake --repo acme/crm --repo acme/other --environment uat \
    --environment release/2.0 --read-only-token "$read_only" \
    --seed KEEP=kept --seed ENV_KEEP=env-kept,uat
check "it writes its port file and listens" test -s "$scratch/port"

# --- the repository, the token -----------------------------------------
call GET "$repo"
expect_json "GET /repos/{owner}/{repo} shows an admin's permissions" 200 \
    '.full_name == "acme/crm" and .permissions.admin == true
        and (.id | type) == "number"'
check "every answer carries the x-ratelimit headers" \
    test "$(header x-ratelimit-limit)" = 5000 -a \
    -n "$(header x-ratelimit-remaining)"
call GET /repos/ACME/CRM
expect_json "owner and name compare without case" 200 '.name == "crm"'
call GET "$repo" "" ""
expect_error "no token: 401" 401 "Requires authentication"
call GET "$repo" "" wrong-token
expect_error "a wrong token: 401 Bad credentials" 401 "Bad credentials"
call GET /repos/acme/missing
expect_error "a missing repository: 404 Not Found" 404 "Not Found"
call GET "$repo" "" "$read_only"
expect_json "the read-only token is no admin" 200 \
    '.permissions.admin == false and .permissions.pull == true'
status=$(curl -s -o "$scratch/body" -w '%{http_code}' \
    -H "Authorization: Bearer $token" -H 'X-GitHub-Api-Version: 1999-01-01' \
    "$api$repo")
check "an unknown API version is refused (400)" test "$status" = 400

# --- the public key ------------------------------------------------------
call GET "$secrets/public-key"
expect_json "the repository key: 32 bytes in base64, with a key_id" 200 \
    '(.key | test("^[A-Za-z0-9+/]{43}=$")) and (.key_id | test("^[0-9]+$"))'
repo_key_id=$(jq -r .key_id "$scratch/body")
call GET "$repo/environments/uat/secrets/public-key"
expect_json "an environment has a key of its own" 200 \
    ".key_id != \"$repo_key_id\""

# --- create, then update -------------------------------------------------
call PUT "$secrets/SFDX_CLIENT_ID_UAT" "$(sealed "$secrets" first-value)"
expect_json "a new secret is created: 201 {}" 201 '. == {}'
check "its plain text is kept for the tests" \
    test "$(stored SFDX_CLIENT_ID_UAT)" = first-value
call PUT "$secrets/SFDX_CLIENT_ID_UAT" "$(sealed "$secrets" second-value)"
check "the same PUT again updates it: 204, no body" \
    test "$status" = 204 -a ! -s "$scratch/body"
check "with the new value" test "$(stored SFDX_CLIENT_ID_UAT)" = second-value
call PUT "$secrets/lower_case" "$(sealed "$secrets" x)"
check "a name is stored upper case" \
    test "$status" = 201 -a "$(stored LOWER_CASE)" = x
call GET "$secrets/lower_CASE"
expect_json "and found in any case" 200 \
    '.name == "LOWER_CASE" and (has("value") | not)'
call GET "$secrets/SFDX_CLIENT_ID_UAT"
expect_json "GET of a secret shows its name and times, never its value" 200 \
    'keys == ["created_at", "name", "updated_at"]'
call GET "$secrets/NOPE"
expect_error "GET of a missing secret: 404" 404 "Not Found"
check "seeded secrets are there" \
    test "$(stored KEEP)" = kept -a "$(stored ENV_KEEP uat)" = env-kept

# --- what GitHub refuses -------------------------------------------------
call PUT "$secrets/X" "$(sealed "$secrets" v | jq -c 'del(.key_id)')"
expect_json "no key_id: 422" 422 \
    '.message == "Invalid request.\n\n\"key_id\" wasn'"'"'t supplied."'
call PUT "$secrets/X" "$(sealed "$secrets" v 123)"
expect_json "a wrong key_id: 422" 422 '.message | test("improperly encrypted")'
call PUT "$secrets/X" \
    "$(sealed "$repo/environments/uat/secrets" v "$repo_key_id")"
expect_json "a value sealed with another scope's key does not open: 422" \
    422 '.message | test("improperly encrypted")'
call PUT "$secrets/X" \
    "{\"encrypted_value\":\"not base64!\",\"key_id\":\"$repo_key_id\"}"
expect_json "a value that is not padded base64: 422" 422 \
    '.message | test("does not match")'
call PUT "$secrets/X" '{"encrypted_value":'
expect_error "a body that is not JSON: 400" 400 "Problems parsing JSON"
call PUT "$secrets/GITHUB_X" "$(sealed "$secrets" v)"
expect_json "a name starting with GITHUB_: 422" 422 '.message | test("GITHUB_")'
call PUT "$secrets/github_x" "$(sealed "$secrets" v)"
expect_json "in any case" 422 '.message | test("GITHUB_")'
call PUT "$secrets/1ABC" "$(sealed "$secrets" v)"
expect_json "a name starting with a digit: 422" 422 '.message | test("number")'
call PUT "$secrets/A-B" "$(sealed "$secrets" v)"
expect_json "a name with a dash: 422" 422 '.message | test("alphanumeric")'
check "none of them was stored" test -z "$(stored X)$(stored A-B)$(stored 1ABC)"
call PUT "$secrets/BIG" "$(sealed "$secrets" "$(letters 49152)")"
check "a value of 48 KB is taken" test "$status" = 201
call PUT "$secrets/BIG" "$(sealed "$secrets" "$(letters 49153)")"
expect_json "one byte more is refused: 422" 422 '.message | test("too large")'
check "and the old value stays" test "$(stored BIG | wc -c)" = 49153
call PUT "$secrets/X" "$(sealed "$secrets" v)" "$read_only"
expect_error "the read-only token cannot write: 403" 403 \
    "Resource not accessible by integration"
check "and GitHub says which permission it lacks" \
    test "$(header X-Accepted-GitHub-Permissions)" = secrets=write
call GET "$secrets/public-key" "" "$read_only"
check "but it reads the public key" test "$status" = 200
call DELETE "$secrets/LOWER_CASE"
check "DELETE removes a secret: 204" \
    test "$status" = 204 -a -z "$(stored LOWER_CASE)"

# --- lists ---------------------------------------------------------------
call GET "$secrets?per_page=2"
expect_json "the list has total_count and a page of secrets" 200 \
    '.total_count == 3 and [.secrets[].name] == ["BIG", "KEEP"]'
check "with a Link to the next and last pages" \
    grep -q 'page=2>; rel="next"' <<<"$(header Link)"
call GET "$secrets?per_page=2&page=2"
expect_json "the second page holds the rest" 200 \
    '[.secrets[].name] == ["SFDX_CLIENT_ID_UAT"]'
check "and links back" grep -q 'rel="prev"' <<<"$(header Link)"
call GET "$secrets"
expect_json "per_page defaults to 30" 200 '(.secrets | length) == 3'

# --- environments --------------------------------------------------------
call GET "$repo/environments/uat"
expect_json "GET an environment" 200 '.name == "uat"'
call GET "$repo/environments/prod"
expect_error "a missing environment: 404" 404 "Not Found"
call GET "$repo/environments/prod/secrets/public-key"
expect_error "and no key for it" 404 "Not Found"
env=$repo/environments/uat/secrets
call PUT "$env/SFDX_CLIENT_ID_UAT" "$(sealed "$env" env-value)"
check "an environment secret is its own: 201" test "$status" = 201
check "beside the repository secret of the same name" \
    test "$(stored SFDX_CLIENT_ID_UAT uat)" = env-value -a \
    "$(stored SFDX_CLIENT_ID_UAT)" = second-value
release=$repo/environments/release%2F2.0/secrets
call PUT "$release/A" "$(sealed "$release" slash)"
check "an environment name with a slash is reached encoded (%2F)" \
    test "$status" = 201 -a "$(stored A release/2.0)" = slash
call GET "$repo/environments/release/2.0/secrets/public-key"
check "but not through a bare slash" test "$status" = 404
call GET "$repo"
old=/repositories/$(jq -r .id "$scratch/body")/environments/uat/secrets
call GET "$old/SFDX_CLIENT_ID_UAT"
expect_json "the older /repositories/{id}/environments path serves it too" \
    200 '.name == "SFDX_CLIENT_ID_UAT"'
call PUT "$old/OLD_FORM" "$(sealed "$old" old)"
check "and writes through it" \
    test "$status" = 201 -a "$(stored OLD_FORM uat)" = old

# --- introspection -------------------------------------------------------
curl -s "$api/_fake/requests" >"$scratch/body"
check "/_fake/requests lists METHOD path?query as received" jq -e '
    index("GET /repos/acme/crm/actions/secrets?per_page=2&page=2") != null
    and index("PUT /repos/acme/crm/environments/release%2F2.0/secrets/A")
        != null' "$scratch/body"
check "and leaves out /_fake/ itself" \
    jq -e 'map(select(startswith("GET /_fake"))) == []' "$scratch/body"
check "nothing on stdout" test ! -s "$scratch/fake.out"
kill "$fake_pid"
wait "$fake_pid"
check "SIGTERM ends it with 0" test $? -eq 0
fake_pid=

# --- faults --------------------------------------------------------------
start_fake --repo acme/crm --rate-limit-at 2
call GET "$repo"
call GET "$repo"
expect_json "--rate-limit-at 2: the 2nd request is a secondary limit (403)" \
    403 '.message | test("secondary rate limit")'
check "with retry-after" test "$(header retry-after)" = 1
call GET "$repo"
check "once" test "$status" = 200

start_fake --repo acme/crm --rate-limit-at 1 --rate-limit-primary \
    --rate-limit-status 429
call GET "$repo"
check "--rate-limit-primary --rate-limit-status 429: remaining 0, a reset" \
    test "$status" = 429 -a "$(header x-ratelimit-remaining)" = 0 -a \
    "$(header x-ratelimit-reset)" -gt "$(date +%s)"

start_fake --repo acme/crm --fail-write-at 2
call PUT "$secrets/A" "$(sealed "$secrets" a)"
call PUT "$secrets/B" "$(sealed "$secrets" b)"
expect_json "--fail-write-at 2: the 2nd write answers 500" 500 \
    '.status == "500"'
check "and stores nothing" test -z "$(stored B)"
call PUT "$secrets/B" "$(sealed "$secrets" b)"
check "once" test "$status" = 201 -a "$(stored B)" = b

start_fake --repo acme/crm --latency-ms 300
started=$(date +%s%N)
call GET "$repo"
check "--latency-ms 300 delays each answer" \
    test $(($(date +%s%N) - started)) -ge 300000000

"$fake" --token t >/dev/null 2>"$scratch/usage.err"
check "it refuses to start without --repo" \
    test $? -eq 2 -a -s "$scratch/usage.err"

tap_finish
