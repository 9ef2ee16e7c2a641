/*
 * Azure DevOps Pipelines: secret variables in a variable group
 * (--variable-group, "salesforce-auth" unless given), which the pipelines
 * link by name.
 *
 * Rules, from "Variable naming restrictions"
 * (https://learn.microsoft.com/azure/devops/pipelines/process/variables):
 * - a name holds letters, digits, '.' and '_';
 * - a name starting with endpoint, input, secret, path or securefile, in
 *   any case, is reserved: such a variable never reaches tasks or scripts.
 * Neither the variable group API nor its documentation states a limit on
 * a secret's value, so none is enforced here.
 *
 * The variables go through the variable group REST API (api-version 7.1;
 * shared/reference/provider-apis.md, section 3), as "The session" below
 * explains.
 */
#include "errors.h"
#include "http.h"
#include "provider.h"
#include "rules.h"

#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define AZURE_NAME_CHARS RULES_ALNUM "._"

static const char *const azure_reserved_prefixes[] = {
    "endpoint", "input", "secret", "path", "securefile", NULL,
};

static int azure_check_name(const char *name)
{
    const char *prefix;

    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "Azure DevOps refuses an empty "
                                      "variable name: give the variable a "
                                      "name");
    if (!rules_all_in(name, AZURE_NAME_CHARS))
        return error_set(SFCI_EINPUT,
                         "Azure DevOps refuses the variable name '%s' "
                         "(only letters, digits, '.' and '_' are allowed): "
                         "rename it",
                         name);
    prefix = rules_find_prefix_nocase(name, azure_reserved_prefixes);
    if (prefix != NULL)
        return error_set(SFCI_EINPUT,
                         "Azure DevOps reserves the variable name '%s' "
                         "(names starting with '%s' never reach tasks or "
                         "scripts): rename it",
                         name, prefix);
    return 0;
}

static int azure_check(const struct provider_target *target, const char *name,
                       const char *value)
{
    int rc = azure_check_name(name);

    if (rc < 0)
        return rc;
    return rules_check_filled("the Azure DevOps variable", name, value);
}

