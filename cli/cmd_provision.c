/*
 * sfci provision: key material, app and CI variables for the selected
 * orgs.  Parses the options, guesses the CI host from 'origin' when it is
 * not given, lets the engine work, then prints the result for a person
 * (the variables to enter, with the host's own words) or as JSON.
 */
#include "commands.h"
#include "output.h"
#include "registry.h"

#include "errors.h"
#include "http.h"
#include "provision.h"
#include "remote.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_API_VERSION "64.0"
#define DEFAULT_DAYS 3650
#define DEFAULT_VARIABLE_GROUP "salesforce-auth"
#define DEFAULT_VERIFY_TIMEOUT 600
#define DEFAULT_DEPLOY_TIMEOUT 1800

/* The help, in parts: C11 compilers need not take longer strings. */
static const char *const usage_text[] = {
    "usage: sfci provision (--branch NAME | --all-branches | --devhub)\n"
    "                      [--provider P] [--dry-run] [--no-deploy] [--plan]\n"
    "                      [options]\n"
    "\n"
    "For each selected org: generates an RSA-2048 key and a self-signed\n"
    "certificate, a consumer key and a decryption key; writes the app that\n"
    "trusts the certificate; saves the encrypted key and the certificate\n"
    "under config/branches/.jwt/ (config/.jwt/ for the Dev Hub); and prints\n"
    "the CI variables SFDX_CLIENT_ID_<NAME> and SFDX_CLIENT_KEY_<NAME> with\n"
    "where to enter them in the CI host's web page.\n"
    "\n",
    "examples:\n"
    "  # deploy and verify the app of uat, print the variables for GitHub\n"
    "  export SF_ACCESS_TOKEN=... SF_ORG_INSTANCE_URL=https://acme--uat...\n"
    "  sfci provision --branch uat --provider github --dry-run\n"
    "\n"
    "  # every major branch, app metadata to deploy by hand, for GitLab\n"
    "  sfci provision --all-branches --provider gitlab --dry-run --no-deploy\n"
    "\n"
    "  # one branch, for GitHub environment secrets, as JSON\n"
    "  sfci provision --branch uat --provider github --environment uat \\\n"
    "      --no-deploy --json\n"
    "\n"
    "  # the Dev Hub, as a Connected App, the key kept in a variable\n"
    "  sfci provision --devhub --provider azure --app-kind connected-app \\\n"
    "      --key-storage variable --no-deploy\n"
    "\n"
    "  # what would happen, changing nothing\n"
    "  sfci provision --all-branches --provider bitbucket --no-deploy --plan\n"
    "\n",
    "orgs (one of):\n"
    "  -b, --branch NAME      the org of "
    "config/branches/.sfdx-hardis.NAME.yml\n"
    "  -a, --all-branches     every such file: the major branches\n"
    "      --devhub           the Dev Hub of the project config\n"
    "\n",
    "modes:\n"
    "  -n, --dry-run          write nothing to the CI host: print the\n"
    "                         variables and where to enter them\n"
    "      --no-deploy        change nothing in the org: write the app\n"
    "                         metadata to .sfci/<app>/ and print how to\n"
    "                         deploy it (implies --dry-run)\n"
    "      --plan             change nothing anywhere: print what a run\n"
    "                         would do, values hidden\n"
    "      --json             print one JSON report on stdout\n"
    "\n",
    "CI host:\n"
    "  -p, --provider P       gitlab, github, azure, bitbucket or jenkins\n"
    "                         (default: guessed from the 'origin' remote)\n"
    "      --api-url URL      the CI host's API root (default: the host's\n"
    "                         own, or its CI variable such as\n"
    "                         CI_API_V4_URL or GITHUB_API_URL)\n"
    "      --repo R           GitLab group/project, GitHub or Bitbucket\n"
    "                         owner/name, Azure project (default: 'origin')\n"
    "      --environment E    GitLab environment scope, GitHub environment,\n"
    "                         Bitbucket deployment environment\n"
    "      --protected        GitLab: protected variables\n"
    "      --variable-group G Azure variable group (default "
    "salesforce-auth)\n"
    "      --jenkins-folder F Jenkins folder whose store gets the "
    "credentials\n"
    "      --key-storage S    repo (default): the encrypted key is\n"
    "                         committed; variable: it goes into\n"
    "                         SFDX_CLIENT_CERT_<NAME> instead\n"
    "\n",
    "app:\n"
    "      --app-kind K       eca (External Client App, default) or\n"
    "                         connected-app\n"
    "      --profile P        profile pre-authorised to log in (default\n"
    "                         System Administrator)\n"
    "      --permission-set S permission set pre-authorised instead\n"
    "      --contact-email E  the app's contact (default: the username)\n"
    "      --username U       CI user (default: targetUsername of the "
    "config)\n"
    "      --login-url URL    login URL (default: instanceUrl of the "
    "config)\n"
    "      --api-version V    Metadata API version (default 64.0)\n"
    "      --target-org ALIAS the Salesforce CLI's org whose session deploys\n"
    "                         (default: SF_ACCESS_TOKEN[_<NAME>] and\n"
    "                         SF_ORG_INSTANCE_URL[_<NAME>], else the CLI's\n"
    "                         session of the username)\n"
    "      --verify-timeout S wait up to S seconds for a JWT login with the\n"
    "                         new app to work (default 600)\n"
    "      --no-verify        do not try a login after the deploy\n"
    "      --ca-file FILE     trust the CA certificates in FILE\n"
    "      --days N           certificate lifetime (default 3650)\n"
    "\n",
    "  -C DIR                 run in DIR, the root of the project\n"
    "  -q, --quiet            no progress on stderr\n"
    "  -v, --verbose          details of each step on stderr\n"
    "  -h, --help             this help\n"
    "\n"
    "exit codes: 0 done, 1 failure, 2 usage or bad input, 3 partial,\n"
    "4 credentials rejected\n",
    NULL,
};

