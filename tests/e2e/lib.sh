# Shared by the end-to-end tests: a TAP report, a few checks, and a
# scratch folder removed at exit.  Each test sources it with its own
# arguments (SFCI SAMPLE_PROJECT), calls check/expect_* and ends with
# finish.
set -u
sfci=$1
sample=$2
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

failures=0
count=0

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

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
    description=$1
    shift
    if "$@" >/dev/null; then
        ok "$description"
    else
        not_ok "$description" "failed: $*"
    fi
}

# expect_failure DESCRIPTION CODE WORDS -- COMMAND...: the command exits
# with CODE and prints exactly one line on stderr, containing WORDS.
expect_failure() {
    description=$1 code=$2 words=$3
    shift 4
    "$@" >"$scratch/out" 2>"$scratch/err"
    status=$?
    lines=$(wc -l <"$scratch/err")
    if [ "$status" -eq "$code" ] && [ "$lines" -eq 1 ] &&
        grep -qF -- "$words" "$scratch/err"; then
        ok "$description"
    else
        not_ok "$description" "exit $status (want $code), $lines stderr lines" \
            "stderr: $(cat "$scratch/err")"
    fi
}

# The CI users of the sample project's four branches, for the Salesforce
# fake: "${sample_users[@]}".
sample_users=(
    --user 'ci@acme.example.integration:System Administrator'
    --user 'ci@acme.example:System Administrator'
    --user 'ci@acme.example.preprod:System Administrator'
    --user 'ci@acme.example.uat:System Administrator'
)

# sample_copy URL: copies the sample project to $project, every branch's
# org at URL, and commits it, so that git tells what a run changed.
sample_copy() {
    project=$scratch/project
    cp -r "$sample/." "$project"
    sed -i "s|^instanceUrl: .*|instanceUrl: $1|" \
        "$project"/config/branches/.sfdx-hardis.*.yml
    git -C "$project" init -q
    git -C "$project" -c user.name=t -c user.email=t@t add -A
    git -C "$project" -c user.name=t -c user.email=t@t commit -qm sample
}

finish() {
    echo "1..$count"
    [ "$failures" -eq 0 ]
}

# hex_to_binary: reads hex text on stdin, writes the bytes.
hex_to_binary() {
    perl -ne 'chomp; print pack("H*", $_)'
}

# ascii_to_hex TEXT: the hex of the bytes of TEXT.
ascii_to_hex() {
    printf %s "$1" | od -An -tx1 | tr -d ' \n'
}

# decrypt_key FILE KEY: the clear PEM of an sfdx-hardis encrypted key,
# decrypted by the openssl command alone.
decrypt_key() {
    text=$(cat "$1")
    iv=${text%%:*}
    printf %s "${text#*:}" | hex_to_binary |
        openssl enc -d -aes-256-cbc -K "$(ascii_to_hex "$2")" -iv "$iv"
}
