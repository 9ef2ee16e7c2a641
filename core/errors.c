#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* sfci is single-threaded; one slot is enough. */
static char last_message[1024];
static int last_code;

int error_set(int code, const char *fmt, ...)
{
    char message[sizeof(last_message)];
    va_list ap;

    /* Through a copy: the arguments may include error_message() itself. */
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    memcpy(last_message, message, sizeof(last_message));
    last_code = code;
    return code;
}

int error_prefix(const char *fmt, ...)
{
    char message[sizeof(last_message)];
    size_t used;
    va_list ap;

    memcpy(message, last_message, sizeof(message));
    va_start(ap, fmt);
    vsnprintf(last_message, sizeof(last_message) / 2, fmt, ap);
    va_end(ap);

    /* The rest of the room goes to ": " and the old message, cut if long. */
    used = strlen(last_message);
    strncat(last_message, ": ", sizeof(last_message) - used - 1);
    used = strlen(last_message);
    strncat(last_message, message, sizeof(last_message) - used - 1);
    return last_code;
}

int error_oom(void)
{
    return error_set(SFCI_EFAIL, "out of memory");
}

const char *error_message(void)
{
    return last_message;
}

int error_code(void)
{
    return last_code;
}

void error_clear(void)
{
    last_message[0] = '\0';
    last_code = SFCI_OK;
}
