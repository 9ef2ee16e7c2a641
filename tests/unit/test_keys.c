#include "testutil.h"

#include "errors.h"
#include "keys.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <time.h>

static EVP_PKEY *shared_key;

static int make_key(void **state)
{
    (void)state;
    return key_generate(&shared_key);
}

static int free_key(void **state)
{
    (void)state;
    EVP_PKEY_free(shared_key);
    return 0;
}

static X509 *read_cert(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);

    BIO_free(bio);
    assert_non_null(cert);
    return cert;
}

static void generates_rsa_2048(void **state)
{
    (void)state;
    assert_int_equal(EVP_PKEY_get_base_id(shared_key), EVP_PKEY_RSA);
    assert_int_equal(EVP_PKEY_get_bits(shared_key), 2048);
}

static void writes_and_reads_pkcs8(void **state)
{
    struct buf pem = BUF_INIT;
    EVP_PKEY *back = NULL;

    (void)state;
    assert_int_equal(key_write_pem(shared_key, &pem), 0);
    assert_true(strncmp(pem.data, "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
    assert_int_equal(key_read_pem(pem.data, pem.len, &back), 0);
    assert_int_equal(EVP_PKEY_eq(back, shared_key), 1);
    EVP_PKEY_free(back);
    buf_release(&pem);

    assert_int_equal(key_read_pem("not a key", 9, &back), SFCI_EINPUT);
    assert_null(back);
}

static void makes_a_self_signed_sha256_certificate(void **state)
{
    struct buf pem = BUF_INIT;
    X509 *cert;
    char cn[64];
    int day, sec;

    (void)state;
    assert_int_equal(
        cert_generate(shared_key, "sfci_uat_20261203101500", 30, &pem), 0);
    assert_true(strncmp(pem.data, "-----BEGIN CERTIFICATE-----", 27) == 0);
    assert_true(cert_matches_key(pem.data, shared_key));

    cert = read_cert(pem.data);
    assert_int_equal(X509_get_signature_nid(cert), NID_sha256WithRSAEncryption);
    assert_int_equal(
        X509_NAME_cmp(X509_get_subject_name(cert), X509_get_issuer_name(cert)),
        0);
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
                              sizeof(cn));
    assert_string_equal(cn, "sfci_uat_20261203101500");
    assert_int_equal(X509_verify(cert, shared_key), 1);

    /* Valid from now for 30 days, to the second or so. */
    assert_int_equal(ASN1_TIME_diff(&day, &sec, X509_get0_notBefore(cert),
                                    X509_get0_notAfter(cert)),
                     1);
    assert_int_equal(day, 30);
    assert_true(sec < 5);
    assert_true(X509_cmp_current_time(X509_get0_notBefore(cert)) <= 0);
    X509_free(cert);
    buf_release(&pem);
}

static void prints_the_sha256_fingerprint(void **state)
{
    struct buf pem = BUF_INIT, fingerprint = BUF_INIT;
    unsigned char digest[32];
    unsigned int len;
    char expected[3 * 32];
    X509 *cert;
    int i;

    (void)state;
    assert_int_equal(cert_generate(shared_key, "x", 1, &pem), 0);
    assert_int_equal(cert_fingerprint(pem.data, &fingerprint), 0);

    cert = read_cert(pem.data);
    X509_digest(cert, EVP_sha256(), digest, &len);
    for (i = 0; i < 32; i++)
        sprintf(expected + 3 * i, "%02X%s", digest[i], i < 31 ? ":" : "");
    assert_string_equal(fingerprint.data, expected);

    assert_int_equal(cert_fingerprint("not a certificate", &fingerprint),
                     SFCI_EFAIL);
    X509_free(cert);
    buf_release(&fingerprint);
    buf_release(&pem);
}

static void tells_a_foreign_key_apart(void **state)
{
    struct buf pem = BUF_INIT;
    EVP_PKEY *other = NULL;

    (void)state;
    assert_int_equal(key_generate(&other), 0);
    assert_int_equal(cert_generate(other, "other", 1, &pem), 0);
    assert_false(cert_matches_key(pem.data, shared_key));
    assert_false(cert_matches_key("garbage", shared_key));
    EVP_PKEY_free(other);
    buf_release(&pem);
}

static void refuses_lifetimes_out_of_range(void **state)
{
    struct buf pem = BUF_INIT;

    (void)state;
    assert_int_equal(cert_generate(shared_key, "x", 0, &pem), SFCI_EINPUT);
    assert_int_equal(cert_generate(shared_key, "x", 36501, &pem), SFCI_EINPUT);
    assert_int_equal(pem.len, 0);
}

static void makes_consumer_keys(void **state)
{
    char a[CONSUMER_KEY_LEN + 1], b[CONSUMER_KEY_LEN + 1];
    int seen[128] = {0};
    int i, distinct = 0;

    (void)state;
    assert_int_equal(consumer_key_generate(a), 0);
    assert_int_equal(consumer_key_generate(b), 0);
    assert_int_equal(strlen(a), 85);
    assert_string_not_equal(a, b);

    /* Every character is from [A-Za-z0-9_], and many of them show up. */
    for (i = 0; i < 200; i++) {
        const char *c;
        assert_int_equal(consumer_key_generate(a), 0);
        for (c = a; *c != '\0'; c++) {
            assert_true(isalnum((unsigned char)*c) || *c == '_');
            seen[(unsigned char)*c]++;
        }
    }
    for (i = 0; i < 128; i++)
        distinct += seen[i] > 0;
    assert_int_equal(distinct, 63);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(generates_rsa_2048),
        cmocka_unit_test(writes_and_reads_pkcs8),
        cmocka_unit_test(makes_a_self_signed_sha256_certificate),
        cmocka_unit_test(prints_the_sha256_fingerprint),
        cmocka_unit_test(tells_a_foreign_key_apart),
        cmocka_unit_test(refuses_lifetimes_out_of_range),
        cmocka_unit_test(makes_consumer_keys),
    };
    return cmocka_run_group_tests(tests, make_key, free_key);
}
