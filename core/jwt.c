#include "jwt.h"

#include "errors.h"

#include <jansson.h>
#include <openssl/err.h>
#include <string.h>

int base64url_encode(const void *data, size_t len, struct buf *out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                   "abcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_";
    const unsigned char *p = data;
    size_t i;
    int rc = buf_grow(out, (len + 2) / 3 * 4);

    for (i = 0; rc == 0 && i + 2 < len; i += 3) {
        unsigned long n = (unsigned long)p[i] << 16 | p[i + 1] << 8 | p[i + 2];
        char quad[4] = {alphabet[n >> 18 & 63], alphabet[n >> 12 & 63],
                        alphabet[n >> 6 & 63], alphabet[n & 63]};
        rc = buf_append(out, quad, 4);
    }
    if (rc == 0 && len - i == 1) {
        unsigned long n = (unsigned long)p[i] << 16;
        char pair[2] = {alphabet[n >> 18 & 63], alphabet[n >> 12 & 63]};
        rc = buf_append(out, pair, 2);
    } else if (rc == 0 && len - i == 2) {
        unsigned long n = (unsigned long)p[i] << 16 | p[i + 1] << 8;
        char triple[3] = {alphabet[n >> 18 & 63], alphabet[n >> 12 & 63],
                          alphabet[n >> 6 & 63]};
        rc = buf_append(out, triple, 3);
    }
    return rc;
}

/* The claims as compact JSON, strings escaped by Jansson. */
static int claims_json(const struct jwt_claims *claims, struct buf *out)
{
    json_t *object;
    char *text;
    int rc;

    object = json_pack("{s:s, s:s, s:s, s:I}", "iss", claims->issuer, "sub",
                       claims->subject, "aud", claims->audience, "exp",
                       (json_int_t)claims->expires);
    if (object == NULL)
        return error_set(SFCI_EINPUT, "the JWT claims are not UTF-8 text");
    text = json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(object);
    if (text == NULL)
        return error_oom();
    rc = base64url_encode(text, strlen(text), out);
    free(text);
    return rc;
}

static int sign_rs256(EVP_PKEY *key, const struct buf *input, struct buf *out)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *signature = NULL;
    size_t len = 0;
    int rc = 0;

    if (ctx == NULL ||
        EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(ctx, NULL, &len, (const unsigned char *)input->data,
                       input->len) != 1 ||
        (signature = malloc(len)) == NULL ||
        EVP_DigestSign(ctx, signature, &len, (const unsigned char *)input->data,
                       input->len) != 1) {
        ERR_clear_error();
        rc = error_set(SFCI_EFAIL, "cannot sign the JWT with the private "
                                   "key (is it an RSA key?)");
    }
    if (rc == 0)
        rc = base64url_encode(signature, len, out);

    free(signature);
    EVP_MD_CTX_free(ctx);
    return rc;
}

int jwt_sign(EVP_PKEY *key, const struct jwt_claims *claims, struct buf *out)
{
    /* base64url of {"alg":"RS256"} */
    static const char header[] = "eyJhbGciOiJSUzI1NiJ9";
    struct buf input = BUF_INIT;
    int rc;

    rc = buf_puts(&input, header);
    if (rc == 0)
        rc = buf_putc(&input, '.');
    if (rc == 0)
        rc = claims_json(claims, &input);
    if (rc == 0)
        rc = buf_append(out, input.data, input.len);
    if (rc == 0)
        rc = buf_putc(out, '.');
    if (rc == 0)
        rc = sign_rs256(key, &input, out);

    buf_release(&input);
    return rc;
}
