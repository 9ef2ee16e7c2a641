/*
 * fake-github: the REST resources, answered as GitHub does.
 *
 * Paths are matched segment by segment, each segment percent-decoded on
 * its own, so that an environment called "release/2.0" is reached as
 * environments/release%2F2.0 and not through an unencoded slash.  Both
 * forms of the environment paths are served: /repos/{owner}/{repo}/... and
 * the older /repositories/{repository_id}/....
 */
#include "fake_github.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SEGMENTS_MAX 12
#define VALUE_MAX 49152 /* 48 KB of plain text */
#define SECRETS_MAX 100 /* per repository, per environment */
#define PER_PAGE_DEFAULT 30
#define PER_PAGE_MAX 100

#define DOCS "https://docs.github.com/rest"
#define DOCS_SECRETS DOCS "/actions/secrets#"
#define DOCS_ENVIRONMENTS DOCS "/deployments/environments#"

/* What a request is about, once its path is read. */
struct target {
    struct repo *repo;
    struct scope *scope;       /* NULL: the path names no secrets scope */
    const char *environment;   /* as named in the path, or NULL */
    bool environment_resource; /* .../environments[/{name}] itself */
    const char *rest[3];       /* what follows .../secrets */
    size_t rest_count;
};

struct path {
    char *segments[SEGMENTS_MAX];
    size_t count;
};

static void path_release(struct path *path)
{
    for (size_t i = 0; i < path->count; i++)
        free(path->segments[i]);
    path->count = 0;
}

/* Splits /a/b%2Fc/d into a, b/c, d; false for a path that cannot be. */
static bool path_split(const char *text, struct path *path)
{
    path->count = 0;
    if (*text != '/')
        return false;
    text++;
    while (*text != '\0') {
        const char *end = strchr(text, '/');
        size_t len = end != NULL ? (size_t)(end - text) : strlen(text);
        char *segment;

        if (path->count == SEGMENTS_MAX)
            return false;
        segment = xstrndup(text, len);
        path->segments[path->count++] = segment;
        if (len == 0 || !percent_decode(segment))
            return false;
        text = end != NULL ? end + 1 : text + len;
    }
    return true;
}

/* ---- answers ---- */

static void not_found(struct response *res, const char *doc)
{
    response_error(res, 404, "Not Found", doc);
}

static char *iso_time(long offset_s)
{
    time_t when = time(NULL) + offset_s;
    struct tm tm;
    char text[TIME_TEXT_MAX];

    gmtime_r(&when, &tm);
    strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return xstrdup(text);
}

static json_t *permissions_json(enum access access)
{
    bool admin = access == ACCESS_ADMIN;

    return json_pack("{s:b, s:b, s:b, s:b, s:b}", "admin", admin, "maintain",
                     admin, "push", admin, "triage", admin, "pull", true);
}

static void repo_answer(const struct request *req, struct repo *repo,
                        struct response *res)
{
    char *full_name = xprintf("%s/%s", repo->owner, repo->name);
    char *created = iso_time(-86400);
    json_t *json = json_pack(
        "{s:I, s:s, s:s, s:s, s:b, s:{s:s, s:s}, s:o, s:s, s:s}", "id",
        (json_int_t)repo->id, "node_id", "R_kgDOfake", "name", repo->name,
        "full_name", full_name, "private", true, "owner", "login", repo->owner,
        "type", "Organization", "permissions", permissions_json(req->access),
        "visibility", "private", "created_at", created);

    response_json(res, 200, json);
    free(full_name);
    free(created);
}

static json_t *environment_json(const struct scope *scope)
{
    return json_pack("{s:I, s:s, s:s, s:[], s:n}", "id", (json_int_t)scope->id,
                     "node_id", "EN_kwDOfake", "name", scope->environment,
                     "protection_rules", "deployment_branch_policy");
}

