#!/bin/sh
# Smoke test of fake-azure: starts it and drives it with curl and jq as an
# Azure DevOps client would, and checks that it answers as Azure DevOps
# does, errors included: the token and the sign-in page, api-version,
# projects, the variable group list, create, whole-map update, secrets,
# the faults it injects, and its introspection.  Argument: the fake's
# path.  TAP.
set -u
fake=$1
. "$(dirname "$0")/../common/lib.sh"

require_tools curl jq base64

pat=smoke-pat-0123456789
reader=smoke-reader-pat
v=api-version=7.1
basic="Authorization: Basic $(printf ':%s' "$pat" | base64 | tr -d '\n')"

# expect_error DESCRIPTION STATUS TYPEKEY TEXT: Azure's error JSON.
expect_error() {
    expect_json "$1" "$2" ".typeKey == \"$3\" and
        (.message | contains(\"$4\")) and has(\"\$id\") and
        .innerException == null and .errorCode == 0"
}

# expect_header DESCRIPTION STATUS HEADER_LINE: the answer had STATUS and
# a header line starting with HEADER_LINE (any case).
expect_header() {
    if [ "$status" = "$2" ] &&
        tr -d '\r' <"$scratch/headers" | grep -qi "^$3"; then
        ok "$1"
    else
        not_ok "$1"
    fi
}

# http METHOD PATH CURL_ARGS...: status in $status, body in
# $scratch/body, headers in $scratch/headers.
http() {
    method=$1 path=$2
    shift 2
    status=$(curl -s -o "$scratch/body" -D "$scratch/headers" \
        -w '%{http_code}' -X "$method" "$@" "$url$path")
}

# as PAT METHOD PATH [JSON]: a request with that token (Basic).
as() {
    token=$1 method=$2 path=$3
    shift 3
    auth="Authorization: Basic $(printf ':%s' "$token" | base64 | tr -d '\n')"
    if [ $# -gt 0 ]; then
        http "$method" "$path" -H "$auth" -H 'Content-Type: application/json' \
            --data-binary "$1"
    else
        http "$method" "$path" -H "$auth"
    fi
}

# api METHOD PATH [JSON]: a request with the valid token.
api() {
    as "$pat" "$@"
}

# group_body NAME VARIABLES_JSON [REFERENCES_JSON]: a group to send.
group_body() {
    refs=${3:-"[{\"name\":\"$1\",\"projectReference\":{\"id\":\"$crm_id\",\"name\":\"CRM\"}}]"}
    printf '{"name":"%s","type":"Vsts","variables":%s,"variableGroupProjectReferences":%s}' \
        "$1" "$2" "$refs"
}

# stored GROUP NAME: the fake's plaintext of a variable (introspection).
stored() {
    curl -s "$url/_fake/variables" |
        jq -r --arg g "$1" --arg n "$2" \
            '.[] | select(.group == $g and .name == $n) | .value'
}

start_fake --org acme --token "$pat" --read-only-token "$reader" \
    --project CRM --project Other --group CRM/existing \
    --seed 'existing:PLAIN=hello' --seed 'existing:KEPT=s3cret,secret' \
    --group Other/elsewhere --seed 'elsewhere:OTHER=x'
if [ ! -s "$scratch/port" ]; then
    echo "Bail out! the fake did not start: $(cat "$scratch/fake.err")"
    exit 1
fi

# --- the token -----------------------------------------------------------
http GET "/acme/_apis/projects/CRM?$v"
expect_error "no credentials: 401" 401 UnauthorizedRequestException \
    "anonymous access"
as wrong GET "/acme/_apis/projects/CRM?$v"
if [ "$status" = 203 ] && grep -q "Sign In" "$scratch/body" &&
    grep -qi '^content-type: text/html' "$scratch/headers"; then
    ok "a bad PAT gets the 203 HTML sign-in page"
else
    not_ok "a bad PAT gets the 203 HTML sign-in page"
fi
http GET "/acme/_apis/projects/CRM?$v" -H 'Authorization: Bearer wrong'
expect_header "a bad Bearer token is sent to the sign-in site (302)" 302 \
    'location: https://[a-z0-9.]*/_signin'
http GET "/acme/_apis/projects/CRM?$v" -H 'X-TFS-FedAuthRedirect: Suppress' \
    -H "Authorization: Basic $(printf ':wrong' | base64)"
expect_error "with X-TFS-FedAuthRedirect: Suppress, a bad PAT is a 401" 401 \
    UnauthorizedRequestException TF400813
http GET "/acme/_apis/projects/CRM?$v" -H "Authorization: Bearer $pat"
expect_json "the PAT also works as a Bearer token" 200 '.name == "CRM"'
http GET "/acme/_apis/projects/CRM?$v" \
    -H "Authorization: Basic $(printf 'anyone:%s' "$pat" | base64 | tr -d '\n')"
expect_json "the user name of Basic is ignored" 200 '.name == "CRM"'

# --- api-version ----------------------------------------------------------
api GET /acme/_apis/projects/CRM
expect_error "no api-version: 400" 400 VssVersionNotSpecifiedException \
    'No api-version was supplied for the \"GET\" request'
http GET /acme/_apis/projects/CRM -H "$basic" \
    -H 'Accept: application/json; api-version=7.1'
expect_json "api-version in the Accept header is taken" 200 '.name == "CRM"'
api GET "/acme/_apis/projects/CRM?api-version=7.2"
expect_error "7.2 without -preview: 400" 400 \
    VssInvalidPreviewVersionException "-preview flag must be supplied"
api GET "/acme/_apis/projects/CRM?api-version=9.0"
expect_error "a version out of range: 400" 400 VssVersionOutOfRangeException \
    "out of range"

# --- projects -------------------------------------------------------------
api GET "/acme/_apis/projects/CRM?$v"
expect_json "a project by name has a GUID id" 200 \
    '.id | test("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")'
crm_id=$(jq -r .id "$scratch/body")
api GET "/acme/_apis/projects/$crm_id?$v"
expect_json "a project by id" 200 '.name == "CRM"'
api GET "/acme/_apis/projects/crm?$v"
expect_json "project names are case-insensitive" 200 '.name == "CRM"'
api GET "/acme/_apis/projects/Missing?$v"
expect_error "an unknown project: 404 TF200016" 404 \
    ProjectDoesNotExistWithNameException \
    "TF200016: The following project does not exist: Missing"
api GET "/acme/_apis/projects?$v"
expect_json "the project list is a count/value envelope" 200 \
    '.count == 2 and (.value | map(.name) | sort) == ["CRM", "Other"]'
api GET "/other-org/_apis/projects/CRM?$v"
if [ "$status" = 404 ]; then
    ok "another organization: 404"
else
    not_ok "another organization: 404"
fi

# --- listing groups ----------------------------------------------------------
groups=/acme/CRM/_apis/distributedtask/variablegroups
api GET "$groups?groupName=existing&$v"
expect_json "the group list: count/value, found by name" 200 \
    '.count == 1 and .value[0].name == "existing" and (.value[0].id | type) == "number"'
expect_json "a plain value reads back, a secret reads back null" 200 \
    '.value[0].variables.PLAIN == {"value": "hello"} and
     .value[0].variables.KEPT == {"value": null, "isSecret": true}'
expect_json "the group lists its project reference (id and name)" 200 \
    ".value[0].variableGroupProjectReferences[0].projectReference ==
        {\"id\": \"$crm_id\", \"name\": \"CRM\"}"
existing_id=$(jq -r '.value[0].id' "$scratch/body")
api GET "$groups?groupName=EXIST*&$v"
expect_json "groupName takes '*' wildcards, in any case" 200 '.count == 1'
api GET "$groups?groupName=elsewhere&$v"
expect_json "a group of another project is not listed" 200 '.count == 0'
api GET "$groups/$existing_id?$v"
expect_json "a group by id" 200 '.name == "existing"'
api GET "/acme/Nowhere/_apis/distributedtask/variablegroups?$v"
expect_error "the groups of an unknown project: 404" 404 \
    ProjectDoesNotExistWithNameException TF200016

# --- creating ------------------------------------------------------------------
org_groups=/acme/_apis/distributedtask/variablegroups
api POST "$org_groups?$v" '{"name":"g","variables":{}}'
expect_error "a create without project references is refused" 400 \
    ArgumentException "Project information name is not valid for variable group."
api POST "$org_groups?$v" "$(group_body g '{}' \
    "[{\"name\":\"g\",\"projectReference\":{\"id\":\"$crm_id\"}}]")"
expect_error "a project reference without the project's name is refused" 400 \
    ArgumentException "Project information name is not valid for variable group."
api POST "$org_groups?$v" 'not json'
expect_error "a body that is not JSON is refused" 400 ArgumentNullException \
    "Value cannot be null."
api POST "$org_groups?$v" "$(group_body salesforce-auth \
    '{"SFDX_CLIENT_ID_UAT":{"value":"id-1","isSecret":true},"NOTE":{"value":"plain"}}')"
expect_json "a complete create answers 200 with the group" 200 \
    '.name == "salesforce-auth" and (.id | type) == "number" and
     .variables.SFDX_CLIENT_ID_UAT == {"value": null, "isSecret": true} and
     .variables.NOTE.value == "plain"'
created_id=$(jq -r .id "$scratch/body")
if [ "$(stored salesforce-auth SFDX_CLIENT_ID_UAT)" = id-1 ]; then
    ok "the fake holds the secret in clear for tests"
else
    not_ok "the fake holds the secret in clear for tests"
fi
api GET "$groups?groupName=salesforce-auth&$v"
expect_json "the created group is shared with the project" 200 '.count == 1'
api POST "$org_groups?$v" "$(group_body Salesforce-Auth '{}')"
expect_error "a second group of the same name is refused" 400 \
    VariableGroupExistsException "Variable group 'Salesforce-Auth' already exists."

# --- updating: the whole map ----------------------------------------------------
api PUT "$org_groups/$created_id?$v" "$(group_body salesforce-auth \
    '{"SFDX_CLIENT_ID_UAT":{"value":null,"isSecret":true},
      "SFDX_CLIENT_KEY_UAT":{"value":"key-1","isSecret":true}}')"
expect_json "a PUT answers 200 with the new map" 200 \
    '(.variables | keys) == ["SFDX_CLIENT_ID_UAT", "SFDX_CLIENT_KEY_UAT"]'
if [ "$(stored salesforce-auth SFDX_CLIENT_ID_UAT)" = id-1 ]; then
    ok "a secret sent back as null keeps its value"
else
    not_ok "a secret sent back as null keeps its value"
fi
if [ -z "$(stored salesforce-auth NOTE)" ]; then
    ok "a variable left out of the PUT is deleted"
else
    not_ok "a variable left out of the PUT is deleted"
fi
api PUT "$org_groups/$created_id?$v" \
    '{"name":"salesforce-auth","variables":{}}'
expect_error "a PUT without project references is refused" 400 \
    ArgumentException "Project information name is not valid for variable group."
api PUT "$org_groups/$created_id?$v" "$(group_body existing '{}')"
expect_error "a rename onto another group's name is refused" 400 \
    VariableGroupExistsException "Variable group 'existing' already exists."
api PUT "$org_groups/999?$v" "$(group_body nothing '{}')"
expect_error "a PUT of an unknown id: 404" 404 VariableGroupNotFoundException \
    "999"
if [ "$(stored existing KEPT)" = s3cret ] && [ "$(stored elsewhere OTHER)" = x ]; then
    ok "the other groups are untouched"
else
    not_ok "the other groups are untouched"
fi

# --- a token that may read but not change ------------------------------------------
as "$reader" GET "$groups?groupName=existing&$v"
expect_json "a read-only token lists the group" 200 '.count == 1'
as "$reader" GET "$groups?groupName=existing&actionFilter=manage&$v"
expect_json "but not with actionFilter=manage" 200 '.count == 0'
api GET "$groups?groupName=existing&actionFilter=manage&$v"
expect_json "the full token does list it with actionFilter=manage" 200 '.count == 1'
as "$reader" PUT "$org_groups/$existing_id?$v" "$(group_body existing '{}')"
expect_error "its PUT is denied (403)" 403 AccessDeniedException "Access denied"
as "$reader" POST "$org_groups?$v" "$(group_body another '{}')"
expect_error "its POST is denied (403)" 403 AccessDeniedException "Access denied"
if [ "$(stored existing PLAIN)" = hello ]; then
    ok "a denied write changes nothing"
else
    not_ok "a denied write changes nothing"
fi

# --- paging ----------------------------------------------------------------------
api POST "$org_groups?$v" "$(group_body page-2 '{}')"
api GET "$groups?\$top=1&$v"
first=$(jq -r '.value[0].id' "$scratch/body")
next=$(tr -d '\r' <"$scratch/headers" | sed -n 's/^x-ms-continuationtoken: //Ip')
expect_json "\$top cuts the list" 200 '.count == 1'
if [ -n "$next" ]; then
    ok "and x-ms-continuationtoken says where to go on"
else
    not_ok "and x-ms-continuationtoken says where to go on"
fi
api GET "$groups?\$top=10&continuationToken=$next&$v"
expect_json "continuationToken goes on from there" 200 \
    ".count == 2 and (.value | map(.id) | index($first)) == null"

page_id=$(curl -s "$url/_fake/groups" | jq '.[] | select(.name == "page-2") | .id')
api DELETE "$org_groups/$page_id?$v"
expect_error "a DELETE needs projectIds" 400 ArgumentNullException projectIds
api DELETE "$org_groups/$page_id?projectIds=$crm_id&$v"
if [ "$status" = 204 ] &&
    [ -z "$(curl -s "$url/_fake/groups" | jq '.[] | select(.name == "page-2")')" ]
then
    ok "a DELETE from its only project removes the group (204)"
else
    not_ok "a DELETE from its only project removes the group (204)"
fi

# --- introspection, then the end -------------------------------------------------
http GET /_fake/requests
expect_json "/_fake/requests lists METHOD path, without _fake" 200 \
    'index("GET /acme/_apis/projects/CRM") != null and
     (map(select(startswith("GET /_fake"))) | length) == 0'
http GET /_fake/groups
expect_json "/_fake/groups lists each group's projects" 200 \
    'map(select(.name == "salesforce-auth"))[0].projects == ["CRM"]'
stop_fake "SIGTERM stops the fake with 0 and nothing on stdout"

# --- injected faults -------------------------------------------------------------
start_fake --org acme --token "$pat" --project CRM --rate-limit-at 2 \
    --fail-write-at 1 --latency-ms 200
api GET "/acme/_apis/projects/CRM?$v"
crm_id=$(jq -r .id "$scratch/body")
api GET "/acme/_apis/projects/CRM?$v"
expect_header "--rate-limit-at 2: the second request is a 429 with Retry-After" \
    429 'retry-after: 1'
expect_header "and X-RateLimit-Remaining: 0" 429 'x-ratelimit-remaining: 0'
expect_header "and X-RateLimit-Reset" 429 'x-ratelimit-reset: [0-9]'
expect_error "with Azure's message" 429 RequestBlockedException \
    "Request was blocked due to exceeding usage of resource 'Core'"
api GET "/acme/_apis/projects/CRM?$v"
expect_json "the next request passes" 200 '.name == "CRM"'
api POST "/acme/_apis/distributedtask/variablegroups?$v" "$(group_body g '{}')"
expect_error "--fail-write-at 1: the first group write answers 500" 500 \
    VssServiceException "TF400898: An Internal Error Occurred"
api POST "/acme/_apis/distributedtask/variablegroups?$v" "$(group_body g '{}')"
expect_json "the next write passes" 200 '.name == "g"'
start=$(date +%s%N)
api GET "/acme/_apis/projects/CRM?$v"
elapsed=$((($(date +%s%N) - start) / 1000000))
if [ "$elapsed" -ge 200 ]; then
    ok "--latency-ms 200 delays each answer ($elapsed ms)"
else
    not_ok "--latency-ms 200 delays each answer ($elapsed ms)"
fi
stop_fake "and it stops cleanly too"

"$fake" --org acme >/dev/null 2>"$scratch/body"
status=$?
if [ "$status" = 2 ] && grep -q -- "--token" "$scratch/body"; then
    ok "a command line without --token is refused (exit 2)"
else
    not_ok "a command line without --token is refused (exit 2)"
fi

tap_finish
