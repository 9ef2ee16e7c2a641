/*
 * GitHub Actions: repository secrets, or environment secrets with
 * --environment; values are sealed with the repository's public key.
 *
 * Rules, from the secrets reference
 * (https://docs.github.com/actions/reference/secrets-reference):
 * - a name holds only [A-Za-z0-9_], does not start with a digit and does
 *   not start with GITHUB_ (in any case: names are case-insensitive);
 * - a value is at most 48 KB, which the REST API counts as 49,152 bytes
 *   of plain text before sealing.
 */
#include "errors.h"
#include "http.h"
#include "provider.h"
#include "rules.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GITHUB_NAME_CHARS RULES_ALNUM "_"
#define GITHUB_RESERVED_PREFIX "GITHUB_"
#define GITHUB_VALUE_MAX 49152

static int github_check_name(const char *name)
{
    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "GitHub refuses an empty secret "
                                      "name: give the secret a name");
    if (!rules_all_in(name, GITHUB_NAME_CHARS))
        return error_set(SFCI_EINPUT,
                         "GitHub refuses the secret name '%s' (only "
                         "letters, digits and '_' are allowed): rename it",
                         name);
    if (rules_starts_with_digit(name))
        return error_set(SFCI_EINPUT,
                         "GitHub refuses the secret name '%s' (it starts "
                         "with a digit): rename it to start with a letter "
                         "or '_'",
                         name);
    if (rules_has_prefix_nocase(name, GITHUB_RESERVED_PREFIX))
        return error_set(SFCI_EINPUT,
                         "GitHub refuses the secret name '%s' (names "
                         "starting with GITHUB_ are reserved): rename it",
                         name);
    return 0;
}

static int github_check_value(const char *name, const char *value)
{
    if (value == NULL)
        return 0;
    if (rules_check_filled("the GitHub secret", name, value) < 0)
        return SFCI_EINPUT;
    if (rules_longer_than(value, GITHUB_VALUE_MAX))
        return error_set(SFCI_EINPUT,
                         "GitHub refuses the value of '%s' (a secret holds "
                         "at most 48 KB): keep the key in the repository "
                         "with --key-storage repo",
                         name);
    return 0;
}

static int github_check(const struct provider_target *target, const char *name,
                        const char *value)
{
    int rc = github_check_name(name);

    if (rc < 0)
        return rc;
    return github_check_value(name, value);
}

/* Where the secrets are entered: the repository or one environment. */
static int github_steps_place(const struct provider_target *target,
                              struct buf *out)
{
    if (buf_printf(out, "In GitHub, open %s%s.\n",
                   target->repo ? "the repository " : "your repository",
                   target->repo ? target->repo : "") < 0)
        return SFCI_EFAIL;

    if (target->environment == NULL) {
        if (buf_puts(out, "Select Settings > Secrets and variables > "
                          "Actions, then the Secrets tab.\n"
                          "For each variable, select New repository "
                          "secret and set:\n") < 0)
            return SFCI_EFAIL;
        return 0;
    }

