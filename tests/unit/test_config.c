/* nftw() */
#define _XOPEN_SOURCE 700

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "config.h"
#include "errors.h"
#include "files.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UAT_FILE CONFIG_BRANCH_DIR "/.sfdx-hardis.uat.yml"

/* Each test runs in a project folder of its own under /tmp. */
struct project {
    char dir[64];
    char home[PATH_MAX];
};

static int project_enter(void **state)
{
    struct project *p = calloc(1, sizeof(*p));

    assert_non_null(p);
    assert_non_null(getcwd(p->home, sizeof(p->home)));
    strcpy(p->dir, "/tmp/sfci-test-config-XXXXXX");
    assert_non_null(mkdtemp(p->dir));
    assert_int_equal(chdir(p->dir), 0);
    error_clear();
    *state = p;
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag,
                        struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int project_leave(void **state)
{
    struct project *p = *state;

    assert_int_equal(chdir(p->home), 0);
    assert_int_equal(nftw(p->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
    free(p);
    return 0;
}

static void write_text(const char *path, const char *text, size_t len)
{
    char *dir = strdup(path);
    char *slash;
    FILE *f;

    assert_non_null(dir);
    slash = strrchr(dir, '/');
    if (slash != NULL) {
        *slash = '\0';
        assert_int_equal(dir_create(dir, 0755), 0);
    }
    free(dir);

    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_file(const char *path, const char *text)
{
    write_text(path, text, strlen(text));
}

static void make_dir(const char *path)
{
    assert_int_equal(dir_create(path, 0755), 0);
}

static void assert_apps(const struct org_config *cfg, const char *const *apps,
                        size_t count)
{
    size_t i;

    assert_int_equal(cfg->app_count, count);
    for (i = 0; i < count; i++)
        assert_string_equal(cfg->apps[i], apps[i]);
}

/* Loading path as the uat branch fails with exactly message. */
static void assert_uat_error(const char *text, const char *message)
{
    struct org_config cfg;

    write_file(UAT_FILE, text);
    assert_int_equal(config_load_branch("uat", &cfg), SFCI_EINPUT);
    assert_string_equal(error_message(), message);
    assert_null(cfg.path);
    assert_null(cfg.apps);
    assert_null(cfg.text.data);
}

/*
 * Renders apps into the file at path (loaded with load), checks the new
 * text against want, writes it and checks that it reads back.
 */
static void check_render(const char *path, bool devhub, const char *before,
                         const char *const *apps, size_t count,
                         const char *want)
{
    struct org_config cfg, again;
    struct buf out = BUF_INIT;

    write_file(path, before);
    if (devhub)
        assert_int_equal(config_load_devhub(&cfg), 0);
    else
        assert_int_equal(config_load_branch("uat", &cfg), 0);
    assert_string_equal(cfg.path, path);

    assert_int_equal(config_render_apps(&cfg, apps, count, &out), 0);
    assert_string_equal(buf_cstr(&out), want);
    assert_int_equal(out.len, strlen(want));

    write_file(path, buf_cstr(&out));
    if (devhub)
        assert_int_equal(config_load_devhub(&again), 0);
    else
        assert_int_equal(config_load_branch("uat", &again), 0);
    assert_apps(&again, apps, count);
    if (cfg.username != NULL)
        assert_string_equal(again.username, cfg.username);
    else
        assert_null(again.username);
    if (cfg.login_url != NULL)
        assert_string_equal(again.login_url, cfg.login_url);
    else
        assert_null(again.login_url);
    assert_string_equal(again.name, cfg.name);

    /* The same list again changes nothing. */
    buf_clear(&out);
    assert_int_equal(config_render_apps(&again, apps, count, &out), 0);
    assert_string_equal(buf_cstr(&out), want);

    buf_release(&out);
    config_release(&cfg);
    config_release(&again);
}

static void check_render_uat(const char *before, const char *const *apps,
                             size_t count, const char *want)
{
    check_render(UAT_FILE, false, before, apps, count, want);
}

/* Rendering apps into the uat file fails with exactly message. */
static void assert_render_error(const char *before, const char *const *apps,
                                size_t count, const char *message)
{
    struct org_config cfg;
    struct buf out = BUF_INIT;

    write_file(UAT_FILE, before);
    assert_int_equal(config_load_branch("uat", &cfg), 0);
    assert_int_equal(config_render_apps(&cfg, apps, count, &out), SFCI_EINPUT);
    assert_string_equal(error_message(), message);
    assert_int_equal(out.len, 0);
    buf_release(&out);
    config_release(&cfg);
}

static const char *const two_apps[] = {
    "sfci_uat_20261203101500",
    "sfci_uat_20261204090000",
};

#define TWO_APPS_BLOCK                                                         \
    "sfciApps:\n"                                                              \
    "  - sfci_uat_20261203101500\n"                                            \
    "  - sfci_uat_20261204090000\n"

/* Listing ---------------------------------------------------------------- */

static void test_list_sorted(void **state)
{
    char **names = NULL;
    size_t count = 0;

    (void)state;
    write_file(UAT_FILE, "targetUsername: a\n");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.main.yml", "");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.integration.yml", "");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.release.v2.yml", "");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.uat.yml.bak", "");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.uat.yaml", "");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis..yml", "");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.yml", "");
    write_file(CONFIG_BRANCH_DIR "/sfdx-hardis.prod.yml", "");
    write_file(CONFIG_BRANCH_DIR "/README.md", "");
    write_file(CONFIG_BRANCH_DIR "/.jwt/uat.key", "secret");
    make_dir(CONFIG_BRANCH_DIR "/.sfdx-hardis.folder.yml");

    assert_int_equal(config_list_branches(&names, &count), 0);
    assert_int_equal(count, 4);
    assert_string_equal(names[0], "integration");
    assert_string_equal(names[1], "main");
    assert_string_equal(names[2], "release.v2");
    assert_string_equal(names[3], "uat");
    config_list_free(names, count);
}

static void assert_no_branch(void)
{
    char **names = (char **)1;
    size_t count = 7;

    assert_int_equal(config_list_branches(&names, &count), SFCI_EINPUT);
    assert_null(names);
    assert_int_equal(count, 0);
    assert_string_equal(error_message(),
                        "no major branch: 'config/branches' holds no "
                        ".sfdx-hardis.<branch>.yml file; run 'sf "
                        "hardis:project:configure:auth' or create one with "
                        "targetUsername and instanceUrl");
}

static void test_list_none(void **state)
{
    (void)state;
    assert_no_branch();

    make_dir(CONFIG_BRANCH_DIR);
    assert_no_branch();

    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.uat.yml.bak", "");
    write_file(CONFIG_BRANCH_DIR "/.jwt/uat.key", "secret");
    assert_no_branch();
}

static void test_list_free_null(void **state)
{
    (void)state;
    config_list_free(NULL, 0);
    config_list_free(NULL, 3);
}

/* Loading a branch -------------------------------------------------------- */

static void test_load_branch(void **state)
{
    static const char text[] = "# the uat org\n"
                               "targetUsername: ci@acme.com.uat\n"
                               "instanceUrl: \"https://test.salesforce.com\"\n"
                               "mergeTargets:\n"
                               "  - preprod\n"
                               "sfciApps:\n"
                               "  - sfci_uat_1\n"
                               "  - 'sfci_uat_2'\n"
                               "other: {a: [1, 2], b: {c: d}}\n";
    static const char *const apps[] = {"sfci_uat_1", "sfci_uat_2"};
    struct org_config cfg;

    (void)state;
    write_file(UAT_FILE, text);
    assert_int_equal(config_load_branch("uat", &cfg), 0);
    assert_string_equal(cfg.name, "uat");
    assert_false(cfg.devhub);
    assert_string_equal(cfg.path, UAT_FILE);
    assert_string_equal(cfg.username, "ci@acme.com.uat");
    assert_string_equal(cfg.login_url, "https://test.salesforce.com");
    assert_apps(&cfg, apps, 2);
    assert_int_equal(cfg.text.len, strlen(text));
    assert_memory_equal(cfg.text.data, text, strlen(text));
    config_release(&cfg);

    /* Released twice, or zeroed, is fine. */
    assert_null(cfg.name);
    assert_null(cfg.apps);
    assert_int_equal(cfg.app_count, 0);
    config_release(&cfg);
}

static void test_load_branch_flow_and_aliases(void **state)
{
    static const char *const apps[] = {"a1", "a2"};
    struct org_config cfg;

    (void)state;
    write_file(UAT_FILE, "{targetUsername: u, instanceUrl: l, "
                         "sfciApps: [a1, a2]}\n");
    assert_int_equal(config_load_branch("uat", &cfg), 0);
    assert_string_equal(cfg.username, "u");
    assert_string_equal(cfg.login_url, "l");
    assert_apps(&cfg, apps, 2);
    config_release(&cfg);

    write_file(UAT_FILE, "base: &url https://test.salesforce.com\n"
                         "old: &apps [a1, a2]\n"
                         "loop: &loop [*loop]\n"
                         "targetUsername: &user ci@acme.com\n"
                         "instanceUrl: *url\n"
                         "sfciApps: *apps\n");
    assert_int_equal(config_load_branch("uat", &cfg), 0);
    assert_string_equal(cfg.username, "ci@acme.com");
    assert_string_equal(cfg.login_url, "https://test.salesforce.com");
    assert_apps(&cfg, apps, 2);
    config_release(&cfg);
}

static void test_load_branch_empty(void **state)
{
    static const char *const texts[] = {
        "",
        "# only a comment\n\n",
        "---\n",
        "--- ~\n",
        "targetUsername:\ninstanceUrl: ''\nsfciApps: ~\nother: 1\n",
        "sfciApps: []\n",
    };
    struct org_config cfg;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        write_file(UAT_FILE, texts[i]);
        assert_int_equal(config_load_branch("uat", &cfg), 0);
        assert_string_equal(cfg.name, "uat");
        assert_null(cfg.username);
        assert_null(cfg.login_url);
        assert_null(cfg.apps);
        assert_int_equal(cfg.app_count, 0);
        assert_int_equal(cfg.text.len, strlen(texts[i]));
        config_release(&cfg);
    }
}

