#include "rules.h"

#include "errors.h"

#include <string.h>

/* The C library's tolower() follows the locale; host rules are ASCII. */
static char ascii_lower(char c)
{
    if (c >= 'A' && c <= 'Z')
        return (char)(c - 'A' + 'a');
    return c;
}

bool rules_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

bool rules_all_in(const char *s, const char *set)
{
    return strspn(s, set) == strlen(s);
}

bool rules_starts_with_digit(const char *s)
{
    return s[0] >= '0' && s[0] <= '9';
}

bool rules_has_prefix_nocase(const char *s, const char *prefix)
{
    size_t i;

    for (i = 0; prefix[i] != '\0'; i++) {
        if (ascii_lower(s[i]) != ascii_lower(prefix[i]))
            return false;
    }
    return true;
}

const char *rules_find_prefix_nocase(const char *s, const char *const *prefixes)
{
    const char *const *p;

    for (p = prefixes; *p != NULL; p++) {
        if (rules_has_prefix_nocase(s, *p))
            return *p;
    }
    return NULL;
}

bool rules_longer_than(const char *s, size_t max)
{
    /* strnlen is POSIX, not C11; stop at max + 1 all the same. */
    size_t n = 0;

    while (n <= max && s[n] != '\0')
        n++;
    return n > max;
}

int rules_check_filled(const char *unit, const char *name, const char *value)
{
    if (value != NULL && value[0] == '\0')
        return error_set(SFCI_EINPUT,
                         "%s '%s' would be empty: a login needs every value, "
                         "so run sfci provision again",
                         unit, name);
    return 0;
}
