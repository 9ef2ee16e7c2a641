/*
 * fake-github: a loopback fake of the GitHub REST API for Actions
 * secrets, for sfci's tests.  It shares no code with sfci.
 *
 * What it copies from GitHub (https://docs.github.com/rest/actions/secrets):
 * repositories with their environments, one X25519 key pair per scope
 * (the repository, each environment) with its own key_id, sealed values
 * opened with crypto_box_seal_open, PUT answering 201 then 204, the name
 * rules and the 48 KB limit, paginated lists with a Link header, both
 * environment path forms, the status codes and JSON error bodies, and the
 * x-ratelimit-* headers.  The plain text of each secret is kept for the
 * tests, under /_fake/.
 */
#ifndef FAKE_GITHUB_H
#define FAKE_GITHUB_H

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fake_server.h"

#define KEY_ID_MAX 24
#define TIME_TEXT_MAX 24

struct secret {
    char *name; /* upper case */
    char *value;
    size_t value_len;
    char created_at[TIME_TEXT_MAX];
    char updated_at[TIME_TEXT_MAX];
};

/* The repository itself (environment NULL), or one of its environments. */
struct scope {
    char *environment;
    long id; /* of the environment */
    unsigned char public_key[crypto_box_PUBLICKEYBYTES];
    unsigned char secret_key[crypto_box_SECRETKEYBYTES];
    char key_id[KEY_ID_MAX];
    struct secret *secrets;
    size_t secret_count;
};

struct repo {
    char *owner;
    char *name;
    long id;
    struct scope scope;
    struct scope *environments;
    size_t environment_count;
};

enum access {
    ACCESS_NONE,  /* no token, or not a known one */
    ACCESS_READ,  /* --read-only-token */
    ACCESS_ADMIN, /* --token */
};

struct fake {
    pthread_mutex_t lock;
    const char *token;
    const char *read_only_token;
    struct repo *repos;
    size_t repo_count;
    char **requests; /* "METHOD /path?query" as received */
    size_t request_count;
    long latency_ms;
    unsigned long rate_limit_at; /* 0: never */
    int rate_limit_status;       /* 403 or 429 */
    bool rate_limit_primary;     /* remaining 0 and a reset, no retry-after */
    unsigned long fail_write_at; /* 0: never */
    unsigned long writes;        /* secret-writing requests so far */
    unsigned int max_per_page;
    long rate_used; /* for the x-ratelimit-* headers */
    bool log;
};

struct request {
    struct MHD_Connection *connection;
    const char *method;
    const char *path;  /* as received, still percent-encoded */
    const char *query; /* after '?', or "" */
    const char *body;
    size_t body_len;
    enum access access;
};

struct header {
    char *name;
    char *value;
};

struct response {
    unsigned int status;
    char *body; /* NULL: no body (204) */
    size_t len;
    struct header *headers;
    size_t header_count;
};

/* ---- fake_github_api.c ---- */

/* Answers a request of the host's API (not /_fake/); lock held. */
void api_handle(struct fake *fake, const struct request *req,
                struct response *res);

/* GET /_fake/variables and /_fake/requests; lock held. */
void introspect_handle(struct fake *fake, const struct request *req,
                       struct response *res);

/* ---- fake_github_store.c ---- */

struct repo *repo_add(struct fake *fake, const char *owner_name);
struct repo *repo_find(struct fake *fake, const char *owner, const char *name);
struct repo *repo_find_id(struct fake *fake, long id);
struct scope *environment_add(struct repo *repo, const char *name);
struct scope *environment_find(struct repo *repo, const char *name);
struct secret *secret_find(struct scope *scope, const char *name);

/* Stores value under name (upper-cased); true when it was created. */
bool secret_put(struct scope *scope, const char *name, const char *value,
                size_t value_len);
bool secret_delete(struct scope *scope, const char *name);
void fake_release(struct fake *fake);

/* ---- fake_github_util.c ---- */

/* alloc_check, xstrdup, xstrndup, xprintf: fake_server.h. */
void time_now_text(char out[TIME_TEXT_MAX]);

/* Decodes %XX in place; returns false for a bad escape or a NUL. */
bool percent_decode(char *text);

/* The value of key in an a=1&b=2 query, decoded, or NULL; caller frees. */
char *query_value(const char *query, const char *key);

void response_header(struct response *res, const char *name, const char *format,
                     ...) __attribute__((format(printf, 3, 4)));

/* A JSON body (json is consumed). */
void response_json(struct response *res, unsigned int status, json_t *json);

/* GitHub's error body: message, documentation_url, status. */
void response_error(struct response *res, unsigned int status,
                    const char *message, const char *doc);
void response_empty(struct response *res, unsigned int status);
void response_release(struct response *res);

#endif
