/*
 * Bitbucket Cloud Pipelines: secured repository variables, or secured
 * variables of a deployment environment with --environment.
 *
 * Rules, from "Variables and secrets"
 * (https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/):
 * - a name holds only ASCII letters, digits and underscores, and does not
 *   start with a digit (names are case-sensitive).
 * The documentation and the API description state no limit on a secured
 * value, so none is enforced here.
 *
 * Requests (API root --api-url, else BITBUCKET_API_URL, else
 * https://api.bitbucket.org/2.0; BITBUCKET_TOKEN as Bearer, else
 * BITBUCKET_USERNAME and BITBUCKET_API_TOKEN as Basic):
 * - preflight: GET /repositories/{workspace}/{repo_slug}; with an
 *   environment, GET .../environments, every page, for its uuid; then the
 *   scope's list, every page: .../pipelines_config/variables/ (the
 *   trailing slash is Bitbucket's), or
 *   .../deployments_config/environments/{env_uuid}/variables.
 * - write: PUT .../variables/{uuid} for a listed key, else POST to the
 *   collection (201); a 409 there means it was created meanwhile: the
 *   list is read again and the variable updated.  Always secured.
 * A {uuid} keeps its braces, percent-encoded in a path (%7B...%7D).
 */
#include "errors.h"
#include "provider.h"
#include "rules.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BITBUCKET_NAME_CHARS RULES_ALNUM "_"

static int bitbucket_check_name(const char *name)
{
    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "Bitbucket refuses an empty variable "
                                      "name: give the variable a name");
    if (!rules_all_in(name, BITBUCKET_NAME_CHARS))
        return error_set(SFCI_EINPUT,
                         "Bitbucket refuses the variable name '%s' (only "
                         "ASCII letters, digits and '_' are allowed): "
                         "rename it",
                         name);
    if (rules_starts_with_digit(name))
        return error_set(SFCI_EINPUT,
                         "Bitbucket refuses the variable name '%s' (it "
                         "starts with a digit): rename it to start with a "
                         "letter or '_'",
                         name);
    return 0;
}

static int bitbucket_check(const struct provider_target *target,
                           const char *name, const char *value)
{
    int rc = bitbucket_check_name(name);

    if (rc < 0)
        return rc;
    return rules_check_filled("the Bitbucket variable", name, value);
}

/* Where the variables are entered: the repository or one environment. */
static int bitbucket_steps_place(const struct provider_target *target,
                                 struct buf *out)
{
    if (buf_printf(out, "In Bitbucket, open %s%s.\n",
                   target->repo ? "the repository " : "your repository",
                   target->repo ? target->repo : "") < 0)
        return SFCI_EFAIL;

    if (target->environment == NULL) {
        if (buf_puts(out, "Select Repository settings > Pipelines > "
                          "Repository variables.\n"
                          "For each variable, fill in:\n") < 0)
            return SFCI_EFAIL;
        return 0;
    }

    if (buf_printf(out,
                   "Select Repository settings > Deployments and open "
                   "the environment\n"
                   "%s (add it if it is missing).\n"
                   "For each variable, fill in among its variables:\n",
                   target->environment) < 0)
        return SFCI_EFAIL;
    return 0;
}

static int bitbucket_manual_steps(const struct provider_target *target,
                                  struct buf *out)
{
    int rc = bitbucket_steps_place(target, out);

    if (rc < 0)
        return rc;
    if (buf_puts(out, "  Name: the variable name\n"
                      "  Value: its value\n"
                      "  Secured: checked\n"
                      "then select Add. If the name exists, edit that "
                      "variable instead.\n") < 0)
        return SFCI_EFAIL;
    if (target->environment != NULL &&
        buf_printf(out,
                   "Only steps with \"deployment: %s\" get these "
                   "variables.\n",
                   target->environment) < 0)
        return SFCI_EFAIL;
    return 0;
}

/*
 * The API.  A session is one scope: the repository's pipeline variables,
 * or the variables of one deployment environment.  The scope's list is
 * read once, through every page, and kept (keys and uuids: Bitbucket
 * never shows a secured value); a write updates a listed variable by its
 * uuid, else creates it and adds it to the list, so that no request is
 * sent twice.
 */

#define BITBUCKET_API_URL "https://api.bitbucket.org/2.0"