static void environments_answer(struct repo *repo, struct response *res)
{
    json_t *list = json_array();

    for (size_t i = 0; i < repo->environment_count; i++)
        json_array_append_new(list, environment_json(&repo->environments[i]));
    response_json(res, 200,
                  json_pack("{s:I, s:o}", "total_count",
                            (json_int_t)repo->environment_count, "environments",
                            list));
}

/* ---- secrets ---- */

static const char *doc_of(const struct scope *scope, const char *repository,
                          const char *environment)
{
    return scope->environment == NULL ? repository : environment;
}

static void public_key_answer(const struct scope *scope, struct response *res)
{
    char key[sodium_base64_ENCODED_LEN(crypto_box_PUBLICKEYBYTES,
                                       sodium_base64_VARIANT_ORIGINAL)];

    sodium_bin2base64(key, sizeof(key), scope->public_key,
                      sizeof(scope->public_key),
                      sodium_base64_VARIANT_ORIGINAL);
    response_json(res, 200,
                  json_pack("{s:s, s:s}", "key_id", scope->key_id, "key", key));
}

static json_t *secret_json(const struct secret *secret)
{
    return json_pack("{s:s, s:s, s:s}", "name", secret->name, "created_at",
                     secret->created_at, "updated_at", secret->updated_at);
}

/* A number from the query, or fallback when absent or not a number. */
static long query_number(const char *query, const char *key, long fallback)
{
    char *text = query_value(query, key);
    char *end;
    long value;

    if (text == NULL)
        return fallback;
    value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < 1)
        value = fallback;
    free(text);
    return value;
}

/* Link: <...?per_page=N&page=M>; rel="next", as GitHub pages its lists. */
static void link_header(const struct request *req, struct response *res,
                        long per_page, long page, long last)
{
    const char *host =
        MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, "Host");
    char *base = xprintf("http://%s%s?per_page=%ld&page=", host ? host : "",
                         req->path, per_page);
    char *link = NULL;

    if (page < last)
        link = xprintf("<%s%ld>; rel=\"next\", <%s%ld>; rel=\"last\"", base,
                       page + 1, base, last);
    if (page > 1) {
        char *back = xprintf("<%s%ld>; rel=\"prev\", <%s1>; rel=\"first\"",
                             base, page - 1, base);
        char *both = link != NULL ? xprintf("%s, %s", link, back) : back;

        if (both != back)
            free(back);
        free(link);
        link = both;
    }
    if (link != NULL)
        response_header(res, "Link", "%s", link);
    free(link);
    free(base);
}

static void secrets_list_answer(struct fake *fake, const struct request *req,
                                const struct scope *scope, struct response *res)
{
    long max =
        fake->max_per_page < PER_PAGE_MAX ? fake->max_per_page : PER_PAGE_MAX;
    long per_page = query_number(req->query, "per_page", PER_PAGE_DEFAULT);
    long page = query_number(req->query, "page", 1);
    long count = (long)scope->secret_count;
    long last, first;
    json_t *list = json_array();

    if (per_page > max)
        per_page = max;
    last = count == 0 ? 1 : (count + per_page - 1) / per_page;
    first = (page - 1) * per_page;
    for (long i = first; i >= 0 && i < count && i < first + per_page; i++)
        json_array_append_new(list, secret_json(&scope->secrets[i]));
    link_header(req, res, per_page, page, last);
    response_json(res, 200,
                  json_pack("{s:I, s:o}", "total_count", (json_int_t)count,
                            "secrets", list));
}

/* The secrets reference's rules for a name. */
static const char *name_problem(const char *name)
{
    if (*name == '\0')
        return "Secret names are required.";
    for (const char *c = name; *c != '\0'; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            return "Secret names can only contain alphanumeric characters "
                   "([a-z], [A-Z], [0-9]) or underscores (_). Spaces are "
                   "not allowed.";
    if (isdigit((unsigned char)*name))
        return "Secret names must not start with a number.";
    if (strncasecmp(name, "GITHUB_", 7) == 0)
        return "Secret names must not start with GITHUB_.";
    return NULL;
}

/* The pattern of encrypted_value in GitHub's description: padded base64. */
static bool base64_padded(const char *text)
{
    size_t len = strlen(text);
    size_t body = strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "abcdefghijklmnopqrstuvwxyz0123456789+/");

    if (len % 4 != 0)
        return false;
    if (body == len)
        return true;
    return (body == len - 1 && strcmp(text + body, "=") == 0) ||
           (body == len - 2 && strcmp(text + body, "==") == 0);
}