enum {
    OPT_DEVHUB = OPT_FIRST_COMMAND_OPTION,
    OPT_NO_DEPLOY,
    OPT_PLAN,
    OPT_JSON,
    OPT_REPO,
    OPT_ENVIRONMENT,
    OPT_PROTECTED,
    OPT_VARIABLE_GROUP,
    OPT_JENKINS_FOLDER,
    OPT_KEY_STORAGE,
    OPT_APP_KIND,
    OPT_PROFILE,
    OPT_PERMISSION_SET,
    OPT_CONTACT_EMAIL,
    OPT_USERNAME,
    OPT_LOGIN_URL,
    OPT_API_VERSION,
    OPT_DAYS,
    OPT_TARGET_ORG,
    OPT_VERIFY_TIMEOUT,
    OPT_NO_VERIFY,
    OPT_CA_FILE,
    OPT_API_URL,
};

static const struct option long_options[] = {
    COMMON_LONG_OPTIONS,
    {"branch", required_argument, NULL, 'b'},
    {"all-branches", no_argument, NULL, 'a'},
    {"devhub", no_argument, NULL, OPT_DEVHUB},
    {"provider", required_argument, NULL, 'p'},
    {"dry-run", no_argument, NULL, 'n'},
    {"no-deploy", no_argument, NULL, OPT_NO_DEPLOY},
    {"plan", no_argument, NULL, OPT_PLAN},
    {"json", no_argument, NULL, OPT_JSON},
    {"repo", required_argument, NULL, OPT_REPO},
    {"environment", required_argument, NULL, OPT_ENVIRONMENT},
    {"protected", no_argument, NULL, OPT_PROTECTED},
    {"variable-group", required_argument, NULL, OPT_VARIABLE_GROUP},
    {"jenkins-folder", required_argument, NULL, OPT_JENKINS_FOLDER},
    {"key-storage", required_argument, NULL, OPT_KEY_STORAGE},
    {"app-kind", required_argument, NULL, OPT_APP_KIND},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"permission-set", required_argument, NULL, OPT_PERMISSION_SET},
    {"contact-email", required_argument, NULL, OPT_CONTACT_EMAIL},
    {"username", required_argument, NULL, OPT_USERNAME},
    {"login-url", required_argument, NULL, OPT_LOGIN_URL},
    {"api-version", required_argument, NULL, OPT_API_VERSION},
    {"days", required_argument, NULL, OPT_DAYS},
    {"target-org", required_argument, NULL, OPT_TARGET_ORG},
    {"verify-timeout", required_argument, NULL, OPT_VERIFY_TIMEOUT},
    {"no-verify", no_argument, NULL, OPT_NO_VERIFY},
    {"ca-file", required_argument, NULL, OPT_CA_FILE},
    {"api-url", required_argument, NULL, OPT_API_URL},
    {NULL, 0, NULL, 0},
};

