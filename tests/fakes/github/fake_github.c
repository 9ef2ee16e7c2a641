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
struct upload {
    char *uri;
    char *data;
    size_t len;
    bool started;
    bool too_large;
};

static const char usage[] =
    "usage: fake-github --port-file FILE --token TOKEN --repo OWNER/NAME...\n"
    "         [--environment NAME]... [--seed NAME=VALUE[,ENVIRONMENT]]...\n"
    "         [--read-only-token TOKEN] [--latency-ms N]\n"
    "         [--rate-limit-at N] [--rate-limit-status 403|429]\n"
    "         [--rate-limit-primary] [--fail-write-at N]\n"
    "         [--max-per-page N] [--log]\n";

static int fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *format, ...)
{
    va_list args;

    fputs("fake-github: error: ", stderr);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    return -1;
}

static int number_parse(const char *option, const char *text,
                        unsigned long *out)
{
    char *end;
    long long value;

    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0)
        return fail("--%s takes a number of 0 or more, not '%s'", option, text);
    *out = (unsigned long)value;
    return 0;
}

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
        if (number_parse("latency-ms", arg, &number) < 0)
            return -1;
        fake->latency_ms = (long)number;
        return 0;
    case 'a':
        return number_parse("rate-limit-at", arg, &fake->rate_limit_at);
    case 'S':
        if (strcmp(arg, "403") != 0 && strcmp(arg, "429") != 0)
            return fail("--rate-limit-status takes 403 or 429, not '%s'", arg);
        fake->rate_limit_status = atoi(arg);
        return 0;
    case 'w':
        return number_parse("fail-write-at", arg, &fake->fail_write_at);
    default:
        if (number_parse("max-per-page", arg, &number) < 0)
            return -1;
        if (number == 0)
            return fail("--max-per-page takes 1 or more");
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
            return fail("--repo takes OWNER/NAME, not '%s'", arg);
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
        return fail("--seed takes NAME=VALUE[,ENVIRONMENT], not '%s'", seed);
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
        return fail("--token is required");
    if (fake->repo_count == 0)
        return fail("--repo is required");
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
        return fail("unexpected argument '%s'", argv[optind]);
    return settings_finish(fake, settings) < 0 ? -1 : 1;
}

/* ---- HTTP ---- */

static void sleep_ms(long ms)
{
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        continue;
}

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
        sleep_ms(fake->latency_ms);
    pthread_mutex_lock(&fake->lock);
    if (introspect) {
        introspect_handle(fake, req, res);
    } else {
        request_record(fake, req);
        api_handle(fake, req, res);
    }
    pthread_mutex_unlock(&fake->lock);
}

static enum MHD_Result respond(struct fake *fake,
                               struct MHD_Connection *connection,
                               const char *method, struct upload *upload)
{
    char *query = strchr(upload->uri, '?');
    struct request req = {
        .connection = connection,
        .method = method,
        .path = upload->uri,
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

/* The raw URI, before MHD decodes it: paths are matched encoded. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct upload *upload = alloc_check(calloc(1, sizeof(*upload)));

    upload->uri = xstrdup(uri);
    return upload;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **context)
{
    struct upload *upload = *context;

    if (upload->started && *data_size > 0) {
        upload_append(upload, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    if (!upload->started) {
        /* The first call brings the headers; the body, if any, follows. */
        upload->started = true;
        return MHD_YES;
    }
    return respond(cls, connection, method, upload);
}

static void on_completed(void *cls, struct MHD_Connection *connection,
                         void **context, enum MHD_RequestTerminationCode code)
{
    struct upload *upload = *context;

    if (upload != NULL) {
        free(upload->uri);
        free(upload->data);
        free(upload);
    }
    *context = NULL;
}

/* Binds 127.0.0.1 on a port the kernel picks. */
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

/* Serves on fd, which the daemon then owns; a thread per connection. */
static struct MHD_Daemon *server_start(struct fake *fake, int fd)
{
    unsigned int flags =
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    struct MHD_Daemon *daemon;

    if (fake->log)
        flags |= MHD_USE_ERROR_LOG;
    daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, fake, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
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

static void signals_wait(const sigset_t *signals)
{
    int signal_number;

    while (sigwait(signals, &signal_number) != 0)
        continue;
}

int main(int argc, char **argv)
{
    struct fake fake = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .rate_limit_status = 403,
        .max_per_page = 100,
    };
    struct settings settings = {0};
    struct MHD_Daemon *daemon = NULL;
    unsigned int port = 0;
    sigset_t signals;
    int status = 2, rc, fd;

    if (sodium_init() < 0) {
        fail("cannot initialise libsodium");
        return 1;
    }
    rc = settings_parse(argc, argv, &fake, &settings);
    if (rc <= 0) {
        status = rc == 0 ? 0 : 2;
        goto out;
    }

    /* MHD's threads inherit the mask: only sigwait() sees the signals. */
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    fd = listen_socket_open(&port);
    if (fd < 0)
        goto out;
    daemon = server_start(&fake, fd);
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
    fake_release(&fake);
    free(settings.environments);
    free(settings.seeds);
    return status;
}
