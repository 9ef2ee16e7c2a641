#!/bin/sh
# Smoke test of fake-gitlab: starts it and drives it with curl and jq as a
# GitLab client would, and checks that it answers as GitLab does: project
# lookup by encoded path, tokens, roles and scopes, the variables API with
# its upsert key (key, environment scope), validation, pagination, and
# the faults it injects.  Argument: the fake's path.  TAP.
set -u
fake=$1
. "$(dirname "$0")/../common/lib.sh"

require_tools curl jq

api_root=/api/v4
token=glpat-smoke-maintainer

# expect_header DESCRIPTION NAME VALUE: the last answer's header NAME
# (any case) was VALUE.
expect_header() {
    got=$(tr -d '\r' <"$scratch/headers" |
        sed -n "s/^$2: //Ip" | head -n 1)
    if [ "$got" = "$3" ]; then
        ok "$1"
    else
        not_ok "$1 (header $2: '$got')"
    fi
}

# http METHOD PATH CURL_ARGS...: as the maintainer unless the arguments
# give a header; status in $status, body and headers in $scratch.
http() {
    method=$1 path=$2
    shift 2
    status=$(curl -s -o "$scratch/body" -D "$scratch/headers" \
        -w '%{http_code}' -X "$method" "$@" "$url$path")
}

as() {
    who=$1 method=$2 path=$3
    shift 3
    http "$method" "$path" -H "PRIVATE-TOKEN: $who" "$@"
}

P=/projects/acme%2Fcrm
UAT=$P/variables/SFDX_CLIENT_ID_UAT
F='filter%5Benvironment_scope%5D'

start_fake --repo acme/crm --repo acme/other --token "$token" \
    --read-only-token developer --read-api-token reader \
    --inherited-token inherited \
    --seed 'SEED_A=alpha-value-1' --seed 'SEED_B=beta value,scope=production' \
    --seed 'SEED_C=gamma-value-3,protected,masked' \
    --seed 'SEED_D=delta-value-4,hidden' \
    --seed 'SEED_E=epsilon-5,repo=acme/other'

# --- projects and tokens ---------------------------------------------------
if [ -s "$scratch/port" ]; then ok "the fake writes its port file"
else not_ok "the fake writes its port file"; fi

as "$token" GET "$P"
expect_json "a project by its URL-encoded path, with the role" 200 \
    '.id == 1 and .path_with_namespace == "acme/crm" and
     .permissions.project_access.access_level == 40 and
     .permissions.group_access == null'
as "$token" GET /projects/2
expect_json "a project by its numeric ID" 200 \
    '.path_with_namespace == "acme/other"'
as "$token" GET /projects/acme/crm
expect_json "an unencoded '/' matches no route" 404 \
    '.error == "404 Not Found"'
as "$token" GET /projects/acme%2Fmissing
expect_json "a missing project: 404 Project Not Found" 404 \
    '.message == "404 Project Not Found"'
http GET "$P"
expect_json "no token: a private project is not found" 404 \
    '.message == "404 Project Not Found"'
http GET "$P/variables"
expect_json "no token: the variables need authentication" 401 \
    '.message == "401 Unauthorized"'
as glpat-revoked GET "$P"
expect_json "a token GitLab does not know: 401" 401 \
    '.message == "401 Unauthorized"'
http GET "$P" -H "Authorization: Bearer $token"
expect_json "Authorization: Bearer works as PRIVATE-TOKEN does" 200 '.id == 1'
as "$token" GET /personal_access_tokens/self
expect_json "the token's own scopes" 200 '.scopes == ["api"] and .active'
as reader GET /personal_access_tokens/self
expect_json "a read_api token says so" 200 '.scopes == ["read_api"]'

as developer GET "$P"
expect_json "a Developer sees the project, with access level 30" 200 \
    '.permissions.project_access.access_level == 30'
as developer GET "$P/variables"
expect_json "a Developer may not list the variables" 403 \
    '.message == "403 Forbidden"'
as developer POST "$P/variables" -d key=DEV_KEY -d value=developer-1
expect_json "nor create one" 403 '.message == "403 Forbidden"'
as reader GET "$P/variables"
expect_json "a read_api token lists the variables" 200 'length > 0'
as reader POST "$P/variables" -d key=READER_KEY -d value=reader-value-1
expect_json "but a write with it is insufficient_scope" 403 \
    '.error == "insufficient_scope" and .scope == "api"'
as inherited GET "$P"
expect_json "a role inherited from a parent group is not in permissions" \
    200 '.permissions.project_access == null'
