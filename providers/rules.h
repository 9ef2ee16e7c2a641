/*
 * Small checks that several hosts' name and value rules are made of.
 *
 * Each host states its own rules in its file under providers/<name>/ and
 * builds them from these tests; none of them knows a host.  They look at
 * bytes only: a name or value in UTF-8 fails every ASCII set below.
 */
#ifndef SFCI_RULES_H
#define SFCI_RULES_H

#include <stdbool.h>
#include <stddef.h>

/* Character sets for rules_all_in(); concatenate them as needed. */
#define RULES_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define RULES_LOWER "abcdefghijklmnopqrstuvwxyz"
#define RULES_DIGITS "0123456789"
#define RULES_ALNUM RULES_UPPER RULES_LOWER RULES_DIGITS

/* true when s is NULL or "". */
bool rules_empty(const char *s);

/* true when every byte of s is one of the bytes of set ("" passes). */
bool rules_all_in(const char *s, const char *set);

/* true when s starts with an ASCII digit. */
bool rules_starts_with_digit(const char *s);

/* true when s starts with prefix, ASCII letters compared in any case. */
bool rules_has_prefix_nocase(const char *s, const char *prefix);

/*
 * The first of the NULL-terminated prefixes that s starts with, compared
 * in any case, or NULL when none matches.  The result points into the
 * caller's list.
 */
const char *rules_find_prefix_nocase(const char *s,
                                     const char *const *prefixes);

/*
 * SFCI_EINPUT when value is "" (NULL, a value not known yet, passes):
 * no login works with an empty value.  unit names what the host stores,
 * "the GitLab variable", and goes into the message.
 */
int rules_check_filled(const char *unit, const char *name, const char *value);

/* true when s is longer than max bytes. */
bool rules_longer_than(const char *s, size_t max);

#endif