static void invalid_request(struct response *res, const char *detail,
                            const char *doc)
{
    char *message = xprintf("Invalid request.\n\n%s", detail);

    response_error(res, 422, message, doc);
    free(message);
}

/* A string field of the body, or NULL after answering 422. */
static const char *body_string(json_t *body, const char *field,
                               struct response *res, const char *doc)
{
    json_t *value = json_object_get(body, field);
    char *detail;

    if (json_is_string(value))
        return json_string_value(value);
    if (value == NULL)
        detail = xprintf("\"%s\" wasn't supplied.", field);
    else
        detail = xprintf("For 'properties/%s', it is not a string.", field);
    invalid_request(res, detail, doc);
    free(detail);
    return NULL;
}

/*
 * Opens encrypted_value with the scope's key; the plain text is returned
 * (caller wipes and frees) or NULL after answering 422.
 */
static char *sealed_open(const struct scope *scope, const char *key_id,
                         const char *sealed, size_t *len, struct response *res,
                         const char *doc)
{
    size_t sealed_len = strlen(sealed);
    unsigned char *box = alloc_check(malloc(sealed_len + 1));
    char *plain = NULL;
    size_t box_len = 0;

    if (strcmp(key_id, scope->key_id) == 0 &&
        sodium_base642bin(box, sealed_len + 1, sealed, sealed_len, NULL,
                          &box_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) == 0 &&
        box_len >= crypto_box_SEALBYTES) {
        *len = box_len - crypto_box_SEALBYTES;
        plain = alloc_check(malloc(*len + 1));
        if (crypto_box_seal_open((unsigned char *)plain, box, box_len,
                                 scope->public_key, scope->secret_key) != 0) {
            free(plain);
            plain = NULL;
        } else {
            plain[*len] = '\0';
        }
    }
    free(box);
    if (plain == NULL)
        response_error(res, 422,
                       "Bad request - validation failed due to an "
                       "improperly encrypted secret",
                       doc);
    return plain;
}

/* Checks the body of a PUT; the plain text, or NULL after answering. */
static char *put_body_open(const struct request *req, const struct scope *scope,
                           size_t *len, struct response *res, const char *doc)
{
    json_t *body = json_loadb(req->body, req->body_len, 0, NULL);
    const char *sealed = NULL, *key_id = NULL;
    char *plain = NULL, *detail;

    if (!json_is_object(body)) {
        response_error(res, 400, "Problems parsing JSON", doc);
        json_decref(body);
        return NULL;
    }
    sealed = body_string(body, "encrypted_value", res, doc);
    if (sealed != NULL)
        key_id = body_string(body, "key_id", res, doc);
    if (key_id != NULL && !base64_padded(sealed)) {
        detail = xprintf("%s does not match /^(?:[A-Za-z0-9+/]{4})*"
                         "(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|"
                         "[A-Za-z0-9+/]{4})$/.",
                         sealed);
        invalid_request(res, detail, doc);
        free(detail);
    } else if (key_id != NULL) {
        plain = sealed_open(scope, key_id, sealed, len, res, doc);
    }
    json_decref(body);
    return plain;
}

static void secret_put_answer(struct fake *fake, const struct request *req,
                              struct scope *scope, const char *name,
                              struct response *res)
{
    const char *doc =
        doc_of(scope, DOCS_SECRETS "create-or-update-a-repository-secret",
               DOCS_SECRETS "create-or-update-an-environment-"
                            "secret");
    const char *problem = name_problem(name);
    size_t len = 0;
    char *plain;

