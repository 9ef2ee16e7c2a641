/*
 * What `sfci login` needs before it can call Salesforce, found as
 * sfdx-hardis finds it, so a project it set up logs in unchanged:
 *
 * - the org: --branch, else CONFIG_BRANCH, else ORG_ALIAS, else the
 *   target branch of a merge or pull request, else the current branch, as
 *   each CI host names them (the first '/' of a branch becomes "__", as
 *   sfdx-hardis names its config files); --devhub: the Dev Hub;
 * - SFDX_CLIENT_ID_<NAME>, else SFDX_CLIENT_ID; the same for
 *   SFDX_CLIENT_KEY;
 * - the key: SFDX_CLIENT_CERT_<NAME> (clear PEM, or encrypted), else the
 *   file config/branches/.jwt/<name>.key, else config/.jwt/<name>.key;
 * - the username: TARGET_USERNAME, else targetUsername (devHubUsername);
 * - the login URL: INSTANCE_URL, else instanceUrl (devHubInstanceUrl),
 *   else https://login.salesforce.com;
 * - the audience: SF_AUDIENCE_URL, else chosen from the login URL.
 *
 * Environment variables are read through a lookup function, so tests can
 * hand in their own.
 */
#ifndef SFCI_LOGIN_H
#define SFCI_LOGIN_H

#include <openssl/evp.h>
#include <stdbool.h>

typedef const char *(*env_lookup)(const char *name);

struct login_options {
    const char *branch; /* --branch; NULL: from the CI's variables */
    bool devhub;
    env_lookup env; /* getenv, or a test's */
};

struct login_target {
    char *name;   /* the branch (as its config file spells it) or alias */
    char *suffix; /* <NAME> of the variables */
    char *username;
    char *login_url;
    char *client_id;
    char *audience; /* SF_AUDIENCE_URL, or NULL */
    char *key_from; /* where the key came from, for messages */
    EVP_PKEY *key;
};

/*
 * Finds the org, its variables and its key.  Anything missing or wrong is
 * SFCI_EINPUT naming the variable or file and the fix.  out is cleared on
 * entry; release it even on failure.
 */
int login_resolve(const struct login_options *options,
                  struct login_target *out);

void login_target_release(struct login_target *target);

#endif
