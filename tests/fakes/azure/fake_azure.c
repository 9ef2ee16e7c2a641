/*
 * fake-azure: a loopback fake of one Azure DevOps organization, for the
 * variable groups that sfci writes.  It shares no code with sfci, so that
 * it catches sfci's mistakes instead of repeating them.
 *
 * What it copies from the real host (shared/reference/provider-apis.md,
 * section 3, and the REST reference for api-version 7.1):
 *  - every request names the organization first (/{org}/...) and needs
 *    an api-version (query or Accept header); a missing one is a 400;
 *  - a personal access token in Basic (any user name) or a Bearer token;
 *    no credentials is a 401; a bad token is the sign-in page: 203 with
 *    HTML for Basic, a 302 to the sign-in site for Bearer, and a 401 when
 *    the client sends X-TFS-FedAuthRedirect: Suppress;
 *  - projects by name or id (GUID), a 404 with TF200016 otherwise;
 *  - variable groups: listed per project ({"count","value"}, groupName
 *    with '*' wildcards, actionFilter, $top with x-ms-continuationtoken),
 *    read by id, created at the organization level (200) and replaced
 *    whole by PUT (variables left out are deleted); both need complete
 *    project references (id and name), else Azure's own error; a secret
 *    sent back as "value": null keeps its value; secrets read back as
 *    null; a name is unique among the groups of a project;
 *  - errors as Azure's JSON ({"$id","innerException","message",
 *    "typeName","typeKey","errorCode","eventId"}).
 * The texts of the 403 and of the 404 of a group id are close to, not
 * copied from, the real ones: no public source quotes them.
 *
 * For tests, not Azure: GET /_fake/variables (every variable, secrets in
 * clear), /_fake/groups and /_fake/requests ("METHOD path" received).
 * The server runs one thread, so the state needs no lock.
 */
#define _GNU_SOURCE /* vasprintf, strcasestr */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fake_server.h"

#define BODY_MAX (4u << 20)
#define LATEST_VERSION 7.2
#define SIGN_IN_URL "https://spsprodweu5.vssps.visualstudio.com/_signin"
#define USER_ID "5b16e9ad-3f7b-6c4e-a8d2-0d3a1f9b8e21"

struct project {
    char *name;
    char id[37];
};

struct variable {
    char *name;
    char *value;
    bool secret;
    bool read_only;
};

struct group {
    long id;
    char *name;
    char *description;
    char *type;
    json_t *references; /* [{"name","description","projectReference"}] */
    struct variable *variables;
    size_t variable_count;
    char created[32];
    char modified[32];
};

struct fake {
    const char *org;
    const char *token;
    const char *read_only_token;
    struct project *projects;
    size_t project_count;
    struct group **groups;
    size_t group_count;
    long next_id;
    char **requests;
    size_t request_count;
    unsigned long api_count;   /* requests to the host API */
    unsigned long write_count; /* group-writing requests */
    unsigned long latency_ms;
    unsigned long rate_limit_at;
    unsigned long fail_write_at;
    bool log;
};

/* Who a request is, once its token is known. */
enum role { ROLE_FULL, ROLE_READ };

struct request {
    struct MHD_Connection *connection;
    const char *method;
    const char *path; /* after /{org}, "" for the organization itself */
    const char *body;
    size_t body_len;
    enum role role;
};

struct response {
    unsigned int status;
    char *body;
    const char *content_type;
    char *headers[8]; /* "Name: value", owned */
    size_t header_count;
};

static const char usage[] =
    "usage: fake-azure [--port-file FILE] --org NAME --token PAT\n"
    "         [--project NAME]... [--group PROJECT/NAME]...\n"
    "         [--seed GROUP:NAME=VALUE[,secret]]... [--latency-ms N]\n"
    "         [--rate-limit-at N] [--fail-write-at N]\n"
    "         [--read-only-token PAT] [--log]\n";

/* ---- small helpers ---- */

static void now_iso(char *out, size_t size)
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

/* A GUID made from a name, the same on every run. */
static void guid_of(const char *name, char out[37])
{
    uint64_t a = 1469598103934665603ULL, b = 0x9e3779b97f4a7c15ULL;

    for (const char *p = name; *p; p++) {
        a = (a ^ (unsigned char)*p) * 1099511628211ULL;
        b = (b ^ (unsigned char)*p) * 0x100000001b3ULL + a;
    }
    snprintf(out, 37, "%08x-%04x-4%03x-a%03x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xffff, (unsigned)a & 0xfff,
             (unsigned)(b >> 52) & 0xfff,
             (unsigned long long)(b & 0xffffffffffffULL));
}

/* Case-insensitive match with '*' for any run of characters. */
static bool wildcard_match(const char *pattern, const char *text)
{
    if (*pattern == '\0')
        return *text == '\0';
    if (*pattern == '*')
        return wildcard_match(pattern + 1, text) ||
               (*text != '\0' && wildcard_match(pattern, text + 1));
    return *text != '\0' &&
           tolower((unsigned char)*pattern) == tolower((unsigned char)*text) &&
           wildcard_match(pattern + 1, text + 1);
}

/* Decodes standard base64; NULL when it is not. */
static char *base64_decode(const char *text)
{
    size_t len;

    return (char *)fake_base64_decode(text, strlen(text), false, &len);
}

/* ---- the state ---- */