struct request {
    struct provision_options options;
    const char *provider_name;
    int scopes_given;
    bool json;
    const char *ca_file;
    struct remote origin; /* when --provider or --repo was guessed */
};

/* A whole number from min to max for option, into *out. */
static int parse_number(const char *option, const char *text, long min,
                        long max, long *out)
{
    char *end;
    long n = strtol(text, &end, 10);

    if (end == text || *end != '\0' || n < min || n > max)
        return error_set(SFCI_EINPUT, "%s '%s' is not a number from %ld to %ld",
                         option, text, min, max);
    *out = n;
    return 0;
}

/*
 * Applies one option of this command to r: 0 when it was one, -1 when it
 * is not, or an exit code.
 */
static int apply_option(struct request *r, int opt, const char *arg)
{
    struct provision_options *o = &r->options;
    int rc = 0;

    switch (opt) {
    case 'b':
        o->scope = SCOPE_BRANCH;
        o->branch = arg;
        r->scopes_given++;
        break;
    case 'a':
        o->scope = SCOPE_ALL_BRANCHES;
        r->scopes_given++;
        break;
    case OPT_DEVHUB:
        o->scope = SCOPE_DEVHUB;
        r->scopes_given++;
        break;
    case 'p':
        r->provider_name = arg;
        break;
    case 'n':
        o->dry_run = true;
        break;
    case OPT_NO_DEPLOY:
        o->no_deploy = true;
        o->dry_run = true;
        break;
    case OPT_PLAN:
        o->plan = true;
        break;
    case OPT_JSON:
        r->json = true;
        break;
    case OPT_REPO:
        o->target.repo = arg;
        break;
    case OPT_ENVIRONMENT:
        o->target.environment = arg;
        break;
    case OPT_PROTECTED:
        o->target.protected_branches = true;
        break;
    case OPT_VARIABLE_GROUP:
        o->target.variable_group = arg;
        break;
    case OPT_JENKINS_FOLDER:
        o->target.folder = arg;
        break;
    case OPT_KEY_STORAGE:
        rc = key_storage_parse(arg, &o->key_storage);
        break;
    case OPT_APP_KIND:
        rc = app_kind_parse(arg, &o->app_kind);
        break;
    case OPT_PROFILE:
        o->profile = arg;
        break;
    case OPT_PERMISSION_SET:
        o->permission_set = arg;
        break;
    case OPT_CONTACT_EMAIL:
        o->contact_email = arg;
        break;
    case OPT_USERNAME:
        o->username = arg;
        break;
    case OPT_LOGIN_URL:
        o->login_url = arg;
        break;
    case OPT_API_VERSION:
        o->api_version = arg;
        break;
    case OPT_DAYS: {
        long days = 0;
        rc = parse_number("--days", arg, 1, 36500, &days);
        o->days = (int)days;
        break;
    }
    case OPT_TARGET_ORG:
        o->target_org = arg;
        break;
    case OPT_VERIFY_TIMEOUT:
        rc =
            parse_number("--verify-timeout", arg, 0, 86400, &o->verify_timeout);
        break;
    case OPT_NO_VERIFY:
        o->no_verify = true;
        break;
    case OPT_CA_FILE:
        r->ca_file = arg;
        break;
    case OPT_API_URL:
        o->api_url = arg;
        break;
    default:
        return -1;
    }
    return rc < 0 ? fail_with_engine_error(rc) : 0;
}

/* Reads argv into r: -1 to go on, or the exit code to stop with. */
static int parse_arguments(struct request *r, int argc, char **argv)
{
    int opt, rc;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":b:ap:n" COMMON_SHORT_OPTIONS,
                              long_options, NULL)) != -1) {
        if (opt == 'h') {
            for (const char *const *part = usage_text; *part != NULL; part++)
                fputs(*part, stdout);
            return EXIT_DONE;
        }
        rc = common_option(opt, optarg);
        if (rc < 0)
            rc = apply_option(r, opt, optarg);
        if (rc < 0)
            return option_error("provision", opt, argv);
        if (rc > 0)
            return rc;
    }
    if (optind < argc) {
        print_error("unexpected argument '%s': branches are chosen with "
                    "--branch NAME",
                    argv[optind]);
        return EXIT_USAGE;
    }
    if (r->scopes_given != 1) {
        print_error("%s: pass one of --branch NAME, --all-branches or "
                    "--devhub",
                    r->scopes_given == 0 ? "no org chosen"
                                         : "more than one org selection");
        return EXIT_USAGE;
    }
    if (r->options.scope == SCOPE_ALL_BRANCHES &&
        (r->options.username != NULL || r->options.login_url != NULL)) {
        print_error("--username and --login-url name one org: use them "
                    "with --branch, not --all-branches");
        return EXIT_USAGE;
    }
    return -1;
}

