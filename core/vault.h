/*
 * The encryption sfdx-hardis applies to a private key, so that the key
 * can be committed: AES-256-CBC with PKCS#7 padding, whose key is the 32
 * ASCII bytes of a 32-hex-character text (SFDX_CLIENT_KEY_<NAME>; the hex
 * is not decoded), and a random 16-byte IV.  The stored text is
 * hex(iv) ':' hex(ciphertext), in lower case.
 *
 * Equivalent command: openssl enc -aes-256-cbc -K <hex of the 32 ASCII
 * bytes> -iv <hex iv>.
 */
#ifndef SFCI_VAULT_H
#define SFCI_VAULT_H

#include "buf.h"

#include <stddef.h>

#define VAULT_KEY_LEN 32

/* Writes a new random key (32 lower-case hex characters) and a NUL. */
int vault_key_generate(char key[VAULT_KEY_LEN + 1]);

/* Appends the encrypted text "hexiv:hexciphertext" of plain to out. */
int vault_encrypt(const char *key, const void *plain, size_t len,
                  struct buf *out);

/*
 * Appends the clear text of an encrypted text to out.  A key that is not
 * 32 characters, a text not of the form hexiv:hexciphertext, or a key that
 * does not open it is SFCI_EINPUT.  Surrounding whitespace is ignored.
 */
int vault_decrypt(const char *key, const char *text, size_t len,
                  struct buf *out);

#endif
