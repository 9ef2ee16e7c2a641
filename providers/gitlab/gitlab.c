/*
 * GitLab: project CI/CD variables, masked, scoped to an environment and
 * optionally protected.
 *
 * Rules, from https://docs.gitlab.com/ci/variables/ and the API
 * (https://docs.gitlab.com/api/project_level_variables/):
 * - a key is at most 255 characters of [A-Za-z0-9_];
 * - a masked value (sfci masks every value) is a single line of at least
 *   8 characters from [a-zA-Z0-9_+=/@:.~-]; this is the regex of
 *   app/models/concerns/ci/maskable.rb for variables whose references are
 *   expanded, the stricter of its two, so a value that passes it can be
 *   masked whatever the "Expand variable reference" flag says.
 *
 * Requests (https://docs.gitlab.com/api/project_level_variables/), the
 * project addressed by its URL-encoded path, the token in PRIVATE-TOKEN:
 * - preflight: GET /projects/:id (the token, the project, the role in
 *   permissions), GET /personal_access_tokens/self (the api scope), then
 *   every page of GET /projects/:id/variables, which needs Maintainer and
 *   tells which keys exist in the scope; the keys (never the values) are
 *   kept for the session, so nothing is read twice;
 * - write: PUT /projects/:id/variables/:key?filter[environment_scope]=S
 *   for a key the scope has, POST /projects/:id/variables otherwise; each
 *   falls back to the other when the host changed in between.
 */
#include "errors.h"
#include "http.h"
#include "provider.h"
#include "rules.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GITLAB_KEY_MAX 255
#define GITLAB_MASKED_MIN 8
#define GITLAB_KEY_CHARS RULES_ALNUM "_"
#define GITLAB_MASKED_CHARS RULES_ALNUM "_+=/@:.~-"

static int gitlab_check_name(const char *name)
{
    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "GitLab refuses an empty variable "
                                      "key: give the variable a name");
    if (rules_longer_than(name, GITLAB_KEY_MAX))
        return error_set(SFCI_EINPUT,
                         "GitLab refuses the variable key '%.32s...' "
                         "(longer than %d characters): shorten the branch "
                         "name or alias",
                         name, GITLAB_KEY_MAX);
    if (!rules_all_in(name, GITLAB_KEY_CHARS))
        return error_set(SFCI_EINPUT,
                         "GitLab refuses the variable key '%s' (only "
                         "letters, digits and '_' are allowed): rename it",
                         name);
    return 0;
}

static int gitlab_check_value(const char *name, const char *value)
{
    if (value == NULL)
        return 0;
    if (rules_check_filled("the GitLab variable", name, value) < 0)
        return SFCI_EINPUT;
    if (!rules_all_in(value, GITLAB_MASKED_CHARS) ||
        strlen(value) < GITLAB_MASKED_MIN)
        return error_set(SFCI_EINPUT,
                         "GitLab cannot mask the value of '%s' (masked "
                         "values are one line of %d or more of "
                         "A-Za-z0-9_+=/@:.~-): keep the key in the "
                         "repository with --key-storage repo",
                         name, GITLAB_MASKED_MIN);
    return 0;
}

static int gitlab_check(const struct provider_target *target, const char *name,
                        const char *value)
{
    int rc = gitlab_check_name(name);

    if (rc < 0)
        return rc;
    return gitlab_check_value(name, value);
}

static int gitlab_manual_steps(const struct provider_target *target,
                               struct buf *out)
{
    const char *scope = target->environment ? target->environment : "All (*)";
    const char *protect = target->protected_branches
                              ? "checked (only protected branches and tags "
                                "get it)"
                              : "cleared (the pipelines of every branch get "
                                "it)";

    if (buf_printf(out, "In GitLab, open %s%s.\n",
                   target->repo ? "the project " : "your project",
                   target->repo ? target->repo : "") < 0 ||
        buf_puts(out, "Select Settings > CI/CD and expand Variables.\n"
                      "For each variable, select Add variable and set:\n"
                      "  Type: Variable\n") < 0 ||
        buf_printf(out, "  Environment scope: %s\n", scope) < 0 ||
        buf_printf(out, "  Protect variable: %s\n", protect) < 0)
        return SFCI_EFAIL;

