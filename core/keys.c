#include "keys.h"

#include "errors.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdint.h>
#include <string.h>

/* Records the OpenSSL reason for a failure, then clears its queue. */
static int openssl_fail(const char *what)
{
    unsigned long code = ERR_get_error();
    char reason[256] = "unknown reason";

    if (code != 0)
        ERR_error_string_n(code, reason, sizeof(reason));
    ERR_clear_error();
    return error_set(SFCI_EFAIL, "cannot %s: %s", what, reason);
}

/* Moves everything a memory BIO holds to the end of out. */
static int bio_drain(BIO *bio, struct buf *out)
{
    char *data;
    long len = BIO_get_mem_data(bio, &data);

    if (len < 0)
        return error_set(SFCI_EFAIL, "cannot read a memory BIO");
    return buf_append(out, data, (size_t)len);
}

int key_generate(EVP_PKEY **out)
{
    *out = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)KEY_BITS);
    if (*out == NULL)
        return openssl_fail("generate an RSA key");
    return 0;
}

int key_write_pem(EVP_PKEY *key, struct buf *out)
{
    BIO *bio;
    int rc;

    /* Secure heap memory: the BIO is wiped when freed. */
    bio = BIO_new(BIO_s_secmem());
    if (bio == NULL)
        return openssl_fail("allocate a BIO");

    if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
        rc = openssl_fail("encode the private key");
    else
        rc = bio_drain(bio, out);

    BIO_free(bio);
    return rc;
}

int key_read_pem(const char *pem, size_t len, EVP_PKEY **out)
{
    BIO *bio;

    *out = NULL;
    if (len > INT32_MAX)
        return error_set(SFCI_EINPUT, "the private key text is too long");
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return openssl_fail("allocate a BIO");

    *out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (*out == NULL) {
        ERR_clear_error();
        return error_set(SFCI_EINPUT, "the text holds no PEM private key");
    }
    return 0;
}

/* A random positive serial number of 127 bits, as RFC 5280 advises. */
static int cert_set_serial(X509 *cert)
{
    BIGNUM *serial = BN_new();
    int ok = 0;

    if (serial != NULL &&
        BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY))
        ok = BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) != NULL;
    BN_free(serial);
    return ok ? 0 : openssl_fail("make a certificate serial number");
}

static int cert_set_names(X509 *cert, const char *common_name)
{
    X509_NAME *name = X509_get_subject_name(cert);
    const unsigned char *cn = (const unsigned char *)common_name;

    if (!X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                    (const unsigned char *)"sfci", -1, -1, 0) ||
        !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, cn, -1, -1, 0) ||
        !X509_set_issuer_name(cert, name))
        return openssl_fail("set the certificate name");
    return 0;
}

static int cert_add_extension(X509 *cert, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    int ok;

    X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL)
        return openssl_fail("make a certificate extension");
    ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : openssl_fail("add a certificate extension");
}

int cert_generate(EVP_PKEY *key, const char *common_name, int days,
                  struct buf *out)
{
    X509 *cert;
    BIO *bio = NULL;
    int rc;

    if (days < 1 || days > 36500)
        return error_set(SFCI_EINPUT,
                         "a certificate lifetime of %d days is out of range: "
                         "use 1 to 36500",
                         days);

    cert = X509_new();
    if (cert == NULL)
        return openssl_fail("allocate a certificate");

    if (!X509_set_version(cert, 2) || !X509_set_pubkey(cert, key) ||
        X509_gmtime_adj(X509_getm_notBefore(cert), 0) == NULL ||
        X509_time_adj_ex(X509_getm_notAfter(cert), days, 0, NULL) == NULL) {
        rc = openssl_fail("fill in the certificate");
        goto out;
    }
    rc = cert_set_serial(cert);
    if (rc == 0)
        rc = cert_set_names(cert, common_name);
    if (rc == 0)
        rc = cert_add_extension(cert, NID_subject_key_identifier, "hash");
    if (rc == 0)
        rc = cert_add_extension(cert, NID_basic_constraints, "CA:FALSE");
    if (rc < 0)
        goto out;

    if (X509_sign(cert, key, EVP_sha256()) <= 0) {
        rc = openssl_fail("sign the certificate");
        goto out;
    }
    bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_X509(bio, cert)) {
        rc = openssl_fail("encode the certificate");
        goto out;
    }
    rc = bio_drain(bio, out);

out:
    BIO_free(bio);
    X509_free(cert);
    return rc;
}

bool cert_matches_key(const char *cert_pem, EVP_PKEY *key)
{
    BIO *bio = BIO_new_mem_buf(cert_pem, -1);
    X509 *cert = NULL;
    bool match = false;

    if (bio != NULL)
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (cert != NULL)
        match = EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1;
    X509_free(cert);
    BIO_free(bio);
    ERR_clear_error();
    return match;
}

int cert_fingerprint(const char *cert_pem, struct buf *out)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0, i;
    BIO *bio = BIO_new_mem_buf(cert_pem, -1);
    X509 *cert = NULL;
    int rc = 0;

    if (bio != NULL)
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    if (cert == NULL || !X509_digest(cert, EVP_sha256(), digest, &len))
        rc = openssl_fail("read the certificate");
    for (i = 0; i < len && rc == 0; i++)
        rc = buf_printf(out, "%s%02X", i > 0 ? ":" : "", digest[i]);
    X509_free(cert);
    BIO_free(bio);
    return rc;
}

int consumer_key_generate(char out[CONSUMER_KEY_LEN + 1])
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz"
                                   "0123456789_";
    const unsigned int size = sizeof(alphabet) - 1; /* 63 */
    const unsigned int limit = 256 - 256 % size;    /* no modulo bias */
    unsigned char random[128];
    size_t filled = 0, used = sizeof(random);

    while (filled < CONSUMER_KEY_LEN) {
        if (used == sizeof(random)) {
            if (RAND_bytes(random, sizeof(random)) != 1)
                return openssl_fail("draw random bytes");
            used = 0;
        }
        if (random[used] < limit)
            out[filled++] = alphabet[random[used] % size];
        used++;
    }
    out[filled] = '\0';
    secret_wipe(random, sizeof(random));
    return 0;
}