static struct project *project_find(struct fake *fake, const char *key)
{
    for (size_t i = 0; i < fake->project_count; i++)
        if (strcasecmp(fake->projects[i].name, key) == 0 ||
            strcasecmp(fake->projects[i].id, key) == 0)
            return &fake->projects[i];
    return NULL;
}

static void project_add(struct fake *fake, const char *name)
{
    struct project *p;

    fake->projects = alloc_check(realloc(
        fake->projects, (fake->project_count + 1) * sizeof(*fake->projects)));
    p = &fake->projects[fake->project_count++];
    p->name = xstrdup(name);
    guid_of(name, p->id);
}

/* true when the group is shared with the project. */
static bool group_in(const struct group *g, const struct project *p)
{
    size_t i;
    json_t *reference;

    json_array_foreach(g->references, i, reference)
    {
        const char *id = json_string_value(json_object_get(
            json_object_get(reference, "projectReference"), "id"));
        if (id != NULL && strcasecmp(id, p->id) == 0)
            return true;
    }
    return false;
}

static struct group *group_by_id(struct fake *fake, long id)
{
    for (size_t i = 0; i < fake->group_count; i++)
        if (fake->groups[i]->id == id)
            return fake->groups[i];
    return NULL;
}

static struct group *group_by_name(struct fake *fake, const char *name)
{
    for (size_t i = 0; i < fake->group_count; i++)
        if (strcasecmp(fake->groups[i]->name, name) == 0)
            return fake->groups[i];
    return NULL;
}

static void variables_free(struct variable *variables, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(variables[i].name);
        free(variables[i].value);
    }
    free(variables);
}

static void group_free(struct group *g)
{
    if (g == NULL)
        return;
    free(g->name);
    free(g->description);
    free(g->type);
    json_decref(g->references);
    variables_free(g->variables, g->variable_count);
    free(g);
}

static struct variable *variable_find(const struct group *g, const char *name)
{
    for (size_t i = 0; i < g->variable_count; i++)
        if (strcasecmp(g->variables[i].name, name) == 0)
            return &g->variables[i];
    return NULL;
}

static void variable_add(struct group *g, const char *name, const char *value,
                         bool secret, bool read_only)
{
    struct variable *v;

    g->variables = alloc_check(
        realloc(g->variables, (g->variable_count + 1) * sizeof(*g->variables)));
    v = &g->variables[g->variable_count++];
    v->name = xstrdup(name);
    v->value = xstrdup(value);
    v->secret = secret;
    v->read_only = read_only;
}

static json_t *reference_of(const char *group, const struct project *p)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s}}", "name", group, "description",
                     "", "projectReference", "id", p->id, "name", p->name);
}

static struct group *group_add(struct fake *fake, const char *name,
                               json_t *references)
{
    struct group *g = alloc_check(calloc(1, sizeof(*g)));

    g->id = fake->next_id++;
    g->name = xstrdup(name);
    g->description = xstrdup("");
    g->type = xstrdup("Vsts");
    g->references = references;
    now_iso(g->created, sizeof(g->created));
    memcpy(g->modified, g->created, sizeof(g->modified));
    fake->groups = alloc_check(
        realloc(fake->groups, (fake->group_count + 1) * sizeof(*fake->groups)));
    fake->groups[fake->group_count++] = g;
    return g;
}

static void fake_free(struct fake *fake)
{
    for (size_t i = 0; i < fake->project_count; i++)
        free(fake->projects[i].name);
    free(fake->projects);
    for (size_t i = 0; i < fake->group_count; i++)
        group_free(fake->groups[i]);
    free(fake->groups);
    for (size_t i = 0; i < fake->request_count; i++)
        free(fake->requests[i]);
    free(fake->requests);
}

/* ---- answers ---- */

