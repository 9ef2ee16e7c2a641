/*
 * Jenkins: Secret text credentials, their ID the variable name, in the
 * system store or, with --jenkins-folder, in the store of a folder.
 *
 * Rules, from the Credentials plugin (jenkinsci/credentials-plugin,
 * BaseStandardCredentials.DescriptorImpl.doCheckId, which answers
 * "Unacceptable characters"):
 * - an ID holds only [a-zA-Z0-9_.-];
 * - a value travels in XML 1.0, which has no room for control characters
 *   other than tab and line ends.
 * Neither that plugin nor Plain Credentials limits a secret's length, so
 * no value limit is enforced here.  The bindings mask the value in build
 * logs, hence PROVIDER_MASKED.
 */
#include "errors.h"
#include "http.h"
#include "provider.h"
#include "rules.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JENKINS_ID_CHARS RULES_ALNUM "_.-"

/* Bytes below 0x20 but tab and line ends: XML 1.0 has no room for them. */
static bool value_has_control(const char *value)
{
    const unsigned char *p;

    for (p = (const unsigned char *)value; *p != '\0'; p++)
        if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
            return true;
    return false;
}

static int jenkins_check(const struct provider_target *target, const char *name,
                         const char *value)
{
    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "Jenkins refuses an empty credential "
                                      "ID: give the credential an ID");
    if (!rules_all_in(name, JENKINS_ID_CHARS))
        return error_set(SFCI_EINPUT,
                         "Jenkins refuses the credential ID '%s' (only "
                         "letters, digits, '_', '.' and '-' are allowed): "
                         "rename it",
                         name);
    if (value != NULL && value_has_control(value))
        return error_set(SFCI_EINPUT,
                         "the value of the Jenkins credential '%s' holds a "
                         "control character, which its XML cannot carry: "
                         "remove it",
                         name);
    return rules_check_filled("the Jenkins credential", name, value);
}

/* The store: the system one, or the one of the folder. */
static int jenkins_steps_place(const struct provider_target *target,
                               struct buf *out)
{
    if (target->folder == NULL) {
        if (buf_puts(out, "In Jenkins, select Manage Jenkins > Credentials, "
                          "then System (under\n"
                          "Stores scoped to Jenkins) and Global credentials "
                          "(unrestricted).\n") < 0)
            return SFCI_EFAIL;
        return 0;
    }

    if (buf_printf(out,
                   "In Jenkins, open the folder %s and select "
                   "Credentials.\n"
                   "Select the store of that folder, then Global "
                   "credentials (unrestricted).\n",
                   target->folder) < 0)
        return SFCI_EFAIL;
    return 0;
}

static int jenkins_manual_steps(const struct provider_target *target,
                                struct buf *out)
{
    int rc = jenkins_steps_place(target, out);

    if (rc < 0)
        return rc;
    if (buf_puts(out, "For each variable, select Add Credentials and set:\n"
                      "  Kind: Secret text\n"
                      "  Scope: Global\n"
                      "  Secret: its value\n"
                      "  ID: the variable name, exactly (pipelines look it "
                      "up by ID)\n"
                      "then save it. If the ID is taken, update that "
                      "credential instead.\n") < 0)
        return SFCI_EFAIL;