static void test_load_branch_missing(void **state)
{
    struct org_config cfg;

    (void)state;
    assert_int_equal(config_load_branch("foo", &cfg), SFCI_EINPUT);
    assert_string_equal(error_message(),
                        "'config/branches/.sfdx-hardis.foo.yml' does not "
                        "exist: 'foo' is not a major branch (there is none "
                        "yet)");
    assert_null(cfg.name);

    write_file(UAT_FILE, "");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.main.yml", "");
    write_file(CONFIG_BRANCH_DIR "/.sfdx-hardis.integration.yml", "");
    assert_int_equal(config_load_branch("foo", &cfg), SFCI_EINPUT);
    assert_string_equal(error_message(),
                        "'config/branches/.sfdx-hardis.foo.yml' does not "
                        "exist: 'foo' is not a major branch (known: "
                        "integration, main, uat)");
    assert_null(cfg.path);
}

static void test_load_branch_many_known(void **state)
{
    struct org_config cfg;
    char path[128];
    int i;

    (void)state;
    for (i = 0; i < 40; i++) {
        snprintf(path, sizeof(path),
                 CONFIG_BRANCH_DIR "/.sfdx-hardis.feature-%02d.yml", i);
        write_file(path, "");
    }
    assert_int_equal(config_load_branch("foo", &cfg), SFCI_EINPUT);
    assert_non_null(strstr(error_message(), "(known: feature-00, "));
    assert_non_null(strstr(error_message(), " more)"));
    assert_true(strlen(error_message()) < 300);
}

