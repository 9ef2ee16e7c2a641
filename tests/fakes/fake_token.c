#include "fake_salesforce.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JWT_BEARER "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define CLOCK_SKEW_MS 60000
#define LOGIN_AUDIENCE "https://login.salesforce.com"
#define TEST_AUDIENCE "https://test.salesforce.com"

/* An OAuth error as the token endpoint answers it. */
struct oauth_error {
    unsigned int status;
    const char *error;
    const char *description;
};

static const struct oauth_error unsupported_grant = {
    400, "unsupported_grant_type", "grant type not supported"};
static const struct oauth_error invalid_assertion = {400, "invalid_grant",
                                                     "invalid assertion"};
static const struct oauth_error invalid_client = {400, "invalid_client_id",
                                                  "client identifier invalid"};
static const struct oauth_error invalid_audience = {400, "invalid_grant",
                                                    "audience is invalid"};
static const struct oauth_error expired = {400, "invalid_grant",
                                           "expired authorization code"};
static const struct oauth_error not_approved = {
    400, "invalid_grant", "user hasn't approved this consumer"};
static const struct oauth_error no_refresh_scope = {
    400, "invalid_request",
    "refresh_token scope is required and the connected app should be "
    "installed and preauthorized."};

/* A JWT split and decoded; signed is "header.payload" as received. */
struct jwt {
    json_t *header;
    json_t *claims;
    unsigned char *signature;
    size_t signature_len;
    const char *signed_part;
    size_t signed_len;
};

static json_t *segment_json(const char *text, size_t len)
{
    size_t decoded_len;
    unsigned char *decoded = fake_base64_decode(text, len, true, &decoded_len);
    json_t *json;

    if (decoded == NULL)
        return NULL;
    json = json_loadb((const char *)decoded, decoded_len, 0, NULL);
    free(decoded);
    if (json != NULL && !json_is_object(json)) {
        json_decref(json);
        return NULL;
    }
    return json;
}

static void jwt_release(struct jwt *jwt)
{
    json_decref(jwt->header);
    json_decref(jwt->claims);
    free(jwt->signature);
    memset(jwt, 0, sizeof(*jwt));
}

/* Splits header.payload.signature, each base64url; false if malformed. */
static bool jwt_parse(const char *assertion, struct jwt *out)
{
    const char *dot1 = strchr(assertion, '.');
    const char *dot2 = dot1 != NULL ? strchr(dot1 + 1, '.') : NULL;
    const char *end = assertion + strlen(assertion);

    memset(out, 0, sizeof(*out));
    if (dot2 == NULL || strchr(dot2 + 1, '.') != NULL)
        return false;

    out->header = segment_json(assertion, (size_t)(dot1 - assertion));
    out->claims = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
    out->signature = fake_base64_decode(dot2 + 1, (size_t)(end - dot2 - 1),
                                        true, &out->signature_len);
    out->signed_part = assertion;
    out->signed_len = (size_t)(dot2 - assertion);
    if (out->header == NULL || out->claims == NULL || out->signature == NULL) {
        jwt_release(out);
        return false;
    }
    return true;
}

static const char *claim_string(const struct jwt *jwt, const char *name)
{
    return json_string_value(json_object_get(jwt->claims, name));
}

/* RS256: RSASSA-PKCS1-v1_5 with SHA-256, by the certificate's RSA key. */
static bool signature_valid(const struct jwt *jwt, const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = cert != NULL ? X509_get0_pubkey(cert) : NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool valid;

    valid = key != NULL && ctx != NULL && EVP_PKEY_is_a(key, "RSA") &&
            EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
            EVP_DigestVerify(ctx, jwt->signature, jwt->signature_len,
                             (const unsigned char *)jwt->signed_part,
                             jwt->signed_len) == 1;

    EVP_MD_CTX_free(ctx);
    X509_free(cert);
    BIO_free(bio);
    ERR_clear_error();
    return valid;
}

/* aud may be one string or an array of them (RFC 7519). */
static bool audience_valid(const struct jwt *jwt, const char *expected)
{
    json_t *aud = json_object_get(jwt->claims, "aud");
    size_t i;
    json_t *item;

    if (json_is_string(aud))
        return strcmp(json_string_value(aud), expected) == 0;
    json_array_foreach(aud, i, item)
    {
        if (json_is_string(item) &&
            strcmp(json_string_value(item), expected) == 0)
            return true;
    }
    return false;
}

/* exp has no upper bound: Salesforce CLI sends milliseconds. */
static bool expiry_valid(const struct jwt *jwt, int64_t now)
{
    json_t *exp = json_object_get(jwt->claims, "exp");

    return json_is_number(exp) &&
           json_number_value(exp) * 1000.0 >= (double)(now - CLOCK_SKEW_MS);
}

static bool app_propagating(const struct fake_org *org,
                            const struct fake_app *app, int64_t now)
{
    return now < app->deployed_at_ms + org->propagation_ms;
}

/* The claims after the signature, in Salesforce's order. */
static const struct oauth_error *claims_check(const struct fake_org *org,
                                              const struct jwt *jwt,
                                              const struct fake_app *app,
                                              const struct fake_user **user)
{
    const char *subject = claim_string(jwt, "prn");

    if (!audience_valid(jwt, org->production ? LOGIN_AUDIENCE : TEST_AUDIENCE))
        return &invalid_audience;
    if (!expiry_valid(jwt, clock_ms()))
        return &expired;
    /* The older prn claim wins over sub. */
    if (subject == NULL)
        subject = claim_string(jwt, "sub");
    *user = subject != NULL ? org_user_find(org, subject) : NULL;
    if (*user == NULL)
        return &invalid_assertion;
    if (!app_authorizes(app, *user))
        return &not_approved;
    if (!words_contain(app->scopes, "RefreshToken"))
        return &no_refresh_scope;
    return NULL;
}

