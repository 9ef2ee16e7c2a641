/*
 * How sfci talks: errors, warnings and progress on stderr, data on
 * stdout.  Progress is silenced by -q; details appear with -v.  Colour
 * only on a terminal, and never with NO_COLOR, TERM=dumb or --no-color.
 */
#ifndef SFCI_OUTPUT_H
#define SFCI_OUTPUT_H

#include <stdbool.h>

enum exit_code {
    EXIT_DONE = 0,
    EXIT_FAILED = 1,
    EXIT_USAGE = 2,
    EXIT_PARTIAL = 3,
    EXIT_REJECTED = 4,
};

struct output {
    int verbosity; /* -1 quiet, 0 normal, 1 and up verbose */
    bool color;    /* colour on stderr */
};

extern struct output output;

/* Decides colour from the terminal and the environment. */
void output_init(bool no_color);

/* "sfci: error: <message>", one line. */
void print_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "sfci: warning: <message>", unless quiet. */
void print_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One progress line, unless quiet. */
void print_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A detail line, only with -v. */
void print_verbose(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An HTTP trace line, shown with -v: the callback of http_options. */
void print_trace(void *data, const char *line);

/* getenv(), as the engine's environment lookup. */
const char *environment_get(const char *name);

/* Prints the engine's last error and returns the exit code it maps to. */
int fail_with_engine_error(int code);

/* The exit code of DESIGN.md section 6 for an engine code. */
int exit_code_of(int engine_code);

#endif
