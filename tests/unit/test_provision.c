#include "testutil.h"

#include "errors.h"
#include "files.h"
#include "keys.h"
#include "provision.h"
#include "registry.h"
#include "vault.h"

static const char uat_config[] = "# the UAT sandbox\n"
                                 "targetUsername: ci@acme.example.uat\n"
                                 "instanceUrl: https://test.salesforce.com\n";

static const char *no_environment(const char *name)
{
    (void)name;
    return NULL;
}

static struct provision_options dry_run(const char *provider)
{
    struct provision_options o = {
        .scope = SCOPE_ALL_BRANCHES,
        .provider = provider_find(provider),
        .app_kind = APP_ECA,
        .api_version = "64.0",
        .days = 3650,
        .dry_run = true,
        .no_deploy = true,
    };

    assert_non_null(o.provider);
    return o;
}

static void make_project(void)
{
    write_text("config/branches/.sfdx-hardis.uat.yml", uat_config);
    write_text("config/branches/.sfdx-hardis.pre-prod.yml",
               "targetUsername: ci@acme.example.preprod\n"
               "instanceUrl: https://acme--preprod.sandbox.my.salesforce.com"
               "\n");
    write_text("config/.sfdx-hardis.yml",
               "devHubAlias: DevHub_acme\n"
               "devHubUsername: admin@acme.example\n"
               "devHubInstanceUrl: https://acme.my.salesforce.com\n");
}

static const struct provision_variable *
find_variable(const struct provision_org *org, const char *name)
{
    size_t i;

    for (i = 0; i < org->variable_count; i++) {
        if (strcmp(org->variables[i].name, name) == 0)
            return &org->variables[i];
    }
    fail_msg("no variable '%s'", name);
    return NULL;
}

/* The key file opens with the printed key and matches the certificate. */
static void check_key_material(const struct provision_org *org,
                               const char *key_path)
{
    const struct provision_variable *key = org->variables + 1;
    char *text = read_text(key_path);
    char *cert = read_text(org->cert_path);
    struct buf pem = BUF_INIT;
    EVP_PKEY *private_key = NULL;

    assert_non_null(text);
    assert_non_null(cert);
    assert_int_equal(mode_of(key_path), 0600);
    assert_null(strstr(text, "PRIVATE KEY"));
    assert_int_equal(vault_decrypt(key->value, text, strlen(text), &pem), 0);
    assert_int_equal(key_read_pem(pem.data, pem.len, &private_key), 0);
    assert_true(cert_matches_key(cert, private_key));

    EVP_PKEY_free(private_key);
    buf_release(&pem);
    free(text);
    free(cert);
}

static void provisions_every_branch(void **state)
{
    struct provision_options o = dry_run("gitlab");
    struct provision p;
    struct scratch s;
    char *config;

    (void)state;
    scratch_enter(&s);
    make_project();

    assert_int_equal(provision_prepare(&p, &o), 0);
    assert_int_equal(p.count, 2);
    assert_int_equal(provision_run(&p), 0);

    /* Sorted by branch: pre-prod, then uat. */
    assert_string_equal(p.orgs[0].config.name, "pre-prod");
    assert_string_equal(p.orgs[0].suffix, "PRE_PROD");
    assert_true(strncmp(p.orgs[0].app, "sfci_pre_prod_", 14) == 0);
    assert_true(p.orgs[0].done && p.orgs[1].done);
    assert_int_equal(p.orgs[1].variable_count, 2);
    assert_int_equal(find_variable(&p.orgs[1], "SFDX_CLIENT_ID_UAT")->action,
                     ACTION_PRINTED);
    assert_int_equal(
        strlen(find_variable(&p.orgs[1], "SFDX_CLIENT_ID_UAT")->value), 85);
    check_key_material(&p.orgs[1], "config/branches/.jwt/uat.key");
    check_key_material(&p.orgs[0], "config/branches/.jwt/pre-prod.key");

    /* The config keeps its comment and records the app. */
    config = read_text("config/branches/.sfdx-hardis.uat.yml");
    assert_true(strncmp(config, uat_config, strlen(uat_config)) == 0);
    assert_non_null(strstr(config, p.orgs[1].app));
    free(config);

    assert_string_equal(p.orgs[1].files[0], "config/branches/.jwt/uat.key");
    assert_int_equal(p.orgs[1].file_count, 3);
    assert_true(file_exists(p.orgs[1].metadata_dir));
    assert_true(file_exists(".sfci/.gitignore"));
    provision_release(&p);
    scratch_leave(&s);
}