    if (buf_puts(out, "A Pipeline reads each credential by its ID, NAME "
                      "standing for each\n"
                      "variable name:\n"
                      "  withCredentials([string(credentialsId: 'NAME', "
                      "variable: 'NAME')]) {\n"
                      "      sh 'sfci login'\n"
                      "  }\n"
                      "or, in a declarative Pipeline:\n"
                      "  environment { NAME = credentials('NAME') }\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

/*
 * The session.  Requests, relative to the API root (JENKINS_URL):
 *   preflight  GET whoAmI/api/json, then GET <store>api/json?tree=
 *              credentials[id], whose IDs are kept for the run
 *   write      POST <store>createCredentials (XML) for an ID not in the
 *              list, POST <store>credential/<id>/config.xml (the whole
 *              XML) for one in it; a 409 on create turns into that update
 *   exist      the kept list: no request
 * <store> is credentials/store/system/domain/_/, or job/<a>/job/<b>/
 * credentials/store/folder/domain/_/ for --jenkins-folder a/b.  An API
 * token needs no CSRF crumb.  Errors are HTML pages: only the status is
 * read, and the body only to tell a crumb refusal from a permission one.
 */

#define JENKINS_DESCRIPTION "written by sfci: Salesforce login of the CI"
#define JENKINS_SECRET_TEXT                                                    \
    "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl"

/*
 * A write is tried again on no answer, 429 and 502-504, not on 500:
 * Jenkins answers 500 to XML it cannot read or a store it cannot save,
 * and another try gets the same.  A retried create whose first try went
 * through gets 409, and becomes an update.
 */
#define JENKINS_WRITE_RETRY                                                    \
    (HTTP_RETRY_NETWORK | HTTP_RETRY_429 | HTTP_RETRY_5XX)

struct provider_session {
    struct http_client *http;
    char *root;          /* the API root, without a trailing '/' */
    char *store;         /* URL of the store's global domain, ending in '/' */
    char *folder;        /* --jenkins-folder, or NULL for the system store */
    char *user;          /* JENKINS_USER_ID, for messages */
    char *authorization; /* "Authorization: Basic ...", secret */
    bool checked;        /* preflight passed */
    bool listed;         /* ids holds the store's credential IDs */
    char **ids;
    size_t id_count;
};

/* Which store, for messages: the system one or a folder's. */
static const char *store_name(const struct provider_session *s, char *room,
                              size_t size)
{
    if (s->folder == NULL)
        return "the Jenkins system store";
    snprintf(room, size, "the store of the Jenkins folder '%s'", s->folder);
    return room;
}

static int session_read_env(const struct provider_context *context,
                            const char **user, const char **token,
                            const char **root)
{
    *user = context->env("JENKINS_USER_ID");
    *token = context->env("JENKINS_API_TOKEN");
    *root = context->api_url != NULL ? context->api_url
                                     : context->env("JENKINS_URL");

    if (rules_empty(*user))
        return error_set(SFCI_EINPUT,
                         "Jenkins needs a user: set JENKINS_USER_ID to the "
                         "user whose API token JENKINS_API_TOKEN holds");
    if (strchr(*user, ':') != NULL)
        return error_set(SFCI_EINPUT,
                         "JENKINS_USER_ID '%s' holds a ':': set it to the "
                         "user ID alone",
                         *user);
    if (rules_empty(*token))
        return error_set(SFCI_EINPUT,
                         "Jenkins needs an API token: set JENKINS_API_TOKEN "
                         "to one of JENKINS_USER_ID (in Jenkins: the user, "
                         "Security, API Token)");
    if (rules_empty(*root))
        return error_set(SFCI_EINPUT,
                         "the Jenkins URL is not known: set JENKINS_URL to "
                         "its root (https://jenkins.example.com/) or give "
                         "--api-url");
    return http_url_check(*root);
}

/* "Authorization: Basic base64(user:token)"; the token never elsewhere. */
static int session_set_authorization(struct provider_session *s,
                                     const char *user, const char *token)
{
    static const char prefix[] = "Authorization: Basic ";
    struct buf pair = BUF_INIT;
    size_t size;
    int rc;

    rc = buf_printf(&pair, "%s:%s", user, token);
    if (rc < 0)
        goto out;
    size = sizeof(prefix) - 1 +
           sodium_base64_ENCODED_LEN(pair.len, sodium_base64_VARIANT_ORIGINAL);
    s->authorization = malloc(size);
    if (s->authorization == NULL) {
        rc = error_oom();
        goto out;
    }
    memcpy(s->authorization, prefix, sizeof(prefix) - 1);
    sodium_bin2base64(s->authorization + sizeof(prefix) - 1,
                      size - (sizeof(prefix) - 1),
                      (const unsigned char *)pair.data, pair.len,
                      sodium_base64_VARIANT_ORIGINAL);

out:
    buf_release(&pair);
    return rc;
}

/* "team/crm": names separated by single '/', none at either end. */
static int folder_check(const char *folder)
{
    size_t len = strlen(folder);

    if (len == 0 || folder[0] == '/' || folder[len - 1] == '/' ||
        strstr(folder, "//") != NULL)
        return error_set(SFCI_EINPUT,
                         "--jenkins-folder '%s' is not a folder path: give "
                         "its full name, like team/crm",
                         folder);
    return 0;
}

/* root/job/a/job/b/credentials/store/folder/domain/_/, or the system's. */
static int store_url(const char *root, const char *folder, struct buf *out)
{
    const char *segment = folder;
    struct buf name = BUF_INIT;
    int rc;

    rc = buf_printf(out, "%s/", root);
    while (rc == 0 && segment != NULL) {
        const char *slash = strchr(segment, '/');
        size_t len =
            slash != NULL ? (size_t)(slash - segment) : strlen(segment);

        buf_clear(&name);
        rc = buf_append(&name, segment, len);
        if (rc == 0)
            rc = buf_puts(out, "job/");
        if (rc == 0)
            rc = http_escape(buf_cstr(&name), out);
        if (rc == 0)
            rc = buf_putc(out, '/');
        segment = slash != NULL ? slash + 1 : NULL;
    }
    if (rc == 0)
        rc = buf_puts(out, folder != NULL
                               ? "credentials/store/folder/domain/_/"
                               : "credentials/store/system/domain/_/");
    buf_release(&name);
    return rc;
}

static void jenkins_close(struct provider_session *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->id_count; i++)
        free(s->ids[i]);
    free(s->ids);
    secret_free(s->authorization);
    free(s->root);
    free(s->store);
    free(s->folder);
    free(s->user);
    free(s);
}

static int jenkins_open(const struct provider_context *context,
                        struct provider_session **out)
{
    const char *user, *token, *root, *folder = context->target->folder;
    struct provider_session *s = NULL;
    struct buf store = BUF_INIT;
    size_t len;
    int rc;

    *out = NULL;
    rc = session_read_env(context, &user, &token, &root);
    if (rc == 0 && folder != NULL)
        rc = folder_check(folder);
    if (rc < 0)
        return rc;

    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return error_oom();
    s->http = context->http;
    len = strlen(root);
    while (len > 0 && root[len - 1] == '/')
        len--;
    s->root = strndup(root, len);
    s->user = strdup(user);
    s->folder = folder != NULL ? strdup(folder) : NULL;
    if (s->root == NULL || s->user == NULL || (folder && s->folder == NULL))
        rc = error_oom();
    if (rc == 0)
        rc = session_set_authorization(s, user, token);
    if (rc == 0)
        rc = store_url(s->root, folder, &store);
    if (rc == 0)
        s->store = buf_detach(&store);
    if (rc == 0 && s->store == NULL)
        rc = error_oom();

    buf_release(&store);
    if (rc < 0)
        jenkins_close(s);
    else
        *out = s;
    return rc;
}

/* One request with the session's credentials; body is XML when given. */
static int session_send(struct provider_session *s, const char *method,
                        const char *url, const struct buf *body,
                        struct http_response *response)
{
    const char *get_headers[] = {s->authorization, "Accept: application/json",
                                 NULL};
    const char *post_headers[] = {
        s->authorization, "Content-Type: application/xml; charset=utf-8", NULL};
    struct http_request request = {
        .method = method,
        .url = url,
        .headers = body != NULL ? post_headers : get_headers,
        .body = body != NULL ? body->data : NULL,
        .body_len = body != NULL ? body->len : 0,
        .body_secret = body != NULL,
        .retry = body != NULL ? JENKINS_WRITE_RETRY : HTTP_RETRY_DEFAULT,
    };

    return http_send(s->http, &request, response);
}

/* What any answer may be: a refused token, a proxy, a failure. */
static int answer_common_error(const struct provider_session *s,
                               const struct http_response *response,
                               const char *what)
{
    const char *location = http_response_header(response, "Location");

    if (response->status == 401)
        return error_set(SFCI_EAUTH,
                         "Jenkins refused the API token of '%s' (401): "
                         "check JENKINS_USER_ID and JENKINS_API_TOKEN",
                         s->user);
    if (response->status >= 300 && response->status < 400 && location)
        return error_set(SFCI_EINPUT,
                         "Jenkins redirects the request for %s to '%s' "
                         "(%ld): set JENKINS_URL or --api-url to the "
                         "address it uses",
                         what, location, response->status);
    if (response->status == 429)
        return error_set(SFCI_EFAIL,
                         "Jenkins rate-limited the request for %s (429): "
                         "run sfci again later",
                         what);
    return error_set(SFCI_EFAIL,
                     "Jenkins answered %ld for %s: check '%s' and its log, "
                     "then run sfci again",
                     response->status, what, s->root);
}

/* GET whoAmI: the root is Jenkins and the token names a user. */
static int session_check_user(struct provider_session *s)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    json_t *json = NULL, *anonymous;
    int rc;

    rc = buf_printf(&url, "%s/whoAmI/api/json", s->root);
    if (rc == 0)
        rc = session_send(s, "GET", url.data, NULL, &response);
    if (rc < 0)
        goto out;

    if (response.status == 200)
        json = json_loadb(response.body.data, response.body.len, 0, NULL);
    anonymous = json_object_get(json, "anonymous");
    if (response.status == 200 && !json_is_boolean(anonymous))
        rc = error_set(SFCI_EINPUT,
                       "'%s' does not answer as Jenkins: set JENKINS_URL or "
                       "--api-url to the Jenkins root URL",
                       s->root);
    else if (response.status == 200 && json_is_true(anonymous))
        rc = error_set(SFCI_EAUTH,
                       "Jenkins took '%s' for anonymous: check "
                       "JENKINS_USER_ID and JENKINS_API_TOKEN",
                       s->user);
    else if (response.status == 404)
        rc = error_set(SFCI_EINPUT,
                       "'%s' has no Jenkins whoAmI page (404): set "
                       "JENKINS_URL or --api-url to the Jenkins root URL",
                       s->root);
    else if (response.status == 403)
        rc = error_set(SFCI_EAUTH,
                       "Jenkins refused '%s' (403): give that user the "
                       "Overall/Read permission",
                       s->user);
    else if (response.status != 200)
        rc = answer_common_error(s, &response, "whoAmI");

out:
    json_decref(json);
    http_response_release(&response);
    buf_release(&url);
    return rc;
}

static int ids_add(struct provider_session *s, const char *id)
{
    char **longer = realloc(s->ids, (s->id_count + 1) * sizeof(*s->ids));

    if (longer == NULL)
        return error_oom();
    s->ids = longer;
    s->ids[s->id_count] = strdup(id);
    if (s->ids[s->id_count] == NULL)
        return error_oom();
    s->id_count++;
    return 0;
}

static bool ids_contain(const struct provider_session *s, const char *id)
{
    size_t i;

    for (i = 0; i < s->id_count; i++)
        if (strcmp(s->ids[i], id) == 0)
            return true;
    return false;
}

/* {"credentials": [{"id": ...}, ...]} into s->ids. */
static int ids_parse(struct provider_session *s,
                     const struct http_response *response)
{
    json_t *json = json_loadb(response->body.data, response->body.len, 0, NULL);
    json_t *list = json_object_get(json, "credentials"), *item;
    char room[160];
    size_t i;
    int rc = 0;

    if (!json_is_array(list))
        rc = error_set(SFCI_EFAIL,
                       "Jenkins sent no credential list for %s: check that "
                       "JENKINS_URL is the Jenkins root URL",
                       store_name(s, room, sizeof(room)));
    json_array_foreach(list, i, item)
    {
        const char *id = json_string_value(json_object_get(item, "id"));

        if (rc == 0 && id != NULL)
            rc = ids_add(s, id);
    }
    json_decref(json);
    return rc;
}

static int store_list_error(const struct provider_session *s,
                            const struct http_response *response)
{
    char room[160];
    const char *store = store_name(s, room, sizeof(room));

    if (response->status == 404 && s->folder != NULL)
        return error_set(SFCI_EINPUT,
                         "Jenkins has no folder '%s' with a credentials "
                         "store (404): give --jenkins-folder the full path "
                         "of a folder, like team/crm, and check that the "
                         "Folders plugin is installed",
                         s->folder);
    if (response->status == 404)
        return error_set(SFCI_EINPUT,
                         "Jenkins has no system credentials store at '%s' "
                         "(404): install the Credentials plugin, or check "
                         "JENKINS_URL",
                         s->root);
    if (response->status == 403)
        return error_set(SFCI_EAUTH,
                         "Jenkins does not let '%s' read %s (403): give "
                         "that user the Credentials/View, Credentials/Create "
                         "and Credentials/Update permissions there",
                         s->user, store);
    return answer_common_error(s, response, "the credential list");
}

/* The IDs of the store, read once per run. */
static int session_list(struct provider_session *s)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    int rc;

