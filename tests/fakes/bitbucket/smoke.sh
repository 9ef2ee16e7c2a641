#!/bin/bash
# Drives fake-bitbucket with curl and jq alone, as a Bitbucket client
# would, and checks that it answers as Bitbucket Cloud does: credentials,
# repositories, paging, {uuid}s in braces, secured values hidden, 201 and
# Location, 409, deployment variables, and the faults it can inject.
#
# usage: smoke.sh FAKE_BITBUCKET
set -u
fake=$1
scratch=$(mktemp -d)
fakes=()
trap 'for pid in "${fakes[@]}"; do kill "$pid" 2>/dev/null; done; wait; rm -rf "$scratch"' EXIT

count=0
failures=0
ok() {
    count=$((count + 1))
    echo "ok $count - $1"
}
not_ok() {
    count=$((count + 1))
    failures=$((failures + 1))
    echo "not ok $count - $1"
    shift
    for line in "$@"; do echo "#   $line"; done
}
check() {
    description=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$description"; else not_ok "$description" "failed: $*"; fi
}

# start NAME OPTION...: starts a fake, sets url_NAME to its API root.
start() {
    name=$1
    shift
    "$fake" --port-file "$scratch/$name.port" "$@" >"$scratch/$name.out" 2>"$scratch/$name.err" &
    fakes+=($!)
    eval "pid_$name=$!"
    for _ in $(seq 100); do
        [ -s "$scratch/$name.port" ] && break
        sleep 0.05
    done
    eval "base_$name=http://127.0.0.1:$(cat "$scratch/$name.port")"
    eval "url_$name=\$base_$name/2.0"
}

# call METHOD URL [CURL OPTION...]: the status on stdout, the body in
# $scratch/body, the headers in $scratch/headers.
call() {
    method=$1 url=$2
    shift 2
    curl -s -o "$scratch/body" -D "$scratch/headers" -w '%{http_code}' \
        -X "$method" "$@" "$url"
}
bearer=(-H 'Authorization: Bearer admin-token')
json=(-H 'Content-Type: application/json')
body() { jq -r "$1" "$scratch/body"; }
header() { tr -d '\r' <"$scratch/headers" | sed -n "s/^$1: //Ip"; }

start main --token admin-token --basic 'ci@acme.example:api-token' \
    --read-only-token reader-token --repo acme/crm --environment uat \
    --seed A_KEEP=one --seed B_KEEP=two --seed C_KEEP=three \
    --seed ENV_KEEP=four,uat
repo=$url_main/repositories/acme/crm
vars=$repo/pipelines_config/variables

check "the port file is written once listening" test -s "$scratch/main.port"
check "nothing is printed on stdout" test ! -s "$scratch/main.out"

# --- credentials and repositories ----------------------------------------
status=$(call GET "$repo" "${bearer[@]}")
check "GET the repository with a Bearer token answers 200" test "$status" = 200
check "the repository has its full name and a {uuid}" \
    test "$(body '.full_name + " " + (.uuid | test("^[{][0-9a-f-]{36}[}]$") | tostring)')" = "acme/crm true"
status=$(call GET "$repo" -u 'ci@acme.example:api-token')
check "Basic email:api_token is accepted" test "$status" = 200
status=$(call GET "$repo" -H 'Authorization: Bearer wrong')
check "a wrong token answers 401" test "$status" = 401
check "with Bitbucket's error shape and message" \
    test "$(body '.type + ": " + .error.message')" = "error: Token is invalid, expired, or not supported for this endpoint."
status=$(call GET "$repo" -u 'ci@acme.example:wrong')
check "a wrong API token answers 401" test "$status" = 401
status=$(call GET "$repo")
check "an anonymous request does not see the private repository (404)" test "$status" = 404
status=$(call GET "$url_main/repositories/acme/nope" "${bearer[@]}")
check "an unknown repository answers 404" test "$status" = 404
check "and says so as Bitbucket does" \
    grep -q "You may not have access to this repository" "$scratch/body"
status=$(call GET "$url_main/repositories/ACME/CRM" "${bearer[@]}")
check "workspace and slug match in any case" test "$status" = 200

# --- paging -----------------------------------------------------------------
status=$(call GET "$vars/" "${bearer[@]}")
check "the variables list answers 200" test "$status" = 200
check "its page has the envelope and 2 values of 3" \
    test "$(body '[.page, .pagelen, .size, (.values | length)] | join(" ")')" = "1 2 3 2"
next=$(body .next)
check "'next' is an absolute URL of the same list" \
    test "${next%%\?*}" = "$vars/"
status=$(call GET "$next" "${bearer[@]}")
check "following 'next' gives the last value and no 'next'" \
    test "$status $(body '[(.values | length), (has("next") | tostring), .previous != null] | join(" ")')" = "200 1 false true"
