#include "salesforce.h"

#include "errors.h"
#include "jwt.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JWT_GRANT "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"

void sf_session_release(struct sf_session *session)
{
    secret_free(session->access_token);
    free(session->instance_url);
    free(session->username);
    free(session->org_id);
    free(session->user_id);
    memset(session, 0, sizeof(*session));
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
    size_t n = strlen(suffix);

    return len >= n && strncmp(s + len - n, suffix, n) == 0;
}

const char *sf_audience_for(const char *login_url)
{
    const char *host = strstr(login_url, "://");
    size_t len;

    host = host != NULL ? host + 3 : login_url;
    len = strcspn(host, ":/?#");
    if ((len == 19 && strncmp(host, "test.salesforce.com", 19) == 0) ||
        ends_with(host, len, ".sandbox.my.salesforce.com"))
        return SF_TEST_AUDIENCE;
    return SF_LOGIN_AUDIENCE;
}

/* The URL of path on base, without a doubled '/'. */
static int url_join(const char *base, const char *path, struct buf *out)
{
    size_t len = strlen(base);

    while (len > 0 && base[len - 1] == '/')
        len--;
    if (buf_append(out, base, len) < 0)
        return SFCI_EFAIL;
    return buf_puts(out, path);
}

static bool matches(const struct sf_token_error *f, const char *words)
{
    return strstr(f->description, words) != NULL;
}

bool sf_token_error_is_propagating(const struct sf_token_error *f)
{
    return strcmp(f->error, "invalid_client_id") == 0 ||
           matches(f, "hasn't approved this consumer") ||
           matches(f, "not installed in this org");
}

/* Turns what the token endpoint said into a message with the fix. */
static int token_refusal(const struct sf_jwt *jwt,
                         const struct sf_token_error *f)
{
    const char *u = jwt->username;

    if (strcmp(f->error, "invalid_client_id") == 0)
        return error_set(SFCI_EAUTH,
                         "Salesforce does not know the consumer key (client "
                         "identifier invalid): check SFDX_CLIENT_ID, or wait "
                         "a few minutes after a deploy");
    if (matches(f, "hasn't approved this consumer") ||
        matches(f, "not admin approved"))
        return error_set(SFCI_EAUTH,
                         "'%s' is not pre-authorised for the app (%s): give "
                         "the user the profile or permission set the app "
                         "names (sfci provision --profile or "
                         "--permission-set)",
                         u, f->description);
    if (matches(f, "not installed in this org"))
        return error_set(SFCI_EAUTH,
                         "the app is not installed in the org of '%s' (%s): "
                         "after a sandbox refresh, run sfci provision again",
                         u, f->description);
    if (matches(f, "audience is invalid"))
        return error_set(SFCI_EAUTH,
                         "Salesforce refused both login audiences (audience "
                         "is invalid): set SF_AUDIENCE_URL to the one the org "
                         "expects");
    if (matches(f, "expired authorization code"))
        return error_set(SFCI_EAUTH,
                         "Salesforce found the login expired (expired "
                         "authorization code): set this machine's clock");
    if (matches(f, "invalid assertion"))
        return error_set(SFCI_EAUTH,
                         "Salesforce refused the signed login of '%s' "
                         "(invalid assertion): the key does not match the "
                         "app's certificate, or the user is not in that org",
                         u);
    if (strcmp(f->error, "inactive_user") == 0 ||
        strcmp(f->error, "inactive_org") == 0)
        return error_set(SFCI_EAUTH, "Salesforce refused '%s' (%s): %s", u,
                         f->error, f->description);
    return error_set(SFCI_EAUTH,
                     "Salesforce refused the login of '%s' (%s: %s)", u,
                     f->error[0] ? f->error : "no error code",
                     f->description[0] ? f->description : "no description");
}

static void copy_field(json_t *object, const char *key, char *dst, size_t size)
{
    const char *value = json_string_value(json_object_get(object, key));

    snprintf(dst, size, "%s", value != NULL ? value : "");
}

/* Reads a refusal: {"error": "...", "error_description": "..."}. */
static void token_error_read(const struct http_response *response,
                             struct sf_token_error *f)
{
    json_t *body =
        json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);

    memset(f, 0, sizeof(*f));
    f->status = response->status;
    copy_field(body, "error", f->error, sizeof(f->error));
    copy_field(body, "error_description", f->description,
               sizeof(f->description));
    json_decref(body);
}