    if (s->listed)
        return 0;
    rc = buf_printf(&url, "%sapi/json?tree=credentials%%5Bid%%5D", s->store);
    if (rc == 0)
        rc = session_send(s, "GET", url.data, NULL, &response);
    if (rc < 0)
        goto out;
    if (response.status == 200)
        rc = ids_parse(s, &response);
    else
        rc = store_list_error(s, &response);
    s->listed = rc == 0;

out:
    http_response_release(&response);
    buf_release(&url);
    return rc;
}

static int jenkins_preflight(struct provider_session *s)
{
    int rc = 0;

    if (s->checked)
        return 0;
    rc = session_check_user(s);
    if (rc == 0)
        rc = session_list(s);
    s->checked = rc == 0;
    return rc;
}

static int jenkins_exist(struct provider_session *s, const char *const *names,
                         size_t count, bool *exists)
{
    size_t i;
    int rc = session_list(s);

    for (i = 0; i < count && rc == 0; i++)
        exists[i] = ids_contain(s, names[i]);
    return rc;
}

/*
 * Text for an XML element.  Line ends, tabs and DEL go as character
 * references, which a parser keeps as they are (a raw CR would become a
 * LF); jenkins_check() has refused the other control bytes.
 */
static int xml_escape(const char *text, struct buf *out)
{
    const unsigned char *p;
    int rc = 0;

    for (p = (const unsigned char *)text; rc == 0 && *p != '\0'; p++) {
        if (*p == '&')
            rc = buf_puts(out, "&amp;");
        else if (*p == '<')
            rc = buf_puts(out, "&lt;");
        else if (*p == '>')
            rc = buf_puts(out, "&gt;");
        else if (*p < 0x20 || *p == 0x7f)
            rc = buf_printf(out, "&#%d;", *p);
        else
            rc = buf_putc(out, (char)*p);
    }
    return rc;
}

