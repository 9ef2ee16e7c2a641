/*
 * fake-salesforce: the program.  Reads the org from the command line,
 * serves it on 127.0.0.1 until SIGTERM or SIGINT, and routes each request
 * to its handler.  See fake_salesforce.h for what it copies.
 */
#include "fake_salesforce.h"

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

/* Salesforce takes zips up to 39 MB, 52 MB once in base64. */
#define BODY_MAX (64u << 20)
#define DEFAULT_ADMIN "admin@fake-salesforce.example:System Administrator"

struct settings {
    const char *port_file;
    const char *admin_token;
    const char *admin_user;
    const char *my_domain;
    bool log;
};

struct server {
    struct fake_org *org;
    bool log;
};

static const char usage[] =
    "usage: fake-salesforce [--port-file FILE] [--org-id ID] [--production]\n"
    "         [--admin-token TOKEN] [--admin-user USERNAME]\n"
    "         [--user USERNAME:PROFILE[:PERMSET,...]]...\n"
    "         [--propagation-ms N] [--deploy-ms N] [--token-fail N]\n"
    "         [--fail-component NAME=MESSAGE]... [--allow-connected-apps]\n"
    "         [--my-domain URL] [--log]\n";

static int number_parse(const char *option, const char *text, int64_t *out)
{
    unsigned long value;

    if (fake_number_parse(option, text, &value) < 0)
        return -1;
    *out = (int64_t)value;
    return 0;
}

/* 15 or 18 letters and digits, starting with the org key prefix 00D. */
static int org_id_parse(struct fake_org *org, const char *text)
{
    size_t len = strlen(text);
    bool ok = (len == 15 || len == ID_LEN) && starts_with(text, "00D");

    for (size_t i = 0; ok && i < len; i++)
        ok = (text[i] >= '0' && text[i] <= '9') ||
             (text[i] >= 'A' && text[i] <= 'Z') ||
             (text[i] >= 'a' && text[i] <= 'z');
    if (!ok)
        return fake_fail(
            "--org-id '%s' is not an org ID like 00D000000000001AAA", text);
    free(org->org_id);
    org->org_id = xstrdup(text);
    return 0;
}

static int fail_rule_parse(struct fake_org *org, const char *text)
{
    const char *eq = strchr(text, '=');
    struct fake_fail_rule *rule;

    if (eq == NULL || eq == text || eq[1] == '\0')
        return fake_fail("--fail-component takes NAME=MESSAGE, not '%s'", text);
    rule = alloc_check(calloc(1, sizeof(*rule)));
    rule->component = xstrndup(text, (size_t)(eq - text));
    rule->message = xstrdup(eq + 1);
    list_push(&org->fail_rules, rule);
    return 0;
}