static void test_load_branch_invalid_name(void **state)
{
    static const char *const names[] = {"",    ".uat",   "..",
                                        "a/b", "../uat", "u\nat"};
    struct org_config cfg;
    size_t i;

    (void)state;
    write_file(UAT_FILE, "");
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        assert_int_equal(config_load_branch(names[i], &cfg), SFCI_EINPUT);
        assert_non_null(strstr(error_message(), "invalid branch name '"));
        assert_null(strchr(error_message(), '\n'));
        assert_null(cfg.path);
    }
    assert_string_equal(error_message(),
                        "invalid branch name 'u?at': use the <branch> of a "
                        "config/branches/.sfdx-hardis.<branch>.yml file");
}

/* Malformed files --------------------------------------------------------- */

static void test_load_syntax_errors(void **state)
{
    (void)state;
    assert_uat_error("targetUsername: a\ninstanceUrl: b\nc: d: e\n",
                     UAT_FILE ":3:5: mapping values are not allowed in this "
                              "context; fix the YAML syntax");
    assert_uat_error("targetUsername: \"abc\n",
                     UAT_FILE ":2:1: found unexpected end of stream (while "
                              "scanning a quoted scalar at line 1); fix the "
                              "YAML syntax");
    assert_uat_error("sfciApps:\n  - a\n - b\n",
                     UAT_FILE ":3:2: did not find expected key (while "
                              "parsing a block mapping at line 1); fix the "
                              "YAML syntax");
    assert_uat_error("a: 1\nsfciApps:\n\t- b\n",
                     UAT_FILE ":3:1: found character that cannot start any "
                              "token (while scanning for the next token at "
                              "line 3); fix the YAML syntax");
    assert_uat_error("a: 1\ninstanceUrl: caf\xff\n",
                     UAT_FILE ":2:17: invalid leading UTF-8 octet; save the "
                              "file as UTF-8 text");
    assert_uat_error("a: 1\nb: *nowhere\n",
                     UAT_FILE ":2:4: found undefined alias; fix the YAML "
                              "syntax");
}

