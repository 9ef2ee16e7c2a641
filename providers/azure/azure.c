/*
 * Azure DevOps Pipelines: secret variables in a variable group
 * (--variable-group, "salesforce-auth" unless given), which the pipelines
 * link by name.
 *
 * Rules, from "Variable naming restrictions"
 * (https://learn.microsoft.com/azure/devops/pipelines/process/variables):
 * - a name holds letters, digits, '.' and '_';
 * - a name starting with endpoint, input, secret, path or securefile, in
 *   any case, is reserved: such a variable never reaches tasks or scripts.
 * Neither the variable group API nor its documentation states a limit on
 * a secret's value, so none is enforced here.
 */
#include "errors.h"
#include "provider.h"
#include "rules.h"

#define AZURE_NAME_CHARS RULES_ALNUM "._"

static const char *const azure_reserved_prefixes[] = {
    "endpoint", "input", "secret", "path", "securefile", NULL,
};

static int azure_check_name(const char *name)
{
    const char *prefix;

    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "Azure DevOps refuses an empty "
                                      "variable name: give the variable a "
                                      "name");
    if (!rules_all_in(name, AZURE_NAME_CHARS))
        return error_set(SFCI_EINPUT,
                         "Azure DevOps refuses the variable name '%s' "
                         "(only letters, digits, '.' and '_' are allowed): "
                         "rename it",
                         name);
    prefix = rules_find_prefix_nocase(name, azure_reserved_prefixes);
    if (prefix != NULL)
        return error_set(SFCI_EINPUT,
                         "Azure DevOps reserves the variable name '%s' "
                         "(names starting with '%s' never reach tasks or "
                         "scripts): rename it",
                         name, prefix);
    return 0;
}

static int azure_check(const struct provider_target *target, const char *name,
                       const char *value)
{
    int rc = azure_check_name(name);

    if (rc < 0)
        return rc;
    return rules_check_filled("the Azure DevOps variable", name, value);
}

/* The group: found or created, then filled with secret variables. */
static int azure_steps_group(const struct provider_target *target,
                             const char *group, struct buf *out)
{
    if (buf_printf(out, "In Azure DevOps, open %s%s.\n",
                   target->repo ? "the project " : "your project",
                   target->repo ? target->repo : "") < 0 ||
        buf_printf(out,
                   "Select Pipelines > Library. Open the variable group %s\n"
                   "(or create it with + Variable group, named %s).\n",
                   group, group) < 0)
        return SFCI_EFAIL;

    if (buf_puts(out, "For each variable, select + Add under Variables and "
                      "set:\n"
                      "  Name: the variable name\n"
                      "  Value: its value, then select the lock icon to "
                      "make it secret\n"
                      "Leave the other variables of the group as they are, "
                      "and select Save.\n"
                      "Select Pipeline permissions and add (+) the "
                      "pipelines that run sfci login.\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

/* Secret variables reach a script only through an explicit mapping. */
static int azure_steps_pipeline(const char *group, struct buf *out)
{
    if (buf_puts(out, "The pipeline links the group and maps each secret "
                      "to the script, as\n"
                      "secret variables are not passed on by themselves "
                      "(NAME standing for\n"
                      "each variable name):\n"
                      "  variables:\n") < 0 ||
        buf_printf(out, "  - group: %s\n", group) < 0 ||
        buf_puts(out, "  steps:\n"
                      "  - script: sfci login\n"
                      "    env:\n"
                      "      NAME: $(NAME)\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

static int azure_manual_steps(const struct provider_target *target,
                              struct buf *out)
{
    /* The caller fills in the default; this only guards a bare target. */
    const char *group =
        target->variable_group ? target->variable_group : "salesforce-auth";
    int rc = azure_steps_group(target, group, out);

    if (rc < 0)
        return rc;
    return azure_steps_pipeline(group, out);
}

const struct provider provider_azure = {
    .name = "azure",
    .title = "Azure DevOps",
    .capabilities = PROVIDER_GROUPS | PROVIDER_MASKED,
    .check = azure_check,
    .manual_steps = azure_manual_steps,
};
