/*
 * fake_server: messages, allocation and the HTTP scaffolding of the
 * fakes.  See fake_server.h.
 */
#include "fake_server.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *program_name = "fake";

void fake_name_set(const char *name)
{
    program_name = name;
}

int fake_fail(const char *format, ...)
{
    va_list args;

    fprintf(stderr, "%s: error: ", program_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
    return -1;
}

int fake_number_parse(const char *option, const char *text, unsigned long *out)
{
    char *end;
    long long value;

    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 0)
        return fake_fail("--%s takes a number of 0 or more, not '%s'", option,
                         text);
    *out = (unsigned long)value;
    return 0;
}

void fake_sleep_ms(unsigned long ms)
{
    struct timespec left = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        continue;
}

void *alloc_check(void *ptr)
{
    if (ptr == NULL) {
        fprintf(stderr, "%s: error: out of memory\n", program_name);
        abort();
    }
    return ptr;
}

char *xstrdup(const char *text)
{
    return alloc_check(strdup(text));
}

char *xstrndup(const char *text, size_t len)
{
    return alloc_check(strndup(text, len));
}

char *xvprintf(const char *format, va_list args)
{
    va_list again;
    char *out;
    int len;

    va_copy(again, args);
    len = vsnprintf(NULL, 0, format, again);
    va_end(again);
    if (len < 0)
        return xstrdup("");
    out = alloc_check(malloc((size_t)len + 1));
    vsnprintf(out, (size_t)len + 1, format, args);
    return out;
}

char *xprintf(const char *format, ...)
{
    va_list args;
    char *out;

    va_start(args, format);
    out = xvprintf(format, args);
    va_end(args);
    return out;
}

/* ---- collecting requests ---- */

static void upload_append(struct fake_upload *upload, size_t body_max,
                          const char *data, size_t len)
{
    if (upload->too_large || upload->len + len > body_max) {
        upload->too_large = true;
        return;
    }
    upload->data = alloc_check(realloc(upload->data, upload->len + len + 1));
    memcpy(upload->data + upload->len, data, len);
    upload->len += len;
    upload->data[upload->len] = '\0';
}

/* The first call of a request: its target, before MHD decodes it. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct fake_upload *upload = alloc_check(calloc(1, sizeof(*upload)));

    upload->target = xstrdup(uri);
    return upload;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *connection,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *data_size, void **context)
{
    struct fake_server *server = cls;
    struct fake_upload *upload = *context;

    if (upload == NULL)
        return MHD_NO;
    if (!upload->started) {
        /* The first call brings the headers; the body, if any, follows. */
        upload->started = true;
        return MHD_YES;
    }
    if (*data_size > 0) {
        upload_append(upload, server->body_max, data, *data_size);
        *data_size = 0;
        return MHD_YES;
    }
    return server->respond(server->context, connection, url, method, upload);
}

static void on_completed(void *cls, struct MHD_Connection *connection,
                         void **context, enum MHD_RequestTerminationCode code)
{
    struct fake_upload *upload = *context;

    if (upload != NULL) {
        free(upload->target);
        free(upload->data);
        free(upload);
    }
    *context = NULL;
}

/* libmicrohttpd's own decoding, for the fakes that keep it. */
static size_t on_unescape(void *cls, struct MHD_Connection *connection,
                          char *text)
{
    return MHD_http_unescape(text);
}

/* ---- serving ---- */

int fake_server_listen(struct fake_server *server)
{
    struct sockaddr_in address = {
        .sin_family = AF_INET,
        .sin_port = 0,
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    socklen_t len = sizeof(address);
    int fd;

    /* MHD's threads inherit the mask: only sigwait() sees the signals. */
    sigemptyset(&server->signals);
    sigaddset(&server->signals, SIGTERM);
    sigaddset(&server->signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &server->signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&address, len) != 0 ||
        listen(fd, 64) != 0 ||
        getsockname(fd, (struct sockaddr *)&address, &len) != 0) {
        fake_fail("cannot listen on 127.0.0.1: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    server->port = ntohs(address.sin_port);
    server->fd = fd;
    return 0;
}

int fake_server_start(struct fake_server *server)
{
    unsigned int flags = server->threads;
    fake_unescape_fn unescape =
        server->unescape != NULL ? server->unescape : on_unescape;

    if (server->log)
        flags |= MHD_USE_ERROR_LOG;
    server->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, server, MHD_OPTION_LISTEN_SOCKET,
        server->fd, MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (server->daemon == NULL) {
        close(server->fd);
        return fake_fail("cannot start the HTTP server");
    }
    return 0;
}

static int port_file_write(const char *path, unsigned int port)
{
    char *tmp = xprintf("%s.tmp", path);
    FILE *file = fopen(tmp, "w");
    bool written = file != NULL && fprintf(file, "%u\n", port) > 0;
    int rc = 0;

    if (file != NULL && fclose(file) != 0)
        written = false;
    if (!written || rename(tmp, path) != 0) {
        rc = fake_fail("cannot write the port file '%s': %s", path,
                       strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return rc;
}

int fake_server_run(struct fake_server *server, const char *port_file)
{
    int signal_number;

    if (port_file != NULL && port_file_write(port_file, server->port) < 0)
        return -1;
    while (sigwait(&server->signals, &signal_number) != 0)
        continue;
    return 0;
}

void fake_server_release(struct fake_server *server)
{
    if (server->daemon != NULL)
        MHD_stop_daemon(server->daemon);
    server->daemon = NULL;
}

/* ---- decoding ---- */

static int base64_value(char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

unsigned char *fake_base64_decode(const char *text, size_t len, bool url,
                                  size_t *out_len)
{
    unsigned char *out = alloc_check(malloc(len / 4 * 3 + 4));
    size_t n = 0, symbols = 0, padding = 0;
    unsigned int bits = 0, count = 0;

    for (size_t i = 0; i < len; i++) {
        int value;

        if (!url && isspace((unsigned char)text[i]))
            continue;
        if (!url && text[i] == '=') {
            padding++;
            continue;
        }
        value = base64_value(text[i], url);
        if (value < 0 || padding > 0)
            goto invalid;
        symbols++;
        bits = (bits << 6) | (unsigned int)value;
        count += 6;
        if (count >= 8) {
            count -= 8;
            out[n++] = (unsigned char)(bits >> count);
            bits &= (1u << count) - 1;
        }
    }
    /* One symbol alone in a group holds no byte; padding fills groups. */
    if (symbols % 4 == 1 || padding > 2 ||
        (padding > 0 && (symbols + padding) % 4 != 0))
        goto invalid;

    out[n] = '\0';
    *out_len = n;
    return out;

invalid:
    free(out);
    return NULL;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t fake_url_unescape(char *text)
{
    char *out = text;

    for (const char *in = text; *in != '\0'; in++) {
        int high, low;

        if (*in == '+') {
            *out++ = ' ';
        } else if (*in == '%' && (high = hex_value(in[1])) >= 0 &&
                   (low = hex_value(in[2])) >= 0) {
            *out++ = (char)(high * 16 + low);
            in += 2;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
    return (size_t)(out - text);
}