/* The group: found or created, then filled with secret variables. */
static int azure_steps_group(const struct provider_target *target,
                             const char *group, struct buf *out)
{
    if (buf_printf(out, "In Azure DevOps, open %s%s.\n",
                   target->repo ? "the project " : "your project",
                   target->repo ? target->repo : "") < 0 ||
        buf_printf(out,
                   "Select Pipelines > Library. Open the variable group %s\n"
                   "(or create it with + Variable group, named %s).\n",
                   group, group) < 0)
        return SFCI_EFAIL;

    if (buf_puts(out, "For each variable, select + Add under Variables and "
                      "set:\n"
                      "  Name: the variable name\n"
                      "  Value: its value, then select the lock icon to "
                      "make it secret\n"
                      "Leave the other variables of the group as they are, "
                      "and select Save.\n"
                      "Select Pipeline permissions and add (+) the "
                      "pipelines that run sfci login.\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

/* Secret variables reach a script only through an explicit mapping. */
static int azure_steps_pipeline(const char *group, struct buf *out)
{
    if (buf_puts(out, "The pipeline links the group and maps each secret "
                      "to the script, as\n"
                      "secret variables are not passed on by themselves "
                      "(NAME standing for\n"
                      "each variable name):\n"
                      "  variables:\n") < 0 ||
        buf_printf(out, "  - group: %s\n", group) < 0 ||
        buf_puts(out, "  steps:\n"
                      "  - script: sfci login\n"
                      "    env:\n"
                      "      NAME: $(NAME)\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

static int azure_manual_steps(const struct provider_target *target,
                              struct buf *out)
{
    /* The caller fills in the default; this only guards a bare target. */
    const char *group =
        target->variable_group ? target->variable_group : "salesforce-auth";
    int rc = azure_steps_group(target, group, out);

    if (rc < 0)
        return rc;
    return azure_steps_pipeline(group, out);
}

/*
 * The session: the variable group, read once and written back whole.
 *
 * Azure DevOps has no call for one variable: a PUT of a group replaces
 * its whole map, and deletes what the body leaves out.  So the group is
 * read once per run (found by name in the project), merged with our
 * variables and sent back with every other variable it holds; a secret
 * goes back as "value": null, which keeps the value Azure stores.  The
 * group the host answers becomes the cached copy, so a second write in
 * the same run needs no read.  A group that is missing is created at the
 * organization level and shared with the project, which needs the
 * project's id as well as its name.
 */

#define AZURE_API_VERSION "api-version=7.1"
#define AZURE_DEFAULT_ROOT "https://dev.azure.com/"
#define AZURE_PAT "AZURE_DEVOPS_EXT_PAT"
#define AZURE_JOB_TOKEN "SYSTEM_ACCESSTOKEN"
#define AZURE_SCOPE                                                            \
    "'Variable Groups: Read, create & manage' (vso.variablegroups_manage)"
/* Reading the project (for its id) needs this one too. */
#define AZURE_SCOPES                                                           \
    "'Variable Groups: Read, create & manage' (vso.variablegroups_manage) "    \
    "and 'Project and Team: Read' (vso.project)"
#define AZURE_GROUP_DESCRIPTION "Salesforce CI logins, written by sfci"
/* Pages of a group list followed before giving up on a name. */
#define AZURE_MAX_PAGES 20
/* How much of Azure's own message goes into ours. */
#define AZURE_MESSAGE_MAX 200

struct provider_session {
    struct http_client *http;
    char *root;          /* "https://dev.azure.com/acme", no '/' at the end */
    char *project;       /* as --repo gave it, decoded */
    char *group_name;    /* --variable-group */
    const char *token;   /* AZURE_PAT or AZURE_JOB_TOKEN: which was used */
    char *authorization; /* the "Authorization: ..." header; secret */
    char *project_id;    /* once read */
    char *project_name;  /* as Azure spells it, once read */
    json_t *group;       /* as last read or written; NULL while missing */
    bool group_read;     /* the look-up was done */
    bool group_manage;   /* listed with actionFilter=manage */
};

/* A request, and what it is for messages: "the read of the project 'X'". */
struct azure_call {
    const char *method;
    const char *url;
    const char *body; /* NULL: none */
    bool body_secret;
    unsigned int retry;
    char what[160];
};

/*
 * Where the API is.
 */

/* The n-th '/'-separated segment of path (from 0), appended to out. */
static int path_segment(const char *path, int n, struct buf *out)
{
    size_t len;

    for (; n > 0; n--) {
        path += strcspn(path, "/");
        if (*path == '\0')
            return 1;
        path++;
    }
    len = strcspn(path, "/");
    if (len == 0)
        return 1;
    return buf_append(out, path, len);
}

/*
 * The organization of the 'origin' remote: dev.azure.com/<org>/...,
 * ssh.dev.azure.com:v3/<org>/..., <org>.visualstudio.com.  1 when the
 * remote is not on Azure DevOps.
 */
static int root_from_origin(const struct provider_context *context,
                            struct buf *out)
{
    const char *host = context->origin_host, *path = context->origin_path;
    size_t len;

    if (host == NULL || path == NULL)
        return 1;
    if (buf_puts(out, AZURE_DEFAULT_ROOT) < 0)
        return SFCI_EFAIL;
    if (strcmp(host, "dev.azure.com") == 0)
        return path_segment(path, 0, out);
    if (strcmp(host, "ssh.dev.azure.com") == 0 ||
        strcmp(host, "vs-ssh.visualstudio.com") == 0)
        return strncmp(path, "v3/", 3) == 0 ? path_segment(path, 1, out) : 1;
    len = strlen(host);
    if (len > 17 && strcmp(host + len - 17, ".visualstudio.com") == 0)
        return buf_append(out, host, strcspn(host, "."));
    return 1;
}

/* --api-url, else SYSTEM_COLLECTIONURI, else from 'origin'. */
static int root_find(const struct provider_context *context, char **out)
{
    const char *given = context->api_url;
    struct buf root = BUF_INIT;
    int rc = 0;

    if (given == NULL || *given == '\0')
        given = context->env("SYSTEM_COLLECTIONURI");
    if (given != NULL && *given != '\0')
        rc = buf_puts(&root, given);
    else
        rc = root_from_origin(context, &root);
    if (rc > 0)
        rc = error_set(SFCI_EINPUT,
                       "cannot tell the Azure DevOps organization: pass "
                       "--api-url https://dev.azure.com/ORGANIZATION");
    while (rc == 0 && root.len > 0 && root.data[root.len - 1] == '/')
        root.data[--root.len] = '\0';
    if (rc == 0)
        rc = http_url_check(buf_cstr(&root));
    if (rc == 0)
        *out = buf_detach(&root);
    buf_release(&root);
    return rc;
}

/* A project name as a remote spells it ("My%20Project"), decoded. */
static char *project_decode(const char *text)
{
    struct buf out = BUF_INIT;

    if (http_unescape(text, strlen(text), &out) < 0) {
        buf_release(&out);
        return NULL;
    }
    return buf_detach(&out);
}

/*
 * The token: a personal access token (Basic, with an empty user name),
 * else the job's own token in a pipeline (Bearer).
 */
static int token_header(const struct provider_context *context,
                        struct provider_session *s)
{
    const char *pat = context->env(AZURE_PAT);
    const char *job = context->env(AZURE_JOB_TOKEN);
    struct buf plain = BUF_INIT, header = BUF_INIT;
    char *encoded = NULL;
    size_t size;
    int rc = 0;

    if (pat != NULL && *pat != '\0') {
        s->token = AZURE_PAT;
        rc = buf_printf(&plain, ":%s", pat);
        size = sodium_base64_ENCODED_LEN(plain.len,
                                         sodium_base64_VARIANT_ORIGINAL);
        encoded = rc == 0 ? malloc(size) : NULL;
        if (rc == 0 && encoded == NULL)
            rc = error_oom();
        if (rc == 0) {
            sodium_bin2base64(encoded, size, (unsigned char *)plain.data,
                              plain.len, sodium_base64_VARIANT_ORIGINAL);
            rc = buf_printf(&header, "Authorization: Basic %s", encoded);
        }
    } else if (job != NULL && *job != '\0') {
        s->token = AZURE_JOB_TOKEN;
        rc = buf_printf(&header, "Authorization: Bearer %s", job);
    } else {
        rc = error_set(SFCI_EINPUT,
                       "no Azure DevOps token: set " AZURE_PAT " to a "
                       "personal access token with the scopes " AZURE_SCOPES);
    }
    if (rc == 0)
        s->authorization = buf_detach(&header);
    secret_free(encoded);
    buf_release(&plain);
    buf_release(&header);
    return rc;
}

static void azure_close(struct provider_session *s)
{
    if (s == NULL)
        return;
    free(s->root);
    free(s->project);
    free(s->group_name);
    secret_free(s->authorization);
    free(s->project_id);
    free(s->project_name);
    json_decref(s->group);
    free(s);
}

static int azure_open(const struct provider_context *context,
                      struct provider_session **out)
{
    const struct provider_target *target = context->target;
    struct provider_session *s;
    int rc;

    *out = NULL;
    if (rules_empty(target->repo))
        return error_set(SFCI_EINPUT, "no Azure DevOps project: pass --repo "
                                      "with the project's name");
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return error_oom();
    s->http = context->http;
    s->project = project_decode(target->repo);
    s->group_name =
        strdup(rules_empty(target->variable_group) ? "salesforce-auth"
                                                   : target->variable_group);
    rc = s->project && s->group_name ? 0 : error_oom();
    if (rc == 0)
        rc = token_header(context, s);
    if (rc == 0)
        rc = root_find(context, &s->root);

    if (rc < 0)
        azure_close(s);
    else
        *out = s;
    return rc;
}

/*
 * Requests.
 */

/*
 * Azure's rate limits send Retry-After with a 429; a 429 without it still
 * has X-RateLimit-Reset (seconds since the epoch), when to come back.
 * -1 leaves the default rule.
 */
static long retry_wait(const struct http_response *response, void *data)
{
    const char *reset = http_response_header(response, "X-RateLimit-Reset");
    char *end;
    long long when;

    if (response->status != 429 || reset == NULL ||
        http_response_header(response, "Retry-After") != NULL)
        return -1;
    when = strtoll(reset, &end, 10);
    if (end == reset || *end != '\0')
        return -1;
    when -= (long long)time(NULL);
    if (when <= 0)
        return 0;
    return when > LONG_MAX / 1000 ? LONG_MAX : (long)when * 1000;
}

static int call_send(struct provider_session *s, const struct azure_call *c,
                     struct http_response *response)
{
    const char *headers[] = {
        s->authorization,
        "Accept: application/json",
        c->body != NULL ? "Content-Type: application/json" : NULL,
        NULL,
    };
    struct http_request request = {
        .method = c->method,
        .url = c->url,
        .headers = headers,
        .body = c->body,
        .body_len = c->body != NULL ? strlen(c->body) : 0,
        .body_secret = c->body_secret,
        .retry = c->retry,
        .retry_wait = retry_wait,
    };

    return http_send(s->http, &request, response);
}

/* Azure's "message", on one line and cut short, into out. */
static void message_read(const json_t *body, char *out, size_t size)
{
    const char *text = json_string_value(json_object_get(body, "message"));
    size_t i, n = 0;
    bool cut;

    out[0] = '\0';
    if (text == NULL)
        return;
    for (i = 0; text[i] != '\0' && n + 4 < size && n < AZURE_MESSAGE_MAX; i++) {
        if (text[i] == '\r')
            continue;
        out[n++] = (unsigned char)text[i] < ' ' ? ' ' : text[i];
    }
    /* Our message goes on after it: no full stop of its own. */
    cut = text[i] != '\0';
    while (n > 0 && (out[n - 1] == ' ' || (!cut && out[n - 1] == '.')))
        n--;
    snprintf(out + n, size - n, "%s", cut ? "..." : "");
}

/* How to fix a refused token, by where it came from. */
static const char *token_fix(const struct provider_session *s)
{
    if (strcmp(s->token, AZURE_PAT) == 0)
        return "renew it, with the scopes " AZURE_SCOPES;
    return "map it into the step (SYSTEM_ACCESSTOKEN: $(System.AccessToken)) "
           "or set " AZURE_PAT;
}

/*
 * Turns an answer that is not a success into the error: a refused token
 * (401, or the sign-in page Azure gives for a bad one: 203, 302 or any
 * success that is not JSON), a denied permission (403), or a failure.
 */
static int call_refused(const struct provider_session *s,
                        const struct azure_call *c,
                        const struct http_response *response,
                        const json_t *body)
{
    long status = response->status;
    char message[AZURE_MESSAGE_MAX + 8];

    message_read(body, message, sizeof(message));
    if (status == 401 || status == 203 || status == 302 ||
        (status / 100 == 2 && body == NULL))
        return error_set(SFCI_EAUTH,
                         "Azure DevOps refused the token in %s at '%s' "
                         "(%ld%s): %s",
                         s->token, s->root, status,
                         status == 401 ? "" : ", a sign-in page", token_fix(s));
    if (status == 403)
        return error_set(SFCI_EAUTH,
                         "Azure DevOps denied %s (403%s%s%s): give the "
                         "token's user the Administrator role on the "
                         "variable group (Pipelines > Library > Security), "
                         "and the token the scope " AZURE_SCOPE,
                         c->what, message[0] ? ": '" : "", message,
                         message[0] ? "'" : "");
    return error_set(SFCI_EFAIL, "Azure DevOps answered %ld to %s%s%s%s: %s",
                     status, c->what, message[0] ? " ('" : "", message,
                     message[0] ? "')" : "",
                     status >= 500 || status == 429
                         ? "try again later"
                         : "check --repo, --variable-group and --api-url");
}

/*
 * Sends c and reads the answer: *out is its JSON object on a 200 (or 201),
 * the caller's to release; 0 and *out NULL on a 404 when allow_missing.
 */
static int call_json(struct provider_session *s, const struct azure_call *c,
                     bool allow_missing, struct http_response *response,
                     json_t **out)
{
    json_t *body = NULL;
    int rc;

    *out = NULL;
    rc = call_send(s, c, response);
    if (rc < 0)
        return rc;
    body = json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);
    if (body != NULL && !json_is_object(body)) {
        json_decref(body);
        body = NULL;
    }
    if ((response->status == 200 || response->status == 201) && body != NULL)
        *out = body;
    else if (response->status == 404 && allow_missing)
        json_decref(body);
    else
        rc = call_refused(s, c, response, body);
    if (rc < 0)
        json_decref(body);
    return rc;
}

/*
 * The project.
 */

static int project_read(struct provider_session *s)
{
    struct buf url = BUF_INIT;
    struct http_response response = {0};
    struct azure_call c = {.method = "GET"};
    json_t *body = NULL;
    const char *id, *name;
    int rc;

    if (s->project_id != NULL)
        return 0;
    snprintf(c.what, sizeof(c.what), "the read of the project '%s'",
             s->project);
    rc = buf_printf(&url, "%s/_apis/projects/", s->root);
    if (rc == 0)
        rc = http_escape(s->project, &url);
    if (rc == 0)
        rc = buf_puts(&url, "?" AZURE_API_VERSION);
    if (rc == 0) {
        c.url = url.data;
        rc = call_json(s, &c, true, &response, &body);
    }
    if (rc < 0)
        goto out;

    if (body == NULL) {
        rc = error_set(SFCI_EINPUT,
                       "the Azure DevOps project '%s' is not in '%s': pass "
                       "the project's name with --repo, and its "
                       "organization with --api-url",
                       s->project, s->root);
        goto out;
    }
    id = json_string_value(json_object_get(body, "id"));
    name = json_string_value(json_object_get(body, "name"));
    if (rules_empty(id) || rules_empty(name)) {
        rc = error_set(SFCI_EFAIL,
                       "Azure DevOps answered the project '%s' without its "
                       "id or name: check --api-url",
                       s->project);
        goto out;
    }
    s->project_id = strdup(id);
    s->project_name = strdup(name);
    if (s->project_id == NULL || s->project_name == NULL)
        rc = error_oom();

out:
    json_decref(body);
    http_response_release(&response);
    buf_release(&url);
    return rc;
}

/*
 * The group.
 */

static int list_url(const struct provider_session *s, bool manage,
                    const char *continuation, struct buf *url)
{
    int rc = buf_printf(url, "%s/", s->root);

    if (rc == 0)
        rc = http_escape(s->project, url);
    if (rc == 0)
        rc = buf_puts(url, "/_apis/distributedtask/variablegroups?groupName=");
    if (rc == 0)
        rc = http_escape(s->group_name, url);
    if (rc == 0 && manage)
        rc = buf_puts(url, "&actionFilter=manage");
    if (rc == 0 && continuation != NULL) {
        rc = buf_puts(url, "&continuationToken=");
        if (rc == 0)
            rc = http_escape(continuation, url);
    }
    if (rc == 0)
        rc = buf_puts(url, "&" AZURE_API_VERSION);
    return rc;
}

/* The group of that name (any case) in a list answer, or NULL. */
static json_t *list_find(const json_t *body, const char *name)
{
    json_t *group;
    size_t i;

    json_array_foreach(json_object_get(body, "value"), i, group)
    {
        const char *found = json_string_value(json_object_get(group, "name"));

        if (found != NULL && strcasecmp(found, name) == 0 &&
            json_is_integer(json_object_get(group, "id")))
            return group;
    }
    return NULL;
}

/*
 * Finds the group by name, following continuation tokens; with manage,
 * only among the groups the token may change.  *out is NULL when there
 * is none.
 */
static int group_find(struct provider_session *s, bool manage, json_t **out)
{
    struct buf url = BUF_INIT;
    struct http_response response = {0};
    struct azure_call c = {.method = "GET"};
    json_t *body = NULL;
    char *next = NULL;
    const char *token;
    int page, rc = 0;

    *out = NULL;
    snprintf(c.what, sizeof(c.what), "the list of variable groups of '%s'",
             s->project);
    for (page = 0; rc == 0 && *out == NULL && page < AZURE_MAX_PAGES; page++) {
        buf_clear(&url);
        rc = list_url(s, manage, next, &url);
        if (rc == 0) {
            c.url = url.data;
            rc = call_json(s, &c, false, &response, &body);
        }
        if (rc == 0 && !json_is_array(json_object_get(body, "value")))
            rc = error_set(SFCI_EFAIL,
                           "Azure DevOps answered the list of variable "
                           "groups of '%s' without a value list: check "
                           "--api-url",
                           s->project);
        if (rc == 0 && (*out = list_find(body, s->group_name)) != NULL)
            json_incref(*out);

        free(next);
        token = http_response_header(&response, "x-ms-continuationtoken");
        next = token != NULL && *token != '\0' ? strdup(token) : NULL;
        if (rc == 0 && token != NULL && *token != '\0' && next == NULL)
            rc = error_oom();
        json_decref(body);
        body = NULL;
        http_response_release(&response);
        if (next == NULL)
            break;
    }
    free(next);
    buf_release(&url);
    return rc;
}

/*
 * Reads the group once per run: first among the groups the token may
 * change, which is the usual answer in one request; when it is not there,
 * among all, to tell a group the token may not change from a missing one.
 */
static int group_read(struct provider_session *s)
{
    json_t *group = NULL;
    int rc;

    if (s->group_read)
        return 0;
    rc = group_find(s, true, &group);
    if (rc == 0 && group != NULL)
        s->group_manage = true;
    else if (rc == 0)
        rc = group_find(s, false, &group);
    if (rc == 0) {
        s->group = group;
        s->group_read = true;
    }
    return rc;
}

/* The variable called name (any case) in the group, or NULL. */
static json_t *group_variable(const json_t *group, const char *name)
{
    const char *key;
    json_t *value;

    json_object_foreach(json_object_get(group, "variables"), key, value)
    {
        if (strcasecmp(key, name) == 0)
            return value;
    }
    return NULL;
}

static int azure_preflight(struct provider_session *s)
{
    const char *type;
    int rc;

    rc = project_read(s);
    if (rc == 0)
        rc = group_read(s);
    if (rc < 0 || s->group == NULL)
        return rc;

    if (!s->group_manage)
        return error_set(SFCI_EAUTH,
                         "the token in %s may not change the variable group "
                         "'%s' of '%s': give its user the Administrator role "
                         "on the group (Pipelines > Library > %s > "
                         "Security), and the token the scope " AZURE_SCOPE,
                         s->token, s->group_name, s->project, s->group_name);
    type = json_string_value(json_object_get(s->group, "type"));
    if (type != NULL && strcasecmp(type, "Vsts") != 0)
        return error_set(SFCI_EINPUT,
                         "the variable group '%s' of '%s' is of type '%s' "
                         "(linked to a key vault), which sfci cannot write: "
                         "pass another --variable-group",
                         s->group_name, s->project, type);
    return 0;
}

static int azure_exist(struct provider_session *s, const char *const *names,
                       size_t count, bool *exists)
{
    size_t i;
    int rc = group_read(s);

    for (i = 0; i < count; i++)
        exists[i] = rc == 0 && group_variable(s->group, names[i]) != NULL;
    return rc;
}

/*
 * Bodies.  Our values are written by hand into a buf, which is wiped when
 * released; Jansson's own copies would not be.
 */

/* Appends text as a JSON string. */
static int put_string(struct buf *out, const char *text)
{
    const unsigned char *p;
    int rc = buf_putc(out, '"');

    for (p = (const unsigned char *)text; rc == 0 && *p != '\0'; p++) {
        if (*p == '"' || *p == '\\')
            rc = buf_printf(out, "\\%c", *p);
        else if (*p < 0x20)
            rc = buf_printf(out, "\\u%04x", *p);
        else
            rc = buf_putc(out, (char)*p);
    }
    if (rc == 0)
        rc = buf_putc(out, '"');
    return rc;
}

/* Appends a JSON value that holds no secret of ours. */
static int put_json(struct buf *out, const json_t *value)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    int rc;

    if (text == NULL)
        return error_oom();
    rc = buf_puts(out, text);
    free(text);
    return rc;
}

static bool is_ours(const char *name, const struct provider_variable *vars,
                    size_t count)
{
    size_t i;

    for (i = 0; i < count; i++)
        if (strcasecmp(name, vars[i].name) == 0)
            return true;
    return false;
}

/*
 * The variables map: every other variable of the group as it is (a
 * secret with "value": null, so Azure keeps it), then ours, secret.
 */
static int put_variables(struct buf *out, const json_t *group,
                         const struct provider_variable *vars, size_t count)
{
    const char *key;
    json_t *value, *copy;
    bool first = true;
    size_t i;
    int rc = buf_putc(out, '{');

    json_object_foreach(json_object_get(group, "variables"), key, value)
    {
        if (rc < 0 || is_ours(key, vars, count) || !json_is_object(value))
            continue;
        copy = json_deep_copy(value);
        if (copy == NULL)
            return error_oom();
        if (json_is_true(json_object_get(copy, "isSecret")))
            json_object_set_new(copy, "value", json_null());
        rc = first ? 0 : buf_putc(out, ',');
        if (rc == 0)
            rc = put_string(out, key);
        if (rc == 0)
            rc = buf_putc(out, ':');
        if (rc == 0)
            rc = put_json(out, copy);
        json_decref(copy);
        first = false;
    }
    for (i = 0; i < count && rc == 0; i++) {
        rc = first ? 0 : buf_putc(out, ',');
        if (rc == 0)
            rc = put_string(out, vars[i].name);
        if (rc == 0)
            rc = buf_puts(out, ":{\"value\":");
        if (rc == 0)
            rc = put_string(out, vars[i].value);
        if (rc == 0)
            rc = buf_puts(out, ",\"isSecret\":true}");
        first = false;
    }
    if (rc == 0)
        rc = buf_putc(out, '}');
    return rc;
}

/* Our project's reference: its id and name, both needed. */
static json_t *reference_new(const struct provider_session *s)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s}}", "name", s->group_name,
                     "description", AZURE_GROUP_DESCRIPTION, "projectReference",
                     "id", s->project_id, "name", s->project_name);
}