/* The whole Secret text credential, value in clear (Jenkins encrypts). */
static int credential_xml(const struct provider_variable *v, struct buf *out)
{
    int rc;

    rc = buf_puts(out, "<" JENKINS_SECRET_TEXT ">\n"
                       "  <scope>GLOBAL</scope>\n"
                       "  <id>");
    if (rc == 0)
        rc = xml_escape(v->name, out);
    if (rc == 0)
        rc = buf_puts(out,
                      "</id>\n"
                      "  <description>" JENKINS_DESCRIPTION "</description>\n"
                      "  <secret>");
    if (rc == 0)
        rc = xml_escape(v->value, out);
    if (rc == 0)
        rc = buf_puts(out, "</secret>\n"
                           "</" JENKINS_SECRET_TEXT ">\n");
    return rc;
}

/* A refused write: a crumb means a password was given for a token. */
static int write_error(const struct provider_session *s,
                       const struct http_response *response, const char *name,
                       const char *verb)
{
    char what[160], room[160];

    snprintf(what, sizeof(what), "the credential '%s'", name);
    if (response->status == 403 &&
        strstr(buf_cstr(&response->body), "No valid crumb") != NULL)
        return error_set(SFCI_EAUTH,
                         "Jenkins wants a CSRF crumb from '%s' (403): "
                         "JENKINS_API_TOKEN holds a password; set it to an "
                         "API token (in Jenkins: the user, Security, API "
                         "Token)",
                         s->user);
    if (response->status == 403)
        return error_set(SFCI_EAUTH,
                         "Jenkins does not let '%s' %s '%s' in %s (403): "
                         "give that user the Credentials/Create and "
                         "Credentials/Update permissions there",
                         s->user, verb, name,
                         store_name(s, room, sizeof(room)));
    if (response->status == 404)
        return error_set(SFCI_EFAIL,
                         "Jenkins has no '%s' in %s any more (404): run "
                         "sfci again",
                         name, store_name(s, room, sizeof(room)));
    if (response->status >= 500)
        return error_set(SFCI_EFAIL,
                         "Jenkins failed to %s '%s' (%ld): see the Jenkins "
                         "log, then run sfci again",
                         verb, name, response->status);
    return answer_common_error(s, response, what);
}

