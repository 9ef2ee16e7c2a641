/*
 * fake-gitlab: the program.  Reads the projects and tokens from the
 * command line, serves them on 127.0.0.1 until SIGTERM or SIGINT, and
 * turns each request into a struct request for api_handle().
 *
 * The path is decoded segment by segment, so "acme%2Fapp" is one
 * segment, the project "acme/app", and an unencoded "acme/app" is two and
 * matches no route, as on GitLab.
 */
#include "fake_gitlab.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (1u << 20)
#define API_PREFIX "/api/v4/"
#define DEFAULT_MAX_PER_PAGE 3

/* What Rack::Attack says with a 429 (doc: user_and_ip_rate_limits). */
#define THROTTLE_NAME "throttle_authenticated_api"
#define THROTTLE_LIMIT 2000

static const char usage[] =
    "usage: fake-gitlab [--port-file FILE] [--repo GROUP/PROJECT]...\n"
    "         [--token TOKEN] [--read-only-token TOKEN]\n"
    "         [--read-api-token TOKEN] [--inherited-token TOKEN]\n"
    "         [--seed KEY=VALUE[,scope=S,protected,masked,raw,hidden,file,\n"
    "                 description=D,repo=R]]...\n"
    "         [--latency-ms N] [--rate-limit-at N] [--fail-write-at N]\n"
    "         [--max-per-page N] [--log]\n";

struct settings {
    const char *port_file;
    const char **seeds;
    size_t seed_count;
};

/* ---- options ---- */

static void token_add(struct gitlab *gitlab, const char *secret, int level,
                      bool write, bool inherited)
{
    struct token *token;

    gitlab->tokens = alloc_check(realloc(
        gitlab->tokens, (gitlab->token_count + 1) * sizeof(*gitlab->tokens)));
    token = &gitlab->tokens[gitlab->token_count++];
    token->secret = xstrdup(secret);
    token->level = level;
    token->write = write;
    token->inherited = inherited;
}

