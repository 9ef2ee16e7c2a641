/*
 * sfci login: in a pipeline, turns the org's CI variables and key into a
 * Salesforce session with the JWT bearer flow, and prints it for the
 * shell, an env file, JSON, or GitHub Actions.
 */
#include "commands.h"
#include "output.h"

#include "errors.h"
#include "http.h"
#include "login.h"
#include "salesforce.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char usage_text[] =
    "usage: sfci login [--branch NAME | --devhub] [--format FORMAT]\n"
    "\n"
    "Logs the pipeline in to the org of a branch with the JWT bearer flow\n"
    "and prints the session.  The branch is --branch, else CONFIG_BRANCH,\n"
    "else ORG_ALIAS, else the target of the merge or pull request, else the\n"
    "branch being built, as the CI host names them.  It reads\n"
    "SFDX_CLIENT_ID_<NAME> and SFDX_CLIENT_KEY_<NAME> (else the bare\n"
    "SFDX_CLIENT_ID and SFDX_CLIENT_KEY), and the key from\n"
    "SFDX_CLIENT_CERT_<NAME> or config/branches/.jwt/<branch>.key.\n"
    "\n"
    "examples:\n"
    "  eval \"$(sfci login)\"\n"
    "  sf org login access-token --instance-url \"$SF_ORG_INSTANCE_URL\" \\\n"
    "      --no-prompt\n"
    "\n"
    "  sfci login --branch uat --format json\n"
    "  sfci login --format github     # in a GitHub Actions step\n"
    "\n"
    "options:\n"
    "  -b, --branch NAME   the org of config/branches/.sfdx-hardis.NAME.yml\n"
    "      --devhub        the Dev Hub of the project config\n"
    "  -f, --format F      sh (default): export lines for eval;\n"
    "                      env: NAME=value lines for an env file;\n"
    "                      json: one object; github: mask the token and\n"
    "                      append to $GITHUB_ENV\n"
    "      --ca-file FILE  trust the CA certificates in FILE\n"
    "  -C DIR              run in DIR, the root of the project\n"
    "  -q, --quiet         no progress on stderr\n"
    "  -v, --verbose       trace the requests, secrets redacted\n"
    "  -h, --help          this help\n"
    "\n"
    "exit codes: 0 logged in, 1 failure (network, Salesforce down), 2 bad\n"
    "input (a variable or the key missing or wrong), 4 Salesforce refused\n"
    "the login\n";

enum format { FORMAT_SH, FORMAT_ENV, FORMAT_JSON, FORMAT_GITHUB };

enum {
    OPT_DEVHUB = OPT_FIRST_COMMAND_OPTION,
    OPT_CA_FILE,
};

static const struct option long_options[] = {
    COMMON_LONG_OPTIONS,
    {"branch", required_argument, NULL, 'b'},
    {"devhub", no_argument, NULL, OPT_DEVHUB},
    {"format", required_argument, NULL, 'f'},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {NULL, 0, NULL, 0},
};

struct request {
    struct login_options login;
    enum format format;
    const char *ca_file;
};

static int parse_format(const char *text, enum format *out)
{
    static const char *const names[] = {"sh", "env", "json", "github"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (enum format)i;
            return 0;
        }
    }
    print_error("unknown format '%s': use sh, env, json or github", text);
    return EXIT_USAGE;
}

/* Reads argv into r: -1 to go on, or the exit code to stop with. */
static int parse_arguments(struct request *r, int argc, char **argv)
{
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":b:f:" COMMON_SHORT_OPTIONS,
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
            r->login.branch = optarg;
            break;
        case OPT_DEVHUB:
            r->login.devhub = true;
            break;
        case 'f':
            rc = parse_format(optarg, &r->format);
            if (rc > 0)
                return rc;
            break;
        case OPT_CA_FILE:
            r->ca_file = optarg;
            break;
        default:
            return option_error("login", opt, argv);
        }
    }
    if (optind < argc) {
        print_error("unexpected argument '%s': pass the branch with "
                    "--branch NAME",
                    argv[optind]);
        return EXIT_USAGE;
    }
    if (r->login.devhub && r->login.branch != NULL) {
        print_error("--devhub and --branch both name an org: pass one");
        return EXIT_USAGE;
    }
    return -1;
}

