/*
 * The credential stores: the system one and one per folder, and the XML
 * that Jenkins' XStream reads and writes for a credential.
 */
#include "fake_jenkins.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const struct credential_kind kinds[] = {
    {"org.jenkinsci.plugins.plaincredentials.impl.StringCredentialsImpl",
     "Secret text", "secret", NULL},
    {"com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl",
     "Username with password", "password", "username"},
};

static const char *const scopes[] = {"GLOBAL", "SYSTEM", "USER", NULL};

const struct credential_kind *credential_kind_find(const char *class_name)
{
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].class_name, class_name) == 0)
            return &kinds[i];
    return NULL;
}

struct credential *credential_new(const struct credential_kind *kind,
                                  const char *id, const char *secret)
{
    struct credential *credential = alloc_check(calloc(1, sizeof(*credential)));

    credential->kind = kind;
    credential->id = xstrdup(id);
    credential->secret = xstrdup(secret);
    return credential;
}

void credential_free(struct credential *credential)
{
    if (credential == NULL)
        return;
    free(credential->id);
    free(credential->folder);
    free(credential->scope);
    free(credential->description);
    free(credential->secret);
    free(credential->extra);
    free(credential);
}

/* ---- stores ---- */

void store_release(struct store *store)
{
    for (size_t i = 0; i < store->credentials.count; i++)
        credential_free(store->credentials.items[i]);
    free(store->credentials.items);
    list_free_all(&store->folders);
    memset(store, 0, sizeof(*store));
}

bool store_folder_exists(const struct store *store, const char *full_name)
{
    for (size_t i = 0; i < store->folders.count; i++)
        if (strcmp(store->folders.items[i], full_name) == 0)
            return true;
    return false;
}

void store_folder_add(struct store *store, const char *full_name)
{
    const char *slash = strrchr(full_name, '/');

    if (slash != NULL) {
        char *parent = xstrndup(full_name, (size_t)(slash - full_name));

        store_folder_add(store, parent);
        free(parent);
    }
    if (!store_folder_exists(store, full_name))
        list_push(&store->folders, xstrdup(full_name));
}