static char *string_dup(json_t *object, const char *key)
{
    const char *value = json_string_value(json_object_get(object, key));

    return value != NULL ? strdup(value) : NULL;
}

/* Reads a granted session; the ids come from ".../id/<org>/<user>". */
static int session_read(const struct http_response *response,
                        const char *username, struct sf_session *out)
{
    json_t *body =
        json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);
    const char *id = json_string_value(json_object_get(body, "id"));
    const char *ids = id != NULL ? strstr(id, "/id/") : NULL;
    int rc = 0;

    out->access_token = string_dup(body, "access_token");
    out->instance_url = string_dup(body, "instance_url");
    out->username = strdup(username);
    if (ids != NULL) {
        ids += 4;
        out->org_id = strndup(ids, strcspn(ids, "/"));
        ids += strcspn(ids, "/");
        out->user_id = strdup(*ids == '/' ? ids + 1 : "");
    }
    if (out->access_token == NULL || out->instance_url == NULL ||
        out->org_id == NULL)
        rc = error_set(SFCI_EFAIL,
                       "the Salesforce token answer lacks access_token, "
                       "instance_url or id: is the login URL a Salesforce "
                       "one?");
    else if (http_url_check(out->instance_url) < 0)
        rc = error_set(SFCI_EFAIL,
                       "Salesforce answered an instance URL that is not "
                       "https: '%s'",
                       out->instance_url);
    json_decref(body);
    return rc;
}

/* One try at the token endpoint with one audience. */
static int token_request(struct http_client *http, const struct sf_jwt *jwt,
                         const char *audience, struct http_response *response)
{
    struct jwt_claims claims = {
        .issuer = jwt->client_id,
        .subject = jwt->username,
        .audience = audience,
        .expires = time(NULL) + JWT_LIFETIME,
    };
    static const char *const headers[] = {
        "Content-Type: application/x-www-form-urlencoded",
        "Accept: application/json",
        NULL,
    };
    struct buf url = BUF_INIT, body = BUF_INIT;
    struct http_request request = {
        .method = "POST",
        .headers = headers,
        .body_secret = true,
        .response_secret = true,
    };
    int rc;

    rc = url_join(jwt->login_url, "/services/oauth2/token", &url);
    if (rc == 0)
        rc = buf_puts(&body, "grant_type=" JWT_GRANT "&assertion=");
    if (rc == 0)
        rc = jwt_sign(jwt->key, &claims, &body);
    if (rc == 0) {
        request.url = url.data;
        request.body = body.data;
        request.body_len = body.len;
        rc = http_send(http, &request, response);
    }

    buf_release(&url);
    buf_release(&body);
    return rc;
}

int sf_login_jwt(struct http_client *http, const struct sf_jwt *jwt,
                 struct sf_session *out, struct sf_token_error *failure)
{
    const char *audience = jwt->audience;
    struct http_response response = {0};
    struct sf_token_error refusal;
    bool fallback = audience == NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if (audience == NULL)
        audience = sf_audience_for(jwt->login_url);

    for (;;) {
        rc = token_request(http, jwt, audience, &response);
        if (rc < 0)
            goto out;
        if (response.status == 200) {
            rc = session_read(&response, jwt->username, out);
            goto out;
        }
        token_error_read(&response, &refusal);
        /* The audience rules changed over time: try the other one once. */
        if (!fallback ||
            strstr(refusal.description, "audience is invalid") == NULL)
            break;
        fallback = false;
        audience = strcmp(audience, SF_TEST_AUDIENCE) == 0 ? SF_LOGIN_AUDIENCE
                                                           : SF_TEST_AUDIENCE;
        http_response_release(&response);
    }

    if (failure != NULL)
        *failure = refusal;
    if (response.status >= 500 || refusal.error[0] == '\0')
        rc = error_set(SFCI_EFAIL,
                       "the Salesforce login at '%s' answered %ld: try again "
                       "later, or check the login URL",
                       jwt->login_url, response.status);
    else
        rc = token_refusal(jwt, &refusal);

out:
    http_response_release(&response);
    return rc;
}

/* --- SOAP Metadata API ------------------------------------------------ */

#define METADATA_NS "http://soap.sforce.com/2006/04/metadata"