/*
 * The projects the group is shared with, as it holds them, so that the
 * write unshares none; ours gets the name Azure wants with the id, and is
 * added when the group did not list it.
 */
static json_t *references_make(const struct provider_session *s)
{
    json_t *list, *reference, *project;
    bool found = false;
    size_t i;

    list = json_deep_copy(
        json_object_get(s->group, "variableGroupProjectReferences"));
    if (!json_is_array(list)) {
        json_decref(list);
        list = json_array();
    }
    json_array_foreach(list, i, reference)
    {
        const char *id;

        project = json_object_get(reference, "projectReference");
        id = json_string_value(json_object_get(project, "id"));
        if (id == NULL || strcasecmp(id, s->project_id) != 0)
            continue;
        found = true;
        if (rules_empty(json_string_value(json_object_get(project, "name"))))
            json_object_set_new(project, "name", json_string(s->project_name));
    }
    if (list != NULL && !found &&
        json_array_append_new(list, reference_new(s)) < 0) {
        json_decref(list);
        list = NULL;
    }
    return list;
}

/* The body of a PUT (the group merged) or a POST (s->group NULL). */
static int body_make(const struct provider_session *s,
                     const struct provider_variable *vars, size_t count,
                     struct buf *out)
{
    const json_t *group = s->group;
    json_t *references = references_make(s), *field;
    int rc;

