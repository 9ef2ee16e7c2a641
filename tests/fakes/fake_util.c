#include "fake_salesforce.h"

#include <ctype.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

void *xmalloc(size_t size)
{
    return alloc_check(malloc(size == 0 ? 1 : size));
}

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

char **words_split(const char *text, char separator)
{
    size_t count = 0;
    char **words = xmalloc((strlen(text) + 2) * sizeof(*words));

    while (*text != '\0') {
        const char *end = strchr(text, separator);
        const char *next;

        if (end == NULL)
            end = text + strlen(text);
        next = *end == '\0' ? end : end + 1;
        while (text < end && isspace((unsigned char)*text))
            text++;
        while (end > text && isspace((unsigned char)end[-1]))
            end--;
        if (end > text)
            words[count++] = xstrndup(text, (size_t)(end - text));
        text = next;
    }
    words[count] = NULL;
    return words;
}

bool words_contain(char *const *words, const char *word)
{
    for (size_t i = 0; words != NULL && words[i] != NULL; i++)
        if (strcmp(words[i], word) == 0)
            return true;
    return false;
}

void words_free(char **words)
{
    for (size_t i = 0; words != NULL && words[i] != NULL; i++)
        free(words[i]);
    free(words);
}

int64_t clock_ms(void)
{
    struct timespec now;

    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

bool starts_with(const char *text, const char *prefix)
{
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

void random_text(char *out, size_t len)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char bytes[128];

    while (len > 0) {
        size_t chunk = len < sizeof(bytes) ? len : sizeof(bytes);

        if (RAND_bytes(bytes, (int)chunk) != 1) {
            fputs("fake-salesforce: error: no randomness\n", stderr);
            abort();
        }
        for (size_t i = 0; i < chunk; i++)
            *out++ = alphabet[bytes[i] % (sizeof(alphabet) - 1)];
        len -= chunk;
    }
    *out = '\0';
}

char *form_value(const char *body, size_t len, const char *name)
{
    const char *end = body + len;

    while (body < end) {
        const char *amp = memchr(body, '&', (size_t)(end - body));
        const char *pair_end = amp != NULL ? amp : end;
        const char *eq = memchr(body, '=', (size_t)(pair_end - body));
        char *key;

        if (eq != NULL) {
            key = xstrndup(body, (size_t)(eq - body));
            fake_url_unescape(key);
            if (strcmp(key, name) == 0) {
                char *value = xstrndup(eq + 1, (size_t)(pair_end - eq - 1));

                free(key);
                fake_url_unescape(value);
                return value;
            }
            free(key);
        }
        body = pair_end + 1;
    }
    return NULL;
}

xmlNodePtr xml_first(xmlNodePtr node)
{
    for (xmlNodePtr child = node->children; child != NULL; child = child->next)
        if (child->type == XML_ELEMENT_NODE)
            return child;
    return NULL;
}

xmlNodePtr xml_next(xmlNodePtr node)
{
    for (xmlNodePtr next = node->next; next != NULL; next = next->next)
        if (next->type == XML_ELEMENT_NODE)
            return next;
    return NULL;
}

const char *xml_ns(xmlNodePtr node)
{
    if (node->ns == NULL || node->ns->href == NULL)
        return "";
    return (const char *)node->ns->href;
}

bool xml_is(xmlNodePtr node, const char *ns, const char *name)
{
    return node != NULL && node->type == XML_ELEMENT_NODE &&
           strcmp((const char *)node->name, name) == 0 &&
           strcmp(xml_ns(node), ns != NULL ? ns : "") == 0;
}

xmlNodePtr xml_child(xmlNodePtr node, const char *name)
{
    for (xmlNodePtr child = xml_first(node); child != NULL;
         child = xml_next(child))
        if (xml_is(child, METADATA_NS, name))
            return child;
    return NULL;
}

char *xml_text(xmlNodePtr node)
{
    xmlChar *content = xmlNodeGetContent(node);
    char *text = xstrdup(content != NULL ? (const char *)content : "");

    xmlFree(content);
    return text;
}

char *xml_child_text(xmlNodePtr node, const char *name)
{
    xmlNodePtr child = xml_child(node, name);

    return child != NULL ? xml_text(child) : NULL;
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

const char *request_bearer(const struct fake_request *req)
{
    const char *value = request_header(req, "Authorization");

    if (value == NULL)
        return NULL;
    if (strncasecmp(value, "Bearer ", 7) == 0)
        return value + 7;
    if (strncasecmp(value, "OAuth ", 6) == 0)
        return value + 6;
    return NULL;
}

void response_set(struct fake_response *res, unsigned int status,
                  const char *content_type, const char *body, size_t len)
{
    char *copy = xmalloc(len + 1);

    memcpy(copy, body, len);
    copy[len] = '\0';
    free(res->body);
    res->body = copy;
    res->len = len;
    res->status = status;
    res->content_type = content_type;
}

void response_json(struct fake_response *res, unsigned int status, json_t *json)
{
    char *text = alloc_check(json_dumps(alloc_check(json), JSON_COMPACT));

    json_decref(json);
    response_set(res, status, "application/json;charset=UTF-8", text,
                 strlen(text));
    free(text);
}

void response_oauth_error(struct fake_response *res, unsigned int status,
                          const char *error, const char *description)
{
    response_json(res, status,
                  json_pack("{s:s, s:s}", "error", error, "error_description",
                            description));
}

void response_rest_error(struct fake_response *res, unsigned int status,
                         const char *code, const char *message)
{
    response_json(
        res, status,
        json_pack("[{s:s, s:s}]", "message", message, "errorCode", code));
}

void response_not_found(struct fake_response *res)
{
    response_json(res, 404,
                  json_pack("[{s:s, s:s}]", "errorCode", "NOT_FOUND", "message",
                            "The requested resource does not exist"));
}
