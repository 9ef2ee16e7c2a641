#include "provision.h"

#include "admin.h"
#include "errors.h"
#include "files.h"
#include "keys.h"
#include "variables.h"
#include "vault.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PROFILE "System Administrator"
#define BRANCH_JWT_DIR CONFIG_BRANCH_DIR "/.jwt"
#define DEVHUB_JWT_DIR "config/.jwt"

/* What is generated for one org; all of it is wiped on release. */
struct material {
    EVP_PKEY *key;
    struct buf key_pem; /* clear text: never leaves memory */
    struct buf cert_pem;
    struct buf encrypted; /* hexiv:hexciphertext of key_pem */
    char consumer_key[CONSUMER_KEY_LEN + 1];
    char vault_key[VAULT_KEY_LEN + 1];
};

static void report(const struct provision *p, const struct provision_org *org,
                   bool detail, const char *fmt, va_list ap)
{
    char line[512];

    if (p->options.progress == NULL)
        return;
    vsnprintf(line, sizeof(line), fmt, ap);
    p->options.progress(p->options.progress_data,
                        org != NULL ? org->config.name : NULL, detail, line);
}

static void progress(const struct provision *p, const struct provision_org *org,
                     const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void progress(const struct provision *p, const struct provision_org *org,
                     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(p, org, false, fmt, ap);
    va_end(ap);
}

static void detail(const struct provision *p, const struct provision_org *org,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void detail(const struct provision *p, const struct provision_org *org,
                   const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(p, org, true, fmt, ap);
    va_end(ap);
}

const char *variable_action_name(enum variable_action action)
{
    static const char *const names[] = {
        [ACTION_CREATED] = "created",     [ACTION_UPDATED] = "updated",
        [ACTION_UNCHANGED] = "unchanged", [ACTION_PRINTED] = "printed",
        [ACTION_PLANNED] = "planned",     [ACTION_FAILED] = "failed",
    };

    return names[action];
}

const char *key_storage_name(enum key_storage storage)
{
    return storage == KEY_STORAGE_REPO ? "repo" : "variable";
}

int key_storage_parse(const char *text, enum key_storage *out)
{
    if (strcmp(text, "repo") == 0)
        *out = KEY_STORAGE_REPO;
    else if (strcmp(text, "variable") == 0)
        *out = KEY_STORAGE_VARIABLE;
    else
        return error_set(SFCI_EINPUT,
                         "unknown key storage '%s': use 'repo' or "
                         "'variable'",
                         text);
    return 0;
}

static bool is_loopback_host(const char *host, size_t len)
{
    if (len == 9 && strncmp(host, "localhost", 9) == 0)
        return true;
    if (len == 5 && strncmp(host, "[::1]", 5) == 0)
        return true;
    return len >= 4 && strncmp(host, "127.", 4) == 0 &&
           strspn(host, "0123456789.") >= len;
}

int login_url_check(const char *url)
{
    const char *host;
    size_t host_len;
    bool secure;

    if (strncmp(url, "https://", 8) == 0) {
        host = url + 8;
        secure = true;
    } else if (strncmp(url, "http://", 7) == 0) {
        host = url + 7;
        secure = false;
    } else {
        return error_set(SFCI_EINPUT,
                         "login URL '%s' is not an https:// address: use "
                         "https://login.salesforce.com, "
                         "https://test.salesforce.com or the org's My Domain",
                         url);
    }

    host_len = strcspn(host, ":/?#");
    if (host[0] == '[')
        host_len = strcspn(host, "]") + 1;
    if (host_len == 0 || strchr(url, ' ') != NULL)
        return error_set(SFCI_EINPUT, "login URL '%s' has no host name", url);
    if (!secure && !is_loopback_host(host, host_len))
        return error_set(SFCI_EINPUT,
                         "login URL '%s' is plain http: use https (http is "
                         "only for loopback test servers)",
                         url);
    return 0;
}

static int check_api_version(const char *version, enum app_kind kind)
{
    char *end;
    long major = strtol(version, &end, 10);

    if (end == version || strcmp(end, ".0") != 0 || major < 30 || major > 999)
        return error_set(SFCI_EINPUT,
                         "API version '%s' is not of the form NN.0: use "
                         "for example 64.0",
                         version);
    if (kind == APP_ECA && major < 60)
        return error_set(SFCI_EINPUT,
                         "API version %s is too old for an External Client "
                         "App with a certificate: use 60.0 or later",
                         version);
    return 0;
}

/* Refuses target options that the host has no use for. */
static int check_target(const struct provision_options *o)
{
    const struct provider *host = o->provider;
    const struct {
        bool given;
        unsigned int capability;
        const char *option;
    } uses[] = {
        {o->target.environment != NULL, PROVIDER_ENVIRONMENTS, "--environment"},
        {o->target.protected_branches, PROVIDER_PROTECTED, "--protected"},
        {o->target.variable_group != NULL, PROVIDER_GROUPS, "--variable-group"},
        {o->target.folder != NULL, PROVIDER_FOLDERS, "--jenkins-folder"},
    };
    size_t i;

    for (i = 0; i < sizeof(uses) / sizeof(uses[0]); i++) {
        if (uses[i].given && !provider_can(host, uses[i].capability))
            return error_set(SFCI_EINPUT,
                             "%s has no use for %s: leave it out, or pick "
                             "another --provider",
                             host->title, uses[i].option);
    }
    return 0;
}

static int check_options(const struct provision_options *o)
{
    int rc;

    if (o->retire)
        return check_api_version(o->api_version, APP_ECA);
    if (o->provider == NULL)
        return error_set(SFCI_EINPUT, "no CI host chosen: pass --provider");
    rc = check_target(o);
    if (rc == 0)
        rc = check_api_version(o->api_version, o->app_kind);
    if (rc == 0 && o->login_url != NULL)
        rc = login_url_check(o->login_url);
    if (rc == 0 && (o->days < 1 || o->days > 36500))
        rc = error_set(SFCI_EINPUT, "--days %d is out of range: use 1 to 36500",
                       o->days);
    if (rc == 0 && o->no_deploy && !o->dry_run)
        rc = error_set(SFCI_EINPUT,
                       "--no-deploy needs --dry-run: variables of an app that "
                       "is not deployed yet would break the pipelines");
    if (rc == 0 && !o->dry_run && o->provider->write == NULL)
        rc = error_set(SFCI_EINPUT,
                       "this version of sfci cannot write the variables to "
                       "%s yet: add --dry-run to print them for entry by "
                       "hand",
                       o->provider->title);
    return rc;
}

/* Reads the config of every selected org into p->orgs. */
static int load_orgs(struct provision *p)
{
    char **names = NULL;
    size_t count = 0, i;
    int rc = 0;

    if (p->options.scope == SCOPE_BRANCH) {
        names = calloc(1, sizeof(*names));
        if (names == NULL || (names[0] = strdup(p->options.branch)) == NULL) {
            free(names);
            return error_oom();
        }
        count = 1;
    } else if (p->options.scope == SCOPE_ALL_BRANCHES) {
        rc = config_list_branches(&names, &count);
        if (rc < 0)
            return rc;
    } else {
        count = 1;
    }

    p->orgs = calloc(count, sizeof(*p->orgs));
    if (p->orgs == NULL) {
        rc = error_oom();
        goto out;
    }
    p->count = count;
    for (i = 0; i < count && rc == 0; i++) {
        struct org_config *config = &p->orgs[i].config;
        rc = names != NULL ? config_load_branch(names[i], config)
                           : config_load_devhub(config);
    }

out:
    config_list_free(names, names != NULL ? count : 0);
    return rc;
}

static int org_set_paths(struct provision_org *org,
                         const struct provision_options *o)
{
    const char *dir = org->config.devhub ? DEVHUB_JWT_DIR : BRANCH_JWT_DIR;
    const char *name = org->config.name;
    struct buf path = BUF_INIT;
    int rc = 0;

    if (name[0] == '.' || strchr(name, '/') != NULL)
        return error_set(SFCI_EINPUT,
                         "'%s' in '%s' cannot name a key file: use a name "
                         "without '/' that does not start with '.'",
                         name, org->config.path);

    if (o->key_storage == KEY_STORAGE_REPO) {
        rc = buf_printf(&path, "%s/%s.key", dir, name);
        if (rc == 0 && (org->key_path = buf_detach(&path)) == NULL)
            rc = error_oom();
    }
    if (rc == 0)
        rc = buf_printf(&path, "%s/%s.crt", dir, name);
    if (rc == 0 && (org->cert_path = buf_detach(&path)) == NULL)
        rc = error_oom();

    buf_release(&path);
    return rc;
}

static int org_add_file(struct provision_org *org, const char *path)
{
    char **files = realloc(org->files, (org->file_count + 1) * sizeof(*files));

    if (files == NULL)
        return error_oom();
    org->files = files;
    files[org->file_count] = strdup(path);
    if (files[org->file_count] == NULL)
        return error_oom();
    org->file_count++;
    return 0;
}

/* Names the app after the time; never the name recorded last. */
static int org_name_app(struct provision_org *org, bool wait)
{
    const struct org_config *c = &org->config;
    const char *last = c->app_count > 0 ? c->apps[c->app_count - 1] : "";
    int rc;

    for (;;) {
        rc = app_name_make(org->suffix, time(NULL), org->app);
        if (rc < 0 || strcmp(org->app, last) != 0)
            return rc;
        if (!wait)
            return 0;
        usleep(100 * 1000);
    }
}

static int org_add_variable(struct provision_org *org,
                            const struct provider *host,
                            const struct provider_target *target,
                            enum variable_kind kind)
{
    struct provision_variable *v = &org->variables[org->variable_count];
    struct buf name = BUF_INIT;
    int rc;

    rc = variable_name(kind, org->suffix, &name);
    if (rc == 0)
        rc = host->check(target, buf_cstr(&name), NULL);
    if (rc == 0 && (v->name = buf_detach(&name)) == NULL)
        rc = error_oom();
    if (rc == 0) {
        v->action = ACTION_PLANNED;
        v->exists = -1;
        org->variable_count++;
    }
    buf_release(&name);
    return rc;
}

static int org_prepare(struct provision *p, struct provision_org *org)
{
    const struct provision_options *o = &p->options;
    const struct org_config *c = &org->config;
    struct buf suffix = BUF_INIT;
    int rc;

    org->username = o->username != NULL ? o->username : c->username;
    if (org->username == NULL || org->username[0] == '\0')
        return error_set(SFCI_EINPUT,
                         "'%s' has no '%s': add the username that CI "
                         "deploys with, or pass --username",
                         c->path,
                         c->devhub ? "devHubUsername" : "targetUsername");
    org->login_url = o->login_url != NULL ? o->login_url : c->login_url;
    if (org->login_url == NULL) {
        org->login_url = DEFAULT_LOGIN_URL;
        org->login_url_default = true;
    }
    rc = login_url_check(org->login_url);
    if (rc < 0)
        return error_prefix("'%s'", c->path);

    rc = variable_suffix(c->name, &suffix);
    if (rc == 0 && (org->suffix = buf_detach(&suffix)) == NULL)
        rc = error_oom();
    if (rc < 0 || o->retire) {
        buf_release(&suffix);
        return rc;
    }
    if (rc == 0)
        rc = org_add_variable(org, o->provider, &o->target, VARIABLE_CLIENT_ID);
    if (rc == 0)
        rc =
            org_add_variable(org, o->provider, &o->target, VARIABLE_CLIENT_KEY);
    if (rc == 0 && o->key_storage == KEY_STORAGE_VARIABLE)
        rc = org_add_variable(org, o->provider, &o->target,
                              VARIABLE_CLIENT_CERT);
    if (rc == 0)
        rc = org_name_app(org, false);
    if (rc == 0)
        rc = org_set_paths(org, o);
    buf_release(&suffix);
    return rc;
}

/* Two orgs whose names sanitise alike would overwrite each other. */
static int check_collisions(const struct provision *p)
{
    size_t i, j;

    for (i = 0; i < p->count; i++) {
        for (j = i + 1; j < p->count; j++) {
            const struct provision_org *a = &p->orgs[i], *b = &p->orgs[j];
            if (strcmp(a->suffix, b->suffix) == 0)
                return error_set(SFCI_EINPUT,
                                 "branches '%s' and '%s' both give the "
                                 "variable '%s': rename one of their "
                                 "config files",
                                 a->config.name, b->config.name,
                                 a->variables[0].name);
        }
    }
    return 0;
}

/*
 * Opens the CI host and checks the token, the target and write access
 * before anything changes.  A plan reads the host only when a token is
 * there; without one it says what it would write.
 */
static int host_open(struct provision *p)
{
    const struct provision_options *o = &p->options;
    struct provider_context context = {
        .http = o->http,
        .env = o->env,
        .api_url = o->api_url,
        .origin_host = o->origin_host,
        .origin_path = o->origin_path,
        .target = &o->target,
    };
    int rc;

    if (o->retire || (o->dry_run && !o->plan) || o->provider->open == NULL)
        return 0;
    /* A plan reads the host only when it can. */
    if (o->plan && (o->http == NULL || o->env == NULL))
        return 0;
    if (o->http == NULL || o->env == NULL)
        return error_set(SFCI_EFAIL, "writing to a CI host needs an "
                                     "environment lookup and an HTTP client");
    rc = o->provider->open(&context, &p->host);
    if (rc == SFCI_EINPUT && o->plan) {
        progress(p, NULL, "not reading %s (%s)", o->provider->title,
                 error_message());
        error_clear();
        return 0;
    }
    if (rc == 0) {
        progress(p, NULL, "checking %s", o->provider->title);
        rc = o->provider->preflight(p->host);
    }
    return rc;
}

/* In a plan with the host open: which variables exist already. */
static int host_read_plan(struct provision *p)
{
    const struct provider *host = p->options.provider;
    const char *names[3];
    bool exists[3];
    size_t i, j;
    int rc = 0;

    for (i = 0; i < p->count && rc == 0; i++) {
        struct provision_org *org = &p->orgs[i];
        for (j = 0; j < org->variable_count; j++)
            names[j] = org->variables[j].name;
        rc = host->exist(p->host, names, org->variable_count, exists);
        for (j = 0; j < org->variable_count && rc == 0; j++)
            org->variables[j].exists = exists[j];
    }
    return rc;
}

static bool deploys(const struct provision_options *o)
{
    return o->retire || (!o->no_deploy && !o->plan);
}

/*
 * Before anything changes: the admin session of the org works, and the
 * CI user is a user of that org.
 */
static int org_preflight(struct provision *p, struct provision_org *org)
{
    const struct provision_options *o = &p->options;
    int rc;

    if (o->env == NULL || o->http == NULL)
        return error_set(SFCI_EFAIL, "a deploy needs an environment lookup "
                                     "and an HTTP client");
    progress(p, org, "checking the admin session");
    rc = admin_session_find(o->env, org->suffix, o->target_org, org->username,
                            &org->admin);
    if (rc == 0)
        rc = sf_check_user(o->http, &org->admin, o->api_version, org->username);
    if (rc < 0)
        error_prefix("%s", org->config.name);
    return rc;
}

int provision_prepare(struct provision *p,
                      const struct provision_options *options)
{
    size_t i;
    int rc;

    memset(p, 0, sizeof(*p));
    p->options = *options;

    rc = check_options(options);
    if (rc == 0)
        rc = load_orgs(p);
    for (i = 0; i < p->count && rc == 0; i++)
        rc = org_prepare(p, &p->orgs[i]);
    if (rc == 0)
        rc = check_collisions(p);
    if (rc == 0)
        rc = host_open(p);
    for (i = 0; i < p->count && rc == 0 && deploys(options); i++)
        rc = org_preflight(p, &p->orgs[i]);
    return rc;
}

static void material_release(struct material *m)
{
    EVP_PKEY_free(m->key);
    buf_release(&m->key_pem);
    buf_release(&m->cert_pem);
    buf_release(&m->encrypted);
    secret_wipe(m->consumer_key, sizeof(m->consumer_key));
    secret_wipe(m->vault_key, sizeof(m->vault_key));
    m->key = NULL;
}

static int material_generate(struct material *m, const char *app, int days)
{
    int rc;

    rc = key_generate(&m->key);
    if (rc == 0)
        rc = key_write_pem(m->key, &m->key_pem);
    if (rc == 0)
        rc = cert_generate(m->key, app, days, &m->cert_pem);
    if (rc == 0)
        rc = consumer_key_generate(m->consumer_key);
    if (rc == 0)
        rc = vault_key_generate(m->vault_key);
    if (rc == 0)
        rc = vault_encrypt(m->vault_key, m->key_pem.data, m->key_pem.len,
                           &m->encrypted);
    return rc;
}

/* With -v: what identifies the new material, none of it secret. */
static int material_describe(const struct provision *p,
                             const struct provision_org *org,
                             const struct material *m)
{
    struct buf fingerprint = BUF_INIT;
    int rc = cert_fingerprint(m->cert_pem.data, &fingerprint);

    if (rc == 0)
        detail(p, org, "certificate SHA-256 fingerprint %s", fingerprint.data);
    detail(p, org, "app '%s' for %s, pre-authorised %s '%s'", org->app,
           org->username,
           p->options.permission_set != NULL ? "permission set" : "profile",
           p->options.permission_set != NULL ? p->options.permission_set
           : p->options.profile != NULL      ? p->options.profile
                                             : DEFAULT_PROFILE);
    buf_release(&fingerprint);
    return rc;
}

/* Gives each variable its value and has the host check it. */
static int org_set_values(struct provision_org *org,
                          const struct provision_options *o,
                          const struct material *m)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < org->variable_count && rc == 0; i++) {
        struct provision_variable *v = &org->variables[i];
        const char *value = i == 0   ? m->consumer_key
                            : i == 1 ? m->vault_key
                                     : buf_cstr(&m->encrypted);
        rc = o->provider->check(&o->target, v->name, value);
        if (rc == 0 && (v->value = strdup(value)) == NULL)
            rc = error_oom();
    }
    return rc;
}