static void rotates_without_reusing_the_app(void **state)
{
    struct provision_options o = dry_run("github");
    struct provision p;
    struct scratch s;
    char first[APP_NAME_MAX];

    (void)state;
    scratch_enter(&s);
    make_project();
    o.scope = SCOPE_BRANCH;
    o.branch = "uat";

    assert_int_equal(provision_prepare(&p, &o), 0);
    assert_int_equal(provision_run(&p), 0);
    strcpy(first, p.orgs[0].app);
    provision_release(&p);

    /* A second run in the same second waits for a new name. */
    assert_int_equal(provision_prepare(&p, &o), 0);
    assert_int_equal(p.orgs[0].config.app_count, 1);
    assert_string_equal(p.orgs[0].config.apps[0], first);
    assert_int_equal(provision_run(&p), 0);
    assert_string_not_equal(p.orgs[0].app, first);
    provision_release(&p);

    assert_int_equal(provision_prepare(&p, &o), 0);
    assert_int_equal(p.orgs[0].config.app_count, 2);
    assert_string_equal(p.orgs[0].config.apps[0], first);
    provision_release(&p);
    scratch_leave(&s);
}

static void keeps_the_key_in_a_variable(void **state)
{
    struct provision_options o = dry_run("azure");
    struct provision p;
    struct scratch s;
    const struct provision_variable *cert;
    struct buf pem = BUF_INIT;

    (void)state;
    scratch_enter(&s);
    make_project();
    o.scope = SCOPE_DEVHUB;
    o.key_storage = KEY_STORAGE_VARIABLE;
    o.app_kind = APP_CONNECTED_APP;
    o.target.variable_group = "salesforce-auth";

    assert_int_equal(provision_prepare(&p, &o), 0);
    assert_int_equal(provision_run(&p), 0);
    assert_string_equal(p.orgs[0].config.name, "DevHub_acme");
    assert_int_equal(p.orgs[0].variable_count, 3);
    cert = find_variable(&p.orgs[0], "SFDX_CLIENT_CERT_DEVHUB_ACME");
    assert_int_equal(vault_decrypt(p.orgs[0].variables[1].value, cert->value,
                                   strlen(cert->value), &pem),
                     0);
    assert_non_null(strstr(pem.data, "BEGIN PRIVATE KEY"));
    assert_false(file_exists("config/.jwt/DevHub_acme.key"));
    assert_true(file_exists("config/.jwt/DevHub_acme.crt"));
    assert_int_equal(p.orgs[0].file_count, 2);
    buf_release(&pem);
    provision_release(&p);
    scratch_leave(&s);
}

static void plans_without_changing_anything(void **state)
{
    struct provision_options o = dry_run("bitbucket");
    struct provision p;
    struct scratch s;

    (void)state;
    scratch_enter(&s);
    make_project();
    o.plan = true;

    assert_int_equal(provision_prepare(&p, &o), 0);
    assert_int_equal(provision_run(&p), 0);
    assert_int_equal(p.orgs[1].variables[0].action, ACTION_PLANNED);
    assert_null(p.orgs[1].variables[0].value);
    assert_int_equal(p.orgs[1].file_count, 3);
    assert_false(file_exists("config/branches/.jwt"));
    assert_false(file_exists(".sfci"));
    provision_release(&p);
    scratch_leave(&s);
}

