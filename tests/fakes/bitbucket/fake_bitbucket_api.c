/*
 * fake-bitbucket: the API under /2.0/, as Bitbucket Cloud answers it.
 *
 * Credentials first (401), then the repository (404, which is also what
 * an anonymous request gets for a private one), then the resource.  The
 * errors carry Bitbucket's shape, {"type": "error", "error": {...}}.
 */
#include "fake_bitbucket.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_REFUSED                                                          \
    "Token is invalid, expired, or not supported for this endpoint."
#define REPOSITORY_NOT_FOUND                                                   \
    "You may not have access to this repository or it no longer exists in "    \
    "this workspace. If you think this repository exists and you have "        \
    "access, make sure you are authenticated."
#define SCOPES_LACKING                                                         \
    "Your credentials lack one or more required privilege scopes."

/* What a list is made of, for page_answer(). */
struct scope {
    struct repository *repo;
    struct environment *env; /* NULL: the repository's variables */
    struct list *variables;
    const char *type; /* the items' "type" */
};

static bool contains(const struct list *list, const char *text)
{
    size_t i;

    for (i = 0; i < list->count; i++)
        if (strcmp(list->items[i], text) == 0)
            return true;
    return false;
}

static enum role role_of(const struct fake *fake, const struct request *req)
{
    const char *auth = request_header(req, "Authorization");
    enum role role = ROLE_BAD;
    char *pair;

    if (auth == NULL)
        return ROLE_NONE;
    if (strncasecmp(auth, "Bearer ", 7) == 0) {
        if (contains(&fake->tokens, auth + 7))
            role = ROLE_ADMIN;
        else if (contains(&fake->read_tokens, auth + 7))
            role = ROLE_READ;
    } else if (strncasecmp(auth, "Basic ", 6) == 0) {
        pair = base64_decode(auth + 6);
        if (pair != NULL && contains(&fake->basics, pair))
            role = ROLE_ADMIN;
        free(pair);
    }
    return role;
}

static void not_found(struct response *res)
{
    response_error(res, 404, "Resource not found", NULL);
}

static void method_not_allowed(struct response *res)
{
    response_error(res, 405, "Method not allowed", NULL);
}

static const char *host_of(const struct request *req)
{
    const char *host = request_header(req, "Host");

    return host != NULL ? host : "127.0.0.1";
}

/* A query number of 1 or more; fallback when absent, -1 when not one. */
static long query_number(const struct request *req, const char *name,
                         long fallback)
{
    char *text = request_query(req, name), *end;
    long value;

    if (text == NULL)
        return fallback;
    errno = 0;
    value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 1)
        value = -1;
    free(text);
    return value;
}

/*
 * Answers a page of items (an array, taken): ?page= from 1, ?pagelen= up
 * to 100 accepted but PAGELEN_MAX served, and 'next' and 'previous' as
 * absolute URLs of the same path.
 */
static void page_answer(const struct request *req, struct response *res,
                        json_t *items)
{
    long page = query_number(req, "page", 1);
    long asked = query_number(req, "pagelen", 10);
    size_t size = json_array_size(items), start, i;
    json_t *values = json_array(), *envelope;
    long pagelen;

    if (page < 0 || asked < 0 || asked > PAGELEN_ACCEPTED) {
        json_decref(items);
        json_decref(values);
        response_error(res, 400, "Bad request",
                       "page and pagelen must be numbers, pagelen at most "
                       "100");
        return;
    }
    pagelen = asked < PAGELEN_MAX ? asked : PAGELEN_MAX;
    start = (size_t)(page - 1) * (size_t)pagelen;
    for (i = start; i < size && i < start + (size_t)pagelen; i++)
        json_array_append(values, json_array_get(items, i));
    envelope = json_pack("{s:I, s:I, s:I, s:o}", "page", (json_int_t)page,
                         "pagelen", (json_int_t)pagelen, "size",
                         (json_int_t)size, "values", values);
    if (start + (size_t)pagelen < size)
        json_object_set_new(envelope, "next",
                            json_sprintf("http://%s%s?pagelen=%ld&page=%ld",
                                         host_of(req), req->raw_path, asked,
                                         page + 1));
    if (page > 1)
        json_object_set_new(envelope, "previous",
                            json_sprintf("http://%s%s?pagelen=%ld&page=%ld",
                                         host_of(req), req->raw_path, asked,
                                         page - 1));
    json_decref(items);
    response_json(res, 200, envelope);
}

