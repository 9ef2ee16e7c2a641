#include "testutil.h"

#include "errors.h"
#include "variables.h"

static void check_suffix(const char *name, const char *expected)
{
    struct buf b = BUF_INIT;

    assert_int_equal(variable_suffix(name, &b), 0);
    assert_string_equal(buf_cstr(&b), expected);
    buf_release(&b);
}

static void sanitises_names(void **state)
{
    (void)state;
    check_suffix("uat", "UAT");
    check_suffix("pre-prod", "PRE_PROD");
    check_suffix("release/2.0", "RELEASE_2_0");
    check_suffix("DevHub_acme-crm", "DEVHUB_ACME_CRM");
    check_suffix("int\xc3\xa9gration", "INT__GRATION");
    check_suffix("a b", "A_B");
}

static void refuses_an_empty_name(void **state)
{
    struct buf b = BUF_INIT;

    (void)state;
    assert_int_equal(variable_suffix("", &b), SFCI_EINPUT);
    assert_int_equal(variable_suffix(NULL, &b), SFCI_EINPUT);
}

static void names_each_kind(void **state)
{
    struct buf b = BUF_INIT;

    (void)state;
    variable_name(VARIABLE_CLIENT_ID, "PRE_PROD", &b);
    assert_string_equal(buf_cstr(&b), "SFDX_CLIENT_ID_PRE_PROD");
    buf_clear(&b);
    variable_name(VARIABLE_CLIENT_KEY, "UAT", &b);
    assert_string_equal(buf_cstr(&b), "SFDX_CLIENT_KEY_UAT");
    buf_clear(&b);
    variable_name(VARIABLE_CLIENT_CERT, "UAT", &b);
    assert_string_equal(buf_cstr(&b), "SFDX_CLIENT_CERT_UAT");
    buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sanitises_names),
        cmocka_unit_test(refuses_an_empty_name),
        cmocka_unit_test(names_each_kind),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