void sf_deploy_result_release(struct sf_deploy_result *r)
{
    size_t i;

    free(r->id);
    free(r->status);
    free(r->error_message);
    for (i = 0; i < r->failure_count; i++) {
        free(r->failures[i].type);
        free(r->failures[i].full_name);
        free(r->failures[i].problem);
    }
    free(r->failures);
    memset(r, 0, sizeof(*r));
}

/* Appends text with the five XML special characters escaped. */
static int xml_escape(const char *text, struct buf *out)
{
    int rc = 0;

    for (; *text != '\0' && rc == 0; text++) {
        switch (*text) {
        case '<':
            rc = buf_puts(out, "&lt;");
            break;
        case '>':
            rc = buf_puts(out, "&gt;");
            break;
        case '&':
            rc = buf_puts(out, "&amp;");
            break;
        case '"':
            rc = buf_puts(out, "&quot;");
            break;
        case '\'':
            rc = buf_puts(out, "&apos;");
            break;
        default:
            rc = buf_putc(out, *text);
        }
    }
    return rc;
}

/* Wraps body (the operation element) in an envelope with the session. */
static int soap_envelope(const struct sf_session *admin, const char *body,
                         struct buf *out)
{
    int rc =
        buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                      "<env:Envelope xmlns:env=\"http://schemas.xmlsoap.org/"
                      "soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/"
                      "XMLSchema-instance\"><env:Header><SessionHeader "
                      "xmlns=\"" METADATA_NS "\"><sessionId>");
    if (rc == 0)
        rc = xml_escape(admin->access_token, out);
    if (rc == 0)
        rc = buf_printf(out,
                        "</sessionId></SessionHeader></env:Header>"
                        "<env:Body>%s</env:Body></env:Envelope>",
                        body);
    return rc;
}

/* The first element called name (any namespace) under node, or NULL. */
static xmlNodePtr xml_find(xmlNodePtr node, const char *name)
{
    for (; node != NULL; node = node->next) {
        xmlNodePtr found;
        if (node->type == XML_ELEMENT_NODE &&
            xmlStrcmp(node->name, BAD_CAST name) == 0)
            return node;
        found = xml_find(node->children, name);
        if (found != NULL)
            return found;
    }
    return NULL;
}

/* The text of the first element called name under node, or NULL. */
static char *xml_text(xmlNodePtr node, const char *name)
{
    xmlNodePtr found = xml_find(node, name);
    xmlChar *content;
    char *text;

    if (found == NULL)
        return NULL;
    content = xmlNodeGetContent(found);
    text = content != NULL ? strdup((const char *)content) : NULL;
    xmlFree(content);
    return text;
}

/*
 * Posts one SOAP call and parses the answer into *doc.  A fault becomes
 * an error: INVALID_SESSION_ID is SFCI_EAUTH, anything else SFCI_EFAIL
 * with Salesforce's faultstring.
 */