static void test_load_multi_document(void **state)
{
    (void)state;
    assert_uat_error("targetUsername: a\n---\ninstanceUrl: b\n",
                     UAT_FILE ":2:1: a second YAML document starts here; "
                              "sfdx-hardis reads one document per file: "
                              "remove the second one");
    assert_uat_error("targetUsername: a\n---\ninstanceUrl: [b\n",
                     UAT_FILE ":4:1: did not find expected ',' or ']' "
                              "(while parsing a flow sequence at line 3); "
                              "fix the YAML syntax");
}

static void test_load_wrong_shapes(void **state)
{
    (void)state;
    assert_uat_error("- targetUsername: a\n- instanceUrl: b\n",
                     UAT_FILE ":1:1: expected a mapping of keys to values at "
                              "the top level; write one 'key: value' per "
                              "line");
    assert_uat_error("just text\n",
                     UAT_FILE ":1:1: expected a mapping of keys to values at "
                              "the top level; write one 'key: value' per "
                              "line");
    assert_uat_error("instanceUrl: x\ntargetUsername:\n  user: a\n",
                     UAT_FILE ":3:3: 'targetUsername' must be a text value, "
                              "not a mapping; write it as 'targetUsername: "
                              "value'");
    assert_uat_error("instanceUrl: [x]\n",
                     UAT_FILE ":1:14: 'instanceUrl' must be a text value, "
                              "not a list; write it as 'instanceUrl: value'");
    assert_uat_error("targetUsername: a\nsfciApps: sfci_uat_1\n",
                     UAT_FILE ":2:11: 'sfciApps' must be a list of app "
                              "names; write one '- name' line per app");
    assert_uat_error("sfciApps:\n  - a\n  - {b: c}\n",
                     UAT_FILE ":3:5: each item of 'sfciApps' must be an app "
                              "name; write one '- name' line per app");
    assert_uat_error("sfciApps:\n  - a\n  -\n  - c\n",
                     UAT_FILE ":3:4: each item of 'sfciApps' must be an app "
                              "name; write one '- name' line per app");
    assert_uat_error("targetUsername: a\ninstanceUrl: b\n"
                     "targetUsername: c\n",
                     UAT_FILE ":3:1: duplicated key 'targetUsername' (first "
                              "at line 1); keep only one of them");
    assert_uat_error("other: 1\n\"other\": 2\n",
                     UAT_FILE ":2:1: duplicated key 'other' (first at line "
                              "1); keep only one of them");
    assert_uat_error("targetUsername: \"a\\0b\"\n",
                     UAT_FILE ":1:17: 'targetUsername' holds a NUL "
                              "character; remove it");
}

