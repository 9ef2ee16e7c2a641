/*
 * sfci: sets up the authentication a CI server needs to deploy to
 * Salesforce orgs.  This file picks the command; each command parses its
 * own options, calls the engine, prints and returns the exit code.
 */
#include "commands.h"
#include "output.h"

#include <errno.h>
#include "buf.h"

#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: sfci [-C DIR] [-q | -v] <command> [options]\n"
    "\n"
    "Sets up the login of CI pipelines to Salesforce orgs: a key and a\n"
    "certificate per org, the app that trusts them, and the CI variables.\n"
    "\n"
    "commands:\n"
    "  provision   make the key material, the app and the CI variables of\n"
    "              one branch's org (--branch), every major branch's\n"
    "              (--all-branches) or the Dev Hub (--devhub)\n"
    "  login       in a pipeline: log in to the org of the branch with the\n"
    "              JWT bearer flow and print the session\n"
    "  retire      delete the apps that earlier runs created, keeping the\n"
    "              current one, once its variables are in place\n"
    "  providers   list the CI hosts this sfci can write to\n"
    "\n"
    "options:\n"
    "  -C DIR      run in DIR, the root of the sfdx-hardis project\n"
    "  -q          print no progress, only data and errors\n"
    "  -v          print details of each step\n"
    "  --no-color  never colour the output (also: NO_COLOR=1)\n"
    "  -h, --help  show this help; 'sfci <command> --help' for a command\n"
    "  --version   show the version\n"
    "\n"
    "exit codes: 0 done, 1 failure, 2 usage or bad input, 3 partial (some\n"
    "variables not written, printed instead), 4 credentials rejected\n";

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"provision", cmd_provision},
    {"login", cmd_login},
    {"retire", cmd_retire},
    {"providers", cmd_providers},
};

int common_option(int opt, const char *arg)
{
    switch (opt) {
    case 'C':
        if (chdir(arg) < 0) {
            print_error("cannot change to folder '%s': %s", arg,
                        strerror(errno));
            return EXIT_USAGE;
        }
        return 0;
    case 'q':
        output.verbosity = -1;
        return 0;
    case 'v':
        if (output.verbosity >= 0)
            output.verbosity++;
        return 0;
    case OPT_NO_COLOR:
        output_init(true);
        return 0;
    default:
        return -1;
    }
}

int option_error(const char *command, int opt, char **argv)
{
    const char *arg = argv[optind - 1];
    int len = (int)strcspn(arg, "=");
    char short_option[3] = {'-', (char)optopt, '\0'};

    /* A short option, maybe in a cluster ("-qx"), is named by optopt. */
    if (strncmp(arg, "--", 2) != 0 && optopt != 0) {
        arg = short_option;
        len = 2;
    }
    print_error("%s '%.*s': see 'sfci %s%s--help'",
                opt == ':' ? "missing value for option" : "unknown option", len,
                arg, command != NULL ? command : "",
                command != NULL ? " " : "");
    return EXIT_USAGE;
}

/*
 * Jansson's copies of strings (variable values, tokens, what a host lists
 * back) are wiped before their memory is freed.
 */
static void json_free_wiped(void *p)
{
    if (p != NULL)
        secret_wipe(p, malloc_usable_size(p));
    free(p);
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        COMMON_LONG_OPTIONS,
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    size_t i;
    int opt, rc;

    output_init(false);
    json_set_alloc_funcs(malloc, json_free_wiped);

    /* '+': stop at the command; what follows is the command's. */
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+:" COMMON_SHORT_OPTIONS, options,
                              NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return EXIT_DONE;
        }
        if (opt == 'V') {
            printf("sfci %s\n", SFCI_VERSION);
            return EXIT_DONE;
        }
        rc = common_option(opt, optarg);
        if (rc < 0)
            return option_error(NULL, opt, argv);
        if (rc > 0)
            return rc;
    }

    if (optind >= argc) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[optind], commands[i].name) == 0) {
            argv += optind;
            argc -= optind;
            optind = 0; /* restart getopt for the command */
            return commands[i].run(argc, argv);
        }
    }
    print_error("unknown command '%s': see 'sfci --help'", argv[optind]);
    return EXIT_USAGE;
}