/* Builds the app's metadata for the new material. */
static int org_package(const struct provision *p,
                       const struct provision_org *org,
                       const struct material *m, struct app_package *package)
{
    const struct provision_options *o = &p->options;
    struct buf description = BUF_INIT;
    struct app_spec spec = {
        .kind = o->app_kind,
        .name = org->app,
        .contact_email =
            o->contact_email != NULL ? o->contact_email : org->username,
        .certificate_pem = buf_cstr(&m->cert_pem),
        .consumer_key = m->consumer_key,
        .permission_set = o->permission_set,
        .profile = o->profile,
        .api_version = o->api_version,
    };
    int rc;

    if (o->profile == NULL && o->permission_set == NULL)
        spec.profile = DEFAULT_PROFILE;
    rc = buf_printf(&description,
                    "CI login of %s for sfci (JWT bearer flow); "
                    "created %.14s UTC",
                    org->username, org->app + strlen(org->app) - 14);
    spec.description = buf_cstr(&description);
    if (rc == 0)
        rc = app_package_build(&spec, package);
    buf_release(&description);
    return rc;
}

/* --no-deploy: the package goes to .sfci/<app>/ for a deploy by hand. */
static int org_write_metadata(struct provision *p, struct provision_org *org,
                              const struct app_package *package)
{
    struct buf dir = BUF_INIT;
    size_t i;
    int rc;

    progress(p, org, "writing the %s metadata of '%s'",
             app_kind_title(p->options.app_kind), org->app);
    rc = buf_printf(&dir, "%s/%s", METADATA_ROOT, org->app);
    if (rc == 0)
        rc = app_package_write(package, buf_cstr(&dir));
    if (rc == 0 && (org->metadata_dir = buf_detach(&dir)) == NULL)
        rc = error_oom();
    for (i = 0; rc == 0 && i < package->count; i++)
        detail(p, org, "wrote %s/%s", org->metadata_dir,
               package->files[i].path);
    buf_release(&dir);
    return rc;
}