/* How a Git host name maps to a CI host, for the 'origin' guess. */
static const char *provider_of_host(const char *host)
{
    size_t len = strlen(host);

    if (strcmp(host, "github.com") == 0)
        return "github";
    if (strcmp(host, "gitlab.com") == 0 || strncmp(host, "gitlab.", 7) == 0)
        return "gitlab";
    if (strcmp(host, "dev.azure.com") == 0 ||
        strcmp(host, "ssh.dev.azure.com") == 0 ||
        (len > 16 && strcmp(host + len - 16, ".visualstudio.com") == 0))
        return "azure";
    if (strcmp(host, "bitbucket.org") == 0)
        return "bitbucket";
    return NULL;
}

/* The n-th '/'-separated segment of path, counted from 0, or NULL. */
static char *path_segment(const char *path, int n)
{
    size_t start = 0, len;

    for (; n > 0; n--) {
        len = strcspn(path + start, "/");
        if (path[start + len] == '\0')
            return NULL;
        start += len + 1;
    }
    return strndup(path + start, strcspn(path + start, "/"));
}

/*
 * The repository of a remote path in the host's terms.  Azure wants the
 * project: the segment before "_git" (https), or the third (ssh "v3/").
 */
static char *repo_of_path(const char *provider, const char *path)
{
    char *segment;
    int i;

    if (strcmp(provider, "azure") != 0)
        return strdup(path);
    if (strncmp(path, "v3/", 3) == 0)
        return path_segment(path, 2);

    for (i = 1; (segment = path_segment(path, i)) != NULL; i++) {
        bool found = strcmp(segment, "_git") == 0;
        free(segment);
        if (found)
            return path_segment(path, i - 1);
    }
    return strdup(path);
}

/* Fills in --provider and --repo from the 'origin' remote if missing. */
static int resolve_provider(struct request *r, char **guessed_repo)
{
    struct provision_options *o = &r->options;
    const char *name = r->provider_name;
    int rc;

    *guessed_repo = NULL;
    if (name == NULL || o->target.repo == NULL ||
        (!o->dry_run && o->api_url == NULL)) {
        rc = remote_read_origin(&r->origin);
        if (rc < 0 && name == NULL)
            return fail_with_engine_error(rc);
        if (rc == 0 && name == NULL) {
            name = provider_of_host(r->origin.host);
            if (name == NULL) {
                print_error("cannot tell the CI host of 'origin' ('%s'): "
                            "pass --provider (see 'sfci providers')",
                            r->origin.host);
                return EXIT_USAGE;
            }
            print_verbose("CI host '%s', from the 'origin' remote", name);
        }
    }

    o->provider = provider_find(name);
    if (o->provider == NULL) {
        print_error("unknown CI host '%s': use one of those 'sfci "
                    "providers' lists",
                    name);
        return EXIT_USAGE;
    }
    if (o->target.repo == NULL && r->origin.path != NULL &&
        provider_of_host(r->origin.host) != NULL &&
        strcmp(provider_of_host(r->origin.host), name) == 0) {
        *guessed_repo = repo_of_path(name, r->origin.path);
        o->target.repo = *guessed_repo;
    }
    if (o->target.variable_group == NULL &&
        provider_can(o->provider, PROVIDER_GROUPS))
        o->target.variable_group = DEFAULT_VARIABLE_GROUP;
    o->origin_host = r->origin.host;
    o->origin_path = r->origin.path;
    return -1;
}

static void on_progress(void *data, const char *org, bool detail,
                        const char *message)
{
    void (*print)(const char *, ...) = detail ? print_verbose : print_progress;

    (void)data;
    if (org != NULL)
        print("%s: %s", org, message);
    else
        print("%s", message);
}

static void print_files(const struct provision_org *org, const char *verb)
{
    size_t i;

    printf("%s", verb);
    for (i = 0; i < org->file_count; i++)
        printf(" %s", org->files[i]);
    putchar('\n');
}

