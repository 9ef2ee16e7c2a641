#include "testutil.h"

#include "errors.h"
#include "remote.h"

static void check(const char *url, const char *host, const char *path)
{
    struct remote r;

    assert_int_equal(remote_parse(url, &r), 0);
    assert_string_equal(r.host, host);
    assert_string_equal(r.path, path);
    remote_release(&r);
}

static void splits_every_url_form(void **state)
{
    (void)state;
    check("https://github.com/acme/app.git", "github.com", "acme/app");
    check("https://github.com/acme/app", "github.com", "acme/app");
    check("git@github.com:acme/app.git", "github.com", "acme/app");
    check("ssh://git@gitlab.example.com:2222/group/sub/project.git",
          "gitlab.example.com", "group/sub/project");
    check("https://oauth2:tok@GitLab.com/group/project.git/", "gitlab.com",
          "group/project");
    check("https://acme@dev.azure.com/acme/CRM/_git/crm-app", "dev.azure.com",
          "acme/CRM/_git/crm-app");
    check("git@ssh.dev.azure.com:v3/acme/CRM/crm-app", "ssh.dev.azure.com",
          "v3/acme/CRM/crm-app");
    check("git@bitbucket.org:acme/app.git", "bitbucket.org", "acme/app");
}

static void refuses_what_is_not_a_remote(void **state)
{
    struct remote r;

    (void)state;
    assert_int_equal(remote_parse("/srv/git/app.git", &r), SFCI_EINPUT);
    assert_int_equal(remote_parse("https://github.com", &r), SFCI_EINPUT);
    assert_int_equal(remote_parse("https://github.com/", &r), SFCI_EINPUT);
    assert_non_null(strstr(error_message(), "--provider"));
    assert_null(r.host);
}

static void reads_origin(void **state)
{
    struct scratch s;
    struct remote r;

    (void)state;
    scratch_enter(&s);
    assert_int_equal(remote_read_origin(&r), SFCI_EINPUT);
    assert_non_null(strstr(error_message(), "'origin'"));

    assert_int_equal(system("git init -q . && git remote add origin "
                            "git@gitlab.com:acme/crm.git"),
                     0);
    assert_int_equal(remote_read_origin(&r), 0);
    assert_string_equal(r.host, "gitlab.com");
    assert_string_equal(r.path, "acme/crm");
    remote_release(&r);
    scratch_leave(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_every_url_form),
        cmocka_unit_test(refuses_what_is_not_a_remote),
        cmocka_unit_test(reads_origin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
