#!/bin/bash
# End to end: the built sfci provisions the sample project (four major
# branches and a Dev Hub) with --dry-run --no-deploy, and every result is
# checked with independent tools: openssl, git, jq.
#
# usage: provision.sh SFCI SAMPLE_PROJECT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh" "$@"
project=$scratch/project
cp -r "$sample/." "$project"
export HOME=$scratch/home GIT_CONFIG_NOSYSTEM=1
mkdir "$HOME"
git -C "$project" init -q
git -C "$project" -c user.name=t -c user.email=t@t add -A
git -C "$project" -c user.name=t -c user.email=t@t commit -qm sample

# The branches, each with its variable suffix.
branches="integration:INTEGRATION main:MAIN pre-prod:PRE_PROD uat:UAT"

# --- a plan changes nothing -------------------------------------------
"$sfci" -C "$project" provision --all-branches --provider gitlab \
    --no-deploy --plan >"$scratch/plan" 2>"$scratch/plan.err"
check "a plan exits 0" test $? -eq 0
check "a plan changes no file" \
    test -z "$(git -C "$project" status --porcelain --ignored)"
check "a plan names each variable" grep -q SFDX_CLIENT_KEY_PRE_PROD "$scratch/plan"

# --- every major branch -------------------------------------------------
"$sfci" -C "$project" provision --all-branches --provider gitlab \
    --dry-run --no-deploy >"$scratch/out" 2>"$scratch/err"
check "provision --all-branches exits 0" test $? -eq 0
check "progress goes to stderr, not stdout" \
    grep -q "generating an RSA-2048 key" "$scratch/err"
check "the GitLab page is named" grep -q "Settings > CI/CD" "$scratch/out"

value() { sed -n "s/^$1=//p" "$scratch/out"; }