/* The largest page Bitbucket serves: fewer requests for long lists. */
#define BITBUCKET_PAGELEN "100"

/* Far more than a repository holds: a guard against a 'next' that loops. */
#define BITBUCKET_MAX_PAGES 1000

/* How much of Bitbucket's own error message goes into sfci's. */
#define BITBUCKET_SAID_MAX 160

/* What a token needs, as API tokens and access tokens name it. */
#define BITBUCKET_SCOPE "the scope admin:pipeline:bitbucket"
#define BITBUCKET_SCOPES                                                       \
    BITBUCKET_SCOPE " (pipeline:variable for an access token)"

/*
 * Writes are not tried again after a 500, which is Bitbucket's own
 * failure, not a passing one of its front end (502-504): the run stops
 * there and prints the value for manual entry.  A create whose answer was
 * lost meets a 409 on its second try, which the write handles.
 */
#define BITBUCKET_WRITE_RETRY                                                  \
    (HTTP_RETRY_NETWORK | HTTP_RETRY_429 | HTTP_RETRY_5XX)

/* A variable of the scope, as the list shows it. */
struct bitbucket_variable {
    char *uuid; /* with its braces: "{...}" */
    char *key;
};

struct provider_session {
    struct http_client *http;
    struct buf authorization; /* the header line: secret */
    bool bearer;              /* BITBUCKET_TOKEN, else Basic */
    char *root;               /* API root, no trailing '/' */
    char *repo;               /* "workspace/repo_slug" */
    char *repo_url;           /* root/repositories/workspace/repo_slug */
    char *environment;        /* --environment, or NULL */
    char *variables_url;      /* the scope's collection, once known */
    char *place;              /* the scope, quoted, for messages */
    struct bitbucket_variable *variables;
    size_t count;
    bool listed; /* variables holds the scope's whole list */
};

/* Called for each item of a paged list; negative to stop. */
typedef int (*bitbucket_item_fn)(struct provider_session *session, json_t *item,
                                 void *data);

static void bitbucket_close(struct provider_session *session);

/*
 * The variable list kept in the session.
 */

static void cache_clear(struct provider_session *session)
{
    size_t i;

    for (i = 0; i < session->count; i++) {
        free(session->variables[i].uuid);
        free(session->variables[i].key);
    }
    free(session->variables);
    session->variables = NULL;
    session->count = 0;
    session->listed = false;
}

static struct bitbucket_variable *cache_find(struct provider_session *session,
                                             const char *key)
{
    size_t i;

    for (i = 0; i < session->count; i++)
        if (strcmp(session->variables[i].key, key) == 0)
            return &session->variables[i];
    return NULL;
}

static int cache_add(struct provider_session *session, const char *uuid,
                     const char *key)
{
    struct bitbucket_variable *longer;
    char *uuid_copy = strdup(uuid), *key_copy = strdup(key);

    longer = realloc(session->variables,
                     (session->count + 1) * sizeof(*session->variables));
    if (longer != NULL)
        session->variables = longer;
    if (uuid_copy == NULL || key_copy == NULL || longer == NULL) {
        free(uuid_copy);
        free(key_copy);
        return error_oom();
    }
    longer[session->count].uuid = uuid_copy;
    longer[session->count].key = key_copy;
    session->count++;
    return 0;
}

static void cache_remove(struct provider_session *session,
                         struct bitbucket_variable *variable)
{
    size_t last = session->count - 1;

    free(variable->uuid);
    free(variable->key);
    *variable = session->variables[last];
    session->count = last;
}

/*
 * Opening: credentials, API root, repository, scope.
 */

static const char *env_value(const struct provider_context *context,
                             const char *name)
{
    const char *value = context->env != NULL ? context->env(name) : NULL;

    return value != NULL && *value != '\0' ? value : NULL;
}

/* "Authorization: Basic base64(user:token)". */
static int basic_authorization(struct buf *out, const char *user,
                               const char *token)
{
    struct buf pair = BUF_INIT;
    char *encoded = NULL;
    size_t size = 0;
    int rc;

    rc = buf_printf(&pair, "%s:%s", user, token);
    if (rc == 0) {
        size =
            sodium_base64_ENCODED_LEN(pair.len, sodium_base64_VARIANT_ORIGINAL);
        encoded = malloc(size);
        if (encoded == NULL)
            rc = error_oom();
    }
    if (rc == 0) {
        sodium_bin2base64(encoded, size, (const unsigned char *)pair.data,
                          pair.len, sodium_base64_VARIANT_ORIGINAL);
        rc = buf_printf(out, "Authorization: Basic %s", encoded);
    }

    secret_free(encoded);
    buf_release(&pair);
    return rc;
}

