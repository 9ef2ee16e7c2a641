#include "login.h"

#include "buf.h"
#include "config.h"
#include "errors.h"
#include "files.h"
#include "keys.h"
#include "provision.h"
#include "variables.h"
#include "vault.h"

#include <stdlib.h>
#include <string.h>

/* Where each CI host names the target of a merge or pull request. */
static const char *const target_branch_variables[] = {
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME", /* GitLab */
    "GITHUB_BASE_REF",                     /* GitHub, pull requests */
    "SYSTEM_PULLREQUEST_TARGETBRANCH",     /* Azure Pipelines */
    "BITBUCKET_PR_DESTINATION_BRANCH",     /* Bitbucket Pipelines */
    "CHANGE_TARGET",                       /* Jenkins multibranch */
    NULL,
};

/* Where each CI host names the branch being built. */
static const char *const current_branch_variables[] = {
    "CI_COMMIT_REF_NAME", /* GitLab */
    "GITHUB_REF_NAME",    /* GitHub */
    "BUILD_SOURCEBRANCH", /* Azure Pipelines: refs/heads/<branch> */
    "BITBUCKET_BRANCH",   /* Bitbucket Pipelines */
    "BRANCH_NAME",        /* Jenkins multibranch */
    "GIT_BRANCH",         /* Jenkins Git plugin: origin/<branch> */
    NULL,
};

static const char *env_value(const struct login_options *o, const char *name)
{
    const char *value = o->env(name);

    return value != NULL && value[0] != '\0' ? value : NULL;
}

static const char *first_set(const struct login_options *o,
                             const char *const *names)
{
    const char *value = NULL;

    for (; *names != NULL && value == NULL; names++)
        value = env_value(o, *names);
    return value;
}

/* The branch as sfdx-hardis names its config: first '/' -> "__". */
static int branch_config_name(const char *branch, char **out)
{
    struct buf name = BUF_INIT;
    const char *slash;
    int rc;

    if (strncmp(branch, "refs/heads/", 11) == 0)
        branch += 11;
    else if (strncmp(branch, "origin/", 7) == 0)
        branch += 7;
    slash = strchr(branch, '/');
    if (slash == NULL)
        rc = buf_puts(&name, branch);
    else
        rc = buf_printf(&name, "%.*s__%s", (int)(slash - branch), branch,
                        slash + 1);
    if (rc == 0 && (*out = buf_detach(&name)) == NULL)
        rc = error_oom();
    buf_release(&name);
    return rc;
}

static int find_org(const struct login_options *o, struct org_config *config)
{
    const char *branch = o->branch;
    char *name = NULL;
    int rc;

    if (o->devhub)
        return config_load_devhub(config);

    if (branch == NULL)
        branch = env_value(o, "CONFIG_BRANCH");
    if (branch == NULL)
        branch = env_value(o, "ORG_ALIAS");
    if (branch == NULL)
        branch = first_set(o, target_branch_variables);
    if (branch == NULL)
        branch = first_set(o, current_branch_variables);
    if (branch == NULL)
        return error_set(SFCI_EINPUT,
                         "cannot tell which org to log in to: no CI branch "
                         "variable is set; pass --branch NAME or set "
                         "CONFIG_BRANCH");

    rc = branch_config_name(branch, &name);
    if (rc == 0)
        rc = config_load_branch(name, config);
    free(name);
    return rc;
}

/*
 * SFDX_CLIENT_<what>_<NAME>, else the bare SFDX_CLIENT_<what> (a pipeline
 * of one org); the name found, or the first one tried, goes to used.
 */
static const char *variable_lookup(const struct login_options *o,
                                   enum variable_kind kind, const char *suffix,
                                   struct buf *used)
{
    struct buf bare = BUF_INIT;
    const char *value;

    buf_clear(used);
    if (variable_name(kind, suffix, used) < 0)
        return NULL;
    value = env_value(o, used->data);
    if (value == NULL && variable_name(kind, "", &bare) == 0) {
        /* "SFDX_CLIENT_ID_" without its trailing '_' */
        bare.data[--bare.len] = '\0';
        value = env_value(o, bare.data);
        if (value != NULL) {
            buf_clear(used);
            buf_puts(used, bare.data);
        }
    }
    buf_release(&bare);
    return value;
}

/* Clear PEM, with "\n" written as two characters in some CI pages. */
static int pem_unescape(const char *text, struct buf *out)
{
    int rc = 0;

    for (; *text != '\0' && rc == 0; text++) {
        if (text[0] == '\\' && text[1] == 'n') {
            rc = buf_putc(out, '\n');
            text++;
        } else {
            rc = buf_putc(out, *text);
        }
    }
    return rc;
}

/*
 * Opens the key text, clear PEM or encrypted, read from where (a variable
 * name or a quoted path), with the decryption key of key_variable.
 */