static const struct option long_options[] = {
    {"port-file", required_argument, NULL, 'p'},
    {"repo", required_argument, NULL, 'r'},
    {"token", required_argument, NULL, 't'},
    {"read-only-token", required_argument, NULL, 'o'},
    {"read-api-token", required_argument, NULL, 'a'},
    {"inherited-token", required_argument, NULL, 'i'},
    {"seed", required_argument, NULL, 's'},
    {"latency-ms", required_argument, NULL, 'L'},
    {"rate-limit-at", required_argument, NULL, 'R'},
    {"fail-write-at", required_argument, NULL, 'W'},
    {"max-per-page", required_argument, NULL, 'M'},
    {"log", no_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int option_apply(int option, const char *arg, struct gitlab *gitlab,
                        struct settings *settings)
{
    unsigned long number;

    switch (option) {
    case 'p':
        settings->port_file = arg;
        return 0;
    case 'r':
        if (*arg == '\0' || *arg == '/' || arg[strlen(arg) - 1] == '/')
            return fake_fail("--repo takes GROUP/PROJECT, not '%s'", arg);
        gitlab_project_add(gitlab, arg);
        return 0;
    case 't':
        token_add(gitlab, arg, LEVEL_MAINTAINER, true, false);
        return 0;
    case 'o':
        token_add(gitlab, arg, LEVEL_DEVELOPER, true, false);
        return 0;
    case 'a':
        token_add(gitlab, arg, LEVEL_MAINTAINER, false, false);
        return 0;
    case 'i':
        token_add(gitlab, arg, LEVEL_MAINTAINER, true, true);
        return 0;
    case 's':
        settings->seeds =
            alloc_check(realloc(settings->seeds, (settings->seed_count + 1) *
                                                     sizeof(*settings->seeds)));
        settings->seeds[settings->seed_count++] = arg;
        return 0;
    case 'L':
        if (fake_number_parse("latency-ms", arg, &number) < 0)
            return -1;
        gitlab->latency_ms = (long)number;
        return 0;
    case 'R':
        return fake_number_parse("rate-limit-at", arg, &gitlab->rate_limit_at);
    case 'W':
        return fake_number_parse("fail-write-at", arg, &gitlab->fail_write_at);
    case 'M':
        if (fake_number_parse("max-per-page", arg, &gitlab->max_per_page) < 0)
            return -1;
        if (gitlab->max_per_page == 0)
            return fake_fail("--max-per-page takes 1 or more");
        return 0;
    case 'l':
        gitlab->log = true;
        return 0;
    default:
        fputs(usage, stderr);
        return -1;
    }
}

/* Returns 1 when the program should run, 0 after --help, -1 on error. */
static int settings_parse(int argc, char **argv, struct gitlab *gitlab,
                          struct settings *settings)
{
    int option;

    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (option == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (option_apply(option, optarg, gitlab, settings) < 0)
            return -1;
    }
    if (optind < argc)
        return fake_fail("unexpected argument '%s'", argv[optind]);
    for (size_t i = 0; i < settings->seed_count; i++)
        if (gitlab_seed(gitlab, settings->seeds[i]) < 0)
            return fake_fail("--seed takes KEY=VALUE[,FLAG...] after a --repo, "
                             "not '%s'",
                             settings->seeds[i]);
    return 1;
}

/* ---- responses ---- */

void response_header(struct response *res, const char *name, char *value)
{
    if (res->header_count == sizeof(res->headers) / sizeof(res->headers[0])) {
        free(value);
        return;
    }
    res->headers[res->header_count].name = name;
    res->headers[res->header_count++].value = value;
}

void response_json(struct response *res, unsigned int status, json_t *json)
{
    res->status = status;
    res->content_type = "application/json";
    res->body = alloc_check(json_dumps(json, JSON_COMPACT | JSON_ENCODE_ANY));
    json_decref(json);
}

void response_message(struct response *res, unsigned int status,
                      const char *text)
{
    response_json(res, status, json_pack("{s:s}", "message", text));
}

void response_error(struct response *res, unsigned int status, const char *text)
{
    response_json(res, status, json_pack("{s:s}", "error", text));
}

/* Rack::Attack's answer, with the headers GitLab documents. */
static void response_throttled(struct response *res)
{
    res->status = 429;
    res->content_type = "text/plain";
    res->body = xstrdup("Retry later\n");
    response_header(res, "RateLimit-Name", xstrdup(THROTTLE_NAME));
    response_header(res, "RateLimit-Limit", xprintf("%d", THROTTLE_LIMIT));
    response_header(res, "RateLimit-Observed",
                    xprintf("%d", THROTTLE_LIMIT + 1));
    response_header(res, "RateLimit-Remaining", xstrdup("0"));
    response_header(res, "RateLimit-Reset",
                    xprintf("%lld", (long long)time(NULL) + 1));
    response_header(res, "Retry-After", xstrdup("1"));
}

/* ---- requests ---- */

struct query {
    json_t *params;
    char *line; /* "METHOD path?a=b&c=d" as received */
};

static enum MHD_Result on_argument(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    struct query *query = cls;
    char *name = xstrdup(key), *text = xstrdup(value ? value : "");
    char *line =
        xprintf("%s%c%s%s%s", query->line, strchr(query->line, '?') ? '&' : '?',
                key, value ? "=" : "", value ? value : "");

    free(query->line);
    query->line = line;
    url_decode(name, true);
    url_decode(text, true);
    json_object_set_new(query->params, name, json_string(text));
    free(name);
    free(text);
    return MHD_YES;
}

/* Moves {"filter": {"environment_scope": x}} to "filter[environment_scope]". */
static void params_flatten(json_t *params)
{
    json_t *outer, *inner;
    const char *name, *inner_name;
    void *tmp;

    json_object_foreach_safe(params, tmp, name, outer)
    {
        if (!json_is_object(outer))
            continue;
        json_object_foreach(outer, inner_name, inner)
        {
            char *flat = xprintf("%s[%s]", name, inner_name);
            json_object_set(params, flat, inner);
            free(flat);
        }
        json_object_del(params, name);
    }
}

/* Adds a form or JSON body to the query's parameters (body wins). */
static int params_add_body(json_t *params, struct MHD_Connection *connection,
                           const struct fake_upload *upload)
{
    const char *type = MHD_lookup_connection_value(
        connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    json_t *body;

    if (upload->len == 0)
        return 0;
    if (type != NULL && strncasecmp(type, "application/json", 16) == 0) {
        body = json_loadb(upload->data, upload->len, 0, NULL);
        if (!json_is_object(body)) {
            json_decref(body);
            return -1;
        }
        json_object_update(params, body);
        json_decref(body);
        params_flatten(params);
    } else {
        form_parse(upload->data, upload->len, params);
    }
    return 0;
}

/* PRIVATE-TOKEN, else Authorization: Bearer, else ?private_token=. */
static const char *token_given(struct MHD_Connection *connection,
                               json_t *params)
{
    const char *value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                    "PRIVATE-TOKEN");

    if (value != NULL)
        return value;
    value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                        MHD_HTTP_HEADER_AUTHORIZATION);
    if (value != NULL && strncasecmp(value, "Bearer ", 7) == 0)
        return value + 7;
    return param_string(params, "private_token");
}

/* The token, or NULL: *refused when one was given and is not valid. */
static const struct token *token_find(const struct gitlab *gitlab,
                                      const char *secret, bool *refused)
{
    *refused = false;
    if (secret == NULL)
        return NULL;
    for (size_t i = 0; i < gitlab->token_count; i++)
        if (strcmp(gitlab->tokens[i].secret, secret) == 0)
            return &gitlab->tokens[i];
    *refused = true;
    return NULL;
}

static void segments_split(const char *path, struct request *req)
{
    char *copy = xstrdup(path), *save = NULL, *part;

    req->segments = NULL;
    req->segment_count = 0;
    for (part = strtok_r(copy, "/", &save); part != NULL;
         part = strtok_r(NULL, "/", &save)) {
        req->segments = alloc_check(realloc(
            req->segments, (req->segment_count + 1) * sizeof(*req->segments)));
        req->segments[req->segment_count] = xstrdup(part);
        url_decode(req->segments[req->segment_count++], false);
    }
    free(copy);
}

static void segments_free(struct request *req)
{
    for (size_t i = 0; i < req->segment_count; i++)
        free(req->segments[i]);
    free(req->segments);
}

/* An API request: counted, maybe throttled, then authenticated. */
static void api_serve(struct gitlab *gitlab, struct MHD_Connection *connection,
                      const char *url, const char *method,
                      const struct fake_upload *upload, json_t *params,
                      struct response *res)
{
    struct request req = {.method = method, .params = params};
    bool refused;

    gitlab->api_requests++;
    if (gitlab->latency_ms > 0)
        fake_sleep_ms(gitlab->latency_ms);
    if (gitlab->api_requests == gitlab->rate_limit_at) {
        response_throttled(res);
        return;
    }
    if (strncmp(url, API_PREFIX, strlen(API_PREFIX)) != 0) {
        res->status = 404;
        res->content_type = "text/html";
        res->body = xstrdup("<html><body>404 Not Found</body></html>\n");
        return;
    }
    if (upload->too_large) {
        response_message(res, 413, "413 Request Entity Too Large");
        return;
    }
    if (params_add_body(params, connection, upload) < 0) {
        response_error(res, 400, "message body does not match declared format");
        return;
    }
    req.token = token_find(gitlab, token_given(connection, params), &refused);
    if (refused) {
        response_message(res, 401, "401 Unauthorized");
        return;
    }
    req.raw_path = url + strlen(API_PREFIX) - 1;
    segments_split(req.raw_path, &req);
    api_handle(gitlab, &req, res);
    segments_free(&req);
}

static enum MHD_Result response_send(struct MHD_Connection *connection,
                                     struct response *res)
{
    struct MHD_Response *response;
    enum MHD_Result queued;

    response = MHD_create_response_from_buffer(strlen(res->body), res->body,
                                               MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(res->body);
        return MHD_NO;
    }
    MHD_add_response_header(response, "Content-Type", res->content_type);
    for (size_t i = 0; i < res->header_count; i++)
        MHD_add_response_header(response, res->headers[i].name,
                                res->headers[i].value);
    queued = MHD_queue_response(connection, res->status, response);
    MHD_destroy_response(response);
    return queued;
}

static enum MHD_Result respond(void *context, struct MHD_Connection *connection,
                               const char *url, const char *method,
                               struct fake_upload *upload)
{
    struct gitlab *gitlab = context;
    struct query query = {.params = json_object(),
                          .line = xprintf("%s %s", method, url)};
    struct response res = {0};
    enum MHD_Result queued;

    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, on_argument,
                              &query);
    if (strncmp(url, "/_fake/", 7) == 0) {
        introspect_handle(gitlab, method, url, &res);
    } else {
        json_array_append_new(gitlab->requests, json_string(query.line));
        api_serve(gitlab, connection, url, method, upload, query.params, &res);
    }
    if (res.body == NULL)
        response_message(&res, 500, "500 Internal Server Error");
    if (gitlab->log)
        fprintf(stderr, "fake-gitlab: %s %u\n", query.line, res.status);

    queued = response_send(connection, &res);
    for (size_t i = 0; i < res.header_count; i++)
        free(res.headers[i].value);
    json_decref(query.params);
    free(query.line);
    return queued;
}

