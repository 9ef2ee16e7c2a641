/*
 * fake-gitlab: the API under /api/v4 and the fake's own /_fake/ pages.
 *
 * Each handler checks in GitLab's order: the token (401, or 403
 * insufficient_scope for a write with a read_api token), the project (404
 * Project Not Found, also for a project the caller cannot see), the role
 * (403 Forbidden below Maintainer), then the parameters (400 {"error"}
 * from Grape), then the model (400 {"message": {field: [...]}}).
 */
#include "fake_gitlab.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PER_PAGE_DEFAULT 20
#define PER_PAGE_MAX 100

#define SCOPE_FILTER "filter[environment_scope]"

static const char insufficient_scope[] =
    "{\"error\":\"insufficient_scope\",\"error_description\":\"The request "
    "requires higher privileges than provided by the access token.\","
    "\"scope\":\"api\"}";

/* ---- answers ---- */

static json_t *project_json(const struct gitlab *gitlab,
                            const struct project *project,
                            const struct token *token)
{
    const char *slash = strrchr(project->path, '/');
    const char *name = slash != NULL ? slash + 1 : project->path;
    json_t *access = token->inherited
                         ? json_null()
                         : json_pack("{s:i, s:i}", "access_level", token->level,
                                     "notification_level", 3);

    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o, s:{s:o, s:n}}", "id",
                     (json_int_t)project->id, "name", name, "path", name,
                     "path_with_namespace", project->path, "default_branch",
                     "main", "visibility", "private", "web_url",
                     json_sprintf("%s/%s", gitlab->base_url, project->path),
                     "permissions", "project_access", access, "group_access");
}

/* ---- the checks every handler starts with ---- */

/*
 * The project of segment 1 for a caller who may see it, or NULL after
 * answering: anonymous callers and strangers see no private project.
 */
static struct project *project_visible(struct gitlab *gitlab,
                                       const struct request *req,
                                       struct response *res)
{
    struct project *project = project_find(gitlab, req->segments[1]);

    if (project == NULL || req->token == NULL) {
        response_message(res, 404, "404 Project Not Found");
        return NULL;
    }
    return project;
}

/* authenticate!, the project, authorize! :admin_cicd_variables. */
static struct project *project_admin(struct gitlab *gitlab,
                                     const struct request *req,
                                     struct response *res)
{
    struct project *project;

    if (req->token == NULL) {
        response_message(res, 401, "401 Unauthorized");
        return NULL;
    }
    project = project_visible(gitlab, req, res);
    if (project != NULL && req->token->level < LEVEL_MAINTAINER) {
        response_message(res, 403, "403 Forbidden");
        return NULL;
    }
    return project;
}

/* --fail-write-at: the Nth write that got this far answers 500, once. */
static bool write_fails(struct gitlab *gitlab, struct response *res)
{
    gitlab->write_requests++;
    if (gitlab->write_requests != gitlab->fail_write_at)
        return false;
    response_message(res, 500, "500 Internal Server Error");
    return true;
}

/* ---- parameters ---- */

/* Grape's errors, joined as it does: "key is missing, value is missing". */
static void grape_error(char **errors, const char *name, const char *what)
{
    char *more = *errors == NULL ? xprintf("%s %s", name, what)
                                 : xprintf("%s, %s %s", *errors, name, what);

    free(*errors);
    *errors = more;
}

static void check_bool(json_t *params, const char *name, char **errors)
{
    bool ignored;

    if (param_bool(params, name, &ignored) < 0)
        grape_error(errors, name, "is invalid");
}

static void check_type(json_t *params, char **errors)
{
    const char *type = param_string(params, "variable_type");

    if (type != NULL && strcmp(type, "env_var") != 0 &&
        strcmp(type, "file") != 0)
        grape_error(errors, "variable_type", "does not have a valid value");
}

