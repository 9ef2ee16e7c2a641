#include "fake_salesforce.h"

#include <libxml/parser.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

/* A file larger than this is not metadata the fake would take. */
#define FILE_MAX (8u << 20)
#define PARSE_ERROR "Error parsing file: "

/* A package.xml or destructiveChanges*.xml, read. */
struct manifest {
    struct list members; /* struct package_member * */
    int api;
};

static void failure_add(struct package *pkg, const char *type,
                        const char *full_name, const char *file_name,
                        char *problem, bool warning)
{
    struct deploy_message *failure = alloc_check(calloc(1, sizeof(*failure)));

    failure->type = xstrdup(type);
    failure->full_name = xstrdup(full_name);
    failure->file_name = xstrdup(file_name);
    failure->problem = problem;
    failure->warning = warning;
    list_push(&pkg->failures, failure);
}

static void member_add(struct list *members, const char *type,
                       const char *full_name)
{
    struct package_member *member = alloc_check(calloc(1, sizeof(*member)));

    member->type = xstrdup(type);
    member->full_name = xstrdup(full_name);
    list_push(members, member);
}

static void members_release(struct list *members)
{
    for (size_t i = 0; i < members->count; i++) {
        struct package_member *member = members->items[i];
        free(member->type);
        free(member->full_name);
        free(member);
    }
    list_release(members);
}

/* The bytes of the zip entry at index, NUL-terminated; NULL if unreadable. */
static char *entry_read(zip_t *zip, zip_uint64_t index, size_t *len)
{
    zip_stat_t stat;
    zip_file_t *file;
    char *data;
    zip_int64_t n;

    if (zip_stat_index(zip, index, 0, &stat) < 0 ||
        !(stat.valid & ZIP_STAT_SIZE) || stat.size > FILE_MAX)
        return NULL;
    file = zip_fopen_index(zip, index, 0);
    if (file == NULL)
        return NULL;

    data = xmalloc((size_t)stat.size + 1);
    n = zip_fread(file, data, stat.size);
    zip_fclose(file);
    if (n < 0 || (zip_uint64_t)n != stat.size) {
        free(data);
        return NULL;
    }
    data[n] = '\0';
    *len = (size_t)n;
    return data;
}

/*
 * Parses an XML file of the zip.  Returns the document, or NULL with the
 * parser's complaint in problem.
 */