    if (buf_printf(out,
                   "Select Settings > Environments, then the "
                   "environment %s\n",
                   target->environment) < 0 ||
        buf_puts(out, "(create it with New environment if it is "
                      "missing).\n"
                      "For each variable, select Add environment secret "
                      "under Environment\n"
                      "secrets and set:\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

/* A workflow gets no secret that it does not name. */
static int github_steps_workflow(const struct provider_target *target,
                                 struct buf *out)
{
    if (buf_puts(out, "A workflow sees only the secrets it names, so the "
                      "job that runs sfci login\n"
                      "maps each one, NAME standing for each variable "
                      "name:\n") < 0)
        return SFCI_EFAIL;
    if (target->environment != NULL &&
        buf_printf(out, "  environment: %s\n", target->environment) < 0)
        return SFCI_EFAIL;
    if (buf_puts(out, "  env:\n"
                      "    NAME: ${{ secrets.NAME }}\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

static int github_manual_steps(const struct provider_target *target,
                               struct buf *out)
{
    int rc = github_steps_place(target, out);

    if (rc < 0)
        return rc;
    if (buf_puts(out, "  Name: the variable name\n"
                      "  Secret: its value\n"
                      "then select Add secret. If the secret exists, "
                      "update it instead.\n") < 0)
        return SFCI_EFAIL;
    return github_steps_workflow(target, out);
}

/*
 * The REST API (https://docs.github.com/rest/actions/secrets).
 *
 * A session reads the repository once (preflight), fetches the public key
 * of its scope once and seals every value with it.  Its requests:
 *
 *   preflight  GET /repos/{owner}/{repo}
 *              GET /repos/{owner}/{repo}/environments/{env} (--environment)
 *              GET SECRETS/public-key
 *   exist      GET SECRETS?per_page=100&page=N, once for the run
 *   write      PUT SECRETS/{name} {"encrypted_value", "key_id"}
 *
 * where SECRETS is /repos/{owner}/{repo}/actions/secrets, or with
 * --environment /repos/{owner}/{repo}/environments/{env}/secrets.
 */

#define GITHUB_API_DEFAULT "https://api.github.com"
#define GITHUB_PER_PAGE 100
#define GITHUB_PAGES_MAX 50 /* 5,000 secrets, far over the 100 allowed */
#define GITHUB_SAID_MAX 160 /* the host's message, in ours */
#define GITHUB_NEEDS                                                           \
    "the repo scope (classic token) or Secrets: write (fine-grained token)"

/* A secondary limit with no header asks for a minute at least. */
#define GITHUB_LIMIT_WAIT_MS 60000L

/*
 * A secret PUT (idempotent) is tried again after no answer, a 429 and a
 * 502-504 (a gateway or an outage), not after a 500, which GitHub's own
 * code gave for this very value: that is reported at once, and the value
 * printed for entry by hand, rather than sent again after a backoff.
 */
#define GITHUB_RETRY_WRITE                                                     \
    (HTTP_RETRY_NETWORK | HTTP_RETRY_429 | HTTP_RETRY_5XX | HTTP_RETRY_403)

/* Reads: the default rules, and GitHub's rate limits given as 403. */
#define GITHUB_RETRY_READ (HTTP_RETRY_DEFAULT | HTTP_RETRY_403)

struct provider_session {
    struct http_client *http;
    const char *token_variable; /* "GH_TOKEN" or "GITHUB_TOKEN" */
    char *authorization;        /* the header line: secret */
    char *repo;                 /* owner/name, for messages */
    char *environment;          /* NULL: repository secrets */
    char *place;                /* "'acme/crm'", or its environment */
    char *repo_url;             /* API/repos/{owner}/{repo} */
    char *secrets_url;          /* the scope's .../secrets */
    bool checked;               /* preflight passed */
    bool have_key;
    unsigned char key[crypto_box_PUBLICKEYBYTES];
    char *key_id;
    bool listed; /* names holds every secret of the scope */
    char **names;
    size_t name_count;
};

/* ---- answers ---- */

/* Seconds in text (digits only), or -1. */
static long long github_seconds(const char *text)
{
    char *end;
    long long value;

    if (text == NULL || *text < '0' || *text > '9')
        return -1;
    errno = 0;
    value = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > LONG_MAX / 1000)
        return -1;
    return value;
}

/*
 * How long a rate-limited answer asks to wait, in ms, or -1 when it is
 * not one: retry-after (secondary limit), else x-ratelimit-reset when
 * x-ratelimit-remaining is 0 (primary limit), else a minute for a 403
 * that names a secondary limit.
 */
static long github_limit_wait(const struct http_response *response)
{
    const char *remaining =
        http_response_header(response, "x-ratelimit-remaining");
    long long after =
        github_seconds(http_response_header(response, "retry-after"));
    long long reset =
        github_seconds(http_response_header(response, "x-ratelimit-reset"));

    if (response->status != 403 && response->status != 429)
        return -1;
    if (after >= 0)
        return (long)after * 1000;
    if (remaining != NULL && strcmp(remaining, "0") == 0 && reset >= 0) {
        reset -= (long long)time(NULL);
        return reset < 1 ? 1000 : (long)reset * 1000;
    }
    if (response->status == 403 && response->body.len > 0 &&
        strstr(buf_cstr(&response->body), "secondary rate limit") != NULL)
        return GITHUB_LIMIT_WAIT_MS;
    return -1;
}

/*
 * For the HTTP client, on a 403, 429 or 5xx: GitHub's rate-limit headers,
 * else the client's own rule (and a 403 without them is a refusal).
 */
static long github_retry_wait(const struct http_response *response, void *data)
{
    return github_limit_wait(response);
}

/*
 * "<status> <GitHub's message>" in out, on one line and shortened: what
 * GitHub said, for a message of ours.
 */
static void github_said(const struct http_response *response, char *out,
                        size_t size)
{
    json_t *root =
        json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);
    const char *message = json_string_value(json_object_get(root, "message"));
    size_t len = (size_t)snprintf(out, size, "%ld ", response->status);
    bool blank = true; /* so that runs of blanks become one space */

    for (; message != NULL && *message != '\0' && len + 1 < size &&
           len < GITHUB_SAID_MAX;
         message++) {
        bool space = (unsigned char)*message <= ' ';

        if (!space || !blank)
            out[len++] = space ? ' ' : *message;
        blank = space;
    }
    /* Ours follows it: no full stop of its own. */
    while (len > 0 && (out[len - 1] == ' ' || out[len - 1] == '.'))
        len--;
    out[len < size ? len : size - 1] = '\0';
    json_decref(root);
}

/* When a rate limit ends, for the fix: "at 14:05 UTC", "in 30 s". */
static void github_limit_end(const struct http_response *response, char *out,
                             size_t size)
{
    long long after =
        github_seconds(http_response_header(response, "retry-after"));
    long long reset =
        github_seconds(http_response_header(response, "x-ratelimit-reset"));
    time_t when = (time_t)reset;
    struct tm tm;

    if (after >= 0)
        snprintf(out, size, "in %lld s", after);
    else if (reset >= 0 && gmtime_r(&when, &tm) != NULL)
        strftime(out, size, "after %H:%M UTC", &tm);
    else
        snprintf(out, size, "in a few minutes");
}

/*
 * The error for an answer that is not the one wanted, when doing (what
 * was being done: "cannot read 'acme/crm'") failed: a refused token, a
 * missing permission, a rate limit, or anything else.
 */
static int github_fail(const struct provider_session *s,
                       const struct http_response *response, const char *doing)
{
    char said[GITHUB_SAID_MAX + 32];
    char end[32];

    github_said(response, said, sizeof(said));
    if (response->status == 401)
        return error_set(SFCI_EAUTH,
                         "GitHub rejected the token in %s (%s): renew it, "
                         "with %s on '%s'",
                         s->token_variable, said, GITHUB_NEEDS, s->repo);
    if (github_limit_wait(response) >= 0) {
        github_limit_end(response, end, sizeof(end));
        return error_set(SFCI_EFAIL,
                         "%s: GitHub's rate limit is reached (%s): run "
                         "again %s",
                         doing, said, end);
    }
    if (response->status == 403)
        return error_set(SFCI_EAUTH,
                         "%s: GitHub refused the token in %s (%s): give it "
                         "%s, as a repository admin",
                         doing, s->token_variable, said, GITHUB_NEEDS);
    if (response->status >= 500)
        return error_set(SFCI_EFAIL, "%s: GitHub failed (%s): try again later",
                         doing, said);
    return error_set(SFCI_EFAIL,
                     "%s: GitHub refused the request (%s): check --api-url",
                     doing, said);
}

/* The answer as a JSON object, or SFCI_EFAIL naming what it was for. */
static int github_json(const struct http_response *response, const char *what,
                       json_t **out)
{
    *out = json_loadb(buf_cstr(&response->body), response->body.len, 0, NULL);
    if (json_is_object(*out))
        return 0;
    json_decref(*out);
    *out = NULL;
    return error_set(SFCI_EFAIL,
                     "GitHub's answer about %s is not a JSON object: check "
                     "--api-url",
                     what);
}

/* ---- requests ---- */

/*
 * Sends one request with GitHub's headers; body, when given, is the JSON
 * of a secret (kept out of the trace).  Rate limits, 403 ones included,
 * are waited out by the client.
 * The answer is the caller's to release, also on failure.
 */
static int github_send(struct provider_session *s, const char *method,
                       const char *url, const char *body,
                       struct http_response *response)
{
    const char *headers[] = {
        s->authorization,
        "Accept: application/vnd.github+json",
        "X-GitHub-Api-Version: 2022-11-28",
        body != NULL ? "Content-Type: application/json" : NULL,
        NULL,
    };
    struct http_request request = {
        .method = method,
        .url = url,
        .headers = headers,
        .body = body,
        .body_len = body != NULL ? strlen(body) : 0,
        .body_secret = body != NULL,
        .retry = body != NULL ? GITHUB_RETRY_WRITE : GITHUB_RETRY_READ,
        .retry_wait = github_retry_wait,
    };

    return http_send(s->http, &request, response);
}

/* ---- open ---- */

/* GH_TOKEN, else GITHUB_TOKEN, as the gh CLI reads them. */
static int github_token(const struct provider_context *context,
                        const char **variable, const char **token)
{
    static const char *const names[] = {"GH_TOKEN", "GITHUB_TOKEN"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        *variable = names[i];
        *token = context->env(names[i]);
        if (*token != NULL && **token != '\0')
            break;
    }
    if (i == sizeof(names) / sizeof(names[0]))
        return error_set(SFCI_EINPUT,
                         "no GitHub token: set GH_TOKEN (or GITHUB_TOKEN) "
                         "to a token with %s",
                         GITHUB_NEEDS);
    if (strpbrk(*token, "\r\n \t") != NULL)
        return error_set(SFCI_EINPUT,
                         "the token in %s holds a space or a line break: "
                         "set it again without one",
                         *variable);
    return 0;
}

/* owner/name: two non-empty parts of GitHub's characters. */
static int github_repo_check(const char *repo)
{
    static const char chars[] = RULES_ALNUM "-_.";
    const char *slash = repo != NULL ? strchr(repo, '/') : NULL;
    size_t owner_len;

    if (rules_empty(repo))
        return error_set(SFCI_EINPUT, "GitHub needs the repository: pass "
                                      "--repo owner/name");
    owner_len = slash != NULL ? (size_t)(slash - repo) : 0;
    if (owner_len == 0 || slash[1] == '\0' ||
        strspn(repo, chars) != owner_len ||
        strspn(slash + 1, chars) != strlen(slash + 1))
        return error_set(SFCI_EINPUT,
                         "'%s' is not a GitHub repository: pass --repo "
                         "owner/name",
                         repo);
    return 0;
}

/* The API root: --api-url, else GITHUB_API_URL, else github.com's. */
static int github_api_root(const struct provider_context *context,
                           struct buf *out)
{
    const char *root = context->api_url;
    int rc;

    if (rules_empty(root))
        root = context->env("GITHUB_API_URL");
    if (rules_empty(root))
        root = GITHUB_API_DEFAULT;
    rc = http_url_check(root);
    if (rc < 0)
        return rc;
    if (buf_puts(out, root) < 0)
        return error_oom();
    while (out->len > 0 && out->data[out->len - 1] == '/')
        out->data[--out->len] = '\0';
    return 0;
}

/* Appends "/" and segment, percent-encoded. */
static int github_url_add(struct buf *url, const char *segment)
{
    if (buf_putc(url, '/') < 0 || http_escape(segment, url) < 0)
        return error_oom();
    return 0;
}

/* repo_url and secrets_url, from the API root and the target. */
static int github_urls(struct provider_session *s, struct buf *url)
{
    char *owner = strndup(s->repo, strcspn(s->repo, "/"));
    int rc = owner != NULL ? 0 : error_oom();

    if (rc == 0)
        rc = buf_puts(url, "/repos") < 0 ? error_oom() : 0;
    if (rc == 0)
        rc = github_url_add(url, owner);
    if (rc == 0)
        rc = github_url_add(url, strchr(s->repo, '/') + 1);
    if (rc == 0 && (s->repo_url = strdup(buf_cstr(url))) == NULL)
        rc = error_oom();
    if (rc == 0 && s->environment != NULL) {
        rc = buf_puts(url, "/environments") < 0 ? error_oom() : 0;
        if (rc == 0)
            rc = github_url_add(url, s->environment);
        if (rc == 0 && buf_puts(url, "/secrets") < 0)
            rc = error_oom();
    } else if (rc == 0 && buf_puts(url, "/actions/secrets") < 0) {
        rc = error_oom();
    }
    if (rc == 0 && (s->secrets_url = strdup(buf_cstr(url))) == NULL)
        rc = error_oom();
    free(owner);
    return rc;
}

static void github_close(struct provider_session *s);

/* The session's own copies of the target, for messages and URLs. */
static int github_session_fill(struct provider_session *s,
                               const struct provider_target *target,
                               const char *token)
{
    struct buf text = BUF_INIT;
    int rc = 0;

    s->repo = strdup(target->repo);
    if (target->environment != NULL)
        s->environment = strdup(target->environment);
    if (s->repo == NULL ||
        (target->environment != NULL && s->environment == NULL) ||
        buf_printf(&text, "Authorization: Bearer %s", token) < 0)
        rc = error_oom();
    if (rc == 0)
        s->authorization = buf_detach(&text);
    if (rc == 0 && s->environment != NULL &&
        buf_printf(&text, "the environment '%s' of '%s'", s->environment,
                   s->repo) < 0)
        rc = error_oom();
    if (rc == 0 && s->environment == NULL &&
        buf_printf(&text, "'%s'", s->repo) < 0)
        rc = error_oom();
    if (rc == 0)
        s->place = buf_detach(&text);
    buf_release(&text);
    return rc;
}

static int github_open(const struct provider_context *context,
                       struct provider_session **out)
{
    struct provider_session *s = NULL;
    struct buf url = BUF_INIT;
    const char *token = NULL, *variable = NULL;
    int rc;

    *out = NULL;
    rc = github_token(context, &variable, &token);
    if (rc == 0)
        rc = github_repo_check(context->target->repo);
    if (rc == 0 && context->target->environment != NULL &&
        *context->target->environment == '\0')
        rc = error_set(SFCI_EINPUT, "the GitHub environment is empty: pass "
                                    "--environment NAME");
    if (rc == 0)
        rc = github_api_root(context, &url);
    if (rc == 0 && sodium_init() < 0)
        rc = error_set(SFCI_EFAIL, "cannot start libsodium, which seals "
                                   "the GitHub secrets");
    if (rc < 0)
        goto out;

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        rc = error_oom();
        goto out;
    }
    s->http = context->http;
    s->token_variable = variable;
    rc = github_session_fill(s, context->target, token);
    if (rc == 0)
        rc = github_urls(s, &url);

out:
    buf_release(&url);
    if (rc < 0)
        github_close(s);
    else
        *out = s;
    return rc;
}

/* ---- preflight ---- */

/* The repository is there, and the token may change its secrets. */
static int github_check_repo(struct provider_session *s)
{
    struct http_response response = {0};
    json_t *repo = NULL, *permissions, *admin;
    char doing[160];
    int rc;

    snprintf(doing, sizeof(doing), "cannot read '%s'", s->repo);
    rc = github_send(s, "GET", s->repo_url, NULL, &response);
    if (rc == 0 && response.status == 404)
        rc = error_set(SFCI_EINPUT,
                       "GitHub has no repository '%s' that the token in %s "
                       "can see (404): check --repo, and give the token "
                       "access to it",
                       s->repo, s->token_variable);
    else if (rc == 0 && response.status != 200)
        rc = github_fail(s, &response, doing);
    if (rc == 0)
        rc = github_json(&response, s->place, &repo);
    if (rc < 0)
        goto out;

    /* Absent for an app's token, whose permissions show at the key. */
    permissions = json_object_get(repo, "permissions");
    admin = json_object_get(permissions, "admin");
    if (json_is_boolean(admin) && !json_is_true(admin))
        rc = error_set(SFCI_EAUTH,
                       "the token in %s cannot change the secrets of '%s' "
                       "(its user is not a repository admin): use an "
                       "admin's token, with %s",
                       s->token_variable, s->repo, GITHUB_NEEDS);

out:
    json_decref(repo);
    http_response_release(&response);
    return rc;
}

static int github_check_environment(struct provider_session *s)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    char doing[200];
    int rc = 0;

    if (buf_puts(&url, s->repo_url) < 0 ||
        buf_puts(&url, "/environments") < 0 ||
        github_url_add(&url, s->environment) < 0)
        rc = error_oom();
    if (rc == 0)
        rc = github_send(s, "GET", buf_cstr(&url), NULL, &response);
    if (rc == 0 && response.status == 404)
        rc = error_set(SFCI_EINPUT,
                       "GitHub has no environment '%s' in '%s' (404): "
                       "create it under Settings > Environments, or check "
                       "--environment",
                       s->environment, s->repo);
    snprintf(doing, sizeof(doing), "cannot read %s", s->place);
    if (rc == 0 && response.status != 200)
        rc = github_fail(s, &response, doing);
    http_response_release(&response);
    buf_release(&url);
    return rc;
}

/* Reads {"key_id", "key"} of the scope into the session. */
static int github_key_read(struct provider_session *s,
                           const struct http_response *response)
{
    json_t *root = NULL;
    const char *key, *key_id;
    size_t len = 0;
    int rc;

    rc = github_json(response, "the public key", &root);
    if (rc < 0)
        return rc;
    key = json_string_value(json_object_get(root, "key"));
    key_id = json_string_value(json_object_get(root, "key_id"));
    if (key == NULL || key_id == NULL || *key_id == '\0' ||
        sodium_base642bin(s->key, sizeof(s->key), key, strlen(key), NULL, &len,
                          NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len != sizeof(s->key))
        rc = error_set(SFCI_EFAIL,
                       "GitHub's public key for the secrets of %s is not a "
                       "32-byte key with a key_id: check --api-url",
                       s->place);
    else if ((s->key_id = strdup(key_id)) == NULL)
        rc = error_oom();
    else
        s->have_key = true;
    json_decref(root);
    return rc;
}

/* The scope's public key, fetched once per session. */
static int github_key_fetch(struct provider_session *s)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    char doing[200];
    int rc = 0;

    if (s->have_key)
        return 0;
    if (buf_puts(&url, s->secrets_url) < 0 || buf_puts(&url, "/public-key") < 0)
        rc = error_oom();
    if (rc == 0)
        rc = github_send(s, "GET", buf_cstr(&url), NULL, &response);
    snprintf(doing, sizeof(doing), "cannot read the public key of %s",
             s->place);
    if (rc == 0 && response.status == 404)
        rc = error_set(SFCI_EINPUT,
                       "%s: GitHub does not show it to the token in %s "
                       "(404): give the token %s",
                       doing, s->token_variable, GITHUB_NEEDS);
    else if (rc == 0 && response.status != 200)
        rc = github_fail(s, &response, doing);
    else if (rc == 0)
        rc = github_key_read(s, &response);
    http_response_release(&response);
    buf_release(&url);
    return rc;
}

static int github_preflight(struct provider_session *s)
{
    int rc;

    if (s->checked)
        return 0;
    rc = github_check_repo(s);
    if (rc == 0 && s->environment != NULL)
        rc = github_check_environment(s);
    if (rc == 0)
        rc = github_key_fetch(s);
    if (rc == 0)
        s->checked = true;
    return rc;
}

/* ---- exist ---- */

/* Adds name to the known secrets, upper case as GitHub stores it. */
static int github_name_add(struct provider_session *s, const char *name)
{
    char **names;
    char *copy;
    size_t i;

    for (i = 0; i < s->name_count; i++)
        if (strcasecmp(s->names[i], name) == 0)
            return 0;
    names = realloc(s->names, (s->name_count + 1) * sizeof(*names));
    if (names == NULL)
        return error_oom();
    s->names = names;
    copy = strdup(name);
    if (copy == NULL)
        return error_oom();
    for (i = 0; copy[i] != '\0'; i++)
        if (copy[i] >= 'a' && copy[i] <= 'z')
            copy[i] = (char)(copy[i] - 'a' + 'A');
    s->names[s->name_count++] = copy;
    return 0;
}

/* One page of {"total_count", "secrets": [{"name"}]}: its names. */
static int github_list_read(struct provider_session *s,
                            const struct http_response *response, size_t *total,
                            size_t *count)
{
    json_t *root = NULL, *secrets, *item;
    const char *name;
    size_t i;
    int rc;

    rc = github_json(response, "the secrets", &root);
    if (rc < 0)
        return rc;
    secrets = json_object_get(root, "secrets");
    *total = (size_t)json_integer_value(json_object_get(root, "total_count"));
    *count = json_array_size(secrets);
    json_array_foreach(secrets, i, item)
    {
        name = json_string_value(json_object_get(item, "name"));
        if (name != NULL && rc == 0)
            rc = github_name_add(s, name);
    }
    json_decref(root);
    return rc;
}

/* Every secret of the scope, page by page, once per session. */
static int github_list(struct provider_session *s)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    size_t total = 0, count = 0, seen = 0;
    char doing[200];
    int page, rc = 0;

    snprintf(doing, sizeof(doing), "cannot list the secrets of %s", s->place);
    for (page = 1; rc == 0 && !s->listed && page <= GITHUB_PAGES_MAX; page++) {
        buf_clear(&url);
        if (buf_printf(&url, "%s?per_page=%d&page=%d", s->secrets_url,
                       GITHUB_PER_PAGE, page) < 0)
            rc = error_oom();
        if (rc == 0)
            rc = github_send(s, "GET", buf_cstr(&url), NULL, &response);
        if (rc == 0 && response.status != 200)
            rc = github_fail(s, &response, doing);
        if (rc == 0)
            rc = github_list_read(s, &response, &total, &count);
        seen += count;
        if (rc == 0 && (count == 0 || seen >= total))
            s->listed = true;
        http_response_release(&response);
    }
    buf_release(&url);
    if (rc == 0 && !s->listed)
        rc = error_set(SFCI_EFAIL,
                       "GitHub lists more than %d pages of secrets for %s: "
                       "check --api-url",
                       GITHUB_PAGES_MAX, s->place);
    return rc;
}

static int github_exist(struct provider_session *s, const char *const *names,
                        size_t count, bool *exists)
{
    size_t i, j;
    int rc = 0;

    if (!s->listed)
        rc = github_list(s);
    for (i = 0; i < count; i++) {
        exists[i] = false;
        for (j = 0; rc == 0 && j < s->name_count && !exists[i]; j++)
            exists[i] = strcasecmp(s->names[j], names[i]) == 0;
    }
    return rc;
}

/* ---- write ---- */

/*
 * The JSON body of a PUT: the value sealed with the scope's key, in
 * padded base64, and the key's id.  The caller frees it.
 */
static int github_seal(const struct provider_session *s, const char *value,
                       char **out)
{
    size_t len = strlen(value);
    size_t box_len = len + crypto_box_SEALBYTES;
    size_t text_len =
        sodium_base64_ENCODED_LEN(box_len, sodium_base64_VARIANT_ORIGINAL);
    unsigned char *box = malloc(box_len);
    char *text = malloc(text_len);
    json_t *body = NULL;
    int rc = 0;

    *out = NULL;
    if (box == NULL || text == NULL)
        rc = error_oom();
    else if (crypto_box_seal(box, (const unsigned char *)value, len, s->key) !=
             0)
        rc = error_set(SFCI_EFAIL, "cannot seal a value for GitHub with the "
                                   "public key: check --api-url");
    if (rc == 0) {
        sodium_bin2base64(text, text_len, box, box_len,
                          sodium_base64_VARIANT_ORIGINAL);
        body = json_pack("{s:s, s:s}", "encrypted_value", text, "key_id",
                         s->key_id);
        *out = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
        if (*out == NULL)
            rc = error_oom();
    }
    json_decref(body);
    free(box);
    free(text);
    return rc;
}

/* A failed write: the variable says why in one line, the error how. */
static int github_write_fail(const struct provider_session *s,
                             struct provider_variable *v,
                             const struct http_response *response)
{
    char said[GITHUB_SAID_MAX + 32];
    char doing[200];

    github_said(response, said, sizeof(said));
    v->outcome = OUTCOME_FAILED;
    snprintf(v->message, sizeof(v->message), "GitHub %s (%s)",
             response->status >= 500 ? "failed" : "refused it", said);
    snprintf(doing, sizeof(doing), "cannot store '%s' in %s", v->name,
             s->place);
    if (response->status == 404)
        return error_set(SFCI_EFAIL,
                         "%s: GitHub does not find it (%s): check that %s "
                         "still exists",
                         doing, said, s->place);
    if (response->status == 422)
        return error_set(SFCI_EFAIL,
                         "%s: GitHub refused it (%s): check the name and "
                         "the size of the value, then run again",
                         doing, said);
    return github_fail(s, response, doing);
}

static int github_write_one(struct provider_session *s,
                            struct provider_variable *v)
{
    struct http_response response = {0};
    struct buf url = BUF_INIT;
    char *body = NULL;
    int rc;

