/*
 * core/http.c against a real loopback server (libmicrohttpd) in the test
 * process: each test scripts the answers, then checks what arrived.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "http.h"

#include "buf.h"
#include "errors.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_ANSWERS 8
#define MAX_SEEN 8

/* One scripted answer; status 0 closes the connection without one. */
struct answer {
    unsigned int status;
    const char *headers[4]; /* "Name: value" */
    const char *body;
    size_t filler; /* else a body of that many 'x' */
    bool chunked;  /* the filler without Content-Length */
    long delay_ms; /* before answering */
};

/* One request as the server saw it. */
struct seen {
    char method[16];
    char url[256];
    struct buf query;   /* "name=value&" per argument */
    struct buf headers; /* "Name: value\n" per header */
    struct buf body;
    intptr_t connection; /* which connection, from 1 */
};

static struct server {
    struct MHD_Daemon *daemon;
    unsigned int port;
    pthread_mutex_t lock;
    struct answer answers[MAX_ANSWERS];
    int answer_count;
    int next_answer;
    struct seen seen[MAX_SEEN];
    int seen_count;
    intptr_t connections;
    atomic_bool stopping;
    char *key_pem; /* TLS only: the key and self-signed certificate */
    char *cert_pem;
    char cert_path[64];
} server = {.lock = PTHREAD_MUTEX_INITIALIZER};

/*
 * The server side.
 */

static void on_connection(void *cls, struct MHD_Connection *connection,
                          void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    if (toe != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&server.lock);
    *socket_context = (void *)++server.connections;
    pthread_mutex_unlock(&server.lock);
}

static enum MHD_Result record_pair(void *cls, enum MHD_ValueKind kind,
                                   const char *key, const char *value)
{
    struct buf *to = cls;

    if (kind == MHD_GET_ARGUMENT_KIND)
        buf_printf(to, "%s=%s&", key, value != NULL ? value : "");
    else
        buf_printf(to, "%s: %s\n", key, value != NULL ? value : "");
    return MHD_YES;
}

static struct seen *record_request(struct MHD_Connection *connection,
                                   const char *url, const char *method)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct seen *seen;

    if (server.seen_count == MAX_SEEN)
        return NULL;
    seen = &server.seen[server.seen_count++];
    snprintf(seen->method, sizeof(seen->method), "%s", method);
    snprintf(seen->url, sizeof(seen->url), "%s", url);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, record_pair,
                              &seen->headers);
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, record_pair,
                              &seen->query);
    seen->connection = (intptr_t)info->socket_context;
    return seen;
}

static ssize_t fill_x(void *cls, uint64_t pos, char *out, size_t max)
{
    uint64_t total = (uint64_t)(uintptr_t)cls;
    size_t n = total - pos < max ? (size_t)(total - pos) : max;

    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    memset(out, 'x', n);
    return (ssize_t)n;
}

static struct MHD_Response *response_make(const struct answer *answer)
{
    struct MHD_Response *response;
    char *filler;
    int i;

    if (answer->chunked) {
        response = MHD_create_response_from_callback(
            MHD_SIZE_UNKNOWN, 1024, fill_x, (void *)(uintptr_t)answer->filler,
            NULL);
    } else if (answer->filler > 0) {
        filler = malloc(answer->filler);
        memset(filler, 'x', answer->filler);
        response = MHD_create_response_from_buffer(answer->filler, filler,
                                                   MHD_RESPMEM_MUST_FREE);
    } else {
        const char *body = answer->body != NULL ? answer->body : "";

        response = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                   MHD_RESPMEM_MUST_COPY);
    }
    for (i = 0; i < 4 && answer->headers[i] != NULL; i++) {
        char name[64];
        const char *colon = strchr(answer->headers[i], ':');

        snprintf(name, sizeof(name), "%.*s", (int)(colon - answer->headers[i]),
                 answer->headers[i]);
        MHD_add_response_header(response, name, colon + 1);
    }
    return response;
}

