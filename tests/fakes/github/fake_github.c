/*
 * fake-github: the program.  Reads the repositories from the command
 * line, serves them on 127.0.0.1 until SIGTERM or SIGINT, records every
 * request and hands it to fake_github_api.c.  See fake_github.h.
 */
#include "fake_github.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A PUT carries at most 48 KB sealed and in base64, with room to spare. */
#define BODY_MAX (1u << 20)

struct settings {
    const char *port_file;
    char **environments;
    size_t environment_count;
    char **seeds;
    size_t seed_count;
};

/* One request as it arrives: its raw URI, then its body. */

static const char usage[] =
    "usage: fake-github --port-file FILE --token TOKEN --repo OWNER/NAME...\n"
    "         [--environment NAME]... [--seed NAME=VALUE[,ENVIRONMENT]]...\n"
    "         [--read-only-token TOKEN] [--latency-ms N]\n"
    "         [--rate-limit-at N] [--rate-limit-status 403|429]\n"
    "         [--rate-limit-primary] [--fail-write-at N]\n"
    "         [--max-per-page N] [--log]\n";

static void words_push(char ***words, size_t *count, const char *word)
{
    *words = alloc_check(realloc(*words, (*count + 1) * sizeof(**words)));
    (*words)[(*count)++] = (char *)word;
}