struct deploy_watch {
    const struct provision *p;
    const struct provision_org *org;
};

static void on_deploy_status(void *data, const char *status)
{
    const struct deploy_watch *watch = data;

    progress(watch->p, watch->org, "deploy %s", status);
}

/* Deploys the app's package with the Metadata API and waits for it. */
static int org_deploy(struct provision *p, struct provision_org *org,
                      const struct app_package *package)
{
    const struct provision_options *o = &p->options;
    struct deploy_watch watch = {p, org};
    struct sf_deploy_result result;
    struct buf zip = BUF_INIT;
    int rc;

    rc = app_package_zip(package, &zip);
    if (rc < 0)
        return rc;
    progress(p, org, "deploying the %s '%s' to %s", app_kind_title(o->app_kind),
             org->app, org->admin.instance_url);
    rc = sf_deploy(o->http, &org->admin, o->api_version, &zip,
                   o->deploy_timeout * 1000, on_deploy_status, &watch, &result);
    if (rc == 0)
        detail(p, org, "deploy %s: %s", result.id, result.status);
    sf_deploy_result_release(&result);
    buf_release(&zip);
    return rc;
}

/* Deletes the app this run deployed, when a later step failed. */
static void org_undeploy(struct provision *p, struct provision_org *org)
{
    const struct provision_options *o = &p->options;
    struct app_member members[APP_MEMBERS_MAX];
    size_t count = app_members(o->app_kind, org->app, members), i;
    char saved[1024];
    int saved_code = error_code();

    /* Keep the failure that matters; a failed clean-up only adds to it. */
    snprintf(saved, sizeof(saved), "%s", error_message());
    progress(p, org, "deleting the app '%s' again", org->app);
    for (i = 0; i < count; i++) {
        const char *name = members[i].full_name;
        if (sf_delete_metadata(o->http, &org->admin, o->api_version,
                               members[i].type, &name, 1) < 0) {
            error_set(saved_code,
                      "%s (and the app '%s' could not be "
                      "deleted: delete it in Setup)",
                      saved, org->app);
            return;
        }
    }
    error_set(saved_code, "%s", saved);
}