static xmlDocPtr entry_parse(zip_t *zip, zip_uint64_t index, char **problem)
{
    size_t len = 0;
    char *data = entry_read(zip, index, &len);
    xmlDocPtr doc;
    const xmlError *error;

    *problem = NULL;
    if (data == NULL) {
        *problem = xstrdup(PARSE_ERROR "the file cannot be read from the zip");
        return NULL;
    }
    xmlResetLastError();
    doc = xmlReadMemory(data, (int)len, NULL, NULL,
                        XML_PARSE_NONET | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    free(data);
    if (doc != NULL && xmlDocGetRootElement(doc) != NULL)
        return doc;

    error = xmlGetLastError();
    *problem =
        xprintf("%sline %d: %s", PARSE_ERROR, error != NULL ? error->line : 0,
                error != NULL && error->message != NULL ? error->message
                                                        : "no root element\n");
    (*problem)[strcspn(*problem, "\n")] = '\0';
    xmlFreeDoc(doc);
    return NULL;
}

/* "64.0" as 64; -1 when text is not a version that the org serves. */
static int api_parse(const char *text)
{
    char *end;
    long major = strtol(text, &end, 10);

    if (end == text || strcmp(end, ".0") != 0 || major < API_VERSION_MIN ||
        major > API_VERSION_MAX)
        return -1;
    return (int)major;
}

/* Collects the members of each <types> of a checked manifest. */
static char *manifest_members(xmlNodePtr root, struct manifest *out)
{
    for (xmlNodePtr types = xml_first(root); types != NULL;
         types = xml_next(types)) {
        char *name;
        const struct meta_type *type;

        if (!xml_is(types, METADATA_NS, "types"))
            continue;
        name = xml_child_text(types, "name");
        type = meta_type_by_name(name);
        if (type == NULL || out->api < type->min_api) {
            char *problem = xprintf("Unknown type name '%s' specified in "
                                    "package.xml",
                                    name);
            free(name);
            return problem;
        }
        for (xmlNodePtr m = xml_first(types); m != NULL; m = xml_next(m)) {
            if (xml_is(m, METADATA_NS, "members")) {
                char *member = xml_text(m);
                member_add(&out->members, name, member);
                free(member);
            }
        }
        free(name);
    }
    return NULL;
}

/* Reads a manifest of the zip; returns its problem, or NULL. */
static char *manifest_read(zip_t *zip, zip_uint64_t index, int default_api,
                           struct manifest *out)
{
    char *problem = NULL, *version;
    xmlDocPtr doc = entry_parse(zip, index, &problem);
    xmlNodePtr root;

    out->api = default_api;
    if (doc == NULL)
        return problem;
    root = xmlDocGetRootElement(doc);
    if (!xml_is(root, METADATA_NS, "Package")) {
        problem = xprintf(PARSE_ERROR "Element {%s}%s invalid at this "
                                      "location",
                          xml_ns(root), (const char *)root->name);
        goto out;
    }

    version = xml_child_text(root, "version");
    if (version != NULL) {
        out->api = api_parse(version);
        if (out->api < 0)
            problem =
                xprintf("Invalid API version '%s' in package.xml", version);
        free(version);
    }
    if (problem == NULL)
        problem = schema_check(&package_schema, root, out->api, PARSE_ERROR);
    if (problem == NULL)
        problem = manifest_members(root, out);

out:
    xmlFreeDoc(doc);
    return problem;
}

/*
 * The folder that holds package.xml: the root of the zip, or with
 * singlePackage false a single folder under it.  NULL when there is none.
 */
static char *package_root(zip_t *zip, bool single_package)
{
    zip_int64_t count = zip_get_num_entries(zip, 0);

    if (zip_name_locate(zip, "package.xml", 0) >= 0)
        return xstrdup("");
    if (single_package)
        return NULL;
    for (zip_int64_t i = 0; i < count; i++) {
        const char *name = zip_get_name(zip, (zip_uint64_t)i, 0);
        const char *slash = name != NULL ? strchr(name, '/') : NULL;

        if (slash != NULL && slash != name &&
            strcmp(slash + 1, "package.xml") == 0)
            return xstrndup(name, (size_t)(slash - name + 1));
    }
    return NULL;
}

/* Whether the manifest names the component, and marks it found. */
static bool manifest_lists(struct manifest *manifest, bool *found,
                           const char *type, const char *full_name)
{
    bool listed = false;

    for (size_t i = 0; i < manifest->members.count; i++) {
        const struct package_member *m = manifest->members.items[i];

        if (strcmp(m->type, type) == 0 &&
            (strcmp(m->full_name, "*") == 0 ||
             strcmp(m->full_name, full_name) == 0)) {
            found[i] = true;
            listed = true;
        }
    }
    return listed;
}

/* Parses and checks one component file; adds it or a failure to pkg. */
static void component_read(struct package *pkg, zip_t *zip, zip_uint64_t index,
                           const char *file_name, const struct meta_type *type,
                           char *full_name, int api)
{
    char *problem = NULL;
    xmlDocPtr doc = entry_parse(zip, index, &problem);
    xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    struct fake_component *component;

    if (root != NULL && !xml_is(root, METADATA_NS, type->name))
        problem = xprintf(PARSE_ERROR "Element {%s}%s invalid at this "
                                      "location",
                          xml_ns(root), (const char *)root->name);
    if (problem == NULL)
        problem = schema_check(type->schema, root, api, PARSE_ERROR);
    if (problem != NULL) {
        failure_add(pkg, type->name, full_name, file_name, problem, false);
        xmlFreeDoc(doc);
        free(full_name);
        return;
    }

    component = alloc_check(calloc(1, sizeof(*component)));
    component->type = xstrdup(type->name);
    component->full_name = full_name;
    component->file_name = xstrdup(file_name);
    component->doc = doc;
    list_push(&pkg->components, component);
}

static bool is_manifest_name(const char *relative)
{
    return strcmp(relative, "package.xml") == 0 ||
           strcmp(relative, "destructiveChanges.xml") == 0 ||
           strcmp(relative, "destructiveChangesPre.xml") == 0 ||
           strcmp(relative, "destructiveChangesPost.xml") == 0;
}

/*
 * Reads the zip entry at index, a file under root, as the component that
 * its path names, if package.xml lists it (marked in found).
 */
static void entry_take(struct package *pkg, zip_t *zip, zip_uint64_t index,
                       const char *root, struct manifest *manifest, bool *found)
{
    const char *name = zip_get_name(zip, index, 0);
    const char *relative;
    const struct meta_type *type;
    char *full_name;

    if (name == NULL || !starts_with(name, root) ||
        name[strlen(name) - 1] == '/')
        return;
    relative = name + strlen(root);
    if (is_manifest_name(relative))
        return;

    pkg->total++;
    type = meta_type_by_path(relative, &full_name);
    if (type == NULL) {
        failure_add(pkg, "", relative, name,
                    xprintf("No metadata type has the folder and suffix of "
                            "'%s'",
                            relative),
                    false);
    } else if (!manifest_lists(manifest, found, type->name, full_name)) {
        failure_add(pkg, type->name, full_name, name,
                    xprintf("An object '%s' of type %s is in the zipped "
                            "directory but not named in package.xml",
                            full_name, type->name),
                    false);
        free(full_name);
    } else {
        component_read(pkg, zip, index, name, type, full_name, manifest->api);
    }
}

/* Reads every component file under root, as package.xml lists them. */
static void components_read(struct package *pkg, zip_t *zip, const char *root,
                            struct manifest *manifest)
{
    zip_int64_t count = zip_get_num_entries(zip, 0);
    bool *found = alloc_check(calloc(manifest->members.count + 1, 1));

    for (zip_int64_t i = 0; i < count; i++)
        entry_take(pkg, zip, (zip_uint64_t)i, root, manifest, found);

    for (size_t i = 0; i < manifest->members.count; i++) {
        const struct package_member *m = manifest->members.items[i];
        if (!found[i] && strcmp(m->full_name, "*") != 0)
            failure_add(pkg, m->type, m->full_name, "package.xml",
                        xprintf("An object '%s' of type %s was named in "
                                "package.xml, but was not found in zipped "
                                "directory",
                                m->full_name, m->type),
                        false);
    }
    free(found);
}

/*
 * Reads a destructive changes manifest into deletes.  A component that
 * is not in the org is a warning, as Salesforce reports it.
 */
static void deletes_read(struct package *pkg, const struct fake_org *org,
                         zip_t *zip, const char *root, const char *file,
                         int api, struct list *deletes)
{
    char *path = xprintf("%s%s", root, file);
    zip_int64_t index = zip_name_locate(zip, path, 0);
    struct manifest manifest = {.api = api};
    char *problem;

    if (index < 0)
        goto out;
    problem = manifest_read(zip, (zip_uint64_t)index, api, &manifest);
    if (problem != NULL) {
        failure_add(pkg, "", file, path, problem, false);
        goto out;
    }
    for (size_t i = 0; i < manifest.members.count; i++) {
        const struct package_member *m = manifest.members.items[i];

        pkg->total++;
        if (org_component_find(org, m->type, m->full_name) != NULL)
            member_add(deletes, m->type, m->full_name);
        else
            failure_add(pkg, m->type, m->full_name, path,
                        xprintf("No %s named: %s found", m->type, m->full_name),
                        true);
    }

out:
    members_release(&manifest.members);
    free(path);
}

static zip_t *zip_open_memory(const struct fake_deploy *deploy, char **error)
{
    zip_error_t zip_error;
    zip_source_t *source;
    zip_t *zip;

    zip_error_init(&zip_error);
    source =
        zip_source_buffer_create(deploy->zip, deploy->zip_len, 0, &zip_error);
    zip = source != NULL ? zip_open_from_source(
                               source, ZIP_RDONLY | ZIP_CHECKCONS, &zip_error)
                         : NULL;
    if (zip == NULL) {
        *error = xprintf("The zip file cannot be read: %s",
                         zip_error_strerror(&zip_error));
        zip_source_free(source);
    }
    zip_error_fini(&zip_error);
    return zip;
}

/* The package's manifests and files, checked one by one. */
static void package_files_read(const struct fake_org *org,
                               const struct fake_deploy *deploy,
                               struct package *pkg, zip_t *zip)
{
    char *root = package_root(zip, deploy->options.single_package);
    struct manifest manifest = {.api = deploy->api_version};
    char *manifest_path, *problem;

    if (root == NULL) {
        failure_add(pkg, "", "package.xml", "package.xml",
                    xstrdup("No package.xml found"), false);
        return;
    }
    manifest_path = xprintf("%spackage.xml", root);
    problem =
        manifest_read(zip, (zip_uint64_t)zip_name_locate(zip, manifest_path, 0),
                      deploy->api_version, &manifest);
    if (problem != NULL) {
        failure_add(pkg, "", "package.xml", manifest_path, problem, false);
    } else {
        components_read(pkg, zip, root, &manifest);
        deletes_read(pkg, org, zip, root, "destructiveChanges.xml",
                     manifest.api, &pkg->deletes_pre);
        deletes_read(pkg, org, zip, root, "destructiveChangesPre.xml",
                     manifest.api, &pkg->deletes_pre);
        deletes_read(pkg, org, zip, root, "destructiveChangesPost.xml",
                     manifest.api, &pkg->deletes_post);
    }
    members_release(&manifest.members);
    free(manifest_path);
    free(root);
}

/* The OAuth credentials a component carries, for the cross checks. */
struct credentials {
    xmlNodePtr node; /* the element that holds them */
    char *app;
    char *key;
    char *certificate;
};

static void credentials_get(const struct fake_component *c,
                            struct credentials *out)
{
    xmlNodePtr root = xmlDocGetRootElement(c->doc);

    memset(out, 0, sizeof(*out));
    if (strcmp(c->type, "ExtlClntAppGlobalOauthSettings") == 0) {
        out->node = root;
        out->app = xml_child_text(root, "externalClientApplication");
    } else if (strcmp(c->type, "ConnectedApp") == 0) {
        out->node = xml_child(root, "oauthConfig");
        out->app = out->node != NULL ? xstrdup(c->full_name) : NULL;
    }
    if (out->node != NULL) {
        out->key = xml_child_text(out->node, "consumerKey");
        out->certificate = xml_child_text(out->node, "certificate");
    }
}

static void credentials_release(struct credentials *creds)
{
    free(creds->app);
    free(creds->key);
    free(creds->certificate);
}

static bool certificate_valid(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *cert = bio != NULL ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    bool valid = cert != NULL;

    X509_free(cert);
    BIO_free(bio);
    ERR_clear_error();
    return valid;
}

/* The header type of the app that a credentials holder belongs to. */
static const char *app_type_of(const struct fake_component *c)
{
    return strcmp(c->type, "ConnectedApp") == 0 ? "ConnectedApp"
                                                : "ExternalClientApplication";
}

/* Whether another app, in the org or in this package, uses key. */
static bool key_taken(const struct fake_org *org, const struct package *pkg,
                      const char *key, const char *app)
{
    struct fake_app other;

    if (app_find_by_key(org, key, &other)) {
        bool taken = strcmp(other.name, app) != 0;
        app_release(&other);
        if (taken)
            return true;
    }
    for (size_t i = 0; i < pkg->components.count; i++) {
        struct credentials creds;
        bool taken;

        credentials_get(pkg->components.items[i], &creds);
        taken = creds.key != NULL && strcmp(creds.key, key) == 0 &&
                creds.app != NULL && strcmp(creds.app, app) != 0;
        credentials_release(&creds);
        if (taken)
            return true;
    }
    return false;
}

/*
 * A new app without a key gets one, as Salesforce generates it; an app
 * that exists keeps its key through an update that does not repeat it.
 * consumerKey goes after callbackUrl and certificate, before the rest.
 */
static void key_fill(const struct fake_org *org, struct fake_component *c,
                     struct credentials *creds)
{
    const struct fake_component *old =
        org_component_find(org, c->type, c->full_name);
    struct credentials old_creds = {0};
    xmlNodePtr before, key;
    char generated[86];

    if (old != NULL)
        credentials_get(old, &old_creds);
    memcpy(generated, "3MVG9", 5);
    random_text(generated + 5, sizeof(generated) - 6);
    key = alloc_check(xmlNewDocRawNode(
        c->doc, creds->node->ns, BAD_CAST "consumerKey",
        BAD_CAST(old_creds.key != NULL ? old_creds.key : generated)));

    before = xml_child(creds->node, "certificate");
    if (before == NULL)
        before = xml_child(creds->node, "callbackUrl");
    if (before != NULL)
        xmlAddNextSibling(before, key);
    else if (creds->node->children != NULL)
        xmlAddPrevSibling(creds->node->children, key);
    else
        xmlAddChild(creds->node, key);
    credentials_release(&old_creds);
}

/* The problem of the component's credentials in this org, or NULL. */
static char *credentials_check(const struct fake_org *org,
                               const struct package *pkg,
                               struct fake_component *c)
{
    struct credentials creds;
    char *problem = NULL;
    bool exists;

    credentials_get(c, &creds);
    if (creds.app == NULL)
        goto out;
    exists = org_component_find(org, app_type_of(c), creds.app) != NULL;

    if (creds.certificate != NULL && !certificate_valid(creds.certificate))
        problem = xstrdup("The certificate is not a valid X.509 certificate "
                          "in PEM format");
    else if (creds.key != NULL && exists)
        problem = xstrdup("You cannot provide a Consumer Key");
    else if (creds.key != NULL && key_taken(org, pkg, creds.key, creds.app))
        problem = xstrdup("The consumer key is already taken");
    else if (creds.key == NULL)
        key_fill(org, c, &creds);

out:
    credentials_release(&creds);
    return problem;
}

/* The problem of a component in this org, before its parent is known. */
static char *component_check(const struct fake_org *org,
                             const struct package *pkg,
                             struct fake_component *c)
{
    for (size_t i = 0; i < org->fail_rules.count; i++) {
        const struct fake_fail_rule *rule = org->fail_rules.items[i];
        if (strcmp(rule->component, c->full_name) == 0 ||
            strcmp(rule->component, c->type) == 0)
            return xstrdup(rule->message);
    }
    if (strcmp(c->type, "ConnectedApp") == 0 && !org->allow_connected_apps &&
        org_component_find(org, c->type, c->full_name) == NULL)
        return xstrdup("You can't create a connected app. To enable "
                       "connected app creation, contact Salesforce Customer "
                       "Support.");
    return credentials_check(org, pkg, c);
}

/* Whether an ExternalClientApplication named app is in pkg or the org. */
static bool eca_known(const struct fake_org *org, const struct package *pkg,
                      const char *app)
{
    for (size_t i = 0; i < pkg->components.count; i++) {
        const struct fake_component *c = pkg->components.items[i];
        if (strcmp(c->type, "ExternalClientApplication") == 0 &&
            strcmp(c->full_name, app) == 0)
            return true;
    }
    return org_component_find(org, "ExternalClientApplication", app) != NULL;
}

static char *parent_check(const struct fake_org *org, const struct package *pkg,
                          const struct fake_component *c)
{
    const struct meta_type *type = meta_type_by_name(c->type);
    char *parent, *problem = NULL;

    if (!type->eca_child)
        return NULL;
    parent = xml_child_text(xmlDocGetRootElement(c->doc),
                            "externalClientApplication");
    if (!eca_known(org, pkg, parent))
        problem = xprintf("In field: externalClientApplication - no "
                          "ExternalClientApplication named %s found",
                          parent);
    free(parent);
    return problem;
}

/* Moves the component at index out of pkg into its failures. */
static void component_fail(struct package *pkg, size_t index, char *problem)
{
    struct fake_component *c = list_take(&pkg->components, index);

    failure_add(pkg, c->type, c->full_name, c->file_name, problem, false);
    component_free(c);
}

/*
 * Checks the valid components against the org and each other: headers
 * first, so that a setting whose app failed fails as well.
 */
static void components_cross_check(const struct fake_org *org,
                                   struct package *pkg)
{
    for (size_t i = pkg->components.count; i-- > 0;) {
        char *problem = component_check(org, pkg, pkg->components.items[i]);
        if (problem != NULL)
            component_fail(pkg, i, problem);
    }
    for (size_t i = pkg->components.count; i-- > 0;) {
        char *problem = parent_check(org, pkg, pkg->components.items[i]);
        if (problem != NULL)
            component_fail(pkg, i, problem);
    }
}

void package_read(const struct fake_org *org, const struct fake_deploy *deploy,
                  struct package *out)
{
    zip_t *zip;

    memset(out, 0, sizeof(*out));
    zip = zip_open_memory(deploy, &out->error);
    if (zip == NULL)
        return;
    package_files_read(org, deploy, out, zip);
    components_cross_check(org, out);
    zip_discard(zip);
}

void package_release(struct package *pkg)
{
    for (size_t i = 0; i < pkg->components.count; i++)
        component_free(pkg->components.items[i]);
    list_release(&pkg->components);
    members_release(&pkg->deletes_pre);
    members_release(&pkg->deletes_post);
    for (size_t i = 0; i < pkg->failures.count; i++)
        deploy_message_free(pkg->failures.items[i]);
    list_release(&pkg->failures);
    free(pkg->error);
    memset(pkg, 0, sizeof(*pkg));
}
