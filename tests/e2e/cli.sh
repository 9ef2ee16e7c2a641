#!/bin/bash
# End to end: help, version, providers and the JSON plan.
#
# usage: cli.sh SFCI SAMPLE_PROJECT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"

check "--version prints the version" \
    sh -c "'$sfci' --version | grep -qE '^sfci [0-9]+\.[0-9]+\.[0-9]+$'"
check "--help lists the commands" \
    sh -c "'$sfci' --help | grep -q 'provision' && '$sfci' --help | grep -q providers"
check "provision --help has examples" \
    sh -c "'$sfci' provision --help | grep -q '^examples:' &&
           '$sfci' provision --help | grep -q 'sfci provision --all-branches'"
check "no command prints the usage and exits 2" \
    sh -c "'$sfci' 2>&1 >/dev/null | grep -q usage; test \$? -eq 0 && ! '$sfci' 2>/dev/null"
"$sfci" providers >"$scratch/providers"
check "providers lists the five hosts" \
    test "$(cut -d' ' -f1 "$scratch/providers" | tr '\n' ' ')" = "gitlab github azure bitbucket jenkins "
check "providers says what each can do" \
    grep -qE '^azure +Azure DevOps +.*variable-groups' "$scratch/providers"

cp -r "$sample/." "$scratch/project"
"$sfci" -C "$scratch/project" provision --all-branches --provider jenkins \
    --no-deploy --plan --json >"$scratch/plan.json" 2>"$scratch/plan.err"
check "a JSON plan lists every org, actions planned, no values" \
    jq -e '(.orgs | length) == 4 and
           ([.orgs[].variables[].action] | unique) == ["planned"] and
           ([.orgs[].variables[] | has("value")] | any) == false' \
        "$scratch/plan.json"

NO_COLOR=1 script -qec "'$sfci' -C '$scratch/project' provision --branch qa --provider gitlab --no-deploy" /dev/null >"$scratch/tty" 2>&1
check "NO_COLOR keeps escape codes out of a terminal" \
    sh -c "grep -q 'error:' '$scratch/tty' && ! grep -q \$'\\033' '$scratch/tty'"
script -qec "'$sfci' -C '$scratch/project' provision --branch qa --provider gitlab --no-deploy" /dev/null >"$scratch/tty" 2>&1
check "a terminal gets a coloured error label" grep -q $'\033\\[31merror:' "$scratch/tty"

"$sfci" -q -C "$scratch/project" provision --branch uat --provider bitbucket \
    --no-deploy >"$scratch/quiet.out" 2>"$scratch/quiet.err"
check "-q prints no progress" test ! -s "$scratch/quiet.err"
check "-q still prints the data" grep -q '^SFDX_CLIENT_KEY_UAT=' "$scratch/quiet.out"


"$sfci" -v -C "$scratch/project" provision --branch main --provider gitlab \
    --no-deploy >/dev/null 2>"$scratch/verbose.err"
fingerprint=$(openssl x509 -in "$scratch/project/config/branches/.jwt/main.crt" \
    -noout -fingerprint -sha256 | cut -d= -f2)
check "-v shows the certificate fingerprint openssl computes" \
    grep -qF "main: certificate SHA-256 fingerprint $fingerprint" "$scratch/verbose.err"
check "-v names each metadata file" \
    grep -q "main: wrote .sfci/sfci_main_[0-9]*/package.xml" "$scratch/verbose.err"
check "-v shows no secret" \
    sh -c "! grep -qE 'PRIVATE|[0-9a-f]{32}' '$scratch/verbose.err'"

git -C "$scratch/project" init -q
git -C "$scratch/project" remote add origin git@gitlab.example.com:acme/crm.git
"$sfci" -q -C "$scratch/project" provision --branch main --no-deploy \
    >"$scratch/origin.out" 2>&1
check "the provider and project are guessed from 'origin'" \
    grep -q "In GitLab, open the project acme/crm" "$scratch/origin.out"
git -C "$scratch/project" remote set-url origin \
    https://acme@dev.azure.com/acme/CRM/_git/crm-app
"$sfci" -q -C "$scratch/project" provision --branch main --no-deploy \
    >"$scratch/origin.out" 2>&1
check "an Azure remote gives its project" \
    grep -q "In Azure DevOps, open the project CRM" "$scratch/origin.out"

finish