static long now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

/*
 * Logs in with the new material, as the pipelines will, until it works:
 * Salesforce takes a while to propagate a new app, and answers in the
 * meantime as if it did not exist.
 */
static int org_verify(struct provision *p, struct provision_org *org,
                      const struct material *m)
{
    const struct provision_options *o = &p->options;
    struct sf_jwt jwt = {
        .login_url = org->login_url,
        .client_id = m->consumer_key,
        .username = org->username,
        .key = m->key,
    };
    struct sf_token_error failure;
    struct sf_session session;
    long start = now_ms(), wait = 2000;
    int rc;

    progress(p, org, "verifying a JWT login as %s", org->username);
    for (;;) {
        memset(&failure, 0, sizeof(failure));
        rc = sf_login_jwt(o->http, &jwt, &session, &failure);
        sf_session_release(&session);
        if (rc == 0 || !sf_token_error_is_propagating(&failure))
            break;
        if (now_ms() - start + wait > o->verify_timeout * 1000) {
            error_prefix("the app did not work within --verify-timeout %ld "
                         "s",
                         o->verify_timeout);
            break;
        }
        progress(p, org,
                 "Salesforce is still propagating the app (%s); "
                 "%ld s so far",
                 failure.description, (now_ms() - start) / 1000);
        usleep((useconds_t)wait * 1000);
        wait = wait * 2 > 15000 ? 15000 : wait * 2;
    }
    if (rc == 0)
        progress(p, org, "the JWT login works (%ld s after the deploy)",
                 (now_ms() - start) / 1000);
    return rc;
}

