/*
 * The CI hosts as a user meets them before any request: which names and
 * values each one refuses, with what message, and what it tells a person
 * to type into its web page.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "buf.h"
#include "errors.h"
#include "registry.h"
#include "rules.h"

#include <stdlib.h>
#include <string.h>

/* Printed with a two-space indent, a line of steps stays in 78 columns. */
#define STEPS_LINE_MAX 76

static const char *const host_names[] = {
    "gitlab", "github", "azure", "bitbucket", "jenkins", NULL,
};

/* The host called name; a test of a host left out of the build skips. */
static const struct provider *host(const char *name)
{
    const struct provider *p = provider_find(name);

    if (p == NULL)
        skip();
    return p;
}

static const struct provider_target plain = {.repo = "acme/app"};

static void assert_accepted(const struct provider *p, const char *name,
                            const char *value)
{
    error_clear();
    if (p->check(&plain, name, value) != 0)
        fail_msg("%s refused '%s': %s", p->name, name, error_message());
}

/*
 * Asserts that p refuses the variable with SFCI_EINPUT and a one-line
 * message that names the host, the variable (shown, its first characters
 * when shortened) and the rule (reason), and never the value.
 */
static void assert_refused(const struct provider *p, const char *name,
                           const char *shown, const char *value,
                           const char *reason)
{
    const char *msg;

    error_clear();
    assert_int_equal(p->check(&plain, name, value), SFCI_EINPUT);
    assert_int_equal(error_code(), SFCI_EINPUT);
    msg = error_message();
    if (strstr(msg, p->title) == NULL || strstr(msg, shown) == NULL ||
        strstr(msg, reason) == NULL)
        fail_msg("%s: '%s' lacks '%s', '%s' or '%s'", p->name, msg, p->title,
                 shown, reason);
    assert_null(strchr(msg, '\n'));
    assert_true(msg[strlen(msg) - 1] != '.');
    if (value != NULL && value[0] != '\0')
        assert_null(strstr(msg, value));
}

/* Appends the steps for target and checks their shape; caller frees. */
static char *steps(const struct provider *p,
                   const struct provider_target *target)
{
    struct buf out = BUF_INIT;
    const char *line, *end;
    char *text;

    assert_int_equal(p->manual_steps(target, &out), 0);
    assert_true(out.len > 0);
    assert_int_equal(out.data[out.len - 1], '\n');
    for (line = out.data; *line != '\0'; line = end + 1) {
        const char *c;

        end = strchr(line, '\n');
        if ((size_t)(end - line) > STEPS_LINE_MAX)
            fail_msg("%s: line too long: %.*s", p->name, (int)(end - line),
                     line);
        for (c = line; c < end; c++)
            assert_true(*c >= ' ' && *c <= '~');
    }
    text = buf_detach(&out);
    if (text == NULL)
        fail_msg("out of memory");
    return text;
}

static void assert_mentions(const char *text, const char *const *words)
{
    for (; *words != NULL; words++) {
        if (strstr(text, *words) == NULL)
            fail_msg("steps lack '%s':\n%s", *words, text);
    }
}

static void assert_lacks(const char *text, const char *word)
{
    const char *found = strstr(text, word);

    if (found != NULL)
        fail_msg("steps should not hold '%s', found in:\n%s", word, found);
}

/* ---- rules ---- */

static void test_rules(void **state)
{
    static const char *const prefixes[] = {"input", "secret", NULL};

    assert_true(rules_empty(NULL));
    assert_true(rules_empty(""));
    assert_false(rules_empty("A"));
    assert_true(rules_all_in("AB_9", RULES_ALNUM "_"));
    assert_false(rules_all_in("AB-9", RULES_ALNUM "_"));
    assert_false(rules_all_in("\xc3\x89T\xc3\x89", RULES_ALNUM));
    assert_true(rules_starts_with_digit("9A"));
    assert_false(rules_starts_with_digit("A9"));
    assert_false(rules_starts_with_digit(""));
    assert_true(rules_has_prefix_nocase("github_token", "GITHUB_"));
    assert_false(rules_has_prefix_nocase("GITHUB", "GITHUB_"));
    assert_string_equal(rules_find_prefix_nocase("SecretX", prefixes),
                        "secret");
    assert_null(rules_find_prefix_nocase("SFDX", prefixes));
    assert_false(rules_longer_than("abc", 3));
    assert_true(rules_longer_than("abcd", 3));
}

