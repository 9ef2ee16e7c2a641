/*
 * fake-jenkins: the program.  Reads the controller from the command line,
 * serves it on 127.0.0.1 until SIGTERM or SIGINT, and hands each request
 * to jenkins_handle().  See fake_jenkins.h for what it copies.
 */
#include "fake_jenkins.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <libxml/parser.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BODY_MAX (16u << 20)
#define SECRET_TEXT                                                            \
    "org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl"

struct settings {
    const char *port_file;
    struct list seeds; /* const char *, applied once the folders exist */
};

static const char usage[] =
    "usage: fake-jenkins [--port-file FILE] [--token USER:API_TOKEN]...\n"
    "         [--password USER:PASSWORD]... [--read-only-token USER:TOKEN]...\n"
    "         [--folder PATH]... [--seed ID=SECRET[,FOLDER]]...\n"
    "         [--latency-ms N] [--rate-limit-at N] [--fail-write-at N]\n"
    "         [--log]\n";

static int number_parse(const char *option, const char *text,
                        unsigned long *out)
{
    char *end;
    unsigned long long value;

    errno = 0;
    value = strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-' ||
        value > 86400000ULL)
        return fake_fail("--%s takes a number of 0 or more, not '%s'", option,
                         text);
    *out = (unsigned long)value;
    return 0;
}

static int account_add(struct jenkins *jenkins, const char *option,
                       const char *text, enum account_kind kind)
{
    const char *colon = strchr(text, ':');
    struct account *account;

    if (colon == NULL || colon == text || colon[1] == '\0')
        return fake_fail("--%s takes USER:SECRET, not '%s'", option, text);
    account = alloc_check(calloc(1, sizeof(*account)));
    account->user = xstrndup(text, (size_t)(colon - text));
    account->secret = xstrdup(colon + 1);
    account->kind = kind;
    list_push(&jenkins->accounts, account);
    return 0;
}

/* "team/crm": names without '/' at either end, none empty. */
static int folder_add(struct jenkins *jenkins, const char *path)
{
    if (path[0] == '\0' || path[0] == '/' || path[strlen(path) - 1] == '/' ||
        strstr(path, "//") != NULL)
        return fake_fail("--folder takes a path like team/crm, not '%s'", path);
    store_folder_add(&jenkins->store, path);
    return 0;
}

/* ID=SECRET[,FOLDER]: a Secret text credential that exists at start. */
static int seed_apply(struct jenkins *jenkins, const char *text)
{
    const char *eq = strchr(text, '=');
    const char *comma = eq != NULL ? strchr(eq, ',') : NULL;
    struct credential *c;
    char *id, *secret;

    if (eq == NULL || eq == text)
        return fake_fail("--seed takes ID=SECRET[,FOLDER], not '%s'", text);
    if (comma != NULL && !store_folder_exists(&jenkins->store, comma + 1))
        return fake_fail("--seed '%s': the folder '%s' is not a --folder", text,
                         comma + 1);
    id = xstrndup(text, (size_t)(eq - text));
    secret = comma != NULL ? xstrndup(eq + 1, (size_t)(comma - eq - 1))
                           : xstrdup(eq + 1);
    c = credential_new(credential_kind_find(SECRET_TEXT), id, secret);
    c->scope = xstrdup("GLOBAL");
    c->description = xstrdup("seeded by fake-jenkins");
    c->folder = comma != NULL ? xstrdup(comma + 1) : NULL;
    free(id);
    free(secret);
    if (!store_add(&jenkins->store, c)) {
        credential_free(c);
        return fake_fail("--seed '%s': that ID is already in its store", text);
    }
    return 0;
}