/* Keeps the metadata folders out of git: they hold the consumer key. */
static int metadata_root_create(void)
{
    static const char ignore[] = "# written by sfci: app metadata, "
                                 "not for git\n*\n";
    int rc = dir_create(METADATA_ROOT, 0700);

    if (rc == 0 && !file_exists(METADATA_ROOT "/.gitignore"))
        rc = file_write_atomic(METADATA_ROOT "/.gitignore", ignore,
                               sizeof(ignore) - 1, 0644);
    return rc;
}

/* Stages the repository files of org, to be renamed in together. */
static int org_stage_files(struct provision_org *org, const struct material *m,
                           struct file_batch *batch)
{
    const struct org_config *c = &org->config;
    const char **apps;
    struct buf text = BUF_INIT;
    char *dir = NULL, *slash;
    size_t i;
    int rc;

    dir = strdup(org->cert_path);
    if (dir == NULL)
        return error_oom();
    slash = strrchr(dir, '/');
    *slash = '\0';
    rc = dir_create(dir, 0755);
    free(dir);
    if (rc < 0)
        return rc;

    if (org->key_path != NULL) {
        rc = file_batch_add(batch, org->key_path, m->encrypted.data,
                            m->encrypted.len, 0600);
        if (rc == 0)
            rc = org_add_file(org, org->key_path);
    }
    if (rc == 0)
        rc = file_batch_add(batch, org->cert_path, m->cert_pem.data,
                            m->cert_pem.len, 0600);
    if (rc == 0)
        rc = org_add_file(org, org->cert_path);
    if (rc < 0)
        return rc;

