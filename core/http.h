/*
 * HTTP for every remote API sfci talks to, on libcurl.
 *
 * One client per run keeps its connections open between requests.  TLS
 * certificates are always checked (--ca-file, else SSL_CERT_FILE, else
 * the system store); plain http:// is refused unless the host is a
 * loopback address (127.0.0.0/8, ::1, localhost), for test servers.
 * Every request has a connect and a total timeout and a bound on the size
 * of the answer.  Failures of the network, 429 and 5xx answers are tried
 * again with exponential backoff and jitter, honouring Retry-After, within
 * a bound.  The -v trace goes through a callback, with tokens, passwords
 * and secret bodies replaced by "<redacted>".
 *
 * The caller reads the status: an answer is not an error here, whatever
 * its status; only a request that got no answer in the end is.
 */
#ifndef SFCI_HTTP_H
#define SFCI_HTTP_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>

#define HTTP_USER_AGENT "sfci/" SFCI_VERSION

struct http_response;

struct http_options {
    const char *ca_file;     /* NULL: SSL_CERT_FILE, else the system's */
    long connect_timeout_ms; /* 0: 10 s */
    long timeout_ms;         /* whole request, 0: 120 s */
    size_t max_response;     /* 0: 16 MiB */
    int max_attempts;        /* 0: 5 (the first try included) */
    long max_wait_ms;        /* longest single wait before a retry, 0: 60 s */
    long base_wait_ms;       /* first backoff, 0: 500 ms (tests lower it) */

    /* -v trace, one line per call, already redacted; NULL for none. */
    void (*trace)(void *data, const char *line);
    void *trace_data;
};

/* Which answers are tried again; a request says with HTTP_RETRY_*. */
enum http_retry {
    HTTP_RETRY_NETWORK = 1 << 0, /* no answer: connect, TLS, timeout */
    HTTP_RETRY_429 = 1 << 1,     /* too many requests */
    HTTP_RETRY_5XX = 1 << 2,     /* 502, 503, 504 */
    HTTP_RETRY_500 = 1 << 3,     /* 500: not for SOAP, where it is a fault */
    HTTP_RETRY_403 = 1 << 4,     /* 403, only when retry_wait() gives a
                                    wait: a rate limit given as 403 */
    HTTP_RETRY_DEFAULT =
        HTTP_RETRY_NETWORK | HTTP_RETRY_429 | HTTP_RETRY_5XX | HTTP_RETRY_500,
};

struct http_request {
    const char *method; /* "GET", "POST", "PUT", "PATCH", "DELETE" */
    const char *url;
    const char *const *headers; /* "Name: value" lines, NULL-terminated */
    const void *body;           /* NULL: none */
    size_t body_len;
    bool body_secret;     /* trace "<redacted>" instead of the body */
    bool response_secret; /* trace "<redacted>" instead of the answer */
    unsigned int retry;   /* HTTP_RETRY_* bits; 0 means HTTP_RETRY_DEFAULT */

    /*
     * Optional: how long to wait before trying again after this answer,
     * in ms, for a host's own rate-limit headers; return -1 to use the
     * default rule (Retry-After, else backoff), -2 not to retry at all.
     */
    long (*retry_wait)(const struct http_response *response, void *data);
    void *retry_data;
};

struct http_header_line {
    char *name;  /* as received */
    char *value; /* trimmed */
};

struct http_response {
    long status;
    struct buf body;
    struct http_header_line *headers; /* of the last answer */
    size_t header_count;
    int attempts; /* how many tries it took */
};

struct http_client;

/* Makes a client; free it with http_client_free(). */
int http_client_new(const struct http_options *options,
                    struct http_client **out);

void http_client_free(struct http_client *client);

/*
 * Sends request and fills response (cleared on entry; release it even on
 * failure).  SFCI_EINPUT for a URL it refuses (plain http to a remote
 * host, not http or https); SFCI_EFAIL naming the host when no answer
 * came after every try, or the answer was larger than the bound.
 */
int http_send(struct http_client *client, const struct http_request *request,
              struct http_response *response);

/* The value of the first header called name (any case), or NULL. */
const char *http_response_header(const struct http_response *response,
                                 const char *name);

void http_response_release(struct http_response *response);

/*
 * 0 when url may be used: https://host..., or http:// to a loopback
 * address.  SFCI_EINPUT otherwise, naming the URL.
 */
int http_url_check(const char *url);

/*
 * Appends text to out with every byte outside [A-Za-z0-9-._~]
 * percent-encoded, for a path segment or a form value.
 */
int http_escape(const char *text, struct buf *out);

/*
 * Appends the first len bytes of text to out with every %XX decoded; a
 * '%' not followed by two hex digits stays as it is.
 */
int http_unescape(const char *text, size_t len, struct buf *out);

#endif
