#!/bin/bash
# End to end: bad input exits 2 with one line on stderr that names the
# file or value and the fix, and changes nothing.
#
# usage: bad-input.sh SFCI SAMPLE_PROJECT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
project=$scratch/project
cp -r "$sample/." "$project"
run() { "$sfci" -q -C "$project" "$@"; }

expect_failure "an unknown branch names the known ones" 2 \
    "'qa' is not a major branch (known: integration, main, pre-prod, uat)" -- \
    run provision --branch qa --provider gitlab --no-deploy
expect_failure "an unknown provider points to 'sfci providers'" 2 \
    "unknown CI host 'gitlub'" -- \
    run provision --branch uat --provider gitlub --no-deploy
expect_failure "no org selection asks for one" 2 "--all-branches" -- \
    run provision --provider gitlab --no-deploy
expect_failure "two selections are refused" 2 "more than one" -- \
    run provision --devhub --branch uat --provider gitlab --no-deploy
expect_failure "an unknown option is named" 2 "unknown option '--colour'" -- \
    run provision --colour --branch uat
expect_failure "a missing option value is named" 2 \
    "missing value for option '--branch'" -- run provision --branch
expect_failure "an unknown command is named" 2 "unknown command 'deploy'" -- \
    run deploy
expect_failure "an option a host has no use for is refused" 2 \
    "GitHub has no use for --protected" -- \
    run provision --branch uat --provider github --protected --no-deploy
expect_failure "a bad --days is refused" 2 "--days 'ten'" -- \
    run provision --branch uat --provider gitlab --days ten --no-deploy
expect_failure "a bad --app-kind is refused" 2 "unknown app kind 'ca'" -- \
    run provision --branch uat --provider gitlab --app-kind ca --no-deploy
expect_failure "without an 'origin' the provider is asked for" 2 \
    "pass --provider" -- run provision --branch uat --no-deploy
expect_failure "writing to the CI host without its token names the variable" 2 \
    "no GitLab token: set GITLAB_TOKEN" -- \
    env -u GITLAB_TOKEN "$sfci" -q -C "$project" provision --branch uat \
    --provider gitlab --repo acme/crm

# A Salesforce CLI that has no session for the org.
mkdir "$scratch/bin"
printf '#!/bin/sh\necho "{\\"status\\":1}"\nexit 1\n' >"$scratch/bin/sf"
chmod +x "$scratch/bin/sf"
expect_failure "a deploy without an admin session says how to give one" 2 \
    "no admin session for 'ci@acme.example.uat': set SF_ACCESS_TOKEN" -- \
    env -u SF_ACCESS_TOKEN PATH="$scratch/bin:$PATH" \
    "$sfci" -q -C "$project" provision --branch uat --provider gitlab --dry-run

printf 'targetUsername: ci@acme.example.uat\ninstanceUrl: [unclosed\n' \
    >"$project/config/branches/.sfdx-hardis.uat.yml"
expect_failure "a malformed config gives file:line:column" 2 \
    "config/branches/.sfdx-hardis.uat.yml:3:1: did not find expected ','" -- \
    run provision --branch uat --provider gitlab --no-deploy
expect_failure "one malformed branch stops --all-branches before any change" 2 \
    ".sfdx-hardis.uat.yml:3:1:" -- \
    run provision --all-branches --provider gitlab --no-deploy
check "and no key was written for the other branches" \
    test ! -e "$project/config/branches/.jwt"

printf 'instanceUrl: https://test.salesforce.com\n' \
    >"$project/config/branches/.sfdx-hardis.uat.yml"
expect_failure "a config without targetUsername says what to add" 2 \
    "has no 'targetUsername': add the username" -- \
    run provision --branch uat --provider gitlab --no-deploy

cp "$sample/config/branches/.sfdx-hardis.uat.yml" "$project/config/branches/"
cp "$project/config/branches/.sfdx-hardis.pre-prod.yml" \
    "$project/config/branches/.sfdx-hardis.pre_prod.yml"
expect_failure "two branches with the same variable names are refused" 2 \
    "branches 'pre-prod' and 'pre_prod' both give the variable" -- \
    run provision --all-branches --provider gitlab --no-deploy
rm "$project/config/branches/.sfdx-hardis.pre_prod.yml"

alias=$(printf 'x%.0s' $(seq 250))
sed -i "s/^devHubAlias: .*/devHubAlias: $alias/" "$project/config/.sfdx-hardis.yml"
expect_failure "a variable name GitLab would refuse is refused first" 2 \
    "GitLab" -- run provision --devhub --provider gitlab --no-deploy

rm -r "$project/config"
expect_failure "a project without branch configs says how to add one" 2 \
    "no major branch" -- \
    run provision --all-branches --provider gitlab --no-deploy
expect_failure "a project without a project config names the file" 2 \
    "config/.sfdx-hardis.yml" -- \
    run provision --devhub --provider gitlab --no-deploy
check "nothing was written by any refused run" \
    test -z "$(cd "$project" && find . -newer "$scratch" -name '*.key' -o -newer "$scratch" -name '.sfci')"

finish
