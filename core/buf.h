/*
 * A growable byte buffer, always NUL-terminated so that text can be used
 * as a C string.  Its memory is wiped whenever it is released or moved,
 * so a buffer may hold key material.
 */
#ifndef SFCI_BUF_H
#define SFCI_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
};

#define BUF_INIT                                                               \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

void buf_init(struct buf *b);

/* Wipes and frees the contents; the buffer is empty and usable again. */
void buf_release(struct buf *b);

/* Empties the buffer (wiping what it held) but keeps its memory. */
void buf_clear(struct buf *b);

/* Makes room for at least extra more bytes plus the terminator. */
int buf_grow(struct buf *b, size_t extra);

int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* Appends the lower-case hex of len bytes. */
int buf_put_hex(struct buf *b, const unsigned char *data, size_t len);

/*
 * Hands the contents to the caller as a NUL-terminated string (never NULL,
 * "" for an empty buffer) and leaves the buffer empty.  The caller frees
 * it, after wiping it if it was secret.
 */
char *buf_detach(struct buf *b);

/* The contents as a C string, "" when empty.  Owned by the buffer. */
const char *buf_cstr(const struct buf *b);

/* Wipes len bytes at p; safe against the compiler dropping the stores. */
void secret_wipe(void *p, size_t len);

/* Wipes a NUL-terminated string and frees it; accepts NULL. */
void secret_free(char *s);

#endif
