/*
 * fake-salesforce: a loopback fake of one Salesforce org, for tests.
 *
 * It answers the OAuth 2.0 JWT bearer flow, the SOAP Metadata API calls a
 * deploy needs and a few REST resources the way the real hosts do, errors
 * included, so that sfci's tests catch the mistakes Salesforce would
 * refuse.  It shares no code with sfci on purpose.
 *
 * Threads: libmicrohttpd runs every request on its one internal thread,
 * so the org state needs no lock.  Memory: a fake has no caller to report
 * exhaustion to, so it ends on a failed allocation (alloc_check) instead
 * of threading -ENOMEM through every step.
 */
#ifndef FAKE_SALESFORCE_H
#define FAKE_SALESFORCE_H

#include <jansson.h>
#include <libxml/tree.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_server.h"

#define METADATA_NS "http://soap.sforce.com/2006/04/metadata"
#define SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* The API versions Salesforce serves in Summer '26 (67.0). */
#define API_VERSION_MIN 31
#define API_VERSION_MAX 67

/* Salesforce IDs are 18 characters: 15 case-sensitive plus 3 of checksum. */
#define ID_LEN 18

/* ---- fake_util.c: memory, strings, lists, encodings, responses ---- */

/* A growable array of pointers; the owner frees the items. */
struct list {
    void **items;
    size_t count;
};

/* malloc that never returns NULL (alloc_check and the rest: common). */
void *xmalloc(size_t size);

void list_push(struct list *list, void *item);
/* Takes the item at index out of the list and returns it. */
void *list_take(struct list *list, size_t index);
/* Frees the array, not the items. */
void list_release(struct list *list);

/*
 * Splits text at each separator into trimmed, non-empty words: a
 * NULL-terminated array that words_free() frees.
 */
char **words_split(const char *text, char separator);
bool words_contain(char *const *words, const char *word);
void words_free(char **words);

int64_t clock_ms(void);
bool starts_with(const char *text, const char *prefix);

/* Fills out with len random letters and digits, then a NUL. */
void random_text(char *out, size_t len);

/* The decoded value of name in an x-www-form-urlencoded body, or NULL. */
char *form_value(const char *body, size_t len, const char *name);

/* The first element child of node, and the element after node. */
xmlNodePtr xml_first(xmlNodePtr node);
xmlNodePtr xml_next(xmlNodePtr node);
/* Whether node is the element {ns}name; ns NULL means no namespace. */
bool xml_is(xmlNodePtr node, const char *ns, const char *name);
/* The first child element {metadata}name, or NULL. */
xmlNodePtr xml_child(xmlNodePtr node, const char *name);
/* The text of node, a new string ("" for none). */
char *xml_text(xmlNodePtr node);
/* The text of the child {metadata}name, or NULL without one. */
char *xml_child_text(xmlNodePtr node, const char *name);
/* The namespace URI of node, "" for none. */
const char *xml_ns(xmlNodePtr node);

/* A request as the router hands it to a handler. */
struct fake_request {
    struct MHD_Connection *connection;
    const char *method;
    const char *path;
    const char *body; /* NUL-terminated */
    size_t body_len;
};

/* What a handler answers; body is the response's, freed with it. */
struct fake_response {
    unsigned int status;
    const char *content_type;
    char *body;
    size_t len;
};

const char *request_header(const struct fake_request *req, const char *name);
const char *request_query(const struct fake_request *req, const char *name);
/* The token of an "Authorization: Bearer" (or "OAuth") header, or NULL. */
const char *request_bearer(const struct fake_request *req);

void response_set(struct fake_response *res, unsigned int status,
                  const char *content_type, const char *body, size_t len);
/* Serialises json, and drops the reference it is given. */
void response_json(struct fake_response *res, unsigned int status,
                   json_t *json);
/* {"error": ..., "error_description": ...}, as the OAuth endpoints say. */
void response_oauth_error(struct fake_response *res, unsigned int status,
                          const char *error, const char *description);
/* [{"message": ..., "errorCode": ...}], as the REST API says. */
void response_rest_error(struct fake_response *res, unsigned int status,
                         const char *code, const char *message);
/* The REST API's 404 for any resource it does not have. */
void response_not_found(struct fake_response *res);