static void print_deploy_steps(const struct provision *p,
                               const struct provision_org *org)
{
    printf("App: %s (%s), not deployed yet. Deploy it from the "
           "project's root:\n",
           org->app, app_kind_title(p->options.app_kind));
    printf("  sf project deploy start --metadata-dir %s --target-org %s\n",
           org->metadata_dir, org->username);
}

static void print_deployed(const struct provision *p,
                           const struct provision_org *org)
{
    const struct org_config *c = &org->config;

    printf("App: %s (%s), deployed%s.\n", org->app,
           app_kind_title(p->options.app_kind),
           p->options.no_verify ? "" : " and a JWT login verified");
    if (c->app_count == 0 || !p->options.dry_run)
        return;
    printf("The earlier app %s keeps serving the pipelines; once these "
           "values are entered, remove it with:\n",
           c->apps[c->app_count - 1]);
    if (c->devhub)
        printf("  sfci retire --devhub\n");
    else
        printf("  sfci retire --branch %s\n", c->name);
}

/* The host's instructions, indented by two spaces. */
static int print_host_steps(const struct provision *p)
{
    const struct provision_options *o = &p->options;
    struct buf steps = BUF_INIT;
    const char *line, *end;
    int rc;

    rc = o->provider->manual_steps(&o->target, &steps);
    if (rc < 0)
        return rc;
    for (line = buf_cstr(&steps); *line != '\0'; line = end) {
        end = strchr(line, '\n');
        end = end != NULL ? end + 1 : line + strlen(line);
        printf("  %.*s", (int)(end - line), line);
    }
    if (steps.len > 0 && steps.data[steps.len - 1] != '\n')
        putchar('\n');
    buf_release(&steps);
    return 0;
}

/* --dry-run: where a person enters the variables, then each org's. */
static bool to_enter_by_hand(const struct provision_variable *v)
{
    return v->action == ACTION_PRINTED || v->action == ACTION_FAILED;
}

static bool any_to_enter(const struct provision *p)
{
    size_t i, j;

    for (i = 0; i < p->count; i++) {
        for (j = 0; j < p->orgs[i].variable_count; j++) {
            if (p->orgs[i].done && to_enter_by_hand(&p->orgs[i].variables[j]))
                return true;
        }
    }
    return false;
}

static void print_org(const struct provision *p,
                      const struct provision_org *org)
{
    const char *host = p->options.provider->title;
    size_t j;

    printf("\n== %s: %s at %s ==\n", org->config.name, org->username,
           org->login_url);
    if (org->metadata_dir != NULL)
        print_deploy_steps(p, org);
    else
        print_deployed(p, org);
    print_files(org, "Commit:");
    for (j = 0; j < org->variable_count; j++) {
        const struct provision_variable *v = &org->variables[j];
        if (to_enter_by_hand(v))
            printf("%s=%s\n", v->name, v->value);
        else
            printf("%s: %s in %s\n", v->name, variable_action_name(v->action),
                   host);
    }
    for (j = 0; j < org->retired_count; j++)
        printf("Retired the earlier app %s\n", org->retired[j]);
}

/*
 * The orgs done: where a person enters what is still to enter (all of it
 * with --dry-run, what failed otherwise), then each org.
 */
static int print_manual(const struct provision *p)
{
    size_t i;
    int rc;

    if (any_to_enter(p)) {
        printf("Enter the variables below in %s:\n",
               p->options.provider->title);
        rc = print_host_steps(p);
        if (rc < 0)
            return rc;
    }
    for (i = 0; i < p->count && p->orgs[i].done; i++)
        print_org(p, &p->orgs[i]);
    return 0;
}

/* --plan: what a run would do, values hidden. */
static void print_plan(const struct provision *p)
{
    const struct provision_options *o = &p->options;
    size_t i, j;

    for (i = 0; i < p->count; i++) {
        const struct provision_org *org = &p->orgs[i];
        const struct org_config *c = &org->config;

        printf("%s%s: %s at %s\n", i > 0 ? "\n" : "", c->name, org->username,
               org->login_url);
        printf("  generate an RSA-2048 key, a certificate valid for %d "
               "days, a consumer key and a decryption key\n",
               o->days);
        if (org->metadata_dir != NULL)
            printf("  write the %s '%s' to %s/ (deploy it yourself)\n",
                   app_kind_title(o->app_kind), org->app, org->metadata_dir);
        else
            printf("  deploy the %s '%s' and verify a JWT login with it\n",
                   app_kind_title(o->app_kind), org->app);
        print_files(org, "  write");
        printf("  %s for %s:", o->dry_run ? "print" : "write",
               o->provider->title);
        for (j = 0; j < org->variable_count; j++) {
            const struct provision_variable *v = &org->variables[j];
            printf(" %s%s", v->name,
                   v->exists < 0   ? ""
                   : v->exists > 0 ? " (update)"
                                   : " (create)");
        }
        putchar('\n');
        if (c->app_count > 0)
            printf("  keep the earlier app%s %s until the new variables are "
                   "in place\n",
                   c->app_count > 1 ? "s" : "", c->apps[c->app_count - 1]);
    }
}