/* ---- registry ---- */

static void test_registry_finds_every_host(void **state)
{
    const struct provider *const *p;
    size_t built = 0, found = 0, i;

    for (p = provider_table; *p != NULL; p++) {
        assert_ptr_equal(provider_find((*p)->name), *p);
        built++;
    }
    for (i = 0; host_names[i] != NULL; i++) {
        const struct provider *q = provider_find(host_names[i]);

        if (q != NULL) {
            assert_string_equal(q->name, host_names[i]);
            found++;
        }
    }
    /* Every built host is one of the five, and a full build has all. */
    assert_int_equal(found, built);
    assert_null(provider_find("travis"));
    assert_null(provider_find(""));
    assert_null(provider_find("GitLab"));
}

static void test_registry_entries_complete(void **state)
{
    const struct provider *const *p;

    for (p = provider_table; *p != NULL; p++) {
        assert_non_null((*p)->name);
        assert_true((*p)->name[0] != '\0');
        assert_non_null((*p)->title);
        assert_true((*p)->title[0] != '\0');
        assert_true((*p)->capabilities != 0);
        assert_non_null((*p)->check);
        assert_non_null((*p)->manual_steps);
    }
}

static void test_capabilities(void **state)
{
    const struct provider *p;

    p = provider_find("gitlab");
    if (p != NULL)
        assert_int_equal(p->capabilities, PROVIDER_ENVIRONMENTS |
                                              PROVIDER_PROTECTED |
                                              PROVIDER_MASKED);
    p = provider_find("github");
    if (p != NULL)
        assert_int_equal(p->capabilities,
                         PROVIDER_ENVIRONMENTS | PROVIDER_SEALED);
    p = provider_find("azure");
    if (p != NULL)
        assert_int_equal(p->capabilities, PROVIDER_GROUPS | PROVIDER_MASKED);
    p = provider_find("bitbucket");
    if (p != NULL)
        assert_int_equal(p->capabilities,
                         PROVIDER_ENVIRONMENTS | PROVIDER_MASKED);
    p = provider_find("jenkins");
    if (p != NULL)
        assert_int_equal(p->capabilities, PROVIDER_FOLDERS | PROVIDER_MASKED);
}

/* What every host refuses: no name, and an empty value. */
static void test_every_host_refuses_empty(void **state)
{
    const struct provider *const *p;

    for (p = provider_table; *p != NULL; p++) {
        error_clear();
        assert_int_equal((*p)->check(&plain, "", NULL), SFCI_EINPUT);
        assert_non_null(strstr(error_message(), (*p)->title));
        assert_refused(*p, "SFDX_CLIENT_ID_MAIN", "'SFDX_CLIENT_ID_MAIN'", "",
                       "empty");
        assert_accepted(*p, "SFDX_CLIENT_ID_MAIN", NULL);
    }
}

/* ---- GitLab ---- */

static void test_gitlab_accepts(void **state)
{
    const struct provider *p = host("gitlab");
    char key[256];

    assert_accepted(p, "SFDX_CLIENT_ID_MAIN",
                    "3MVG9rZjd7MXFdLhVxk.Qz_AbC+=/@:~-0123456789");
    assert_accepted(p, "SFDX_CLIENT_KEY_PRE_PROD",
                    "0123456789abcdef0123456789abcdef");
    assert_accepted(p, "SFDX_CLIENT_CERT_MAIN", "00ff11ee:aabbccdd0011");
    assert_accepted(p, "lower_case_9", "12345678");
    memset(key, 'K', 255);
    key[255] = '\0';
    assert_accepted(p, key, NULL);
}