static int key_open(const char *text, const char *decryption_key,
                    const char *key_variable, const char *where, EVP_PKEY **out)
{
    struct buf pem = BUF_INIT;
    int rc;

    if (strstr(text, "-----BEGIN") != NULL) {
        if (strstr(text, "PRIVATE KEY-----") == NULL)
            return error_set(SFCI_EINPUT,
                             "%s holds a PEM block that is not a private "
                             "key (the certificate?): put the key there",
                             where);
        rc = pem_unescape(text, &pem);
    } else if (decryption_key == NULL) {
        return error_set(SFCI_EINPUT,
                         "%s is encrypted and %s is not set: add it in the "
                         "CI host (sfci provision printed it)",
                         where, key_variable);
    } else {
        rc = vault_decrypt(decryption_key, text, strlen(text), &pem);
        if (rc < 0)
            rc = error_set(SFCI_EINPUT,
                           "%s does not open %s (%s): set it to the value "
                           "sfci provision printed with that key",
                           key_variable, where, error_message());
    }
    /* A wrong key passes the padding check once in 256: check the PEM. */
    if (rc == 0 && key_read_pem(pem.data, pem.len, out) < 0)
        rc = error_set(SFCI_EINPUT,
                       "%s does not open %s into a private key: set it to "
                       "the value sfci provision printed with that key",
                       key_variable, where);
    buf_release(&pem);
    return rc;
}

/* The key file of the org, where provision writes it; NULL if none. */
static const char *key_file_find(const char *name, bool devhub,
                                 struct buf *path)
{
    const char *branch_dir = CONFIG_BRANCH_DIR "/.jwt";
    const char *devhub_dir = "config/.jwt";
    const char *dirs[] = {devhub ? devhub_dir : branch_dir,
                          devhub ? branch_dir : devhub_dir};
    size_t i;

    for (i = 0; i < 2; i++) {
        buf_clear(path);
        if (buf_printf(path, "%s/%s.key", dirs[i], name) == 0 &&
            file_exists(path->data))
            return path->data;
    }
    return NULL;
}

static int key_find(const struct login_options *o, struct login_target *t,
                    const char *decryption_key, const char *key_variable)
{
    struct buf variable = BUF_INIT, path = BUF_INIT, text = BUF_INIT;
    struct buf where = BUF_INIT;
    const char *value;
    int rc;

    value = variable_lookup(o, VARIABLE_CLIENT_CERT, t->suffix, &variable);
    if (value != NULL) {
        rc = buf_puts(&where, variable.data);
    } else if (key_file_find(t->name, o->devhub, &path) != NULL) {
        rc = file_read(path.data, &text);
        if (rc == 0)
            rc = buf_printf(&where, "'%s'", path.data);
        value = buf_cstr(&text);
    } else {
        rc = error_set(SFCI_EINPUT,
                       "no key for '%s': neither %s nor '%s' exists; commit "
                       "the key file sfci provision wrote",
                       t->name, variable.data, path.data);
    }

    if (rc == 0)
        rc = key_open(value, decryption_key, key_variable, where.data, &t->key);
    if (rc == 0 && (t->key_from = buf_detach(&where)) == NULL)
        rc = error_oom();

    buf_release(&variable);
    buf_release(&path);
    buf_release(&text);
    buf_release(&where);
    return rc;
}

static char *dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int login_resolve(const struct login_options *o, struct login_target *out)
{
    struct org_config config = {0};
    struct buf suffix = BUF_INIT, id_name = BUF_INIT, key_name = BUF_INIT;
    const char *value, *decryption_key;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = find_org(o, &config);
    if (rc == 0)
        rc = variable_suffix(config.name, &suffix);
    if (rc < 0)
        goto out;
    out->name = strdup(config.name);
    out->suffix = buf_detach(&suffix);

    value = variable_lookup(o, VARIABLE_CLIENT_ID, out->suffix, &id_name);
    if (value == NULL) {
        rc = error_set(SFCI_EINPUT,
                       "%s is not set: add it in the CI host (sfci provision "
                       "printed it), or pass --branch for another org",
                       id_name.data);
        goto out;
    }
    out->client_id = strdup(value);

    value = env_value(o, "TARGET_USERNAME");
    out->username = dup_or_null(value != NULL ? value : config.username);
    if (out->username == NULL) {
        rc = error_set(SFCI_EINPUT,
                       "no username for '%s': set TARGET_USERNAME, or add "
                       "'%s' to '%s'",
                       config.name,
                       config.devhub ? "devHubUsername" : "targetUsername",
                       config.path);
        goto out;
    }
    value = env_value(o, "INSTANCE_URL");
    if (value == NULL)
        value = config.login_url != NULL ? config.login_url : DEFAULT_LOGIN_URL;
    out->login_url = strdup(value);
    out->audience = dup_or_null(env_value(o, "SF_AUDIENCE_URL"));
    rc = login_url_check(out->login_url);
    if (rc < 0)
        goto out;

    decryption_key =
        variable_lookup(o, VARIABLE_CLIENT_KEY, out->suffix, &key_name);
    if (decryption_key == NULL) {
        buf_clear(&key_name);
        variable_name(VARIABLE_CLIENT_KEY, out->suffix, &key_name);
    }
    rc = key_find(o, out, decryption_key, key_name.data);

out:
    if (rc == 0 && (out->name == NULL || out->suffix == NULL ||
                    out->client_id == NULL || out->login_url == NULL))
        rc = error_oom();
    config_release(&config);
    buf_release(&suffix);
    buf_release(&id_name);
    buf_release(&key_name);
    return rc;
}

void login_target_release(struct login_target *t)
{
    free(t->name);
    free(t->suffix);
    free(t->username);
    free(t->login_url);
    free(t->client_id);
    free(t->audience);
    free(t->key_from);
    EVP_PKEY_free(t->key);
    memset(t, 0, sizeof(*t));
}