/* ---- fake_org.c: the org's users, sessions, components and apps ---- */

struct fake_user {
    char *username;
    char *profile;
    char **permission_sets;
    char id[ID_LEN + 1];
};

/* An access token and whom it logs in. */
struct fake_session {
    char *token;
    const struct fake_user *user;
    bool api; /* granted the api scope, which SOAP and REST need */
};

/* A metadata component as deployed: its file, parsed and checked. */
struct fake_component {
    char *type;
    char *full_name;
    char *file_name;
    xmlDocPtr doc; /* root element: the type, in the metadata namespace */
    int64_t deployed_at_ms;
};

/* --fail-component NAME=MESSAGE */
struct fake_fail_rule {
    char *component;
    char *message;
};

struct fake_login {
    char *app;
    unsigned long count;
};

struct fake_org {
    char *org_id;
    char *instance_url;
    bool production;
    bool allow_connected_apps;
    int64_t propagation_ms;
    int64_t deploy_ms;
    unsigned long token_fail;

    struct list users;      /* struct fake_user *, fixed at start */
    struct list sessions;   /* struct fake_session * */
    struct list components; /* struct fake_component * */
    struct list deploys;    /* struct fake_deploy *, oldest first */
    struct list fail_rules; /* struct fake_fail_rule * */
    struct list logins;     /* struct fake_login * */

    unsigned long next_id;
    unsigned long token_requests;
};

struct fake_org *org_new(void);
void org_free(struct fake_org *org);

/*
 * Adds a user from "USERNAME:PROFILE[:PERMSET,...]".  Returns it, or NULL
 * when spec is not of that shape.
 */
const struct fake_user *org_user_add(struct fake_org *org, const char *spec);
/* Usernames compare without case, as Salesforce's do. */
const struct fake_user *org_user_find(const struct fake_org *org,
                                      const char *username);

void org_session_add(struct fake_org *org, const char *token,
                     const struct fake_user *user, bool api);
const struct fake_session *org_session_find(const struct fake_org *org,
                                            const char *token);

/* A new 18-character ID with the key prefix (3 characters) of its kind. */
void org_id_new(struct fake_org *org, const char *prefix, char out[ID_LEN + 1]);

struct fake_component *org_component_find(const struct fake_org *org,
                                          const char *type,
                                          const char *full_name);
/* Stores component in the org, replacing one of the same type and name. */
void org_component_put(struct fake_org *org, struct fake_component *component);
/*
 * Deletes a component; deleting an ExternalClientApplication also deletes
 * the settings that name it.  Returns false when there is none.
 */
bool org_component_delete(struct fake_org *org, const char *type,
                          const char *full_name);
void component_free(struct fake_component *component);

void org_login_count(struct fake_org *org, const char *app);

/* An app as the token endpoint sees it, gathered from its components. */
enum app_kind { APP_ECA, APP_CONNECTED_APP };

struct fake_app {
    const char *name; /* the header component's */
    enum app_kind kind;
    int64_t deployed_at_ms;
    char *consumer_key;
    char *certificate;
    bool oauth_enabled;  /* OAuth settings present, plugin not disabled */
    bool admin_approved; /* pre-authorised users only */
    char **profiles;
    char **permission_sets;
    char **scopes;
};

/* Whether the component is the header of an app (ECA or Connected App). */
bool component_is_app(const struct fake_component *component);
void app_load(const struct fake_org *org, const struct fake_component *header,
              struct fake_app *out);
void app_release(struct fake_app *app);
/* Loads the app whose consumer key is key into out; false when none. */
bool app_find_by_key(const struct fake_org *org, const char *key,
                     struct fake_app *out);
/* Whether the app's pre-authorisation covers the user. */
bool app_authorizes(const struct fake_app *app, const struct fake_user *user);

/* ---- fake_schema.c: the metadata types and their fields ---- */

struct schema;

struct meta_type {
    const char *name;
    const char *folder;
    const char *suffix;
    int min_api;
    bool eca_child; /* names its ExternalClientApplication */
    const struct schema *schema;
};

const struct meta_type *meta_type_by_name(const char *name);
/*
 * The type of a metadata-format path like "externalClientApps/X.eca", and
 * in full_name the component's name (a new string); NULL when none.
 */