/*
 * POST config.xml: the whole credential replaces the old one.  *gone is
 * set on a 404 (deleted since the list was read).
 */
static int credential_update(struct provider_session *s,
                             struct provider_variable *v, const struct buf *xml,
                             bool *gone)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    int rc;

    *gone = false;
    rc = buf_printf(&url, "%scredential/", s->store);
    if (rc == 0)
        rc = http_escape(v->name, &url);
    if (rc == 0)
        rc = buf_puts(&url, "/config.xml");
    if (rc == 0)
        rc = session_send(s, "POST", url.data, xml, &response);
    if (rc < 0)
        goto out;

    if (response.status == 200)
        v->outcome = OUTCOME_UPDATED;
    else if (response.status == 404)
        *gone = true;
    else
        rc = write_error(s, &response, v->name, "update");

out:
    http_response_release(&response);
    buf_release(&url);
    return rc;
}

/*
 * POST createCredentials.  *taken is set on a 409: the ID exists (made
 * since the list was read, or by a try whose answer was lost).
 */
static int credential_create(struct provider_session *s,
                             struct provider_variable *v, const struct buf *xml,
                             bool *taken)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    int rc;

    *taken = false;
    rc = buf_printf(&url, "%screateCredentials", s->store);
    if (rc == 0)
        rc = session_send(s, "POST", url.data, xml, &response);
    if (rc < 0)
        goto out;

    if (response.status == 200) {
        v->outcome = OUTCOME_CREATED;
        rc = ids_add(s, v->name);
    } else if (response.status == 409) {
        *taken = true;
    } else {
        rc = write_error(s, &response, v->name, "create");
    }