static void response_header(struct response *res, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void response_header(struct response *res, const char *format, ...)
{
    va_list args;
    char *line;

    if (res->header_count == sizeof(res->headers) / sizeof(res->headers[0]))
        return;
    va_start(args, format);
    if (vasprintf(&line, format, args) < 0)
        line = NULL;
    va_end(args);
    res->headers[res->header_count++] = alloc_check(line);
}

static void response_text(struct response *res, unsigned int status,
                          const char *content_type, const char *text)
{
    free(res->body);
    res->status = status;
    res->content_type = content_type;
    res->body = xstrdup(text);
}

/* Takes value. */
static void response_json(struct response *res, unsigned int status,
                          json_t *value)
{
    char *text = alloc_check(json_dumps(value, JSON_COMPACT));

    json_decref(value);
    free(res->body);
    res->status = status;
    res->content_type = "application/json; charset=utf-8; api-version=7.1";
    res->body = text;
}

/* The .NET type of an exception, as Azure names it in typeName. */
static char *type_name_of(const char *key)
{
    static const struct {
        const char *prefix, *space;
    } spaces[] = {
        {"Vss", "Microsoft.VisualStudio.Services.WebApi"},
        {"Project", "Microsoft.TeamFoundation.Core.WebApi"},
        {"Unauthorized", "Microsoft.TeamFoundation.Framework.Server"},
        {"RequestBlocked", "Microsoft.TeamFoundation.Framework.Server"},
        {"Argument", "System"},
    };
    const char *space = "Microsoft.TeamFoundation.DistributedTask.WebApi";

    for (size_t i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++)
        if (strncmp(key, spaces[i].prefix, strlen(spaces[i].prefix)) == 0)
            space = spaces[i].space;
    if (strcmp(space, "System") == 0)
        return xprintf("System.%s, mscorlib", key);
    return xprintf("%s.%s, %s", space, key, space);
}

/* Azure's error shape; key is the exception's name. */
static void response_error(struct response *res, unsigned int status,
                           const char *key, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

static void response_error(struct response *res, unsigned int status,
                           const char *key, const char *format, ...)
{
    va_list args;
    char *message, *type_name;

    va_start(args, format);
    if (vasprintf(&message, format, args) < 0)
        message = NULL;
    va_end(args);
    alloc_check(message);
    type_name = type_name_of(key);
    response_json(res, status,
                  json_pack("{s:s, s:n, s:s, s:s, s:s, s:i, s:i}", "$id", "1",
                            "innerException", "message", message, "typeName",
                            type_name, "typeKey", key, "errorCode", 0,
                            "eventId", 3000));
    free(message);
    free(type_name);
}

static void response_not_found(struct response *res)
{
    response_text(res, 404, "text/html; charset=utf-8",
                  "<!DOCTYPE html><html><head><title>The resource cannot be "
                  "found.</title></head><body><h1>404 - Not Found</h1>"
                  "</body></html>\n");
}

/* ---- JSON of the state ---- */

static json_t *identity_json(void)
{
    return json_pack("{s:s, s:s, s:s}", "displayName", "sfci fake user", "id",
                     USER_ID, "uniqueName", "ci@fake-azure.example");
}

/* A group as Azure answers it: secrets null, flags only when true. */
static json_t *group_json(const struct group *g)
{
    json_t *variables = json_object();

    for (size_t i = 0; i < g->variable_count; i++) {
        const struct variable *v = &g->variables[i];
        json_t *item = json_pack(
            "{s:o}", "value", v->secret ? json_null() : json_string(v->value));
        if (v->secret)
            json_object_set_new(item, "isSecret", json_true());
        if (v->read_only)
            json_object_set_new(item, "isReadOnly", json_true());
        json_object_set_new(variables, v->name, item);
    }
    return json_pack("{s:o, s:I, s:s, s:s, s:s, s:o, s:s, s:o, s:s, s:b, s:O}",
                     "variables", variables, "id", (json_int_t)g->id, "type",
                     g->type, "name", g->name, "description", g->description,
                     "createdBy", identity_json(), "createdOn", g->created,
                     "modifiedBy", identity_json(), "modifiedOn", g->modified,
                     "isShared", json_array_size(g->references) > 1,
                     "variableGroupProjectReferences", g->references);
}

static json_t *project_json(const struct project *p)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:s, s:s}", "id", p->id, "name",
                     p->name, "url", "https://dev.azure.com/_apis/projects",
                     "state", "wellFormed", "revision", 11, "visibility",
                     "private", "lastUpdateTime", "2026-01-05T10:00:00.000Z");
}

/* ---- checks every API request goes through ---- */

static const char *header(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

static const char *argument(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND,
                                       name);
}

/* The token of an Authorization header, or NULL; *basic says which. */
static char *token_of(const char *authorization, bool *basic)
{
    char *decoded, *colon, *token;

    *basic = strncasecmp(authorization, "Basic ", 6) == 0;
    if (strncasecmp(authorization, "Bearer ", 7) == 0)
        return xstrdup(authorization + 7);
    if (!*basic)
        return NULL;
    decoded = base64_decode(authorization + 6);
    colon = decoded != NULL ? strchr(decoded, ':') : NULL;
    token = colon != NULL ? xstrdup(colon + 1) : NULL;
    free(decoded);
    return token;
}

static void sign_in_page(const struct request *req, struct response *res,
                         bool basic)
{
    const char *suppress = header(req, "X-TFS-FedAuthRedirect");

    if (suppress != NULL && strcasecmp(suppress, "Suppress") == 0) {
        response_error(res, 401, "UnauthorizedRequestException",
                       "TF400813: The user '' is not authorized to access "
                       "this resource.");
        return;
    }
    if (basic) {
        response_text(
            res, 203, "text/html; charset=utf-8",
            "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign "
            "In</title></head><body><div id=\"signin\">Sign in to your "
            "account</div></body></html>\n");
        return;
    }
    response_header(res, "Location: " SIGN_IN_URL
                         "?realm=dev.azure.com&reply_to=https%%3A%%2F%%2F"
                         "dev.azure.com%%2F&redirect=1");
    response_text(res, 302, "text/html; charset=utf-8",
                  "<html><head><title>Object moved</title></head><body><h2>"
                  "Object moved to <a href=\"" SIGN_IN_URL
                  "\">here</a>.</h2></body></html>\n");
}

/* 0 when the request may go on; the answer is set otherwise. */
static int authenticate(const struct fake *fake, struct request *req,
                        struct response *res)
{
    const char *authorization = header(req, "Authorization");
    bool basic = false;
    char *token;
    int rc = -1;

    if (authorization == NULL) {
        response_header(res, "WWW-Authenticate: Bearer authorization_uri="
                             "https://login.microsoftonline.com/common");
        response_header(res, "WWW-Authenticate: Basic realm=\"https://"
                             "tfsprodweu2.visualstudio.com/\"");
        response_error(res, 401, "UnauthorizedRequestException",
                       "TF400813: Resource not available for anonymous "
                       "access. Client authentication required.");
        return -1;
    }
    token = token_of(authorization, &basic);
    if (token != NULL && strcmp(token, fake->token) == 0) {
        req->role = ROLE_FULL;
        rc = 0;
    } else if (token != NULL && fake->read_only_token != NULL &&
               strcmp(token, fake->read_only_token) == 0) {
        req->role = ROLE_READ;
        rc = 0;
    } else {
        sign_in_page(req, res, basic);
    }
    free(token);
    return rc;
}