/* Sleeps in steps, so that stopping the server does not wait for it. */
static void delay(long ms)
{
    struct timespec step = {0, 10 * 1000000L};

    for (; ms > 0 && !server.stopping; ms -= 10)
        nanosleep(&step, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **request_data)
{
    struct seen *seen = *request_data;
    struct answer answer = {.status = 418, .body = "unscripted"};
    struct MHD_Response *response;
    enum MHD_Result result;

    pthread_mutex_lock(&server.lock);
    if (seen == NULL) {
        *request_data = seen = record_request(connection, url, method);
        pthread_mutex_unlock(&server.lock);
        return seen != NULL ? MHD_YES : MHD_NO;
    }
    if (*upload_size > 0) {
        buf_append(&seen->body, upload, *upload_size);
        *upload_size = 0;
        pthread_mutex_unlock(&server.lock);
        return MHD_YES;
    }
    if (server.next_answer < server.answer_count)
        answer = server.answers[server.next_answer++];
    pthread_mutex_unlock(&server.lock);

    delay(answer.delay_ms);
    if (answer.status == 0)
        return MHD_NO;
    response = response_make(&answer);
    result = MHD_queue_response(connection, answer.status, response);
    MHD_destroy_response(response);
    return result;
}

static void script(const struct answer *answers, int count)
{
    assert_true(count <= MAX_ANSWERS);
    pthread_mutex_lock(&server.lock);
    memcpy(server.answers, answers, (size_t)count * sizeof(*answers));
    server.answer_count = count;
    server.next_answer = 0;
    pthread_mutex_unlock(&server.lock);
}

/* How many requests arrived; also orders the reads after the server's. */
static int seen_count(void)
{
    int count;

    pthread_mutex_lock(&server.lock);
    count = server.seen_count;
    pthread_mutex_unlock(&server.lock);
    return count;
}

static intptr_t connection_count(void)
{
    intptr_t count;

    pthread_mutex_lock(&server.lock);
    count = server.connections;
    pthread_mutex_unlock(&server.lock);
    return count;
}

/* MHD's complaints, but not about what the tests do on purpose. */
__attribute__((format(printf, 2, 0))) static void
server_log(void *cls, const char *format, va_list ap)
{
    char line[256];

    vsnprintf(line, sizeof(line), format, ap);
    if (strstr(line, "Application reported internal error") != NULL ||
        strstr(line, "handshake") != NULL)
        return;
    fprintf(stderr, "test server: %s", line);
}

/* Listens on 127.0.0.1, a port of the system's choice. */
static int server_start(void **state)
{
    struct sockaddr_in address = {.sin_family = AF_INET};
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD |
                         MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    const union MHD_DaemonInfo *info;

    (void)state;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    server.stopping = false;
    if (server.cert_pem != NULL)
        server.daemon = MHD_start_daemon(
            flags | MHD_USE_TLS, 0, NULL, NULL, on_request, NULL,
            MHD_OPTION_EXTERNAL_LOGGER, server_log, NULL, MHD_OPTION_SOCK_ADDR,
            &address, MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
            MHD_OPTION_HTTPS_MEM_KEY, server.key_pem, MHD_OPTION_HTTPS_MEM_CERT,
            server.cert_pem, MHD_OPTION_END);
    else
        server.daemon = MHD_start_daemon(
            flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_EXTERNAL_LOGGER,
            server_log, NULL, MHD_OPTION_SOCK_ADDR, &address,
            MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL, MHD_OPTION_END);
    if (server.daemon == NULL)
        return -1;
    info = MHD_get_daemon_info(server.daemon, MHD_DAEMON_INFO_BIND_PORT);
    server.port = info->port;
    return 0;
}

static char *pem_text(BIO *bio)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);
    char *text = len > 0 ? strndup(data, (size_t)len) : NULL;

    BIO_free(bio);
    return text;
}

/* A P-256 key and a self-signed certificate for IP 127.0.0.1 only. */
static int tls_make(void)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    X509_EXTENSION *names = NULL;
    BIO *key_bio = BIO_new(BIO_s_mem()), *cert_bio = BIO_new(BIO_s_mem());
    X509_NAME *subject;

    assert_non_null(key);
    assert_non_null(cert);
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    subject = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                               (const unsigned char *)"sfci test", -1, -1, 0);
    X509_set_issuer_name(cert, subject);
    names =
        X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "IP:127.0.0.1");
    assert_non_null(names);
    X509_add_ext(cert, names, -1);
    assert_true(X509_sign(cert, key, EVP_sha256()) > 0);

    PEM_write_bio_PrivateKey(key_bio, key, NULL, NULL, 0, NULL, NULL);
    PEM_write_bio_X509(cert_bio, cert);
    server.key_pem = pem_text(key_bio);
    server.cert_pem = pem_text(cert_bio);
    X509_EXTENSION_free(names);
    X509_free(cert);
    EVP_PKEY_free(key);
    return server.key_pem != NULL && server.cert_pem != NULL ? 0 : -1;
}