static void test_gitlab_refuses_names(void **state)
{
    const struct provider *p = host("gitlab");
    char key[257];

    memset(key, 'K', 256);
    memcpy(key, "SFDX_CLIENT_ID_", 15);
    key[256] = '\0';
    assert_refused(p, key, "'SFDX_CLIENT_ID_", NULL, "255");
    assert_refused(p, "SFDX-CLIENT-ID", "'SFDX-CLIENT-ID'", NULL,
                   "letters, digits and '_'");
    assert_refused(p, "SFDX CLIENT", "'SFDX CLIENT'", NULL, "letters");
    assert_refused(p, "SFDX.ID", "'SFDX.ID'", NULL, "letters");
}

static void test_gitlab_refuses_unmaskable(void **state)
{
    const struct provider *p = host("gitlab");
    static const char pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
                              "-----END PRIVATE KEY-----\n";

    assert_refused(p, "SFDX_CLIENT_CERT_MAIN", "'SFDX_CLIENT_CERT_MAIN'", pem,
                   "cannot mask");
    assert_null(strstr(error_message(), "MIIE"));
    assert_non_null(strstr(error_message(), "--key-storage repo"));
    assert_refused(p, "SFDX_CLIENT_KEY_MAIN", "'SFDX_CLIENT_KEY_MAIN'",
                   "seven77", "cannot mask");
    assert_refused(p, "SFDX_CLIENT_KEY_MAIN", "'SFDX_CLIENT_KEY_MAIN'",
                   "has spaces in it", "cannot mask");
    assert_refused(p, "SFDX_CLIENT_KEY_MAIN", "'SFDX_CLIENT_KEY_MAIN'",
                   "dollar$sign$value", "cannot mask");
    assert_refused(p, "SFDX_CLIENT_KEY_MAIN", "'SFDX_CLIENT_KEY_MAIN'",
                   "one-line-value\r", "cannot mask");
}

static void test_gitlab_steps(void **state)
{
    const struct provider *p = host("gitlab");
    struct provider_target t = {.repo = "acme/app"};
    static const char *const page[] = {
        "the project acme/app",
        "Settings > CI/CD",
        "Variables",
        "Add variable",
        "Environment scope: All (*)",
        "Protect variable: cleared",
        "Expand variable reference",
        "Visibility: Masked",
        "Key",
        "Value",
        NULL,
    };
    static const char *const scoped[] = {
        "Environment scope: production",
        "Protect variable: checked",
        "your project",
        NULL,
    };
    char *text = steps(p, &t);

    assert_mentions(text, page);
    free(text);

    t.repo = NULL;
    t.environment = "production";
    t.protected_branches = true;
    text = steps(p, &t);
    assert_mentions(text, scoped);
    assert_lacks(text, "All (*)");
    assert_null(strstr(text, "(null)"));
    free(text);
}

/* ---- GitHub ---- */

static void test_github_accepts(void **state)
{
    const struct provider *p = host("github");
    char *big = malloc(49153);

    assert_non_null(big);
    assert_accepted(p, "SFDX_CLIENT_ID_MAIN", "3MVG9.value with spaces\n");
    assert_accepted(p, "_LEADING_UNDERSCORE", "x");
    assert_accepted(p, "MY_GITHUB_TOKEN", "x");
    memset(big, 'v', 49152);
    big[49152] = '\0';
    assert_accepted(p, "SFDX_CLIENT_CERT_MAIN", big);
    free(big);
}

static void test_github_refuses(void **state)
{
    const struct provider *p = host("github");
    char *big = malloc(49154);

    assert_non_null(big);
    assert_refused(p, "SFDX-CLIENT", "'SFDX-CLIENT'", NULL,
                   "letters, digits and '_'");
    assert_refused(p, "9SFDX", "'9SFDX'", NULL, "digit");
    assert_refused(p, "GITHUB_SFDX", "'GITHUB_SFDX'", NULL, "GITHUB_");
    assert_refused(p, "github_sfdx", "'github_sfdx'", NULL, "GITHUB_");
    memset(big, 'v', 49153);
    memcpy(big, "SECRETVALUE", 11);
    big[49153] = '\0';
    assert_refused(p, "SFDX_CLIENT_CERT_MAIN", "'SFDX_CLIENT_CERT_MAIN'", big,
                   "48 KB");
    assert_null(strstr(error_message(), "SECRETVALUE"));
    free(big);
}