status=$(call GET "$vars/?pagelen=100" "${bearer[@]}")
check "a pagelen of 100 is accepted but 2 are served" test "$status $(body .pagelen)" = "200 2"
status=$(call GET "$vars/?page=0" "${bearer[@]}")
check "page 0 answers 400" test "$status" = 400
status=$(call GET "$vars" "${bearer[@]}")
check "the collection without its trailing slash answers too" test "$status" = 200
check "a plain value is shown" \
    test "$(body '.values[] | select(.key == "A_KEEP") | .value')" = one

# --- create, conflict, read, update, delete --------------------------------
status=$(call POST "$vars/" "${bearer[@]}" "${json[@]}" \
    -d '{"key":"SFDX_CLIENT_ID_UAT","value":"s3cret","secured":true}')
check "POST creates a variable (201)" test "$status" = 201
uuid=$(body .uuid)
check "its uuid is in braces" grep -qE '^[{][0-9a-f-]{36}[}]$' <<<"$uuid"
check "a secured value is not in the answer" test "$(body 'has("value")')" = false
check "its type is pipeline_variable" test "$(body .type)" = pipeline_variable
enc=%7B${uuid:1:36}%7D
check "Location names it, braces encoded" test "$(header Location)" = "$vars/$enc"
status=$(call POST "$vars/" "${bearer[@]}" "${json[@]}" \
    -d '{"key":"SFDX_CLIENT_ID_UAT","value":"other","secured":true}')
check "POST of a key that exists answers 409" test "$status" = 409
check "with Bitbucket's error shape" test "$(body .type)" = error
for name in 1ABC A-B ''; do
    status=$(call POST "$vars/" "${bearer[@]}" "${json[@]}" -d "{\"key\":\"$name\",\"value\":\"v\"}")
    check "the name '$name' is refused (400)" test "$status" = 400
done
status=$(call POST "$vars/" "${bearer[@]}" -d '{"key":"FORM","value":"v"}')
check "a body that is not JSON by its type is refused (415)" test "$status" = 415
status=$(call POST "$vars" "${bearer[@]}" "${json[@]}" -d '{"key":"NO_SLASH","value":"v"}')
check "POST without the trailing slash creates too" test "$status" = 201
doomed=%7B$(body .uuid | cut -c2-37)%7D
status=$(call GET "$vars/$enc" "${bearer[@]}")
check "GET by the encoded {uuid} answers 200, value hidden" \
    test "$status $(body '.key + " " + (has("value") | tostring)')" = "200 SFDX_CLIENT_ID_UAT false"
status=$(curl -s -o /dev/null -w '%{http_code}' --globoff "${bearer[@]}" "$vars/$uuid")
check "unescaped braces in the path are refused (400)" test "$status" = 400
status=$(call GET "$vars/${uuid:1:36}" "${bearer[@]}")
check "a uuid without braces is refused (400)" test "$status" = 400
status=$(call GET "$vars/%7B00000000-0000-4000-8000-000000000000%7D" "${bearer[@]}")
check "an unknown uuid answers 404" test "$status" = 404
status=$(call PUT "$vars/$enc" "${bearer[@]}" "${json[@]}" \
    -d '{"key":"SFDX_CLIENT_ID_UAT","value":"n3w","secured":true}')
check "PUT by the encoded {uuid} updates (200)" test "$status" = 200
check "the fake holds the new value" \
    test "$(curl -s "$base_main/_fake/variables" | jq -r '.[] | select(.name == "SFDX_CLIENT_ID_UAT") | .value')" = n3w
status=$(call PUT "$vars/$enc" "${bearer[@]}" "${json[@]}" -d '{"key":"A_KEEP","value":"x"}')
check "PUT renaming to a key that exists answers 409" test "$status" = 409
total=$(curl -s "${bearer[@]}" "$vars/" | jq .size)
status=$(call DELETE "$vars/$doomed" "${bearer[@]}")
check "DELETE answers 204" test "$status" = 204
check "and the list is one shorter" \
    test "$(curl -s "${bearer[@]}" "$vars/" | jq .size)" = $((total - 1))

# --- deployment environments and their variables -----------------------------
status=$(call GET "$repo/environments" "${bearer[@]}")
check "environments are listed in pages" \
    test "$status $(body '[.size, (.values | length)] | join(" ")')" = "200 4 2"
envs=$(for page in 1 2; do curl -s "${bearer[@]}" "$repo/environments?page=$page"; done |
    jq -r '.values[] | .name + "=" + .uuid')
check "Bitbucket's three environments and --environment are there" \
    test "$(cut -d= -f1 <<<"$envs" | tr '\n' ' ')" = "Test Staging Production uat "