/* BITBUCKET_TOKEN (Bearer), else BITBUCKET_USERNAME + BITBUCKET_API_TOKEN. */
static int credentials_read(struct provider_session *session,
                            const struct provider_context *context)
{
    const char *token = env_value(context, "BITBUCKET_TOKEN");
    const char *user = env_value(context, "BITBUCKET_USERNAME");
    const char *api_token = env_value(context, "BITBUCKET_API_TOKEN");

    if (token != NULL) {
        session->bearer = true;
        return buf_printf(&session->authorization, "Authorization: Bearer %s",
                          token);
    }
    if (user == NULL && api_token == NULL)
        return error_set(SFCI_EINPUT,
                         "no Bitbucket token: set BITBUCKET_TOKEN to an "
                         "access token, or BITBUCKET_USERNAME (your "
                         "Atlassian email) and BITBUCKET_API_TOKEN, with "
                         "%s",
                         BITBUCKET_SCOPES);
    if (user == NULL)
        return error_set(SFCI_EINPUT,
                         "BITBUCKET_API_TOKEN is set but BITBUCKET_USERNAME "
                         "is not: set it to your Atlassian account email");
    if (api_token == NULL)
        return error_set(SFCI_EINPUT,
                         "BITBUCKET_USERNAME is set but BITBUCKET_API_TOKEN "
                         "is not: set it to an API token with %s",
                         BITBUCKET_SCOPE);
    return basic_authorization(&session->authorization, user, api_token);
}

/* --api-url, else BITBUCKET_API_URL, else Bitbucket Cloud's. */
static int root_read(struct provider_session *session,
                     const struct provider_context *context)
{
    const char *root = context->api_url;
    size_t len;
    int rc;

    if (root == NULL || *root == '\0')
        root = env_value(context, "BITBUCKET_API_URL");
    if (root == NULL)
        root = BITBUCKET_API_URL;
    rc = http_url_check(root);
    if (rc < 0)
        return rc;

    len = strlen(root);
    while (len > 0 && root[len - 1] == '/')
        len--;
    session->root = strndup(root, len);
    return session->root != NULL ? 0 : error_oom();
}

/* --repo as workspace/repo_slug, made into the repository's URL. */
static int repository_read(struct provider_session *session, const char *repo)
{
    struct buf url = BUF_INIT;
    const char *slash = repo != NULL ? strchr(repo, '/') : NULL;
    char *workspace = NULL;
    int rc;

    if (repo == NULL || *repo == '\0')
        return error_set(SFCI_EINPUT, "no Bitbucket repository given: pass "
                                      "--repo workspace/repo_slug");
    if (slash == NULL || slash == repo || slash[1] == '\0' ||
        strchr(slash + 1, '/') != NULL)
        return error_set(SFCI_EINPUT,
                         "the Bitbucket repository '%s' is not "
                         "workspace/repo_slug: pass --repo as in the "
                         "repository's bitbucket.org address",
                         repo);

    workspace = strndup(repo, (size_t)(slash - repo));
    session->repo = strdup(repo);
    if (workspace == NULL || session->repo == NULL)
        rc = error_oom();
    else
        rc = buf_printf(&url, "%s/repositories/", session->root);
    if (rc == 0)
        rc = http_escape(workspace, &url);
    if (rc == 0)
        rc = buf_putc(&url, '/');
    if (rc == 0)
        rc = http_escape(slash + 1, &url);
    if (rc == 0)
        session->repo_url = buf_detach(&url);

    free(workspace);
    buf_release(&url);
    return rc;
}

/*
 * The scope: a deployment environment's collection is known once its
 * uuid is found; the repository's is known now (with its trailing slash
 * added when listing and creating, as Bitbucket spells it).
 */