static void test_github_steps(void **state)
{
    const struct provider *p = host("github");
    struct provider_target t = {.repo = "acme/app"};
    static const char *const repo[] = {
        "the repository acme/app",
        "Settings > Secrets and variables > Actions",
        "New repository secret",
        "Name",
        "Secret",
        "Add secret",
        "env:",
        "${{ secrets.NAME }}",
        NULL,
    };
    static const char *const environment[] = {
        "your repository",
        "Settings > Environments",
        "production",
        "Add environment secret",
        "environment: production",
        "${{ secrets.NAME }}",
        NULL,
    };
    char *text = steps(p, &t);

    assert_mentions(text, repo);
    assert_lacks(text, "Environments");
    free(text);

    t.repo = NULL;
    t.environment = "production";
    text = steps(p, &t);
    assert_mentions(text, environment);
    assert_lacks(text, "New repository secret");
    free(text);
}

/* ---- Azure DevOps ---- */

static void test_azure_accepts(void **state)
{
    const struct provider *p = host("azure");

    assert_accepted(p, "SFDX_CLIENT_ID_MAIN", "any value, even\nlines");
    assert_accepted(p, "sfdx.client.id", "x");
    assert_accepted(p, "MY_SECRET", "x");
    assert_accepted(p, "MY_PATH", NULL);
}

static void test_azure_refuses(void **state)
{
    const struct provider *p = host("azure");

    assert_refused(p, "SFDX-CLIENT", "'SFDX-CLIENT'", NULL,
                   "letters, digits, '.' and '_'");
    assert_refused(p, "SFDX CLIENT", "'SFDX CLIENT'", NULL, "letters");
    assert_refused(p, "SECRET_SFDX", "'SECRET_SFDX'", NULL, "'secret'");
    assert_refused(p, "endpoint.x", "'endpoint.x'", NULL, "'endpoint'");
    assert_refused(p, "Input_1", "'Input_1'", NULL, "'input'");
    assert_refused(p, "PATH", "'PATH'", NULL, "'path'");
    assert_refused(p, "SecureFile_Id", "'SecureFile_Id'", NULL, "'secure");
}

static void test_azure_steps(void **state)
{
    const struct provider *p = host("azure");
    struct provider_target t = {
        .repo = "app",
        .variable_group = "salesforce-auth",
    };
    static const char *const page[] = {
        "the project app",
        "Pipelines > Library",
        "+ Variable group",
        "salesforce-auth",
        "+ Add",
        "lock icon",
        "Save",
        "Pipeline permissions",
        "variables:",
        "- group: salesforce-auth",
        "env:",
        "$(NAME)",
        NULL,
    };
    static const char *const named[] = {
        "your project",
        "variable group ci-secrets",
        "- group: ci-secrets",
        NULL,
    };
    char *text = steps(p, &t);

    assert_mentions(text, page);
    free(text);

    t.repo = NULL;
    t.variable_group = "ci-secrets";
    text = steps(p, &t);
    assert_mentions(text, named);
    assert_lacks(text, "salesforce-auth");
    free(text);
}

/* ---- Bitbucket ---- */

static void test_bitbucket_accepts(void **state)
{
    const struct provider *p = host("bitbucket");

    assert_accepted(p, "SFDX_CLIENT_ID_MAIN", "any value");
    assert_accepted(p, "_x9", "x");
    assert_accepted(p, "BITBUCKET_OVERRIDE", "x");
}

static void test_bitbucket_refuses(void **state)
{
    const struct provider *p = host("bitbucket");

    assert_refused(p, "SFDX-CLIENT", "'SFDX-CLIENT'", NULL,
                   "ASCII letters, digits and '_'");
    assert_refused(p, "SFDX.CLIENT", "'SFDX.CLIENT'", NULL, "ASCII");
    assert_refused(p, "\xc3\x89T\xc3\x89", "'\xc3\x89T\xc3\x89'", NULL,
                   "ASCII");
    assert_refused(p, "1SFDX", "'1SFDX'", NULL, "digit");
}