    if (references == NULL)
        return error_oom();
    field = json_object_get(group, "name");
    rc = buf_puts(out, "{\"name\":");
    if (rc == 0)
        rc = json_is_string(field) ? put_json(out, field)
                                   : put_string(out, s->group_name);
    field = json_object_get(group, "description");
    if (rc == 0 && (group == NULL || json_is_string(field))) {
        rc = buf_puts(out, ",\"description\":");
        if (rc == 0)
            rc = group ? put_json(out, field)
                       : put_string(out, AZURE_GROUP_DESCRIPTION);
    }
    field = json_object_get(group, "type");
    if (rc == 0)
        rc = buf_puts(out, ",\"type\":");
    if (rc == 0)
        rc = json_is_string(field) ? put_json(out, field)
                                   : put_string(out, "Vsts");
    if (rc == 0)
        rc = buf_puts(out, ",\"variableGroupProjectReferences\":");
    if (rc == 0)
        rc = put_json(out, references);
    if (rc == 0)
        rc = buf_puts(out, ",\"variables\":");
    if (rc == 0)
        rc = put_variables(out, group, vars, count);
    if (rc == 0)
        rc = buf_putc(out, '}');
    json_decref(references);
    return rc;
}

/*
 * Writing.
 */

/* The answer of a write: the group, holding every variable we sent. */
static int written_check(const struct provider_session *s, const json_t *body,
                         const struct provider_variable *vars, size_t count)
{
    size_t i;

    if (!json_is_integer(json_object_get(body, "id")))
        return error_set(SFCI_EFAIL,
                         "Azure DevOps answered the write of the variable "
                         "group '%s' without its id: check --api-url",
                         s->group_name);
    for (i = 0; i < count; i++)
        if (group_variable(body, vars[i].name) == NULL)
            return error_set(SFCI_EFAIL,
                             "Azure DevOps did not keep '%s' in the variable "
                             "group '%s': check the group in Pipelines > "
                             "Library",
                             vars[i].name, s->group_name);
    return 0;
}