/* Prints value in single quotes for a POSIX shell. */
static void print_shell_quoted(FILE *out, const char *value)
{
    fputc('\'', out);
    for (; *value != '\0'; value++) {
        if (*value == '\'')
            fputs("'\\''", out);
        else
            fputc(*value, out);
    }
    fputc('\'', out);
}

static int print_github(const struct sf_session *s)
{
    const char *path = getenv("GITHUB_ENV");
    FILE *env;

    if (path == NULL || path[0] == '\0') {
        print_error("GITHUB_ENV is not set: --format github works in a "
                    "GitHub Actions step; use --format sh elsewhere");
        return EXIT_USAGE;
    }
    /* The mask comes first, so the token never shows in the log. */
    printf("::add-mask::%s\n", s->access_token);
    fflush(stdout);
    env = fopen(path, "a");
    if (env == NULL ||
        fprintf(env, "SF_ACCESS_TOKEN=%s\n", s->access_token) < 0 ||
        fprintf(env, "SF_ORG_INSTANCE_URL=%s\n", s->instance_url) < 0 ||
        fclose(env) != 0) {
        print_error("cannot append to GITHUB_ENV '%s'", path);
        return EXIT_FAILED;
    }
    return EXIT_DONE;
}

static int print_session(enum format format, const struct sf_session *s)
{
    json_t *object;

    switch (format) {
    case FORMAT_SH:
        fputs("export SF_ACCESS_TOKEN=", stdout);
        print_shell_quoted(stdout, s->access_token);
        fputs("\nexport SF_ORG_INSTANCE_URL=", stdout);
        print_shell_quoted(stdout, s->instance_url);
        putchar('\n');
        return EXIT_DONE;
    case FORMAT_ENV:
        printf("SF_ACCESS_TOKEN=%s\nSF_ORG_INSTANCE_URL=%s\n", s->access_token,
               s->instance_url);
        return EXIT_DONE;
    case FORMAT_JSON:
        object = json_pack("{s:s, s:s, s:s, s:s}", "access_token",
                           s->access_token, "instance_url", s->instance_url,
                           "username", s->username, "org_id", s->org_id);
        json_dumpf(object, stdout, JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(object);
        return EXIT_DONE;
    case FORMAT_GITHUB:
        return print_github(s);
    }
    return EXIT_FAILED;
}

static long elapsed_ms(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - start->tv_sec) * 1000 +
           (now.tv_nsec - start->tv_nsec) / 1000000;
}

int cmd_login(int argc, char **argv)
{
    struct request r = {.login = {.env = environment_get}};
    struct http_options http_options = {.trace = print_trace};
    struct http_client *http = NULL;
    struct login_target target = {0};
    struct sf_session session = {0};
    struct timespec start;
    int rc, exit_code;

    exit_code = parse_arguments(&r, argc, argv);
    if (exit_code >= 0)
        return exit_code;
    clock_gettime(CLOCK_MONOTONIC, &start);

    http_options.ca_file = r.ca_file;
    rc = login_resolve(&r.login, &target);
    if (rc == 0)
        rc = http_client_new(&http_options, &http);
    if (rc == 0) {
        struct sf_jwt jwt = {
            .login_url = target.login_url,
            .client_id = target.client_id,
            .username = target.username,
            .key = target.key,
            .audience = target.audience,
        };
        print_verbose("%s: %s at %s, key from %s", target.name, target.username,
                      target.login_url, target.key_from);
        rc = sf_login_jwt(http, &jwt, &session, NULL);
        if (rc < 0)
            error_prefix("%s", target.name);
    }
    if (rc < 0) {
        exit_code = fail_with_engine_error(rc);
        goto out;
    }

    print_progress("%s: logged in as %s to %s (org %s) in %ld ms", target.name,
                   session.username, session.instance_url, session.org_id,
                   elapsed_ms(&start));
    exit_code = print_session(r.format, &session);

out:
    fflush(stdout);
    sf_session_release(&session);
    login_target_release(&target);
    http_client_free(http);
    return exit_code;
}