    /* The config records the new app after those that went before. */
    apps = calloc(c->app_count + 1, sizeof(*apps));
    if (apps == NULL)
        return error_oom();
    for (i = 0; i < c->app_count; i++)
        apps[i] = c->apps[i];
    apps[c->app_count] = org->app;

    rc = config_render_apps(c, apps, c->app_count + 1, &text);
    if (rc == 0)
        rc = file_batch_add(batch, c->path, text.data, text.len,
                            file_mode(c->path, 0644));
    if (rc == 0)
        rc = org_add_file(org, c->path);

    free(apps);
    buf_release(&text);
    return rc;
}

static int org_retire(struct provision *p, struct provision_org *org,
                      const struct org_config *c);

/*
 * Writes the org's variables through the host; each gets its action.  A
 * refusal is SFCI_EPARTIAL: the app works, the values not written are
 * still in org->variables for the caller to print.
 */
static int org_write_variables(struct provision *p, struct provision_org *org)
{
    const struct provider *host = p->options.provider;
    struct provider_variable vars[3];
    size_t i;
    int rc;

    progress(p, org, "writing %zu variables to %s", org->variable_count,
             host->title);
    memset(vars, 0, sizeof(vars));
    for (i = 0; i < org->variable_count; i++) {
        vars[i].name = org->variables[i].name;
        vars[i].value = org->variables[i].value;
    }
    rc = host->write(p->host, vars, org->variable_count);

    for (i = 0; i < org->variable_count; i++) {
        static const enum variable_action actions[] = {
            [OUTCOME_PENDING] = ACTION_FAILED,
            [OUTCOME_CREATED] = ACTION_CREATED,
            [OUTCOME_UPDATED] = ACTION_UPDATED,
            [OUTCOME_UNCHANGED] = ACTION_UNCHANGED,
            [OUTCOME_FAILED] = ACTION_FAILED,
        };
        org->variables[i].action = actions[vars[i].outcome];
        detail(p, org, "%s %s", org->variables[i].name,
               variable_action_name(org->variables[i].action));
    }
    if (rc < 0)
        return error_set(SFCI_EPARTIAL,
                         "%s (the app works: enter the variables printed "
                         "below by hand, then run sfci retire)",
                         error_message());
    return 0;
}

