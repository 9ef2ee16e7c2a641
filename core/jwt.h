/*
 * The assertion of the OAuth 2.0 JWT bearer flow (RFC 7523) as Salesforce
 * takes it: header {"alg":"RS256"}, claims iss (the consumer key), sub
 * (the username), aud (the login audience) and exp, signed with
 * RSASSA-PKCS1-v1_5 SHA-256, each part base64url without padding.
 */
#ifndef SFCI_JWT_H
#define SFCI_JWT_H

#include "buf.h"

#include <openssl/evp.h>
#include <time.h>

/* Seconds an assertion stays valid: Salesforce wants under 3 minutes. */
#define JWT_LIFETIME 180

struct jwt_claims {
    const char *issuer;   /* consumer key */
    const char *subject;  /* username */
    const char *audience; /* https://login.salesforce.com or test */
    time_t expires;       /* now + JWT_LIFETIME */
};

/* Appends the signed assertion to out. */
int jwt_sign(EVP_PKEY *key, const struct jwt_claims *claims, struct buf *out);

/* Appends data as base64url without padding. */
int base64url_encode(const void *data, size_t len, struct buf *out);

#endif
