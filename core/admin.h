/*
 * The Salesforce admin session that provision deploys with, per org:
 * SF_ACCESS_TOKEN_<NAME> and SF_ORG_INSTANCE_URL_<NAME>, else
 * SF_ACCESS_TOKEN and SF_ORG_INSTANCE_URL, else the session the
 * Salesforce CLI holds for --target-org (or, without it, for the org's
 * username), read with `sf org auth show-access-token --json` and
 * `sf org display --json`.
 */
#ifndef SFCI_ADMIN_H
#define SFCI_ADMIN_H

#include "login.h"
#include "salesforce.h"

/*
 * Finds the admin session of the org whose variable suffix is suffix and
 * whose CI user is username, into out (cleared on entry; release it with
 * sf_session_release).  SFCI_EINPUT when there is none, saying how to
 * give one.
 */
int admin_session_find(env_lookup env, const char *suffix,
                       const char *target_org, const char *username,
                       struct sf_session *out);

#endif