out:
    http_response_release(&response);
    buf_release(&url);
    return rc;
}

/*
 * Update when the store's list has the ID, else create; each falls back
 * on the other once.
 */
static int credential_write(struct provider_session *s,
                            struct provider_variable *v)
{
    struct buf xml = BUF_INIT;
    bool gone = false, taken = false;
    int rc;

    rc = session_list(s);
    if (rc == 0)
        rc = credential_xml(v, &xml);
    if (rc == 0 && ids_contain(s, v->name))
        rc = credential_update(s, v, &xml, &gone);
    if (rc == 0 && v->outcome == OUTCOME_PENDING)
        rc = credential_create(s, v, &xml, &taken);
    if (rc == 0 && taken && !gone) {
        rc = ids_add(s, v->name);
        if (rc == 0)
            rc = credential_update(s, v, &xml, &gone);
    }
    if (rc == 0 && v->outcome == OUTCOME_PENDING)
        rc = error_set(SFCI_EFAIL,
                       "the Jenkins credential '%s' changed while sfci "
                       "wrote it: run sfci again",
                       v->name);
    buf_release(&xml);
    return rc;
}

static int jenkins_write(struct provider_session *s,
                         struct provider_variable *variables, size_t count)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < count && rc == 0; i++) {
        rc = credential_write(s, &variables[i]);
        if (rc < 0) {
            variables[i].outcome = OUTCOME_FAILED;
            snprintf(variables[i].message, sizeof(variables[i].message), "%s",
                     error_message());
        }
    }
    return rc;
}

const struct provider provider_jenkins = {
    .name = "jenkins",
    .title = "Jenkins",
    .capabilities = PROVIDER_FOLDERS | PROVIDER_MASKED,
    .check = jenkins_check,
    .manual_steps = jenkins_manual_steps,
    .open = jenkins_open,
    .preflight = jenkins_preflight,
    .exist = jenkins_exist,
    .write = jenkins_write,
    .close = jenkins_close,
};