static int scope_read(struct provider_session *session, const char *environment)
{
    struct buf place = BUF_INIT, url = BUF_INIT;
    int rc;

    if (environment != NULL && *environment != '\0') {
        session->environment = strdup(environment);
        if (session->environment == NULL)
            return error_oom();
        rc = buf_printf(&place, "the environment '%s' of '%s'", environment,
                        session->repo);
    } else {
        rc = buf_printf(&place, "'%s'", session->repo);
        if (rc == 0)
            rc = buf_printf(&url, "%s/pipelines_config/variables",
                            session->repo_url);
        if (rc == 0)
            session->variables_url = buf_detach(&url);
    }
    if (rc == 0)
        session->place = buf_detach(&place);

    buf_release(&place);
    buf_release(&url);
    return rc;
}

static int bitbucket_open(const struct provider_context *context,
                          struct provider_session **out)
{
    struct provider_session *session;
    int rc;

    *out = NULL;
    session = calloc(1, sizeof(*session));
    if (session == NULL)
        return error_oom();
    session->http = context->http;

    rc = credentials_read(session, context);
    if (rc == 0)
        rc = root_read(session, context);
    if (rc == 0)
        rc = repository_read(session, context->target->repo);
    if (rc == 0)
        rc = scope_read(session, context->target->environment);
    if (rc < 0)
        goto out;

    *out = session;
    session = NULL;

out:
    bitbucket_close(session);
    return rc;
}

static void bitbucket_close(struct provider_session *session)
{
    if (session == NULL)
        return;
    cache_clear(session);
    buf_release(&session->authorization);
    free(session->root);
    free(session->repo);
    free(session->repo_url);
    free(session->environment);
    free(session->variables_url);
    free(session->place);
    free(session);
}

/*
 * Requests and answers.
 */

static int request_send(struct provider_session *session, const char *method,
                        const char *url, const struct buf *body,
                        struct http_response *response)
{
    const char *headers[] = {
        session->authorization.data,
        "Accept: application/json",
        body != NULL ? "Content-Type: application/json" : NULL,
        NULL,
    };
    struct http_request request = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = body != NULL ? body->data : NULL,
        .body_len = body != NULL ? body->len : 0,
        .body_secret = body != NULL,
        .retry = body != NULL ? BITBUCKET_WRITE_RETRY : HTTP_RETRY_DEFAULT,
    };

    return http_send(session->http, &request, response);
}

/* Appends text as a JSON string, quotes included. */
static int json_quote(struct buf *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    int rc = buf_putc(out, '"');

    for (; rc == 0 && *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            rc = buf_printf(out, "\\%c", *s);
        else if (*s < 0x20)
            rc = buf_printf(out, "\\u%04x", *s);
        else
            rc = buf_putc(out, (char)*s);
    }
    if (rc == 0)
        rc = buf_putc(out, '"');
    return rc;
}

/* Appends what Bitbucket said, one line and cut short. */
static int said_append(struct buf *out, const char *text)
{
    size_t len = strlen(text), i;
    bool cut = len > BITBUCKET_SAID_MAX;
    int rc = 0;

    if (cut) {
        len = BITBUCKET_SAID_MAX;
        while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
            len--;
    }
    for (i = 0; rc == 0 && i < len; i++)
        rc = buf_putc(out, (unsigned char)text[i] < 0x20 ? ' ' : text[i]);
    if (rc == 0 && cut)
        rc = buf_puts(out, "...");
    return rc;
}

/* error.message, error.detail and the scopes required, from JSON. */
static int said_json(json_t *body, struct buf *out)
{
    json_t *error = json_object_get(body, "error");
    json_t *detail = json_object_get(error, "detail");
    json_t *required = json_object_get(detail, "required");
    const char *message = json_string_value(json_object_get(error, "message"));
    struct buf text = BUF_INIT;
    size_t i;
    int rc = 0;

    if (message != NULL)
        rc = buf_puts(&text, message);
    if (rc == 0 && json_is_string(detail))
        rc = buf_printf(&text, "%s%s", text.len > 0 ? " " : "",
                        json_string_value(detail));
    for (i = 0; rc == 0 && i < json_array_size(required); i++)
        if (json_is_string(json_array_get(required, i)))
            rc = buf_printf(&text, "%s%s", i == 0 ? " (required: " : ", ",
                            json_string_value(json_array_get(required, i)));
    if (rc == 0 && json_array_size(required) > 0)
        rc = buf_putc(&text, ')');
    if (rc == 0)
        rc = said_append(out, buf_cstr(&text));
    buf_release(&text);
    return rc;
}