    if (buf_puts(out, "  Expand variable reference: cleared\n"
                      "  Visibility: Masked (Masked and hidden also works; no "
                      "one can reveal it)\n"
                      "  Key: the variable name\n"
                      "  Value: its value\n"
                      "then select Add variable. If the key exists in that "
                      "scope, edit it instead.\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

/*
 * The session: what open() read, and the keys the scope holds.
 */

#define GITLAB_TOKEN_VARIABLE "GITLAB_TOKEN"
#define GITLAB_DEFAULT_API "https://gitlab.com/api/v4"
#define GITLAB_PER_PAGE 100
/* 8,000 variables a project, 100 a page: far more pages means a loop. */
#define GITLAB_MAX_PAGES 1000
/* How much of the host's own message goes into ours. */
#define GITLAB_REASON_MAX 160

struct provider_session {
    struct http_client *http;
    char *api;         /* the API root, no trailing '/' */
    char *project;     /* "group/sub/project", as given */
    char *project_url; /* <api>/projects/<project, escaped> */
    char *scope;       /* environment_scope: "*" or --environment */
    char *auth_header; /* "PRIVATE-TOKEN: ...": secret */
    bool protected_branches;
    long level;   /* the role GitLab shows on the project, or -1 */
    bool checked; /* preflight passed */
    bool listed;  /* keys holds every key of the scope */
    char **keys;
    size_t key_count;
};

static void session_free(struct provider_session *s)
{
    if (s == NULL)
        return;
    free(s->api);
    free(s->project);
    free(s->project_url);
    free(s->scope);
    secret_free(s->auth_header);
    for (size_t i = 0; i < s->key_count; i++)
        free(s->keys[i]);
    free(s->keys);
    free(s);
}

static bool session_has_key(const struct provider_session *s, const char *key)
{
    for (size_t i = 0; i < s->key_count; i++)
        if (strcmp(s->keys[i], key) == 0)
            return true;
    return false;
}

static int session_add_key(struct provider_session *s, const char *key)
{
    char **longer;
    char *copy;

    if (session_has_key(s, key))
        return 0;
    copy = strdup(key);
    longer = realloc(s->keys, (s->key_count + 1) * sizeof(*s->keys));
    if (copy == NULL || longer == NULL) {
        free(copy);
        if (longer != NULL)
            s->keys = longer;
        return error_oom();
    }
    s->keys = longer;
    s->keys[s->key_count++] = copy;
    return 0;
}

/* The API root: --api-url, else CI_API_V4_URL, else the origin's host. */
static int api_root(const struct provider_context *context, char **out)
{
    const char *url = context->api_url;
    struct buf root = BUF_INIT;
    int rc = 0;

    *out = NULL;
    if (rules_empty(url))
        url = context->env("CI_API_V4_URL");
    if (!rules_empty(url))
        rc = buf_puts(&root, url);
    else if (!rules_empty(context->origin_host))
        rc = buf_printf(&root, "https://%s/api/v4", context->origin_host);
    else
        rc = buf_puts(&root, GITLAB_DEFAULT_API);
    if (rc < 0)
        goto out;
    while (root.len > 0 && root.data[root.len - 1] == '/')
        root.data[--root.len] = '\0';
    rc = http_url_check(buf_cstr(&root));
    if (rc == 0)
        *out = buf_detach(&root);

out:
    buf_release(&root);
    return rc;
}

static int project_name(const struct provider_context *context,
                        const char **out)
{
    const char *repo = context->target->repo;

    if (rules_empty(repo))
        repo = context->origin_path;
    *out = repo;
    if (rules_empty(repo))
        return error_set(SFCI_EINPUT, "no GitLab project to write to: pass "
                                      "--repo group/project");
    if (repo[0] == '/' || repo[strlen(repo) - 1] == '/')
        return error_set(SFCI_EINPUT,
                         "the GitLab project '%s' is not a path: pass "
                         "--repo group/project, without a leading or "
                         "trailing '/'",
                         repo);
    return 0;
}

static int session_fill(struct provider_session *s,
                        const struct provider_context *context,
                        const char *project, const char *token)
{
    const char *environment = context->target->environment;
    struct buf url = BUF_INIT;
    int rc;

    s->http = context->http;
    s->level = -1;
    s->protected_branches = context->target->protected_branches;
    s->project = strdup(project);
    s->scope = strdup(rules_empty(environment) ? "*" : environment);
    if (s->project == NULL || s->scope == NULL)
        return error_oom();

    rc = api_root(context, &s->api);
    if (rc == 0)
        rc = buf_printf(&url, "%s/projects/", s->api);
    if (rc == 0)
        rc = http_escape(project, &url);
    if (rc == 0) {
        s->project_url = buf_detach(&url);
        rc = buf_printf(&url, "PRIVATE-TOKEN: %s", token);
    }
    if (rc == 0)
        s->auth_header = buf_detach(&url);
    buf_release(&url);
    return rc;
}

static int gitlab_open(const struct provider_context *context,
                       struct provider_session **out)
{
    const char *token = context->env(GITLAB_TOKEN_VARIABLE);
    struct provider_session *s = NULL;
    const char *project;
    int rc;

    *out = NULL;
    if (rules_empty(token))
        return error_set(SFCI_EINPUT,
                         "no GitLab token: set " GITLAB_TOKEN_VARIABLE
                         " to an access token with the api scope and the "
                         "Maintainer role on the project");
    rc = project_name(context, &project);
    if (rc < 0)
        return rc;

    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return error_oom();
    rc = session_fill(s, context, project, token);
    if (rc < 0) {
        session_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void gitlab_close(struct provider_session *session)
{
    session_free(session);
}

/*
 * Requests.
 */

/*
 * Rack::Attack's 429 says when the window resets (RateLimit-Reset, Unix
 * time); Retry-After, when there, is the core's default rule.
 */
static long gitlab_retry_wait(const struct http_response *response, void *data)
{
    const char *reset = http_response_header(response, "RateLimit-Reset");
    long long when;
    char *end;

    if (http_response_header(response, "Retry-After") != NULL || reset == NULL)
        return -1;
    errno = 0;
    when = strtoll(reset, &end, 10);
    if (errno != 0 || end == reset || *end != '\0')
        return -1;
    when -= (long long)time(NULL);
    if (when <= 0)
        return 0;
    return when > 86400 ? 86400L * 1000 : (long)when * 1000;
}

/*
 * One request to the API.  A body is form-encoded; secret marks a body
 * and an answer that hold values, so the -v trace hides them.  Writes
 * are not tried again after a 500: GitLab may have stored the variable,
 * and the caller decides.
 */
static int gitlab_send(const struct provider_session *s, const char *method,
                       const char *url, const struct buf *body, bool secret,
                       struct http_response *response)
{
    const char *headers[] = {
        s->auth_header,
        "Accept: application/json",
        body != NULL ? "Content-Type: application/x-www-form-urlencoded" : NULL,
        NULL,
    };
    struct http_request request = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = body != NULL ? body->data : NULL,
        .body_len = body != NULL ? body->len : 0,
        .body_secret = secret,
        .response_secret = secret,
        .retry = body != NULL
                     ? HTTP_RETRY_NETWORK | HTTP_RETRY_429 | HTTP_RETRY_5XX
                     : HTTP_RETRY_DEFAULT,
        .retry_wait = gitlab_retry_wait,
    };

    return http_send(s->http, &request, response);
}

/* Appends the field errors of {"message": {"value": ["is invalid"]}}. */
static int reason_fields(json_t *fields, struct buf *out)
{
    const char *field;
    json_t *list, *item;
    size_t i;
    int rc = 0;

    json_object_foreach(fields, field, list)
    {
        json_array_foreach(list, i, item)
        {
            if (!json_is_string(item))
                continue;
            rc = buf_printf(out, "%s%s %s", out->len > 0 ? "; " : "", field,
                            json_string_value(item));
            if (rc < 0)
                return rc;
        }
    }
    return rc;
}

/*
 * The host's own words for a failed answer, on one line: "message" (a
 * string, or field errors), else "error_description" or "error", else
 * the start of a text body (not of an HTML page), else the status.
 * GitLab's errors name keys, never values.
 */
static int reason_get(const struct http_response *response, struct buf *out)
{
    json_t *root =
        json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);
    json_t *message = json_object_get(root, "message");
    const char *text = NULL;
    int rc = 0;

    if (json_is_object(message))
        rc = reason_fields(message, out);
    else if (json_is_string(message))
        text = json_string_value(message);
    else if (json_is_string(json_object_get(root, "error_description")))
        text = json_string_value(json_object_get(root, "error_description"));
    else if (json_is_string(json_object_get(root, "error")))
        text = json_string_value(json_object_get(root, "error"));
    else if (root == NULL && buf_cstr(&response->body)[0] != '<')
        text = buf_cstr(&response->body);
    if (text != NULL)
        rc = buf_puts(out, text);
    json_decref(root);

    for (size_t i = 0; rc == 0 && i < out->len; i++)
        if ((unsigned char)out->data[i] < ' ' || out->data[i] == 0x7f)
            out->data[i] = ' ';
    while (out->len > 0 && out->data[out->len - 1] == ' ')
        out->data[--out->len] = '\0';
    if (rc == 0 && out->len > GITLAB_REASON_MAX)
        out->data[out->len = GITLAB_REASON_MAX] = '\0';
    if (rc == 0 && out->len == 0)
        rc = buf_printf(out, "HTTP %ld", response->status);
    return rc;
}

/* true when a 403 is a token without the api scope, not a role. */
static bool is_scope_refusal(const struct http_response *response)
{
    return strstr(buf_cstr(&response->body), "insufficient_scope") != NULL;
}

/* true when a 404 is GitLab's own answer for a project it cannot show. */
static bool is_project_missing(const struct http_response *response)
{
    return strstr(buf_cstr(&response->body), "Project Not Found") != NULL;
}

/*
 * Preflight.
 */

static const char *role_name(long level)
{
    if (level >= 50)
        return "Owner";
    if (level >= 40)
        return "Maintainer";
    if (level >= 30)
        return "Developer";
    if (level >= 20)
        return "Reporter";
    if (level >= 15)
        return "Planner";
    if (level >= 10)
        return "Guest";
    if (level >= 5)
        return "Minimal Access";
    return "without a role";
}

/* The failure of GET /projects/:id, or of the variable list. */
static int project_refused(const struct provider_session *s,
                           const struct http_response *response)
{
    struct buf reason = BUF_INIT;
    long status = response->status;
    int rc;

    if (reason_get(response, &reason) < 0)
        return SFCI_EFAIL;
    if (status == 401)
        rc = error_set(SFCI_EAUTH,
                       "GitLab rejected the token in " GITLAB_TOKEN_VARIABLE
                       " for '%s' (%s): renew it, with the api scope and "
                       "the Maintainer role",
                       s->project, buf_cstr(&reason));
    else if (status == 403 && is_scope_refusal(response))
        rc = error_set(SFCI_EAUTH,
                       "the token in " GITLAB_TOKEN_VARIABLE " may not "
                       "use this API of GitLab for '%s' (%s): give it the "
                       "api scope",
                       s->project, buf_cstr(&reason));
    else if (status == 403 && s->level >= 0)
        rc = error_set(SFCI_EAUTH,
                       "the token's user is %s on the GitLab project '%s' "
                       "(%s), and CI/CD variables need Maintainer: ask an "
                       "owner for that role, or use another token",
                       role_name(s->level), s->project, buf_cstr(&reason));
    else if (status == 403)
        rc = error_set(SFCI_EAUTH,
                       "GitLab refuses the CI/CD variables of '%s' to the "
                       "token in " GITLAB_TOKEN_VARIABLE " (%s): its user "
                       "needs the Maintainer role on the project",
                       s->project, buf_cstr(&reason));
    else if (status == 404 && !is_project_missing(response))
        rc = error_set(SFCI_EINPUT,
                       "'%s' answered 404 for the project '%s' (%s), not as "
                       "GitLab's API does: check --api-url (GitLab's ends "
                       "in /api/v4)",
                       s->api, s->project, buf_cstr(&reason));
    else if (status == 404)
        rc = error_set(SFCI_EINPUT,
                       "GitLab at '%s' has no project '%s' that the token "
                       "can see (%s): check --repo (the full path, "
                       "group/subgroup/project) and that the token's user "
                       "is a member",
                       s->api, s->project, buf_cstr(&reason));
    else
        rc = error_set(SFCI_EFAIL,
                       "GitLab answered %ld for the project '%s' (%s): "
                       "try again later",
                       status, s->project, buf_cstr(&reason));
    buf_release(&reason);
    return rc;
}

/* The best access level GitLab shows, or -1 when it shows none. */
static long access_level(json_t *project)
{
    static const char *const kinds[] = {"project_access", "group_access"};
    json_t *permissions = json_object_get(project, "permissions");
    long best = -1;

    for (size_t i = 0; i < 2; i++) {
        json_t *access = json_object_get(permissions, kinds[i]);
        json_t *level = json_object_get(access, "access_level");
        if (json_is_integer(level) && json_integer_value(level) > best)
            best = (long)json_integer_value(level);
    }
    return best;
}

/*
 * GET /projects/:id: the token works and the project is there.  The role
 * it shows only words the message of a refusal: permissions leave out
 * roles inherited from ancestor groups, shared groups and administrators,
 * so the variable list, which needs Maintainer, is what decides.
 */
static int project_check(struct provider_session *s)
{
    struct http_response response = {0};
    json_t *project = NULL;
    int rc;

    rc = gitlab_send(s, "GET", s->project_url, NULL, false, &response);
    if (rc < 0)
        goto out;
    if (response.status != 200) {
        rc = project_refused(s, &response);
        goto out;
    }
    project = json_loadb(buf_cstr(&response.body), response.body.len, 0, NULL);
    if (!json_is_object(project)) {
        rc = error_set(SFCI_EFAIL,
                       "GitLab's answer for the project '%s' is not a JSON "
                       "object: check --api-url ('%s')",
                       s->project, s->api);
        goto out;
    }
    s->level = access_level(project);

out:
    json_decref(project);
    http_response_release(&response);
    return rc;
}

/* true when the JSON array of scopes holds "api". */
static bool scopes_allow_writes(json_t *scopes, struct buf *names)
{
    json_t *item;
    size_t i;
    bool api = false;

    json_array_foreach(scopes, i, item)
    {
        if (!json_is_string(item))
            continue;
        if (strcmp(json_string_value(item), "api") == 0)
            api = true;
        if (buf_printf(names, "%s%s", names->len > 0 ? ", " : "",
                       json_string_value(item)) < 0)
            return true; /* out of memory: let the write tell */
    }
    return api;
}

/*
 * GET /personal_access_tokens/self: a personal, project or group access
 * token without the api scope reads but cannot write.  Other tokens, and
 * an older GitLab without this endpoint, answer otherwise: then the write
 * will tell.
 */
static int scope_check(struct provider_session *s)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT, names = BUF_INIT;
    json_t *token = NULL;
    int rc;

    rc = buf_printf(&url, "%s/personal_access_tokens/self", s->api);
    if (rc == 0)
        rc = gitlab_send(s, "GET", buf_cstr(&url), NULL, false, &response);
    if (rc < 0 || response.status != 200)
        goto out;
    token = json_loadb(buf_cstr(&response.body), response.body.len, 0, NULL);
    if (!json_is_array(json_object_get(token, "scopes")))
        goto out;
    if (!scopes_allow_writes(json_object_get(token, "scopes"), &names))
        rc = error_set(SFCI_EAUTH,
                       "the token in " GITLAB_TOKEN_VARIABLE " has the "
                       "scopes '%s', which cannot change CI/CD variables: "
                       "use a token with the api scope",
                       buf_cstr(&names));

out:
    json_decref(token);
    http_response_release(&response);
    buf_release(&url);
    buf_release(&names);
    return rc;
}

/* Keeps the keys of one page that are in the session's scope. */
static int keys_add_page(struct provider_session *s, json_t *page)
{
    json_t *item;
    size_t i;
    int rc = 0;

    json_array_foreach(page, i, item)
    {
        json_t *key = json_object_get(item, "key");
        json_t *scope = json_object_get(item, "environment_scope");
        if (!json_is_string(key) || !json_is_string(scope) ||
            strcmp(json_string_value(scope), s->scope) != 0)
            continue;
        rc = session_add_key(s, json_string_value(key));
        if (rc < 0)
            break;
    }
    return rc;
}

/* The page after this one: x-next-page, empty or absent on the last. */
static long next_page(const struct http_response *response, long page)
{
    const char *next = http_response_header(response, "x-next-page");
    char *end;
    long number;

    if (next == NULL || *next == '\0')
        return 0;
    errno = 0;
    number = strtol(next, &end, 10);
    if (errno != 0 || *end != '\0' || number <= page)
        return 0;
    return number;
}

/* Reads one page into the keys; *next is the next page, or 0. */
static int keys_read_page(struct provider_session *s, long page, long *next)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    json_t *list = NULL;
    int rc;

    *next = 0;
    rc = buf_printf(&url, "%s/variables?per_page=%d&page=%ld", s->project_url,
                    GITLAB_PER_PAGE, page);
    if (rc < 0)
        return rc;
    rc = gitlab_send(s, "GET", buf_cstr(&url), NULL, true, &response);
    if (rc < 0)
        goto out;
    if (response.status != 200) {
        rc = project_refused(s, &response);
        goto out;
    }
    list = json_loadb(buf_cstr(&response.body), response.body.len, 0, NULL);
    if (!json_is_array(list)) {
        rc = error_set(SFCI_EFAIL,
                       "GitLab's list of the CI/CD variables of '%s' is "
                       "not a JSON array: check --api-url ('%s')",
                       s->project, s->api);
        goto out;
    }
    rc = keys_add_page(s, list);
    if (rc == 0 && json_array_size(list) > 0)
        *next = next_page(&response, page);

out:
    json_decref(list);
    http_response_release(&response);
    buf_release(&url);
    return rc;
}

/*
 * Every page of GET /projects/:id/variables, once a session: which keys
 * the scope has.  It needs the Maintainer role, so it also proves the
 * role that permissions did not show.
 */
static int keys_load(struct provider_session *s)
{
    long page = 1, next = 0;
    int rc = 0, pages;

    if (s->listed)
        return 0;
    for (pages = 0; rc == 0 && page > 0 && pages < GITLAB_MAX_PAGES; pages++) {
        rc = keys_read_page(s, page, &next);
        page = next;
    }
    if (rc == 0 && page > 0)
        rc = error_set(SFCI_EFAIL,
                       "GitLab lists more than %d pages of CI/CD variables "
                       "for '%s': check --api-url ('%s')",
                       GITLAB_MAX_PAGES, s->project, s->api);
    s->listed = rc == 0;
    return rc;
}

static int gitlab_preflight(struct provider_session *session)
{
    int rc;

    if (session->checked)
        return 0;
    rc = project_check(session);
    if (rc == 0)
        rc = scope_check(session);
    if (rc == 0)
        rc = keys_load(session);
    session->checked = rc == 0;
    return rc;
}

static int gitlab_exist(struct provider_session *session,
                        const char *const *names, size_t count, bool *exists)
{
    int rc;

    for (size_t i = 0; i < count; i++)
        exists[i] = false;
    rc = keys_load(session);
    for (size_t i = 0; rc == 0 && i < count; i++)
        exists[i] = session_has_key(session, names[i]);
    return rc;
}

/*
 * Writes.
 */

/*
 * The form of a POST (with key and scope) or a PUT (the key in the URL).
 * Masked, since sfci's values pass the rule; raw, so that GitLab never
 * expands a '$'; of type env_var, the value itself in the job's
 * environment, which is what sfci login reads (a file variable would
 * give it a path).  The description and anything else are left alone.
 */
static int variable_form(const struct provider_session *s,
                         const struct provider_variable *v, bool create,
                         struct buf *out)
{
    int rc = 0;