    if (problem != NULL) {
        response_error(res, 422, problem, doc);
        return;
    }
    plain = put_body_open(req, scope, &len, res, doc);
    if (plain == NULL)
        return;
    if (len > VALUE_MAX)
        response_error(res, 422, "Secret value is too large.", doc);
    else if (secret_find(scope, name) == NULL &&
             scope->secret_count >= SECRETS_MAX)
        response_error(res, 422, "Secret limit reached.", doc);
    else if (secret_put(scope, name, plain, len))
        response_json(res, 201, json_object());
    else
        response_empty(res, 204);
    sodium_memzero(plain, len);
    free(plain);
}

/* The read-only token may read, as a token with Secrets: read. */
static bool write_refused(const struct request *req, struct response *res,
                          const char *doc)
{
    if (req->access == ACCESS_ADMIN)
        return false;
    response_header(res, "X-Accepted-GitHub-Permissions", "secrets=write");
    response_error(res, 403, "Resource not accessible by integration", doc);
    return true;
}

static void secret_answer(struct fake *fake, const struct request *req,
                          struct scope *scope, const char *name,
                          struct response *res)
{
    bool env = scope->environment != NULL;
    struct secret *secret;

    if (strcmp(req->method, "PUT") == 0) {
        if (!write_refused(
                req, res,
                env ? DOCS_SECRETS "create-or-update-an-environment-secret"
                    : DOCS_SECRETS "create-or-update-a-repository-secret"))
            secret_put_answer(fake, req, scope, name, res);
    } else if (strcmp(req->method, "DELETE") == 0) {
        const char *doc = env ? DOCS_SECRETS "delete-an-environment-secret"
                              : DOCS_SECRETS "delete-a-repository-secret";
        if (write_refused(req, res, doc))
            return;
        if (secret_delete(scope, name))
            response_empty(res, 204);
        else
            not_found(res, doc);
    } else if (strcmp(req->method, "GET") == 0 &&
               (secret = secret_find(scope, name)) != NULL) {
        response_json(res, 200, secret_json(secret));
    } else {
        not_found(res, env ? DOCS_SECRETS "get-an-environment-secret"
                           : DOCS_SECRETS "get-a-repository-secret");
    }
}

/* .../secrets, .../secrets/public-key, .../secrets/{name}. */
static void secrets_answer(struct fake *fake, const struct request *req,
                           const struct target *t, struct response *res)
{
    bool get = strcmp(req->method, "GET") == 0;
    bool env = t->scope->environment != NULL;

    if (t->rest_count == 0 && get)
        secrets_list_answer(fake, req, t->scope, res);
    else if (t->rest_count == 1 && get && strcmp(t->rest[0], "public-key") == 0)
        public_key_answer(t->scope, res);
    else if (t->rest_count == 1)
        secret_answer(fake, req, t->scope, t->rest[0], res);
    else
        not_found(res, env ? DOCS_SECRETS "list-environment-secrets"
                           : DOCS_SECRETS "list-repository-secrets");
}

/* ---- routing ---- */

static bool segment_is(const struct path *path, size_t i, const char *text)
{
    return i < path->count && strcmp(path->segments[i], text) == 0;
}

/* The repository of /repos/{owner}/{repo} or /repositories/{id}. */
static struct repo *path_repo(struct fake *fake, const struct path *path,
                              size_t *next)
{
    char *end;
    long id;

    if (segment_is(path, 0, "repos") && path->count >= 3) {
        *next = 3;
        return repo_find(fake, path->segments[1], path->segments[2]);
    }
    if (segment_is(path, 0, "repositories") && path->count >= 2) {
        *next = 2;
        id = strtol(path->segments[1], &end, 10);
        return *end == '\0' ? repo_find_id(fake, id) : NULL;
    }
    return NULL;
}

