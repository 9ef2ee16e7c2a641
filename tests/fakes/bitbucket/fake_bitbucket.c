/*
 * fake-bitbucket: the program.  Reads the repositories, credentials and
 * faults from the command line, serves them on 127.0.0.1 until SIGTERM
 * or SIGINT, and hands each request to the API or to the introspection
 * under /_fake/.  See fake_bitbucket.h for what it copies.
 */
#include "fake_bitbucket.h"

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
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bitbucket's variables are small; a larger body is not one. */
#define BODY_MAX (1u << 20)

#define RATE_LIMITED "Rate limit for this resource has been exceeded"

struct settings {
    const char *port_file;
    struct list environments; /* --environment NAME */
    struct list seeds;        /* --seed NAME=VALUE[,ENVIRONMENT] */
    bool log;
};

struct server {
    struct fake *fake;
    bool log;
};

/* One request as it arrives: its target as sent, then its body. */

static const char usage[] =
    "usage: fake-bitbucket [--port-file FILE] [--token TOKEN]...\n"
    "         [--basic USER:TOKEN]... [--read-only-token TOKEN]...\n"
    "         [--repo WORKSPACE/SLUG]... [--environment NAME]...\n"
    "         [--seed NAME=VALUE[,ENVIRONMENT]]... [--latency-ms N]\n"
    "         [--rate-limit-at N] [--fail-write-at N] [--log]\n";

/* ---- options ---- */