static const struct option long_options[] = {
    {"port-file", required_argument, NULL, 'p'},
    {"token", required_argument, NULL, 't'},
    {"read-only-token", required_argument, NULL, 'r'},
    {"repo", required_argument, NULL, 'R'},
    {"environment", required_argument, NULL, 'e'},
    {"seed", required_argument, NULL, 's'},
    {"latency-ms", required_argument, NULL, 'L'},
    {"rate-limit-at", required_argument, NULL, 'a'},
    {"rate-limit-status", required_argument, NULL, 'S'},
    {"rate-limit-primary", no_argument, NULL, 'P'},
    {"fail-write-at", required_argument, NULL, 'w'},
    {"max-per-page", required_argument, NULL, 'm'},
    {"log", no_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int numeric_option(int option, const char *arg, struct fake *fake)
{
    unsigned long number;

    switch (option) {
    case 'L':
        if (fake_number_parse("latency-ms", arg, &number) < 0)
            return -1;
        fake->latency_ms = (long)number;
        return 0;
    case 'a':
        return fake_number_parse("rate-limit-at", arg, &fake->rate_limit_at);
    case 'S':
        if (strcmp(arg, "403") != 0 && strcmp(arg, "429") != 0)
            return fake_fail("--rate-limit-status takes 403 or 429, not '%s'",
                             arg);
        fake->rate_limit_status = atoi(arg);
        return 0;
    case 'w':
        return fake_number_parse("fail-write-at", arg, &fake->fail_write_at);
    default:
        if (fake_number_parse("max-per-page", arg, &number) < 0)
            return -1;
        if (number == 0)
            return fake_fail("--max-per-page takes 1 or more");
        fake->max_per_page = (unsigned int)number;
        return 0;
    }
}

/* Applies one option; returns 0, or -1 after saying what is wrong. */
static int option_apply(int option, const char *arg, struct fake *fake,
                        struct settings *settings)
{
    switch (option) {
    case 'p':
        settings->port_file = arg;
        return 0;
    case 't':
        fake->token = arg;
        return 0;
    case 'r':
        fake->read_only_token = arg;
        return 0;
    case 'R':
        if (repo_add(fake, arg) == NULL)
            return fake_fail("--repo takes OWNER/NAME, not '%s'", arg);
        return 0;
    case 'e':
        words_push(&settings->environments, &settings->environment_count, arg);
        return 0;
    case 's':
        words_push(&settings->seeds, &settings->seed_count, arg);
        return 0;
    case 'P':
        fake->rate_limit_primary = true;
        return 0;
    case 'l':
        fake->log = true;
        return 0;
    case 'L':
    case 'a':
    case 'S':
    case 'w':
    case 'm':
        return numeric_option(option, arg, fake);
    default:
        fputs(usage, stderr);
        return -1;
    }
}

/*
 * NAME=VALUE[,ENVIRONMENT], in the first repository: the part after the
 * last comma is an environment when it names one, else part of the value.
 */
static int seed_apply(struct fake *fake, const char *seed)
{
    struct repo *repo = &fake->repos[0];
    const char *eq = strchr(seed, '=');
    const char *comma = strrchr(seed, ',');
    struct scope *scope = &repo->scope;
    char *name;
    size_t value_len;

    if (eq == NULL || eq == seed)
        return fake_fail("--seed takes NAME=VALUE[,ENVIRONMENT], not '%s'",
                         seed);
    value_len = strlen(eq + 1);
    if (comma != NULL && comma > eq &&
        environment_find(repo, comma + 1) != NULL) {
        scope = environment_find(repo, comma + 1);
        value_len = (size_t)(comma - eq - 1);
    }
    name = xstrndup(seed, (size_t)(eq - seed));
    secret_put(scope, name, eq + 1, value_len);
    free(name);
    return 0;
}

/* Environments go to every repository; seeds need them in place. */
static int settings_finish(struct fake *fake, struct settings *settings)
{
    if (fake->token == NULL)
        return fake_fail("--token is required");
    if (fake->repo_count == 0)
        return fake_fail("--repo is required");
    for (size_t i = 0; i < fake->repo_count; i++)
        for (size_t j = 0; j < settings->environment_count; j++)
            environment_add(&fake->repos[i], settings->environments[j]);
    for (size_t i = 0; i < settings->seed_count; i++)
        if (seed_apply(fake, settings->seeds[i]) < 0)
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
    return settings_finish(fake, settings) < 0 ? -1 : 1;
}

/* ---- HTTP ---- */

/* "METHOD /path?query", as received. */
static void request_record(struct fake *fake, const struct request *req)
{
    fake->requests = alloc_check(realloc(
        fake->requests, (fake->request_count + 1) * sizeof(*fake->requests)));
    fake->requests[fake->request_count++] =
        *req->query != '\0'
            ? xprintf("%s %s?%s", req->method, req->path, req->query)
            : xprintf("%s %s", req->method, req->path);
}

/* Answers under the lock; the latency is slept outside it. */
static void answer(struct fake *fake, const struct request *req,
                   struct response *res)
{
    bool introspect = strncmp(req->path, "/_fake/", 7) == 0;

    if (!introspect && fake->latency_ms > 0)
        fake_sleep_ms(fake->latency_ms);
    pthread_mutex_lock(&fake->lock);
    if (introspect) {
        introspect_handle(fake, req, res);
    } else {
        request_record(fake, req);
        api_handle(fake, req, res);
    }
    pthread_mutex_unlock(&fake->lock);
}

/* Paths are matched as sent, before MHD decodes them. */
static enum MHD_Result respond(void *context, struct MHD_Connection *connection,
                               const char *url, const char *method,
                               struct fake_upload *upload)
{
    struct fake *fake = context;
    char *query = strchr(upload->target, '?');
    struct request req = {
        .connection = connection,
        .method = method,
        .path = upload->target,
        .query = "",
        .body = upload->data != NULL ? upload->data : "",
        .body_len = upload->len,
    };
    struct response res = {0};
    struct MHD_Response *response;
    enum MHD_Result queued;

    if (query != NULL) {
        *query = '\0';
        req.query = query + 1;
    }
    if (upload->too_large)
        response_error(&res, 413, "Payload Too Large",
                       "https://docs.github.com/rest");
    else
        answer(fake, &req, &res);
    if (fake->log)
        fprintf(stderr, "fake-github: %s %s %u\n", method, req.path,
                res.status);

    response = MHD_create_response_from_buffer(res.len, res.body,
                                               MHD_RESPMEM_MUST_COPY);
    if (response == NULL) {
        response_release(&res);
        return MHD_NO;
    }
    if (res.body != NULL)
        MHD_add_response_header(response, "Content-Type",
                                "application/json; charset=utf-8");
    for (size_t i = 0; i < res.header_count; i++)
        MHD_add_response_header(response, res.headers[i].name,
                                res.headers[i].value);
    queued = MHD_queue_response(connection, res.status, response);
    MHD_destroy_response(response);
    response_release(&res);
    return queued;
}

int main(int argc, char **argv)
{
    struct fake fake = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .rate_limit_status = 403,
        .max_per_page = 100,
    };
    struct settings settings = {0};
    struct fake_server http = {
        .respond = respond,
        .context = &fake,
        .body_max = BODY_MAX,
        .threads =
            MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION,
    };
    int status = 2, rc;

    fake_name_set("fake-github");

    if (sodium_init() < 0) {
        fake_fail("cannot initialise libsodium");
        return 1;
    }
    rc = settings_parse(argc, argv, &fake, &settings);
    if (rc <= 0) {
        status = rc == 0 ? 0 : 2;
        goto out;
    }

    http.log = fake.log;
    if (fake_server_listen(&http) < 0)
        goto out;
    if (fake_server_start(&http) < 0 ||
        fake_server_run(&http, settings.port_file) < 0)
        goto out;
    status = 0;

out:
    fake_server_release(&http);
    fake_release(&fake);
    free(settings.environments);
    free(settings.seeds);
    return status;
}