/* "7.1", "7.1-preview", "7.1-preview.2": 0 when served. */
static int version_check(const struct request *req, struct response *res)
{
    const char *version = argument(req, "api-version");
    const char *accept = header(req, "Accept");
    char *end;
    double number;
    bool preview;

    if (version == NULL && accept != NULL &&
        (version = strstr(accept, "api-version=")) != NULL)
        version += strlen("api-version=");
    if (version == NULL || *version == '\0') {
        response_error(res, 400, "VssVersionNotSpecifiedException",
                       "No api-version was supplied for the \"%s\" request. "
                       "The version must be supplied either as part of the "
                       "Accept header (e.g. \"application/json; "
                       "api-version=1.0\") or as a query parameter (e.g. "
                       "'?api-version=1.0').",
                       req->method);
        return -1;
    }
    number = strtod(version, &end);
    preview = strncmp(end, "-preview", 8) == 0;
    if (end == version || (*end != '\0' && *end != ';' && !preview)) {
        response_error(res, 400, "VssInvalidApiVersionException",
                       "The api-version '%s' is not valid.", version);
        return -1;
    }
    if (number > LATEST_VERSION + 1e-9) {
        response_error(res, 400, "VssVersionOutOfRangeException",
                       "The requested REST API version of %s is out of "
                       "range for this server. The latest REST API version "
                       "this server supports is 7.2.",
                       version);
        return -1;
    }
    if (number > 7.1 + 1e-9 && !preview) {
        response_error(res, 400, "VssInvalidPreviewVersionException",
                       "The requested version \"%.1f\" of the resource is "
                       "under preview. The -preview flag must be supplied in "
                       "the api-version for such requests. For example: "
                       "\"%.1f-preview\"",
                       number, number);
        return -1;
    }
    return 0;
}

static void rate_limited(struct response *res)
{
    response_header(res, "Retry-After: 1");
    response_header(res, "X-RateLimit-Resource: Core");
    response_header(res, "X-RateLimit-Delay: 0.500");
    response_header(res, "X-RateLimit-Limit: 200");
    response_header(res, "X-RateLimit-Remaining: 0");
    response_header(res, "X-RateLimit-Reset: %lld", (long long)time(NULL) + 1);
    response_error(res, 429, "RequestBlockedException",
                   "TF400733: The request has been canceled: Request was "
                   "blocked due to exceeding usage of resource 'Core' in "
                   "namespace 'User'.");
}

/* ---- projects ---- */

static void projects_get(struct fake *fake, struct response *res,
                         const char *key)
{
    const struct project *p;
    json_t *list;

    if (*key == '\0') {
        list = json_array();
        for (size_t i = 0; i < fake->project_count; i++)
            json_array_append_new(list, project_json(&fake->projects[i]));
        response_json(res, 200,
                      json_pack("{s:I, s:o}", "count",
                                (json_int_t)fake->project_count, "value",
                                list));
        return;
    }
    p = project_find(fake, key);
    if (p == NULL) {
        response_error(res, 404, "ProjectDoesNotExistWithNameException",
                       "TF200016: The following project does not exist: %s. "
                       "Verify that the name of the project is correct and "
                       "that the project exists on the specified Azure "
                       "DevOps Server.",
                       key);
        return;
    }
    response_json(res, 200, project_json(p));
}

/* ---- reading groups ---- */

static int id_compare(const void *a, const void *b)
{
    long x = (*(struct group *const *)a)->id;
    long y = (*(struct group *const *)b)->id;

    return (x > y) - (x < y);
}

/* GET /{project}/_apis/distributedtask/variablegroups */
static void groups_list(struct fake *fake, const struct request *req,
                        struct response *res, const struct project *p)
{
    const char *name = argument(req, "groupName");
    const char *action = argument(req, "actionFilter");
    const char *top_text = argument(req, "$top");
    const char *from_text = argument(req, "continuationToken");
    const char *order = argument(req, "queryOrder");
    bool descending = order != NULL && strcasecmp(order, "idDescending") == 0;
    long top = top_text != NULL ? strtol(top_text, NULL, 10) : 0;
    long from = from_text != NULL ? strtol(from_text, NULL, 10) : -1;
    struct group **sorted;
    json_t *list = json_array();
    size_t n = 0, i;

    sorted = alloc_check(calloc(fake->group_count + 1, sizeof(*sorted)));
    for (i = 0; i < fake->group_count; i++) {
        struct group *g = fake->groups[i];
        if (!group_in(g, p) || (name != NULL && !wildcard_match(name, g->name)))
            continue;
        /* A read-only token may change no group. */
        if (action != NULL && strcasecmp(action, "manage") == 0 &&
            req->role == ROLE_READ)
            continue;
        sorted[n++] = g;
    }
    qsort(sorted, n, sizeof(*sorted), id_compare);
    for (i = 0; i < n; i++) {
        struct group *g = sorted[descending ? n - 1 - i : i];
        if (from >= 0 && (descending ? g->id > from : g->id < from))
            continue;
        if (top > 0 && (long)json_array_size(list) == top) {
            response_header(res, "x-ms-continuationtoken: %ld", g->id);
            break;
        }
        json_array_append_new(list, group_json(g));
    }
    free(sorted);
    response_json(res, 200,
                  json_pack("{s:I, s:o}", "count",
                            (json_int_t)json_array_size(list), "value", list));
}