static const struct option long_options[] = {
    {"port-file", required_argument, NULL, 'p'},
    {"org-id", required_argument, NULL, 'o'},
    {"production", no_argument, NULL, 'P'},
    {"admin-token", required_argument, NULL, 't'},
    {"admin-user", required_argument, NULL, 'a'},
    {"user", required_argument, NULL, 'u'},
    {"propagation-ms", required_argument, NULL, 'g'},
    {"deploy-ms", required_argument, NULL, 'd'},
    {"token-fail", required_argument, NULL, 'f'},
    {"fail-component", required_argument, NULL, 'c'},
    {"allow-connected-apps", no_argument, NULL, 'A'},
    {"my-domain", required_argument, NULL, 'm'},
    {"log", no_argument, NULL, 'l'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Applies one option; returns 0, or -1 after saying what is wrong. */
static int option_apply(int option, const char *arg, struct fake_org *org,
                        struct settings *settings)
{
    int64_t number;

    switch (option) {
    case 'p':
        settings->port_file = arg;
        return 0;
    case 'o':
        return org_id_parse(org, arg);
    case 'P':
        org->production = true;
        return 0;
    case 't':
        settings->admin_token = arg;
        return 0;
    case 'a':
        settings->admin_user = arg;
        return 0;
    case 'u':
        if (org_user_add(org, arg) == NULL)
            return fake_fail("--user takes USERNAME:PROFILE[:PERMSET,...], not "
                             "'%s'",
                             arg);
        return 0;
    case 'g':
        return number_parse("propagation-ms", arg, &org->propagation_ms);
    case 'd':
        return number_parse("deploy-ms", arg, &org->deploy_ms);
    case 'f':
        if (number_parse("token-fail", arg, &number) < 0)
            return -1;
        org->token_fail = (unsigned long)number;
        return 0;
    case 'c':
        return fail_rule_parse(org, arg);
    case 'A':
        org->allow_connected_apps = true;
        return 0;
    case 'm':
        settings->my_domain = arg;
        return 0;
    case 'l':
        settings->log = true;
        return 0;
    default:
        fputs(usage, stderr);
        return -1;
    }
}

/* The admin's session: --admin-user, else the first --user, else one. */
static int admin_session_add(struct fake_org *org,
                             const struct settings *settings)
{
    const struct fake_user *admin;

    if (settings->admin_token == NULL)
        return 0;
    if (settings->admin_user != NULL) {
        admin = org_user_find(org, settings->admin_user);
        if (admin == NULL)
            return fake_fail(
                "--admin-user '%s' is not one of the --user options",
                settings->admin_user);
    } else if (org->users.count > 0) {
        admin = org->users.items[0];
    } else {
        admin = org_user_add(org, DEFAULT_ADMIN);
    }
    org_session_add(org, settings->admin_token, admin, true);
    return 0;
}

/* Returns 1 when the program should run, 0 after --help, -1 on error. */
static int settings_parse(int argc, char **argv, struct fake_org *org,
                          struct settings *settings)
{
    int option;

    while ((option = getopt_long(argc, argv, "", long_options, NULL)) != -1) {
        if (option == 'h') {
            fputs(usage, stdout);
            return 0;
        }
        if (option_apply(option, optarg, org, settings) < 0)
            return -1;
    }
    if (optind < argc)
        return fake_fail("unexpected argument '%s'", argv[optind]);
    if (admin_session_add(org, settings) < 0)
        return -1;
    if (settings->my_domain != NULL)
        org->instance_url = xstrdup(settings->my_domain);
    return 1;
}

/* ---- HTTP ---- */

typedef void (*handler)(struct fake_org *org, const struct fake_request *req,
                        struct fake_response *res);

static const struct route {
    const char *path;
    bool prefix;
    handler handle;
} routes[] = {
    {"/services/oauth2/token", false, token_handle},
    {"/services/oauth2/userinfo", false, rest_userinfo},
    {"/services/Soap/m/", true, soap_handle},
    {"/services/data/", true, rest_data},
    {"/_fake/", true, introspect_handle},
};

static void route(struct fake_org *org, const struct fake_request *req,
                  struct fake_response *res)
{
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        const struct route *r = &routes[i];
        if (r->prefix ? starts_with(req->path, r->path)
                      : strcmp(req->path, r->path) == 0) {
            r->handle(org, req, res);
            return;
        }
    }
    response_not_found(res);
}

/* Answers a whole request: deploys due settle first, as time has passed. */
static enum MHD_Result respond(void *context, struct MHD_Connection *connection,
                               const char *url, const char *method,
                               struct fake_upload *upload)
{
    struct server *server = context;
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

    deploys_settle(server->org, clock_ms());
    if (upload->too_large)
        response_set(&res, 413, "text/plain", "Request Entity Too Large\n", 25);
    else
        route(server->org, &req, &res);
    if (res.body == NULL)
        response_set(&res, 500, "text/plain", "", 0);
    if (server->log)
        fprintf(stderr, "fake-salesforce: %s %s %u\n", method, url, res.status);

    response = MHD_create_response_from_buffer(res.len, res.body,
                                               MHD_RESPMEM_MUST_FREE);
    if (response == NULL) {
        free(res.body);
        return MHD_NO;
    }
    MHD_add_response_header(response, "Content-Type", res.content_type);
    queued = MHD_queue_response(connection, res.status, response);
    MHD_destroy_response(response);
    return queued;
}

/* Query strings decode '+' as a space, as forms do. */
static size_t on_unescape(void *cls, struct MHD_Connection *connection,
                          char *text)
{
    return fake_url_unescape(text);
}

int main(int argc, char **argv)
{
    struct server server = {.org = org_new()};
    struct settings settings = {0};
    struct fake_server http = {
        .respond = respond,
        .context = &server,
        .body_max = BODY_MAX,
        .threads = MHD_USE_AUTO_INTERNAL_THREAD,
        .unescape = on_unescape,
    };
    int status = 2, rc;

    fake_name_set("fake-salesforce");
    rc = settings_parse(argc, argv, server.org, &settings);
    if (rc <= 0) {
        status = rc == 0 ? 0 : 2;
        goto out;
    }
    server.log = settings.log;
    http.log = settings.log;
    xmlInitParser();

    if (fake_server_listen(&http) < 0)
        goto out;
    if (server.org->instance_url == NULL)
        server.org->instance_url = xprintf("http://127.0.0.1:%u", http.port);
    if (fake_server_start(&http) < 0 ||
        fake_server_run(&http, settings.port_file) < 0)
        goto out;
    status = 0;

out:
    fake_server_release(&http);
    org_free(server.org);
    xmlCleanupParser();
    return status;
}