    if (create)
        rc = buf_puts(out, "key=");
    if (rc == 0 && create)
        rc = http_escape(v->name, out);
    if (rc == 0 && create)
        rc = buf_puts(out, "&environment_scope=");
    if (rc == 0 && create)
        rc = http_escape(s->scope, out);
    if (rc == 0)
        rc = buf_printf(out, "%svalue=", create ? "&" : "");
    if (rc == 0)
        rc = http_escape(v->value, out);
    if (rc == 0)
        rc = buf_printf(out,
                        "&variable_type=env_var&masked=true&raw=true"
                        "&protected=%s",
                        s->protected_branches ? "true" : "false");
    return rc;
}

static int variable_url(const struct provider_session *s,
                        const struct provider_variable *v, bool create,
                        struct buf *out)
{
    int rc = buf_printf(out, "%s/variables", s->project_url);

    if (rc == 0 && !create)
        rc = buf_putc(out, '/');
    if (rc == 0 && !create)
        rc = http_escape(v->name, out);
    if (rc == 0 && !create)
        rc = buf_puts(out, "?filter%5Benvironment_scope%5D=");
    if (rc == 0 && !create)
        rc = http_escape(s->scope, out);
    return rc;
}

/* POST a new variable, or PUT over the one of the same key and scope. */
static int variable_send(const struct provider_session *s,
                         const struct provider_variable *v, bool create,
                         struct http_response *response)
{
    struct buf url = BUF_INIT, form = BUF_INIT;
    int rc;