static bool same_folder(const char *a, const char *b)
{
    return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

struct credential *store_find(const struct store *store, const char *folder,
                              const char *id)
{
    for (size_t i = 0; i < store->credentials.count; i++) {
        struct credential *c = store->credentials.items[i];

        if (same_folder(c->folder, folder) && strcmp(c->id, id) == 0)
            return c;
    }
    return NULL;
}

/* Jenkins compares IdCredentials by ID: a second one is not added. */
bool store_add(struct store *store, struct credential *credential)
{
    if (store_find(store, credential->folder, credential->id) != NULL)
        return false;
    list_push(&store->credentials, credential);
    return true;
}

static size_t store_index(const struct store *store,
                          const struct credential *credential)
{
    size_t i;

    for (i = 0; i < store->credentials.count; i++)
        if (store->credentials.items[i] == credential)
            break;
    return i;
}

void store_replace(struct store *store, struct credential *current,
                   struct credential *replacement)
{
    size_t i = store_index(store, current);

    if (i < store->credentials.count) {
        store->credentials.items[i] = replacement;
        credential_free(current);
    }
}

void store_remove(struct store *store, struct credential *credential)
{
    size_t i = store_index(store, credential);

    if (i < store->credentials.count)
        credential_free(list_take(&store->credentials, i));
}

/* ---- XML ---- */

static char *node_text(xmlNodePtr node)
{
    xmlChar *content = xmlNodeGetContent(node);
    char *text = xstrdup(content != NULL ? (const char *)content : "");

    xmlFree(content);
    return text;
}

/* Stores the text of a known field; unknown fields are skipped. */
static void field_read(struct credential *c, xmlNodePtr node)
{
    const char *name = (const char *)node->name;
    char **slot = NULL;

    if (strcmp(name, "scope") == 0)
        slot = &c->scope;
    else if (strcmp(name, "id") == 0)
        slot = &c->id;
    else if (strcmp(name, "description") == 0)
        slot = &c->description;
    else if (strcmp(name, c->kind->secret_field) == 0)
        slot = &c->secret;
    else if (c->kind->extra_field != NULL &&
             strcmp(name, c->kind->extra_field) == 0)
        slot = &c->extra;
    if (slot == NULL)
        return;
    free(*slot);
    *slot = node_text(node);
}

static char *credential_check(const struct credential *c)
{
    bool known = c->scope == NULL;

    for (size_t i = 0; !known && scopes[i] != NULL; i++)
        known = strcmp(c->scope, scopes[i]) == 0;
    if (!known)
        return xprintf("com.thoughtworks.xstream.converters."
                       "ConversionException: No enum constant "
                       "com.cloudbees.plugins.credentials.CredentialsScope."
                       "%s",
                       c->scope);
    /* XStream leaves a missing ID null; the store fails comparing it. */
    if (c->id == NULL || c->id[0] == '\0')
        return xstrdup("java.lang.NullPointerException: Cannot invoke "
                       "\"String.equals(Object)\" because \"id\" is null");
    return NULL;
}

static struct credential *credential_from_root(xmlNodePtr root, char **problem)
{
    const struct credential_kind *kind =
        credential_kind_find((const char *)root->name);
    struct credential *c;

    if (kind == NULL) {
        *problem = xprintf("com.thoughtworks.xstream.mapper."
                           "CannotResolveClassException: %s",
                           (const char *)root->name);
        return NULL;
    }
    c = alloc_check(calloc(1, sizeof(*c)));
    c->kind = kind;
    for (xmlNodePtr node = root->children; node != NULL; node = node->next)
        if (node->type == XML_ELEMENT_NODE)
            field_read(c, node);
    if (c->secret == NULL)
        c->secret = xstrdup("");
    *problem = credential_check(c);
    if (*problem != NULL) {
        credential_free(c);
        return NULL;
    }
    return c;
}

struct credential *credential_from_xml(const char *xml, size_t len,
                                       char **problem)
{
    xmlDocPtr doc = NULL;
    struct credential *c = NULL;

    *problem = NULL;
    if (len <= (size_t)INT_MAX)
        doc = xmlReadMemory(xml, (int)len, NULL, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR |
                                XML_PARSE_NOWARNING);
    /* XMLUtils.safeTransform refuses a DOCTYPE. */
    if (doc == NULL || doc->intSubset != NULL ||
        xmlDocGetRootElement(doc) == NULL)
        *problem = xstrdup("java.io.IOException: Failed to parse credential");
    else
        c = credential_from_root(xmlDocGetRootElement(doc), problem);
    xmlFreeDoc(doc);
    return c;
}

char *credential_to_redacted_xml(const struct credential *c)
{
    char *id = markup_escape(c->id);
    char *description = markup_escape(c->description ? c->description : "");
    char *extra = c->extra != NULL ? markup_escape(c->extra) : NULL;
    char *scope = c->scope != NULL ? xprintf("  <scope>%s</scope>\n", c->scope)
                                   : xstrdup("");
    char *extra_line = extra != NULL
                           ? xprintf("  <%s>%s</%s>\n", c->kind->extra_field,
                                     extra, c->kind->extra_field)
                           : xstrdup("");
    char *xml = xprintf("<%s>\n%s  <id>%s</id>\n"
                        "  <description>%s</description>\n%s"
                        "  <%s>\n    <secret-redacted/>\n  </%s>\n</%s>",
                        c->kind->class_name, scope, id, description, extra_line,
                        c->kind->secret_field, c->kind->secret_field,
                        c->kind->class_name);

    free(id);
    free(description);
    free(extra);
    free(scope);
    free(extra_line);
    return xml;
}