env_uuid=$(sed -n 's/^uat=//p' <<<"$envs")
env_vars=$repo/deployments_config/environments/%7B${env_uuid:1:36}%7D/variables
status=$(call GET "$env_vars" "${bearer[@]}")
check "a seeded deployment variable is listed" \
    test "$status $(body '.values[0].key')" = "200 ENV_KEEP"
status=$(call POST "$env_vars" "${bearer[@]}" "${json[@]}" \
    -d '{"key":"SFDX_CLIENT_KEY_UAT","value":"k3y","secured":true}')
check "POST creates a deployment variable (201)" test "$status" = 201
check "of type deployment_variable, value hidden" \
    test "$(body '.type + " " + (has("value") | tostring)')" = "deployment_variable false"
dep=%7B$(body .uuid | cut -c2-37)%7D
status=$(call GET "$env_vars/$dep" "${bearer[@]}")
check "there is no GET of one deployment variable (405)" test "$status" = 405
status=$(call PUT "$env_vars/$dep" "${bearer[@]}" "${json[@]}" \
    -d '{"key":"SFDX_CLIENT_KEY_UAT","value":"k4y","secured":true}')
check "PUT updates a deployment variable (200)" test "$status" = 200
check "the fake holds it in its environment" \
    test "$(curl -s "$base_main/_fake/variables" | jq -r '.[] | select(.name == "SFDX_CLIENT_KEY_UAT") | .value + " " + .environment')" = "k4y uat"
status=$(call GET "$repo/deployments_config/environments/%7B00000000-0000-4000-8000-000000000000%7D/variables" "${bearer[@]}")
check "an unknown environment answers 404" test "$status" = 404

# --- a token that may only read ---------------------------------------------
status=$(call GET "$vars/" -H 'Authorization: Bearer reader-token')
check "a read-only token lists the variables" test "$status" = 200
status=$(call POST "$vars/" -H 'Authorization: Bearer reader-token' "${json[@]}" \
    -d '{"key":"NOPE","value":"v","secured":true}')
check "but its write answers 403" test "$status" = 403
check "naming the scope it lacks" \
    test "$(body '.error.message + " " + .error.detail.required[0]')" = \
    "Your credentials lack one or more required privilege scopes. pipeline:variable"

# --- introspection -----------------------------------------------------------
check "/_fake/requests logs the request targets as sent" \
    sh -c "curl -s '$base_main/_fake/requests' | jq -e 'index(\"PUT /2.0/repositories/acme/crm/pipelines_config/variables/$enc\") != null'"
check "/_fake/variables shows seeded values, plain" \
    test "$(curl -s "$base_main/_fake/variables" | jq -r '[.[] | select(.name | endswith("_KEEP")) | .value] | sort | join(" ")')" = "four one three two"

# --- faults -----------------------------------------------------------------------
start limited --token admin-token --repo acme/crm --rate-limit-at 2
call GET "$url_limited/repositories/acme/crm" "${bearer[@]}" >/dev/null
status=$(call GET "$url_limited/repositories/acme/crm" "${bearer[@]}")
check "--rate-limit-at 2: the second request answers 429" test "$status" = 429
check "with Retry-After: 1" test "$(header Retry-After)" = 1
check "and Bitbucket's plain text" grep -q "Rate limit for this resource has been exceeded" "$scratch/body"
status=$(call GET "$url_limited/repositories/acme/crm" "${bearer[@]}")
check "the next request answers again" test "$status" = 200

start failing --token admin-token --repo acme/crm --fail-write-at 2
failing_vars=$url_failing/repositories/acme/crm/pipelines_config/variables/
call POST "$failing_vars" "${bearer[@]}" "${json[@]}" -d '{"key":"ONE","value":"1"}' >/dev/null
status=$(call POST "$failing_vars" "${bearer[@]}" "${json[@]}" -d '{"key":"TWO","value":"2"}')
check "--fail-write-at 2: the second write answers 500" test "$status" = 500
check "and stores nothing" \
    test "$(curl -s "$base_failing/_fake/variables" | jq -r '[.[].name] | join(" ")')" = ONE
status=$(call POST "$failing_vars" "${bearer[@]}" "${json[@]}" -d '{"key":"TWO","value":"2"}')
check "the write after it succeeds" test "$status" = 201

start slow --token admin-token --repo acme/crm --latency-ms 300
took=$(curl -s -o /dev/null -w '%{time_total}' "${bearer[@]}" "$url_slow/repositories/acme/crm")
check "--latency-ms 300 delays each answer" awk "BEGIN { exit !($took >= 0.3) }"

kill -TERM "$pid_main"
wait "$pid_main"
check "SIGTERM ends it with status 0" test $? -eq 0

echo "1..$count"
[ "$failures" -eq 0 ]