/* ---- representations ---- */

static json_t *repository_json(const struct repository *repo)
{
    return json_pack("{s:s, s:s, s:s++, s:s, s:s, s:b, s:{s:s, s:s}}", "type",
                     "repository", "uuid", repo->uuid, "full_name",
                     repo->workspace, "/", repo->slug, "name", repo->slug,
                     "slug", repo->slug, "is_private", 1, "workspace", "type",
                     "workspace", "slug", repo->workspace);
}

static json_t *environment_json(const struct environment *env)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s, s:i}}", "type",
                     "deployment_environment", "uuid", env->uuid, "name",
                     env->name, "slug", env->slug, "environment_type", "type",
                     "deployment_environment_type", "name", env->type, "rank",
                     env->rank);
}

/* A secured value is never shown, as Bitbucket hides it. */
static json_t *variable_json(const struct variable *variable, const char *type)
{
    json_t *json =
        json_pack("{s:s, s:s, s:s, s:b}", "type", type, "uuid", variable->uuid,
                  "key", variable->key, "secured", variable->secured);

    if (!variable->secured)
        json_object_set_new(json, "value", json_string(variable->value));
    return json;
}

/* ---- checks before a write ---- */

/*
 * A token that may read but not write variables gets Bitbucket's 403,
 * which names the scopes; then the Nth write fails once with a 500.
 */
static bool write_allowed(struct fake *fake, enum role role,
                          struct response *res)
{
    if (role != ROLE_ADMIN) {
        response_json(res, 403,
                      json_pack("{s:s, s:{s:s, s:{s:[s], s:[s, s]}}}", "type",
                                "error", "error", "message", SCOPES_LACKING,
                                "detail", "required", "pipeline:variable",
                                "granted", "repository", "pipeline"));
        return false;
    }
    fake->writes++;
    if (fake->writes == fake->fail_write_at) {
        response_error(res, 500, "Something went wrong", NULL);
        return false;
    }
    return true;
}

/* The JSON object of a write; false after answering 415 or 400. */
static bool body_parse(const struct request *req, struct response *res,
                       json_t **out)
{
    const char *type = request_header(req, "Content-Type");

    *out = NULL;
    if (type == NULL || strncasecmp(type, "application/json", 16) != 0) {
        response_error(res, 415, "Unsupported Media Type",
                       "send the body as application/json");
        return false;
    }
    *out = json_loadb(req->body, req->body_len, 0, NULL);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        response_error(res, 400, "Bad request", "Unexpected request body");
        return false;
    }
    return true;
}

/* key, value and secured, each optional here; false after a 400. */
static bool fields_check(json_t *body, struct response *res)
{
    json_t *key = json_object_get(body, "key");
    json_t *value = json_object_get(body, "value");
    json_t *secured = json_object_get(body, "secured");

    if (key != NULL && (!json_is_string(key) ||
                        !variable_name_valid(json_string_value(key)))) {
        response_error(res, 400, "Bad request",
                       "Variable names may only contain ASCII letters, "
                       "digits and underscores, and may not start with a "
                       "digit.");
        return false;
    }
    if ((value != NULL && !json_is_string(value)) ||
        (secured != NULL && !json_is_boolean(secured))) {
        response_error(res, 400, "Bad request",
                       "value must be a string and secured a boolean");
        return false;
    }
    return true;
}

/* ---- variables ---- */