as inherited GET "$P/variables"
expect_json "yet it may list the variables" 200 'length > 0'

# --- pagination ----------------------------------------------------------
as "$token" GET "$P/variables?per_page=100"
expect_json "a page holds at most 3 variables here" 200 'length == 3'
expect_header "x-next-page points at page 2" x-next-page 2
expect_header "x-total counts them all" x-total 4
expect_header "x-total-pages" x-total-pages 2
if grep -qi '^link:.*page=2&per_page=3>; rel="next"' "$scratch/headers"; then
    ok "the Link header has rel=next"
else not_ok "the Link header has rel=next"; fi
as "$token" GET "$P/variables?per_page=100&page=2"
expect_json "page 2 holds the rest" 200 'length == 1'
if ! grep -qi '^x-next-page: *[0-9]' "$scratch/headers"; then
    ok "the last page has no next page"
else not_ok "the last page has no next page"; fi
as "$token" GET "$P/variables?page=abc"
expect_json "a page that is not a number: 400" 400 \
    '.error == "page is invalid"'
as "$token" GET "$P/variables?per_page=0"
expect_json "per_page=0: 400" 400 '.error == "per_page has a value not allowed"'

# --- variables ---------------------------------------------------------------
as "$token" GET "$P/variables/SEED_D"
expect_json "a hidden variable's value is null" 200 \
    '.value == null and .hidden and .masked'
as "$token" GET "$P/variables/SEED_C"
expect_json "a variable with its flags" 200 \
    '.value == "gamma-value-3" and .protected and .masked and
     .environment_scope == "*" and .variable_type == "env_var"'

as "$token" POST "$P/variables" -d key=SFDX_CLIENT_ID_UAT \
    -d value=3MVG9-client.id~1 -d masked=true -d raw=true -d protected=false
expect_json "create: 201 and the variable" 201 \
    '.key == "SFDX_CLIENT_ID_UAT" and .masked and .raw and
     (.protected | not) and .environment_scope == "*"'
as "$token" POST "$P/variables" -d key=SFDX_CLIENT_ID_UAT -d value=another-1
expect_json "the same key in the same scope: 400 has already been taken" 400 \
    '.message.key == ["(SFDX_CLIENT_ID_UAT) has already been taken"]'
as "$token" POST "$P/variables" -d key=SFDX_CLIENT_ID_UAT \
    -d value=prod-client-id-2 -d environment_scope=production
expect_json "the same key in another scope: 201" 201 \
    '.environment_scope == "production"'
as "$token" GET "$UAT"
expect_json "a key in two scopes without a filter: 409" 409 \
    '.message | startswith("409 Conflict: There are multiple variables")'
as "$token" GET "$UAT?$F=production"
expect_json "filter[environment_scope] picks one" 200 \
    '.value == "prod-client-id-2"'
as "$token" PUT "$UAT?$F=%2A" \
    -d value=3MVG9-client.id~2 -d masked=true
expect_json "update with the filter: 200" 200 '.value == "3MVG9-client.id~2"'
as "$token" GET "$UAT?filter[environment_scope]=production" -g
expect_json "the other scope is untouched" 200 '.value == "prod-client-id-2"'
as "$token" PUT "$UAT" -d value=ambiguous-1
expect_json "update of an ambiguous key: 409" 409 '.message | startswith("409")'
as "$token" PUT "$P/variables/NOPE?filter%5Benvironment_scope%5D=%2A" \
    -d value=nothing-1
expect_json "update of a missing key: 404 Variable Not Found" 404 \
    '.message == "404 Variable Not Found"'
as "$token" PUT "$UAT?$F=staging" \
    -d value=nothing-1
expect_json "update in a scope the key is not in: 404" 404 \
    '.message == "404 Variable Not Found"'
as "$token" POST "$P/variables" -H 'Content-Type: application/json' \
    -d '{"key":"JSON_KEY","value":"json-value-1","masked":true,"raw":false}'
expect_json "a JSON body works too" 201 '.key == "JSON_KEY" and .masked'

# --- validation ------------------------------------------------------------
as "$token" POST "$P/variables" -d masked=true
expect_json "no key and no value: Grape's 400" 400 \
    '.error == "key is missing, value is missing"'
as "$token" POST "$P/variables" -d key=BAD-KEY -d value=whatever-1
expect_json "a key outside [A-Za-z0-9_]: 400" 400 \
    '.message.key == ["can contain only letters, digits and '"'"'_'"'"'."]'
as "$token" POST "$P/variables" -d key=SHORT -d value=short -d masked=true
expect_json "a masked value under 8 characters: value is invalid" 400 \
    '.message.value == ["is invalid"]'
