/*
 * fake-github: memory, text and the shape of GitHub's answers.
 */
#include "fake_github.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ISO 8601 in UTC, as GitHub writes created_at and updated_at. */
void time_now_text(char out[TIME_TEXT_MAX])
{
    time_t now = time(NULL);
    struct tm tm;

    gmtime_r(&now, &tm);
    strftime(out, TIME_TEXT_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
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

bool percent_decode(char *text)
{
    char *out = text;
    int high, low;

    for (; *text != '\0'; text++) {
        if (*text != '%') {
            *out++ = *text;
            continue;
        }
        high = hex_value(text[1]);
        low = high < 0 ? -1 : hex_value(text[2]);
        if (low < 0 || (high == 0 && low == 0))
            return false;
        *out++ = (char)(high * 16 + low);
        text += 2;
    }
    *out = '\0';
    return true;
}

char *query_value(const char *query, const char *key)
{
    size_t key_len = strlen(key);
    const char *pair = query;
    char *value;

    while (pair != NULL && *pair != '\0') {
        const char *end = strchr(pair, '&');
        size_t len = end != NULL ? (size_t)(end - pair) : strlen(pair);

        if (len > key_len && strncmp(pair, key, key_len) == 0 &&
            pair[key_len] == '=') {
            value = xstrndup(pair + key_len + 1, len - key_len - 1);
            if (percent_decode(value))
                return value;
            free(value);
            return NULL;
        }
        pair = end != NULL ? end + 1 : NULL;
    }
    return NULL;
}

void response_header(struct response *res, const char *name, const char *format,
                     ...)
{
    struct header *header;
    va_list args;

    res->headers = alloc_check(
        realloc(res->headers, (res->header_count + 1) * sizeof(*res->headers)));
    header = &res->headers[res->header_count++];
    header->name = xstrdup(name);
    va_start(args, format);
    header->value = xvprintf(format, args);
    va_end(args);
}

void response_json(struct response *res, unsigned int status, json_t *json)
{
    char *text = json_dumps(json, JSON_COMPACT);

    json_decref(json);
    free(res->body);
    res->status = status;
    res->body = alloc_check(text);
    res->len = strlen(text);
}

void response_error(struct response *res, unsigned int status,
                    const char *message, const char *doc)
{
    char status_text[8];

    snprintf(status_text, sizeof(status_text), "%u", status);
    response_json(res, status,
                  json_pack("{s:s, s:s, s:s}", "message", message,
                            "documentation_url", doc, "status", status_text));
}

void response_empty(struct response *res, unsigned int status)
{
    free(res->body);
    res->body = NULL;
    res->len = 0;
    res->status = status;
}

void response_release(struct response *res)
{
    for (size_t i = 0; i < res->header_count; i++) {
        free(res->headers[i].name);
        free(res->headers[i].value);
    }
    free(res->headers);
    free(res->body);
    memset(res, 0, sizeof(*res));
}
