#include "testutil.h"

#include "errors.h"
#include "vault.h"

/*
 * Made with the openssl command, as sfdx-hardis documents it:
 *   printf 'a private key, as sfdx-hardis would encrypt it\n' |
 *   openssl enc -aes-256-cbc -K <hex of the 32 ASCII key bytes> \
 *       -iv 0f1e2d3c4b5a69788796a5b4c3d2e1f0
 */
static const char vector_key[] = "4f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99";
static const char vector_plain[] =
    "a private key, as sfdx-hardis would encrypt it\n";
static const char vector_text[] =
    "0f1e2d3c4b5a69788796a5b4c3d2e1f0:"
    "6ae0f3276a573525be442f1a4f9614fabc73db5d199262b7e939ddfd5918b966"
    "cdc749ad7a9f45239bc8b74693f953ce";

static void decrypts_an_openssl_vector(void **state)
{
    struct buf plain = BUF_INIT;

    (void)state;
    assert_int_equal(
        vault_decrypt(vector_key, vector_text, strlen(vector_text), &plain), 0);
    assert_string_equal(buf_cstr(&plain), vector_plain);
    buf_release(&plain);
}

static void tolerates_case_and_whitespace(void **state)
{
    struct buf plain = BUF_INIT;
    char text[sizeof(vector_text) + 4];
    size_t i;

    (void)state;
    snprintf(text, sizeof(text), " %s\n", vector_text);
    for (i = 0; text[i] != '\0'; i++)
        text[i] = (char)toupper((unsigned char)text[i]);
    assert_int_equal(vault_decrypt(vector_key, text, strlen(text), &plain), 0);
    assert_string_equal(buf_cstr(&plain), vector_plain);
    buf_release(&plain);
}

static void round_trips(void **state)
{
    char key[VAULT_KEY_LEN + 1];
    struct buf text = BUF_INIT, plain = BUF_INIT;
    const char *colon;

    (void)state;
    assert_int_equal(vault_key_generate(key), 0);
    assert_int_equal(strlen(key), 32);
    assert_int_equal(strspn(key, "0123456789abcdef"), 32);

    assert_int_equal(
        vault_encrypt(key, vector_plain, strlen(vector_plain), &text), 0);
    colon = strchr(buf_cstr(&text), ':');
    assert_non_null(colon);
    assert_int_equal(colon - text.data, 32);
    assert_int_equal(strlen(colon + 1) % 32, 0);
    assert_int_equal(strspn(text.data, "0123456789abcdef:"), text.len);

    assert_int_equal(vault_decrypt(key, text.data, text.len, &plain), 0);
    assert_string_equal(buf_cstr(&plain), vector_plain);
    buf_release(&text);
    buf_release(&plain);
}

static void each_encryption_has_its_own_iv(void **state)
{
    struct buf a = BUF_INIT, b = BUF_INIT;

    (void)state;
    vault_encrypt(vector_key, "same", 4, &a);
    vault_encrypt(vector_key, "same", 4, &b);
    assert_string_not_equal(buf_cstr(&a), buf_cstr(&b));
    buf_release(&a);
    buf_release(&b);
}

static void refuses_a_wrong_key(void **state)
{
    struct buf plain = BUF_INIT;
    int rc;

    (void)state;
    /* A wrong key fails the padding check (or, rarely, yields garbage). */
    rc = vault_decrypt("00000000000000000000000000000000", vector_text,
                       strlen(vector_text), &plain);
    if (rc == 0)
        assert_string_not_equal(buf_cstr(&plain), vector_plain);
    else
        assert_int_equal(rc, SFCI_EINPUT);
    buf_release(&plain);

    assert_int_equal(
        vault_decrypt("short", vector_text, strlen(vector_text), &plain),
        SFCI_EINPUT);
    assert_non_null(strstr(error_message(), "32 characters"));
}

static void refuses_malformed_text(void **state)
{
    static const char *const bad[] = {
        "",
        "no colon here",
        "0f1e2d3c4b5a69788796a5b4c3d2e1:00",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0:",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0:6ae0f3276a573525be442f1a4f9614",
        "0f1e2d3c4b5a69788796a5b4c3d2e1f0:zzz0f3276a573525be442f1a4f9614fa",
        "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n",
    };
    struct buf plain = BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            vault_decrypt(vector_key, bad[i], strlen(bad[i]), &plain),
            SFCI_EINPUT);
        assert_int_equal(plain.len, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decrypts_an_openssl_vector),
        cmocka_unit_test(tolerates_case_and_whitespace),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(each_encryption_has_its_own_iv),
        cmocka_unit_test(refuses_a_wrong_key),
        cmocka_unit_test(refuses_malformed_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
