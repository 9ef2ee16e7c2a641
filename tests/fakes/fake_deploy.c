#include "fake_salesforce.h"

#include <stdlib.h>
#include <string.h>

/*
 * A deploy is queued as Salesforce queues them: one at a time per org,
 * each taking --deploy-ms.  Nothing runs in the background: a deploy is
 * read, checked and applied when the first request after its end time
 * settles it, stamped with that end time.
 */

static bool *option_flag(struct deploy_options *options, const char *name)
{
    static const struct {
        const char *name;
        size_t offset;
    } flags[] = {
        {"allowMissingFiles",
         offsetof(struct deploy_options, allow_missing_files)},
        {"checkOnly", offsetof(struct deploy_options, check_only)},
        {"ignoreWarnings", offsetof(struct deploy_options, ignore_warnings)},
        {"purgeOnDelete", offsetof(struct deploy_options, purge_on_delete)},
        {"rollbackOnError", offsetof(struct deploy_options, rollback_on_error)},
        {"singlePackage", offsetof(struct deploy_options, single_package)},
    };

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
        if (strcmp(flags[i].name, name) == 0)
            return (bool *)((char *)options + flags[i].offset);
    return NULL;
}

/* Reads checked DeployOptions into out and, as sent, into json. */
static void options_read(xmlNodePtr node, struct deploy_options *out,
                         json_t *json)
{
    for (xmlNodePtr child = node != NULL ? xml_first(node) : NULL;
         child != NULL; child = xml_next(child)) {
        const char *name = (const char *)child->name;
        char *text = xml_text(child);
        bool *flag = option_flag(out, name);
        bool on = strcmp(text, "true") == 0 || strcmp(text, "1") == 0;

        if (flag != NULL)
            *flag = on;
        if (strcmp(name, "testLevel") == 0) {
            free(out->test_level);
            out->test_level = xstrdup(text);
        }

        if (strcmp(name, "runTests") == 0) {
            json_t *tests = json_object_get(json, name);
            if (tests == NULL) {
                tests = alloc_check(json_array());
                json_object_set_new(json, name, tests);
            }
            json_array_append_new(tests, json_string(text));
        } else if (strcmp(name, "testLevel") == 0) {
            json_object_set_new(json, name, json_string(text));
        } else {
            json_object_set_new(json, name, json_boolean(on));
        }
        free(text);
    }
}

/* Finds the ZipFile and DeployOptions of a deploy call. */
static char *deploy_arguments(xmlNodePtr node, xmlNodePtr *zip,
                              xmlNodePtr *options)
{
    *zip = NULL;
    *options = NULL;
    for (xmlNodePtr child = xml_first(node); child != NULL;
         child = xml_next(child)) {
        if (xml_is(child, METADATA_NS, "ZipFile") && *zip == NULL)
            *zip = child;
        else if (xml_is(child, METADATA_NS, "DeployOptions") &&
                 *options == NULL)
            *options = child;
        else
            return xprintf("Element {%s}%s invalid at this location in "
                           "type deploy",
                           xml_ns(child), (const char *)child->name);
    }
    if (*zip == NULL)
        return xstrdup("Missing argument ZipFile in deploy");
    return NULL;
}

/* When the deploy can start: after every deploy queued before it. */
static int64_t queue_end(const struct fake_org *org, int64_t now)
{
    int64_t end = now;

    for (size_t i = 0; i < org->deploys.count; i++) {
        const struct fake_deploy *d = org->deploys.items[i];
        if (d->done_ms > end)
            end = d->done_ms;
    }
    return end;
}

