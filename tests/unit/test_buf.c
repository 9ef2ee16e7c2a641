#include "testutil.h"

#include "buf.h"
#include "errors.h"

static void appends_and_formats(void **state)
{
    struct buf b = BUF_INIT;

    (void)state;
    assert_string_equal(buf_cstr(&b), "");
    assert_int_equal(buf_puts(&b, "key"), 0);
    assert_int_equal(buf_putc(&b, '='), 0);
    assert_int_equal(buf_printf(&b, "%d-%s", 42, "x"), 0);
    assert_string_equal(buf_cstr(&b), "key=42-x");
    assert_int_equal(b.len, 8);
    buf_release(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void grows_past_many_pages(void **state)
{
    struct buf b = BUF_INIT;
    int i;

    (void)state;
    for (i = 0; i < 10000; i++)
        assert_int_equal(buf_printf(&b, "%04d", i % 10000), 0);
    assert_int_equal(b.len, 40000);
    assert_memory_equal(b.data + 39996, "9999", 4);
    assert_int_equal(b.data[b.len], '\0');
    buf_release(&b);
}

static void writes_hex(void **state)
{
    const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
    struct buf b = BUF_INIT;

    (void)state;
    assert_int_equal(buf_put_hex(&b, bytes, sizeof(bytes)), 0);
    assert_string_equal(buf_cstr(&b), "000fa5ff");
    buf_release(&b);
}

static void detaches_and_clears(void **state)
{
    struct buf b = BUF_INIT;
    char *s;

    (void)state;
    s = buf_detach(&b);
    assert_string_equal(s, "");
    free(s);

    buf_puts(&b, "secret");
    buf_clear(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(buf_cstr(&b), "");
    buf_puts(&b, "next");
    s = buf_detach(&b);
    assert_string_equal(s, "next");
    assert_null(b.data);
    secret_free(s);
    secret_free(NULL);
}

static void keeps_the_last_error(void **state)
{
    (void)state;
    error_clear();
    assert_int_equal(error_code(), SFCI_OK);
    assert_int_equal(error_set(SFCI_EINPUT, "bad '%s'", "x"), SFCI_EINPUT);
    assert_string_equal(error_message(), "bad 'x'");
    assert_int_equal(error_prefix("uat"), SFCI_EINPUT);
    assert_string_equal(error_message(), "uat: bad 'x'");
    /* The last message may be an argument of the next one. */
    error_set(SFCI_EINPUT, "%s (and more)", error_message());
    assert_string_equal(error_message(), "uat: bad 'x' (and more)");
    assert_int_equal(error_oom(), SFCI_EFAIL);
    assert_string_equal(error_message(), "out of memory");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(appends_and_formats),
        cmocka_unit_test(grows_past_many_pages),
        cmocka_unit_test(writes_hex),
        cmocka_unit_test(detaches_and_clears),
        cmocka_unit_test(keeps_the_last_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
