#include "output.h"

#include "errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RED "\033[31m"
#define YELLOW "\033[33m"
#define DIM "\033[2m"
#define RESET "\033[0m"

struct output output;

void output_init(bool no_color)
{
    const char *term = getenv("TERM");
    const char *no_color_env = getenv("NO_COLOR");

    output.color = !no_color && isatty(STDERR_FILENO) &&
                   (no_color_env == NULL || no_color_env[0] == '\0') &&
                   (term == NULL || strcmp(term, "dumb") != 0);
}

static void print_line(const char *label, const char *color, const char *fmt,
                       va_list ap)
{
    fputs("sfci: ", stderr);
    if (label != NULL) {
        if (output.color)
            fprintf(stderr, "%s%s:%s ", color, label, RESET);
        else
            fprintf(stderr, "%s: ", label);
    }
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void print_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    print_line("error", RED, fmt, ap);
    va_end(ap);
}

void print_warning(const char *fmt, ...)
{
    va_list ap;

    if (output.verbosity < 0)
        return;
    va_start(ap, fmt);
    print_line("warning", YELLOW, fmt, ap);
    va_end(ap);
}

void print_progress(const char *fmt, ...)
{
    va_list ap;

    if (output.verbosity < 0)
        return;
    va_start(ap, fmt);
    print_line(NULL, NULL, fmt, ap);
    va_end(ap);
}

void print_verbose(const char *fmt, ...)
{
    va_list ap;

    if (output.verbosity < 1)
        return;
    if (output.color)
        fputs(DIM, stderr);
    va_start(ap, fmt);
    print_line(NULL, NULL, fmt, ap);
    va_end(ap);
    if (output.color)
        fputs(RESET, stderr);
}

void print_trace(void *data, const char *line)
{
    (void)data;
    print_verbose("%s", line);
}

const char *environment_get(const char *name)
{
    return getenv(name);
}

int exit_code_of(int engine_code)
{
    switch (engine_code) {
    case SFCI_OK:
        return EXIT_DONE;
    case SFCI_EINPUT:
        return EXIT_USAGE;
    case SFCI_EPARTIAL:
        return EXIT_PARTIAL;
    case SFCI_EAUTH:
        return EXIT_REJECTED;
    default:
        return EXIT_FAILED;
    }
}

int fail_with_engine_error(int code)
{
    print_error("%s", error_message());
    return exit_code_of(code);
}