static int soap_call(struct http_client *http, const struct sf_session *admin,
                     const char *api_version, const char *body, bool secret,
                     xmlDocPtr *doc)
{
    static const char *const headers[] = {
        "Content-Type: text/xml; charset=UTF-8",
        "SOAPAction: \"\"",
        NULL,
    };
    struct buf url = BUF_INIT, envelope = BUF_INIT;
    struct http_response response = {0};
    struct http_request request = {
        .method = "POST",
        .headers = headers,
        /* A SOAP fault is a 500: only try again when no answer came. */
        .retry = HTTP_RETRY_NETWORK | HTTP_RETRY_429 | HTTP_RETRY_5XX,
        .body_secret = secret,
    };
    struct buf path = BUF_INIT;
    char *fault_code = NULL, *fault = NULL;
    int rc;

    *doc = NULL;
    rc = buf_printf(&path, "/services/Soap/m/%s", api_version);
    if (rc == 0)
        rc = url_join(admin->instance_url, path.data, &url);
    if (rc == 0)
        rc = soap_envelope(admin, body, &envelope);
    if (rc == 0) {
        request.url = url.data;
        request.body = envelope.data;
        request.body_len = envelope.len;
        rc = http_send(http, &request, &response);
    }
    if (rc < 0)
        goto out;

    *doc = xmlReadMemory(
        buf_cstr(&response.body), (int)response.body.len, NULL, NULL,
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (*doc == NULL) {
        rc = error_set(SFCI_EFAIL,
                       "the Metadata API at '%s' answered %ld without SOAP: "
                       "is the instance URL right?",
                       admin->instance_url, response.status);
        goto out;
    }
    fault_code = xml_text(xmlDocGetRootElement(*doc), "faultcode");
    fault = xml_text(xmlDocGetRootElement(*doc), "faultstring");
    if (fault_code != NULL && strstr(fault_code, "INVALID_SESSION_ID") != NULL)
        rc = error_set(SFCI_EAUTH,
                       "Salesforce refused the admin session of '%s' "
                       "(INVALID_SESSION_ID): log in again with 'sf org "
                       "login web', or renew SF_ACCESS_TOKEN",
                       admin->instance_url);
    else if (fault_code != NULL || response.status != 200)
        rc = error_set(SFCI_EFAIL, "the Metadata API refused the call (%s)",
                       fault != NULL ? fault : "no fault text");
    if (rc < 0) {
        xmlFreeDoc(*doc);
        *doc = NULL;
    }

out:
    free(fault_code);
    free(fault);
    http_response_release(&response);
    buf_release(&path);
    buf_release(&url);
    buf_release(&envelope);
    return rc;
}

static int base64_encode(const struct buf *data, struct buf *out)
{
    size_t len = 4 * ((data->len + 2) / 3);
    int rc = buf_grow(out, len);

    if (rc < 0)
        return rc;
    EVP_EncodeBlock((unsigned char *)out->data + out->len,
                    (const unsigned char *)data->data, (int)data->len);
    out->len += len;
    out->data[out->len] = '\0';
    return 0;
}

static int deploy_start(struct http_client *http,
                        const struct sf_session *admin, const char *api_version,
                        const struct buf *zip, char **id)
{
    struct buf body = BUF_INIT;
    xmlDocPtr doc = NULL;
    int rc;

    rc = buf_puts(&body, "<deploy xmlns=\"" METADATA_NS "\"><ZipFile>");
    if (rc == 0)
        rc = base64_encode(zip, &body);
    /* No testLevel: a package without Apex runs no test, even in prod. */
    if (rc == 0)
        rc = buf_puts(&body, "</ZipFile><DeployOptions>"
                             "<rollbackOnError>true</rollbackOnError>"
                             "<singlePackage>true</singlePackage>"
                             "</DeployOptions></deploy>");
    /* The zip holds the consumer key: keep it out of the trace. */
    if (rc == 0)
        rc = soap_call(http, admin, api_version, body.data, true, &doc);
    if (rc == 0) {
        *id = xml_text(xmlDocGetRootElement(doc), "id");
        if (*id == NULL)
            rc = error_set(SFCI_EFAIL, "the deploy call answered no id");
    }
    xmlFreeDoc(doc);
    buf_release(&body);
    return rc;
}

static int result_add_failure(struct sf_deploy_result *r, xmlNodePtr node)
{
    struct sf_component_failure *f;
    void *grown =
        realloc(r->failures, (r->failure_count + 1) * sizeof(*r->failures));

    if (grown == NULL)
        return error_oom();
    r->failures = grown;
    f = &r->failures[r->failure_count++];
    f->type = xml_text(node->children, "componentType");
    f->full_name = xml_text(node->children, "fullName");
    f->problem = xml_text(node->children, "problem");
    return 0;
}

/* Reads a DeployResult; true in *done once Salesforce is finished. */
static int result_read(xmlDocPtr doc, struct sf_deploy_result *r, bool *done)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), node;
    char *text = xml_text(root, "done");
    int rc = 0;

    *done = text != NULL && strcmp(text, "true") == 0;
    free(text);
    free(r->status);
    r->status = xml_text(root, "status");
    if (!*done)
        return 0;

    text = xml_text(root, "success");
    r->success = text != NULL && strcmp(text, "true") == 0;
    free(text);
    r->error_message = xml_text(root, "errorMessage");
    for (node = xml_find(root, "componentFailures"); node != NULL && rc == 0;
         node = node->next) {
        if (node->type == XML_ELEMENT_NODE &&
            xmlStrcmp(node->name, BAD_CAST "componentFailures") == 0)
            rc = result_add_failure(r, node);
    }
    return rc;
}

static int deploy_check(struct http_client *http,
                        const struct sf_session *admin, const char *api_version,
                        struct sf_deploy_result *r, bool *done)
{
    struct buf body = BUF_INIT;
    xmlDocPtr doc = NULL;
    int rc;