static void variables_list(const struct request *req, struct response *res,
                           const struct scope *scope)
{
    json_t *items = json_array();
    size_t i;

    for (i = 0; i < scope->variables->count; i++)
        json_array_append_new(
            items, variable_json(scope->variables->items[i], scope->type));
    page_answer(req, res, items);
}

/* POST: 201 with the variable and its Location, or 409 for its key. */
static void variable_create(const struct request *req, struct response *res,
                            const struct scope *scope)
{
    json_t *body;
    const char *key, *value;
    struct variable *variable;
    size_t len = strlen(req->raw_path);
    char *escaped;

    if (!body_parse(req, res, &body))
        return;
    key = json_string_value(json_object_get(body, "key"));
    value = json_string_value(json_object_get(body, "value"));
    if (fields_check(body, res) && (key == NULL || value == NULL))
        response_error(res, 400, "Bad request", "key and value are required");
    if (res->body != NULL)
        goto out;
    if (variable_by_key(scope->variables, key) != NULL) {
        response_error(
            res, 409, "A variable with the key provided already exists.", NULL);
        goto out;
    }

    variable = variable_add(scope->variables, key, value,
                            json_is_true(json_object_get(body, "secured")));
    while (len > 0 && req->raw_path[len - 1] == '/')
        len--;
    escaped = xstrndup(variable->uuid + 1, strlen(variable->uuid) - 2);
    res->location = xprintf("http://%s%.*s/%%7B%s%%7D", host_of(req), (int)len,
                            req->raw_path, escaped);
    free(escaped);
    response_json(res, 201, variable_json(variable, scope->type));

out:
    json_decref(body);
}

/* PUT: replaces what the body holds; a new key must not be taken. */
static void variable_update(const struct request *req, struct response *res,
                            const struct scope *scope,
                            struct variable *variable)
{
    json_t *body;
    const char *key, *value;
    json_t *secured;
    struct variable *other;

    if (!body_parse(req, res, &body))
        return;
    if (!fields_check(body, res))
        goto out;
    key = json_string_value(json_object_get(body, "key"));
    value = json_string_value(json_object_get(body, "value"));
    secured = json_object_get(body, "secured");
    other = key != NULL ? variable_by_key(scope->variables, key) : NULL;
    if (other != NULL && other != variable) {
        response_error(
            res, 409, "A variable with the key provided already exists.", NULL);
        goto out;
    }

    if (key != NULL) {
        free(variable->key);
        variable->key = xstrdup(key);
    }
    if (value != NULL) {
        free(variable->value);
        variable->value = xstrdup(value);
    }
    if (secured != NULL)
        variable->secured = json_is_true(secured);
    response_json(res, 200, variable_json(variable, scope->type));

out:
    json_decref(body);
}

/* The collection: GET lists, POST creates. */
static void variables_route(struct fake *fake, enum role role,
                            const struct request *req, struct response *res,
                            const struct scope *scope)
{
    if (strcmp(req->method, "GET") == 0)
        variables_list(req, res, scope);
    else if (strcmp(req->method, "POST") != 0)
        method_not_allowed(res);
    else if (write_allowed(fake, role, res))
        variable_create(req, res, scope);
}

/*
 * One variable: PUT, DELETE, and GET for a repository variable only
 * (Bitbucket has no single GET for a deployment variable).
 */
static void variable_route(struct fake *fake, enum role role,
                           const struct request *req, struct response *res,
                           const struct scope *scope, const char *uuid)
{
    struct variable *variable = NULL;
    bool get = strcmp(req->method, "GET") == 0;
    bool put = strcmp(req->method, "PUT") == 0;
    bool delete = strcmp(req->method, "DELETE") == 0;

    if (!(put || delete || (get && scope->env == NULL))) {
        method_not_allowed(res);
        return;
    }
    if (!uuid_valid(uuid)) {
        response_error(res, 400, "Bad request",
                       "The value provided is not a valid UUID");
        return;
    }
    if (!get && !write_allowed(fake, role, res))
        return;
    variable = variable_by_uuid(scope->variables, uuid);
    if (variable == NULL) {
        response_error(res, 404, "Variable not found", NULL);
    } else if (get) {
        response_json(res, 200, variable_json(variable, scope->type));
    } else if (put) {
        variable_update(req, res, scope, variable);
    } else {
        variable_delete(scope->variables, variable);
        response_set(res, 204, "application/json", "");
    }
}

