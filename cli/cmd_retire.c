/*
 * sfci retire: deletes from each selected org the apps that earlier runs
 * of provision created, keeping the current one, once the variables of
 * the current one are in place (after a --dry-run, say).
 */
#include "commands.h"
#include "output.h"

#include "errors.h"
#include "http.h"
#include "provision.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: sfci retire (--branch NAME | --all-branches | --devhub)\n"
    "                   [--target-org ALIAS]\n"
    "\n"
    "Deletes from each selected org the apps that earlier runs of\n"
    "sfci provision created (the sfciApps of its config), keeping the\n"
    "current one, the last.  Run it once the variables of the current app\n"
    "are entered in the CI host.  It refuses when the current app is not\n"
    "in the org, so it never removes the only working app.\n"
    "\n"
    "examples:\n"
    "  sfci retire --branch uat\n"
    "  sfci retire --all-branches --target-org admin-prod\n"
    "\n"
    "options:\n"
    "  -b, --branch NAME      the org of "
    "config/branches/.sfdx-hardis.NAME.yml\n"
    "  -a, --all-branches     every such file\n"
    "      --devhub           the Dev Hub of the project config\n"
    "      --target-org ALIAS the Salesforce CLI's org whose session deletes\n"
    "                         (default: SF_ACCESS_TOKEN[_<NAME>] and\n"
    "                         SF_ORG_INSTANCE_URL[_<NAME>])\n"
    "      --api-version V    Metadata API version (default 64.0)\n"
    "      --ca-file FILE     trust the CA certificates in FILE\n"
    "  -C DIR, -q, -v, -h     as for every command\n";

enum {
    OPT_DEVHUB = OPT_FIRST_COMMAND_OPTION,
    OPT_TARGET_ORG,
    OPT_API_VERSION,
    OPT_CA_FILE,
};

static const struct option long_options[] = {
    COMMON_LONG_OPTIONS,
    {"branch", required_argument, NULL, 'b'},
    {"all-branches", no_argument, NULL, 'a'},
    {"devhub", no_argument, NULL, OPT_DEVHUB},
    {"target-org", required_argument, NULL, OPT_TARGET_ORG},
    {"api-version", required_argument, NULL, OPT_API_VERSION},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {NULL, 0, NULL, 0},
};

static void on_progress(void *data, const char *org, bool detail,
                        const char *message)
{
    (void)data;
    if (detail)
        print_verbose("%s: %s", org, message);
    else
        print_progress("%s: %s", org, message);
}

/* Reads argv: -1 to go on, or the exit code to stop with. */
static int parse_arguments(struct provision_options *o, const char **ca_file,
                           int argc, char **argv)
{
    int opt, rc, scopes = 0;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":b:a" COMMON_SHORT_OPTIONS,
                              long_options, NULL)) != -1) {
        rc = common_option(opt, optarg);
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue;
        switch (opt) {
        case 'h':
            fputs(usage_text, stdout);
            return EXIT_DONE;
        case 'b':
            o->scope = SCOPE_BRANCH;
            o->branch = optarg;
            scopes++;
            break;
        case 'a':
            o->scope = SCOPE_ALL_BRANCHES;
            scopes++;
            break;
        case OPT_DEVHUB:
            o->scope = SCOPE_DEVHUB;
            scopes++;
            break;
        case OPT_TARGET_ORG:
            o->target_org = optarg;
            break;
        case OPT_API_VERSION:
            o->api_version = optarg;
            break;
        case OPT_CA_FILE:
            *ca_file = optarg;
            break;
        default:
            return option_error("retire", opt, argv);
        }
    }
    if (optind < argc || scopes != 1) {
        print_error("choose the orgs: pass one of --branch NAME, "
                    "--all-branches or --devhub");
        return EXIT_USAGE;
    }
    return -1;
}

static void print_result(const struct provision *p)
{
    size_t i, j;

    for (i = 0; i < p->count; i++) {
        const struct provision_org *org = &p->orgs[i];
        const struct org_config *c = &org->config;

        if (!org->done && org->retired_count == 0)
            continue;
        printf("%s:", c->name);
        for (j = 0; j < org->retired_count; j++)
            printf(" retired %s%s", org->retired[j],
                   j + 1 < org->retired_count ? "," : ";");
        if (c->app_count > 0)
            printf(" kept %s", c->apps[c->app_count - 1]);
        putchar('\n');
    }
}

int cmd_retire(int argc, char **argv)
{
    struct provision_options options = {
        .retire = true,
        .api_version = "64.0",
        .env = environment_get,
        .progress = on_progress,
    };
    struct http_options http_options = {.trace = print_trace};
    struct http_client *http = NULL;
    struct provision p = {0};
    int rc, exit_code;

    exit_code = parse_arguments(&options, &http_options.ca_file, argc, argv);
    if (exit_code >= 0)
        return exit_code;

    rc = http_client_new(&http_options, &http);
    options.http = http;
    if (rc == 0)
        rc = provision_prepare(&p, &options);
    if (rc == 0)
        rc = provision_retire(&p);
    exit_code = exit_code_of(rc);
    if (rc < 0)
        print_error("%s", error_message());
    print_result(&p);

    fflush(stdout);
    provision_release(&p);
    http_client_free(http);
    return exit_code;
}