/*
 * "401" or "401, 'what Bitbucket said'" for a message: its error.message
 * from JSON, else the first line of a plain answer (its 429 is plain
 * text); nothing from HTML.  secret, when not NULL, never shows.
 */
static void answer_describe(const struct http_response *response,
                            const char *secret, char *out, size_t size)
{
    json_t *body =
        json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);
    const char *text = buf_cstr(&response->body);
    struct buf said = BUF_INIT;
    int rc = 0;

    if (body != NULL)
        rc = said_json(body, &said);
    else if (*text != '\0' && *text != '<')
        rc = said_append(&said, text);
    if (rc == 0 && secret != NULL && *secret != '\0' &&
        strstr(buf_cstr(&said), secret) != NULL)
        buf_clear(&said);

    if (rc == 0 && said.len > 0)
        snprintf(out, size, "%ld, '%s'", response->status, said.data);
    else
        snprintf(out, size, "%ld", response->status);
    json_decref(body);
    buf_release(&said);
}

/* Whether url is on the API root's scheme, host and port. */
static bool url_same_origin(const char *root, const char *url)
{
    const char *host = strstr(root, "://");
    size_t len;

    if (host == NULL)
        return false;
    len = (size_t)(host + 3 - root) + strcspn(host + 3, "/?#");
    return strncasecmp(root, url, len) == 0 &&
           (url[len] == '/' || url[len] == '?' || url[len] == '\0');
}

/* Calls each for every item of one page; *next gets its 'next' or NULL. */
static int page_read(struct provider_session *session, const char *what,
                     const struct http_response *response,
                     bitbucket_item_fn each, void *data, char **next)
{
    json_t *page =
        json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);
    json_t *values = json_object_get(page, "values");
    const char *link = json_string_value(json_object_get(page, "next"));
    size_t i;
    int rc = 0;

    *next = NULL;
    if (!json_is_array(values)) {
        rc = error_set(SFCI_EFAIL,
                       "the answer for %s is not a Bitbucket page of "
                       "values: check --api-url ('%s')",
                       what, session->root);
        goto out;
    }
    for (i = 0; rc == 0 && i < json_array_size(values); i++)
        rc = each(session, json_array_get(values, i), data);
    if (rc < 0 || link == NULL)
        goto out;

    /* The token goes only where the API root is. */
    if (!url_same_origin(session->root, link)) {
        rc = error_set(SFCI_EFAIL,
                       "Bitbucket's next page of %s is on another host "
                       "than '%s': check --api-url",
                       what, session->root);
        goto out;
    }
    *next = strdup(link);
    if (*next == NULL)
        rc = error_oom();

out:
    json_decref(page);
    return rc;
}

/*
 * Reads every page of a list from url, calling each for every item.
 * Returns 0 when all were read, negative on a failure, or 1 when a page
 * was refused: response then holds that answer for the caller to explain
 * (release it in every case).
 */
static int pages_read(struct provider_session *session, const char *what,
                      const char *url, bitbucket_item_fn each, void *data,
                      struct http_response *response)
{
    char *current = strdup(url), *next = NULL;
    int pages = 0, rc = 0;

    if (current == NULL)
        return error_oom();
    while (rc == 0 && current != NULL) {
        if (++pages > BITBUCKET_MAX_PAGES) {
            rc = error_set(SFCI_EFAIL,
                           "the list of %s goes on past %d pages: check "
                           "--api-url ('%s')",
                           what, BITBUCKET_MAX_PAGES, session->root);
            break;
        }
        http_response_release(response);
        rc = request_send(session, "GET", current, NULL, response);
        if (rc == 0 && response->status != 200)
            rc = 1;
        if (rc == 0)
            rc = page_read(session, what, response, each, data, &next);
        free(current);
        current = next;
        next = NULL;
    }

    free(current);
    return rc;
}

/* The scope, as the kind of token in use names it. */
static const char *scope_needed(const struct provider_session *session)
{
    return session->bearer ? BITBUCKET_SCOPES : BITBUCKET_SCOPE;
}