/* Leaves the path and the query as received: each is decoded by parts. */
static size_t on_unescape(void *cls, struct MHD_Connection *connection,
                          char *text)
{
    return strlen(text);
}

/* ---- the server ---- */

int main(int argc, char **argv)
{
    struct gitlab gitlab = {.requests = json_array(),
                            .max_per_page = DEFAULT_MAX_PER_PAGE};
    struct settings settings = {0};
    struct fake_server http = {
        .respond = respond,
        .context = &gitlab,
        .body_max = BODY_MAX,
        .threads = MHD_USE_AUTO_INTERNAL_THREAD,
        .unescape = on_unescape,
    };
    int status = 2, rc;

    fake_name_set("fake-gitlab");

    rc = settings_parse(argc, argv, &gitlab, &settings);
    if (rc <= 0) {
        status = rc == 0 ? 0 : 2;
        goto out;
    }

    http.log = gitlab.log;
    if (fake_server_listen(&http) < 0)
        goto out;
    gitlab.base_url = xprintf("http://127.0.0.1:%u", http.port);
    if (fake_server_start(&http) < 0 ||
        fake_server_run(&http, settings.port_file) < 0)
        goto out;
    status = 0;

out:
    fake_server_release(&http);
    free(settings.seeds);
    gitlab_free(&gitlab);
    return status;
}