    rc = buf_printf(&body,
                    "<checkDeployStatus xmlns=\"" METADATA_NS "\">"
                    "<asyncProcessId>%s</asyncProcessId>"
                    "<includeDetails>true</includeDetails>"
                    "</checkDeployStatus>",
                    r->id);
    if (rc == 0)
        rc = soap_call(http, admin, api_version, body.data, false, &doc);
    if (rc == 0)
        rc = result_read(doc, r, done);
    xmlFreeDoc(doc);
    buf_release(&body);
    return rc;
}

/* One line naming every failure: "Type name: problem; ...". */
static int deploy_failure(const struct sf_deploy_result *r)
{
    struct buf text = BUF_INIT;
    size_t i;

    if (r->error_message != NULL)
        buf_printf(&text, "%s", r->error_message);
    for (i = 0; i < r->failure_count; i++) {
        const struct sf_component_failure *f = &r->failures[i];
        buf_printf(&text, "%s%s '%s': %s", text.len > 0 ? "; " : "",
                   f->type ? f->type : "component",
                   f->full_name ? f->full_name : "?",
                   f->problem ? f->problem : "no message");
    }
    for (i = 0; i < text.len; i++) {
        if (text.data[i] == '\n' || text.data[i] == '\r')
            text.data[i] = ' ';
    }
    error_set(SFCI_EFAIL, "the deploy %s ended %s: %s", r->id,
              r->status ? r->status : "unsuccessfully",
              text.len > 0 ? text.data : "Salesforce gave no reason");
    buf_release(&text);
    return SFCI_EFAIL;
}

static long monotonic_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&t, &t) < 0)
        ;
}

int sf_deploy(struct http_client *http, const struct sf_session *admin,
              const char *api_version, const struct buf *zip, long timeout_ms,
              sf_deploy_progress progress, void *progress_data,
              struct sf_deploy_result *result)
{
    long start = monotonic_ms(), wait = 500;
    char *last = NULL;
    bool done = false;
    int rc;

    memset(result, 0, sizeof(*result));
    rc = deploy_start(http, admin, api_version, zip, &result->id);
    while (rc == 0 && !done) {
        if (monotonic_ms() - start > timeout_ms) {
            rc = error_set(SFCI_EFAIL,
                           "the deploy %s is still %s after %ld s: see Setup "
                           "> Deployment Status",
                           result->id,
                           result->status ? result->status : "queued",
                           timeout_ms / 1000);
            break;
        }
        sleep_ms(wait);
        wait = wait * 2 > 5000 ? 5000 : wait * 2;
        rc = deploy_check(http, admin, api_version, result, &done);
        if (rc == 0 && progress != NULL && result->status != NULL &&
            (last == NULL || strcmp(last, result->status) != 0)) {
            free(last);
            last = strdup(result->status);
            progress(progress_data, result->status);
        }
    }
    free(last);
    if (rc == 0 && !result->success)
        rc = deploy_failure(result);
    return rc;
}

int sf_delete_metadata(struct http_client *http, const struct sf_session *admin,
                       const char *api_version, const char *type,
                       const char *const *names, size_t count)
{
    struct buf body = BUF_INIT;
    xmlDocPtr doc = NULL;
    xmlNodePtr node;
    size_t i;
    int rc;

    rc = buf_printf(&body,
                    "<deleteMetadata xmlns=\"" METADATA_NS "\">"
                    "<type>%s</type>",
                    type);
    for (i = 0; i < count && rc == 0; i++) {
        rc = buf_puts(&body, "<fullNames>");
        if (rc == 0)
            rc = xml_escape(names[i], &body);
        if (rc == 0)
            rc = buf_puts(&body, "</fullNames>");
    }
    if (rc == 0)
        rc = buf_puts(&body, "</deleteMetadata>");
    if (rc == 0)
        rc = soap_call(http, admin, api_version, body.data, false, &doc);

    /* Each result says success; a missing component counts as gone. */
    for (node = doc ? xml_find(xmlDocGetRootElement(doc), "result") : NULL;
         node != NULL && rc == 0; node = node->next) {
        char *success, *name, *message, *code;
        if (node->type != XML_ELEMENT_NODE)
            continue;
        success = xml_text(node->children, "success");
        name = xml_text(node->children, "fullName");
        message = xml_text(node->children, "message");
        code = xml_text(node->children, "statusCode");
        if ((success == NULL || strcmp(success, "true") != 0) &&
            (code == NULL ||
             strstr(code, "INVALID_CROSS_REFERENCE_KEY") == NULL))
            rc = error_set(SFCI_EFAIL, "cannot delete %s '%s': %s", type,
                           name ? name : "?", message ? message : "no reason");
        free(success);
        free(name);
        free(message);
        free(code);
    }
    xmlFreeDoc(doc);
    buf_release(&body);
    return rc;
}