/*
 * Once the new variables are in place, the apps of earlier runs go.  A
 * failure here leaves them working, and says how to finish.
 */
static void org_retire_after_write(struct provision *p,
                                   struct provision_org *org)
{
    struct org_config fresh = {0};
    int rc;

    rc = org->config.devhub ? config_load_devhub(&fresh)
                            : config_load_branch(org->config.name, &fresh);
    if (rc == 0)
        rc = org_retire(p, org, &fresh);
    if (rc < 0)
        progress(p, org, "the earlier apps stay (%s): run sfci retire later",
                 error_message());
    error_clear();
    config_release(&fresh);
    org->done = true;
}

/* Deploys the app and checks a login with it; deletes it on failure. */
static int org_deploy_verified(struct provision *p, struct provision_org *org,
                               const struct material *m,
                               const struct app_package *package)
{
    int rc = org_deploy(p, org, package);

    if (rc < 0)
        return rc;
    if (!p->options.no_verify)
        rc = org_verify(p, org, m);
    if (rc < 0)
        org_undeploy(p, org);
    return rc;
}

static int org_run(struct provision *p, struct provision_org *org)
{
    const struct provision_options *o = &p->options;
    struct material m = {0};
    struct app_package package = {0};
    struct file_batch batch = FILE_BATCH_INIT;
    size_t i;
    int rc, written = 0;

    rc = org_name_app(org, true);
    if (rc < 0)
        return rc;
    progress(p, org,
             "generating an RSA-%d key and a certificate valid for %d days",
             KEY_BITS, o->days);
    rc = material_generate(&m, org->app, o->days);
    if (rc == 0)
        rc = org_set_values(org, o, &m);
    if (rc == 0)
        rc = material_describe(p, org, &m);
    if (rc == 0)
        rc = org_package(p, org, &m, &package);
    /* Stage first: nothing in the repository changes if a step fails. */
    if (rc == 0)
        rc = org_stage_files(org, &m, &batch);
    if (rc < 0)
        goto out;

    if (o->no_deploy) {
        rc = metadata_root_create();
        if (rc == 0)
            rc = org_write_metadata(p, org, &package);
    } else {
        rc = org_deploy_verified(p, org, &m, &package);
    }
    /*
     * The files are saved before the host gets the variables: a key the
     * pipelines would need is never only in memory.  If they cannot be
     * saved, the new app goes again and nothing reaches the host.
     */
    if (rc == 0) {
        rc = file_batch_commit(&batch);
        if (rc < 0 && !o->no_deploy)
            org_undeploy(p, org);
    }
    if (rc < 0)
        goto out;
    for (i = 0; i < org->file_count; i++)
        progress(p, org, "wrote %s", org->files[i]);
    if (!o->dry_run)
        written = org_write_variables(p, org);

    for (i = 0; i < org->variable_count && o->dry_run; i++)
        org->variables[i].action = ACTION_PRINTED;
    org->done = true;
    if (written == 0 && !o->dry_run)
        org_retire_after_write(p, org);
    rc = written;

out:
    app_package_release(&package);
    file_batch_release(&batch);
    material_release(&m);
    return rc;
}

/* A plan lists what a run would write, and generates nothing. */
static int org_plan(struct provision *p, struct provision_org *org)
{
    int rc = 0;
    struct buf dir = BUF_INIT;

    if (org->key_path != NULL)
        rc = org_add_file(org, org->key_path);
    if (rc == 0)
        rc = org_add_file(org, org->cert_path);
    if (rc == 0)
        rc = org_add_file(org, org->config.path);
    if (rc == 0 && p->options.no_deploy) {
        rc = buf_printf(&dir, "%s/%s", METADATA_ROOT, org->app);
        if (rc == 0 && (org->metadata_dir = buf_detach(&dir)) == NULL)
            rc = error_oom();
    }
    buf_release(&dir);
    return rc;
}

int provision_run(struct provision *p)
{
    size_t i;
    int rc = 0;

    if (p->options.plan && p->host != NULL)
        rc = host_read_plan(p);
    for (i = 0; i < p->count && rc == 0; i++) {
        struct provision_org *org = &p->orgs[i];

        if (org->login_url_default)
            progress(p, org, "no login URL in '%s': using %s", org->config.path,
                     org->login_url);
        rc = p->options.plan ? org_plan(p, org) : org_run(p, org);
        if (rc < 0)
            error_prefix("%s", org->config.name);
    }
    return rc;
}