static int tls_server_start(void **state)
{
    int fd;

    if (tls_make() < 0)
        return -1;
    strcpy(server.cert_path, "/tmp/sfci-test-ca-XXXXXX");
    fd = mkstemp(server.cert_path);
    if (fd < 0)
        return -1;
    if (write(fd, server.cert_pem, strlen(server.cert_pem)) < 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return server_start(state);
}

static int server_stop(void **state)
{
    int i;

    (void)state;
    server.stopping = true;
    MHD_stop_daemon(server.daemon);
    server.daemon = NULL;
    for (i = 0; i < server.seen_count; i++) {
        buf_release(&server.seen[i].query);
        buf_release(&server.seen[i].headers);
        buf_release(&server.seen[i].body);
    }
    memset(server.seen, 0, sizeof(server.seen));
    server.seen_count = 0;
    server.answer_count = 0;
    server.next_answer = 0;
    server.connections = 0;
    if (server.cert_path[0] != '\0')
        unlink(server.cert_path);
    server.cert_path[0] = '\0';
    free(server.key_pem);
    free(server.cert_pem);
    server.key_pem = NULL;
    server.cert_pem = NULL;
    return 0;
}

/*
 * Helpers of the client side.
 */

static const char *url_of(const char *path)
{
    static char url[256];

    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", server.port, path);
    return url;
}

/* The value of a header the server saw, or NULL. */
static const char *seen_header(const struct seen *seen, const char *name,
                               char *value, size_t size)
{
    const char *line = buf_cstr(&seen->headers);
    size_t len = strlen(name);

    for (; *line != '\0'; line = strchr(line, '\n') + 1) {
        if (strncasecmp(line, name, len) == 0 && line[len] == ':') {
            snprintf(value, size, "%.*s", (int)strcspn(line + len + 2, "\n"),
                     line + len + 2);
            return value;
        }
    }
    return NULL;
}

static long now_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

static struct http_client *client_make(struct http_options *options)
{
    struct http_client *client = NULL;

    if (options->base_wait_ms == 0)
        options->base_wait_ms = 1;
    assert_int_equal(http_client_new(options, &client), 0);
    assert_non_null(client);
    return client;
}

/* Sends one request with method and no body to path. */
static int send_simple(struct http_client *client, const char *method,
                       const char *path, unsigned int retry,
                       struct http_response *response)
{
    struct http_request request = {
        .method = method,
        .url = url_of(path),
        .retry = retry,
    };

    return http_send(client, &request, response);
}

static void on_trace(void *data, const char *line)
{
    struct buf *log = data;

    assert_null(strchr(line, '\n'));
    buf_puts(log, line);
    buf_putc(log, '\n');
}

/*
 * Tests.
 */

static void sends_get_and_post(void **state)
{
    static const char *const headers[] = {
        "Content-Type: application/json",
        "X-Test: yes",
        NULL,
    };
    const struct answer answers[] = {
        {.status = 200, .body = "hello", .headers = {"X-Reply: 1"}},
        {.status = 201, .body = "{\"id\":7}"},
        {.status = 204},
        {.status = 200},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_request post = {
        .method = "POST",
        .headers = headers,
        .body = "{\"a\":1}",
        .body_len = 7,
    };
    struct http_response response;
    struct seen *seen = server.seen;
    char value[128];

    (void)state;
    script(answers, 4);
    assert_int_equal(
        send_simple(client, "GET", "/hello?x=1&y=a%20b", 0, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 1);
    assert_string_equal(buf_cstr(&response.body), "hello");
    assert_string_equal(http_response_header(&response, "X-Reply"), "1");
    http_response_release(&response);

    post.url = url_of("/items");
    assert_int_equal(http_send(client, &post, &response), 0);
    assert_int_equal(response.status, 201);
    assert_string_equal(buf_cstr(&response.body), "{\"id\":7}");
    http_response_release(&response);

    assert_int_equal(send_simple(client, "DELETE", "/items/7", 0, &response),
                     0);
    assert_int_equal(response.status, 204);
    assert_int_equal(response.body.len, 0);
    http_response_release(&response);

    post.method = "PATCH";
    assert_int_equal(http_send(client, &post, &response), 0);
    http_response_release(&response);

    assert_int_equal(seen_count(), 4);
    assert_string_equal(seen[0].method, "GET");
    assert_string_equal(seen[0].url, "/hello");
    assert_string_equal(buf_cstr(&seen[0].query), "x=1&y=a b&");
    assert_int_equal(seen[0].body.len, 0);
    assert_string_equal(seen_header(&seen[0], "User-Agent", value, 128),
                        "sfci/" SFCI_VERSION);

    assert_string_equal(seen[1].method, "POST");
    assert_string_equal(seen[1].url, "/items");
    assert_string_equal(buf_cstr(&seen[1].body), "{\"a\":1}");
    assert_string_equal(seen_header(&seen[1], "X-Test", value, 128), "yes");
    assert_string_equal(seen_header(&seen[1], "content-type", value, 128),
                        "application/json");
    assert_string_equal(seen_header(&seen[1], "Content-Length", value, 128),
                        "7");
    assert_null(seen_header(&seen[1], "Expect", value, 128));

    assert_string_equal(seen[2].method, "DELETE");
    assert_string_equal(seen[3].method, "PATCH");
    assert_string_equal(buf_cstr(&seen[3].body), "{\"a\":1}");
    http_client_free(client);
}

static void passes_any_status_through(void **state)
{
    const struct answer answers[] = {
        {.status = 404, .body = "not here"},
        {.status = 302, .headers = {"Location: /elsewhere"}},
        {.status = 401, .body = "no"},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;

    (void)state;
    script(answers, 3);
    assert_int_equal(send_simple(client, "GET", "/a", 0, &response), 0);
    assert_int_equal(response.status, 404);
    assert_int_equal(response.attempts, 1);
    assert_string_equal(buf_cstr(&response.body), "not here");
    http_response_release(&response);

    /* Redirects are not followed: the caller sees the 3xx. */
    assert_int_equal(send_simple(client, "GET", "/b", 0, &response), 0);
    assert_int_equal(response.status, 302);
    assert_string_equal(http_response_header(&response, "location"),
                        "/elsewhere");
    http_response_release(&response);

    assert_int_equal(send_simple(client, "GET", "/c", 0, &response), 0);
    assert_int_equal(response.status, 401);
    http_response_release(&response);
    assert_int_equal(seen_count(), 3);
    http_client_free(client);
}

static void retries_unavailable(void **state)
{
    const struct answer answers[] = {
        {.status = 503, .headers = {"X-First: 1"}},
        {.status = 502},
        {.status = 200, .body = "up", .headers = {"X-Last: 3"}},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;

    (void)state;
    script(answers, 3);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 3);
    assert_string_equal(buf_cstr(&response.body), "up");
    /* Only the headers of the last answer. */
    assert_null(http_response_header(&response, "X-First"));
    assert_string_equal(http_response_header(&response, "X-Last"), "3");
    assert_int_equal(seen_count(), 3);
    http_response_release(&response);
    http_client_free(client);
}

static void honours_retry_after(void **state)
{
    const struct answer answers[] = {
        {.status = 429, .headers = {"Retry-After: 1"}},
        {.status = 200},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;
    long start = now_ms(), took;

    (void)state;
    script(answers, 2);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    took = now_ms() - start;
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 2);
    assert_true(took >= 950);
    assert_true(took < 5000);
    http_response_release(&response);
    http_client_free(client);
}

static void reads_retry_after_dates(void **state)
{
    struct answer answers[] = {
        {.status = 503, .headers = {NULL}},
        {.status = 200},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;
    char header[64];
    time_t past = time(NULL) - 30;
    struct tm tm;
    long start = now_ms();

    (void)state;
    gmtime_r(&past, &tm);
    strftime(header, sizeof(header), "Retry-After: %a, %d %b %Y %H:%M:%S GMT",
             &tm);
    answers[0].headers[0] = header;
    script(answers, 2);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 2);
    assert_true(now_ms() - start < 900);
    http_response_release(&response);
    http_client_free(client);
}

static void gives_up_on_long_retry_after(void **state)
{
    const struct answer answers[] = {
        {.status = 429, .headers = {"Retry-After: 120"}, .body = "slow"},
        {.status = 200},
    };
    struct http_options options = {.max_wait_ms = 1000};
    struct http_client *client = client_make(&options);
    struct http_response response;
    long start = now_ms();

    (void)state;
    script(answers, 2);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_int_equal(response.status, 429);
    assert_int_equal(response.attempts, 1);
    assert_string_equal(http_response_header(&response, "retry-after"), "120");
    assert_string_equal(buf_cstr(&response.body), "slow");
    assert_true(now_ms() - start < 900);
    http_response_release(&response);
    http_client_free(client);
}

static void retries_500_only_when_asked(void **state)
{
    const struct answer answers[] = {
        {.status = 500, .body = "fault"},
        {.status = 500},
        {.status = 200},
        {.status = 500},
        {.status = 200},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;

    (void)state;
    script(answers, 5);
    assert_int_equal(send_simple(client, "POST", "/soap",
                                 HTTP_RETRY_NETWORK | HTTP_RETRY_5XX,
                                 &response),
                     0);
    assert_int_equal(response.status, 500);
    assert_int_equal(response.attempts, 1);
    assert_string_equal(buf_cstr(&response.body), "fault");
    http_response_release(&response);

    assert_int_equal(send_simple(client, "GET", "/", HTTP_RETRY_500, &response),
                     0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 2);
    http_response_release(&response);

    /* retry 0 is HTTP_RETRY_DEFAULT, 500 included. */
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 2);
    http_response_release(&response);
    http_client_free(client);
}

struct wait_rule {
    long answer;
    long status_seen;
    int calls;
};

static long rule_wait(const struct http_response *response, void *data)
{
    struct wait_rule *rule = data;

    rule->status_seen = response->status;
    rule->calls++;
    return rule->answer;
}

static void asks_the_request_how_long_to_wait(void **state)
{
    const struct answer answers[] = {
        {.status = 503, .headers = {"Retry-After: 1"}},
        {.status = 429, .headers = {"Retry-After: 1"}},
        {.status = 200},
        {.status = 503},
        {.status = 503},
        {.status = 200},
    };
    struct wait_rule rule = {.answer = -2};
    struct http_options options = {.max_wait_ms = 1000};
    struct http_client *client = client_make(&options);
    struct http_request request = {
        .url = url_of("/"),
        .retry_wait = rule_wait,
        .retry_data = &rule,
    };
    struct http_response response;
    long start;

    (void)state;
    script(answers, 6);
    /* -2: not again. */
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 503);
    assert_int_equal(response.attempts, 1);
    assert_int_equal(rule.calls, 1);
    assert_int_equal(rule.status_seen, 503);
    http_response_release(&response);

    /* 0 ms, over Retry-After's second. */
    rule.answer = 0;
    start = now_ms();
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 2);
    assert_int_equal(rule.status_seen, 429);
    assert_true(now_ms() - start < 900);
    http_response_release(&response);

    /* More than max_wait_ms: the answer goes back at once. */
    rule.answer = 5000;
    start = now_ms();
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 503);
    assert_int_equal(response.attempts, 1);
    assert_true(now_ms() - start < 900);
    http_response_release(&response);

    /* -1: the default rule, backoff here. */
    rule.answer = -1;
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 2);
    assert_int_equal(rule.calls, 4);
    http_response_release(&response);
    http_client_free(client);
}