int sf_metadata_exists(struct http_client *http, const struct sf_session *admin,
                       const char *api_version, const char *type,
                       const char *name, bool *exists)
{
    struct buf body = BUF_INIT;
    xmlDocPtr doc = NULL;
    char *found = NULL;
    int rc;

    *exists = false;
    rc = buf_printf(&body,
                    "<readMetadata xmlns=\"" METADATA_NS "\">"
                    "<type>%s</type><fullNames>",
                    type);
    if (rc == 0)
        rc = xml_escape(name, &body);
    if (rc == 0)
        rc = buf_puts(&body, "</fullNames></readMetadata>");
    if (rc == 0)
        rc = soap_call(http, admin, api_version, body.data, false, &doc);
    /* A missing component comes back as a record without a fullName. */
    if (rc == 0)
        found = xml_text(xmlDocGetRootElement(doc), "fullName");
    *exists = found != NULL && strcmp(found, name) == 0;

    free(found);
    xmlFreeDoc(doc);
    buf_release(&body);
    return rc;
}

/* --- REST ------------------------------------------------------------- */

/* SOQL string literal content: quote and backslash escaped. */
static int soql_escape(const char *text, struct buf *out)
{
    int rc = 0;

    for (; *text != '\0' && rc == 0; text++) {
        if (*text == '\'' || *text == '\\')
            rc = buf_putc(out, '\\');
        if (rc == 0)
            rc = buf_putc(out, *text);
    }
    return rc;
}

int sf_check_user(struct http_client *http, const struct sf_session *admin,
                  const char *api_version, const char *username)
{
    struct buf soql = BUF_INIT, url = BUF_INIT, auth = BUF_INIT;
    struct buf path = BUF_INIT;
    struct http_response response = {0};
    const char *headers[] = {NULL, "Accept: application/json", NULL};
    struct http_request request = {.method = "GET", .headers = headers};
    json_t *body = NULL;
    int rc;

    rc = buf_puts(&soql, "SELECT Id FROM User WHERE Username = '");
    if (rc == 0)
        rc = soql_escape(username, &soql);
    if (rc == 0)
        rc = buf_printf(&path, "/services/data/v%s/query?q=", api_version);
    if (rc == 0)
        rc = http_escape(buf_cstr(&soql), &path);
    if (rc == 0)
        rc = buf_puts(&path, "%27");
    if (rc == 0)
        rc = url_join(admin->instance_url, path.data, &url);
    if (rc == 0)
        rc = buf_printf(&auth, "Authorization: Bearer %s", admin->access_token);
    if (rc == 0) {
        headers[0] = auth.data;
        request.url = url.data;
        rc = http_send(http, &request, &response);
    }
    if (rc < 0)
        goto out;

    if (response.status == 401 || response.status == 403) {
        rc = error_set(SFCI_EAUTH,
                       "Salesforce refused the admin session of '%s' (%ld): "
                       "log in again with 'sf org login web', or renew "
                       "SF_ACCESS_TOKEN",
                       admin->instance_url, response.status);
        goto out;
    }
    body = json_loadb(buf_cstr(&response.body), response.body.len, 0, NULL);
    if (response.status != 200 ||
        !json_is_integer(json_object_get(body, "totalSize"))) {
        rc = error_set(SFCI_EFAIL,
                       "the query for user '%s' at '%s' answered %ld: check "
                       "the instance URL",
                       username, admin->instance_url, response.status);
        goto out;
    }
    if (json_integer_value(json_object_get(body, "totalSize")) < 1)
        rc = error_set(SFCI_EINPUT,
                       "'%s' is not a user of the org at '%s': fix the "
                       "username in the config, or log in to the right org",
                       username, admin->instance_url);

out:
    json_decref(body);
    http_response_release(&response);
    buf_release(&soql);
    buf_release(&path);
    buf_release(&url);
    buf_release(&auth);
    return rc;
}