static json_t *org_json(const struct provision *p,
                        const struct provision_org *org)
{
    json_t *files = json_array(), *variables = json_array();
    json_t *o;
    size_t i;

    for (i = 0; i < org->file_count; i++)
        json_array_append_new(files, json_string(org->files[i]));
    for (i = 0; i < org->variable_count; i++) {
        const struct provision_variable *v = &org->variables[i];
        json_t *item = json_pack("{s:s, s:s}", "name", v->name, "action",
                                 variable_action_name(v->action));
        /* Only values a person must still enter leave the program. */
        if (v->value != NULL &&
            (v->action == ACTION_PRINTED || v->action == ACTION_FAILED))
            json_object_set_new(item, "value", json_string(v->value));
        json_array_append_new(variables, item);
    }

    o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "name", org->config.name,
                  "kind", org->config.devhub ? "devhub" : "branch", "username",
                  org->username, "login_url", org->login_url, "app", org->app,
                  "app_kind", app_kind_name(p->options.app_kind));
    if (org->metadata_dir != NULL)
        json_object_set_new(o, "metadata_dir", json_string(org->metadata_dir));
    json_object_set_new(o, "files", files);
    json_object_set_new(o, "variables", variables);
    return o;
}

static void print_json(const struct provision *p, int exit_code)
{
    json_t *orgs, *report;
    size_t i;

    orgs = json_array();
    for (i = 0; i < p->count; i++) {
        if (p->orgs[i].done || p->options.plan)
            json_array_append_new(orgs, org_json(p, &p->orgs[i]));
    }
    report = json_pack("{s:o, s:i}", "orgs", orgs, "exit_code", exit_code);
    json_dumpf(report, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    putchar('\n');
    json_decref(report);
}

int cmd_provision(int argc, char **argv)
{
    struct request r = {
        .options =
            {
                .api_version = DEFAULT_API_VERSION,
                .days = DEFAULT_DAYS,
                .verify_timeout = DEFAULT_VERIFY_TIMEOUT,
                .deploy_timeout = DEFAULT_DEPLOY_TIMEOUT,
                .progress = on_progress,
                .env = environment_get,
            },
    };
    struct http_options http_options = {.trace = print_trace};
    struct http_client *http = NULL;
    struct provision p = {0};
    char *guessed_repo = NULL;
    int rc, exit_code;

    exit_code = parse_arguments(&r, argc, argv);
    if (exit_code < 0)
        exit_code = resolve_provider(&r, &guessed_repo);
    if (exit_code >= 0)
        goto out;

    http_options.ca_file = r.ca_file;
    rc = http_client_new(&http_options, &http);
    r.options.http = http;
    if (rc == 0)
        rc = provision_prepare(&p, &r.options);
    if (rc == 0)
        rc = provision_run(&p);
    exit_code = exit_code_of(rc);
    if (rc < 0)
        print_error("%s", error_message());

    /* What was done is printed even after a failure: nothing is lost. */
    if (r.json)
        print_json(&p, exit_code);
    else if (r.options.plan && rc == 0)
        print_plan(&p);
    else if (print_manual(&p) < 0)
        exit_code = fail_with_engine_error(error_code());
    if (rc == 0 && !r.options.plan && !r.json)
        print_progress("%s", r.options.no_deploy
                                 ? "done: commit the files, deploy each app, "
                                   "then enter its variables"
                             : r.options.dry_run
                                 ? "done: commit the files and enter the "
                                   "variables, then run sfci retire"
                                 : "done: commit the files");

out:
    fflush(stdout);
    provision_release(&p);
    http_client_free(http);
    remote_release(&r.origin);
    free(guessed_repo);
    return exit_code;
}
