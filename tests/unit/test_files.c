#include "testutil.h"

#include "errors.h"
#include "files.h"

static void writes_atomically_with_mode(void **state)
{
    struct scratch s;
    char *text;

    (void)state;
    scratch_enter(&s);
    assert_int_equal(file_write_atomic("secret.key", "abc", 3, 0600), 0);
    assert_int_equal(mode_of("secret.key"), 0600);
    text = read_text("secret.key");
    assert_string_equal(text, "abc");
    free(text);

    /* Replacing keeps no temporary file behind. */
    assert_int_equal(file_write_atomic("secret.key", "defg", 4, 0600), 0);
    text = read_text("secret.key");
    assert_string_equal(text, "defg");
    free(text);
    assert_int_equal(entries_in("."), 1);
    scratch_leave(&s);
}

static void batch_changes_nothing_until_commit(void **state)
{
    struct file_batch batch = FILE_BATCH_INIT;
    struct scratch s;
    char *text;

    (void)state;
    scratch_enter(&s);
    write_text("a.txt", "old a");

    assert_int_equal(file_batch_add(&batch, "a.txt", "new a", 5, 0644), 0);
    assert_int_equal(file_batch_add(&batch, "b.txt", "new b", 5, 0600), 0);
    text = read_text("a.txt");
    assert_string_equal(text, "old a");
    free(text);
    assert_false(file_exists("b.txt"));

    /* Released without commit: the targets stay, the temporaries go. */
    file_batch_release(&batch);
    assert_int_equal(entries_in("."), 1);

    assert_int_equal(file_batch_add(&batch, "a.txt", "new a", 5, 0644), 0);
    assert_int_equal(file_batch_add(&batch, "b.txt", "new b", 5, 0600), 0);
    assert_int_equal(file_batch_commit(&batch), 0);
    file_batch_release(&batch);
    text = read_text("a.txt");
    assert_string_equal(text, "new a");
    free(text);
    assert_int_equal(mode_of("b.txt"), 0600);
    assert_int_equal(entries_in("."), 2);
    scratch_leave(&s);
}

static void add_fails_in_a_missing_folder(void **state)
{
    struct file_batch batch = FILE_BATCH_INIT;
    struct scratch s;

    (void)state;
    scratch_enter(&s);
    assert_int_equal(file_batch_add(&batch, "no/such/x", "1", 1, 0600),
                     SFCI_EFAIL);
    assert_non_null(strstr(error_message(), "'no/such/x'"));
    file_batch_release(&batch);
    scratch_leave(&s);
}

static void reads_and_reports_missing(void **state)
{
    struct buf b = BUF_INIT;
    struct scratch s;

    (void)state;
    scratch_enter(&s);
    write_text("x.yml", "a: b\n");
    assert_int_equal(file_read("x.yml", &b), 0);
    assert_string_equal(buf_cstr(&b), "a: b\n");
    buf_release(&b);

    assert_int_equal(file_read("y.yml", &b), SFCI_EINPUT);
    assert_string_equal(error_message(), "'y.yml' does not exist");
    buf_release(&b);
    scratch_leave(&s);
}

static void creates_nested_folders(void **state)
{
    struct scratch s;

    (void)state;
    scratch_enter(&s);
    assert_int_equal(dir_create("config/branches/.jwt", 0755), 0);
    assert_true(file_exists("config/branches/.jwt"));
    assert_int_equal(dir_create("config/branches/.jwt", 0755), 0);
    assert_int_equal(dir_create(".sfci", 0700), 0);
    assert_int_equal(mode_of(".sfci") & 0077, 0);
    assert_int_equal(file_mode("missing", 0640), 0640);
    scratch_leave(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(writes_atomically_with_mode),
        cmocka_unit_test(batch_changes_nothing_until_commit),
        cmocka_unit_test(add_fails_in_a_missing_folder),
        cmocka_unit_test(reads_and_reports_missing),
        cmocka_unit_test(creates_nested_folders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
