/*
 * HTTP on one libcurl easy handle per client.
 *
 * Each try resets the handle (curl_easy_reset keeps the open connections)
 * and sets every option again, so nothing of one request leaks into the
 * next.  The rules for trying again, in order:
 *
 *  - no answer: tried again (HTTP_RETRY_NETWORK) only for failures that
 *    may pass: connect, timeout, TLS handshake, send, receive, an empty or
 *    cut answer.  A name that does not resolve or a certificate that does
 *    not verify will not get better and fails at once.
 *  - an answer: 429, 502/503/504, 500 and 403 (the last only when the
 *    request's retry_wait() reads a rate limit in it) as its bits say.  The
 *    wait is the request's retry_wait() if it gives one, else Retry-After
 *    (seconds or an HTTP date), else backoff: base * 2^(try - 1), capped
 *    at max_wait_ms, with equal jitter (half fixed, half random).
 *  - a host that asks for a wait longer than max_wait_ms (Retry-After or
 *    retry_wait) is not tried again: its answer goes back to the caller,
 *    who can say "rate limited" with the header, rather than sleeping for
 *    an hour or hammering a host that asked for quiet.
 *  - after the last try, the last try decides: its answer, whatever the
 *    status, or SFCI_EFAIL when it got none.
 */
#include "http.h"

#include "errors.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 120000L
#define DEFAULT_MAX_RESPONSE ((size_t)16 * 1024 * 1024)
#define DEFAULT_MAX_ATTEMPTS 5
#define DEFAULT_MAX_WAIT_MS 60000L
#define DEFAULT_BASE_WAIT_MS 500L

/* How much of a body the trace shows. */
#define TRACE_BODY_MAX 2048

#define REDACTED "<redacted>"

struct http_client {
    CURL *curl;
    char *ca_file; /* NULL: libcurl's default store */
    long connect_timeout_ms;
    long timeout_ms;
    size_t max_response;
    int max_attempts;
    long max_wait_ms;
    long base_wait_ms;
    void (*trace)(void *data, const char *line);
    void *trace_data;
    char error[CURL_ERROR_SIZE];
};

/* What the callbacks of one try share. */
struct transfer {
    struct http_response *response;
    size_t max_response;
    bool too_large;
    bool out_of_memory;
};

/* Header names whose values never reach the trace (any case, substring). */
static const char *const secret_header_words[] = {
    "auth", "cookie", "key", "passw", "secret", "session", "token", NULL,
};

/* JSON keys, XML elements and form fields whose values are hidden. */
static const char *const secret_field_words[] = {
    "token",       "secret",    "passw",      "sessionid",
    "session_id",  "assertion", "privatekey", "apikey",
    "private_key", "api_key",   "client_key", NULL,
};

static bool curl_started;

static int http_global_init(void)
{
    CURLcode code;

    if (curl_started)
        return 0;
    code = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (code != CURLE_OK)
        return error_set(SFCI_EFAIL, "cannot start libcurl: %s",
                         curl_easy_strerror(code));
    curl_started = true;
    return 0;
}

static bool contains_word(const char *s, size_t len, const char *const *words)
{
    size_t i, j, n;

    for (; *words != NULL; words++) {
        n = strlen(*words);
        for (i = 0; i + n <= len; i++) {
            for (j = 0; j < n; j++)
                if (tolower((unsigned char)s[i + j]) != (*words)[j])
                    break;
            if (j == n)
                return true;
        }
    }
    return false;
}

/*
 * Also a field called just "value": the CI hosts' variable APIs (GitLab
 * lists masked variables in clear) name the secret so.
 */
static bool field_is_secret(const char *name, size_t len)
{
    return contains_word(name, len, secret_field_words) ||
           (len == 5 && strncasecmp(name, "value", 5) == 0);
}

/*
 * Redaction of text for the trace.  Each pass copies text to out with the
 * values of secret fields replaced.  A value cut by the end of the text
 * is hidden to the end, so a prefix of a body is as safe as the whole.
 */

/* The index just past the JSON string that starts at s[i] ('"'). */
static size_t json_string_end(const char *s, size_t len, size_t i)
{
    for (i++; i < len; i++) {
        if (s[i] == '\\')
            i++;
        else if (s[i] == '"')
            return i + 1;
    }
    return len;
}