/* A 403 is tried again only when retry_wait() reads a rate limit in it. */
static void retries_a_403_rate_limit_only(void **state)
{
    const struct answer answers[] = {
        {.status = 403},
        {.status = 200},
        {.status = 403},
        {.status = 403},
    };
    struct wait_rule rule = {.answer = 0};
    struct http_options options = {.max_wait_ms = 1000};
    struct http_client *client = client_make(&options);
    struct http_request request = {
        .url = url_of("/"),
        .retry = HTTP_RETRY_DEFAULT | HTTP_RETRY_403,
        .retry_wait = rule_wait,
        .retry_data = &rule,
    };
    struct http_response response;

    (void)state;
    script(answers, 4);
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 2);
    http_response_release(&response);

    /* No rate limit read in it: a refusal, answered at once. */
    rule.answer = -1;
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 403);
    assert_int_equal(response.attempts, 1);
    http_response_release(&response);

    /* Without the bit, a 403 is never tried again. */
    rule.answer = 0;
    request.retry = HTTP_RETRY_DEFAULT;
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 403);
    assert_int_equal(response.attempts, 1);
    http_response_release(&response);
    http_client_free(client);
}

static void returns_the_last_answer(void **state)
{
    const struct answer answers[] = {
        {.status = 503, .body = "1"},
        {.status = 504, .body = "2"},
        {.status = 503, .body = "3", .headers = {"X-Try: 3"}},
        {.status = 200},
    };
    struct http_options options = {.max_attempts = 3};
    struct http_client *client = client_make(&options);
    struct http_response response;

    (void)state;
    script(answers, 4);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_int_equal(response.status, 503);
    assert_int_equal(response.attempts, 3);
    assert_string_equal(buf_cstr(&response.body), "3");
    assert_string_equal(http_response_header(&response, "X-Try"), "3");
    assert_int_equal(seen_count(), 3);
    http_response_release(&response);
    http_client_free(client);
}