/*
 * One request for all the variables: a PUT of the merged group, or a
 * POST that creates it.  A PUT is tried again on 429 and 502-504 (the
 * same PUT twice does no harm), a POST only where the host did nothing
 * (429, 502-504), lest the group be created twice.  A 500 is Azure's
 * error in processing the request, which a second try repeats: it is
 * not tried again, so that its message reaches the user at once.
 */
static int group_write(struct provider_session *s,
                       const struct provider_variable *vars, size_t count,
                       json_t **out)
{
    struct buf url = BUF_INIT, body = BUF_INIT;
    struct http_response response = {0};
    struct azure_call c = {.body_secret = true};
    int rc;

    *out = NULL;
    if (s->group != NULL) {
        c.method = "PUT";
        c.retry = HTTP_RETRY_NETWORK | HTTP_RETRY_429 | HTTP_RETRY_5XX;
        snprintf(c.what, sizeof(c.what),
                 "the update of the variable group '%s' of '%s'", s->group_name,
                 s->project);
        rc = buf_printf(
            &url,
            "%s/_apis/distributedtask/variablegroups/%" JSON_INTEGER_FORMAT
            "?" AZURE_API_VERSION,
            s->root, json_integer_value(json_object_get(s->group, "id")));
    } else {
        c.method = "POST";
        c.retry = HTTP_RETRY_429 | HTTP_RETRY_5XX;
        snprintf(c.what, sizeof(c.what),
                 "the creation of the variable group '%s' in '%s'",
                 s->group_name, s->project);
        rc = buf_printf(&url,
                        "%s/_apis/distributedtask/variablegroups"
                        "?" AZURE_API_VERSION,
                        s->root);
    }
    if (rc == 0)
        rc = body_make(s, vars, count, &body);
    if (rc == 0) {
        c.url = url.data;
        c.body = body.data;
        rc = call_json(s, &c, false, &response, out);
    }
    if (rc == 0)
        rc = written_check(s, *out, vars, count);

    if (rc < 0) {
        json_decref(*out);
        *out = NULL;
    }
    http_response_release(&response);
    buf_release(&url);
    buf_release(&body);
    return rc;
}

