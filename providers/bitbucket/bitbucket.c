/*
 * Bitbucket Cloud Pipelines: secured repository variables, or secured
 * variables of a deployment environment with --environment.
 *
 * Rules, from "Variables and secrets"
 * (https://support.atlassian.com/bitbucket-cloud/docs/variables-and-secrets/):
 * - a name holds only ASCII letters, digits and underscores, and does not
 *   start with a digit (names are case-sensitive).
 * The documentation and the API description state no limit on a secured
 * value, so none is enforced here.
 */
#include "errors.h"
#include "provider.h"
#include "rules.h"

#define BITBUCKET_NAME_CHARS RULES_ALNUM "_"

static int bitbucket_check_name(const char *name)
{
    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "Bitbucket refuses an empty variable "
                                      "name: give the variable a name");
    if (!rules_all_in(name, BITBUCKET_NAME_CHARS))
        return error_set(SFCI_EINPUT,
                         "Bitbucket refuses the variable name '%s' (only "
                         "ASCII letters, digits and '_' are allowed): "
                         "rename it",
                         name);
    if (rules_starts_with_digit(name))
        return error_set(SFCI_EINPUT,
                         "Bitbucket refuses the variable name '%s' (it "
                         "starts with a digit): rename it to start with a "
                         "letter or '_'",
                         name);
    return 0;
}

static int bitbucket_check(const struct provider_target *target,
                           const char *name, const char *value)
{
    int rc = bitbucket_check_name(name);

    if (rc < 0)
        return rc;
    return rules_check_filled("the Bitbucket variable", name, value);
}

/* Where the variables are entered: the repository or one environment. */
static int bitbucket_steps_place(const struct provider_target *target,
                                 struct buf *out)
{
    if (buf_printf(out, "In Bitbucket, open %s%s.\n",
                   target->repo ? "the repository " : "your repository",
                   target->repo ? target->repo : "") < 0)
        return SFCI_EFAIL;

    if (target->environment == NULL) {
        if (buf_puts(out, "Select Repository settings > Pipelines > "
                          "Repository variables.\n"
                          "For each variable, fill in:\n") < 0)
            return SFCI_EFAIL;
        return 0;
    }

    if (buf_printf(out,
                   "Select Repository settings > Deployments and open "
                   "the environment\n"
                   "%s (add it if it is missing).\n"
                   "For each variable, fill in among its variables:\n",
                   target->environment) < 0)
        return SFCI_EFAIL;
    return 0;
}

static int bitbucket_manual_steps(const struct provider_target *target,
                                  struct buf *out)
{
    int rc = bitbucket_steps_place(target, out);

    if (rc < 0)
        return rc;
    if (buf_puts(out, "  Name: the variable name\n"
                      "  Value: its value\n"
                      "  Secured: checked\n"
                      "then select Add. If the name exists, edit that "
                      "variable instead.\n") < 0)
        return SFCI_EFAIL;
    if (target->environment != NULL &&
        buf_printf(out,
                   "Only steps with \"deployment: %s\" get these "
                   "variables.\n",
                   target->environment) < 0)
        return SFCI_EFAIL;
    return 0;
}

const struct provider provider_bitbucket = {
    .name = "bitbucket",
    .title = "Bitbucket",
    .capabilities = PROVIDER_ENVIRONMENTS | PROVIDER_MASKED,
    .check = bitbucket_check,
    .manual_steps = bitbucket_manual_steps,
};
