/*
 * fake-gitlab: a loopback fake of GitLab's REST API (v4) for the CI/CD
 * variables of projects, for tests.
 *
 * It answers as gitlab.com does, errors included: the status codes and
 * bodies of lib/api/ci/variables.rb and its helpers, the Grape parameter
 * errors, the model validations (key format, masking rules, uniqueness per
 * environment scope), offset pagination with its headers, token scopes
 * and roles, and Rack::Attack's 429.  It shares no code with sfci.
 *
 * Threads: libmicrohttpd runs every request on its one internal thread,
 * so the state needs no lock.  Memory: a fake has no caller to report
 * exhaustion to, so it ends on a failed allocation (alloc_check).
 */
#ifndef FAKE_GITLAB_H
#define FAKE_GITLAB_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "fake_server.h"

/* GitLab's access levels. */
#define LEVEL_DEVELOPER 30
#define LEVEL_MAINTAINER 40

/* ---- fake_gitlab_util.c ---- */

/* alloc_check, xstrdup, xstrndup, xprintf: fake_server.h. */

/* Decodes %XX in place (and '+' as a space when plus is true). */
size_t url_decode(char *text, bool plus);

/* Adds the pairs of an x-www-form-urlencoded text to params (strings). */
void form_parse(const char *text, size_t len, json_t *params);

/*
 * A Grape Boolean: 0 when params has no name, 1 with *out set, -1 when
 * the value is not one Grape takes.
 */
int param_bool(json_t *params, const char *name, bool *out);

/* A Grape String: NULL when absent, else a string owned by params. */
const char *param_string(json_t *params, const char *name);

/* ---- the state ---- */

struct variable {
    char *key;
    char *value;
    char *scope;
    char *type; /* "env_var" or "file" */
    char *description;
    bool protected_;
    bool masked;
    bool hidden;
    bool raw;
};

struct project {
    long id;
    char *path; /* "acme/app" */
    struct variable **variables;
    size_t count;
};

/* A token: whose role, and what its scopes let it do. */
struct token {
    char *secret;
    int level;      /* LEVEL_* */
    bool write;     /* scope api; else read_api */
    bool inherited; /* the role comes from an ancestor group */
};

struct gitlab {
    struct project **projects;
    size_t project_count;
    struct token *tokens;
    size_t token_count;
    json_t *requests; /* "METHOD path?query" strings */
    char *base_url;   /* http://127.0.0.1:PORT */
    unsigned long api_requests;
    unsigned long write_requests;
    unsigned long rate_limit_at;
    unsigned long fail_write_at;
    unsigned long max_per_page;
    long latency_ms;
    bool log;
};

/* ---- fake_gitlab_store.c ---- */

struct project *gitlab_project_add(struct gitlab *gitlab, const char *path);
void gitlab_free(struct gitlab *gitlab);

/* A variable as --seed gives it: "KEY=VALUE[,scope=S,protected,...]". */
int gitlab_seed(struct gitlab *gitlab, const char *spec);

/* The project of an :id, a number or a full path in any case; or NULL. */
struct project *project_find(struct gitlab *gitlab, const char *id);
/* Takes v; project_remove() frees the variable at index. */
void project_push(struct project *project, struct variable *v);
void project_remove(struct project *project, size_t index);

/* A variable of the scope '*', not masked, of type env_var. */
struct variable *variable_new(const char *key, const char *value);
struct variable *variable_copy(const struct variable *v);
void variable_free(struct variable *v);
/* Frees *field and sets it to a copy of text (NULL for none). */
void text_replace(char **field, const char *text);

/* As the API shows it: "value" is null when the variable is hidden. */
json_t *variable_json(const struct variable *v);
/* Every variable of every project, values in clear, for /_fake/. */
json_t *variables_dump(const struct gitlab *gitlab);

/*
 * The validation errors of v, to be saved in project (self: the row it
 * replaces, or NULL), as {field: [message, ...]}; NULL when it is valid.
 */
json_t *variable_errors(const struct project *project, const struct variable *v,
                        const struct variable *self);

/* ---- requests ---- */

struct request {
    const char *method;
    char **segments; /* the path after /api/v4, split and decoded */
    size_t segment_count;
    const char *raw_path;
    json_t *params;            /* query, then body */
    const struct token *token; /* NULL: anonymous */
};

struct response {
    unsigned int status;
    const char *content_type;
    char *body;
    struct {
        const char *name;
        char *value;
    } headers[8];
    size_t header_count;
};

void response_header(struct response *res, const char *name, char *value);
void response_json(struct response *res, unsigned int status, json_t *json);
/* {"message": text}, as GitLab's API errors are made. */
void response_message(struct response *res, unsigned int status,
                      const char *text);
/* {"error": text}, as Grape's parameter errors and unknown routes are. */
void response_error(struct response *res, unsigned int status,
                    const char *text);

/* fake_gitlab_api.c: everything under /api/v4. */
void api_handle(struct gitlab *gitlab, const struct request *req,
                struct response *res);

/* /_fake/variables and /_fake/requests. */
void introspect_handle(struct gitlab *gitlab, const char *method,
                       const char *path, struct response *res);

#endif
