/*
 * Key material for one org: an RSA-2048 key, a self-signed X.509
 * certificate for it, and the OAuth consumer key the app is created with.
 * OpenSSL 3, EVP interfaces only.
 */
#ifndef SFCI_KEYS_H
#define SFCI_KEYS_H

#include "buf.h"

#include <openssl/evp.h>
#include <stdbool.h>

#define KEY_BITS 2048
#define CONSUMER_KEY_LEN 85

/* Generates an RSA-2048 key into *out (NULL on failure); EVP_PKEY_free(). */
int key_generate(EVP_PKEY **out);

/*
 * Appends the private key to out as clear PKCS#8 PEM ("BEGIN PRIVATE
 * KEY").  The caller keeps out in memory only and releases it (which
 * wipes it).
 */
int key_write_pem(EVP_PKEY *key, struct buf *out);

/*
 * Reads a private key from PEM text (PKCS#8 or PKCS#1).  SFCI_EINPUT when
 * the text holds no private key.
 */
int key_read_pem(const char *pem, size_t len, EVP_PKEY **out);

/*
 * Appends to out a self-signed certificate for key, as PEM: subject
 * O=sfci, CN=common_name; SHA-256; valid from now for days days.
 */
int cert_generate(EVP_PKEY *key, const char *common_name, int days,
                  struct buf *out);

/* true when the certificate in PEM text carries the public half of key. */
bool cert_matches_key(const char *cert_pem, EVP_PKEY *key);

/*
 * Appends the SHA-256 fingerprint of the certificate in PEM text to out,
 * as colon-separated upper-case hex (the form Salesforce Setup and
 * `openssl x509 -fingerprint -sha256` show).
 */
int cert_fingerprint(const char *cert_pem, struct buf *out);

/*
 * Writes a random consumer key of CONSUMER_KEY_LEN characters from
 * [A-Za-z0-9_] and a terminator into out.
 */
int consumer_key_generate(char out[CONSUMER_KEY_LEN + 1]);

#endif
