/*
 * fake-bitbucket: a loopback fake of Bitbucket Cloud's REST API 2.0 for
 * Pipelines variables, for tests.
 *
 * It answers what sfci sends to Bitbucket the way Bitbucket does, errors
 * included: repositories, deployment environments, repository and
 * deployment variables, with {uuid} identifiers in braces, secured values
 * never shown, pages of two items, 201 and Location on a create, 409 for
 * a key that exists.  It shares no code with sfci on purpose.
 *
 * Threads: libmicrohttpd runs every request on its one internal thread,
 * so the state needs no lock.  Memory: a fake has no caller to report
 * exhaustion to, so it ends on a failed allocation (alloc_check).
 */
#ifndef FAKE_BITBUCKET_H
#define FAKE_BITBUCKET_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "fake_server.h"

/* Bitbucket serves up to 100 items a page; the fake 2, so paging shows. */
#define PAGELEN_MAX 2
#define PAGELEN_ACCEPTED 100

/* ---- fake_bitbucket_util.c ---- */

/* A growable array of pointers; the owner frees the items. */
struct list {
    void **items;
    size_t count;
};

/* alloc_check, xstrdup, xstrndup, xprintf: fake_server.h. */
void list_push(struct list *list, void *item);
void *list_take(struct list *list, size_t index);
void list_release(struct list *list);

bool starts_with(const char *text, const char *prefix);
/* A new "{xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx}", random. */
char *uuid_new(void);
/* Whether text is a uuid in braces, as Bitbucket writes them. */
bool uuid_valid(const char *text);
/* Decodes %XX in place; false when an escape is malformed. */
bool percent_decode(char *text);
/* Decodes standard base64; NULL when text is not base64. */
char *base64_decode(const char *text);

/* A request as the router hands it to a handler. */
struct request {
    struct MHD_Connection *connection;
    const char *method;
    const char *raw_path; /* as sent, without the query */
    const char *query;    /* as sent, after '?', or "" */
    char **segments;      /* decoded path segments after /2.0/ */
    size_t segment_count;
    const char *body; /* NUL-terminated */
    size_t body_len;
};

/* What a handler answers; every string is the response's own. */
struct response {
    unsigned int status;
    const char *content_type;
    char *body;
    size_t len;
    char *location;   /* Location header, or NULL */
    bool retry_after; /* Retry-After: 1 */
};

const char *request_header(const struct request *req, const char *name);
/* The raw value of name in the query string, or NULL. */
char *request_query(const struct request *req, const char *name);

void response_set(struct response *res, unsigned int status,
                  const char *content_type, const char *text);
/* Serialises json, and drops the reference it is given. */
void response_json(struct response *res, unsigned int status, json_t *json);
/* {"type": "error", "error": {"message": ..., "detail": ...}}. */
void response_error(struct response *res, unsigned int status,
                    const char *message, const char *detail);

/* ---- fake_bitbucket_store.c ---- */

struct variable {
    char *uuid;
    char *key;
    char *value;
    bool secured;
};

struct environment {
    char *uuid;
    char *name;
    char *slug;
    const char *type; /* Test, Staging or Production */
    int rank;
    struct list variables;
};

struct repository {
    char *workspace;
    char *slug;
    char *uuid;
    struct list environments;
    struct list variables;
};

enum role {
    ROLE_NONE,  /* no credentials: an anonymous request */
    ROLE_BAD,   /* credentials Bitbucket does not accept */
    ROLE_READ,  /* may read the repository, not write its variables */
    ROLE_ADMIN, /* may write variables */
};

struct fake {
    struct list tokens;      /* Bearer tokens that may write */
    struct list basics;      /* "user:token" pairs that may write */
    struct list read_tokens; /* Bearer tokens that may only read */
    struct list repositories;
    long latency_ms;
    unsigned long rate_limit_at; /* 0: never */
    unsigned long fail_write_at; /* 0: never */
    unsigned long requests;      /* API requests so far */
    unsigned long writes;        /* variable writes so far */
    struct list log;             /* "METHOD target" of each */
    unsigned int port;
};

struct repository *repository_add(struct fake *fake, const char *full_name);
struct repository *repository_find(struct fake *fake, const char *workspace,
                                   const char *slug);
struct environment *environment_add(struct repository *repo, const char *name,
                                    const char *type, int rank);
struct environment *environment_by_name(struct repository *repo,
                                        const char *name);
struct environment *environment_by_uuid(struct repository *repo,
                                        const char *uuid);
struct variable *variable_add(struct list *variables, const char *key,
                              const char *value, bool secured);
struct variable *variable_by_key(struct list *variables, const char *key);
struct variable *variable_by_uuid(struct list *variables, const char *uuid);
void variable_delete(struct list *variables, struct variable *variable);
/* Whether Bitbucket takes key as a variable name. */
bool variable_name_valid(const char *key);
void fake_release(struct fake *fake);

/* ---- fake_bitbucket_api.c ---- */

/* Answers one request of the API (under /2.0/), credentials checked. */
void api_handle(struct fake *fake, const struct request *req,
                struct response *res);

#endif