    rc = variable_url(s, v, create, &url);
    if (rc == 0)
        rc = variable_form(s, v, create, &form);
    if (rc == 0)
        rc = gitlab_send(s, create ? "POST" : "PUT", buf_cstr(&url), &form,
                         true, response);
    else
        memset(response, 0, sizeof(*response));
    buf_release(&url);
    buf_release(&form);
    return rc;
}

/* A 400 that says the key exists in the scope: someone created it. */
static bool is_taken(const struct http_response *response)
{
    return response->status == 400 &&
           strstr(buf_cstr(&response->body), "has already been taken") != NULL;
}

/* A 404 for the variable, not the project: someone deleted it. */
static bool is_gone(const struct http_response *response)
{
    return response->status == 404 &&
           strstr(buf_cstr(&response->body), "Variable Not Found") != NULL;
}

/* Marks v failed with the last error message. */
static void variable_failed(struct provider_variable *v)
{
    snprintf(v->message, sizeof(v->message), "%s", error_message());
    v->outcome = OUTCOME_FAILED;
}

/* What a person does about a refused write, by status. */
static const char *refusal_fix(const struct http_response *response)
{
    long status = response->status;

    if (status == 401)
        return "renew " GITLAB_TOKEN_VARIABLE;
    if (status == 403 && is_scope_refusal(response))
        return "give the token the api scope";
    if (status == 403)
        return "the token's user needs the Maintainer role";
    if (status == 400)
        return "check the variable against GitLab's rules";
    return "try again later";
}

/* Marks v failed with the host's answer; the code for the caller. */
static int variable_refused(const struct provider_session *s,
                            struct provider_variable *v,
                            const struct http_response *response)
{
    long status = response->status;
    struct buf reason = BUF_INIT;
    int rc;

    rc = reason_get(response, &reason);
    /* A host that echoes what it was sent must not put it in a message. */
    if (rc == 0 && *v->value != '\0' &&
        strstr(buf_cstr(&reason), v->value) != NULL) {
        buf_clear(&reason);
        rc = buf_printf(&reason, "HTTP %ld", status);
    }
    if (rc == 0)
        rc = error_set(status == 401 || status == 403 ? SFCI_EAUTH : SFCI_EFAIL,
                       "GitLab answered %ld to writing '%s' in '%s' (%s): %s",
                       status, v->name, s->project, buf_cstr(&reason),
                       refusal_fix(response));
    variable_failed(v);
    buf_release(&reason);
    return rc;
}

/*
 * Creates or updates one variable.  The list said whether the key is in
 * the scope; when the host changed since (a 404 on PUT, "has already
 * been taken" on POST), the other request is sent once.
 */
static int variable_write(struct provider_session *s,
                          struct provider_variable *v)
{
    bool create = !session_has_key(s, v->name);
    struct http_response response = {0};
    int rc;