as "$token" POST "$P/variables" -d key=DOLLAR -d 'value=pa$$word-1' \
    -d masked=true -d raw=false
expect_json "a masked, expanded value with '\$': is invalid" 400 \
    '.message.value == ["is invalid"]'
as "$token" POST "$P/variables" -d key=DOLLAR -d 'value=pa$$word-1' \
    -d masked=true -d raw=true
expect_json "the same value masked and raw is fine" 201 '.raw'
as "$token" POST "$P/variables" -d key=FLAG -d value=flag-value-1 \
    -d masked=perhaps
expect_json "a Boolean that is not one: 400" 400 \
    '.error == "masked is invalid"'
as "$token" POST "$P/variables" -d key=TYPE -d value=type-value-1 \
    -d variable_type=secret
expect_json "an unknown variable_type: 400" 400 \
    '.error == "variable_type does not have a valid value"'

# --- delete ------------------------------------------------------------------
as "$token" DELETE "$P/variables/DOLLAR?filter%5Benvironment_scope%5D=%2A"
if [ "$status" = 204 ]; then ok "delete: 204"; else not_ok "delete: 204"; fi
as "$token" GET "$P/variables/DOLLAR"
expect_json "and it is gone" 404 '.message == "404 Variable Not Found"'

# --- introspection -----------------------------------------------------------
status=$(curl -s -o "$scratch/body" -w '%{http_code}' "$base/_fake/variables")
expect_json "/_fake/variables has every value in clear" 200 \
    '(.[] | select(.name == "SEED_D") | .value) == "delta-value-4" and
     (.[] | select(.name == "SEED_E") | .project) == "acme/other" and
     ([.[] | select(.name == "SFDX_CLIENT_ID_UAT")] | length) == 2'
status=$(curl -s -o "$scratch/body" -w '%{http_code}' "$base/_fake/requests")
expect_json "/_fake/requests lists METHOD path as received" 200 \
    'index("GET /api/v4/projects/acme%2Fcrm") != null and
     index("GET /api/v4/projects/acme%2Fcrm/variables?per_page=100&page=2")
         != null'
stop_fake "SIGTERM ends the fake with 0 and nothing on stdout"

# --- injected faults -----------------------------------------------------
start_fake --repo acme/crm --token "$token" --rate-limit-at 2 \
    --fail-write-at 2 --latency-ms 200
as "$token" GET "$P"
expect_json "the first request is answered" 200 '.id == 1'
as "$token" GET "$P"
if [ "$status" = 429 ] && grep -q "Retry later" "$scratch/body"; then
    ok "--rate-limit-at 2: the second answers 429 Retry later"
else not_ok "--rate-limit-at 2: the second answers 429 Retry later"; fi
expect_header "with Retry-After: 1" retry-after 1
expect_header "and RateLimit-Remaining: 0" ratelimit-remaining 0
expect_header "and RateLimit-Name" ratelimit-name throttle_authenticated_api
if grep -qi '^ratelimit-reset: [0-9]\{10\}' "$scratch/headers"; then
    ok "and RateLimit-Reset in Unix time"
else not_ok "and RateLimit-Reset in Unix time"; fi
as "$token" GET "$P"
expect_json "only once" 200 '.id == 1'
as "$token" POST "$P/variables" -d key=ONE -d value=first-value
expect_json "the first write is stored" 201 '.key == "ONE"'
as "$token" POST "$P/variables" -d key=TWO -d value=second-value
expect_json "--fail-write-at 2: the second write answers 500" 500 \
    '.message == "500 Internal Server Error"'
as "$token" GET "$P/variables/TWO"
expect_json "and stores nothing" 404 '.message == "404 Variable Not Found"'
as "$token" POST "$P/variables" -d key=TWO -d value=second-value
expect_json "only once" 201 '.key == "TWO"'
start=$(date +%s%N)
as "$token" GET "$P"
elapsed=$((($(date +%s%N) - start) / 1000000))
if [ "$elapsed" -ge 200 ]; then
    ok "--latency-ms 200 delays each answer"
else not_ok "--latency-ms 200 delays each answer (${elapsed} ms)"; fi
stop_fake "the second fake ends cleanly too"

"$fake" --seed 'X=y' >/dev/null 2>"$scratch/body"
status=$?
if [ "$status" = 2 ] && grep -q "after a --repo" "$scratch/body"; then
    ok "a --seed without a --repo is refused"
else not_ok "a --seed without a --repo is refused"; fi

tap_finish