static void test_load_error_one_line(void **state)
{
    char line[600], text[1200];
    struct org_config cfg;

    (void)state;
    /* A long key with a line break in it is shown short, on one line. */
    strcpy(line, "\"");
    memset(line + 1, 'k', 500);
    strcpy(line + 501, "\\nx\": 1\n");
    snprintf(text, sizeof(text), "%s%s", line, line);
    write_file(UAT_FILE, text);
    assert_int_equal(config_load_branch("uat", &cfg), SFCI_EINPUT);
    assert_non_null(strstr(error_message(), ":2:1: duplicated key 'kkk"));
    assert_non_null(strstr(error_message(), "...'"));
    assert_null(strchr(error_message(), '\n'));
    assert_true(strlen(error_message()) < 300);
}

/* The Dev Hub -------------------------------------------------------------- */

static void test_devhub_lookup_order(void **state)
{
    static const char *const files[] = {
        ".sfdx-hardis.yaml",
        ".sfdx-hardis.yml",
        "config/.sfdx-hardis.yaml",
        "config/.sfdx-hardis.yml",
    };
    char text[64];
    struct org_config cfg;
    size_t i;

    (void)state;
    for (i = 0; i < 4; i++) {
        snprintf(text, sizeof(text), "devHubAlias: hub%zu\n", i);
        write_file(files[i], text);
    }
    for (i = 0; i < 4; i++) {
        snprintf(text, sizeof(text), "hub%zu", i);
        assert_int_equal(config_load_devhub(&cfg), 0);
        assert_string_equal(cfg.path, files[i]);
        assert_string_equal(cfg.name, text);
        assert_true(cfg.devhub);
        config_release(&cfg);
        assert_int_equal(unlink(files[i]), 0);
    }

    assert_int_equal(config_load_devhub(&cfg), SFCI_EINPUT);
    assert_string_equal(error_message(),
                        "no project file: create 'config/.sfdx-hardis.yml' "
                        "with devHubAlias, devHubUsername and "
                        "devHubInstanceUrl");
    assert_null(cfg.path);
    config_release(&cfg);
}

static void test_devhub_keys(void **state)
{
    static const char *const apps[] = {"sfci_devhub_1"};
    struct org_config cfg;

    (void)state;
    write_file("config/.sfdx-hardis.yml",
               "projectName: acme\n"
               "targetUsername: not-this-one\n"
               "sfciApps: [not, these]\n"
               "devHubUsername: admin@acme.com\n"
               "devHubInstanceUrl: https://login.salesforce.com\n"
               "sfciDevHubApps:\n"
               "  - sfci_devhub_1\n");
    assert_int_equal(config_load_devhub(&cfg), 0);
    assert_string_equal(cfg.name, "DevHub");
    assert_true(cfg.devhub);
    assert_string_equal(cfg.username, "admin@acme.com");
    assert_string_equal(cfg.login_url, "https://login.salesforce.com");
    assert_apps(&cfg, apps, 1);
    config_release(&cfg);

    write_file("config/.sfdx-hardis.yml", "devHubAlias:\n");
    assert_int_equal(config_load_devhub(&cfg), 0);
    assert_string_equal(cfg.name, "DevHub");
    assert_null(cfg.username);
    assert_null(cfg.login_url);
    assert_int_equal(cfg.app_count, 0);
    config_release(&cfg);

    write_file("config/.sfdx-hardis.yml", "devHubUsername: [a]\n");
    assert_int_equal(config_load_devhub(&cfg), SFCI_EINPUT);
    assert_string_equal(error_message(),
                        "config/.sfdx-hardis.yml:1:17: 'devHubUsername' must "
                        "be a text value, not a list; write it as "
                        "'devHubUsername: value'");
    assert_null(cfg.path);

    write_file("config/.sfdx-hardis.yml", "sfciDevHubApps: {a: b}\n");
    assert_int_equal(config_load_devhub(&cfg), SFCI_EINPUT);
    assert_string_equal(error_message(),
                        "config/.sfdx-hardis.yml:1:17: 'sfciDevHubApps' must "
                        "be a list of app names; write one '- name' line per "
                        "app");
}