static void test_bitbucket_steps(void **state)
{
    const struct provider *p = host("bitbucket");
    struct provider_target t = {.repo = "acme/app"};
    static const char *const repo[] = {
        "the repository acme/app",
        "Repository settings > Pipelines > Repository variables",
        "Name",
        "Value",
        "Secured: checked",
        "Add",
        NULL,
    };
    static const char *const environment[] = {
        "your repository",
        "Repository settings > Deployments",
        "staging",
        "Secured: checked",
        "deployment: staging",
        NULL,
    };
    char *text = steps(p, &t);

    assert_mentions(text, repo);
    assert_lacks(text, "Deployments");
    free(text);

    t.repo = NULL;
    t.environment = "staging";
    text = steps(p, &t);
    assert_mentions(text, environment);
    assert_lacks(text, "Repository variables");
    free(text);
}

/* ---- Jenkins ---- */

static void test_jenkins_accepts(void **state)
{
    const struct provider *p = host("jenkins");

    assert_accepted(p, "SFDX_CLIENT_ID_MAIN", "any value\nat all");
    assert_accepted(p, "sfdx-client.id_9", "x");
    assert_accepted(p, "9-starts-with-digit", NULL);
}

static void test_jenkins_refuses(void **state)
{
    const struct provider *p = host("jenkins");

    assert_refused(p, "SFDX CLIENT", "'SFDX CLIENT'", NULL,
                   "letters, digits, '_', '.' and '-'");
    assert_refused(p, "team/SFDX", "'team/SFDX'", NULL, "letters");
    assert_refused(p, "SFDX@ID", "'SFDX@ID'", NULL, "letters");
}

static void test_jenkins_steps(void **state)
{
    const struct provider *p = host("jenkins");
    struct provider_target t = {.repo = "acme/app"};
    static const char *const system_store[] = {
        "Manage Jenkins > Credentials",
        "System",
        "Global credentials (unrestricted)",
        "Add Credentials",
        "Kind: Secret text",
        "Scope: Global",
        "ID: the variable name",
        "withCredentials([string(credentialsId: 'NAME', variable: "
        "'NAME')])",
        "credentials('NAME')",
        NULL,
    };
    static const char *const folder_store[] = {
        "folder team/app",   "Credentials", "Global credentials",
        "Kind: Secret text", NULL,
    };
    char *text = steps(p, &t);

    assert_mentions(text, system_store);
    free(text);

    t.folder = "team/app";
    text = steps(p, &t);
    assert_mentions(text, folder_store);
    assert_lacks(text, "Manage Jenkins");
    free(text);
}

/* Without a repository (a dry run), every host still says where to go. */
static void test_steps_without_repo(void **state)
{
    const struct provider *const *p;
    const struct provider_target bare = {.repo = NULL};

    for (p = provider_table; *p != NULL; p++) {
        char *text = steps(*p, &bare);

        assert_null(strstr(text, "(null)"));
        assert_non_null(strstr(text, (*p)->title));
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_registry_finds_every_host),
        cmocka_unit_test(test_registry_entries_complete),
        cmocka_unit_test(test_capabilities),
        cmocka_unit_test(test_every_host_refuses_empty),
        cmocka_unit_test(test_gitlab_accepts),
        cmocka_unit_test(test_gitlab_refuses_names),
        cmocka_unit_test(test_gitlab_refuses_unmaskable),
        cmocka_unit_test(test_gitlab_steps),
        cmocka_unit_test(test_github_accepts),
        cmocka_unit_test(test_github_refuses),
        cmocka_unit_test(test_github_steps),
        cmocka_unit_test(test_azure_accepts),
        cmocka_unit_test(test_azure_refuses),
        cmocka_unit_test(test_azure_steps),
        cmocka_unit_test(test_bitbucket_accepts),
        cmocka_unit_test(test_bitbucket_refuses),
        cmocka_unit_test(test_bitbucket_steps),
        cmocka_unit_test(test_jenkins_accepts),
        cmocka_unit_test(test_jenkins_refuses),
        cmocka_unit_test(test_jenkins_steps),
        cmocka_unit_test(test_steps_without_repo),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
