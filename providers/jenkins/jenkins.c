/*
 * Jenkins: Secret text credentials, their ID the variable name, in the
 * system store or, with --jenkins-folder, in the store of a folder.
 *
 * Rules, from the Credentials plugin (jenkinsci/credentials-plugin,
 * BaseStandardCredentials.DescriptorImpl.doCheckId, which answers
 * "Unacceptable characters"):
 * - an ID holds only [a-zA-Z0-9_.-].
 * Neither that plugin nor Plain Credentials limits a secret's length, so
 * no value limit is enforced here.  The bindings mask the value in build
 * logs, hence PROVIDER_MASKED.
 */
#include "errors.h"
#include "provider.h"
#include "rules.h"

#define JENKINS_ID_CHARS RULES_ALNUM "_.-"

static int jenkins_check(const struct provider_target *target, const char *name,
                         const char *value)
{
    if (rules_empty(name))
        return error_set(SFCI_EINPUT, "Jenkins refuses an empty credential "
                                      "ID: give the credential an ID");
    if (!rules_all_in(name, JENKINS_ID_CHARS))
        return error_set(SFCI_EINPUT,
                         "Jenkins refuses the credential ID '%s' (only "
                         "letters, digits, '_', '.' and '-' are allowed): "
                         "rename it",
                         name);
    return rules_check_filled("the Jenkins credential", name, value);
}

/* The store: the system one, or the one of the folder. */
static int jenkins_steps_place(const struct provider_target *target,
                               struct buf *out)
{
    if (target->folder == NULL) {
        if (buf_puts(out, "In Jenkins, select Manage Jenkins > Credentials, "
                          "then System (under\n"
                          "Stores scoped to Jenkins) and Global credentials "
                          "(unrestricted).\n") < 0)
            return SFCI_EFAIL;
        return 0;
    }

    if (buf_printf(out,
                   "In Jenkins, open the folder %s and select "
                   "Credentials.\n"
                   "Select the store of that folder, then Global "
                   "credentials (unrestricted).\n",
                   target->folder) < 0)
        return SFCI_EFAIL;
    return 0;
}

static int jenkins_manual_steps(const struct provider_target *target,
                                struct buf *out)
{
    int rc = jenkins_steps_place(target, out);

    if (rc < 0)
        return rc;
    if (buf_puts(out, "For each variable, select Add Credentials and set:\n"
                      "  Kind: Secret text\n"
                      "  Scope: Global\n"
                      "  Secret: its value\n"
                      "  ID: the variable name, exactly (pipelines look it "
                      "up by ID)\n"
                      "then save it. If the ID is taken, update that "
                      "credential instead.\n") < 0)
        return SFCI_EFAIL;

    if (buf_puts(out, "A Pipeline reads each credential by its ID, NAME "
                      "standing for each\n"
                      "variable name:\n"
                      "  withCredentials([string(credentialsId: 'NAME', "
                      "variable: 'NAME')]) {\n"
                      "      sh 'sfci login'\n"
                      "  }\n"
                      "or, in a declarative Pipeline:\n"
                      "  environment { NAME = credentials('NAME') }\n") < 0)
        return SFCI_EFAIL;
    return 0;
}

const struct provider provider_jenkins = {
    .name = "jenkins",
    .title = "Jenkins",
    .capabilities = PROVIDER_FOLDERS | PROVIDER_MASKED,
    .check = jenkins_check,
    .manual_steps = jenkins_manual_steps,
};