/* Answers 400 {"error"} when a parameter does not coerce. */
static bool params_refused(json_t *params, bool create, struct response *res)
{
    char *errors = NULL;

    if (create && param_string(params, "key") == NULL)
        grape_error(&errors, "key", "is missing");
    if (create && param_string(params, "value") == NULL)
        grape_error(&errors, "value", "is missing");
    check_bool(params, "protected", &errors);
    check_bool(params, "masked", &errors);
    if (create)
        check_bool(params, "masked_and_hidden", &errors);
    check_bool(params, "raw", &errors);
    check_type(params, &errors);
    if (errors == NULL)
        return false;
    response_error(res, 400, errors);
    free(errors);
    return true;
}

static void apply_bool(json_t *params, const char *name, bool *field)
{
    bool value;

    if (param_bool(params, name, &value) > 0)
        *field = value;
}

/* Sets the fields params gives; the key only on create. */
static void params_apply(json_t *params, struct variable *v)
{
    const char *text;

    if ((text = param_string(params, "value")) != NULL)
        text_replace(&v->value, text);
    if ((text = param_string(params, "variable_type")) != NULL)
        text_replace(&v->type, text);
    if ((text = param_string(params, "environment_scope")) != NULL)
        text_replace(&v->scope, text);
    if ((text = param_string(params, "description")) != NULL)
        text_replace(&v->description, text);
    apply_bool(params, "protected", &v->protected_);
    apply_bool(params, "masked", &v->masked);
    apply_bool(params, "raw", &v->raw);
}

/* Answers 400 {"message": {...}} when v would not save. */
static bool model_refused(const struct project *project,
                          const struct variable *v, const struct variable *self,
                          struct response *res)
{
    json_t *errors = variable_errors(project, v, self);

    if (errors == NULL)
        return false;
    response_json(res, 400, json_pack("{s:o}", "message", errors));
    return true;
}

/* ---- the variable endpoints ---- */

/*
 * Ci::VariablesFinder then find_variable: the rows of key, in the scope
 * of filter[environment_scope] when given; 404 for none, 409 for several.
 * Returns the index of the one, or -1 after answering.
 */
static long variable_find(const struct project *project,
                          const struct request *req, struct response *res)
{
    const char *key = req->segments[3];
    const char *scope = param_string(req->params, SCOPE_FILTER);
    long found = -1;
    size_t matches = 0;

    for (size_t i = 0; i < project->count; i++) {
        const struct variable *v = project->variables[i];
        if (strcmp(v->key, key) == 0 &&
            (scope == NULL || strcmp(v->scope, scope) == 0)) {
            found = (long)i;
            matches++;
        }
    }
    if (matches == 0)
        response_message(res, 404, "404 Variable Not Found");
    else if (matches > 1)
        response_message(res, 409,
                         "409 Conflict: There are multiple variables with "
                         "provided parameters. Please use "
                         "'filter[environment_scope]'");
    return matches == 1 ? found : -1;
}

/*
 * A pagination number: fallback when absent, below 1 or 0 (per_page=0 is
 * refused by the caller); *invalid when it is not an integer.
 */
static unsigned long number_param(json_t *params, const char *name,
                                  unsigned long fallback, bool *invalid)
{
    const char *text = param_string(params, name);
    char *end;
    long value;

    if (text == NULL)
        return fallback;
    errno = 0;
    value = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || errno != 0) {
        *invalid = true;
        return fallback;
    }
    return value < 1 ? fallback : (unsigned long)value;
}

static void page_link(char **links, const struct gitlab *gitlab,
                      const struct request *req, unsigned long page,
                      unsigned long per_page, const char *rel)
{
    char *more =
        xprintf("%s%s<%s/api/v4%s?page=%lu&per_page=%lu>; rel=\"%s\"",
                *links != NULL ? *links : "", *links != NULL ? ", " : "",
                gitlab->base_url, req->raw_path, page, per_page, rel);

    free(*links);
    *links = more;
}