/* 401: the credentials are wrong, expired, or not for this API. */
static int token_refused(const struct provider_session *session,
                         const struct http_response *response)
{
    char said[256];

    answer_describe(response, NULL, said, sizeof(said));
    if (session->bearer)
        return error_set(SFCI_EAUTH,
                         "Bitbucket rejected BITBUCKET_TOKEN for '%s' (%s): "
                         "renew the token; it needs %s",
                         session->repo, said, BITBUCKET_SCOPES);
    return error_set(SFCI_EAUTH,
                     "Bitbucket rejected BITBUCKET_USERNAME and "
                     "BITBUCKET_API_TOKEN for '%s' (%s): use your Atlassian "
                     "account email and an API token with %s",
                     session->repo, said, BITBUCKET_SCOPE);
}

/* Explains a read that Bitbucket answered with other than 200. */
static int read_refused(const struct provider_session *session,
                        const char *what, const struct http_response *response)
{
    char said[256];

    if (response->status == 401)
        return token_refused(session, response);
    /* Its 404 text is long and says no more than this. */
    if (response->status == 404)
        return error_set(SFCI_EINPUT,
                         "Bitbucket has no repository '%s' that the token "
                         "can see (404): check --repo (workspace/repo_slug) "
                         "and the token's access to it",
                         session->repo);
    answer_describe(response, NULL, said, sizeof(said));
    if (response->status == 403)
        return error_set(SFCI_EAUTH,
                         "Bitbucket refused to show %s (%s): give the token "
                         "%s",
                         what, said, scope_needed(session));
    return error_set(SFCI_EFAIL,
                     "Bitbucket failed to show %s (%s): try again later", what,
                     said);
}

/* Explains a write that Bitbucket answered with an error. */
static int write_refused(const struct provider_session *session,
                         const char *verb, const struct provider_variable *v,
                         const struct http_response *response)
{
    char said[256];

    if (response->status == 401)
        return token_refused(session, response);
    answer_describe(response, v->value, said, sizeof(said));
    if (response->status == 403)
        return error_set(SFCI_EAUTH,
                         "Bitbucket refused to %s '%s' in %s (%s): give the "
                         "token %s",
                         verb, v->name, session->place, said,
                         scope_needed(session));
    return error_set(SFCI_EFAIL,
                     "Bitbucket failed to %s '%s' in %s (%s): try again "
                     "later, or enter it by hand",
                     verb, v->name, session->place, said);
}

/*
 * Preflight and listing.
 */

static int repository_check(struct provider_session *session)
{
    struct http_response response = {0};
    char what[256];
    int rc;

    rc = request_send(session, "GET", session->repo_url, NULL, &response);
    if (rc == 0 && response.status != 200) {
        snprintf(what, sizeof(what), "the repository '%s'", session->repo);
        rc = read_refused(session, what, &response);
    }
    http_response_release(&response);
    return rc;
}

struct environment_match {
    const char *name;
    char *exact;    /* uuid of the environment called name */
    char *nocase;   /* uuid of the one called so in another case */
    size_t nocases; /* how many are called so in another case */
};

static int environment_item(struct provider_session *session, json_t *item,
                            void *data)
{
    struct environment_match *match = data;
    const char *name = json_string_value(json_object_get(item, "name"));
    const char *uuid = json_string_value(json_object_get(item, "uuid"));
    char **slot = NULL;

    if (name == NULL || uuid == NULL)
        return 0;
    if (strcmp(name, match->name) == 0 && match->exact == NULL)
        slot = &match->exact;
    else if (strcasecmp(name, match->name) == 0 && match->nocases++ == 0)
        slot = &match->nocase;
    if (slot == NULL)
        return 0;
    *slot = strdup(uuid);
    return *slot != NULL ? 0 : error_oom();
}