    rc = github_seal(s, v->value, &body);
    if (rc == 0 && (buf_puts(&url, s->secrets_url) < 0 ||
                    github_url_add(&url, v->name) < 0))
        rc = error_oom();
    if (rc == 0)
        rc = github_send(s, "PUT", buf_cstr(&url), body, &response);
    if (rc == 0 && response.status == 201)
        v->outcome = OUTCOME_CREATED;
    else if (rc == 0 && response.status == 204)
        v->outcome = OUTCOME_UPDATED;
    else if (rc == 0)
        rc = github_write_fail(s, v, &response);
    if (rc == 0 && s->listed)
        rc = github_name_add(s, v->name);
    if (rc < 0 && v->outcome == OUTCOME_PENDING) {
        v->outcome = OUTCOME_FAILED;
        snprintf(v->message, sizeof(v->message), "%s", error_message());
    }
    http_response_release(&response);
    buf_release(&url);
    free(body);
    return rc;
}

static int github_write(struct provider_session *s,
                        struct provider_variable *variables, size_t count)
{
    size_t i;
    int rc = github_key_fetch(s);

    for (i = 0; i < count; i++) {
        variables[i].outcome = OUTCOME_PENDING;
        variables[i].message[0] = '\0';
    }
    if (rc < 0 && count > 0) {
        variables[0].outcome = OUTCOME_FAILED;
        snprintf(variables[0].message, sizeof(variables[0].message), "%s",
                 error_message());
    }
    for (i = 0; i < count && rc == 0; i++)
        rc = github_write_one(s, &variables[i]);
    return rc;
}

/* ---- close ---- */

static void github_close(struct provider_session *s)
{
    size_t i;

    if (s == NULL)
        return;
    secret_free(s->authorization);
    for (i = 0; i < s->name_count; i++)
        free(s->names[i]);
    free(s->names);
    free(s->key_id);
    free(s->repo);
    free(s->environment);
    free(s->place);
    free(s->repo_url);
    free(s->secrets_url);
    sodium_memzero(s, sizeof(*s));
    free(s);
}

const struct provider provider_github = {
    .name = "github",
    .title = "GitHub",
    .capabilities = PROVIDER_ENVIRONMENTS | PROVIDER_SEALED,
    .check = github_check,
    .manual_steps = github_manual_steps,
    .open = github_open,
    .preflight = github_preflight,
    .exist = github_exist,
    .write = github_write,
    .close = github_close,
};
