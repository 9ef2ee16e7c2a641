/*
 * fake-bitbucket: memory, strings, uuids, encodings, responses.
 */
#include "fake_bitbucket.h"

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

void list_release(struct list *list)
{
    free(list->items);
    list->items = NULL;
    list->count = 0;
}

bool starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

char *uuid_new(void)
{
    unsigned char b[16];

    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        fputs("fake-bitbucket: error: no randomness\n", stderr);
        exit(2);
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    return xprintf("{%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                   "%02x%02x%02x%02x%02x%02x}",
                   b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
                   b[10], b[11], b[12], b[13], b[14], b[15]);
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
           (c >= 'A' && c <= 'F');
}

bool uuid_valid(const char *text)
{
    static const char shape[] = "{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}";
    size_t i;

    if (strlen(text) != sizeof(shape) - 1)
        return false;
    for (i = 0; i < sizeof(shape) - 1; i++)
        if (shape[i] == 'x' ? !is_hex(text[i]) : text[i] != shape[i])
            return false;
    return true;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    return (c | 0x20) - 'a' + 10;
}

bool percent_decode(char *text)
{
    char *out = text;

    for (; *text != '\0'; text++) {
        if (*text != '%') {
            *out++ = *text;
            continue;
        }
        if (!is_hex(text[1]) || !is_hex(text[2]))
            return false;
        *out++ = (char)(hex_value(text[1]) * 16 + hex_value(text[2]));
        text += 2;
    }
    *out = '\0';
    return true;
}

char *base64_decode(const char *text)
{
    size_t len;

    return (char *)fake_base64_decode(text, strlen(text), false, &len);
}

const char *request_header(const struct request *req, const char *name)
{
    return MHD_lookup_connection_value(req->connection, MHD_HEADER_KIND, name);
}

char *request_query(const struct request *req, const char *name)
{
    size_t len = strlen(name);
    const char *at = req->query;

    while (*at != '\0') {
        size_t field = strcspn(at, "&");

        if (field > len && strncmp(at, name, len) == 0 && at[len] == '=')
            return xstrndup(at + len + 1, field - len - 1);
        at += field;
        if (*at == '&')
            at++;
    }
    return NULL;
}

void response_set(struct response *res, unsigned int status,
                  const char *content_type, const char *text)
{
    free(res->body);
    res->status = status;
    res->content_type = content_type;
    res->body = xstrdup(text);
    res->len = strlen(text);
}

void response_json(struct response *res, unsigned int status, json_t *json)
{
    char *text = alloc_check(json_dumps(json, JSON_COMPACT));

    json_decref(json);
    free(res->body);
    res->status = status;
    res->content_type = "application/json";
    res->body = text;
    res->len = strlen(text);
}

void response_error(struct response *res, unsigned int status,
                    const char *message, const char *detail)
{
    json_t *error = json_pack("{s:s}", "message", message);

    if (detail != NULL)
        json_object_set_new(error, "detail", json_string(detail));
    response_json(res, status,
                  json_pack("{s:s, s:o}", "type", "error", "error", error));
}