/* Rendering ------------------------------------------------------------- */

#define ABSENT_BEFORE                                                          \
    "# the uat org\n"                                                          \
    "targetUsername: ci@acme.com.uat # the CI user\n"                          \
    "\n"                                                                       \
    "instanceUrl: 'https://test.salesforce.com'\n"

static void test_render_absent(void **state)
{
    (void)state;
    check_render_uat(ABSENT_BEFORE, two_apps, 2, ABSENT_BEFORE TWO_APPS_BLOCK);
    check_render_uat("targetUsername: a\ninstanceUrl: b", two_apps, 2,
                     "targetUsername: a\ninstanceUrl: b\n" TWO_APPS_BLOCK);
    check_render_uat("", two_apps, 2, TWO_APPS_BLOCK);
    check_render_uat("# nothing yet\n", two_apps, 2,
                     "# nothing yet\n" TWO_APPS_BLOCK);
    check_render_uat("---\n", two_apps, 2, "---\n" TWO_APPS_BLOCK);
    check_render_uat("a: 1\n...\n", two_apps, 2,
                     "a: 1\n" TWO_APPS_BLOCK "...\n");
    check_render_uat("  a: 1\n  b:\n    - c\n", two_apps, 1,
                     "  a: 1\n  b:\n    - c\n"
                     "  sfciApps:\n"
                     "    - sfci_uat_20261203101500\n");

    /* No apps and no key: nothing changes. */
    check_render_uat(ABSENT_BEFORE, NULL, 0, ABSENT_BEFORE);
}

static void test_render_block(void **state)
{
    (void)state;
    check_render_uat("# Branch uat\n"
                     "targetUsername: ci@acme.com.uat   # the CI user\n"
                     "\n"
                     "sfciApps:\n"
                     "  - sfci_uat_1\n"
                     "  # an old one\n"
                     "  - sfci_uat_2\n"
                     "# after the list\n"
                     "instanceUrl: \"https://test.salesforce.com\"\n"
                     "\n"
                     "mergeTargets:\n"
                     "  - preprod\n",
                     two_apps, 2,
                     "# Branch uat\n"
                     "targetUsername: ci@acme.com.uat   # the CI user\n"
                     "\n" TWO_APPS_BLOCK "# after the list\n"
                     "instanceUrl: \"https://test.salesforce.com\"\n"
                     "\n"
                     "mergeTargets:\n"
                     "  - preprod\n");

    /* A sequence at the key's own indentation, then a blank line. */
    check_render_uat("sfciApps:\n- a\n- b\n\ninstanceUrl: x\n", two_apps, 2,
                     TWO_APPS_BLOCK "\ninstanceUrl: x\n");

    /* An empty value, a null one. */
    check_render_uat("targetUsername: a\nsfciApps:\ninstanceUrl: b\n", two_apps,
                     2,
                     "targetUsername: a\n" TWO_APPS_BLOCK "instanceUrl: b\n");
    check_render_uat("sfciApps: ~ # none yet\n# end\n", two_apps, 2,
                     TWO_APPS_BLOCK "# end\n");
}

static void test_render_flow(void **state)
{
    (void)state;
    check_render_uat("targetUsername: a\nsfciApps: [ ]\ninstanceUrl: b\n",
                     two_apps, 2,
                     "targetUsername: a\n" TWO_APPS_BLOCK "instanceUrl: b\n");
    check_render_uat("sfciApps: [a,\n  b]  # two\n\nnext: [1, 2]\n", two_apps,
                     2, TWO_APPS_BLOCK "\nnext: [1, 2]\n");
    check_render_uat("sfciApps:\n  [a, b]\nnext: 1\n", two_apps, 1,
                     "sfciApps:\n  - sfci_uat_20261203101500\nnext: 1\n");
    /* An alias: the anchor it names stays where it is. */
    check_render_uat("old: &apps [a]\nsfciApps: *apps\nnext: 1\n", two_apps, 1,
                     "old: &apps [a]\nsfciApps:\n"
                     "  - sfci_uat_20261203101500\nnext: 1\n");
}