/* GET /{project}/_apis/distributedtask/variablegroups/{id} */
static void group_get(struct fake *fake, struct response *res,
                      const struct project *p, long id)
{
    struct group *g = group_by_id(fake, id);

    if (g == NULL || !group_in(g, p)) {
        response_error(res, 404, "VariableGroupNotFoundException",
                       "Variable group with id %ld does not exist.", id);
        return;
    }
    response_json(res, 200, group_json(g));
}

/* ---- writing groups ---- */

static void access_denied(struct response *res, const char *group)
{
    response_error(res, 403, "AccessDeniedException",
                   "Access denied. sfci read-only user needs Administrator "
                   "permissions for the variable group '%s' to perform the "
                   "action. For more information, contact the Azure DevOps "
                   "Server administrator.",
                   group);
}

static void project_information_invalid(struct response *res)
{
    response_error(res, 400, "ArgumentException",
                   "Project information name is not valid for variable "
                   "group.");
}

/*
 * The project references of a body: each needs a projectReference with
 * the id of a project of the organization and its name.  Returns a copy,
 * or NULL after setting the answer.
 */
static json_t *references_check(struct fake *fake, json_t *body,
                                struct response *res)
{
    json_t *references =
        json_object_get(body, "variableGroupProjectReferences");
    json_t *reference, *project;
    const char *id, *name;
    size_t i;

    if (!json_is_array(references) || json_array_size(references) == 0) {
        project_information_invalid(res);
        return NULL;
    }
    json_array_foreach(references, i, reference)
    {
        project = json_object_get(reference, "projectReference");
        id = json_string_value(json_object_get(project, "id"));
        name = json_string_value(json_object_get(project, "name"));
        if (id == NULL || *id == '\0' || name == NULL || *name == '\0') {
            project_information_invalid(res);
            return NULL;
        }
        if (project_find(fake, id) == NULL) {
            response_error(res, 404, "ProjectDoesNotExistWithNameException",
                           "TF200016: The following project does not exist: "
                           "%s. Verify that the name of the project is "
                           "correct and that the project exists on the "
                           "specified Azure DevOps Server.",
                           id);
            return NULL;
        }
    }
    return json_deep_copy(references);
}

/* true when another group of one of these projects has the name. */
static bool name_taken(const struct fake *fake, const char *name,
                       const json_t *references, const struct group *self)
{
    size_t i, j;
    json_t *reference;

    for (i = 0; i < fake->group_count; i++) {
        const struct group *g = fake->groups[i];
        if (g == self || strcasecmp(g->name, name) != 0)
            continue;
        json_array_foreach(references, j, reference)
        {
            const char *id = json_string_value(json_object_get(
                json_object_get(reference, "projectReference"), "id"));
            for (size_t k = 0; k < fake->project_count; k++)
                if (strcasecmp(fake->projects[k].id, id) == 0 &&
                    group_in(g, &fake->projects[k]))
                    return true;
        }
    }
    return false;
}

/*
 * Reads "variables" into a new list; a null secret takes the value the
 * old group holds for that name.  -1 after setting the answer.
 */
static int variables_read(const json_t *body, const struct group *old,
                          struct group *into, struct response *res)
{
    json_t *variables = json_object_get(body, "variables"), *item, *value;
    const char *name;

    if (variables != NULL && !json_is_object(variables) &&
        !json_is_null(variables)) {
        response_error(res, 400, "ArgumentException",
                       "The variables of the variable group are not valid.");
        return -1;
    }
    json_object_foreach(variables, name, item)
    {
        bool secret = json_is_true(json_object_get(item, "isSecret"));
        bool read_only = json_is_true(json_object_get(item, "isReadOnly"));
        const struct variable *before = old ? variable_find(old, name) : NULL;

        if (!json_is_object(item)) {
            response_error(res, 400, "ArgumentException",
                           "The variable '%s' is not valid.", name);
            return -1;
        }
        value = json_object_get(item, "value");
        if (json_is_string(value))
            variable_add(into, name, json_string_value(value), secret,
                         read_only);
        else if (secret && before != NULL && before->secret)
            variable_add(into, name, before->value, true, read_only);
        else
            variable_add(into, name, "", secret, read_only);
    }
    return 0;
}

static json_t *body_parse(const struct request *req, struct response *res)
{
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);

    if (!json_is_object(body)) {
        json_decref(body);
        response_error(res, 400, "ArgumentNullException",
                       "Value cannot be null.\r\nParameter name: "
                       "variableGroupParameters");
        return NULL;
    }
    return body;
}

/* The fields of a body into g (name, description, type, variables). */
static int group_fill(struct fake *fake, json_t *body, struct group *old,
                      struct group *g, struct response *res)
{
    const char *name = json_string_value(json_object_get(body, "name"));
    const char *description =
        json_string_value(json_object_get(body, "description"));
    const char *type = json_string_value(json_object_get(body, "type"));

    if (name == NULL || *name == '\0') {
        response_error(res, 400, "ArgumentNullException",
                       "Value cannot be null.\r\nParameter name: name");
        return -1;
    }
    if (name_taken(fake, name, g->references, old)) {
        response_error(res, 400, "VariableGroupExistsException",
                       "Variable group '%s' already exists.", name);
        return -1;
    }
    if (variables_read(body, old, g, res) < 0)
        return -1;
    free(g->name);
    g->name = xstrdup(name);
    free(g->description);
    g->description = xstrdup(description ? description : "");
    free(g->type);
    g->type = xstrdup(type ? type : "Vsts");
    return 0;
}

