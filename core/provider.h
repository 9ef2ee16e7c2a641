/*
 * A CI host, as one const struct of its rules and operations.
 *
 * The engine names no host: it is handed a struct provider and asks it
 * through the pointers below.  Each host lives in providers/<name>/ and
 * the registry (providers/registry.h) lists those that were built.
 */
#ifndef SFCI_PROVIDER_H
#define SFCI_PROVIDER_H

#include "buf.h"

#include <stdbool.h>

enum provider_capability {
    PROVIDER_ENVIRONMENTS = 1 << 0, /* --environment scopes a variable */
    PROVIDER_PROTECTED = 1 << 1,    /* --protected limits it to branches */
    PROVIDER_SEALED = 1 << 2,       /* values are sealed before sending */
    PROVIDER_MASKED = 1 << 3,       /* values are masked in job logs */
    PROVIDER_GROUPS = 1 << 4,       /* --variable-group names the unit */
    PROVIDER_FOLDERS = 1 << 5,      /* --jenkins-folder names the store */
};

/* Where the variables go; a NULL field was not given. */
struct provider_target {
    const char *repo;           /* GitLab group/project, owner/name, ... */
    const char *environment;    /* --environment */
    const char *variable_group; /* --variable-group (the default filled in) */
    const char *folder;         /* --jenkins-folder */
    bool protected_branches;    /* --protected */
};

struct provider {
    const char *name;  /* "gitlab", as --provider spells it */
    const char *title; /* "GitLab", for messages */
    unsigned int capabilities;

    /*
     * Checks a variable against the host's rules for names and values
     * (the value may be NULL when only the name is known).  Returns 0, or
     * SFCI_EINPUT with a message naming the variable, the rule and the
     * fix.  Never puts the value in the message.
     */
    int (*check)(const struct provider_target *target, const char *name,
                 const char *value);

    /*
     * Appends to out how a person enters the variables in the host's web
     * page: the page, the unit, every flag to set.  Several lines, each
     * ending in '\n'; values are not part of it.
     */
    int (*manual_steps)(const struct provider_target *target, struct buf *out);
};

/* true when the host has every capability in mask. */
static inline bool provider_can(const struct provider *p, unsigned int mask)
{
    return (p->capabilities & mask) == mask;
}

#endif