/* Finds the environment's uuid by name, through every page. */
static int environment_find(struct provider_session *session)
{
    struct environment_match match = {.name = session->environment};
    struct http_response response = {0};
    struct buf url = BUF_INIT, what = BUF_INIT;
    const char *uuid;
    int rc;

    rc = buf_printf(&url, "%s/environments?pagelen=" BITBUCKET_PAGELEN,
                    session->repo_url);
    if (rc == 0)
        rc = buf_printf(&what, "the deployment environments of '%s'",
                        session->repo);
    if (rc == 0)
        rc = pages_read(session, what.data, url.data, environment_item, &match,
                        &response);
    if (rc == 1)
        rc = read_refused(session, what.data, &response);
    if (rc < 0)
        goto out;

    /* Bitbucket refuses two names that differ in case alone. */
    uuid = match.exact != NULL  ? match.exact
           : match.nocases == 1 ? match.nocase
                                : NULL;
    if (uuid == NULL) {
        rc = error_set(SFCI_EINPUT,
                       "the repository '%s' has no deployment environment "
                       "'%s': create it under Repository settings > "
                       "Deployments, or fix --environment",
                       session->repo, session->environment);
        goto out;
    }
    buf_clear(&url);
    rc = buf_printf(&url, "%s/deployments_config/environments/",
                    session->repo_url);
    if (rc == 0)
        rc = http_escape(uuid, &url);
    if (rc == 0)
        rc = buf_puts(&url, "/variables");
    if (rc == 0)
        session->variables_url = buf_detach(&url);

out:
    free(match.exact);
    free(match.nocase);
    http_response_release(&response);
    buf_release(&url);
    buf_release(&what);
    return rc;
}

static int variable_item(struct provider_session *session, json_t *item,
                         void *data)
{
    const char *key = json_string_value(json_object_get(item, "key"));
    const char *uuid = json_string_value(json_object_get(item, "uuid"));

    if (key == NULL || uuid == NULL)
        return 0;
    return cache_add(session, uuid, key);
}

/* The collection's URL: the repository's ends in '/', as Bitbucket's. */
static int collection_url(const struct provider_session *session,
                          struct buf *out)
{
    return buf_printf(out, "%s%s", session->variables_url,
                      session->environment == NULL ? "/" : "");
}

/* Reads the scope's variables, through every page, unless read already. */
static int scope_list(struct provider_session *session)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT, what = BUF_INIT;
    int rc = 0;

    if (session->listed)
        return 0;
    if (session->variables_url == NULL)
        rc = environment_find(session);
    if (rc == 0)
        rc = collection_url(session, &url);
    if (rc == 0)
        rc = buf_puts(&url, "?pagelen=" BITBUCKET_PAGELEN);
    if (rc == 0)
        rc = buf_printf(&what, "the variables of %s", session->place);
    if (rc == 0) {
        cache_clear(session);
        rc = pages_read(session, what.data, url.data, variable_item, NULL,
                        &response);
    }
    if (rc == 1)
        rc = read_refused(session, what.data, &response);
    if (rc == 0)
        session->listed = true;

    http_response_release(&response);
    buf_release(&url);
    buf_release(&what);
    return rc;
}

static int bitbucket_preflight(struct provider_session *session)
{
    int rc = repository_check(session);

    if (rc == 0)
        rc = scope_list(session);
    return rc;
}

static int bitbucket_exist(struct provider_session *session,
                           const char *const *names, size_t count, bool *exists)
{
    size_t i;
    int rc;

    for (i = 0; i < count; i++)
        exists[i] = false;
    rc = scope_list(session);
    for (i = 0; rc == 0 && i < count; i++)
        exists[i] = cache_find(session, names[i]) != NULL;
    return rc;
}

/*
 * Writing.
 */

/* {"key": ..., "value": ..., "secured": true}; out is secret. */
static int variable_body(const struct provider_variable *v, struct buf *out)
{
    int rc = buf_puts(out, "{\"key\":");

    if (rc == 0)
        rc = json_quote(out, v->name);
    if (rc == 0)
        rc = buf_puts(out, ",\"value\":");
    if (rc == 0)
        rc = json_quote(out, v->value);
    if (rc == 0)
        rc = buf_puts(out, ",\"secured\":true}");
    return rc;
}

/* Replaces the variable at uuid.  1 when Bitbucket no longer has it. */
static int variable_put(struct provider_session *session, const char *uuid,
                        struct provider_variable *v)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT, body = BUF_INIT;
    int rc;

    rc = buf_printf(&url, "%s/", session->variables_url);
    if (rc == 0)
        rc = http_escape(uuid, &url);
    if (rc == 0)
        rc = variable_body(v, &body);
    if (rc == 0)
        rc = request_send(session, "PUT", url.data, &body, &response);
    if (rc < 0)
        goto out;

    if (response.status == 200)
        v->outcome = OUTCOME_UPDATED;
    else if (response.status == 404)
        rc = 1;
    else
        rc = write_refused(session, "update", v, &response);

