#include "testutil.h"

#include "errors.h"
#include "keys.h"
#include "login.h"
#include "vault.h"

/* The environment a test hands to login_resolve(): NAME=value pairs. */
static const char *const *test_env;

static const char *lookup(const char *name)
{
    size_t len = strlen(name);
    const char *const *e;

    for (e = test_env; e != NULL && *e != NULL; e++) {
        if (strncmp(*e, name, len) == 0 && (*e)[len] == '=')
            return *e + len + 1;
    }
    return NULL;
}

static const char decryption_key[] = "0123456789abcdef0123456789abcdef";
static char key_pem[4096];
static char encrypted[8192];

/* One key for every test, clear and encrypted. */
static int make_key(void **state)
{
    struct buf pem = BUF_INIT, text = BUF_INIT;
    EVP_PKEY *key = NULL;

    (void)state;
    if (key_generate(&key) < 0 || key_write_pem(key, &pem) < 0 ||
        vault_encrypt(decryption_key, pem.data, pem.len, &text) < 0)
        return -1;
    snprintf(key_pem, sizeof(key_pem), "%s", pem.data);
    snprintf(encrypted, sizeof(encrypted), "%s", text.data);
    EVP_PKEY_free(key);
    buf_release(&pem);
    buf_release(&text);
    return 0;
}

static void make_project(void)
{
    write_text("config/branches/.sfdx-hardis.uat.yml",
               "targetUsername: ci@acme.example.uat\n"
               "instanceUrl: https://test.salesforce.com\n");
    write_text("config/branches/.sfdx-hardis.main.yml",
               "targetUsername: ci@acme.example\n");
    write_text("config/branches/.sfdx-hardis.release__2.0.yml",
               "targetUsername: ci@acme.example.rel\n");
    write_text("config/.sfdx-hardis.yml",
               "devHubAlias: DevHub_acme\n"
               "devHubUsername: admin@acme.example\n"
               "devHubInstanceUrl: https://acme.my.salesforce.com\n");
    write_text("config/branches/.jwt/uat.key", encrypted);
    write_text("config/branches/.jwt/main.key", encrypted);
    write_text("config/branches/.jwt/release__2.0.key", encrypted);
    write_text("config/.jwt/DevHub_acme.key", encrypted);
}

static int resolve(const char *branch, bool devhub, const char *const *env,
                   struct login_target *t)
{
    struct login_options o = {
        .branch = branch, .devhub = devhub, .env = lookup};

    test_env = env;
    return login_resolve(&o, t);
}

static void expect_org(const char *const *env, const char *name)
{
    struct login_target t;
    struct scratch s;

    scratch_enter(&s);
    make_project();
    if (resolve(NULL, false, env, &t) < 0)
        fail_msg("%s", error_message());
    assert_string_equal(t.name, name);
    login_target_release(&t);
    scratch_leave(&s);
}

static void finds_the_branch_as_each_host_names_it(void **state)
{
    (void)state;
    expect_org((const char *const[]){"CI_COMMIT_REF_NAME=uat",
                                     "SFDX_CLIENT_ID_UAT=id",
                                     "SFDX_CLIENT_KEY_UAT=0123456789abcdef"
                                     "0123456789abcdef",
                                     NULL},
               "uat");
    /* A pull request logs in to the org it targets. */
    expect_org((const char *const[]){"GITHUB_REF_NAME=feature/x",
                                     "GITHUB_BASE_REF=main",
                                     "SFDX_CLIENT_ID=id",
                                     "SFDX_CLIENT_KEY=0123456789abcdef"
                                     "0123456789abcdef",
                                     NULL},
               "main");
    expect_org((const char *const[]){"BUILD_SOURCEBRANCH=refs/heads/uat",
                                     "SFDX_CLIENT_ID=id",
                                     "SFDX_CLIENT_KEY=0123456789abcdef"
                                     "0123456789abcdef",
                                     NULL},
               "uat");
    expect_org((const char *const[]){"GIT_BRANCH=origin/release/2.0",
                                     "SFDX_CLIENT_ID=id",
                                     "SFDX_CLIENT_KEY=0123456789abcdef"
                                     "0123456789abcdef",
                                     NULL},
               "release__2.0");
    /* CONFIG_BRANCH wins over the host's variables. */
    expect_org((const char *const[]){"CI_COMMIT_REF_NAME=uat",
                                     "CONFIG_BRANCH=main", "SFDX_CLIENT_ID=id",
                                     "SFDX_CLIENT_KEY=0123456789abcdef"
                                     "0123456789abcdef",
                                     NULL},
               "main");
}

static void reads_variables_and_the_key_file(void **state)
{
    const char *const env[] = {
        "SFDX_CLIENT_ID_UAT=3MVGuat", "SFDX_CLIENT_ID=3MVGbare",
        "SFDX_CLIENT_KEY_UAT=0123456789abcdef0123456789abcdef", NULL};
    struct login_target t;
    struct scratch s;

    (void)state;
    scratch_enter(&s);
    make_project();
    assert_int_equal(resolve("uat", false, env, &t), 0);
    assert_string_equal(t.suffix, "UAT");
    assert_string_equal(t.client_id, "3MVGuat");
    assert_string_equal(t.username, "ci@acme.example.uat");
    assert_string_equal(t.login_url, "https://test.salesforce.com");
    assert_string_equal(t.key_from, "'config/branches/.jwt/uat.key'");
    assert_null(t.audience);
    assert_non_null(t.key);
    login_target_release(&t);
    scratch_leave(&s);
}