/* The offset pagination headers of lib/gitlab/pagination/offset_pagination. */
static void page_headers(const struct gitlab *gitlab, const struct request *req,
                         struct response *res, unsigned long page,
                         unsigned long per_page, unsigned long total)
{
    unsigned long pages = total == 0 ? 1 : (total + per_page - 1) / per_page;
    char *links = NULL;

    response_header(res, "X-Page", xprintf("%lu", page));
    response_header(res, "X-Per-Page", xprintf("%lu", per_page));
    response_header(res, "X-Prev-Page",
                    page > 1 ? xprintf("%lu", page - 1) : xstrdup(""));
    response_header(res, "X-Next-Page",
                    page < pages ? xprintf("%lu", page + 1) : xstrdup(""));
    response_header(res, "X-Total", xprintf("%lu", total));
    response_header(res, "X-Total-Pages", xprintf("%lu", pages));
    if (page > 1)
        page_link(&links, gitlab, req, page - 1, per_page, "prev");
    if (page < pages)
        page_link(&links, gitlab, req, page + 1, per_page, "next");
    page_link(&links, gitlab, req, 1, per_page, "first");
    page_link(&links, gitlab, req, pages, per_page, "last");
    response_header(res, "Link", links);
}

static void variables_list(struct gitlab *gitlab, struct project *project,
                           const struct request *req, struct response *res)
{
    bool bad_page = false, bad_per_page = false;
    unsigned long page = number_param(req->params, "page", 1, &bad_page);
    unsigned long per_page =
        number_param(req->params, "per_page", PER_PAGE_DEFAULT, &bad_per_page);
    const char *text = param_string(req->params, "per_page");
    json_t *list;

    if (bad_page || bad_per_page) {
        response_error(res, 400,
                       bad_page ? "page is invalid" : "per_page is invalid");
        return;
    }
    if (text != NULL && strcmp(text, "0") == 0) {
        response_error(res, 400, "per_page has a value not allowed");
        return;
    }
    if (per_page > PER_PAGE_MAX)
        per_page = PER_PAGE_MAX;
    if (per_page > gitlab->max_per_page)
        per_page = gitlab->max_per_page;
    list = json_array();
    for (size_t i = (page - 1) * per_page;
         i < project->count && i < page * per_page; i++)
        json_array_append_new(list, variable_json(project->variables[i]));
    page_headers(gitlab, req, res, page, per_page, project->count);
    response_json(res, 200, list);
}

static void variable_create(struct gitlab *gitlab, struct project *project,
                            const struct request *req, struct response *res)
{
    struct variable *v;
    bool hidden = false;
    char *key;

    if (params_refused(req->params, true, res) || write_fails(gitlab, res))
        return;
    key = xstrdup(param_string(req->params, "key"));
    /* The model strips the key before it validates it. */
    while (*key != '\0' && isspace((unsigned char)key[strlen(key) - 1]))
        key[strlen(key) - 1] = '\0';
    v = variable_new(key + strspn(key, " \t\r\n\f\v"), "");
    free(key);
    params_apply(req->params, v);
    if (param_bool(req->params, "masked_and_hidden", &hidden) > 0 && hidden)
        v->masked = v->hidden = true;
    if (model_refused(project, v, NULL, res)) {
        variable_free(v);
        return;
    }
    project_push(project, v);
    response_json(res, 201, variable_json(v));
}

static void variable_update(struct gitlab *gitlab, struct project *project,
                            const struct request *req, struct response *res)
{
    struct variable *candidate;
    long index;

    if (params_refused(req->params, false, res))
        return;
    index = variable_find(project, req, res);
    if (index < 0 || write_fails(gitlab, res))
        return;
    candidate = variable_copy(project->variables[index]);
    params_apply(req->params, candidate);
    if (model_refused(project, candidate, project->variables[index], res)) {
        variable_free(candidate);
        return;
    }
    variable_free(project->variables[index]);
    project->variables[index] = candidate;
    response_json(res, 200, variable_json(candidate));
}

static void variable_delete(struct gitlab *gitlab, struct project *project,
                            const struct request *req, struct response *res)
{
    long index = variable_find(project, req, res);

    if (index < 0 || write_fails(gitlab, res))
        return;
    project_remove(project, (size_t)index);
    res->status = 204;
    res->content_type = "application/json";
    res->body = xstrdup("");
}