/* Puts the contents of draft into g; the old ones go with the draft. */
static void group_swap(struct group *g, struct group *draft)
{
    struct group old = *g;

    g->name = draft->name;
    g->description = draft->description;
    g->type = draft->type;
    g->references = draft->references;
    g->variables = draft->variables;
    g->variable_count = draft->variable_count;
    draft->name = old.name;
    draft->description = old.description;
    draft->type = old.type;
    draft->references = old.references;
    draft->variables = old.variables;
    draft->variable_count = old.variable_count;
}

/* POST /_apis/distributedtask/variablegroups */
static void group_create(struct fake *fake, const struct request *req,
                         struct response *res)
{
    json_t *body = body_parse(req, res), *references = NULL;
    struct group *draft = NULL, *g;
    const char *name;

    if (body == NULL)
        return;
    if (req->role == ROLE_READ) {
        name = json_string_value(json_object_get(body, "name"));
        access_denied(res, name != NULL ? name : "");
        goto out;
    }
    references = references_check(fake, body, res);
    if (references == NULL)
        goto out;
    draft = alloc_check(calloc(1, sizeof(*draft)));
    draft->references = references;
    if (group_fill(fake, body, NULL, draft, res) < 0)
        goto out;

    g = group_add(fake, draft->name, json_array());
    group_swap(g, draft);
    response_json(res, 200, group_json(g));

out:
    group_free(draft);
    json_decref(body);
}

/* PUT /_apis/distributedtask/variablegroups/{id}: the group, replaced. */
static void group_update(struct fake *fake, const struct request *req,
                         struct response *res, long id)
{
    struct group *g = group_by_id(fake, id), *draft = NULL;
    json_t *body = body_parse(req, res), *references;

    if (body == NULL)
        return;
    if (g == NULL) {
        response_error(res, 404, "VariableGroupNotFoundException",
                       "Variable group with id %ld does not exist.", id);
        goto out;
    }
    if (req->role == ROLE_READ) {
        access_denied(res, g->name);
        goto out;
    }
    references = references_check(fake, body, res);
    if (references == NULL)
        goto out;
    draft = alloc_check(calloc(1, sizeof(*draft)));
    draft->references = references;
    if (group_fill(fake, body, g, draft, res) < 0)
        goto out;

    group_swap(g, draft);
    now_iso(g->modified, sizeof(g->modified));
    response_json(res, 200, group_json(g));

out:
    group_free(draft);
    json_decref(body);
}

/* DELETE /_apis/distributedtask/variablegroups/{id}?projectIds=... */
static void group_delete(struct fake *fake, const struct request *req,
                         struct response *res, long id)
{
    const char *ids = argument(req, "projectIds");
    struct group *g = group_by_id(fake, id);
    json_t *reference;
    size_t i;

    if (g == NULL) {
        response_error(res, 404, "VariableGroupNotFoundException",
                       "Variable group with id %ld does not exist.", id);
        return;
    }
    if (req->role == ROLE_READ) {
        access_denied(res, g->name);
        return;
    }
    if (ids == NULL || *ids == '\0') {
        response_error(res, 400, "ArgumentNullException",
                       "Value cannot be null.\r\nParameter name: projectIds");
        return;
    }
    for (i = json_array_size(g->references); i-- > 0;) {
        reference = json_array_get(g->references, i);
        const char *id_text = json_string_value(json_object_get(
            json_object_get(reference, "projectReference"), "id"));
        if (id_text != NULL && strcasestr(ids, id_text) != NULL)
            json_array_remove(g->references, i);
    }
    if (json_array_size(g->references) == 0) {
        for (i = 0; i < fake->group_count && fake->groups[i] != g; i++)
            continue;
        fake->groups[i] = fake->groups[--fake->group_count];
        group_free(g);
    }
    response_text(res, 204, "text/plain", "");
}

/* ---- routing ---- */