static void retries_a_dropped_connection(void **state)
{
    const struct answer answers[] = {
        {.status = 0},
        {.status = 200, .body = "back"},
        {.status = 0},
        {.status = 200, .body = "not reached"},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;

    (void)state;
    script(answers, 4);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_int_equal(response.status, 200);
    assert_int_equal(response.attempts, 2);
    assert_string_equal(buf_cstr(&response.body), "back");
    http_response_release(&response);

    /*
     * Without HTTP_RETRY_NETWORK, no answer fails at once.  A new client:
     * libcurl itself tries a fresh connection once when a reused one dies.
     */
    http_client_free(client);
    client = client_make(&options);
    error_clear();
    assert_int_equal(
        send_simple(client, "POST", "/", HTTP_RETRY_5XX, &response),
        SFCI_EFAIL);
    assert_int_equal(response.status, 0);
    assert_int_equal(response.attempts, 1);
    assert_non_null(strstr(error_message(), "cannot reach '127.0.0.1'"));
    assert_non_null(strstr(error_message(), "(after 1 try)"));
    http_response_release(&response);
    http_client_free(client);
}

/* A loopback port nothing listens on. */
static unsigned int closed_port(void)
{
    struct sockaddr_in address = {.sin_family = AF_INET};
    socklen_t len = sizeof(address);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&address, sizeof(address)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&address, &len), 0);
    close(fd);
    return ntohs(address.sin_port);
}

static void fails_when_nothing_listens(void **state)
{
    struct http_options options = {.max_attempts = 3};
    struct http_client *client = client_make(&options);
    struct http_response response;
    char url[64];
    struct http_request request = {.method = "GET", .url = url};
    const char *message;

    (void)state;
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", closed_port());
    assert_int_equal(http_send(client, &request, &response), SFCI_EFAIL);
    assert_int_equal(response.status, 0);
    assert_int_equal(response.attempts, 3);
    message = error_message();
    assert_non_null(strstr(message, "cannot reach '127.0.0.1': "));
    assert_non_null(strstr(message, "(after 3 tries): check the network"));
    assert_null(strchr(message, '\n'));
    http_response_release(&response);
    http_client_free(client);
}

static void bounds_the_answer(void **state)
{
    const struct answer answers[] = {
        {.status = 200, .filler = 10000},
        {.status = 200, .filler = 10000, .chunked = true},
        {.status = 200, .filler = 1000, .chunked = true},
        {.status = 200, .filler = 1000},
    };
    struct http_options options = {.max_response = 1000};
    struct http_client *client = client_make(&options);
    struct http_response response;

    (void)state;
    script(answers, 4);
    /* With Content-Length, and without (chunked). */
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), SFCI_EFAIL);
    assert_string_equal(error_message(),
                        "the answer of '127.0.0.1' is larger than 1000 bytes");
    assert_int_equal(response.attempts, 1);
    http_response_release(&response);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), SFCI_EFAIL);
    assert_string_equal(error_message(),
                        "the answer of '127.0.0.1' is larger than 1000 bytes");
    http_response_release(&response);

    /* Exactly the bound is fine. */
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_int_equal(response.body.len, 1000);
    http_response_release(&response);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_int_equal(response.body.len, 1000);
    http_response_release(&response);
    http_client_free(client);
}

static void times_out(void **state)
{
    const struct answer answers[] = {
        {.status = 200, .delay_ms = 5000},
    };
    struct http_options options = {.timeout_ms = 200, .max_attempts = 1};
    struct http_client *client = client_make(&options);
    struct http_response response;
    long start = now_ms();

    (void)state;
    script(answers, 1);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), SFCI_EFAIL);
    assert_true(now_ms() - start < 3000);
    assert_int_equal(response.status, 0);
    assert_non_null(strstr(error_message(), "cannot reach '127.0.0.1'"));
    assert_non_null(strstr(error_message(), "(after 1 try)"));
    http_response_release(&response);
    http_client_free(client);
}

static void checks_certificates(void **state)
{
    const struct answer answers[] = {{.status = 200}, {.status = 200}};
    /* The handshake is slow under valgrind's thread checkers. */
    struct http_options options = {.connect_timeout_ms = 120000};
    struct http_client *client;
    struct http_response response;
    char url[64];
    struct http_request request = {.url = url};

    (void)state;
    script(answers, 2);
    unsetenv("SSL_CERT_FILE");
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", server.port);

    /* Not trusted: no retry, and the fix in the message. */
    client = client_make(&options);
    assert_int_equal(http_send(client, &request, &response), SFCI_EFAIL);
    assert_int_equal(response.attempts, 1);
    assert_non_null(strstr(error_message(),
                           "cannot check the certificate of '127.0.0.1': "));
    assert_non_null(strstr(error_message(), "--ca-file or SSL_CERT_FILE"));
    http_response_release(&response);
    http_client_free(client);

    options.ca_file = server.cert_path;
    client = client_make(&options);
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 200);
    http_response_release(&response);

    /* Trusted, but not for this name: the host is checked too. */
    snprintf(url, sizeof(url), "https://localhost:%u/", server.port);
    assert_int_equal(http_send(client, &request, &response), SFCI_EFAIL);
    assert_int_equal(response.attempts, 1);
    assert_non_null(strstr(error_message(), "cannot check the certificate "
                                            "of 'localhost': "));
    http_response_release(&response);
    http_client_free(client);

    options.ca_file = NULL;
    setenv("SSL_CERT_FILE", server.cert_path, 1);
    client = client_make(&options);
    snprintf(url, sizeof(url), "https://127.0.0.1:%u/", server.port);
    assert_int_equal(http_send(client, &request, &response), 0);
    assert_int_equal(response.status, 200);
    http_response_release(&response);
    http_client_free(client);
    unsetenv("SSL_CERT_FILE");
}

