#include "testutil.h"

#include "jwt.h"
#include "keys.h"

#include <jansson.h>
#include <openssl/evp.h>

static void check_base64url(const char *in, size_t len, const char *out)
{
    struct buf b = BUF_INIT;

    assert_int_equal(base64url_encode(in, len, &b), 0);
    assert_string_equal(buf_cstr(&b), out);
    buf_release(&b);
}

static void encodes_base64url_without_padding(void **state)
{
    (void)state;
    check_base64url("", 0, "");
    check_base64url("f", 1, "Zg");
    check_base64url("fo", 2, "Zm8");
    check_base64url("foo", 3, "Zm9v");
    check_base64url("foob", 4, "Zm9vYg");
    check_base64url("\xfb\xff", 2, "-_8");
    check_base64url("\xfb\xef\xbe", 3, "----");
}

/* Decodes base64url (no padding) with OpenSSL, for the checks. */
static size_t decode(const char *text, size_t len, unsigned char *out)
{
    char padded[1024];
    size_t i, n;
    int got;

    assert_true(len + 4 < sizeof(padded));
    for (i = 0; i < len; i++)
        padded[i] = text[i] == '-' ? '+' : text[i] == '_' ? '/' : text[i];
    n = len;
    while (n % 4 != 0)
        padded[n++] = '=';
    got = EVP_DecodeBlock(out, (unsigned char *)padded, (int)n);
    assert_true(got >= 0);
    return (size_t)got - (n - len);
}

static void signs_a_verifiable_assertion(void **state)
{
    struct jwt_claims claims = {
        .issuer = "3MVG9abc",
        .subject = "ci@acme.example.uat",
        .audience = "https://test.salesforce.com",
        .expires = 1800000000,
    };
    struct buf jwt = BUF_INIT;
    unsigned char part[1024];
    const char *dot1, *dot2;
    EVP_PKEY *key = NULL;
    EVP_MD_CTX *ctx;
    json_t *object;
    size_t n;

    (void)state;
    assert_int_equal(key_generate(&key), 0);
    assert_int_equal(jwt_sign(key, &claims, &jwt), 0);

    dot1 = strchr(jwt.data, '.');
    dot2 = strchr(dot1 + 1, '.');
    assert_non_null(dot2);
    assert_null(strchr(jwt.data, '='));

    n = decode(jwt.data, (size_t)(dot1 - jwt.data), part);
    assert_int_equal(n, 15);
    assert_memory_equal(part, "{\"alg\":\"RS256\"}", 15);

    n = decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), part);
    object = json_loadb((char *)part, n, 0, NULL);
    assert_non_null(object);
    assert_string_equal(json_string_value(json_object_get(object, "iss")),
                        "3MVG9abc");
    assert_string_equal(json_string_value(json_object_get(object, "sub")),
                        "ci@acme.example.uat");
    assert_string_equal(json_string_value(json_object_get(object, "aud")),
                        "https://test.salesforce.com");
    assert_int_equal(json_integer_value(json_object_get(object, "exp")),
                     1800000000);
    json_decref(object);

    n = decode(dot2 + 1, strlen(dot2 + 1), part);
    assert_int_equal(n, 256);
    ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key),
                     1);
    assert_int_equal(EVP_DigestVerify(ctx, part, n, (unsigned char *)jwt.data,
                                      (size_t)(dot2 - jwt.data)),
                     1);
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    buf_release(&jwt);
}

static void escapes_claims(void **state)
{
    struct jwt_claims claims = {
        .issuer = "id\"with\\quotes",
        .subject = "a@b.c",
        .audience = "https://login.salesforce.com",
        .expires = 1,
    };
    struct buf jwt = BUF_INIT;
    unsigned char part[512];
    EVP_PKEY *key = NULL;
    const char *dot1, *dot2;
    json_t *object;
    size_t n;

    (void)state;
    assert_int_equal(key_generate(&key), 0);
    assert_int_equal(jwt_sign(key, &claims, &jwt), 0);
    dot1 = strchr(jwt.data, '.');
    dot2 = strchr(dot1 + 1, '.');
    n = decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), part);
    object = json_loadb((char *)part, n, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(object, "iss")),
                        "id\"with\\quotes");
    json_decref(object);
    EVP_PKEY_free(key);
    buf_release(&jwt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(encodes_base64url_without_padding),
        cmocka_unit_test(signs_a_verifiable_assertion),
        cmocka_unit_test(escapes_claims),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