out:
    http_response_release(&response);
    buf_release(&url);
    buf_release(&body);
    return rc;
}

/* The last segment of a URL, its %XX decoded; NULL without memory. */
static char *url_last_segment(const char *url)
{
    const char *s = strrchr(url, '/') != NULL ? strrchr(url, '/') + 1 : url;
    struct buf out = BUF_INIT;

    if (http_unescape(s, strcspn(s, "?#"), &out) < 0) {
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out);
}

/* The new variable's uuid: from the answer, else from its Location. */
static char *created_uuid(const struct http_response *response)
{
    json_t *body =
        json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);
    const char *uuid = json_string_value(json_object_get(body, "uuid"));
    const char *location = http_response_header(response, "Location");
    char *found = NULL;

    if (uuid != NULL)
        found = strdup(uuid);
    else if (location != NULL)
        found = url_last_segment(location);
    json_decref(body);
    return found;
}

/*
 * Creates the variable and adds it to the list.  1 when Bitbucket says
 * it exists (409): created since the list was read.
 */
static int variable_post(struct provider_session *session,
                         struct provider_variable *v)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT, body = BUF_INIT;
    char *uuid = NULL;
    int rc;

    rc = collection_url(session, &url);
    if (rc == 0)
        rc = variable_body(v, &body);
    if (rc == 0)
        rc = request_send(session, "POST", url.data, &body, &response);
    if (rc < 0)
        goto out;

    if (response.status == 409) {
        rc = 1;
    } else if (response.status != 201 && response.status != 200) {
        rc = write_refused(session, "create", v, &response);
    } else {
        v->outcome = OUTCOME_CREATED;
        uuid = created_uuid(&response);
        /* Without its uuid, the next look-up reads the list again. */
        if (uuid == NULL)
            session->listed = false;
        else
            rc = cache_add(session, uuid, v->name);
    }

out:
    free(uuid);
    http_response_release(&response);
    buf_release(&url);
    buf_release(&body);
    return rc;
}

/* Updates the listed variable, else creates it. */
static int variable_write(struct provider_session *session,
                          struct provider_variable *v)
{
    struct bitbucket_variable *known = cache_find(session, v->name);
    int rc;

    if (known != NULL) {
        rc = variable_put(session, known->uuid, v);
        if (rc != 1)
            return rc;
        /* Deleted since the list was read: create it again. */
        cache_remove(session, known);
    }
    rc = variable_post(session, v);
    if (rc != 1)
        return rc;

    /* Created by someone else since the list was read. */
    session->listed = false;
    rc = scope_list(session);
    if (rc < 0)
        return rc;
    known = cache_find(session, v->name);
    if (known != NULL)
        rc = variable_put(session, known->uuid, v);
    if (known == NULL || rc == 1)
        rc = error_set(SFCI_EFAIL,
                       "Bitbucket says '%s' exists in %s (409) but does not "
                       "list it: try again later",
                       v->name, session->place);
    return rc;
}

static int bitbucket_write(struct provider_session *session,
                           struct provider_variable *variables, size_t count)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < count; i++) {
        rc = scope_list(session);
        if (rc == 0)
            rc = variable_write(session, &variables[i]);
        /* A scope gone since preflight is a failed write, not bad input. */
        if (rc == SFCI_EINPUT)
            rc = error_set(SFCI_EFAIL, "%s", error_message());
        if (rc < 0) {
            variables[i].outcome = OUTCOME_FAILED;
            snprintf(variables[i].message, sizeof(variables[i].message), "%s",
                     error_message());
        }
    }
    return rc;
}

const struct provider provider_bitbucket = {
    .name = "bitbucket",
    .title = "Bitbucket",
    .capabilities = PROVIDER_ENVIRONMENTS | PROVIDER_MASKED,
    .check = bitbucket_check,
    .manual_steps = bitbucket_manual_steps,
    .open = bitbucket_open,
    .preflight = bitbucket_preflight,
    .exist = bitbucket_exist,
    .write = bitbucket_write,
    .close = bitbucket_close,
};
