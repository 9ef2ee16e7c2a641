/*
 * seal: seals standard input for a GitHub secret, as a client does:
 * crypto_box_seal with the public key given in base64, the result in
 * padded base64 on standard output.  For smoke.sh, which has no other way
 * to make a sealed box.
 *
 * usage: seal PUBLIC_KEY_BASE64 <plain-text
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INPUT_MAX (1u << 20)

int main(int argc, char **argv)
{
    unsigned char key[crypto_box_PUBLICKEYBYTES];
    unsigned char *plain = NULL, *box = NULL;
    char *text = NULL;
    size_t key_len = 0, len, text_len;
    int status = 1;

    if (argc != 2 || sodium_init() < 0) {
        fputs("usage: seal PUBLIC_KEY_BASE64 <plain-text\n", stderr);
        return 2;
    }
    if (sodium_base642bin(key, sizeof(key), argv[1], strlen(argv[1]), NULL,
                          &key_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        key_len != sizeof(key)) {
        fputs("seal: error: the key is not 32 bytes in base64\n", stderr);
        return 2;
    }

    plain = malloc(INPUT_MAX + 1);
    if (plain == NULL)
        goto out;
    len = fread(plain, 1, INPUT_MAX + 1, stdin);
    if (len > INPUT_MAX) {
        fputs("seal: error: the input is over 1 MiB\n", stderr);
        goto out;
    }
    box = malloc(len + crypto_box_SEALBYTES);
    text_len = sodium_base64_ENCODED_LEN(len + crypto_box_SEALBYTES,
                                         sodium_base64_VARIANT_ORIGINAL);
    text = malloc(text_len);
    if (box == NULL || text == NULL ||
        crypto_box_seal(box, plain, len, key) != 0)
        goto out;
    sodium_bin2base64(text, text_len, box, len + crypto_box_SEALBYTES,
                      sodium_base64_VARIANT_ORIGINAL);
    puts(text);
    status = 0;

out:
    if (plain != NULL)
        sodium_memzero(plain, INPUT_MAX + 1);
    free(plain);
    free(box);
    free(text);
    return status;
}
