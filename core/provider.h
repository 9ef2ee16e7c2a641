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
#include "http.h"

#include <stdbool.h>
#include <stddef.h>

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

/* What a host needs to talk to its API; all of it is the caller's. */
struct provider_context {
    struct http_client *http;
    const char *(*env)(const char *name); /* getenv, or a test's */
    const char *api_url;     /* --api-url, else NULL: from env or default */
    const char *origin_host; /* host of the 'origin' remote, or NULL */
    const char *origin_path; /* its path ("acme/app"), or NULL */
    const struct provider_target *target;
};

/* An open connection to a host's API: the host's own state. */
struct provider_session;

/* What became of one variable. */
enum provider_outcome {
    OUTCOME_PENDING,   /* not written yet */
    OUTCOME_CREATED,   /* it did not exist */
    OUTCOME_UPDATED,   /* it existed and was replaced */
    OUTCOME_UNCHANGED, /* it existed with this value (where that shows) */
    OUTCOME_FAILED,    /* the host refused or failed; see message */
};

struct provider_variable {
    const char *name;
    const char *value; /* secret */
    enum provider_outcome outcome;
    char message[256]; /* with OUTCOME_FAILED: why, one line, no value */
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

    /*
     * Opens a session: reads the token (from the host's variables, never
     * argv) and the API root.  A missing token or repository is
     * SFCI_EINPUT naming the variable or flag to set.  Sends nothing.
     */
    int (*open)(const struct provider_context *context,
                struct provider_session **out);

    /*
     * Before anything changes: the token is accepted (else SFCI_EAUTH
     * with the scope or role it needs), the repository and environment
     * exist (else SFCI_EINPUT), and write access where the API can tell
     * it without writing (else SFCI_EAUTH).  Changes nothing.
     */
    int (*preflight)(struct provider_session *session);

    /*
     * For a plan: sets exists[i] for each of names, reading the host;
     * changes nothing.
     */
    int (*exist)(struct provider_session *session, const char *const *names,
                 size_t count, bool *exists);

    /*
     * Creates or updates each variable, keeping everything else of the
     * host as it was, and sets each outcome.  Rate limits are waited out
     * within a bound.  Returns 0 when all were written; otherwise the
     * error of the first failure, with the failed ones marked and the
     * others written or still pending.
     */
    int (*write)(struct provider_session *session,
                 struct provider_variable *variables, size_t count);

    /* Ends the session and frees it; accepts NULL. */
    void (*close)(struct provider_session *session);
};

/* true when the host has every capability in mask. */
static inline bool provider_can(const struct provider *p, unsigned int mask)
{
    return (p->capabilities & mask) == mask;
}

#endif
