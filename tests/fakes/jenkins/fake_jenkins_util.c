#include "fake_jenkins.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void list_push(struct list *list, void *item)
{
    list->items = alloc_check(
        realloc(list->items, (list->count + 1) * sizeof(*list->items)));
    list->items[list->count++] = item;
}

void *list_take(struct list *list, size_t index)
{
    void *item = list->items[index];

    memmove(&list->items[index], &list->items[index + 1],
            (list->count - index - 1) * sizeof(*list->items));
    list->count--;
    return item;
}

void list_free_all(struct list *list)
{
    for (size_t i = 0; i < list->count; i++)
        free(list->items[i]);
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

bool starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

void random_hex(char *out, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char byte;

    for (size_t i = 0; i < len; i++) {
        if (getrandom(&byte, 1, 0) != 1) {
            fputs("fake-jenkins: error: no randomness\n", stderr);
            abort();
        }
        out[i] = digits[byte & 0x0f];
    }
    out[len] = '\0';
}

/* Decodes standard base64 into a NUL-terminated copy; NULL if it is not. */
char *base64_decode(const char *text)
{
    size_t len;

    return (char *)fake_base64_decode(text, strlen(text), false, &len);
}

char *form_value(const char *body, const char *name)
{
    size_t name_len = strlen(name);

    while (*body != '\0') {
        size_t field = strcspn(body, "&");
        char *decoded = xstrndup(body, field);
        char *eq = strchr(decoded, '=');

        if (eq != NULL) {
            *eq = '\0';
            fake_url_unescape(decoded);
            if (strlen(decoded) == name_len &&
                memcmp(decoded, name, name_len) == 0) {
                char *value = xstrdup(eq + 1);

                free(decoded);
                fake_url_unescape(value);
                return value;
            }
        }
        free(decoded);
        body += field;
        if (*body == '&')
            body++;
    }
    return NULL;
}

char *markup_escape(const char *text)
{
    size_t len = 1;
    char *out, *p;

    for (const char *s = text; *s != '\0'; s++)
        len += strchr("&<>\"'", *s) != NULL ? 6 : 1;
    out = p = alloc_check(malloc(len));
    for (const char *s = text; *s != '\0'; s++) {
        switch (*s) {
        case '&':
            p = stpcpy(p, "&amp;");
            break;
        case '<':
            p = stpcpy(p, "&lt;");
            break;
        case '>':
            p = stpcpy(p, "&gt;");
            break;
        case '"':
            p = stpcpy(p, "&quot;");
            break;
        case '\'':
            p = stpcpy(p, "&#39;");
            break;
        default:
            *p++ = *s;
        }
    }
    *p = '\0';
    return out;
}

const char *request_header(const struct fake_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

const char *request_query(const struct fake_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_GET_ARGUMENT_KIND,
                                       name);
}

const char *request_cookie(const struct fake_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_COOKIE_KIND, name);
}

void response_take(struct fake_response *res, unsigned int status,
                   const char *content_type, char *body)
{
    free(res->body);
    res->status = status;
    res->content_type = content_type;
    res->body = body != NULL ? body : xstrdup("");
    res->len = strlen(res->body);
}

void response_empty(struct fake_response *res, unsigned int status)
{
    response_take(res, status, NULL, NULL);
}

void response_header(struct fake_response *res, const char *name,
                     const char *value)
{
    if (res->header_count == RESPONSE_HEADERS_MAX) {
        fputs("fake-jenkins: error: too many response headers\n", stderr);
        abort();
    }
    res->header_names[res->header_count] = name;
    res->header_values[res->header_count++] = xstrdup(value);
}

static const char *status_reason(unsigned int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 429:
        return "Too Many Requests";
    default:
        return "Server Error";
    }
}

/* The page Jetty writes for HttpServletResponse.sendError(). */
void response_error(struct fake_response *res, const struct fake_request *req,
                    unsigned int status, const char *message)
{
    char *text =
        markup_escape(message != NULL ? message : status_reason(status));
    char *uri = markup_escape(req->path);

    response_take(res, status, "text/html;charset=iso-8859-1",
                  xprintf("<html>\n<head>\n<meta http-equiv=\"Content-Type\" "
                          "content=\"text/html;charset=ISO-8859-1\"/>\n"
                          "<title>Error %u %s</title>\n</head>\n<body>\n"
                          "<h2>HTTP ERROR %u %s</h2>\n<table>\n"
                          "<tr><th>URI:</th><td>%s</td></tr>\n"
                          "<tr><th>STATUS:</th><td>%u</td></tr>\n"
                          "<tr><th>MESSAGE:</th><td>%s</td></tr>\n"
                          "<tr><th>SERVLET:</th><td>Stapler</td></tr>\n"
                          "</table>\n<hr/><a href=\"https://jetty.org/\">"
                          "Powered by Jetty:// 12.0.16</a><hr/>\n\n"
                          "</body>\n</html>\n",
                          status, text, status, text, uri, status, text));
    free(text);
    free(uri);
}

void response_release(struct fake_response *res)
{
    free(res->body);
    for (size_t i = 0; i < res->header_count; i++)
        free(res->header_values[i]);
    memset(res, 0, sizeof(*res));
}