static void lets_the_environment_override(void **state)
{
    const char *const env[] = {
        "SFDX_CLIENT_ID=id",
        "SFDX_CLIENT_KEY=0123456789abcdef0123456789abcdef",
        "TARGET_USERNAME=other@acme.example",
        "INSTANCE_URL=https://acme--uat.sandbox.my.salesforce.com",
        "SF_AUDIENCE_URL=https://test.salesforce.com",
        NULL};
    struct login_target t;
    struct scratch s;

    (void)state;
    scratch_enter(&s);
    make_project();
    assert_int_equal(resolve("main", false, env, &t), 0);
    assert_string_equal(t.username, "other@acme.example");
    assert_string_equal(t.login_url,
                        "https://acme--uat.sandbox.my.salesforce.com");
    assert_string_equal(t.audience, "https://test.salesforce.com");
    login_target_release(&t);
    scratch_leave(&s);
}

static void takes_the_key_from_a_variable(void **state)
{
    char escaped[4096 * 2], *out = escaped;
    const char *p;
    char clear[8192 + 32], secret[8192 + 32];
    const char *const env_clear[] = {"SFDX_CLIENT_ID_UAT=id", clear, NULL};
    const char *const env_encrypted[] = {
        "SFDX_CLIENT_ID_UAT=id",
        "SFDX_CLIENT_KEY_UAT=0123456789abcdef0123456789abcdef", secret, NULL};
    struct login_target t;
    struct scratch s;

    (void)state;
    /* A PEM pasted with "\n" for its line breaks still reads. */
    for (p = key_pem; *p != '\0'; p++) {
        if (*p == '\n') {
            *out++ = '\\';
            *out++ = 'n';
        } else {
            *out++ = *p;
        }
    }
    *out = '\0';
    snprintf(clear, sizeof(clear), "SFDX_CLIENT_CERT_UAT=%s", escaped);
    snprintf(secret, sizeof(secret), "SFDX_CLIENT_CERT_UAT=%s", encrypted);

    scratch_enter(&s);
    make_project();
    remove("config/branches/.jwt/uat.key");
    assert_int_equal(resolve("uat", false, env_clear, &t), 0);
    assert_string_equal(t.key_from, "SFDX_CLIENT_CERT_UAT");
    login_target_release(&t);
    assert_int_equal(resolve("uat", false, env_encrypted, &t), 0);
    assert_non_null(t.key);
    login_target_release(&t);
    scratch_leave(&s);
}

static void finds_the_devhub_key(void **state)
{
    const char *const env[] = {
        "SFDX_CLIENT_ID_DEVHUB_ACME=id",
        "SFDX_CLIENT_KEY_DEVHUB_ACME=0123456789abcdef0123456789abcdef", NULL};
    struct login_target t;
    struct scratch s;

    (void)state;
    scratch_enter(&s);
    make_project();
    assert_int_equal(resolve(NULL, true, env, &t), 0);
    assert_string_equal(t.name, "DevHub_acme");
    assert_string_equal(t.username, "admin@acme.example");
    assert_string_equal(t.key_from, "'config/.jwt/DevHub_acme.key'");
    login_target_release(&t);
    scratch_leave(&s);
}

static void expect_refusal(const char *branch, const char *const *env,
                           const char *words)
{
    struct login_target t;

    assert_int_equal(resolve(branch, false, env, &t), SFCI_EINPUT);
    if (strstr(error_message(), words) == NULL)
        fail_msg("'%s' lacks '%s'", error_message(), words);
    login_target_release(&t);
}

static void says_what_is_missing_or_wrong(void **state)
{
    struct scratch s;

    (void)state;
    scratch_enter(&s);
    make_project();
    expect_refusal(NULL, (const char *const[]){NULL}, "pass --branch");
    expect_refusal("uat", (const char *const[]){NULL},
                   "SFDX_CLIENT_ID_UAT is not set");
    expect_refusal("uat", (const char *const[]){"SFDX_CLIENT_ID_UAT=x", NULL},
                   "SFDX_CLIENT_KEY_UAT is not set");
    /* A wrong key says so, instead of a confusing JWT failure later. */
    expect_refusal("uat",
                   (const char *const[]){"SFDX_CLIENT_ID_UAT=x",
                                         "SFDX_CLIENT_KEY_UAT=ffffffffffffffff"
                                         "ffffffffffffffff",
                                         NULL},
                   "SFDX_CLIENT_KEY_UAT does not open "
                   "'config/branches/.jwt/uat.key'");
    expect_refusal("uat",
                   (const char *const[]){"SFDX_CLIENT_ID_UAT=x",
                                         "SFDX_CLIENT_KEY_UAT=short", NULL},
                   "SFDX_CLIENT_KEY_UAT does not open");
    expect_refusal("uat",
                   (const char *const[]){"SFDX_CLIENT_ID_UAT=x",
                                         "SFDX_CLIENT_CERT_UAT=-----BEGIN "
                                         "CERTIFICATE-----\nMII\n",
                                         NULL},
                   "not a private key");
    remove("config/branches/.jwt/uat.key");
    expect_refusal("uat", (const char *const[]){"SFDX_CLIENT_ID_UAT=x", NULL},
                   "no key for 'uat'");
    expect_refusal("qa", (const char *const[]){NULL}, "not a major branch");
    scratch_leave(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_the_branch_as_each_host_names_it),
        cmocka_unit_test(reads_variables_and_the_key_file),
        cmocka_unit_test(lets_the_environment_override),
        cmocka_unit_test(takes_the_key_from_a_variable),
        cmocka_unit_test(finds_the_devhub_key),
        cmocka_unit_test(says_what_is_missing_or_wrong),
    };
    return cmocka_run_group_tests(tests, make_key, NULL);
}