/*
 * Checks an assertion in the order of Salesforce: shape, algorithm,
 * issuer, signature, then the claims.  Fills app (to release) once the
 * issuer is known.  Returns NULL when the login succeeds.
 */
static const struct oauth_error *
jwt_check(const struct fake_org *org, const struct jwt *jwt,
          struct fake_app *app, bool *app_loaded, const struct fake_user **user)
{
    const char *alg = json_string_value(json_object_get(jwt->header, "alg"));
    const char *issuer = claim_string(jwt, "iss");

    if (alg == NULL || strcmp(alg, "RS256") != 0)
        return &invalid_assertion;
    if (issuer == NULL)
        return &invalid_client;
    *app_loaded = app_find_by_key(org, issuer, app);
    if (!*app_loaded || !app->oauth_enabled ||
        app_propagating(org, app, clock_ms()))
        return &invalid_client;
    if (app->certificate == NULL || !signature_valid(jwt, app->certificate))
        return &invalid_assertion;
    return claims_check(org, jwt, app, user);
}

/* The OAuth scope names of the app's scopes, as the response lists them. */
static char *scope_text(const struct fake_app *app)
{
    static const char *const names[][2] = {
        {"Address", "address"},
        {"Api", "api"},
        {"Basic", "id"},
        {"Chatter", "chatter_api"},
        {"CustomPermissions", "custom_permissions"},
        {"Email", "email"},
        {"Full", "full"},
        {"OfflineAccess", "offline_access"},
        {"OpenID", "openid"},
        {"Phone", "phone"},
        {"Profile", "profile"},
        {"RefreshToken", "refresh_token"},
        {"Web", "web"},
    };
    char *text = xstrdup("");

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char *longer;

        if (!words_contain(app->scopes, names[i][0]))
            continue;
        longer =
            xprintf("%s%s%s", text, text[0] != '\0' ? " " : "", names[i][1]);
        free(text);
        text = longer;
    }
    return text;
}

/* Opens a session for the user through the app and answers its token. */
static void login_succeed(struct fake_org *org, const struct fake_app *app,
                          const struct fake_user *user,
                          struct fake_response *res)
{
    char secret[97];
    char *token, *scope, *id, *issued_at;
    bool api =
        words_contain(app->scopes, "Api") || words_contain(app->scopes, "Full");

    random_text(secret, sizeof(secret) - 1);
    token = xprintf("%.15s!%s", org->org_id, secret);
    org_session_add(org, token, user, api);
    org_login_count(org, app->name);

    scope = scope_text(app);
    id =
        xprintf("%s/id/%s/%s", org->production ? LOGIN_AUDIENCE : TEST_AUDIENCE,
                org->org_id, user->id);
    issued_at = xprintf("%lld", (long long)clock_ms());
    response_json(res, 200,
                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "access_token",
                            token, "scope", scope, "instance_url",
                            org->instance_url, "id", id, "token_type", "Bearer",
                            "issued_at", issued_at));
    free(issued_at);
    free(id);
    free(scope);
    OPENSSL_cleanse(secret, sizeof(secret));
    OPENSSL_cleanse(token, strlen(token));
    free(token);
}

static void jwt_login(struct fake_org *org, const char *assertion,
                      struct fake_response *res)
{
    struct jwt jwt;
    struct fake_app app;
    bool app_loaded = false;
    const struct fake_user *user = NULL;
    const struct oauth_error *error;

    if (assertion == NULL || !jwt_parse(assertion, &jwt)) {
        response_oauth_error(res, invalid_assertion.status,
                             invalid_assertion.error,
                             invalid_assertion.description);
        return;
    }

    error = jwt_check(org, &jwt, &app, &app_loaded, &user);
    if (error != NULL)
        response_oauth_error(res, error->status, error->error,
                             error->description);
    else
        login_succeed(org, &app, user, res);

    if (app_loaded)
        app_release(&app);
    jwt_release(&jwt);
}

/* What Salesforce serves while an instance is down for maintenance. */
static void maintenance_answer(struct fake_response *res)
{
    static const char page[] =
        "<!DOCTYPE html>\n<html><head><title>Salesforce - Maintenance"
        "</title></head>\n<body><h1>Down for maintenance</h1>\n"
        "<p>Salesforce is down for scheduled maintenance. Please try again "
        "later.</p></body></html>\n";

    response_set(res, 503, "text/html;charset=UTF-8", page, sizeof(page) - 1);
}

void token_handle(struct fake_org *org, const struct fake_request *req,
                  struct fake_response *res)
{
    const char *type = request_header(req, "Content-Type");
    char *grant, *assertion;

    org->token_requests++;
    if (org->token_requests <= org->token_fail) {
        maintenance_answer(res);
        return;
    }

    /* Only a form POST carries a grant; anything else has none. */
    if (strcmp(req->method, "POST") != 0 || type == NULL ||
        strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0) {
        response_oauth_error(res, unsupported_grant.status,
                             unsupported_grant.error,
                             unsupported_grant.description);
        return;
    }
    grant = form_value(req->body, req->body_len, "grant_type");
    assertion = form_value(req->body, req->body_len, "assertion");
    if (grant == NULL || strcmp(grant, JWT_BEARER) != 0)
        response_oauth_error(res, unsupported_grant.status,
                             unsupported_grant.error,
                             unsupported_grant.description);
    else
        jwt_login(org, assertion, res);
    free(grant);
    free(assertion);
}