/* Reads what follows the repository; false for a path GitHub lacks. */
static bool target_read(const struct path *path, size_t i, struct target *t)
{
    size_t secrets_at;

    t->scope = NULL;
    if (i == path->count)
        return true;
    if (segment_is(path, i, "actions") && segment_is(path, i + 1, "secrets")) {
        t->scope = &t->repo->scope;
        secrets_at = i + 2;
    } else if (segment_is(path, i, "environments")) {
        if (i + 1 >= path->count) {
            t->environment_resource = true;
            return true;
        }
        t->environment = path->segments[i + 1];
        t->scope = environment_find(t->repo, t->environment);
        if (i + 2 == path->count) {
            t->environment_resource = true;
            return true;
        }
        if (!segment_is(path, i + 2, "secrets"))
            return false;
        secrets_at = i + 3;
    } else {
        return false;
    }
    if (path->count - secrets_at > 1)
        return false;
    t->rest_count = path->count - secrets_at;
    if (t->rest_count == 1)
        t->rest[0] = path->segments[secrets_at];
    return true;
}

static void route(struct fake *fake, const struct request *req,
                  struct response *res)
{
    struct path path = {0};
    struct target t = {0};
    size_t next = 0;
    bool get = strcmp(req->method, "GET") == 0;

    if (!path_split(req->path, &path) ||
        (t.repo = path_repo(fake, &path, &next)) == NULL ||
        !target_read(&path, next, &t)) {
        not_found(res, next == 0 ? DOCS : DOCS "/repos/repos#get-a-repository");
    } else if (next == path.count && get) {
        repo_answer(req, t.repo, res);
    } else if (t.environment_resource && t.environment == NULL && get) {
        environments_answer(t.repo, res);
    } else if (t.environment_resource && t.scope != NULL && get) {
        response_json(res, 200, environment_json(t.scope));
    } else if (t.scope == NULL || t.environment_resource) {
        not_found(res, t.environment != NULL
                           ? DOCS_ENVIRONMENTS "get-an-environment"
                           : DOCS "/repos/repos#get-a-repository");
    } else {
        secrets_answer(fake, req, &t, res);
    }
    path_release(&path);
}

/* ---- the checks before routing ---- */

static bool token_is(const char *given, const char *token)
{
    return token != NULL && strcmp(given, token) == 0;
}

/* Bearer or token: GitHub takes both schemes for a personal token. */
static bool authenticate(struct fake *fake, struct request *req,
                         struct response *res)
{
    const char *header = MHD_lookup_connection_value(
        req->connection, MHD_HEADER_KIND, "Authorization");
    const char *given = NULL;

    if (header != NULL && strncasecmp(header, "Bearer ", 7) == 0)
        given = header + 7;
    else if (header != NULL && strncasecmp(header, "token ", 6) == 0)
        given = header + 6;
    if (given != NULL && token_is(given, fake->token))
        req->access = ACCESS_ADMIN;
    else if (given != NULL && token_is(given, fake->read_only_token))
        req->access = ACCESS_READ;
    if (req->access != ACCESS_NONE)
        return true;
    response_error(
        res, 401,
        header == NULL ? "Requires authentication" : "Bad credentials", DOCS);
    return false;
}

static bool version_supported(const struct request *req, struct response *res)
{
    const char *version = MHD_lookup_connection_value(
        req->connection, MHD_HEADER_KIND, "X-GitHub-Api-Version");
    char *message;

    if (version == NULL || strcmp(version, "2022-11-28") == 0 ||
        strcmp(version, "2026-03-10") == 0)
        return true;
    message = xprintf("Unsupported 'X-GitHub-Api-Version' header value "
                      "'%s'.",
                      version);
    response_error(res, 400, message, DOCS "/about-the-rest-api/api-versions");
    free(message);
    return false;
}