static const struct option long_options[] = {
    {"port-file", required_argument, NULL, 'p'},
    {"token", required_argument, NULL, 't'},
    {"password", required_argument, NULL, 'w'},
    {"read-only-token", required_argument, NULL, 'r'},
    {"folder", required_argument, NULL, 'f'},
    {"seed", required_argument, NULL, 's'},
    {"latency-ms", required_argument, NULL, 'l'},
    {"rate-limit-at", required_argument, NULL, 'R'},
    {"fail-write-at", required_argument, NULL, 'F'},
    {"log", no_argument, NULL, 'L'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one option; returns 0, or -1 after saying what is wrong. */
static int option_apply(int option, const char *arg, struct jenkins *jenkins,
                        struct settings *settings)
{
    switch (option) {
    case 'p':
        settings->port_file = arg;
        return 0;
    case 't':
        return account_add(jenkins, "token", arg, ACCOUNT_TOKEN);
    case 'w':
        return account_add(jenkins, "password", arg, ACCOUNT_PASSWORD);
    case 'r':
        return account_add(jenkins, "read-only-token", arg, ACCOUNT_READ_ONLY);
    case 'f':
        return folder_add(jenkins, arg);
    case 's':
        list_push(&settings->seeds, (void *)arg);
        return 0;
    case 'l':
        return number_parse("latency-ms", arg, &jenkins->latency_ms);
    case 'R':
        return number_parse("rate-limit-at", arg, &jenkins->rate_limit_at);
    case 'F':
        return number_parse("fail-write-at", arg, &jenkins->fail_write_at);
    case 'L':
        jenkins->log = true;
        return 0;
    default:
        fputs(usage, stderr);
        return -1;
    }
}

/* Returns 1 when the program should run, 0 after --help, -1 on error. */
static int settings_parse(int argc, char **argv, struct jenkins *jenkins,
                          struct settings *settings)
{
    int option;

    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (option == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (option_apply(option, optarg, jenkins, settings) < 0)
            return -1;
    }
    if (optind < argc)
        return fake_fail("unexpected argument '%s'", argv[optind]);
    for (size_t i = 0; i < settings->seeds.count; i++)
        if (seed_apply(jenkins, settings->seeds.items[i]) < 0)
            return -1;
    return 1;
}

/* ---- HTTP ---- */

static enum MHD_Result respond(void *context, struct MHD_Connection *connection,
                               const char *url, const char *method,
                               struct fake_upload *upload)
{
    struct jenkins *jenkins = context;
    struct fake_request req = {
        .connection = connection,
        .method = method,
        .path = url,
        .body = upload->data != NULL ? upload->data : "",
        .body_len = upload->len,
    };
    struct fake_response res = {0};
    struct MHD_Response *response;
    enum MHD_Result queued;

    if (upload->too_large)
        response_error(&res, &req, 413, "Form too large");
    else
        jenkins_handle(jenkins, &req, &res);
    if (jenkins->log)
        fprintf(stderr, "fake-jenkins: %s %s %u\n", method, url, res.status);

    response = MHD_create_response_from_buffer(res.len, res.body,
                                               MHD_RESPMEM_MUST_COPY);
    if (response == NULL) {
        response_release(&res);
        return MHD_NO;
    }
    if (res.content_type != NULL)
        MHD_add_response_header(response, "Content-Type", res.content_type);
    for (size_t i = 0; i < res.header_count; i++)
        MHD_add_response_header(response, res.header_names[i],
                                res.header_values[i]);
    queued = MHD_queue_response(connection, res.status, response);
    MHD_destroy_response(response);
    response_release(&res);
    return queued;
}

int main(int argc, char **argv)
{
    struct jenkins jenkins = {0};
    struct settings settings = {0};
    struct fake_server http = {
        .respond = respond,
        .context = &jenkins,
        .body_max = BODY_MAX,
        .threads = MHD_USE_AUTO_INTERNAL_THREAD,
    };
    int status = 2, rc;

    fake_name_set("fake-jenkins");

    xmlInitParser();
    rc = settings_parse(argc, argv, &jenkins, &settings);
    if (rc <= 0) {
        status = rc == 0 ? 0 : 2;
        goto out;
    }

    http.log = jenkins.log;
    if (fake_server_listen(&http) < 0)
        goto out;
    if (fake_server_start(&http) < 0 ||
        fake_server_run(&http, settings.port_file) < 0)
        goto out;
    status = 0;

out:
    fake_server_release(&http);
    free(settings.seeds.items);
    jenkins_release(&jenkins);
    xmlCleanupParser();
    return status;
}