struct fake_deploy *deploy_start(struct fake_org *org, xmlNodePtr node,
                                 int api_version, char **problem)
{
    xmlNodePtr zip, options;
    struct fake_deploy *deploy;
    char *text;
    int64_t now = clock_ms();

    *problem = deploy_arguments(node, &zip, &options);
    if (*problem == NULL && options != NULL)
        *problem =
            schema_check(&deploy_options_schema, options, api_version, "");
    if (*problem != NULL)
        return NULL;

    deploy = alloc_check(calloc(1, sizeof(*deploy)));
    deploy->api_version = api_version;
    deploy->options_json = alloc_check(json_object());
    options_read(options, &deploy->options, deploy->options_json);

    text = xml_text(zip);
    deploy->zip =
        fake_base64_decode(text, strlen(text), false, &deploy->zip_len);
    free(text);
    if (deploy->zip == NULL) {
        *problem = xstrdup("Unable to decode the ZipFile: it is not base64");
        deploy_free(deploy);
        return NULL;
    }

    org_id_new(org, "0Af", deploy->id);
    deploy->created_ms = now;
    deploy->start_ms = queue_end(org, now);
    deploy->done_ms = deploy->start_ms + org->deploy_ms;
    list_push(&org->deploys, deploy);
    return deploy;
}

struct fake_deploy *deploy_find(const struct fake_org *org, const char *id)
{
    for (size_t i = 0; i < org->deploys.count; i++) {
        struct fake_deploy *deploy = org->deploys.items[i];
        if (strcmp(deploy->id, id) == 0)
            return deploy;
    }
    return NULL;
}

/* What a production org refuses of a deploy's options, or NULL. */
static const char *options_refusal(const struct fake_org *org,
                                   const struct deploy_options *options)
{
    if (!org->production)
        return NULL;
    if (options->test_level != NULL &&
        strcmp(options->test_level, "NoTestRun") == 0)
        return "testLevel of NoTestRun cannot be used in production "
               "organizations";
    if (!options->rollback_on_error)
        return "rollbackOnError must be true to deploy to a production "
               "organization";
    if (options->allow_missing_files)
        return "allowMissingFiles cannot be used in production organizations";
    return NULL;
}

static void success_add(struct fake_deploy *deploy, const char *type,
                        const char *full_name, const char *file_name,
                        bool created, bool deleted)
{
    struct deploy_message *success = alloc_check(calloc(1, sizeof(*success)));

    success->type = xstrdup(type);
    success->full_name = xstrdup(full_name);
    success->file_name = xstrdup(file_name);
    success->created = created;
    success->deleted = deleted;
    list_push(&deploy->successes, success);
}

static void deletes_apply(struct fake_org *org, struct fake_deploy *deploy,
                          const struct list *deletes)
{
    for (size_t i = 0; i < deletes->count; i++) {
        const struct package_member *m = deletes->items[i];
        if (org_component_delete(org, m->type, m->full_name))
            success_add(deploy, m->type, m->full_name, "destructiveChanges.xml",
                        false, true);
    }
}

/* Salesforce names a new ECA for the org; a retrieve returns the name. */
static void org_scope_add(const struct fake_org *org,
                          struct fake_component *component)
{
    xmlNodePtr root = xmlDocGetRootElement(component->doc);
    char *value = xprintf("%s:%s", org->org_id, component->full_name);

    alloc_check(xmlNewTextChild(root, root->ns, BAD_CAST "orgScopedExternalApp",
                                BAD_CAST value));
    free(value);
}

/* Stores the package's valid components in the org, deletes first. */
static void package_apply(struct fake_org *org, struct fake_deploy *deploy,
                          struct package *pkg)
{
    deletes_apply(org, deploy, &pkg->deletes_pre);
    while (pkg->components.count > 0) {
        struct fake_component *c = list_take(&pkg->components, 0);
        const struct fake_component *old =
            org_component_find(org, c->type, c->full_name);

        /* Only a new app propagates: an update keeps its first time. */
        c->deployed_at_ms = old != NULL ? old->deployed_at_ms : deploy->done_ms;
        if (strcmp(c->type, "ExternalClientApplication") == 0)
            org_scope_add(org, c);
        success_add(deploy, c->type, c->full_name, c->file_name, old == NULL,
                    false);
        org_component_put(org, c);
        deploy->components_deployed++;
    }
    deletes_apply(org, deploy, &pkg->deletes_post);
}

