/*
 * Engine errors: a negative code plus a one-line message.
 *
 * Every fallible engine function returns 0 on success or one of the
 * negative codes below, after leaving a message with error_set().  The
 * message is one line, lower case, with no full stop: the problem, the
 * object in quotes, and the fix.  Only cli/ reads it and prints it.
 */
#ifndef SFCI_ERRORS_H
#define SFCI_ERRORS_H

enum sfci_code {
    SFCI_OK = 0,
    SFCI_EFAIL = -1,    /* anything else: I/O, memory, a library failure */
    SFCI_EINPUT = -2,   /* bad input: config, flags, a refused value */
    SFCI_EPARTIAL = -3, /* deployed and verified, some variables unwritten */
    SFCI_EAUTH = -4,    /* a remote rejected the credentials */
};

/*
 * Records the message for the last failure and returns code, so that a
 * failure reads as one line: return error_set(SFCI_EINPUT, "...").
 */
int error_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Puts context before the last message ("<prefix>: <message>") and
 * returns the last code, for a caller that knows which object failed.
 */
int error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records "out of memory" and returns SFCI_EFAIL. */
int error_oom(void);

/* The message of the last failure, or "" when none was recorded. */
const char *error_message(void);

/* The code of the last failure, or SFCI_OK. */
int error_code(void);

/* Forgets the last failure. */
void error_clear(void);

#endif