static size_t skip_blanks(const char *s, size_t len, size_t i)
{
    while (i < len &&
           (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

/* "key": "value" with a secret key becomes "key": "<redacted>". */
static int redact_json(const char *s, size_t len, struct buf *out)
{
    size_t i = 0, end, value;
    int rc = 0;

    while (rc == 0 && i < len) {
        if (s[i] != '"') {
            rc = buf_putc(out, s[i++]);
            continue;
        }
        end = json_string_end(s, len, i);
        rc = buf_append(out, s + i, end - i);
        /* A ':' after it: the string was closed, and is a key. */
        value = skip_blanks(s, len, end);
        if (rc == 0 && value < len && s[value] == ':' &&
            field_is_secret(s + i + 1, end - i - 2)) {
            value = skip_blanks(s, len, value + 1);
            if (value < len && s[value] == '"') {
                rc = buf_append(out, s + end, value - end);
                if (rc == 0)
                    rc = buf_puts(out, "\"" REDACTED "\"");
                end = json_string_end(s, len, value);
            }
        }
        i = end;
    }
    return rc;
}

static bool xml_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' ||
           c == ':';
}

/* The end of the text of an element from i: the next tag, past CDATA. */
static size_t xml_content_end(const char *s, size_t len, size_t i)
{
    static const char cdata[] = "<![CDATA[";
    const char *end;

    while (i < len && s[i] != '<')
        i++;
    if (len - i < sizeof(cdata) - 1 ||
        memcmp(s + i, cdata, sizeof(cdata) - 1) != 0)
        return i;
    for (end = s + i; end + 3 <= s + len; end++)
        if (memcmp(end, "]]>", 3) == 0)
            return xml_content_end(s, len, (size_t)(end - s) + 3);
    return len;
}

/* <sessionId>value</sessionId>, any namespace prefix, loses its value. */
static int redact_xml(const char *s, size_t len, struct buf *out)
{
    size_t i = 0, name, name_end, local, close, content;
    int rc = 0;

    while (rc == 0 && i < len) {
        if (s[i] != '<' || i + 1 >= len ||
            !(isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_')) {
            rc = buf_putc(out, s[i++]);
            continue;
        }
        name = i + 1;
        for (name_end = name; name_end < len && xml_name_char(s[name_end]);)
            name_end++;
        for (local = name_end; local > name && s[local - 1] != ':';)
            local--;
        for (close = name_end; close < len && s[close] != '>';) {
            if (s[close] == '<')
                break;
            close++;
        }
        if (close == len)
            return buf_append(out, s + i, len - i);
        if (s[close] == '<') {
            /* "a<b" in text, not a tag: the next '<' may start one. */
            rc = buf_putc(out, s[i++]);
            continue;
        }

        rc = buf_append(out, s + i, close + 1 - i);
        i = close + 1;
        if (s[close - 1] == '/' ||
            !field_is_secret(s + local, name_end - local))
            continue;
        content = xml_content_end(s, len, i);
        if (rc == 0 && content > i)
            rc = buf_puts(out, REDACTED);
        i = content;
    }
    return rc;
}

static bool form_name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' ||
           c == '%' || c == '[' || c == ']';
}

static bool form_value_end(char c)
{
    return c == '&' || c == '#' || c == '"' || c == '\'' || c == '<' ||
           c == '>' || isspace((unsigned char)c);
}

/* name=value at the start, after '&' or after '?': forms and queries. */
static int redact_form(const char *s, size_t len, struct buf *out)
{
    size_t i = 0, name_end;
    int rc = 0;

    while (rc == 0 && i < len) {
        bool field_start = i == 0 || s[i - 1] == '&' || s[i - 1] == '?';

        if (!field_start || !form_name_char(s[i])) {
            rc = buf_putc(out, s[i++]);
            continue;
        }
        for (name_end = i; name_end < len && form_name_char(s[name_end]);)
            name_end++;
        rc = buf_append(out, s + i, name_end - i);
        if (rc == 0 && name_end < len && s[name_end] == '=' &&
            field_is_secret(s + i, name_end - i)) {
            rc = buf_puts(out, "=" REDACTED);
            for (name_end++; name_end < len && !form_value_end(s[name_end]);)
                name_end++;
        }
        i = name_end;
    }
    return rc;
}

/* scheme://user:password@host becomes scheme://user:<redacted>@host. */
static int redact_userinfo(const char *url, struct buf *out)
{
    const char *authority = strstr(url, "://");
    const char *end, *at, *colon;

    if (authority == NULL)
        return buf_puts(out, url);
    authority += 3;
    end = authority + strcspn(authority, "/?#");
    for (at = end; at > authority && at[-1] != '@';)
        at--;
    colon = at > authority ? memchr(authority, ':', at - authority) : NULL;
    if (colon == NULL)
        return buf_puts(out, url);
    if (buf_append(out, url, colon + 1 - url) < 0 ||
        buf_puts(out, REDACTED) < 0)
        return SFCI_EFAIL;
    return buf_puts(out, at - 1);
}

/* Runs the three passes over text; out gets the result. */
static int redact_text(const char *text, size_t len, struct buf *out)
{
    struct buf json = BUF_INIT, xml = BUF_INIT;
    int rc;

    rc = redact_json(text, len, &json);
    if (rc == 0)
        rc = redact_xml(buf_cstr(&json), json.len, &xml);
    if (rc == 0)
        rc = redact_form(buf_cstr(&xml), xml.len, out);

    buf_release(&json);
    buf_release(&xml);
    return rc;
}

/* Control characters become spaces: a trace line stays one line. */
static void flatten(struct buf *b, size_t from)
{
    size_t i;

    for (i = from; i < b->len; i++)
        if ((unsigned char)b->data[i] < 0x20 || b->data[i] == 0x7f)
            b->data[i] = ' ';
}

/* The URL for the trace and for messages, without its secrets. */
static int url_display(const char *url, struct buf *out)
{
    struct buf plain = BUF_INIT;
    size_t from = out->len;
    int rc;

    rc = redact_userinfo(url, &plain);
    if (rc == 0)
        rc = redact_form(buf_cstr(&plain), plain.len, out);
    if (rc == 0)
        flatten(out, from);
    buf_release(&plain);
    return rc;
}

/* Text with no control bytes but tabs and line ends; UTF-8 is text. */
static bool is_text(const unsigned char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') ||
            s[i] == 0x7f)
            return false;
    return true;
}

/* Appends the trace form of a body: redacted, one line, cut if long. */
static int body_display(const void *body, size_t len, bool secret,
                        struct buf *out)
{
    const unsigned char *s = body;
    size_t shown = len > TRACE_BODY_MAX ? TRACE_BODY_MAX : len;
    size_t from = out->len;
    int rc;

    if (secret)
        return buf_printf(out, "<redacted %zu bytes>", len);
    if (!is_text(s, shown))
        return buf_printf(out, "(%zu bytes)", len);

    /* Cut between UTF-8 characters, not inside one. */
    while (shown < len && shown > 0 && (s[shown] & 0xc0) == 0x80)
        shown--;
    rc = redact_text(body, shown, out);
    if (rc == 0)
        flatten(out, from);
    if (rc == 0 && shown < len)
        rc = buf_printf(out, " ... (%zu bytes)", len);
    return rc;
}

static void trace_send(const struct http_client *client, struct buf *line)
{
    if (line->data != NULL)
        client->trace(client->trace_data, line->data);
    buf_release(line);
}

__attribute__((format(printf, 2, 3))) static void
trace_printf(const struct http_client *client, const char *fmt, ...)
{
    struct buf line = BUF_INIT;
    va_list ap;

    if (client->trace == NULL)
        return;
    va_start(ap, fmt);
    if (buf_vprintf(&line, fmt, ap) == 0)
        trace_send(client, &line);
    va_end(ap);
    buf_release(&line);
}

/* "> Name: value", the value hidden when the name says it is secret. */
static void trace_request_header(const struct http_client *client,
                                 const char *header)
{
    struct buf line = BUF_INIT;
    size_t name = strcspn(header, ":;");
    int rc;

    rc = buf_puts(&line, "> ");
    if (rc == 0 && header[name] != '\0' &&
        contains_word(header, name, secret_header_words))
        rc = buf_printf(&line, "%.*s: " REDACTED, (int)name, header);
    else if (rc == 0)
        rc = buf_puts(&line, header);
    if (rc == 0) {
        flatten(&line, 0);
        trace_send(client, &line);
    }
    buf_release(&line);
}

static void trace_request(const struct http_client *client,
                          const struct http_request *request,
                          const char *method)
{
    const char *const *header;
    struct buf line = BUF_INIT;

    if (client->trace == NULL)
        return;
    if (buf_printf(&line, "> %s ", method) == 0 &&
        url_display(request->url, &line) == 0)
        trace_send(client, &line);
    buf_release(&line);

    for (header = request->headers; header != NULL && *header != NULL; header++)
        trace_request_header(client, *header);

    if (request->body != NULL && request->body_len > 0 &&
        buf_puts(&line, "> ") == 0 &&
        body_display(request->body, request->body_len, request->body_secret,
                     &line) == 0)
        trace_send(client, &line);
    buf_release(&line);
}

static void trace_response(const struct http_client *client,
                           const struct http_request *request,
                           const struct http_response *response, long ms)
{
    struct buf line = BUF_INIT;

    if (client->trace == NULL)
        return;
    if (response->status == 0) {
        trace_printf(client, "< no answer in %ld ms: %s", ms, client->error);
        return;
    }
    trace_printf(client, "< %ld in %ld ms (%zu bytes)", response->status, ms,
                 response->body.len);
    if (response->body.len > 0 && buf_puts(&line, "< ") == 0 &&
        body_display(response->body.data, response->body.len,
                     request->response_secret, &line) == 0)
        trace_send(client, &line);
    buf_release(&line);
}

/*
 * URL checks.  The URL goes through libcurl's own parser, so the host
 * checked here is the host libcurl connects to.
 */

static bool host_is_loopback(const char *host)
{
    unsigned char address[sizeof(struct in6_addr)];
    char inner[64];
    size_t len = strlen(host);

    if (strcasecmp(host, "localhost") == 0)
        return true;
    /* Dotted quads only: "127.0.0.1.evil.example" is a name. */
    if (inet_pton(AF_INET, host, address) == 1)
        return address[0] == 127;
    if (len < 3 || len - 2 >= sizeof(inner) || host[0] != '[' ||
        host[len - 1] != ']')
        return false;
    memcpy(inner, host + 1, len - 2);
    inner[len - 2] = '\0';
    return inet_pton(AF_INET6, inner, address) == 1 &&
           memcmp(address, &in6addr_loopback, sizeof(in6addr_loopback)) == 0;
}

/* The scheme and host of url as libcurl reads them; free both. */
static int url_split(const char *url, char **scheme, char **host)
{
    CURLU *parsed = curl_url();
    int rc = -1;

    *scheme = NULL;
    *host = NULL;
    if (parsed == NULL)
        return error_oom();
    if (curl_url_set(parsed, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
            CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_HOST, host, 0) != CURLUE_OK ||
        **host == '\0')
        goto out;
    rc = 0;

out:
    if (rc < 0) {
        curl_free(*scheme);
        curl_free(*host);
        *scheme = NULL;
        *host = NULL;
    }
    curl_url_cleanup(parsed);
    return rc;
}

static int url_refuse(const char *url, const char *problem)
{
    struct buf shown = BUF_INIT;
    int rc;

    rc = url_display(url, &shown);
    if (rc == 0)
        rc = error_set(SFCI_EINPUT, "the URL '%s' %s", buf_cstr(&shown),
                       problem);
    buf_release(&shown);
    return rc;
}

/* Checks url; *host (freed with curl_free) gets its host when asked. */
static int url_check_host(const char *url, char **host)
{
    char *scheme = NULL, *name = NULL;
    int rc;

    if (host != NULL)
        *host = NULL;
    if (url == NULL || *url == '\0')
        return error_set(SFCI_EINPUT, "no URL given: use https://host/path");
    rc = http_global_init();
    if (rc < 0)
        return rc;

    if (url_split(url, &scheme, &name) < 0)
        rc = url_refuse(url, "is not valid: use https://host/path");
    else if (strcasecmp(scheme, "https") == 0)
        rc = 0;
    else if (strcasecmp(scheme, "http") != 0)
        rc = url_refuse(url, "is not http or https: use an https:// URL");
    else if (!host_is_loopback(name))
        rc = url_refuse(url, "is plain http to a remote host: use https");

    if (rc == 0 && host != NULL) {
        *host = name;
        name = NULL;
    }
    curl_free(scheme);
    curl_free(name);
    return rc;
}

int http_url_check(const char *url)
{
    return url_check_host(url, NULL);
}

/* RFC 3986 unreserved, in ASCII whatever the locale. */
static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

int http_escape(const char *text, struct buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *s;
    int rc = 0;

    for (s = (const unsigned char *)text; rc == 0 && *s != '\0'; s++) {
        if (is_unreserved(*s)) {
            rc = buf_putc(out, (char)*s);
        } else {
            char escaped[3] = {'%', hex[*s >> 4], hex[*s & 0x0f]};

            rc = buf_append(out, escaped, sizeof(escaped));
        }
    }
    return rc;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int http_unescape(const char *text, size_t len, struct buf *out)
{
    size_t i;
    int rc = 0;

    for (i = 0; rc == 0 && i < len; i++) {
        if (text[i] == '%' && i + 2 < len && hex_digit(text[i + 1]) >= 0 &&
            hex_digit(text[i + 2]) >= 0) {
            rc = buf_putc(out, (char)(hex_digit(text[i + 1]) * 16 +
                                      hex_digit(text[i + 2])));
            i += 2;
        } else {
            rc = buf_putc(out, text[i]);
        }
    }
    return rc;
}

/*
 * Client.
 */

static int ca_file_check(const char *path, const char *from)
{
    if (access(path, R_OK) == 0)
        return 0;
    return error_set(SFCI_EINPUT,
                     "cannot read the CA file '%s'%s: %s: give a PEM file of "
                     "certificates",
                     path, from, strerror(errno));
}

static int client_set_ca(struct http_client *client, const char *ca_file)
{
    const char *from = "";
    int rc;

    if (ca_file == NULL || *ca_file == '\0') {
        ca_file = getenv("SSL_CERT_FILE");
        from = " (SSL_CERT_FILE)";
    }
    if (ca_file == NULL || *ca_file == '\0')
        return 0;

    rc = ca_file_check(ca_file, from);
    if (rc < 0)
        return rc;
    client->ca_file = strdup(ca_file);
    return client->ca_file != NULL ? 0 : error_oom();
}

static void client_set_limits(struct http_client *client,
                              const struct http_options *options)
{
    client->connect_timeout_ms = options->connect_timeout_ms > 0
                                     ? options->connect_timeout_ms
                                     : DEFAULT_CONNECT_TIMEOUT_MS;
    client->timeout_ms =
        options->timeout_ms > 0 ? options->timeout_ms : DEFAULT_TIMEOUT_MS;
    client->max_response = options->max_response > 0 ? options->max_response
                                                     : DEFAULT_MAX_RESPONSE;
    client->max_attempts = options->max_attempts > 0 ? options->max_attempts
                                                     : DEFAULT_MAX_ATTEMPTS;
    client->max_wait_ms =
        options->max_wait_ms > 0 ? options->max_wait_ms : DEFAULT_MAX_WAIT_MS;
    client->base_wait_ms = options->base_wait_ms > 0 ? options->base_wait_ms
                                                     : DEFAULT_BASE_WAIT_MS;
    client->trace = options->trace;
    client->trace_data = options->trace_data;
}

int http_client_new(const struct http_options *options,
                    struct http_client **out)
{
    static const struct http_options defaults = {0};
    struct http_client *client = NULL;
    int rc;

    *out = NULL;
    if (options == NULL)
        options = &defaults;
    rc = http_global_init();
    if (rc < 0)
        return rc;

    client = calloc(1, sizeof(*client));
    if (client == NULL)
        return error_oom();
    client_set_limits(client, options);
    rc = client_set_ca(client, options->ca_file);
    if (rc < 0)
        goto out;
    client->curl = curl_easy_init();
    if (client->curl == NULL) {
        rc = error_set(SFCI_EFAIL, "cannot start a libcurl transfer");
        goto out;
    }

    *out = client;
    client = NULL;

out:
    http_client_free(client);
    return rc;
}

void http_client_free(struct http_client *client)
{
    if (client == NULL)
        return;
    if (client->curl != NULL)
        curl_easy_cleanup(client->curl);
    free(client->ca_file);
    free(client);
}

/*
 * Response.
 */

static void headers_clear(struct http_response *response)
{
    size_t i;

    for (i = 0; i < response->header_count; i++) {
        secret_free(response->headers[i].name);
        secret_free(response->headers[i].value);
    }
    free(response->headers);
    response->headers = NULL;
    response->header_count = 0;
}

void http_response_release(struct http_response *response)
{
    if (response == NULL)
        return;
    headers_clear(response);
    buf_release(&response->body);
    response->status = 0;
    response->attempts = 0;
}

const char *http_response_header(const struct http_response *response,
                                 const char *name)
{
    size_t i;

    for (i = 0; i < response->header_count; i++)
        if (strcasecmp(response->headers[i].name, name) == 0)
            return response->headers[i].value;
    return NULL;
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

static int header_add(struct http_response *response, const char *name,
                      size_t name_len, const char *value, size_t value_len)
{
    struct http_header_line *lines;
    struct http_header_line *line;

    lines = realloc(response->headers,
                    (response->header_count + 1) * sizeof(*lines));
    if (lines == NULL)
        return error_oom();
    response->headers = lines;

    line = &lines[response->header_count];
    line->name = strndup(name, name_len);
    line->value = strndup(value, value_len);
    if (line->name == NULL || line->value == NULL) {
        free(line->name);
        free(line->value);
        return error_oom();
    }
    response->header_count++;
    return 0;
}

/* An obsolete folded line continues the value of the header before it. */
static int header_continue(struct http_response *response, const char *more,
                           size_t len)
{
    struct http_header_line *last;
    size_t old;
    char *value;

    if (response->header_count == 0 || len == 0)
        return 0;
    last = &response->headers[response->header_count - 1];
    old = strlen(last->value);
    value = malloc(old + 1 + len + 1);
    if (value == NULL)
        return error_oom();
    memcpy(value, last->value, old);
    value[old] = ' ';
    memcpy(value + old + 1, more, len);
    value[old + 1 + len] = '\0';
    secret_free(last->value);
    last->value = value;
    return 0;
}

/* libcurl calls this once per header line of every answer, 1xx included. */
static size_t on_header(char *data, size_t size, size_t count, void *userdata)
{
    struct transfer *transfer = userdata;
    struct http_response *response = transfer->response;
    size_t len = size * count, name_len;
    const char *line = data, *colon, *value;
    int rc;

    /* A status line starts a new answer: keep only the last one's. */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        headers_clear(response);
        return len;
    }
    if (len > 0 && (data[0] == ' ' || data[0] == '\t')) {
        trim(&line, &len);
        rc = header_continue(response, line, len);
    } else {
        colon = memchr(data, ':', len);
        if (colon == NULL)
            return size * count;
        name_len = (size_t)(colon - data);
        value = colon + 1;
        len -= name_len + 1;
        trim(&value, &len);
        rc = header_add(response, data, name_len, value, len);
    }
    if (rc < 0) {
        transfer->out_of_memory = true;
        return 0;
    }
    return size * count;
}

static size_t on_body(char *data, size_t size, size_t count, void *userdata)
{
    struct transfer *transfer = userdata;
    struct buf *body = &transfer->response->body;
    size_t len = size * count;

    if (len > transfer->max_response - body->len) {
        transfer->too_large = true;
        return 0;
    }
    if (buf_append(body, data, len) < 0) {
        transfer->out_of_memory = true;
        return 0;
    }
    return len;
}

/*
 * One try.
 */

static bool method_is(const char *method, const char *name)
{
    return strcmp(method, name) == 0;
}

static bool method_sends_body(const struct http_request *request,
                              const char *method)
{
    return request->body != NULL || method_is(method, "POST") ||
           method_is(method, "PUT") || method_is(method, "PATCH");
}

#define SET(option, value)                                                     \
    do {                                                                       \
        if (code == CURLE_OK)                                                  \
            code = curl_easy_setopt(curl, option, value);                      \
    } while (0)

static CURLcode transfer_set_method(CURL *curl,
                                    const struct http_request *request,
                                    const char *method)
{
    CURLcode code = CURLE_OK;

    if (method_sends_body(request, method)) {
        /* No body is an empty one: a PUT or POST still has a length. */
        SET(CURLOPT_POSTFIELDS, request->body != NULL ? request->body : "");
        SET(CURLOPT_POSTFIELDSIZE_LARGE,
            (curl_off_t)(request->body != NULL ? request->body_len : 0));
        if (!method_is(method, "POST"))
            SET(CURLOPT_CUSTOMREQUEST, method);
    } else if (method_is(method, "HEAD")) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (!method_is(method, "GET")) {
        SET(CURLOPT_CUSTOMREQUEST, method);
    }
    return code;
}

static CURLcode transfer_set_security(CURL *curl,
                                      const struct http_client *client)
{
    CURLcode code = CURLE_OK;

#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SET(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (client->ca_file != NULL)
        SET(CURLOPT_CAINFO, client->ca_file);
    return code;
}

static int transfer_setup(struct http_client *client,
                          const struct http_request *request,
                          const char *method, struct curl_slist *headers,
                          const char *host, struct transfer *transfer)
{
    CURL *curl = client->curl;
    CURLcode code = CURLE_OK;

    curl_easy_reset(curl);
    client->error[0] = '\0';
    SET(CURLOPT_ERRORBUFFER, client->error);
    SET(CURLOPT_URL, request->url);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_USERAGENT, HTTP_USER_AGENT);
    SET(CURLOPT_HTTPHEADER, headers);
    SET(CURLOPT_CONNECTTIMEOUT_MS, client->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, client->timeout_ms);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)client->max_response);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, transfer);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, transfer);
    if (code == CURLE_OK)
        code = transfer_set_security(curl, client);
    if (code == CURLE_OK)
        code = transfer_set_method(curl, request, method);

    if (code != CURLE_OK)
        return error_set(SFCI_EFAIL, "cannot set up the request to '%s': %s",
                         host, curl_easy_strerror(code));
    return 0;
}

