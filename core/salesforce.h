/*
 * The Salesforce APIs sfci calls: the OAuth token endpoint (JWT bearer
 * flow), the SOAP Metadata API (deploy, checkDeployStatus,
 * deleteMetadata) and a little REST, all through one http_client.
 */
#ifndef SFCI_SALESFORCE_H
#define SFCI_SALESFORCE_H

#include "buf.h"
#include "http.h"

#include <openssl/evp.h>
#include <stdbool.h>

#define SF_LOGIN_AUDIENCE "https://login.salesforce.com"
#define SF_TEST_AUDIENCE "https://test.salesforce.com"

/* A logged-in session.  access_token is secret: released with a wipe. */
struct sf_session {
    char *access_token;
    char *instance_url;
    char *username;
    char *org_id;
    char *user_id;
};

/* A JWT bearer login. */
struct sf_jwt {
    const char *login_url; /* its /services/oauth2/token takes the JWT */
    const char *client_id; /* the consumer key */
    const char *username;
    EVP_PKEY *key;
    const char *audience; /* NULL: chosen from login_url, one fallback */
};

/* What the token endpoint said when it refused a login. */
struct sf_token_error {
    long status;
    char error[64];        /* "invalid_grant" */
    char description[256]; /* "user hasn't approved this consumer" */
};

/*
 * Logs in with the JWT bearer flow into out (cleared on entry; release it
 * even on failure).  A refusal is SFCI_EAUTH with a one-line message that
 * says what to fix; failure, when not NULL, gets what Salesforce said.
 */
int sf_login_jwt(struct http_client *http, const struct sf_jwt *jwt,
                 struct sf_session *out, struct sf_token_error *failure);

/*
 * true when a refusal is one Salesforce gives while a new app propagates
 * (client identifier invalid, user hasn't approved this consumer, app not
 * installed): worth trying again for a while after a deploy.
 */
bool sf_token_error_is_propagating(const struct sf_token_error *failure);

/* One component the Metadata API could not deploy. */
struct sf_component_failure {
    char *type;      /* "ExtlClntAppGlobalOauthSettings" */
    char *full_name; /* "sfci_uat_20261203101500GlblOAuth" */
    char *problem;   /* Salesforce's message */
};

struct sf_deploy_result {
    char *id;     /* 0Af... */
    char *status; /* Succeeded, Failed, Canceled, ... */
    bool success;
    char *error_message; /* a whole-deploy error, or NULL */
    struct sf_component_failure *failures;
    size_t failure_count;
};

/* Reports each change of a deploy's state, for a progress line. */
typedef void (*sf_deploy_progress)(void *data, const char *status);

/*
 * Deploys a metadata zip with the SOAP Metadata API (no testLevel, so no
 * Apex test runs for a package without Apex, production included;
 * rollbackOnError true) and waits for it, polling checkDeployStatus every
 * 0.5 s growing to 5 s, up to timeout_ms.  A refused session is
 * SFCI_EAUTH; a failed deploy SFCI_EFAIL naming every component failure;
 * result (cleared on entry, released by the caller) says what happened.
 */
int sf_deploy(struct http_client *http, const struct sf_session *admin,
              const char *api_version, const struct buf *zip, long timeout_ms,
              sf_deploy_progress progress, void *progress_data,
              struct sf_deploy_result *result);

void sf_deploy_result_release(struct sf_deploy_result *result);

/*
 * Deletes components of one type (at most 10 names) with deleteMetadata.
 * A name that does not exist is not an error: the goal is that it is
 * gone.
 */
int sf_delete_metadata(struct http_client *http, const struct sf_session *admin,
                       const char *api_version, const char *type,
                       const char *const *names, size_t count);

/*
 * Tells with readMetadata whether a component of type called name is in
 * the org: *exists is set, 0 returned; an error only when the call fails.
 */
int sf_metadata_exists(struct http_client *http, const struct sf_session *admin,
                       const char *api_version, const char *type,
                       const char *name, bool *exists);

/*
 * Checks that the admin session works and that username is a user of its
 * org (REST query).  SFCI_EAUTH for a refused session, SFCI_EINPUT for an
 * unknown user.
 */
int sf_check_user(struct http_client *http, const struct sf_session *admin,
                  const char *api_version, const char *username);

/* The audience for a login URL: test for sandboxes, else login. */
const char *sf_audience_for(const char *login_url);

void sf_session_release(struct sf_session *session);

#endif