for pair in $branches; do
    branch=${pair%%:*} name=${pair#*:}
    id=$(value "SFDX_CLIENT_ID_$name")
    key=$(value "SFDX_CLIENT_KEY_$name")
    check "$branch: SFDX_CLIENT_ID_$name is 85 characters of [A-Za-z0-9_]" \
        grep -qE '^[A-Za-z0-9_]{85}$' <<<"$id"
    check "$branch: SFDX_CLIENT_KEY_$name is 32 hex characters" \
        grep -qE '^[0-9a-f]{32}$' <<<"$key"

    keyfile=$project/config/branches/.jwt/$branch.key
    certfile=$project/config/branches/.jwt/$branch.crt
    check "$branch: the key file is 0600" test "$(stat -c %a "$keyfile")" = 600
    check "$branch: no clear key on disk" \
        sh -c "! grep -rq 'PRIVATE KEY' '$project/config' '$project/.sfci'"

    decrypt_key "$keyfile" "$key" >"$scratch/$branch.pem" 2>/dev/null
    check "$branch: openssl decrypts the key file with the printed key" \
        openssl pkey -in "$scratch/$branch.pem" -noout
    check "$branch: the key is RSA 2048" \
        sh -c "openssl pkey -in '$scratch/$branch.pem' -text -noout |
               grep -q 'Private-Key: (2048 bit'"

    openssl pkey -in "$scratch/$branch.pem" -pubout >"$scratch/$branch.pub"
    openssl x509 -in "$certfile" -pubkey -noout >"$scratch/$branch.certpub"
    check "$branch: the key matches the certificate" \
        cmp -s "$scratch/$branch.pub" "$scratch/$branch.certpub"
    check "$branch: the certificate is SHA-256, valid 3650 days" \
        sh -c "openssl x509 -in '$certfile' -noout -text |
               grep -q 'Signature Algorithm: sha256WithRSAEncryption' &&
               openssl x509 -in '$certfile' -noout -checkend $((3649 * 86400)) >/dev/null &&
               ! openssl x509 -in '$certfile' -noout -checkend $((3651 * 86400)) >/dev/null"

    app=$(sed -n 's/^  - //p' "$project/config/branches/.sfdx-hardis.$branch.yml" | tail -1)
    global=$(ls "$project/.sfci/$app"/extlClntAppGlobalOauthSets/*.ecaGlblOauth)
    sed -n '/<certificate>/,/<\/certificate>/p' "$global" |
        sed 's/.*<certificate>//; s/<\/certificate>.*//' >"$scratch/$branch.meta.crt"
    openssl x509 -in "$scratch/$branch.meta.crt" -pubkey -noout \
        >"$scratch/$branch.metapub" 2>/dev/null
    check "$branch: the key matches the certificate in the app metadata" \
        cmp -s "$scratch/$branch.pub" "$scratch/$branch.metapub"
    check "$branch: SFDX_CLIENT_ID_$name is the metadata's consumer key" \
        grep -qF "<consumerKey>$id</consumerKey>" "$global"
    check "$branch: the app is named sfci_<name>_<time>" \
        grep -qE "^sfci_$(tr A-Z a-z <<<"$name")_[0-9]{14}$" <<<"$app"
    check "$branch: the deploy command is printed" \
        grep -qF "sf project deploy start --metadata-dir .sfci/$app" "$scratch/out"
done

# --- the Dev Hub, as JSON -------------------------------------------------
"$sfci" -C "$project" provision --devhub --provider github --no-deploy \
    --json >"$scratch/devhub.json" 2>/dev/null
check "provision --devhub --json exits 0" test $? -eq 0
check "the report is one JSON object with exit_code 0" \
    test "$(jq -r .exit_code "$scratch/devhub.json")" = 0
devhub_id=$(jq -r '.orgs[0].variables[] | select(.name == "SFDX_CLIENT_ID_DEVHUB_ACME_CRM") | .value' "$scratch/devhub.json")
devhub_key=$(jq -r '.orgs[0].variables[] | select(.name == "SFDX_CLIENT_KEY_DEVHUB_ACME_CRM") | .value' "$scratch/devhub.json")
check "the Dev Hub variables are named after its alias" \
    test ${#devhub_id} -eq 85 -a ${#devhub_key} -eq 32
check "the report says the Dev Hub values were printed" \
    test "$(jq -r '[.orgs[0].variables[].action] | unique | join(",")' "$scratch/devhub.json")" = printed
check "the report has kind, app and files" \
    jq -e '.orgs[0] | .kind == "devhub" and .app_kind == "eca" and
           (.files | index("config/.jwt/DevHub_acme-crm.key")) != null and
           (.metadata_dir | startswith(".sfci/sfci_devhub_acme_crm_"))' \
        "$scratch/devhub.json"
decrypt_key "$project/config/.jwt/DevHub_acme-crm.key" "$devhub_key" \
    >"$scratch/devhub.pem" 2>/dev/null
check "the Dev Hub key decrypts with its printed key" \
    openssl pkey -in "$scratch/devhub.pem" -noout

# --- nothing but the documented files changed ----------------------------
expected=$(
    for pair in $branches; do
        branch=${pair%%:*}
        echo "?? config/branches/.jwt/"
        echo " M config/branches/.sfdx-hardis.$branch.yml"
    done
    echo " M config/.sfdx-hardis.yml"
    echo "?? config/.jwt/"
)
actual=$(git -C "$project" status --porcelain)
check "only the documented files changed" \
    test "$(sort -u <<<"$expected")" = "$(sort -u <<<"$actual")"
check "the .jwt folders hold only keys and certificates" \
    test "$(cd "$project/config" && ls -A branches/.jwt .jwt | grep -cvE '\.(key|crt)$|^$|:$')" = 0
check "the app metadata is kept out of git" \
    test "$(git -C "$project" status --porcelain --ignored | grep '^!!')" = "!! .sfci/"
check "nothing is written to HOME" test -z "$(ls -A "$HOME")"
check "the branch config keeps its comment and keys" \
    sh -c "git -C '$project' diff config/branches/.sfdx-hardis.pre-prod.yml |
           grep '^[-+][^-+]' | grep -v '^+sfciApps:' | grep -qv '^+  - sfci_pre_prod_' && exit 1 || exit 0"

# --- a second run rotates ------------------------------------------------
"$sfci" -q -C "$project" provision --branch uat --provider gitlab \
    --no-deploy >/dev/null 2>&1
check "a second run records a second app" \
    test "$(grep -c '^  - sfci_uat_' "$project/config/branches/.sfdx-hardis.uat.yml")" = 2

finish
