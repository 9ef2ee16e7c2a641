/* sfci providers: the CI hosts built into this sfci, and what each does. */
#include "commands.h"
#include "output.h"
#include "registry.h"

#include <getopt.h>
#include <stdio.h>

static const char usage_text[] =
    "usage: sfci providers [-q | -v]\n"
    "\n"
    "Lists the CI hosts this sfci was built with, for --provider, and what\n"
    "each can do: environments (--environment), protected variables\n"
    "(--protected), variable groups (--variable-group), folders\n"
    "(--jenkins-folder), sealed or masked values.\n";

static void print_capabilities(const struct provider *p)
{
    static const struct {
        unsigned int bit;
        const char *word;
    } words[] = {
        {PROVIDER_ENVIRONMENTS, "environments"},
        {PROVIDER_PROTECTED, "protected"},
        {PROVIDER_GROUPS, "variable-groups"},
        {PROVIDER_FOLDERS, "folders"},
        {PROVIDER_SEALED, "sealed"},
        {PROVIDER_MASKED, "masked"},
    };
    const char *separator = "";
    size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (provider_can(p, words[i].bit)) {
            printf("%s%s", separator, words[i].word);
            separator = ",";
        }
    }
}

int cmd_providers(int argc, char **argv)
{
    static const struct option options[] = {
        COMMON_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const struct provider *const *p;
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":" COMMON_SHORT_OPTIONS, options,
                              NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage_text, stdout);
            return EXIT_DONE;
        }
        rc = common_option(opt, optarg);
        if (rc < 0)
            return option_error("providers", opt, argv);
        if (rc > 0)
            return rc;
    }
    if (optind < argc) {
        print_error("'sfci providers' takes no argument, not '%s'",
                    argv[optind]);
        return EXIT_USAGE;
    }

    for (p = provider_table; *p != NULL; p++) {
        printf("%-10s %-14s ", (*p)->name, (*p)->title);
        print_capabilities(*p);
        putchar('\n');
    }
    return EXIT_DONE;
}