static const struct option long_options[] = {
    {"port-file", required_argument, NULL, 'p'},
    {"token", required_argument, NULL, 't'},
    {"basic", required_argument, NULL, 'b'},
    {"read-only-token", required_argument, NULL, 'r'},
    {"repo", required_argument, NULL, 'R'},
    {"environment", required_argument, NULL, 'e'},
    {"seed", required_argument, NULL, 's'},
    {"latency-ms", required_argument, NULL, 'L'},
    {"rate-limit-at", required_argument, NULL, 'l'},
    {"fail-write-at", required_argument, NULL, 'f'},
    {"log", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one option; returns 0, or -1 after saying what is wrong. */
static int option_apply(int option, char *arg, struct fake *fake,
                        struct settings *settings)
{
    unsigned long number;

    switch (option) {
    case 'p':
        settings->port_file = arg;
        return 0;
    case 't':
        list_push(&fake->tokens, arg);
        return 0;
    case 'b':
        if (strchr(arg, ':') == NULL)
            return fake_fail("--basic takes USER:TOKEN, not '%s'", arg);
        list_push(&fake->basics, arg);
        return 0;
    case 'r':
        list_push(&fake->read_tokens, arg);
        return 0;
    case 'R':
        if (repository_add(fake, arg) == NULL)
            return fake_fail("--repo takes WORKSPACE/SLUG, not '%s'", arg);
        return 0;
    case 'e':
        list_push(&settings->environments, arg);
        return 0;
    case 's':
        list_push(&settings->seeds, arg);
        return 0;
    case 'L':
        if (fake_number_parse("latency-ms", arg, &number) < 0)
            return -1;
        fake->latency_ms = (long)number;
        return 0;
    case 'l':
        return fake_number_parse("rate-limit-at", arg, &fake->rate_limit_at);
    case 'f':
        return fake_number_parse("fail-write-at", arg, &fake->fail_write_at);
    case 'v':
        settings->log = true;
        return 0;
    default:
        fputs(usage, stderr);
        return -1;
    }
}

/*
 * NAME=VALUE[,ENVIRONMENT] into every repository: a plain (not secured)
 * variable of the repository, or of that deployment environment.  The
 * value holds no comma.
 */
static int seed_apply(struct fake *fake, const char *seed)
{
    const char *eq = strchr(seed, '='), *comma;
    char *name, *value, *env_name = NULL;
    struct list *variables;
    size_t i;
    int rc = 0;

    if (eq == NULL || eq == seed)
        return fake_fail("--seed takes NAME=VALUE[,ENVIRONMENT], not '%s'",
                         seed);
    comma = strchr(eq, ',');
    name = xstrndup(seed, (size_t)(eq - seed));
    value = comma != NULL ? xstrndup(eq + 1, (size_t)(comma - eq - 1))
                          : xstrdup(eq + 1);
    if (comma != NULL)
        env_name = xstrdup(comma + 1);
    if (!variable_name_valid(name))
        rc = fake_fail("--seed '%s': Bitbucket refuses that name", name);

    for (i = 0; rc == 0 && i < fake->repositories.count; i++) {
        struct repository *repo = fake->repositories.items[i];
        struct environment *env =
            env_name != NULL ? environment_by_name(repo, env_name) : NULL;

        if (env_name != NULL && env == NULL) {
            rc = fake_fail(
                "--seed '%s': no environment '%s' (add --environment)", name,
                env_name);
            break;
        }
        variables = env != NULL ? &env->variables : &repo->variables;
        if (variable_by_key(variables, name) == NULL)
            variable_add(variables, name, value, false);
    }

    free(name);
    free(value);
    free(env_name);
    return rc;
}

/* Environments, then seeds, into every repository. */
static int settings_apply(struct fake *fake, const struct settings *settings)
{
    size_t i, j;

    for (i = 0; i < fake->repositories.count; i++)
        for (j = 0; j < settings->environments.count; j++)
            environment_add(fake->repositories.items[i],
                            settings->environments.items[j], "Test", 0);
    for (i = 0; i < settings->seeds.count; i++)
        if (seed_apply(fake, settings->seeds.items[i]) < 0)
            return -1;
    return 0;
}

/* Returns 1 when the program should run, 0 after --help, -1 on error. */
static int settings_parse(int argc, char **argv, struct fake *fake,
                          struct settings *settings)
{
    int option;

    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (option == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (option_apply(option, optarg, fake, settings) < 0)
            return -1;
    }
    if (optind < argc)
        return fake_fail("unexpected argument '%s'", argv[optind]);
    if (settings_apply(fake, settings) < 0)
        return -1;
    return 1;
}

/* ---- introspection, for tests: not part of Bitbucket ---- */

static void variables_dump(json_t *out, const struct repository *repo,
                           const struct list *variables,
                           const struct environment *env)
{
    size_t i;

    for (i = 0; i < variables->count; i++) {
        const struct variable *variable = variables->items[i];

        json_array_append_new(
            out,
            json_pack("{s:s++, s:s, s:s, s:b, s:s?}", "repository",
                      repo->workspace, "/", repo->slug, "name", variable->key,
                      "value", variable->value, "secured", variable->secured,
                      "environment", env != NULL ? env->name : NULL));
    }
}

static void introspect(struct fake *fake, const char *method, const char *path,
                       struct response *res)
{
    json_t *out = json_array();
    size_t i, j;

    if (strcmp(method, "GET") == 0 && strcmp(path, "/_fake/variables") == 0) {
        for (i = 0; i < fake->repositories.count; i++) {
            struct repository *repo = fake->repositories.items[i];

            variables_dump(out, repo, &repo->variables, NULL);
            for (j = 0; j < repo->environments.count; j++) {
                struct environment *env = repo->environments.items[j];

                variables_dump(out, repo, &env->variables, env);
            }
        }
    } else if (strcmp(method, "GET") == 0 &&
               strcmp(path, "/_fake/requests") == 0) {
        for (i = 0; i < fake->log.count; i++)
            json_array_append_new(out, json_string(fake->log.items[i]));
    } else {
        json_decref(out);
        response_set(res, 404, "text/plain", "no such introspection\n");
        return;
    }
    response_json(res, 200, out);
}

/* ---- the API's preamble: log, latency, rate limit, path ---- */

/* Splits the path after /2.0/ into decoded segments; false if malformed. */
static bool segments_split(const char *path, struct request *req)
{
    char *copy = xstrdup(path), *cursor = copy, *segment;
    bool ok = true;

    req->segments = NULL;
    req->segment_count = 0;
    /* A trailing slash is tolerated, as Bitbucket does. */
    if (*copy != '\0' && copy[strlen(copy) - 1] == '/')
        copy[strlen(copy) - 1] = '\0';
    while (ok && (segment = strsep(&cursor, "/")) != NULL) {
        req->segments = alloc_check(
            realloc(req->segments, (req->segment_count + 1) * sizeof(char *)));
        req->segments[req->segment_count] = xstrdup(segment);
        ok = percent_decode(req->segments[req->segment_count++]);
    }
    free(copy);
    return ok;
}

static void api_request(struct fake *fake, struct request *req,
                        const char *target, struct response *res)
{
    fake->requests++;
    list_push(&fake->log, xprintf("%s %s", req->method, target));
    if (fake->latency_ms > 0)
        fake_sleep_ms(fake->latency_ms);

    /* Bitbucket's 429 is plain text. */
    if (fake->requests == fake->rate_limit_at) {
        response_set(res, 429, "text/plain", RATE_LIMITED);
        res->retry_after = true;
        return;
    }
    /* Braces of a {uuid} must be sent as %7B and %7D. */
    if (strpbrk(req->raw_path, "{}") != NULL) {
        response_error(res, 400, "Bad request",
                       "The request path holds unescaped characters");
        return;
    }
    if (!starts_with(req->raw_path, "/2.0/")) {
        response_error(res, 404, "Resource not found", NULL);
        return;
    }
    if (!segments_split(req->raw_path + 5, req))
        response_error(res, 400, "Bad request", "Malformed URL escape");
    else
        api_handle(fake, req, res);
}

/* ---- HTTP ---- */

static void request_release(struct request *req)
{
    size_t i;

    for (i = 0; i < req->segment_count; i++)
        free(req->segments[i]);
    free(req->segments);
}

static enum MHD_Result response_queue(struct MHD_Connection *connection,
                                      struct response *res)
{
    struct MHD_Response *response;
    enum MHD_Result queued;

    response = MHD_create_response_from_buffer(res->len, res->body,
                                               MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(res->body);
        free(res->location);
        return MHD_NO;
    }
    if (res->len > 0 || res->status != 204)
        MHD_add_response_header(response, "Content-Type", res->content_type);
    if (res->location != NULL)
        MHD_add_response_header(response, "Location", res->location);
    if (res->retry_after)
        MHD_add_response_header(response, "Retry-After", "1");
    queued = MHD_queue_response(connection, res->status, response);
    MHD_destroy_response(response);
    free(res->location);
    return queued;
}

/* Keeps the request target as sent, before MHD decodes it. */
static enum MHD_Result respond(void *context, struct MHD_Connection *connection,
                               const char *url, const char *method,
                               struct fake_upload *upload)
{
    struct server *server = context;
    const char *question = strchr(upload->target, '?');
    char *path =
        question != NULL
            ? xstrndup(upload->target, (size_t)(question - upload->target))
            : xstrdup(upload->target);
    struct request req = {
        .connection = connection,
        .method = method,
        .raw_path = path,
        .query = question != NULL ? question + 1 : "",
        .body = upload->data != NULL ? upload->data : "",
        .body_len = upload->len,
    };
    struct response res = {0};
    enum MHD_Result queued;

    if (starts_with(path, "/_fake/"))
        introspect(server->fake, method, path, &res);
    else if (upload->too_large)
        response_error(&res, 413, "Request Entity Too Large", NULL);
    else
        api_request(server->fake, &req, upload->target, &res);
    if (res.body == NULL)
        response_error(&res, 500, "Something went wrong", NULL);
    if (server->log)
        fprintf(stderr, "fake-bitbucket: %s %s %u\n", method, upload->target,
                res.status);

    queued = response_queue(connection, &res);
    request_release(&req);
    free(path);
    return queued;
}

int main(int argc, char **argv)
{
    struct fake fake = {0};
    struct settings settings = {0};
    struct server server = {.fake = &fake};
    struct fake_server http = {
        .respond = respond,
        .context = &server,
        .body_max = BODY_MAX,
        .threads = MHD_USE_AUTO_INTERNAL_THREAD,
    };
    int status = 2, rc;

    fake_name_set("fake-bitbucket");

    rc = settings_parse(argc, argv, &fake, &settings);
    if (rc <= 0) {
        status = rc == 0 ? 0 : 2;
        goto out;
    }
    server.log = settings.log;

    http.log = server.log;
    if (fake_server_listen(&http) < 0)
        goto out;
    fake.port = http.port;
    if (fake_server_start(&http) < 0 ||
        fake_server_run(&http, settings.port_file) < 0)
        goto out;
    status = 0;

out:
    fake_server_release(&http);
    fake_release(&fake);
    list_release(&settings.environments);
    list_release(&settings.seeds);
    return status;
}