static void test_render_last_line(void **state)
{
    static const char *const one[] = {"new_one"};

    (void)state;
    check_render_uat("targetUsername: a\nsfciApps:\n  - old", two_apps, 2,
                     "targetUsername: a\n"
                     "sfciApps:\n"
                     "  - sfci_uat_20261203101500\n"
                     "  - sfci_uat_20261204090000");
    check_render_uat("targetUsername: a\nsfciApps: [old]", one, 1,
                     "targetUsername: a\nsfciApps:\n  - new_one");
    check_render_uat("targetUsername: a\nsfciApps: [old]\n", one, 1,
                     "targetUsername: a\nsfciApps:\n  - new_one\n");
}

static void test_render_remove(void **state)
{
    (void)state;
    check_render_uat("a: 1\nsfciApps:\n  - x\n  - y\nb: 2\n", NULL, 0,
                     "a: 1\nb: 2\n");
    check_render_uat("a: 1\nsfciApps: [x]", NULL, 0, "a: 1\n");
    check_render_uat("sfciApps: [x]\n", NULL, 0, "");
}

static void test_render_devhub(void **state)
{
    static const char *const apps[] = {"sfci_devhub_1", "sfci_devhub_2"};

    (void)state;
    check_render("config/.sfdx-hardis.yml", true,
                 "projectName: acme\n"
                 "devHubAlias: AcmeHub\n"
                 "sfciApps: [not, this]\n"
                 "sfciDevHubApps: [sfci_devhub_1]\n"
                 "devHubUsername: admin@acme.com\n",
                 apps, 2,
                 "projectName: acme\n"
                 "devHubAlias: AcmeHub\n"
                 "sfciApps: [not, this]\n"
                 "sfciDevHubApps:\n"
                 "  - sfci_devhub_1\n"
                 "  - sfci_devhub_2\n"
                 "devHubUsername: admin@acme.com\n");
    check_render(".sfdx-hardis.yml", true, "devHubUsername: admin@acme.com\n",
                 apps, 1,
                 "devHubUsername: admin@acme.com\n"
                 "sfciDevHubApps:\n"
                 "  - sfci_devhub_1\n");
}

static void test_render_quoting(void **state)
{
    static const char *const apps[] = {
        "true", "No", "123", "a b", "it's", "-x", "ok_name-1.2", "é", "",
    };

    (void)state;
    check_render_uat("a: 1\n", apps, sizeof(apps) / sizeof(apps[0]),
                     "a: 1\n"
                     "sfciApps:\n"
                     "  - 'true'\n"
                     "  - 'No'\n"
                     "  - '123'\n"
                     "  - 'a b'\n"
                     "  - 'it''s'\n"
                     "  - '-x'\n"
                     "  - ok_name-1.2\n"
                     "  - 'é'\n"
                     "  - ''\n");
}

static void test_render_encodings(void **state)
{
    static const char *const one[] = {"y1"};

    (void)state;
    /* Marks count characters: multi-byte text before the key. */
    check_render_uat("# café ünïcode ✓\nprojectName: 'Ça va'\n"
                     "sfciApps: [x] # ☃\nz: 1\n",
                     one, 1,
                     "# café ünïcode ✓\nprojectName: 'Ça va'\n"
                     "sfciApps:\n  - y1\nz: 1\n");
    check_render_uat("\xef\xbb\xbf"
                     "a: 1\nsfciApps: [x]\nb: 2\n",
                     one, 1,
                     "\xef\xbb\xbf"
                     "a: 1\nsfciApps:\n  - y1\nb: 2\n");
    check_render_uat("a: 1\r\nsfciApps: [x]\r\nb: 2\r\n", one, 1,
                     "a: 1\r\nsfciApps:\r\n  - y1\r\nb: 2\r\n");
    check_render_uat("a: 1\r\nb: 2", one, 1,
                     "a: 1\r\nb: 2\r\nsfciApps:\r\n  - y1\r\n");
}

