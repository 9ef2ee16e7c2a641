#include "buf.h"

#include "errors.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void secret_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

void secret_free(char *s)
{
    if (s == NULL)
        return;
    secret_wipe(s, strlen(s));
    free(s);
}

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void buf_release(struct buf *b)
{
    if (b->data != NULL) {
        secret_wipe(b->data, b->cap);
        free(b->data);
    }
    buf_init(b);
}

void buf_clear(struct buf *b)
{
    if (b->data != NULL) {
        secret_wipe(b->data, b->len);
        b->data[0] = '\0';
    }
    b->len = 0;
}

int buf_grow(struct buf *b, size_t extra)
{
    size_t need, cap;
    char *data;

    if (extra > (size_t)-1 - b->len - 1)
        return error_oom();
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;

    cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > (size_t)-1 / 2 ? need : cap * 2;

    /* Not realloc: the old block may hold a secret and must be wiped. */
    data = malloc(cap);
    if (data == NULL)
        return error_oom();
    if (b->data != NULL) {
        memcpy(data, b->data, b->len + 1);
        secret_wipe(b->data, b->cap);
        free(b->data);
    } else {
        data[0] = '\0';
    }
    b->data = data;
    b->cap = cap;
    return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
    int rc = buf_grow(b, len);

    if (rc < 0)
        return rc;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_puts(struct buf *b, const char *s)
{
    return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
    return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list again;
    int n, rc;

    va_copy(again, ap);
    n = vsnprintf(NULL, 0, fmt, again);
    va_end(again);
    if (n < 0)
        return error_set(SFCI_EFAIL, "cannot format text");

    rc = buf_grow(b, (size_t)n);
    if (rc < 0)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int buf_put_hex(struct buf *b, const unsigned char *data, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    int rc = buf_grow(b, len * 2);

    if (rc < 0)
        return rc;
    for (i = 0; i < len; i++) {
        b->data[b->len++] = digits[data[i] >> 4];
        b->data[b->len++] = digits[data[i] & 0x0f];
    }
    b->data[b->len] = '\0';
    return 0;
}

char *buf_detach(struct buf *b)
{
    char *s = b->data;

    if (s == NULL)
        return strdup("");
    buf_init(b);
    return s;
}

const char *buf_cstr(const struct buf *b)
{
    return b->data != NULL ? b->data : "";
}