static void checks_urls(void **state)
{
    static const char *const good[] = {
        "https://example.com",
        "https://login.salesforce.com/services/oauth2/token",
        "HTTPS://Example.COM:8443/x?y=1",
        "http://localhost:8080/x",
        "http://LOCALHOST/",
        "http://127.0.0.1:1234/api",
        "http://127.5.6.7/",
        "http://[::1]:9000/",
        "http://user@127.0.0.1/",
        NULL,
    };
    static const char *const bad[] = {
        "http://example.com/api",
        "http://127.0.0.1.evil.example/",
        "http://localhost.evil.example/",
        "http://10.0.0.1/",
        "http://[::2]/",
        "http://127.0.0.1@evil.example/",
        "ftp://127.0.0.1/file",
        "file:///etc/passwd",
        "https://",
        "example.com/api",
        "https://exa mple.com/",
        "",
        NULL,
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;
    struct http_request request = {.url = "http://example.com/x"};
    int i;

    (void)state;
    for (i = 0; good[i] != NULL; i++) {
        if (http_url_check(good[i]) != 0)
            fail_msg("refused '%s': %s", good[i], error_message());
    }
    for (i = 0; bad[i] != NULL; i++) {
        if (http_url_check(bad[i]) != SFCI_EINPUT)
            fail_msg("accepted '%s'", bad[i]);
    }
    assert_int_equal(http_url_check(NULL), SFCI_EINPUT);

    assert_int_equal(http_url_check("http://example.com/api"), SFCI_EINPUT);
    assert_string_equal(error_message(),
                        "the URL 'http://example.com/api' is plain http to a "
                        "remote host: use https");
    assert_int_equal(http_url_check("ftp://h/f"), SFCI_EINPUT);
    assert_string_equal(error_message(), "the URL 'ftp://h/f' is not http or "
                                         "https: use an https:// URL");
    /* Secrets in the URL stay out of the message. */
    assert_int_equal(http_url_check("http://u:pw1@h/x?private_token=tk2&a=1"),
                     SFCI_EINPUT);
    assert_null(strstr(error_message(), "pw1"));
    assert_null(strstr(error_message(), "tk2"));
    assert_non_null(strstr(error_message(), "a=1"));

    /* http_send checks first, and sends nothing. */
    assert_int_equal(http_send(client, &request, &response), SFCI_EINPUT);
    assert_int_equal(response.attempts, 0);
    assert_int_equal(seen_count(), 0);
    http_response_release(&response);
    http_client_free(client);
}

static void refuses_bad_requests(void **state)
{
    static const char *const split[] = {"X-A: 1\r\nX-B: 2", NULL};
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;
    struct http_request request = {.url = url_of("/"), .headers = split};

    (void)state;
    assert_int_equal(http_send(client, &request, &response), SFCI_EINPUT);
    http_response_release(&response);
    request.headers = NULL;
    request.method = "GET /x HTTP/1.1\r\n";
    assert_int_equal(http_send(client, &request, &response), SFCI_EINPUT);
    http_response_release(&response);
    assert_int_equal(seen_count(), 0);
    http_client_free(client);
}

static void reuses_the_connection(void **state)
{
    const struct answer answers[] = {
        {.status = 200},
        {.status = 200},
        {.status = 200},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_client *other = client_make(&options);
    struct http_response response;

    (void)state;
    script(answers, 3);
    assert_int_equal(send_simple(client, "GET", "/1", 0, &response), 0);
    http_response_release(&response);
    assert_int_equal(send_simple(client, "POST", "/2", 0, &response), 0);
    http_response_release(&response);
    assert_int_equal(seen_count(), 2);
    assert_int_equal(connection_count(), 1);
    assert_int_equal(server.seen[0].connection, server.seen[1].connection);

    /* Another client has its own. */
    assert_int_equal(send_simple(other, "GET", "/3", 0, &response), 0);
    http_response_release(&response);
    assert_int_equal(seen_count(), 3);
    assert_int_equal(server.seen[2].connection, 2);
    http_client_free(client);
    http_client_free(other);
}

static void send_traced(struct http_client *client,
                        const struct http_request *request)
{
    struct http_response response;

    assert_int_equal(http_send(client, request, &response), 0);
    assert_int_equal(response.status, 200);
    http_response_release(&response);
}

static void trace_hides_secrets(void **state)
{
    static const char *const headers[] = {
        "Authorization: Bearer SECRET-1",
        "PRIVATE-TOKEN: SECRET-2",
        "x-api-key: SECRET-3",
        "Cookie: sid=SECRET-4",
        "X-Vault-Token: SECRET-5",
        "Accept: application/json",
        NULL,
    };
    static const char xml_request[] =
        "<env:Header><met:SessionHeader><met:sessionId>SECRET-6"
        "</met:sessionId></met:SessionHeader></env:Header>";
    static const char form[] = "grant_type=jwt&assertion=SECRET-7&x=1";
    const struct answer answers[] = {
        {.status = 503},
        {.status = 200,
         .body = "{\"access_token\": \"SECRET-8\",\n\"instance_url\":"
                 "\"https://acme.my.salesforce.com\"}"},
        {.status = 200,
         .body = "<result><sessionId>SECRET-9</sessionId>"
                 "<userName>a@b.c</userName></result>"},
        {.status = 200, .body = "access_token=SECRET-10&scope=api"},
        {.status = 200, .body = "plain SECRET-11"},
        {.status = 200,
         .body = "[{\"key\":\"SFDX_CLIENT_KEY_UAT\",\"value\":\"SECRET-14\","
                 "\"masked\":true}]"},
        {.status = 200},
    };
    char url[128];
    struct buf log = BUF_INIT;
    struct http_options options = {.trace = on_trace, .trace_data = &log};
    struct http_client *client = client_make(&options);
    struct http_request request = {
        .method = "POST",
        .url = url_of("/t?private_token=SECRET-12&page=2"),
        .headers = headers,
        .body = "SECRET-13",
        .body_len = 9,
        .body_secret = true,
    };

    (void)state;
    script(answers, 7);
    send_traced(client, &request);
    request.body_secret = false;
    request.url = url_of("/soap");
    request.body = xml_request;
    request.body_len = strlen(xml_request);
    send_traced(client, &request);
    request.body = form;
    request.body_len = strlen(form);
    send_traced(client, &request);
    request.response_secret = true;
    send_traced(client, &request);
    /* A variable listing, even when the caller forgot response_secret. */
    request.response_secret = false;
    request.method = "GET";
    request.body = NULL;
    request.body_len = 0;
    send_traced(client, &request);
    /* A password in the URL, and text that is almost a tag. */
    snprintf(url, sizeof(url), "http://ci:SECRET-15@127.0.0.1:%u/x",
             server.port);
    request.url = url;
    request.body = "1<2 <ns:password a=\"b\">SECRET-16</ns:password>"
                   "<token><![CDATA[SECRET-17]]></token>";
    request.body_len = strlen(request.body);
    send_traced(client, &request);

    assert_null(strstr(buf_cstr(&log), "SECRET"));
    /* And what is not secret is still shown. */
    assert_non_null(strstr(buf_cstr(&log), "> POST http://127.0.0.1:"));
    assert_non_null(
        strstr(buf_cstr(&log), "/t?private_token=<redacted>&page=2\n"));
    assert_non_null(strstr(buf_cstr(&log), "> Authorization: <redacted>\n"));
    assert_non_null(strstr(buf_cstr(&log), "> PRIVATE-TOKEN: <redacted>\n"));
    assert_non_null(strstr(buf_cstr(&log), "> Accept: application/json\n"));
    assert_non_null(strstr(buf_cstr(&log), "> <redacted 9 bytes>\n"));
    assert_non_null(strstr(buf_cstr(&log), "< 503 in "));
    assert_non_null(strstr(buf_cstr(&log), "retrying in "));
    assert_non_null(strstr(buf_cstr(&log), " after 503\n"));
    assert_non_null(strstr(buf_cstr(&log), "\"access_token\": \"<redacted>\""));
    assert_non_null(strstr(buf_cstr(&log), "acme.my.salesforce.com"));
    assert_non_null(
        strstr(buf_cstr(&log), "<met:sessionId><redacted></met:sessionId>"));
    assert_non_null(strstr(buf_cstr(&log), "<userName>a@b.c</userName>"));
    assert_non_null(
        strstr(buf_cstr(&log), "> grant_type=jwt&assertion=<redacted>&x=1\n"));
    assert_non_null(strstr(buf_cstr(&log), "< <redacted 15 bytes>\n"));
    assert_non_null(strstr(buf_cstr(&log), "> GET http://ci:<redacted>@"));
    assert_non_null(
        strstr(buf_cstr(&log), "> 1<2 <ns:password a=\"b\"><redacted></ns:"));
    assert_non_null(strstr(buf_cstr(&log), "<token><redacted></token>"));
    assert_non_null(strstr(buf_cstr(&log),
                           "\"key\":\"SFDX_CLIENT_KEY_UAT\",\"value\":"
                           "\"<redacted>\",\"masked\":true"));
    buf_release(&log);
    http_client_free(client);
}

static void trace_cuts_long_bodies_safely(void **state)
{
    struct buf body = BUF_INIT, log = BUF_INIT;
    struct http_options options = {.trace = on_trace, .trace_data = &log};
    struct http_client *client = client_make(&options);
    const struct answer answers[] = {{.status = 200}, {.status = 200}};
    struct http_request request = {.method = "PUT", .url = url_of("/")};
    const char binary[] = {'a', '\0', 'b', 1};
    size_t i;

    (void)state;
    script(answers, 2);
    /* The secret straddles the cut at 2 KB: it starts at byte 2040. */
    buf_puts(&body, "{\"pad\":\"");
    for (i = 0; i < 2013; i++)
        buf_putc(&body, 'p');
    buf_puts(&body, "\",\"refresh_token\":\"SECRET-SECRET-SECRET\"}");
    request.body = body.data;
    request.body_len = body.len;
    send_traced(client, &request);

    request.body = binary;
    request.body_len = sizeof(binary);
    send_traced(client, &request);

    assert_null(strstr(buf_cstr(&log), "SECRET"));
    assert_int_equal(body.len, 2062);
    assert_non_null(strstr(buf_cstr(&log),
                           "\"refresh_token\":\"<redacted>\" ... "
                           "(2062 bytes)\n"));
    assert_non_null(strstr(buf_cstr(&log), "> (4 bytes)\n"));
    assert_int_equal(seen_count(), 2);
    assert_int_equal(server.seen[0].body.len, 2062);
    buf_release(&body);
    buf_release(&log);
    http_client_free(client);
}

static void finds_headers_in_any_case(void **state)
{
    const struct answer answers[] = {
        {.status = 200,
         .headers = {"X-Custom:   spaced value  ",
                     "X-Empty:   ", "Retry-After: 5"}},
    };
    struct http_options options = {0};
    struct http_client *client = client_make(&options);
    struct http_response response;
    size_t i;
    bool found = false;

    (void)state;
    script(answers, 1);
    assert_int_equal(send_simple(client, "GET", "/", 0, &response), 0);
    assert_string_equal(http_response_header(&response, "x-custom"),
                        "spaced value");
    assert_string_equal(http_response_header(&response, "X-CUSTOM"),
                        "spaced value");
    assert_string_equal(http_response_header(&response, "x-empty"), "");
    assert_string_equal(http_response_header(&response, "retry-after"), "5");
    assert_null(http_response_header(&response, "X-Missing"));
    for (i = 0; i < response.header_count; i++)
        found |= strcmp(response.headers[i].name, "X-Custom") == 0;
    assert_true(found);
    http_response_release(&response);
    assert_null(response.headers);
    assert_int_equal(response.header_count, 0);
    assert_null(response.body.data);
    http_client_free(client);
}

static void escapes(void **state)
{
    struct buf out = BUF_INIT;

    (void)state;
    assert_int_equal(http_escape("a b/c~d_e.f-g+h&i=j\xc3\xa9", &out), 0);
    assert_string_equal(buf_cstr(&out), "a%20b%2Fc~d_e.f-g%2Bh%26i%3Dj%C3%A9");
    buf_clear(&out);
    assert_int_equal(http_escape("", &out), 0);
    assert_string_equal(buf_cstr(&out), "");
    assert_int_equal(http_escape("AZaz09\n%", &out), 0);
    assert_string_equal(buf_cstr(&out), "AZaz09%0A%25");
    buf_clear(&out);

    /* And back: %XX decoded, a stray '%' kept, len respected. */
    assert_int_equal(http_unescape("My%20Project%2fx%zz%4", 21, &out), 0);
    assert_string_equal(buf_cstr(&out), "My Project/x%zz%4");
    buf_clear(&out);
    assert_int_equal(http_unescape("%7Babc%7D?q", 9, &out), 0);
    assert_string_equal(buf_cstr(&out), "{abc}");
    buf_release(&out);
}

static void handles_lifecycle_edges(void **state)
{
    struct http_response response = {0};
    struct http_options options = {.ca_file = "/nonexistent/ca.pem"};
    struct http_client *client = (struct http_client *)&options;

    (void)state;
    http_response_release(&response);
    http_client_free(NULL);

    assert_int_equal(http_client_new(&options, &client), SFCI_EINPUT);
    assert_null(client);
    assert_non_null(strstr(error_message(), "'/nonexistent/ca.pem'"));

    options.ca_file = NULL;
    setenv("SSL_CERT_FILE", "/nonexistent/env.pem", 1);
    assert_int_equal(http_client_new(&options, &client), SFCI_EINPUT);
    assert_non_null(strstr(error_message(), "SSL_CERT_FILE"));
    unsetenv("SSL_CERT_FILE");

    assert_int_equal(http_client_new(NULL, &client), 0);
    http_client_free(client);
}

#define SERVED(test)                                                           \
    cmocka_unit_test_setup_teardown(test, server_start, server_stop)

int main(void)
{
    static const char *const proxies[] = {
        "http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY",
    };
    size_t i;
    const struct CMUnitTest tests[] = {
        SERVED(sends_get_and_post),
        SERVED(passes_any_status_through),
        SERVED(retries_unavailable),
        SERVED(honours_retry_after),
        SERVED(reads_retry_after_dates),
        SERVED(gives_up_on_long_retry_after),
        SERVED(retries_500_only_when_asked),
        SERVED(asks_the_request_how_long_to_wait),
        SERVED(retries_a_403_rate_limit_only),
        SERVED(returns_the_last_answer),
        SERVED(retries_a_dropped_connection),
        SERVED(fails_when_nothing_listens),
        SERVED(bounds_the_answer),
        SERVED(times_out),
        cmocka_unit_test_setup_teardown(checks_certificates, tls_server_start,
                                        server_stop),
        SERVED(checks_urls),
        SERVED(refuses_bad_requests),
        SERVED(reuses_the_connection),
        SERVED(trace_hides_secrets),
        SERVED(trace_cuts_long_bodies_safely),
        SERVED(finds_headers_in_any_case),
        cmocka_unit_test(escapes),
        cmocka_unit_test(handles_lifecycle_edges),
    };

    /* The loopback server is reached directly, whatever the CI sets. */
    for (i = 0; i < sizeof(proxies) / sizeof(proxies[0]); i++)
        unsetenv(proxies[i]);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
