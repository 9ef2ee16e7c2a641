/*
 * fake-gitlab: memory, URL decoding and Grape's parameter coercion.
 */
#include "fake_gitlab.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

size_t url_decode(char *text, bool plus)
{
    char *in = text, *out = text;

    while (*in != '\0') {
        if (*in == '%' && hex_digit(in[1]) >= 0 && hex_digit(in[2]) >= 0) {
            *out++ = (char)(hex_digit(in[1]) * 16 + hex_digit(in[2]));
            in += 3;
        } else if (*in == '+' && plus) {
            *out++ = ' ';
            in++;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - text);
}

void form_parse(const char *text, size_t len, json_t *params)
{
    const char *end = text + len;

    while (text < end) {
        const char *amp = memchr(text, '&', (size_t)(end - text));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(text, '=', (size_t)(stop - text));
        char *name, *value;

        if (stop > text) {
            name = xstrndup(text, (size_t)((eq ? eq : stop) - text));
            value =
                eq ? xstrndup(eq + 1, (size_t)(stop - eq - 1)) : xstrdup("");
            url_decode(name, true);
            url_decode(value, true);
            json_object_set_new(params, name, json_string(value));
            free(name);
            free(value);
        }
        text = stop + 1;
    }
}

/* What dry-types' Params::Bool takes, as Grape's Boolean does. */
static const char *const true_words[] = {"1", "on",  "t", "true",
                                         "y", "yes", NULL};
static const char *const false_words[] = {"0", "off", "f", "false",
                                          "n", "no",  NULL};

static bool word_in(const char *text, const char *const *words)
{
    for (; *words != NULL; words++)
        if (strcasecmp(text, *words) == 0)
            return true;
    return false;
}

int param_bool(json_t *params, const char *name, bool *out)
{
    json_t *value = json_object_get(params, name);

    if (value == NULL || json_is_null(value))
        return 0;
    if (json_is_boolean(value)) {
        *out = json_is_true(value);
        return 1;
    }
    if (json_is_integer(value) &&
        (json_integer_value(value) == 0 || json_integer_value(value) == 1)) {
        *out = json_integer_value(value) == 1;
        return 1;
    }
    if (!json_is_string(value))
        return -1;
    if (word_in(json_string_value(value), true_words))
        *out = true;
    else if (word_in(json_string_value(value), false_words))
        *out = false;
    else
        return -1;
    return 1;
}

const char *param_string(json_t *params, const char *name)
{
    json_t *value = json_object_get(params, name);
    char *text;

    if (value == NULL || json_is_null(value))
        return NULL;
    if (json_is_string(value))
        return json_string_value(value);
    /* Grape turns a JSON number or boolean into its text. */
    text = json_dumps(value, JSON_ENCODE_ANY);
    json_object_set_new(params, name, json_string(text ? text : ""));
    free(text);
    return json_string_value(json_object_get(params, name));
}
