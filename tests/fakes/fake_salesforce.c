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

/* A request's body as it arrives. */
struct upload {
    char *data;
    size_t len;
    bool too_large;
};

static const char usage[] =
    "usage: fake-salesforce [--port-file FILE] [--org-id ID] [--production]\n"
    "         [--admin-token TOKEN] [--admin-user USERNAME]\n"
    "         [--user USERNAME:PROFILE[:PERMSET,...]]...\n"
    "         [--propagation-ms N] [--deploy-ms N] [--token-fail N]\n"
    "         [--fail-component NAME=MESSAGE]... [--allow-connected-apps]\n"
    "         [--my-domain URL] [--log]\n";

static int fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *format, ...)
{
    va_list args;

    fputs("fake-salesforce: error: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    return -1;
}

static int number_parse(const char *option, const char *text, int64_t *out)
{
    char *end;
    long long value;

    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0)
        return fail("--%s takes a number of 0 or more, not '%s'", option, text);
    *out = value;
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
        return fail("--org-id '%s' is not an org ID like 00D000000000001AAA",
                    text);
    free(org->org_id);
    org->org_id = xstrdup(text);
    return 0;
}

static int fail_rule_parse(struct fake_org *org, const char *text)
{
    const char *eq = strchr(text, '=');
    struct fake_fail_rule *rule;

    if (eq == NULL || eq == text || eq[1] == '\0')
        return fail("--fail-component takes NAME=MESSAGE, not '%s'", text);
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
            return fail("--user takes USERNAME:PROFILE[:PERMSET,...], not "
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
            return fail("--admin-user '%s' is not one of the --user options",
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
        return fail("unexpected argument '%s'", argv[optind]);
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

static void upload_append(struct upload *upload, const char *data, size_t len)
{
    if (upload->too_large || upload->len + len > BODY_MAX) {
        upload->too_large = true;
        return;
    }
    upload->data = alloc_check(realloc(upload->data, upload->len + len + 1));
    memcpy(upload->data + upload->len, data, len);
    upload->len += len;
    upload->data[upload->len] = '\0';
}

/* Answers a whole request: deploys due settle first, as time has passed. */
static enum MHD_Result respond(struct server *server,
                               struct MHD_Connection *connection,
                               const char *url, const char *method,
                               const struct upload *upload)
{
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

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **context)
{
    struct upload *upload = *context;

    if (upload == NULL) {
        *context = alloc_check(calloc(1, sizeof(*upload)));
        return MHD_YES;
    }
    if (*data_size > 0) {
        upload_append(upload, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    return respond(cls, connection, url, method, upload);
}

static void on_completed(void *cls, struct MHD_Connection *connection,
                         void **context, enum MHD_RequestTerminationCode code)
{
    struct upload *upload = *context;

    if (upload != NULL) {
        free(upload->data);
        free(upload);
    }
    *context = NULL;
}

/* Query strings decode '+' as a space, as forms do. */
static size_t on_unescape(void *cls, struct MHD_Connection *connection,
                          char *text)
{
    return url_unescape(text);
}

/*
 * Binds 127.0.0.1 on a port the kernel picks, so that the port (and the
 * instance URL made of it) is known before MHD's thread starts.
 */
static int listen_socket_open(unsigned int *port)
{
    struct sockaddr_in address = {
        .sin_family = AF_INET,
        .sin_port = 0,
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    socklen_t len = sizeof(address);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&address, len) != 0 ||
        listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&address, &len) != 0) {
        fail("cannot listen on 127.0.0.1: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(address.sin_port);
    return fd;
}

/* Serves on fd, which the daemon then owns. */
static struct MHD_Daemon *server_start(struct server *server, int fd)
{
    unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD;
    struct MHD_Daemon *daemon;

    if (server->log)
        flags |= MHD_USE_ERROR_LOG;
    daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, server, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (daemon == NULL) {
        fail("cannot start the HTTP server");
        close(fd);
    }
    return daemon;
}

/* Writes the port to path.tmp, then renames it: readers see all or none. */
static int port_file_write(const char *path, unsigned int port)
{
    char *tmp = xprintf("%s.tmp", path);
    FILE *file = fopen(tmp, "w");
    bool written = file != NULL && fprintf(file, "%u\n", port) > 0;
    int rc = 0;

    if (file != NULL && fclose(file) != 0)
        written = false;
    if (!written || rename(tmp, path) != 0) {
        rc = fail("cannot write the port file '%s': %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return rc;
}

/* Waits for SIGTERM or SIGINT, blocked in every thread since start. */
static void signals_wait(const sigset_t *signals)
{
    int signal_number;

    while (sigwait(signals, &signal_number) != 0)
        continue;
}

int main(int argc, char **argv)
{
    struct server server = {.org = org_new()};
    struct settings settings = {0};
    struct MHD_Daemon *daemon = NULL;
    unsigned int port = 0;
    sigset_t signals;
    int status = 2, rc, fd;

    rc = settings_parse(argc, argv, server.org, &settings);
    if (rc <= 0) {
        status = rc == 0 ? 0 : 2;
        goto out;
    }
    server.log = settings.log;
    xmlInitParser();

    /* MHD's thread inherits the mask: only sigwait() sees the signals. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    fd = listen_socket_open(&port);
    if (fd < 0)
        goto out;
    if (server.org->instance_url == NULL)
        server.org->instance_url = xprintf("http://127.0.0.1:%u", port);
    daemon = server_start(&server, fd);
    if (daemon == NULL)
        goto out;
    if (settings.port_file != NULL &&
        port_file_write(settings.port_file, port) < 0)
        goto out;

    signals_wait(&signals);
    status = 0;

out:
    if (daemon != NULL)
        MHD_stop_daemon(daemon);
    org_free(server.org);
    xmlCleanupParser();
    return status;
}