static bool write_method(const char *method)
{
    return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

/* "/_apis/distributedtask/variablegroups[/{id}]": -1, or the id (0: none) */
static long groups_path(const char *path, bool *matched)
{
    static const char prefix[] = "/_apis/distributedtask/variablegroups";
    char *end;
    long id;

    *matched = false;
    if (strncmp(path, prefix, sizeof(prefix) - 1) != 0)
        return 0;
    path += sizeof(prefix) - 1;
    if (*path == '\0' || strcmp(path, "/") == 0) {
        *matched = true;
        return 0;
    }
    if (*path != '/')
        return 0;
    id = strtol(path + 1, &end, 10);
    if (end == path + 1 || *end != '\0' || id <= 0)
        return 0;
    *matched = true;
    return id;
}

static void method_not_allowed(struct response *res)
{
    response_error(res, 405, "HttpMethodNotAllowedException",
                   "The requested resource does not support http method.");
}

/* Requests under /{org}/_apis/distributedtask/variablegroups. */
static void route_org_groups(struct fake *fake, const struct request *req,
                             struct response *res, long id)
{
    if (write_method(req->method) && fake->fail_write_at != 0 &&
        ++fake->write_count == fake->fail_write_at) {
        response_error(res, 500, "VssServiceException",
                       "TF400898: An Internal Error Occurred. Activity Id: "
                       "0f4c35b1-7d0e-4c53-9a3e-21b0e8a1c7d4.");
        return;
    }
    if (id == 0 && strcmp(req->method, "POST") == 0)
        group_create(fake, req, res);
    else if (id > 0 && strcmp(req->method, "PUT") == 0)
        group_update(fake, req, res, id);
    else if (id > 0 && strcmp(req->method, "DELETE") == 0)
        group_delete(fake, req, res, id);
    else
        method_not_allowed(res);
}

static void route(struct fake *fake, struct request *req, struct response *res)
{
    const char *path = req->path, *slash;
    struct project *p;
    bool matched;
    long id;
    char *name;

    if (strncmp(path, "/_apis/projects", 15) == 0 &&
        (path[15] == '\0' || path[15] == '/')) {
        if (strcmp(req->method, "GET") != 0)
            method_not_allowed(res);
        else
            projects_get(fake, res, path[15] ? path + 16 : "");
        return;
    }
    id = groups_path(path, &matched);
    if (matched) {
        route_org_groups(fake, req, res, id);
        return;
    }

    /* /{project}/_apis/distributedtask/variablegroups[/{id}] */
    slash = path[0] == '/' ? strchr(path + 1, '/') : NULL;
    if (slash == NULL) {
        response_not_found(res);
        return;
    }
    id = groups_path(slash, &matched);
    if (!matched) {
        response_not_found(res);
        return;
    }
    name = alloc_check(strndup(path + 1, (size_t)(slash - path - 1)));
    p = project_find(fake, name);
    if (p == NULL)
        response_error(res, 404, "ProjectDoesNotExistWithNameException",
                       "TF200016: The following project does not exist: %s. "
                       "Verify that the name of the project is correct and "
                       "that the project exists on the specified Azure "
                       "DevOps Server.",
                       name);
    else if (strcmp(req->method, "GET") != 0)
        method_not_allowed(res);
    else if (id == 0)
        groups_list(fake, req, res, p);
    else
        group_get(fake, res, p, id);
    free(name);
}

/* ---- introspection for tests ---- */

/* The names of the projects a group is shared with. */
static json_t *project_names(const struct group *g)
{
    json_t *names = json_array(), *reference;
    size_t i;

    json_array_foreach(g->references, i, reference)
    {
        json_array_append(
            names, json_object_get(
                       json_object_get(reference, "projectReference"), "name"));
    }
    return names;
}

static void introspect(struct fake *fake, const char *path,
                       struct response *res)
{
    json_t *list = json_array();
    size_t i, j;

    if (strcmp(path, "/_fake/variables") == 0) {
        for (i = 0; i < fake->group_count; i++) {
            const struct group *g = fake->groups[i];
            for (j = 0; j < g->variable_count; j++)
                json_array_append_new(
                    list,
                    json_pack("{s:s, s:I, s:o, s:s, s:s, s:b}", "group",
                              g->name, "groupId", (json_int_t)g->id, "projects",
                              project_names(g), "name", g->variables[j].name,
                              "value", g->variables[j].value, "isSecret",
                              g->variables[j].secret));
        }
    } else if (strcmp(path, "/_fake/groups") == 0) {
        for (i = 0; i < fake->group_count; i++) {
            const struct group *g = fake->groups[i];
            json_array_append_new(
                list, json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)g->id,
                                "name", g->name, "description", g->description,
                                "projects", project_names(g)));
        }
    } else if (strcmp(path, "/_fake/requests") == 0) {
        for (i = 0; i < fake->request_count; i++)
            json_array_append_new(list, json_string(fake->requests[i]));
    } else {
        json_decref(list);
        response_not_found(res);
        return;
    }
    response_json(res, 200, list);
}

/* ---- one request ---- */

static void handle(struct fake *fake, struct request *req, struct response *res,
                   const char *url)
{
    size_t org_len = strlen(fake->org);

    fake->requests = alloc_check(realloc(
        fake->requests, (fake->request_count + 1) * sizeof(*fake->requests)));
    fake->requests[fake->request_count++] = xprintf("%s %s", req->method, url);
    fake->api_count++;
    if (fake->latency_ms > 0)
        fake_sleep_ms(fake->latency_ms);

    if (fake->rate_limit_at != 0 && fake->api_count == fake->rate_limit_at) {
        rate_limited(res);
        return;
    }
    if (url[0] != '/' || strncasecmp(url + 1, fake->org, org_len) != 0 ||
        (url[1 + org_len] != '/' && url[1 + org_len] != '\0')) {
        response_not_found(res);
        return;
    }
    req->path = url + 1 + org_len;
    if (authenticate(fake, req, res) < 0 || version_check(req, res) < 0)
        return;
    route(fake, req, res);
}

static enum MHD_Result respond(void *context, struct MHD_Connection *connection,
                               const char *url, const char *method,
                               struct fake_upload *upload)
{
    struct fake *fake = context;
    struct request req = {
        .connection = connection,
        .method = method,
        .body = upload->data != NULL ? upload->data : "",
        .body_len = upload->len,
    };
    struct response res = {0};
    struct MHD_Response *response;
    enum MHD_Result queued;

    if (strncmp(url, "/_fake/", 7) == 0)
        introspect(fake, url, &res);
    else if (upload->too_large)
        response_text(&res, 413, "text/plain", "Request Entity Too Large\n");
    else
        handle(fake, &req, &res, url);
    if (res.body == NULL)
        response_text(&res, 500, "text/plain", "");
    if (fake->log)
        fprintf(stderr, "fake-azure: %s %s %u\n", method, url, res.status);

