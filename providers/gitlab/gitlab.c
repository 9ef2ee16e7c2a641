/*
 * GitLab: project CI/CD variables, masked, scoped to an environment and
 * optionally protected.
 *
 * Rules, from https://docs.gitlab.com/ci/variables/ and the API
 * (https://docs.gitlab.com/api/project_level_variables/):
 * - a key is at most 255 characters of [A-Za-z0-9_];
 * - a masked value (sfci masks every value) is a single line of at least
 *   8 characters from [a-zA-Z0-9_+=/@:.~-]; this is the regex of
 *   app/models/concerns/ci/maskable.rb for variables whose references are
 *   expanded, the stricter of its two, so a value that passes it can be
 *   masked whatever the "Expand variable reference" flag says.
 */
#include "errors.h"
#include "provider.h"
#include "rules.h"

#include <string.h>

#define GITLAB_KEY_MAX 255
#define GITLAB_MASKED_MIN 8
#define GITLAB_KEY_CHARS RULES_ALNUM "_"
#define GITLAB_MASKED_CHARS RULES_ALNUM "_+=/@:.~-"

static int gitlab_check_name(const char *name)
{
    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "GitLab refuses an empty variable "
                                      "key: give the variable a name");
    if (rules_longer_than(name, GITLAB_KEY_MAX))
        return error_set(SFCI_EINPUT,
                         "GitLab refuses the variable key '%.32s...' "
                         "(longer than %d characters): shorten the branch "
                         "name or alias",
                         name, GITLAB_KEY_MAX);
    if (!rules_all_in(name, GITLAB_KEY_CHARS))
        return error_set(SFCI_EINPUT,
                         "GitLab refuses the variable key '%s' (only "
                         "letters, digits and '_' are allowed): rename it",
                         name);
    return 0;
}

static int gitlab_check_value(const char *name, const char *value)
{
    if (value == NULL)
        return 0;
    if (rules_check_filled("the GitLab variable", name, value) < 0)
        return SFCI_EINPUT;
    if (!rules_all_in(value, GITLAB_MASKED_CHARS) ||
        strlen(value) < GITLAB_MASKED_MIN)
        return error_set(SFCI_EINPUT,
                         "GitLab cannot mask the value of '%s' (masked "
                         "values are one line of %d or more of "
                         "A-Za-z0-9_+=/@:.~-): keep the key in the "
                         "repository with --key-storage repo",
                         name, GITLAB_MASKED_MIN);
    return 0;
}

static int gitlab_check(const struct provider_target *target, const char *name,
                        const char *value)
{
    int rc = gitlab_check_name(name);

    if (rc < 0)
        return rc;
    return gitlab_check_value(name, value);
}

static int gitlab_manual_steps(const struct provider_target *target,
                               struct buf *out)
{
    const char *scope = target->environment ? target->environment : "All (*)";
    const char *protect = target->protected_branches
                              ? "checked (only protected branches and tags "
                                "get it)"
                              : "cleared (the pipelines of every branch get "
                                "it)";

    if (buf_printf(out, "In GitLab, open %s%s.\n",
                   target->repo ? "the project " : "your project",
                   target->repo ? target->repo : "") < 0 ||
        buf_puts(out, "Select Settings > CI/CD and expand Variables.\n"
                      "For each variable, select Add variable and set:\n"
                      "  Type: Variable\n") < 0 ||
        buf_printf(out, "  Environment scope: %s\n", scope) < 0 ||
        buf_printf(out, "  Protect variable: %s\n", protect) < 0)
        return SFCI_EFAIL;

    if (buf_puts(out, "  Expand variable reference: cleared\n"
                      "  Visibility: Masked (Masked and hidden also works; no "
                      "one can reveal it)\n"
                      "  Key: the variable name\n"
                      "  Value: its value\n"
                      "then select Add variable. If the key exists in that "
                      "scope, edit it instead.\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

const struct provider provider_gitlab = {
    .name = "gitlab",
    .title = "GitLab",
    .capabilities =
        PROVIDER_ENVIRONMENTS | PROVIDER_PROTECTED | PROVIDER_MASKED,
    .check = gitlab_check,
    .manual_steps = gitlab_manual_steps,
};