/* Moves the package's failures into the deploy; true if they fail it. */
static bool failures_take(struct fake_deploy *deploy, struct package *pkg)
{
    bool failed = false;

    while (pkg->failures.count > 0) {
        struct deploy_message *failure = list_take(&pkg->failures, 0);

        failed =
            failed || !failure->warning || !deploy->options.ignore_warnings;
        list_push(&deploy->failures, failure);
    }
    return failed;
}

/*
 * Reads, checks and applies the package.  A failure fails the whole
 * deploy with rollbackOnError; without it the valid components go in.
 */
static void deploy_finish(struct fake_org *org, struct fake_deploy *deploy)
{
    const char *refusal = options_refusal(org, &deploy->options);
    struct package pkg;
    bool failed;

    deploy->settled = true;
    deploy->status = DEPLOY_FAILED;
    if (refusal != NULL) {
        deploy->error_code = xstrdup("INVALID_OPERATION");
        deploy->error_message = xstrdup(refusal);
        goto out;
    }

    package_read(org, deploy, &pkg);
    if (pkg.error != NULL) {
        deploy->error_message = pkg.error;
        pkg.error = NULL;
        package_release(&pkg);
        goto out;
    }
    deploy->components_total = pkg.total;
    failed = failures_take(deploy, &pkg);

    if (deploy->options.check_only) {
        deploy->components_deployed = failed ? 0 : pkg.components.count;
    } else if (!failed || !deploy->options.rollback_on_error) {
        package_apply(org, deploy, &pkg);
    }
    if (!failed)
        success_add(deploy, "", "package.xml", "package.xml", false, false);
    if (!failed)
        deploy->status = DEPLOY_SUCCEEDED;
    else if (deploy->components_deployed > 0 && !deploy->options.check_only)
        deploy->status = DEPLOY_SUCCEEDED_PARTIAL;
    package_release(&pkg);

out:
    free(deploy->zip);
    deploy->zip = NULL;
    deploy->zip_len = 0;
}

void deploys_settle(struct fake_org *org, int64_t now)
{
    for (size_t i = 0; i < org->deploys.count; i++) {
        struct fake_deploy *deploy = org->deploys.items[i];
        if (!deploy->settled && now >= deploy->done_ms)
            deploy_finish(org, deploy);
    }
}

enum deploy_status deploy_status_at(const struct fake_deploy *deploy,
                                    int64_t now)
{
    if (deploy->settled)
        return deploy->status;
    return now < deploy->start_ms ? DEPLOY_PENDING : DEPLOY_IN_PROGRESS;
}

const char *deploy_status_name(enum deploy_status status)
{
    switch (status) {
    case DEPLOY_PENDING:
        return "Pending";
    case DEPLOY_IN_PROGRESS:
        return "InProgress";
    case DEPLOY_SUCCEEDED:
        return "Succeeded";
    case DEPLOY_SUCCEEDED_PARTIAL:
        return "SucceededPartial";
    case DEPLOY_FAILED:
        return "Failed";
    }
    return "Failed";
}

void deploy_message_free(struct deploy_message *message)
{
    if (message == NULL)
        return;
    free(message->type);
    free(message->full_name);
    free(message->file_name);
    free(message->problem);
    free(message);
}

void deploy_free(struct fake_deploy *deploy)
{
    if (deploy == NULL)
        return;
    json_decref(deploy->options_json);
    free(deploy->options.test_level);
    free(deploy->zip);
    free(deploy->error_code);
    free(deploy->error_message);
    for (size_t i = 0; i < deploy->failures.count; i++)
        deploy_message_free(deploy->failures.items[i]);
    for (size_t i = 0; i < deploy->successes.count; i++)
        deploy_message_free(deploy->successes.items[i]);
    list_release(&deploy->failures);
    list_release(&deploy->successes);
    free(deploy);
}