    rc = variable_send(s, v, create, &response);
    if (rc == 0 && (create ? is_taken(&response) : is_gone(&response))) {
        http_response_release(&response);
        create = !create;
        rc = variable_send(s, v, create, &response);
    }
    if (rc < 0) {
        error_prefix("cannot write '%s' to the GitLab project '%s'", v->name,
                     s->project);
        variable_failed(v);
        goto out;
    }
    if (response.status != (create ? 201 : 200)) {
        rc = variable_refused(s, v, &response);
        goto out;
    }
    v->outcome = create ? OUTCOME_CREATED : OUTCOME_UPDATED;
    rc = session_add_key(s, v->name);

out:
    http_response_release(&response);
    return rc;
}

static int gitlab_write(struct provider_session *session,
                        struct provider_variable *variables, size_t count)
{
    int rc;

    for (size_t i = 0; i < count; i++) {
        variables[i].outcome = OUTCOME_PENDING;
        variables[i].message[0] = '\0';
    }
    /* Read once a session, by preflight; here only if it was skipped. */
    rc = keys_load(session);
    if (rc < 0 && count > 0)
        variable_failed(&variables[0]);
    for (size_t i = 0; rc == 0 && i < count; i++)
        rc = variable_write(session, &variables[i]);
    return rc;
}

const struct provider provider_gitlab = {
    .name = "gitlab",
    .title = "GitLab",
    .capabilities =
        PROVIDER_ENVIRONMENTS | PROVIDER_PROTECTED | PROVIDER_MASKED,
    .check = gitlab_check,
    .manual_steps = gitlab_manual_steps,
    .open = gitlab_open,
    .preflight = gitlab_preflight,
    .exist = gitlab_exist,
    .write = gitlab_write,
    .close = gitlab_close,
};