/* The Nth request of the run: a rate limit, once, as --rate-limit-at asks. */
static bool rate_limited(struct fake *fake, struct response *res)
{
    unsigned int status = (unsigned int)fake->rate_limit_status;

    if (fake->rate_limit_at == 0 || fake->request_count != fake->rate_limit_at)
        return false;
    if (fake->rate_limit_primary) {
        response_header(res, "x-ratelimit-remaining", "0");
        response_header(res, "x-ratelimit-reset", "%lld",
                        (long long)time(NULL) + 2);
        response_error(res, status,
                       "API rate limit exceeded for user ID 1. If you reach "
                       "out to GitHub Support for help, please include the "
                       "request ID 0000:FAKE.",
                       DOCS "/using-the-rest-api/rate-limits-for-the-rest-api");
        return true;
    }
    response_header(res, "retry-after", "1");
    response_error(res, status,
                   "You have exceeded a secondary rate limit. Please wait a "
                   "few minutes before you try again. If you reach out to "
                   "GitHub Support for help, please include the request ID "
                   "0000:FAKE.",
                   DOCS "/using-the-rest-api/rate-limits-for-the-rest-api"
                        "#about-secondary-rate-limits");
    return true;
}

/* A PUT of a secret: the Nth answers 500, once, as --fail-write-at asks. */
static bool write_failed(struct fake *fake, const struct request *req,
                         struct response *res)
{
    size_t len = strlen(req->path);
    const char *secrets = strstr(req->path, "/secrets/");

    if (strcmp(req->method, "PUT") != 0 || secrets == NULL ||
        (size_t)(secrets - req->path) + 9 >= len)
        return false;
    fake->writes++;
    if (fake->fail_write_at == 0 || fake->writes != fake->fail_write_at)
        return false;
    response_error(res, 500, "Server Error", DOCS);
    return true;
}

static void rate_headers(struct fake *fake, struct response *res)
{
    static time_t reset;
    bool set = false;

    for (size_t i = 0; i < res->header_count; i++)
        set = set || strcmp(res->headers[i].name, "x-ratelimit-remaining") == 0;
    if (reset == 0)
        reset = time(NULL) + 3600;
    fake->rate_used++;
    response_header(res, "x-ratelimit-limit", "5000");
    if (!set) {
        response_header(res, "x-ratelimit-remaining", "%ld",
                        5000 - fake->rate_used);
        response_header(res, "x-ratelimit-reset", "%lld", (long long)reset);
    }
    response_header(res, "x-ratelimit-used", "%ld", fake->rate_used);
    response_header(res, "x-ratelimit-resource", "core");
}

void api_handle(struct fake *fake, const struct request *req,
                struct response *res)
{
    struct request checked = *req;

    if (rate_limited(fake, res) || !version_supported(req, res) ||
        !authenticate(fake, &checked, res) ||
        write_failed(fake, &checked, res)) {
        rate_headers(fake, res);
        return;
    }
    route(fake, &checked, res);
    rate_headers(fake, res);
}

/* ---- for the tests: not GitHub ---- */

static void scope_variables(const struct repo *repo, const struct scope *scope,
                            json_t *list)
{
    char *full_name = xprintf("%s/%s", repo->owner, repo->name);

    for (size_t i = 0; i < scope->secret_count; i++) {
        const struct secret *s = &scope->secrets[i];

        json_array_append_new(
            list,
            json_pack("{s:s, s:s%, s:s?, s:s, s:s, s:s}", "name", s->name,
                      "value", s->value, s->value_len, "environment",
                      scope->environment, "repository", full_name, "created_at",
                      s->created_at, "updated_at", s->updated_at));
    }
    free(full_name);
}

void introspect_handle(struct fake *fake, const struct request *req,
                       struct response *res)
{
    json_t *list = json_array();

    if (strcmp(req->path, "/_fake/variables") == 0) {
        for (size_t i = 0; i < fake->repo_count; i++) {
            struct repo *repo = &fake->repos[i];

            scope_variables(repo, &repo->scope, list);
            for (size_t j = 0; j < repo->environment_count; j++)
                scope_variables(repo, &repo->environments[j], list);
        }
    } else if (strcmp(req->path, "/_fake/requests") == 0) {
        for (size_t i = 0; i < fake->request_count; i++)
            json_array_append_new(list, json_string(fake->requests[i]));
    } else {
        json_decref(list);
        not_found(res, DOCS);
        return;
    }
    response_json(res, 200, list);
}