static void variable_show(const struct project *project,
                          const struct request *req, struct response *res)
{
    long index = variable_find(project, req, res);

    if (index >= 0)
        response_json(res, 200, variable_json(project->variables[index]));
}

static void variables_route(struct gitlab *gitlab, const struct request *req,
                            struct response *res)
{
    bool one = req->segment_count == 4;
    const char *method = req->method;
    struct project *project;

    if (!(one ? strcmp(method, "GET") == 0 || strcmp(method, "PUT") == 0 ||
                    strcmp(method, "DELETE") == 0
              : strcmp(method, "GET") == 0 || strcmp(method, "POST") == 0)) {
        response_error(res, 404, "404 Not Found");
        return;
    }
    project = project_admin(gitlab, req, res);
    if (project == NULL)
        return;
    if (!one && strcmp(method, "GET") == 0)
        variables_list(gitlab, project, req, res);
    else if (!one)
        variable_create(gitlab, project, req, res);
    else if (strcmp(method, "PUT") == 0)
        variable_update(gitlab, project, req, res);
    else if (strcmp(method, "DELETE") == 0)
        variable_delete(gitlab, project, req, res);
    else
        variable_show(project, req, res);
}

/* ---- the other endpoints ---- */

static void project_show(struct gitlab *gitlab, const struct request *req,
                         struct response *res)
{
    struct project *project = project_visible(gitlab, req, res);

    if (project != NULL)
        response_json(res, 200, project_json(gitlab, project, req->token));
}

/* GET /personal_access_tokens/self: the token's own scopes. */
static void token_show(const struct request *req, struct response *res)
{
    const struct token *token = req->token;
    json_t *scopes;

    if (token == NULL) {
        response_message(res, 401, "401 Unauthorized");
        return;
    }
    scopes = json_pack("[s]", token->write ? "api" : "read_api");
    response_json(res, 200,
                  json_pack("{s:i, s:s, s:b, s:s, s:o, s:i, s:b, s:s}", "id", 7,
                            "name", "sfci", "revoked", 0, "created_at",
                            "2026-01-05T10:00:00.000Z", "scopes", scopes,
                            "user_id", 2, "active", 1, "expires_at",
                            "2027-01-05"));
}

static bool segment_is(const struct request *req, size_t index,
                       const char *text)
{
    return index < req->segment_count &&
           strcmp(req->segments[index], text) == 0;
}

void api_handle(struct gitlab *gitlab, const struct request *req,
                struct response *res)
{
    bool get = strcmp(req->method, "GET") == 0;
    size_t n = req->segment_count;

    /* The scope check is part of authentication: before any route. */
    if (req->token != NULL && !req->token->write && !get) {
        res->status = 403;
        res->content_type = "application/json";
        res->body = xstrdup(insufficient_scope);
        return;
    }
    if (n == 2 && segment_is(req, 0, "personal_access_tokens") &&
        segment_is(req, 1, "self") && get)
        token_show(req, res);
    else if (n == 2 && segment_is(req, 0, "projects") && get)
        project_show(gitlab, req, res);
    else if ((n == 3 || n == 4) && segment_is(req, 0, "projects") &&
             segment_is(req, 2, "variables"))
        variables_route(gitlab, req, res);
    else
        response_error(res, 404, "404 Not Found");
}

/* ---- /_fake/ ---- */

void introspect_handle(struct gitlab *gitlab, const char *method,
                       const char *path, struct response *res)
{
    if (strcmp(method, "GET") != 0)
        response_error(res, 405, "the fake's own pages only take GET");
    else if (strcmp(path, "/_fake/variables") == 0)
        response_json(res, 200, variables_dump(gitlab));
    else if (strcmp(path, "/_fake/requests") == 0)
        response_json(res, 200, json_incref(gitlab->requests));
    else
        response_error(res, 404, "404 Not Found");
}