#undef SET

static long monotonic_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Forgets what a try left in response, but not the count of tries. */
static void response_reset(struct http_response *response)
{
    int attempts = response->attempts;

    http_response_release(response);
    response->attempts = attempts;
}

/*
 * Makes one try.  An answer sets response->status; no answer leaves it 0
 * and *result says why.  Negative only for what ends every try: out of
 * memory, or an answer over the bound.
 */
static int transfer_run(struct http_client *client,
                        const struct http_request *request, const char *method,
                        struct curl_slist *headers, const char *host,
                        struct http_response *response, CURLcode *result)
{
    struct transfer transfer = {response, client->max_response, false, false};
    long start;
    int rc;

    response_reset(response);
    rc = transfer_setup(client, request, method, headers, host, &transfer);
    if (rc < 0)
        return rc;

    trace_request(client, request, method);
    start = monotonic_ms();
    *result = curl_easy_perform(client->curl);
    if (*result == CURLE_OK)
        curl_easy_getinfo(client->curl, CURLINFO_RESPONSE_CODE,
                          &response->status);
    else if (client->error[0] == '\0')
        snprintf(client->error, sizeof(client->error), "%s",
                 curl_easy_strerror(*result));

    if (transfer.out_of_memory) {
        response_reset(response);
        return error_oom();
    }
    if (transfer.too_large || *result == CURLE_FILESIZE_EXCEEDED) {
        response_reset(response);
        trace_printf(client, "< larger than %zu bytes, stopped after %ld ms",
                     client->max_response, monotonic_ms() - start);
        return error_set(SFCI_EFAIL,
                         "the answer of '%s' is larger than %zu bytes", host,
                         client->max_response);
    }
    if (*result != CURLE_OK)
        response_reset(response);
    trace_response(client, request, response, monotonic_ms() - start);
    return 0;
}