    response = MHD_create_response_from_buffer(strlen(res.body), res.body,
                                               MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(res.body);
        queued = MHD_NO;
        goto out;
    }
    MHD_add_response_header(response, "Content-Type", res.content_type);
    for (size_t i = 0; i < res.header_count; i++) {
        char *colon = strchr(res.headers[i], ':');
        *colon = '\0';
        MHD_add_response_header(response, res.headers[i], colon + 2);
    }
    queued = MHD_queue_response(connection, res.status, response);
    MHD_destroy_response(response);

out:
    for (size_t i = 0; i < res.header_count; i++)
        free(res.headers[i]);
    return queued;
}

/* ---- the command line ---- */

/* --group PROJECT/NAME: a group shared with one project. */
static int group_option(struct fake *fake, const char *text)
{
    const char *slash = strchr(text, '/');
    struct project *p;
    char *project;

    if (slash == NULL || slash == text || slash[1] == '\0')
        return fake_fail("--group takes PROJECT/NAME, not '%s'", text);
    project = alloc_check(strndup(text, (size_t)(slash - text)));
    p = project_find(fake, project);
    free(project);
    if (p == NULL)
        return fake_fail("--group '%s': give its project with --project first",
                         text);
    group_add(fake, slash + 1, json_pack("[o]", reference_of(slash + 1, p)));
    return 0;
}

/* --seed GROUP:NAME=VALUE[,secret] */
static int seed_option(struct fake *fake, const char *text)
{
    const char *colon = strchr(text, ':'), *eq;
    char *group_name, *value;
    struct group *g;
    size_t len;
    bool secret = false;

    eq = colon != NULL ? strchr(colon, '=') : NULL;
    if (colon == NULL || eq == NULL || eq == colon + 1)
        return fake_fail("--seed takes GROUP:NAME=VALUE[,secret], not '%s'",
                         text);
    group_name = alloc_check(strndup(text, (size_t)(colon - text)));
    g = group_by_name(fake, group_name);
    free(group_name);
    if (g == NULL)
        return fake_fail("--seed '%s': create its group with --group first",
                         text);
    value = xstrdup(eq + 1);
    len = strlen(value);
    if (len >= 7 && strcmp(value + len - 7, ",secret") == 0) {
        value[len - 7] = '\0';
        secret = true;
    }
    group_name = alloc_check(strndup(colon + 1, (size_t)(eq - colon - 1)));
    variable_add(g, group_name, value, secret, false);
    free(group_name);
    free(value);
    return 0;
}

static const struct option long_options[] = {
    {"port-file", required_argument, NULL, 'p'},
    {"org", required_argument, NULL, 'o'},
    {"token", required_argument, NULL, 't'},
    {"project", required_argument, NULL, 'P'},
    {"group", required_argument, NULL, 'g'},
    {"seed", required_argument, NULL, 's'},
    {"latency-ms", required_argument, NULL, 'L'},
    {"rate-limit-at", required_argument, NULL, 'r'},
    {"fail-write-at", required_argument, NULL, 'f'},
    {"read-only-token", required_argument, NULL, 'R'},
    {"log", no_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int option_apply(struct fake *fake, int option, const char *arg,
                        const char **port_file)
{
    switch (option) {
    case 'p':
        *port_file = arg;
        return 0;
    case 'o':
        fake->org = arg;
        return 0;
    case 't':
        fake->token = arg;
        return 0;
    case 'P':
        if (project_find(fake, arg) == NULL)
            project_add(fake, arg);
        return 0;
    case 'g':
        return group_option(fake, arg);
    case 's':
        return seed_option(fake, arg);
    case 'L':
        return fake_number_parse("latency-ms", arg, &fake->latency_ms);
    case 'r':
        return fake_number_parse("rate-limit-at", arg, &fake->rate_limit_at);
    case 'f':
        return fake_number_parse("fail-write-at", arg, &fake->fail_write_at);
    case 'R':
        fake->read_only_token = arg;
        return 0;
    case 'l':
        fake->log = true;
        return 0;
    default:
        fputs(usage, stderr);
        return -1;
    }
}

/* 1 to run, 0 after --help, -1 on a bad command line. */
static int settings_parse(int argc, char **argv, struct fake *fake,
                          const char **port_file)
{
    int option;

    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (option == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (option_apply(fake, option, optarg, port_file) < 0)
            return -1;
    }
    if (optind < argc)
        return fake_fail("unexpected argument '%s'", argv[optind]);
    if (fake->org == NULL || fake->token == NULL || *fake->org == '\0' ||
        *fake->token == '\0')
        return fake_fail("--org and --token are needed");
    return 1;
}

/* ---- serving ---- */

int main(int argc, char **argv)
{
    struct fake fake = {.next_id = 1};
    const char *port_file = NULL;
    struct fake_server http = {
        .respond = respond,
        .context = &fake,
        .body_max = BODY_MAX,
        .threads = MHD_USE_INTERNAL_POLLING_THREAD,
    };
    int status = 2, rc;

    fake_name_set("fake-azure");

    rc = settings_parse(argc, argv, &fake, &port_file);
    if (rc <= 0) {
        status = rc == 0 ? 0 : 2;
        goto out;
    }

    http.log = fake.log;
    if (fake_server_listen(&http) < 0)
        goto out;
    if (fake_server_start(&http) < 0 || fake_server_run(&http, port_file) < 0)
        goto out;
    status = 0;

out:
    fake_server_release(&http);
    fake_free(&fake);
    return status;
}
