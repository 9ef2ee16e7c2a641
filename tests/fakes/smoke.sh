#!/bin/sh
# Smoke test of fake-salesforce: starts it and drives it with curl and
# openssl as a Salesforce client would (a metadata zip built by hand, a
# SOAP deploy, JWTs signed with openssl), and checks that it answers as
# Salesforce does, errors included.  Argument: the fake's path.  TAP.
set -u
fake=$1
. "$(dirname "$0")/common/lib.sh"

require_tools curl openssl zip jq

ns=http://soap.sforce.com/2006/04/metadata
bearer=urn:ietf:params:oauth:grant-type:jwt-bearer
login=https://login.salesforce.com
test_aud=https://test.salesforce.com

# expect_text DESCRIPTION STATUS TEXT: the last answer had STATUS and a
# body containing TEXT.
expect_text() {
    if [ "$status" = "$2" ] && grep -qF -- "$3" "$scratch/body"; then
        ok "$1"
    else
        not_ok "$1"
    fi
}

# expect_oauth DESCRIPTION ERROR ERROR_DESCRIPTION: a 400 OAuth error.
expect_oauth() {
    expect_json "$1" 400 \
        ".error == \"$2\" and .error_description == \"$3\""
}

# http METHOD PATH CURL_ARGS...: status in $status, body in $scratch/body.
http() {
    method=$1 path=$2
    shift 2
    status=$(curl -s -o "$scratch/body" -w '%{http_code}' -X "$method" \
        "$@" "$url$path")
}

# soap SESSION OPERATION_XML: a Metadata API call.
soap() {
    printf '%s' "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<env:Envelope xmlns:env=\"http://schemas.xmlsoap.org/soap/envelope/\">
<env:Header><SessionHeader xmlns=\"$ns\"><sessionId>$1</sessionId>\
</SessionHeader></env:Header><env:Body>$2</env:Body></env:Envelope>" \
        >"$scratch/envelope"
    http POST /services/Soap/m/64.0 -H 'Content-Type: text/xml; charset=UTF-8' \
        -H 'SOAPAction: ""' --data-binary @"$scratch/envelope"
}

# xml_value NAME: the text of the first element NAME of the last answer.
xml_value() {
    sed 's/></>\n</g' "$scratch/body" |
        sed -n "s:^<$1>\([^<]*\)</$1>\$:\1:p" | head -n 1
}