static void test_render_refused(void **state)
{
    static const char *const one[] = {"y1"};
    static const char *const bad[] = {"a\nb"};

    (void)state;
    assert_render_error("{targetUsername: a, instanceUrl: b}\n", one, 1,
                        "'" UAT_FILE "' is a flow-style mapping; sfci can "
                        "only add 'sfciApps' to a block-style file: rewrite "
                        "it as one 'key: value' per line");
    assert_render_error("--- ~\n", one, 1,
                        "'" UAT_FILE "' is not a mapping of keys to values; "
                        "sfci can only add 'sfciApps' to a block-style file: "
                        "rewrite it as one 'key: value' per line");
    assert_render_error("sfciApps: &apps [a]\nother: *apps\n", one, 1,
                        "'" UAT_FILE "' line 1: 'sfciApps' has an '&' "
                        "anchor; remove it so that sfci can rewrite the key");
    assert_render_error("a: 1\n? sfciApps\n: [x]\n", one, 1,
                        "'" UAT_FILE "' line 2: 'sfciApps' does not start "
                        "its line; write it as 'sfciApps:' at the start of a "
                        "line");
    assert_render_error("a: 1\n?\n  sfciApps\n: [x]\n", one, 1,
                        "'" UAT_FILE "' line 3: 'sfciApps' does not start "
                        "its line; write it as 'sfciApps:' at the start of a "
                        "line");
    assert_render_error("a: 1\n", bad, 1,
                        "app name 'a?b' holds a control character; use "
                        "letters, digits and '_'");
}

static void test_render_appends_to_out(void **state)
{
    static const char *const one[] = {"y1"};
    struct org_config cfg;
    struct buf out = BUF_INIT;

    (void)state;
    write_file(UAT_FILE, "a: 1\n");
    assert_int_equal(config_load_branch("uat", &cfg), 0);
    assert_int_equal(buf_puts(&out, "before:"), 0);
    assert_int_equal(config_render_apps(&cfg, one, 1, &out), 0);
    assert_string_equal(buf_cstr(&out), "before:a: 1\nsfciApps:\n  - y1\n");
    buf_release(&out);
    config_release(&cfg);
}

static void test_release_zeroed(void **state)
{
    struct org_config cfg;

    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    config_release(&cfg);
    config_release(&cfg);
    assert_null(cfg.text.data);
}

#define PROJECT_TEST(f)                                                        \
    cmocka_unit_test_setup_teardown(f, project_enter, project_leave)

int main(void)
{
    const struct CMUnitTest tests[] = {
        PROJECT_TEST(test_list_sorted),
        PROJECT_TEST(test_list_none),
        PROJECT_TEST(test_list_free_null),
        PROJECT_TEST(test_load_branch),
        PROJECT_TEST(test_load_branch_flow_and_aliases),
        PROJECT_TEST(test_load_branch_empty),
        PROJECT_TEST(test_load_branch_missing),
        PROJECT_TEST(test_load_branch_many_known),
        PROJECT_TEST(test_load_branch_invalid_name),
        PROJECT_TEST(test_load_syntax_errors),
        PROJECT_TEST(test_load_multi_document),
        PROJECT_TEST(test_load_wrong_shapes),
        PROJECT_TEST(test_load_error_one_line),
        PROJECT_TEST(test_devhub_lookup_order),
        PROJECT_TEST(test_devhub_keys),
        PROJECT_TEST(test_render_absent),
        PROJECT_TEST(test_render_block),
        PROJECT_TEST(test_render_flow),
        PROJECT_TEST(test_render_last_line),
        PROJECT_TEST(test_render_remove),
        PROJECT_TEST(test_render_devhub),
        PROJECT_TEST(test_render_quoting),
        PROJECT_TEST(test_render_encodings),
        PROJECT_TEST(test_render_refused),
        PROJECT_TEST(test_render_appends_to_out),
        PROJECT_TEST(test_release_zeroed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