/*
 * Trying again.
 */

/* Failures of the network that another try may get past. */
static bool result_is_transient(CURLcode result)
{
    switch (result) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

static bool should_retry(unsigned int retry, long status, CURLcode result)
{
    if (retry == 0)
        retry = HTTP_RETRY_DEFAULT;
    if (status == 0)
        return (retry & HTTP_RETRY_NETWORK) && result_is_transient(result);
    if (status == 429)
        return retry & HTTP_RETRY_429;
    if (status == 502 || status == 503 || status == 504)
        return retry & HTTP_RETRY_5XX;
    if (status == 500)
        return retry & HTTP_RETRY_500;
    if (status == 403)
        return retry & HTTP_RETRY_403;
    return false;
}

/* Retry-After in ms (seconds or an HTTP date), or -1 without one. */
static long retry_after_ms(const struct http_response *response)
{
    const char *value = http_response_header(response, "Retry-After");
    char *end;
    long long seconds;
    time_t when;

    if (value == NULL || *value == '\0')
        return -1;
    if (isdigit((unsigned char)*value)) {
        errno = 0;
        seconds = strtoll(value, &end, 10);
        if (*end != '\0')
            return -1;
        if (errno == ERANGE || seconds > LONG_MAX / 1000)
            return LONG_MAX;
        return (long)seconds * 1000;
    }
    when = curl_getdate(value, NULL);
    if (when == -1)
        return -1;
    seconds = (long long)(when - time(NULL));
    if (seconds <= 0)
        return 0;
    return seconds > LONG_MAX / 1000 ? LONG_MAX : (long)seconds * 1000;
}

static unsigned long random_number(void)
{
    unsigned long value = 0;

    /* Without randomness the wait is the fixed half; still a backoff. */
    if (getrandom(&value, sizeof(value), 0) != (ssize_t)sizeof(value))
        return 0;
    return value;
}

/* base * 2^(attempt - 1), capped, with equal jitter. */
static long backoff_ms(const struct http_client *client, int attempt)
{
    long wait = client->base_wait_ms;
    long half;
    int i;

    for (i = 1; i < attempt && wait < client->max_wait_ms; i++)
        wait = wait > LONG_MAX / 2 ? LONG_MAX : wait * 2;
    if (wait > client->max_wait_ms)
        wait = client->max_wait_ms;
    half = wait / 2;
    return wait - half + (long)(random_number() % ((unsigned long)half + 1));
}

/*
 * The wait before the next try, or -1 not to try again: the request's
 * callback said so, or the host asks for longer than max_wait_ms (then
 * *asked_ms holds what it asked for).
 */
static long retry_delay(const struct http_client *client,
                        const struct http_request *request,
                        const struct http_response *response, int attempt,
                        long *asked_ms)
{
    long wait = -1;

    *asked_ms = -1;
    if (response->status != 0 && request->retry_wait != NULL) {
        wait = request->retry_wait(response, request->retry_data);
        if (wait == -2)
            return -1;
    }
    /* A 403 is a refusal unless the host's rule reads a rate limit in it. */
    if (response->status == 403 && wait < 0)
        return -1;
    if (wait < 0 && response->status != 0)
        wait = retry_after_ms(response);
    if (wait < 0)
        return backoff_ms(client, attempt);
    if (wait > client->max_wait_ms) {
        *asked_ms = wait;
        return -1;
    }
    return wait;
}

static void sleep_ms(long ms)
{
    struct timespec left = {ms / 1000, (ms % 1000) * 1000000L};

    while (nanosleep(&left, &left) < 0 && errno == EINTR)
        continue;
}

/* Decides after a try: the wait before the next one, or -1 to stop. */
static long retry_next(const struct http_client *client,
                       const struct http_request *request,
                       const struct http_response *response, int attempt,
                       CURLcode result)
{
    long wait, asked;

    if (attempt >= client->max_attempts ||
        !should_retry(request->retry, response->status, result))
        return -1;
    wait = retry_delay(client, request, response, attempt, &asked);
    if (wait < 0 && asked >= 0)
        trace_printf(client,
                     "not retrying after %ld: the host asks to wait %ld s, "
                     "more than %ld s",
                     response->status, asked / 1000,
                     client->max_wait_ms / 1000);
    else if (wait >= 0 && response->status != 0)
        trace_printf(client, "retrying in %ld ms after %ld", wait,
                     response->status);
    else if (wait >= 0)
        trace_printf(client, "retrying in %ld ms after no answer", wait);
    return wait;
}

/*
 * Sending.
 */

static void header_list_free(struct curl_slist *list)
{
    struct curl_slist *item;

    for (item = list; item != NULL; item = item->next)
        secret_wipe(item->data, strlen(item->data));
    curl_slist_free_all(list);
}

static int header_list_append(struct curl_slist **list, const char *line)
{
    struct curl_slist *longer = curl_slist_append(*list, line);

    if (longer == NULL)
        return error_oom();
    *list = longer;
    return 0;
}

/* The request's header lines, and "Expect:" to send bodies at once. */
static int header_list_make(const struct http_request *request,
                            const char *host, struct curl_slist **out)
{
    const char *const *header;
    struct curl_slist *list = NULL;
    int rc = 0;

    *out = NULL;
    for (header = request->headers; rc == 0 && header != NULL && *header;
         header++) {
        if (strpbrk(*header, "\r\n") != NULL)
            rc = error_set(SFCI_EINPUT,
                           "a header of the request to '%s' holds a line "
                           "break: remove it",
                           host);
        else
            rc = header_list_append(&list, *header);
    }
    if (rc == 0)
        rc = header_list_append(&list, "Expect:");

    if (rc < 0)
        header_list_free(list);
    else
        *out = list;
    return rc;
}

static int method_check(const char *method, const char *host)
{
    size_t len = strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");

    if (len > 0 && method[len] == '\0')
        return 0;
    return error_set(SFCI_EINPUT,
                     "the method of the request to '%s' is not valid: use "
                     "GET, POST, PUT, PATCH or DELETE",
                     host);
}

static int no_answer(const struct http_client *client, const char *host,
                     int attempts, CURLcode result)
{
    if (result == CURLE_PEER_FAILED_VERIFICATION ||
        result == CURLE_SSL_CACERT_BADFILE)
        return error_set(SFCI_EFAIL,
                         "cannot check the certificate of '%s': %s: give "
                         "its CA with --ca-file or SSL_CERT_FILE, or use "
                         "the name it was issued for",
                         host, client->error);
    return error_set(SFCI_EFAIL,
                     "cannot reach '%s': %s (after %d %s): check the "
                     "network and the URL",
                     host, client->error, attempts,
                     attempts == 1 ? "try" : "tries");
}

int http_send(struct http_client *client, const struct http_request *request,
              struct http_response *response)
{
    const char *method = request->method != NULL ? request->method : "GET";
    struct curl_slist *headers = NULL;
    CURLcode result = CURLE_OK;
    char *host = NULL;
    long wait;
    int rc;

    memset(response, 0, sizeof(*response));
    buf_init(&response->body);
    rc = url_check_host(request->url, &host);
    if (rc == 0)
        rc = method_check(method, host);
    if (rc == 0)
        rc = header_list_make(request, host, &headers);
    if (rc < 0)
        goto out;

    for (;;) {
        response->attempts++;
        rc = transfer_run(client, request, method, headers, host, response,
                          &result);
        if (rc < 0)
            goto out;
        wait =
            retry_next(client, request, response, response->attempts, result);
        if (wait < 0)
            break;
        sleep_ms(wait);
    }
    if (response->status == 0)
        rc = no_answer(client, host, response->attempts, result);

out:
    header_list_free(headers);
    curl_free(host);
    return rc;
}