/* The kind of app name is in the org as, or false in *found. */
static int app_find(const struct provision *p, const struct provision_org *org,
                    const char *name, enum app_kind *kind, bool *found)
{
    const struct provision_options *o = &p->options;
    int rc;

    *kind = APP_ECA;
    rc = sf_metadata_exists(o->http, &org->admin, o->api_version,
                            "ExternalClientApplication", name, found);
    if (rc == 0 && !*found) {
        *kind = APP_CONNECTED_APP;
        rc = sf_metadata_exists(o->http, &org->admin, o->api_version,
                                "ConnectedApp", name, found);
    }
    return rc;
}

/* Deletes every component of an app, its settings first. */
static int app_delete(const struct provision *p,
                      const struct provision_org *org, enum app_kind kind,
                      const char *name)
{
    struct app_member members[APP_MEMBERS_MAX];
    size_t count = app_members(kind, name, members), i;
    int rc = 0;

    for (i = 0; i < count && rc == 0; i++) {
        const char *full_name = members[i].full_name;
        rc = sf_delete_metadata(p->options.http, &org->admin,
                                p->options.api_version, members[i].type,
                                &full_name, 1);
    }
    return rc;
}

static int org_record_retired(struct provision_org *org, const char *name)
{
    char **grown =
        realloc(org->retired, (org->retired_count + 1) * sizeof(*grown));

    if (grown == NULL)
        return error_oom();
    org->retired = grown;
    grown[org->retired_count] = strdup(name);
    if (grown[org->retired_count] == NULL)
        return error_oom();
    org->retired_count++;
    return 0;
}

static int org_retire(struct provision *p, struct provision_org *org,
                      const struct org_config *c)
{
    const char *current;
    struct buf text = BUF_INIT;
    enum app_kind kind;
    bool found;
    size_t i;
    int rc;

    if (c->app_count < 2) {
        progress(p, org, "no earlier app to retire");
        org->done = true;
        return 0;
    }
    current = c->apps[c->app_count - 1];
    rc = app_find(p, org, current, &kind, &found);
    if (rc == 0 && !found)
        return error_set(SFCI_EINPUT,
                         "the current app '%s' is not in the org, so the "
                         "earlier ones are the only working apps: deploy it "
                         "first (sf project deploy start --metadata-dir "
                         ".sfci/%s), then retire",
                         current, current);

    for (i = 0; i + 1 < c->app_count && rc == 0; i++) {
        rc = app_find(p, org, c->apps[i], &kind, &found);
        if (rc == 0 && found) {
            progress(p, org, "deleting the earlier app '%s'", c->apps[i]);
            rc = app_delete(p, org, kind, c->apps[i]);
        }
        if (rc == 0)
            rc = org_record_retired(org, c->apps[i]);
    }

    /* What was deleted leaves the config, even after a later failure. */
    if (org->retired_count > 0) {
        int saved = rc;
        char message[1024];
        snprintf(message, sizeof(message), "%s", error_message());
        rc = config_render_apps(
            c, (const char *const *)c->apps + org->retired_count,
            c->app_count - org->retired_count, &text);
        if (rc == 0)
            rc = file_write_atomic(c->path, text.data, text.len,
                                   file_mode(c->path, 0644));
        if (rc == 0 && saved < 0)
            rc = error_set(saved, "%s", message);
    }
    org->done = rc == 0;
    buf_release(&text);
    return rc;
}

int provision_retire(struct provision *p)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < p->count && rc == 0; i++) {
        rc = org_retire(p, &p->orgs[i], &p->orgs[i].config);
        if (rc < 0)
            error_prefix("%s", p->orgs[i].config.name);
    }
    return rc;
}

static void org_release(struct provision_org *org)
{
    size_t i;

    config_release(&org->config);
    free(org->suffix);
    free(org->metadata_dir);
    free(org->key_path);
    free(org->cert_path);
    sf_session_release(&org->admin);
    for (i = 0; i < org->retired_count; i++)
        free(org->retired[i]);
    free(org->retired);
    for (i = 0; i < org->file_count; i++)
        free(org->files[i]);
    free(org->files);
    for (i = 0; i < org->variable_count; i++) {
        free(org->variables[i].name);
        secret_free(org->variables[i].value);
    }
    memset(org, 0, sizeof(*org));
}

void provision_release(struct provision *p)
{
    size_t i;

    if (p->host != NULL)
        p->options.provider->close(p->host);
    for (i = 0; i < p->count; i++)
        org_release(&p->orgs[i]);
    free(p->orgs);
    memset(p, 0, sizeof(*p));
}