/* Each bad input stops before any file is written. */
static void expect_refusal(struct provision_options *o, const char *words)
{
    struct provision p;
    int rc;

    rc = provision_prepare(&p, o);
    if (rc == 0)
        rc = provision_run(&p);
    assert_int_equal(rc, SFCI_EINPUT);
    if (strstr(error_message(), words) == NULL)
        fail_msg("'%s' lacks '%s'", error_message(), words);
    assert_false(file_exists("config/branches/.jwt"));
    assert_false(file_exists(".sfci"));
    provision_release(&p);
}

static void refuses_bad_input(void **state)
{
    struct provision_options o;
    struct scratch s;
    char long_name[400];

    (void)state;
    scratch_enter(&s);
    make_project();

    o = dry_run("gitlab");
    o.scope = SCOPE_BRANCH;
    o.branch = "qa";
    expect_refusal(&o, "'qa' is not a major branch");

    o = dry_run("gitlab");
    o.target.variable_group = "group";
    expect_refusal(&o, "--variable-group");

    o = dry_run("gitlab");
    o.login_url = "http://login.salesforce.com";
    expect_refusal(&o, "plain http");

    o = dry_run("gitlab");
    o.api_version = "59.0";
    expect_refusal(&o, "60.0");

    o = dry_run("gitlab");
    o.dry_run = false;
    expect_refusal(&o, "--no-deploy needs --dry-run");

    /* A deploy needs an admin session: none in this environment. */
    o = dry_run("gitlab");
    o.no_deploy = false;
    o.env = no_environment;
    o.target_org = "no-such-alias-for-sfci-tests";
    assert_int_equal(http_client_new(&(struct http_options){0}, &o.http), 0);
    expect_refusal(&o, "no admin session for 'no-such-alias-for-sfci-tests'");
    http_client_free(o.http);

    /* Two branches whose variables would have the same name. */
    write_text("config/branches/.sfdx-hardis.pre_prod.yml", uat_config);
    o = dry_run("gitlab");
    expect_refusal(&o, "both give the variable 'SFDX_CLIENT_ID_PRE_PROD'");
    remove("config/branches/.sfdx-hardis.pre_prod.yml");

    /* A branch without its username. */
    write_text("config/branches/.sfdx-hardis.qa.yml",
               "instanceUrl: https://test.salesforce.com\n");
    expect_refusal(&o, "has no 'targetUsername'");
    remove("config/branches/.sfdx-hardis.qa.yml");

    /* A name GitLab would refuse: keys are at most 255 characters. */
    memset(long_name, 'x', sizeof(long_name));
    memcpy(long_name, "devHubAlias: ", 13);
    strcpy(long_name + 260,
           "\ndevHubUsername: a@b.c\n"
           "devHubInstanceUrl: https://login.salesforce.com\n");
    write_text("config/.sfdx-hardis.yml", long_name);
    o.scope = SCOPE_DEVHUB;
    expect_refusal(&o, "GitLab");
    scratch_leave(&s);
}

static void checks_login_urls(void **state)
{
    (void)state;
    assert_int_equal(login_url_check("https://test.salesforce.com"), 0);
    assert_int_equal(
        login_url_check("https://acme--uat.sandbox.my.salesforce.com/"), 0);
    assert_int_equal(login_url_check("http://127.0.0.1:8443"), 0);
    assert_int_equal(login_url_check("http://localhost/x"), 0);
    assert_int_equal(login_url_check("http://[::1]:99"), 0);
    assert_int_equal(login_url_check("http://127.0.0.1.evil.example"),
                     SFCI_EINPUT);
    assert_int_equal(login_url_check("https://"), SFCI_EINPUT);
    assert_int_equal(login_url_check("test.salesforce.com"), SFCI_EINPUT);
    assert_int_equal(login_url_check("ftp://x"), SFCI_EINPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(provisions_every_branch),
        cmocka_unit_test(rotates_without_reusing_the_app),
        cmocka_unit_test(keeps_the_key_in_a_variable),
        cmocka_unit_test(plans_without_changing_anything),
        cmocka_unit_test(refuses_bad_input),
        cmocka_unit_test(checks_login_urls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
