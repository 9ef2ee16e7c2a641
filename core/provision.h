/*
 * provision: everything sfci does for the selected orgs, as DESIGN.md
 * section 2.1 lays it out, without printing.
 *
 * provision_prepare() reads and checks every selected org before anything
 * changes: a bad config, an unknown branch or a variable the host would
 * refuse stops the run there.  provision_run() then handles the orgs one
 * after the other, stopping at the first failure; what it did is left in
 * the struct for the caller to report, values included.
 */
#ifndef SFCI_PROVISION_H
#define SFCI_PROVISION_H

#include "app.h"
#include "config.h"
#include "http.h"
#include "login.h"
#include "provider.h"
#include "salesforce.h"

#include <stdbool.h>
#include <stddef.h>

#define DEFAULT_LOGIN_URL "https://login.salesforce.com"
#define METADATA_ROOT ".sfci"

enum provision_scope {
    SCOPE_BRANCH,       /* --branch NAME */
    SCOPE_ALL_BRANCHES, /* --all-branches */
    SCOPE_DEVHUB,       /* --devhub */
};

enum key_storage {
    KEY_STORAGE_REPO,     /* the encrypted key in config/.../.jwt/ */
    KEY_STORAGE_VARIABLE, /* the encrypted key in SFDX_CLIENT_CERT_<NAME> */
};

enum variable_action {
    ACTION_CREATED,
    ACTION_UPDATED,
    ACTION_UNCHANGED,
    ACTION_PRINTED, /* --dry-run: shown for manual entry */
    ACTION_PLANNED, /* --plan: nothing generated */
    ACTION_FAILED,
};

struct provision_options {
    enum provision_scope scope;
    const char *branch; /* with SCOPE_BRANCH */
    const struct provider *provider;
    struct provider_target target;
    enum app_kind app_kind;
    enum key_storage key_storage;
    const char *profile;        /* NULL: System Administrator ... */
    const char *permission_set; /* ... unless a permission set is given */
    const char *contact_email;  /* NULL: the org's username */
    const char *username;       /* overrides targetUsername */
    const char *login_url;      /* overrides instanceUrl */
    const char *api_version;    /* "64.0" */
    int days;                   /* certificate lifetime */
    bool dry_run;
    bool no_deploy;
    bool plan;
    bool no_verify;           /* skip the JWT login after the deploy */
    bool retire;              /* sfci retire: no host, no variables */
    long verify_timeout;      /* seconds to wait for the app to propagate */
    long deploy_timeout;      /* seconds to wait for the deploy */
    const char *target_org;   /* the sf CLI's org for the admin session */
    struct http_client *http; /* the caller's; needed unless no_deploy */
    const char *api_url;      /* --api-url of the CI host */
    const char *origin_host;  /* the 'origin' remote, for the host's API */
    const char *origin_path;
    env_lookup env; /* getenv, or a test's */

    /*
     * Progress, one line per step (detail false), or a detail of a step
     * (detail true, for -v); org is NULL for the whole run.
     */
    void (*progress)(void *data, const char *org, bool detail,
                     const char *message);
    void *progress_data;
};

struct provision_variable {
    char *name;
    char *value; /* secret; NULL in a plan */
    enum variable_action action;
    int exists; /* in a plan that read the host: 1 or 0; else -1 */
};

struct provision_org {
    struct org_config config;
    char *suffix;          /* <NAME> of the variables */
    const char *username;  /* from the options or the config */
    const char *login_url; /* from the options, the config or the default */
    bool login_url_default;
    char app[APP_NAME_MAX];
    char *metadata_dir; /* with --no-deploy; NULL otherwise */
    char *key_path;     /* NULL with --key-storage variable */
    char *cert_path;
    struct sf_session admin; /* with a deploy: the admin session */
    char **retired;          /* apps deleted by provision_retire() */
    size_t retired_count;
    char **files; /* repository files written (planned in a plan) */
    size_t file_count;
    struct provision_variable variables[3];
    size_t variable_count;
    bool done; /* every step of this org succeeded */
};

struct provision {
    struct provision_options options;
    struct provider_session *host; /* open unless --dry-run (or a plan
                                      without a token) */
    struct provision_org *orgs;
    size_t count;
};

/*
 * Reads the selected orgs and checks them, their options and their
 * variable names against the host; changes nothing.  p is cleared on
 * entry and released by the caller, also on failure.
 */
int provision_prepare(struct provision *p,
                      const struct provision_options *options);

/*
 * Does the work for every prepared org, in order, stopping at the first
 * failure.  With options.plan nothing is generated or written.
 */
int provision_run(struct provision *p);

/*
 * sfci retire: for every prepared org (options.retire), deletes from the
 * org the apps its config records before the current one, and keeps only
 * the current one in the config.  Refuses when the current app is not in
 * the org, so the only working app is never removed.
 */
int provision_retire(struct provision *p);

/* Wipes the values and frees everything p holds; accepts a zeroed p. */
void provision_release(struct provision *p);

/* "created", "updated", ... as the JSON report spells it. */
const char *variable_action_name(enum variable_action action);

/* "repo" or "variable"; parse returns SFCI_EINPUT for anything else. */
const char *key_storage_name(enum key_storage storage);
int key_storage_parse(const char *text, enum key_storage *out);

/* 0 when url is https://host..., or http:// to a loopback address. */
int login_url_check(const char *url);

#endif
