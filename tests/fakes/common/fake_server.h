/*
 * fake_server: what every loopback fake shares.  Messages carry the
 * program's name, allocation ends the program on failure, and a
 * fake_server serves on 127.0.0.1, collects each request's body across
 * libmicrohttpd's calls and runs until SIGTERM or SIGINT.
 *
 * It links nothing of sfci, so that each fake stays an independent copy
 * of its host.
 */
#ifndef SFCI_FAKE_SERVER_H
#define SFCI_FAKE_SERVER_H

#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* Names the program in messages ("fake-gitlab"); called first in main. */
void fake_name_set(const char *name);

/* Prints "NAME: error: MESSAGE" on stderr; returns -1. */
int fake_fail(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Parses a number of 0 or more for --option; -1 after saying why not. */
int fake_number_parse(const char *option, const char *text, unsigned long *out);

/* Sleeps ms milliseconds, through interruptions. */
void fake_sleep_ms(unsigned long ms);

/* Returns ptr, or ends the program when an allocation gave NULL. */
void *alloc_check(void *ptr);

/* strdup, strndup and an allocating sprintf that never return NULL. */
char *xstrdup(const char *text);
char *xstrndup(const char *text, size_t len);
char *xprintf(const char *format, ...) __attribute__((format(printf, 1, 2)));
char *xvprintf(const char *format, va_list args)
    __attribute__((format(printf, 1, 0), nonnull(1)));

/* A request as it arrives: the target as sent, then the body. */
struct fake_upload {
    char *target; /* before libmicrohttpd decodes it */
    char *data;   /* NUL-terminated; NULL when no body came */
    size_t len;
    bool too_large; /* more than body_max: data is what came before */
    bool started;
};

/* Answers a whole request; upload is the server's until it completes. */
typedef enum MHD_Result (*fake_respond_fn)(void *context,
                                           struct MHD_Connection *connection,
                                           const char *url, const char *method,
                                           struct fake_upload *upload);

/* Decodes a URL part in place, as MHD_OPTION_UNESCAPE_CALLBACK does. */
typedef size_t (*fake_unescape_fn)(void *context,
                                   struct MHD_Connection *connection,
                                   char *text);

/*
 * The caller fills in the first fields; fake_server_listen() sets port.
 * The caller owns the struct; fake_server_release() stops the daemon.
 */
struct fake_server {
    fake_respond_fn respond;
    void *context;             /* passed to respond */
    size_t body_max;           /* bodies beyond it are too_large */
    unsigned int threads;      /* MHD_USE_* threading flags */
    fake_unescape_fn unescape; /* NULL: libmicrohttpd's own */
    bool log;                  /* libmicrohttpd's errors on stderr */
    unsigned int port;
    sigset_t signals;
    struct MHD_Daemon *daemon;
    int fd;
};

/*
 * Blocks SIGTERM and SIGINT in every thread to come, ignores SIGPIPE and
 * binds 127.0.0.1 on a port the kernel picks, so that the port is known
 * before the daemon starts.  Returns 0, or -1 after saying why.
 */
int fake_server_listen(struct fake_server *server);

/* Starts the daemon on the bound socket; returns 0 or -1 as above. */
int fake_server_start(struct fake_server *server);

/*
 * Writes the port to port_file, when not NULL, through a temporary name
 * so that readers see all or none, then waits for SIGTERM or SIGINT.
 * Returns 0 once signalled, or -1 when the port file cannot be written.
 */
int fake_server_run(struct fake_server *server, const char *port_file);

/* Stops the daemon, if it started. */
void fake_server_release(struct fake_server *server);

/*
 * Decodes base64 (the URL alphabet without padding when url is true; the
 * standard one, padding and whitespace allowed, otherwise) into a
 * NUL-terminated copy, its length in *out_len; NULL when text is not
 * base64.
 */
unsigned char *fake_base64_decode(const char *text, size_t len, bool url,
                                  size_t *out_len);

/* Decodes %XX and '+' in place, as a form or a query string encodes. */
size_t fake_url_unescape(char *text);

#endif