b64url() {
    openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# jwt ISS SUB AUD EXP KEY [ALG]: an assertion signed with the key file.
jwt() {
    header=$(printf '{"alg":"%s"}' "${6:-RS256}" | b64url)
    claims=$(printf '{"iss":"%s","sub":"%s","aud":"%s","exp":%s}' \
        "$1" "$2" "$3" "$4" | b64url)
    signature=$(printf '%s.%s' "$header" "$claims" |
        openssl dgst -sha256 -sign "$5" -binary | b64url)
    printf '%s.%s.%s' "$header" "$claims" "$signature"
}

# token ASSERTION: the JWT bearer grant.
token() {
    http POST /services/oauth2/token \
        --data-urlencode "grant_type=$bearer" \
        --data-urlencode "assertion=$1"
}

# login ISS SUB AUD [KEY]: a JWT bearer login expiring in 3 minutes.
login() {
    exp=$(($(date +%s) + 180))
    token "$(jwt "$1" "$2" "$3" "$exp" "${4:-$scratch/key.pem}")"
}

# login_when_propagated ISS SUB AUD: logs in again until the app has
# propagated (200), for up to 6 seconds.
login_when_propagated() {
    tries=0
    login "$@"
    while [ "$status" != 200 ] && [ $tries -lt 60 ]; do
        sleep 0.1
        login "$@"
        tries=$((tries + 1))
    done
}

# element NAME VALUE: <NAME>VALUE</NAME>, indented; nothing without VALUE.
element() {
    [ -n "$2" ] && printf '    <%s>%s</%s>\n' "$1" "$2" "$1"
    return 0
}

# eca_files DIR APP KEY PROFILE PERMSET: the five ECA components.  KEY,
# PROFILE and PERMSET may be empty; the certificate is cert.pem.
eca_files() {
    dir=$1 app=$2
    mkdir -p "$dir/externalClientApps" "$dir/extlClntAppOauthSettings" \
        "$dir/extlClntAppGlobalOauthSets" "$dir/extlClntAppOauthPolicies" \
        "$dir/extlClntAppPolicies"
    head='<?xml version="1.0" encoding="UTF-8"?>'
    cat >"$dir/externalClientApps/$app.eca" <<EOF
$head
<ExternalClientApplication xmlns="$ns">
    <contactEmail>ci@acme.example.uat</contactEmail>
    <distributionState>Local</distributionState>
    <isProtected>false</isProtected>
    <label>$app</label>
</ExternalClientApplication>
EOF
    cat >"$dir/extlClntAppOauthSettings/${app}OAuth.ecaOauth" <<EOF
$head
<ExtlClntAppOauthSettings xmlns="$ns">
    <commaSeparatedOauthScopes>Api, RefreshToken</commaSeparatedOauthScopes>
    <externalClientApplication>$app</externalClientApplication>
    <label>${app}OAuth</label>
</ExtlClntAppOauthSettings>
EOF
    {
        echo "$head"
        echo "<ExtlClntAppGlobalOauthSettings xmlns=\"$ns\">"
        element callbackUrl http://localhost:1717/OauthRedirect
        element certificate "$(cat "$scratch/cert.pem")"
        element consumerKey "$3"
        element externalClientApplication "$app"
        element label "${app}Glbl"
        echo "</ExtlClntAppGlobalOauthSettings>"
    } >"$dir/extlClntAppGlobalOauthSets/${app}Glbl.ecaGlblOauth"
    {
        echo "$head"
        echo "<ExtlClntAppOauthConfigurablePolicies xmlns=\"$ns\">"
        element commaSeparatedPermissionSet "$5"
        element commaSeparatedProfile "$4"
        element externalClientApplication "$app"
        element label "${app}Policy"
        element permittedUsersPolicyType AdminApprovedPreAuthorized
        echo "</ExtlClntAppOauthConfigurablePolicies>"
    } >"$dir/extlClntAppOauthPolicies/${app}Policy.ecaOauthPlcy"
    cat >"$dir/extlClntAppPolicies/${app}Plcy.ecaPlcy" <<EOF
$head
<ExtlClntAppConfigurablePolicies xmlns="$ns">
    <externalClientApplication>$app</externalClientApplication>
    <isEnabled>true</isEnabled>
    <isOauthPluginEnabled>true</isOauthPluginEnabled>
    <label>${app}Plcy</label>
</ExtlClntAppConfigurablePolicies>
EOF
}

# manifest FILE TYPE:MEMBER...: a package.xml (or destructiveChanges.xml).
manifest() {
    file=$1
    shift
    {
        echo '<?xml version="1.0" encoding="UTF-8"?>'
        echo "<Package xmlns=\"$ns\">"
        for pair in "$@"; do
            printf '    <types><members>%s</members><name>%s</name></types>\n' \
                "${pair#*:}" "${pair%%:*}"
        done
        echo "    <version>64.0</version>"
        echo "</Package>"
    } >"$file"
}

# eca_package DIR APP KEY PROFILE PERMSET: the files and their package.xml.
eca_package() {
    rm -rf "$1"
    eca_files "$@"
    manifest "$1/package.xml" "ExternalClientApplication:$2" \
        "ExtlClntAppOauthSettings:${2}OAuth" \
        "ExtlClntAppGlobalOauthSettings:${2}Glbl" \
        "ExtlClntAppOauthConfigurablePolicies:${2}Policy" \
        "ExtlClntAppConfigurablePolicies:${2}Plcy"
}

default_options='<rollbackOnError>true</rollbackOnError>'\
'<singlePackage>true</singlePackage>'

# deploy SESSION DIR [OPTIONS_XML]: zips DIR, deploys it and polls
# checkDeployStatus until done; the final status is the last answer.
deploy() {
    rm -f "$scratch/package.zip"
    (cd "$2" && zip -qr "$scratch/package.zip" .)
    options=${3:-$default_options}
    soap "$1" "<deploy xmlns=\"$ns\"><ZipFile>$(openssl base64 -A \
        <"$scratch/package.zip")</ZipFile><DeployOptions>$options\
</DeployOptions></deploy>"
    deploy_id=$(xml_value id)
    polls=0
    while [ $polls -lt 100 ]; do
        soap "$1" "<checkDeployStatus xmlns=\"$ns\"><asyncProcessId>\
$deploy_id</asyncProcessId><includeDetails>true</includeDetails>\
</checkDeployStatus>"
        [ "$(xml_value done)" = true ] && return
        sleep 0.05
        polls=$((polls + 1))
    done
}

# expect_deploy DESCRIPTION STATUS [PROBLEM]: the deploy ended so.
expect_deploy() {
    if [ "$(xml_value status)" = "$2" ] &&
        { [ $# -lt 3 ] || grep -qF -- "$3" "$scratch/body"; }; then
        ok "$1"
    else
        not_ok "$1"
    fi
}

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$scratch/key.pem" \
    -out "$scratch/cert.pem" -days 1 -subj /CN=smoke 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$scratch/other.pem" 2>/dev/null
key1=K1_$(openssl rand -hex 40)
key2=K2_$(openssl rand -hex 40)
key3=K3_$(openssl rand -hex 40)
ci=ci@acme.example.uat

# ---- a sandbox ----
start_fake --admin-token ADMIN --user "$ci:System Administrator" \
    --user "dev@acme.example.uat:Standard User" \
    --user "ops@acme.example.uat:Standard User:CI_Login" \
    --propagation-ms 1500 --deploy-ms 100 --token-fail 1 \
    --fail-component "broken_app=The app is broken"
if [ ! -s "$scratch/port" ]; then
    echo "Bail out! the fake did not start: $(cat "$scratch/fake.err")"
    exit 1
fi
ok "the fake writes its port file"

login "$key1" "$ci" "$test_aud"
if [ "$status" = 503 ] && grep -qi '<html' "$scratch/body"; then
    ok "--token-fail: the token endpoint answers 503 with an HTML page"
else
    not_ok "--token-fail: the token endpoint answers 503 with an HTML page"
fi

http GET /services/nothing
expect_json "an unknown path is a 404 NOT_FOUND" 404 \
    '.[0].errorCode == "NOT_FOUND"'

http POST /services/oauth2/token -d grant_type=password
expect_oauth "another grant is unsupported_grant_type" \
    unsupported_grant_type "grant type not supported"

soap BAD "<readMetadata xmlns=\"$ns\"><type>ExternalClientApplication\
</type><fullNames>x</fullNames></readMetadata>"
expect_text "a bad session is a SOAP fault INVALID_SESSION_ID" 500 \
    '<faultcode>sf:INVALID_SESSION_ID</faultcode>'

http POST /services/Soap/m/64.0 -H 'Content-Type: text/xml' \
    --data-binary @"$scratch/envelope"
expect_text "a SOAP call without SOAPAction is a client fault" 500 \
    'No SOAPAction header!'

http GET /services/data/v64.0/query -G \
    --data-urlencode "q=SELECT Id FROM User" -H 'Authorization: Bearer BAD'
expect_json "REST refuses a bad session with 401" 401 \
    '.[0].errorCode == "INVALID_SESSION_ID"'

http GET /services/data/v64.0/query -G -H 'Authorization: Bearer ADMIN' \
    --data-urlencode "q=SELECT Id, Username FROM User WHERE Username = '$ci'"
expect_json "a query finds a user by username" 200 \
    ".totalSize == 1 and .records[0].Username == \"$ci\""

# The app, pre-authorised through the System Administrator profile.
eca_package "$scratch/app1" app1 "$key1" "System Administrator" ""
deploy ADMIN "$scratch/app1"
expect_deploy "an ECA of five components deploys" Succeeded
[ "$(xml_value numberComponentsDeployed)" = 5 ] &&
    ok "checkDeployStatus counts the five components" ||
    not_ok "checkDeployStatus counts the five components"

login "$key1" "$ci" "$test_aud"
expect_oauth "a new app is invalid_client_id while it propagates" \
    invalid_client_id "client identifier invalid"

login_when_propagated "$key1" "$ci" "$test_aud"
expect_json "the JWT bearer flow logs the user in" 200 \
    "(.access_token | test(\"^00D[A-Za-z0-9]{12}!\")) and
     .instance_url == \"$url\" and .token_type == \"Bearer\" and
     (.id | endswith(\"/00D000000000001AAA/\" + \"005000000000001AAA\"))"
session=$(jq -r .access_token "$scratch/body")

http GET /services/oauth2/userinfo -H "Authorization: Bearer $session"
expect_json "the access token is a session for REST" 200 \
    ".preferred_username == \"$ci\""

login "K_unknown" "$ci" "$test_aud"
expect_oauth "an unknown iss is invalid_client_id" \
    invalid_client_id "client identifier invalid"

login "$key1" "$ci" "$test_aud" "$scratch/other.pem"
expect_oauth "a signature by another key is invalid assertion" \
    invalid_grant "invalid assertion"

login "$key1" "$ci" "$login"
expect_oauth "a sandbox refuses the production audience" \
    invalid_grant "audience is invalid"

token "$(jwt "$key1" "$ci" "$test_aud" $(($(date +%s) - 600)) \
    "$scratch/key.pem")"
expect_oauth "an expired assertion is expired authorization code" \
    invalid_grant "expired authorization code"

login "$key1" "nobody@acme.example.uat" "$test_aud"
expect_oauth "an unknown user is invalid assertion" \
    invalid_grant "invalid assertion"

login "$key1" "dev@acme.example.uat" "$test_aud"
expect_oauth "a user outside the pre-authorised profile is refused" \
    invalid_grant "user hasn't approved this consumer"

token "not.a-jwt"
expect_oauth "a malformed assertion is invalid assertion" \
    invalid_grant "invalid assertion"

token "$(jwt "$key1" "$ci" "$test_aud" $(($(date +%s) + 180)) \
    "$scratch/key.pem" HS256)"
expect_oauth "an algorithm other than RS256 is invalid assertion" \
    invalid_grant "invalid assertion"

soap "$session" "<readMetadata xmlns=\"$ns\"><type>ExternalClientApplication\
</type><fullNames>app1</fullNames><fullNames>nothing</fullNames>\
</readMetadata>"
record='<records xsi:type="ExternalClientApplication">'
if [ "$status" = 200 ] &&
    grep -qF "$record<fullName>app1</fullName>" "$scratch/body" &&
    grep -qF '<orgScopedExternalApp>00D000000000001AAA:app1<' \
        "$scratch/body" &&
    grep -qF "${record%>}/>" "$scratch/body"; then
    ok "readMetadata returns the app, and an empty record for a missing one"
else
    not_ok "readMetadata returns the app, and an empty record for a missing one"
fi

http GET /_fake/apps
expect_json "/_fake/apps lists the app with its key and profile" 200 \
    ".[0].name == \"app1\" and .[0].kind == \"eca\" and
     .[0].consumer_key == \"$key1\" and
     .[0].profiles == [\"System Administrator\"]"
http GET /_fake/logins
expect_json "/_fake/logins counts the successful login" 200 '.app1 == 1'

# Failures of a deploy, each reported as Salesforce does.
eca_package "$scratch/app2" app2 "$key1" "System Administrator" ""
deploy ADMIN "$scratch/app2"
expect_deploy "a key another app holds is taken" Failed \
    "The consumer key is already taken"

eca_package "$scratch/app1b" app1 "$key1" "System Administrator" ""
deploy ADMIN "$scratch/app1b"
expect_deploy "an update that sets the key is refused" Failed \
    "You cannot provide a Consumer Key"

eca_package "$scratch/order" app2 "$key2" "System Administrator" ""
sed -i -e 's:<contactEmail>\(.*\)</contactEmail>::' \
    -e 's:</label>:</label><contactEmail>x@acme.example</contactEmail>:' \
    "$scratch/order/externalClientApps/app2.eca"
deploy ADMIN "$scratch/order"
expect_deploy "elements out of order are invalid at this location" Failed \
    "Element {$ns}contactEmail invalid at this location in type \
ExternalClientApplication"

eca_package "$scratch/missing" app2 "$key2" "System Administrator" ""
rm "$scratch/missing/extlClntAppPolicies/app2Plcy.ecaPlcy"
deploy ADMIN "$scratch/missing"
expect_deploy "a member missing from the zip fails" Failed \
    "was named in package.xml, but was not found in zipped directory"

eca_package "$scratch/link" app2 "$key2" "System Administrator" ""
sed -i 's:</label>:</label><oauthLink>x</oauthLink>:' \
    "$scratch/link/extlClntAppOauthSettings/app2OAuth.ecaOauth"
deploy ADMIN "$scratch/link"
expect_deploy "oauthLink is refused" Failed "oauthLink"

eca_package "$scratch/broken" broken_app "$key2" "System Administrator" ""
deploy ADMIN "$scratch/broken"
expect_deploy "--fail-component fails the component named" Failed \
    "The app is broken"

rm -rf "$scratch/ca"
mkdir -p "$scratch/ca/connectedApps"
cat >"$scratch/ca/connectedApps/legacy.connectedApp" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="$ns">
    <contactEmail>ci@acme.example.uat</contactEmail>
    <label>legacy</label>
    <oauthConfig>
        <callbackUrl>http://localhost:1717/OauthRedirect</callbackUrl>
        <consumerKey>$key2</consumerKey>
        <isAdminApproved>true</isAdminApproved>
        <scopes>Api</scopes>
        <scopes>RefreshToken</scopes>
    </oauthConfig>
    <profileName>System Administrator</profileName>
</ConnectedApp>
EOF
manifest "$scratch/ca/package.xml" ConnectedApp:legacy
deploy ADMIN "$scratch/ca"
expect_deploy "a new Connected App is refused since Spring '26" Failed \
    "You can't create a connected app"

# Pre-authorisation through a permission set.
eca_package "$scratch/app3" app3 "$key3" "" CI_Login
deploy ADMIN "$scratch/app3" \
    "<checkOnly>true</checkOnly><rollbackOnError>true</rollbackOnError>\
<singlePackage>true</singlePackage>"
expect_deploy "a checkOnly deploy validates" Succeeded
http GET /_fake/apps
expect_json "a checkOnly deploy changes nothing" 200 \
    '[.[] | select(.name == "app3")] == []'
deploy ADMIN "$scratch/app3"
login_when_propagated "$key3" "ops@acme.example.uat" "$test_aud"
expect_json "a permission set pre-authorises its users" 200 \
    '.access_token | startswith("00D")'

# Removing apps.
soap ADMIN "<deleteMetadata xmlns=\"$ns\"><type>ExternalClientApplication\
</type><fullNames>app1</fullNames></deleteMetadata>"
expect_text "deleteMetadata removes the app" 200 \
    '<fullName>app1</fullName><success>true</success>'
login "$key1" "$ci" "$test_aud"
expect_oauth "a deleted app's key is invalid_client_id" \
    invalid_client_id "client identifier invalid"
soap ADMIN "<deleteMetadata xmlns=\"$ns\"><type>ExternalClientApplication\
</type><fullNames>app1</fullNames></deleteMetadata>"
expect_text "deleting a missing app is an error" 200 \
    'no ExternalClientApplication named app1 found'

rm -rf "$scratch/destroy"
mkdir -p "$scratch/destroy"
manifest "$scratch/destroy/package.xml"
manifest "$scratch/destroy/destructiveChanges.xml" \
    ExternalClientApplication:app3
deploy ADMIN "$scratch/destroy"
expect_deploy "destructiveChanges.xml deletes an app" Succeeded
http GET /_fake/apps
expect_json "no app is left, nor any setting" 200 '. == []'

deploy ADMIN "$scratch/destroy"
expect_deploy "deleting a missing component is a warning that fails" \
    Failed "<problem>No ExternalClientApplication named: app3 found\
</problem><problemType>Warning</problemType>"
deploy ADMIN "$scratch/destroy" "$default_options\
<ignoreWarnings>true</ignoreWarnings>"
expect_deploy "ignoreWarnings lets such a deploy succeed" Succeeded

# Salesforce makes the key of a new app deployed without one.
eca_package "$scratch/nokey" nokey "" "System Administrator" ""
deploy ADMIN "$scratch/nokey"
http GET /_fake/apps
expect_json "a new app without a consumer key gets one" 200 \
    '.[0].name == "nokey" and (.[0].consumer_key | startswith("3MVG9"))'

# Without rollbackOnError, what is valid goes in.
eca_package "$scratch/partial" partial "$key2" "System Administrator" ""
sed -i 's:<isEnabled>true:<isEnabled>maybe:' \
    "$scratch/partial/extlClntAppPolicies/partialPlcy.ecaPlcy"
deploy ADMIN "$scratch/partial" '<singlePackage>true</singlePackage>'
expect_deploy "without rollbackOnError a deploy succeeds in part" \
    SucceededPartial "'maybe' is not a valid value for the type xsd:boolean"

http GET /_fake/deploys
expect_json "/_fake/deploys keeps each deploy and its options" 200 \
    '(.[0].options.rollbackOnError == true) and
     ([.[] | select(.options.checkOnly == true)] | length == 1)'

stop_fake "the sandbox fake exits cleanly on SIGTERM, stdout empty"

# ---- a production org ----
start_fake --production --admin-token ADMIN --user "$ci:System Administrator"
eca_package "$scratch/prod" prod "$key1" "System Administrator" ""
deploy ADMIN "$scratch/prod" \
    "<rollbackOnError>true</rollbackOnError><singlePackage>true</singlePackage>\
<testLevel>NoTestRun</testLevel>"
expect_deploy "production refuses testLevel NoTestRun" Failed \
    "testLevel of NoTestRun cannot be used in production organizations"
deploy ADMIN "$scratch/prod" "<singlePackage>true</singlePackage>"
expect_deploy "production refuses a deploy without rollbackOnError" Failed \
    "rollbackOnError"
deploy ADMIN "$scratch/prod"
expect_deploy "production takes a deploy without testLevel" Succeeded
login "$key1" "$ci" "$test_aud"
expect_oauth "production refuses the sandbox audience" \
    invalid_grant "audience is invalid"
login "$key1" "$ci" "$login"
expect_json "production logs in with the login audience" 200 \
    '.id | startswith("https://login.salesforce.com/id/")'
stop_fake "the production fake exits cleanly on SIGTERM"

tap_finish