static void outcomes_fail(struct provider_variable *vars, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        vars[i].outcome = OUTCOME_FAILED;
        snprintf(vars[i].message, sizeof(vars[i].message), "%s",
                 error_message());
    }
}

static int azure_write(struct provider_session *s,
                       struct provider_variable *vars, size_t count)
{
    json_t *written = NULL;
    size_t i;
    int rc;

    rc = project_read(s);
    if (rc == 0)
        rc = group_read(s);
    if (rc == 0)
        rc = group_write(s, vars, count, &written);
    if (rc < 0) {
        outcomes_fail(vars, count);
        return rc;
    }

    for (i = 0; i < count; i++)
        vars[i].outcome = group_variable(s->group, vars[i].name) != NULL
                              ? OUTCOME_UPDATED
                              : OUTCOME_CREATED;
    /* What Azure holds now: the next write in this run starts from it. */
    json_decref(s->group);
    s->group = written;
    s->group_manage = true;
    return 0;
}

const struct provider provider_azure = {
    .name = "azure",
    .title = "Azure DevOps",
    .capabilities = PROVIDER_GROUPS | PROVIDER_MASKED,
    .check = azure_check,
    .manual_steps = azure_manual_steps,
    .open = azure_open,
    .preflight = azure_preflight,
    .exist = azure_exist,
    .write = azure_write,
    .close = azure_close,
};
