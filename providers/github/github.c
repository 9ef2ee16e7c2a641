/*
 * GitHub Actions: repository secrets, or environment secrets with
 * --environment; values are sealed with the repository's public key.
 *
 * Rules, from the secrets reference
 * (https://docs.github.com/actions/reference/secrets-reference):
 * - a name holds only [A-Za-z0-9_], does not start with a digit and does
 *   not start with GITHUB_ (in any case: names are case-insensitive);
 * - a value is at most 48 KB, which the REST API counts as 49,152 bytes
 *   of plain text before sealing.
 */
#include "errors.h"
#include "provider.h"
#include "rules.h"

#define GITHUB_NAME_CHARS RULES_ALNUM "_"
#define GITHUB_RESERVED_PREFIX "GITHUB_"
#define GITHUB_VALUE_MAX 49152

static int github_check_name(const char *name)
{
    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "GitHub refuses an empty secret "
                                      "name: give the secret a name");
    if (!rules_all_in(name, GITHUB_NAME_CHARS))
        return error_set(SFCI_EINPUT,
                         "GitHub refuses the secret name '%s' (only "
                         "letters, digits and '_' are allowed): rename it",
                         name);
    if (rules_starts_with_digit(name))
        return error_set(SFCI_EINPUT,
                         "GitHub refuses the secret name '%s' (it starts "
                         "with a digit): rename it to start with a letter "
                         "or '_'",
                         name);
    if (rules_has_prefix_nocase(name, GITHUB_RESERVED_PREFIX))
        return error_set(SFCI_EINPUT,
                         "GitHub refuses the secret name '%s' (names "
                         "starting with GITHUB_ are reserved): rename it",
                         name);
    return 0;
}

static int github_check_value(const char *name, const char *value)
{
    if (value == NULL)
        return 0;
    if (rules_check_filled("the GitHub secret", name, value) < 0)
        return SFCI_EINPUT;
    if (rules_longer_than(value, GITHUB_VALUE_MAX))
        return error_set(SFCI_EINPUT,
                         "GitHub refuses the value of '%s' (a secret holds "
                         "at most 48 KB): keep the key in the repository "
                         "with --key-storage repo",
                         name);
    return 0;
}

static int github_check(const struct provider_target *target, const char *name,
                        const char *value)
{
    int rc = github_check_name(name);

    if (rc < 0)
        return rc;
    return github_check_value(name, value);
}

/* Where the secrets are entered: the repository or one environment. */
static int github_steps_place(const struct provider_target *target,
                              struct buf *out)
{
    if (buf_printf(out, "In GitHub, open %s%s.\n",
                   target->repo ? "the repository " : "your repository",
                   target->repo ? target->repo : "") < 0)
        return SFCI_EFAIL;

    if (target->environment == NULL) {
        if (buf_puts(out, "Select Settings > Secrets and variables > "
                          "Actions, then the Secrets tab.\n"
                          "For each variable, select New repository "
                          "secret and set:\n") < 0)
            return SFCI_EFAIL;
        return 0;
    }

    if (buf_printf(out,
                   "Select Settings > Environments, then the "
                   "environment %s\n",
                   target->environment) < 0 ||
        buf_puts(out, "(create it with New environment if it is "
                      "missing).\n"
                      "For each variable, select Add environment secret "
                      "under Environment\n"
                      "secrets and set:\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

/* A workflow gets no secret that it does not name. */
static int github_steps_workflow(const struct provider_target *target,
                                 struct buf *out)
{
    if (buf_puts(out, "A workflow sees only the secrets it names, so the "
                      "job that runs sfci login\n"
                      "maps each one, NAME standing for each variable "
                      "name:\n") < 0)
        return SFCI_EFAIL;
    if (target->environment != NULL &&
        buf_printf(out, "  environment: %s\n", target->environment) < 0)
        return SFCI_EFAIL;
    if (buf_puts(out, "  env:\n"
                      "    NAME: ${{ secrets.NAME }}\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

static int github_manual_steps(const struct provider_target *target,
                               struct buf *out)
{
    int rc = github_steps_place(target, out);

    if (rc < 0)
        return rc;
    if (buf_puts(out, "  Name: the variable name\n"
                      "  Secret: its value\n"
                      "then select Add secret. If the secret exists, "
                      "update it instead.\n") < 0)
        return SFCI_EFAIL;
    return github_steps_workflow(target, out);
}

const struct provider provider_github = {
    .name = "github",
    .title = "GitHub",
    .capabilities = PROVIDER_ENVIRONMENTS | PROVIDER_SEALED,
    .check = github_check,
    .manual_steps = github_manual_steps,
};