const struct meta_type *meta_type_by_path(const char *path, char **full_name);

extern const struct schema package_schema;
extern const struct schema deploy_options_schema;

/*
 * Checks the children of node against schema at API version api: names,
 * order, values and required fields.  Returns the first problem, a new
 * string, or NULL.  Parse-level problems start with prefix.
 */
char *schema_check(const struct schema *schema, xmlNodePtr node, int api,
                   const char *prefix);

/* ---- fake_deploy.c and fake_package.c: deploys of a zip ---- */

enum deploy_status {
    DEPLOY_PENDING,
    DEPLOY_IN_PROGRESS,
    DEPLOY_SUCCEEDED,
    DEPLOY_SUCCEEDED_PARTIAL,
    DEPLOY_FAILED,
};

struct deploy_options {
    bool allow_missing_files;
    bool check_only;
    bool ignore_warnings;
    bool purge_on_delete;
    bool rollback_on_error;
    bool single_package;
    char *test_level; /* NULL when not sent */
};

/* One line of a deploy's details: a component failure or success. */
struct deploy_message {
    char *type;
    char *full_name;
    char *file_name;
    char *problem; /* failures only */
    bool warning;  /* a failure of problemType Warning */
    bool created;  /* successes: new in the org */
    bool deleted;  /* successes: removed by destructive changes */
};

struct fake_deploy {
    char id[ID_LEN + 1];
    int api_version; /* of the endpoint, for a package.xml without one */
    struct deploy_options options;
    json_t *options_json; /* as sent, for /_fake/deploys */
    unsigned char *zip;   /* until settled */
    size_t zip_len;
    int64_t created_ms;
    int64_t start_ms;
    int64_t done_ms;
    bool settled;
    enum deploy_status status;
    char *error_code; /* a whole-deploy error */
    char *error_message;
    struct list failures;  /* struct deploy_message * */
    struct list successes; /* struct deploy_message * */
    size_t components_total;
    size_t components_deployed;
};

/*
 * Queues a deploy of the SOAP operation node.  Returns it, or NULL with a
 * client fault in problem when the request itself is not valid.
 */
struct fake_deploy *deploy_start(struct fake_org *org, xmlNodePtr node,
                                 int api_version, char **problem);
struct fake_deploy *deploy_find(const struct fake_org *org, const char *id);
/* Finishes, in order, every deploy whose time has come. */
void deploys_settle(struct fake_org *org, int64_t now);
/* The status of a deploy at time now. */
enum deploy_status deploy_status_at(const struct fake_deploy *deploy,
                                    int64_t now);
const char *deploy_status_name(enum deploy_status status);
void deploy_free(struct fake_deploy *deploy);
void deploy_message_free(struct deploy_message *message);

/* A member of a manifest: a component to deploy or to delete. */
struct package_member {
    char *type;
    char *full_name;
};

/* What a deploy's zip holds once read and checked against the org. */
struct package {
    struct list components;   /* struct fake_component *, valid ones */
    struct list deletes_pre;  /* struct package_member * */
    struct list deletes_post; /* struct package_member * */
    struct list failures;     /* struct deploy_message * */
    size_t total;
    char *error; /* the zip cannot be read: the whole deploy fails */
};

/* Reads and checks the deploy's zip against the org into out. */
void package_read(const struct fake_org *org, const struct fake_deploy *deploy,
                  struct package *out);
void package_release(struct package *pkg);

/* ---- the request handlers ---- */

/* fake_token.c: POST /services/oauth2/token */
void token_handle(struct fake_org *org, const struct fake_request *req,
                  struct fake_response *res);

/* fake_soap.c: POST /services/Soap/m/<version> */
void soap_handle(struct fake_org *org, const struct fake_request *req,
                 struct fake_response *res);

/* fake_rest.c: /services/oauth2/userinfo, /services/data/..., /_fake/... */
void rest_userinfo(struct fake_org *org, const struct fake_request *req,
                   struct fake_response *res);
void rest_data(struct fake_org *org, const struct fake_request *req,
               struct fake_response *res);
void introspect_handle(struct fake_org *org, const struct fake_request *req,
                       struct fake_response *res);

#endif
