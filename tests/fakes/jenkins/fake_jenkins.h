/*
 * fake-jenkins: a loopback fake of a Jenkins controller with the
 * Credentials, Plain Credentials and Folders plugins, for tests.
 *
 * It answers the credential stores' REST API the way Jenkins does, errors
 * included: Basic authentication, where an API token is exempt from CSRF
 * crumbs and a password is not; the system store and the stores of the
 * folders given on the command line; XML and form creates, config.xml
 * reads (secrets redacted), updates and deletes; HTML error pages.  It
 * shares no code with sfci on purpose, so that it catches sfci's mistakes
 * instead of repeating them.
 *
 * Threads: libmicrohttpd runs every request on its one internal thread,
 * so the state needs no lock.  Memory: a fake has no caller to report
 * exhaustion to, so it ends on a failed allocation (alloc_check).
 */
#ifndef FAKE_JENKINS_H
#define FAKE_JENKINS_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "fake_server.h"

/* ---- fake_jenkins_util.c: memory, strings, lists, responses ---- */

/* A growable array of pointers; the owner frees the items. */
struct list {
    void **items;
    size_t count;
};

/* alloc_check, xstrdup, xstrndup, xprintf: fake_server.h. */

void list_push(struct list *list, void *item);
/* Takes the item at index out of the list and returns it. */
void *list_take(struct list *list, size_t index);
/* Frees the items with free() and the array. */
void list_free_all(struct list *list);

bool starts_with(const char *text, const char *prefix);
/* Fills out with len lower-case hex digits, then a NUL. */
void random_hex(char *out, size_t len);
/* Decodes standard base64; NULL when text is not base64.  NUL-ended. */
char *base64_decode(const char *text);
/* The decoded value of name in an x-www-form-urlencoded body, or NULL. */
char *form_value(const char *body, const char *name);
/* text with &, <, >, " and ' written as entities, a new string. */
char *markup_escape(const char *text);

/* A request as the router hands it to a handler. */
struct fake_request {
    struct MHD_Connection *connection;
    const char *method;
    const char *path; /* %XX decoded, as Jetty does */
    const char *body; /* NUL-terminated */
    size_t body_len;
};

#define RESPONSE_HEADERS_MAX 6

/* What a handler answers; body and header values are freed with it. */
struct fake_response {
    unsigned int status;
    const char *content_type;
    char *body;
    size_t len;
    const char *header_names[RESPONSE_HEADERS_MAX];
    char *header_values[RESPONSE_HEADERS_MAX];
    size_t header_count;
};

const char *request_header(const struct fake_request *req, const char *name);
const char *request_query(const struct fake_request *req, const char *name);
const char *request_cookie(const struct fake_request *req, const char *name);

/* Takes body (a new string, or NULL for none). */
void response_take(struct fake_response *res, unsigned int status,
                   const char *content_type, char *body);
void response_empty(struct fake_response *res, unsigned int status);
void response_header(struct fake_response *res, const char *name,
                     const char *value);
/* Jetty's HTML error page, as Jenkins serves for a refused request. */
void response_error(struct fake_response *res, const struct fake_request *req,
                    unsigned int status, const char *message);
void response_release(struct fake_response *res);

/* ---- fake_jenkins_store.c: folders, credentials, their XML ---- */

/* A credential kind the fake knows (the XML root is its class). */
struct credential_kind {
    const char *class_name;
    const char *type_name; /* what Jenkins shows: "Secret text" */
    const char *secret_field;
    const char *extra_field; /* username, fileName, or NULL */
};

struct credential {
    const struct credential_kind *kind;
    char *id;
    char *folder; /* NULL: the system store */
    char *scope;  /* GLOBAL, SYSTEM or USER; NULL when not sent */
    char *description;
    char *secret; /* in clear, as the instance key would decrypt it */
    char *extra;
};

struct store {
    struct list folders;     /* char *, full names ("team/crm") */
    struct list credentials; /* struct credential *, in creation order */
};

void store_release(struct store *store);
/* Adds a folder and every folder above it. */
void store_folder_add(struct store *store, const char *full_name);
bool store_folder_exists(const struct store *store, const char *full_name);

/* The credential id in the store of folder (NULL: system), or NULL. */
struct credential *store_find(const struct store *store, const char *folder,
                              const char *id);
/* Appends credential; false (and nothing done) when its id is taken. */
bool store_add(struct store *store, struct credential *credential);
/* Swaps current for replacement in place, then frees current. */
void store_replace(struct store *store, struct credential *current,
                   struct credential *replacement);
void store_remove(struct store *store, struct credential *credential);

struct credential *credential_new(const struct credential_kind *kind,
                                  const char *id, const char *secret);
void credential_free(struct credential *credential);
const struct credential_kind *credential_kind_find(const char *class_name);

/*
 * Reads a credential from the XML Jenkins' XStream takes.  Returns it,
 * or NULL with the exception Jenkins would raise in *problem (freed by
 * the caller).
 */
struct credential *credential_from_xml(const char *xml, size_t len,
                                       char **problem);
/* As GET config.xml shows it: every secret <secret-redacted/>. */
char *credential_to_redacted_xml(const struct credential *credential);

/* ---- fake_jenkins_api.c: the routes ---- */

enum account_kind {
    ACCOUNT_TOKEN,     /* user:apiToken, every permission */
    ACCOUNT_READ_ONLY, /* user:apiToken, reads credentials only */
    ACCOUNT_PASSWORD,  /* user:password, every permission, crumbs */
};

struct account {
    char *user;
    char *secret;
    enum account_kind kind;
};

/* A web session (JSESSIONID) and the crumb issued in it. */
struct web_session {
    char *id;
    char *user;
    char crumb[65];
};

struct jenkins {
    struct store store;
    struct list accounts; /* struct account * */
    struct list sessions; /* struct web_session * */
    struct list requests; /* char *, "METHOD /path" */
    unsigned long requests_seen;
    unsigned long writes_seen;
    unsigned long rate_limit_at; /* 0: never */
    unsigned long fail_write_at; /* 0: never */
    unsigned long latency_ms;
    bool log;
};

void jenkins_release(struct jenkins *jenkins);

/* Answers one request, as Jenkins behind the optional proxy would. */
void jenkins_handle(struct jenkins *jenkins, const struct fake_request *req,
                    struct fake_response *res);

#endif
