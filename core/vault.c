#include "vault.h"

#include "errors.h"

#include <ctype.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define IV_LEN 16
#define BLOCK_LEN 16

static int check_key(const char *key)
{
    if (key == NULL || strlen(key) != VAULT_KEY_LEN)
        return error_set(SFCI_EINPUT,
                         "the decryption key is not %d characters long: "
                         "use the value printed by sfci or sfdx-hardis",
                         VAULT_KEY_LEN);
    return 0;
}

int vault_key_generate(char key[VAULT_KEY_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    unsigned char random[VAULT_KEY_LEN / 2];
    size_t i;

    if (RAND_bytes(random, sizeof(random)) != 1) {
        ERR_clear_error();
        return error_set(SFCI_EFAIL, "cannot draw random bytes");
    }
    for (i = 0; i < sizeof(random); i++) {
        key[2 * i] = digits[random[i] >> 4];
        key[2 * i + 1] = digits[random[i] & 0x0f];
    }
    key[VAULT_KEY_LEN] = '\0';
    secret_wipe(random, sizeof(random));
    return 0;
}

/* Runs the cipher over in; the result goes to out (len + one block). */
static int cipher_run(int encrypt, const char *key, const unsigned char *iv,
                      const unsigned char *in, size_t len, unsigned char *out,
                      size_t *out_len)
{
    EVP_CIPHER_CTX *ctx;
    int n = 0, last = 0, ok;

    if (len > (size_t)INT_MAX - BLOCK_LEN)
        return error_set(SFCI_EINPUT, "the text to encrypt is too long");
    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL)
        return error_oom();

    ok = EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), NULL,
                           (const unsigned char *)key, iv, encrypt) &&
         EVP_CipherUpdate(ctx, out, &n, in, (int)len) &&
         EVP_CipherFinal_ex(ctx, out + n, &last);

    EVP_CIPHER_CTX_free(ctx);
    ERR_clear_error();
    if (!ok)
        return encrypt ? error_set(SFCI_EFAIL, "cannot encrypt the key")
                       : error_set(SFCI_EINPUT,
                                   "the decryption key does not open the "
                                   "encrypted key (wrong key, or the text "
                                   "is damaged)");
    *out_len = (size_t)n + (size_t)last;
    return 0;
}

int vault_encrypt(const char *key, const void *plain, size_t len,
                  struct buf *out)
{
    unsigned char iv[IV_LEN];
    unsigned char *cipher = NULL;
    size_t cipher_len = 0;
    int rc;

    rc = check_key(key);
    if (rc < 0)
        return rc;
    if (RAND_bytes(iv, sizeof(iv)) != 1) {
        ERR_clear_error();
        return error_set(SFCI_EFAIL, "cannot draw random bytes");
    }
    cipher = malloc(len + BLOCK_LEN);
    if (cipher == NULL)
        return error_oom();

    rc = cipher_run(1, key, iv, plain, len, cipher, &cipher_len);
    if (rc == 0)
        rc = buf_put_hex(out, iv, sizeof(iv));
    if (rc == 0)
        rc = buf_putc(out, ':');
    if (rc == 0)
        rc = buf_put_hex(out, cipher, cipher_len);

    free(cipher);
    return rc;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Decodes len hex characters into out (len / 2 bytes); -1 if not hex. */
static int hex_decode(const char *text, size_t len, unsigned char *out)
{
    size_t i;

    if (len % 2 != 0)
        return -1;
    for (i = 0; i < len; i += 2) {
        int high = hex_value((unsigned char)text[i]);
        int low = hex_value((unsigned char)text[i + 1]);
        if (high < 0 || low < 0)
            return -1;
        out[i / 2] = (unsigned char)(high << 4 | low);
    }
    return 0;
}

int vault_decrypt(const char *key, const char *text, size_t len,
                  struct buf *out)
{
    unsigned char iv[IV_LEN];
    unsigned char *cipher = NULL, *plain = NULL;
    const char *colon;
    size_t cipher_hex, cipher_len, plain_len = 0;
    int rc;

    rc = check_key(key);
    if (rc < 0)
        return rc;

    while (len > 0 && isspace((unsigned char)*text)) {
        text++;
        len--;
    }
    while (len > 0 && isspace((unsigned char)text[len - 1]))
        len--;
    colon = memchr(text, ':', len);
    if (colon == NULL || colon - text != 2 * IV_LEN ||
        hex_decode(text, 2 * IV_LEN, iv) < 0)
        return error_set(SFCI_EINPUT, "the encrypted key is not of the form "
                                      "hexiv:hexciphertext");

    cipher_hex = len - (size_t)(colon + 1 - text);
    cipher_len = cipher_hex / 2;
    if (cipher_len == 0 || cipher_len % BLOCK_LEN != 0)
        return error_set(SFCI_EINPUT, "the encrypted key is truncated");
    cipher = malloc(cipher_len);
    plain = malloc(cipher_len + BLOCK_LEN);
    if (cipher == NULL || plain == NULL) {
        rc = error_oom();
        goto out;
    }
    if (hex_decode(colon + 1, cipher_hex, cipher) < 0) {
        rc = error_set(SFCI_EINPUT, "the encrypted key is not hexadecimal "
                                    "after the ':'");
        goto out;
    }

    rc = cipher_run(0, key, iv, cipher, cipher_len, plain, &plain_len);
    if (rc == 0)
        rc = buf_append(out, plain, plain_len);

out:
    if (plain != NULL)
        secret_wipe(plain, cipher_len + BLOCK_LEN);
    free(plain);
    free(cipher);
    return rc;
}