/* ---- environments and the repository ---- */

static void environments_route(const struct request *req, struct response *res,
                               struct repository *repo, char **rest,
                               size_t count)
{
    struct environment *env;
    json_t *items;
    size_t i;

    if (strcmp(req->method, "GET") != 0) {
        method_not_allowed(res);
        return;
    }
    if (count == 1) {
        items = json_array();
        for (i = 0; i < repo->environments.count; i++)
            json_array_append_new(
                items, environment_json(repo->environments.items[i]));
        page_answer(req, res, items);
        return;
    }
    env = count == 2 ? environment_by_uuid(repo, rest[1]) : NULL;
    if (env == NULL)
        not_found(res);
    else
        response_json(res, 200, environment_json(env));
}

/* .../deployments_config/environments/{env}/variables[/{uuid}] */
static void deployment_route(struct fake *fake, enum role role,
                             const struct request *req, struct response *res,
                             struct repository *repo, char **rest, size_t count)
{
    struct scope scope = {.repo = repo, .type = "deployment_variable"};

    if (count < 4 || count > 5 || strcmp(rest[1], "environments") != 0 ||
        strcmp(rest[3], "variables") != 0) {
        not_found(res);
        return;
    }
    if (!uuid_valid(rest[2])) {
        response_error(res, 400, "Bad request",
                       "The value provided is not a valid UUID");
        return;
    }
    scope.env = environment_by_uuid(repo, rest[2]);
    if (scope.env == NULL) {
        response_error(res, 404, "Environment not found", NULL);
        return;
    }
    scope.variables = &scope.env->variables;
    if (count == 4)
        variables_route(fake, role, req, res, &scope);
    else
        variable_route(fake, role, req, res, &scope, rest[4]);
}

static void repository_route(struct fake *fake, enum role role,
                             const struct request *req, struct response *res,
                             struct repository *repo)
{
    char **rest = req->segments + 3;
    size_t count = req->segment_count - 3;
    struct scope scope = {repo, NULL, &repo->variables, "pipeline_variable"};

    if (count == 0 && strcmp(req->method, "GET") == 0)
        response_json(res, 200, repository_json(repo));
    else if (count == 0)
        method_not_allowed(res);
    else if (strcmp(rest[0], "environments") == 0 && count <= 2)
        environments_route(req, res, repo, rest, count);
    else if (strcmp(rest[0], "pipelines_config") == 0 && count >= 2 &&
             count <= 3 && strcmp(rest[1], "variables") == 0)
        count == 2 ? variables_route(fake, role, req, res, &scope)
                   : variable_route(fake, role, req, res, &scope, rest[2]);
    else if (strcmp(rest[0], "deployments_config") == 0)
        deployment_route(fake, role, req, res, repo, rest, count);
    else
        not_found(res);
}

void api_handle(struct fake *fake, const struct request *req,
                struct response *res)
{
    enum role role = role_of(fake, req);
    struct repository *repo = NULL;

    if (role == ROLE_BAD) {
        response_error(res, 401, TOKEN_REFUSED, NULL);
        return;
    }
    if (req->segment_count < 3 ||
        strcmp(req->segments[0], "repositories") != 0) {
        not_found(res);
        return;
    }
    /* Every repository here is private: hidden from anonymous requests. */
    if (role != ROLE_NONE)
        repo = repository_find(fake, req->segments[1], req->segments[2]);
    if (repo == NULL)
        response_error(res, 404, REPOSITORY_NOT_FOUND, NULL);
    else
        repository_route(fake, role, req, res, repo);
}
