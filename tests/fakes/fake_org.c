#include "fake_salesforce.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

struct fake_org *org_new(void)
{
    struct fake_org *org = alloc_check(calloc(1, sizeof(*org)));

    org->org_id = xstrdup("00D000000000001AAA");
    org->next_id = 1;
    return org;
}

static void user_free(struct fake_user *user)
{
    free(user->username);
    free(user->profile);
    words_free(user->permission_sets);
    free(user);
}

static void session_free(struct fake_session *session)
{
    OPENSSL_cleanse(session->token, strlen(session->token));
    free(session->token);
    free(session);
}

void org_free(struct fake_org *org)
{
    if (org == NULL)
        return;
    for (size_t i = 0; i < org->users.count; i++)
        user_free(org->users.items[i]);
    for (size_t i = 0; i < org->sessions.count; i++)
        session_free(org->sessions.items[i]);
    for (size_t i = 0; i < org->components.count; i++)
        component_free(org->components.items[i]);
    for (size_t i = 0; i < org->deploys.count; i++)
        deploy_free(org->deploys.items[i]);
    for (size_t i = 0; i < org->fail_rules.count; i++) {
        struct fake_fail_rule *rule = org->fail_rules.items[i];
        free(rule->component);
        free(rule->message);
        free(rule);
    }
    for (size_t i = 0; i < org->logins.count; i++) {
        struct fake_login *login = org->logins.items[i];
        free(login->app);
        free(login);
    }
    list_release(&org->users);
    list_release(&org->sessions);
    list_release(&org->components);
    list_release(&org->deploys);
    list_release(&org->fail_rules);
    list_release(&org->logins);
    free(org->org_id);
    free(org->instance_url);
    free(org);
}

const struct fake_user *org_user_add(struct fake_org *org, const char *spec)
{
    const char *colon = strchr(spec, ':');
    const char *second;
    struct fake_user *user;

    if (colon == NULL || colon == spec || colon[1] == '\0' || colon[1] == ':')
        return NULL;
    second = strchr(colon + 1, ':');

    user = alloc_check(calloc(1, sizeof(*user)));
    user->username = xstrndup(spec, (size_t)(colon - spec));
    if (second == NULL) {
        user->profile = xstrdup(colon + 1);
        user->permission_sets = words_split("", ',');
    } else {
        user->profile = xstrndup(colon + 1, (size_t)(second - colon - 1));
        user->permission_sets = words_split(second + 1, ',');
    }
    org_id_new(org, "005", user->id);
    list_push(&org->users, user);
    return user;
}

const struct fake_user *org_user_find(const struct fake_org *org,
                                      const char *username)
{
    for (size_t i = 0; i < org->users.count; i++) {
        const struct fake_user *user = org->users.items[i];
        if (strcasecmp(user->username, username) == 0)
            return user;
    }
    return NULL;
}

void org_session_add(struct fake_org *org, const char *token,
                     const struct fake_user *user, bool api)
{
    struct fake_session *session = alloc_check(calloc(1, sizeof(*session)));

    session->token = xstrdup(token);
    session->user = user;
    session->api = api;
    list_push(&org->sessions, session);
}

const struct fake_session *org_session_find(const struct fake_org *org,
                                            const char *token)
{
    if (token == NULL)
        return NULL;
    for (size_t i = 0; i < org->sessions.count; i++) {
        const struct fake_session *session = org->sessions.items[i];
        if (strcmp(session->token, token) == 0)
            return session;
    }
    return NULL;
}

/* Digits only: the checksum of an all-digit body is "AAA". */
void org_id_new(struct fake_org *org, const char *prefix, char out[ID_LEN + 1])
{
    snprintf(out, ID_LEN + 1, "%.3s%012luAAA", prefix, org->next_id++);
}

static ssize_t component_index(const struct fake_org *org, const char *type,
                               const char *full_name)
{
    for (size_t i = 0; i < org->components.count; i++) {
        const struct fake_component *c = org->components.items[i];
        if (strcmp(c->type, type) == 0 && strcmp(c->full_name, full_name) == 0)
            return (ssize_t)i;
    }
    return -1;
}

struct fake_component *org_component_find(const struct fake_org *org,
                                          const char *type,
                                          const char *full_name)
{
    ssize_t i = component_index(org, type, full_name);

    return i < 0 ? NULL : org->components.items[i];
}

void org_component_put(struct fake_org *org, struct fake_component *component)
{
    ssize_t i = component_index(org, component->type, component->full_name);

    if (i >= 0) {
        component_free(org->components.items[i]);
        org->components.items[i] = component;
        return;
    }
    list_push(&org->components, component);
}

/* Whether component is a setting of the External Client App named app. */
static bool component_belongs_to(const struct fake_component *component,
                                 const char *app)
{
    const struct meta_type *type = meta_type_by_name(component->type);
    char *parent;
    bool belongs;

    if (type == NULL || !type->eca_child)
        return false;
    parent = xml_child_text(xmlDocGetRootElement(component->doc),
                            "externalClientApplication");
    belongs = parent != NULL && strcmp(parent, app) == 0;
    free(parent);
    return belongs;
}

bool org_component_delete(struct fake_org *org, const char *type,
                          const char *full_name)
{
    ssize_t index = component_index(org, type, full_name);
    struct fake_component *removed;

    if (index < 0)
        return false;
    removed = list_take(&org->components, (size_t)index);

    if (strcmp(type, "ExternalClientApplication") == 0) {
        for (size_t i = org->components.count; i-- > 0;)
            if (component_belongs_to(org->components.items[i], full_name))
                component_free(list_take(&org->components, i));
    }
    component_free(removed);
    return true;
}

void component_free(struct fake_component *component)
{
    if (component == NULL)
        return;
    free(component->type);
    free(component->full_name);
    free(component->file_name);
    xmlFreeDoc(component->doc);
    free(component);
}

void org_login_count(struct fake_org *org, const char *app)
{
    struct fake_login *login;

    for (size_t i = 0; i < org->logins.count; i++) {
        login = org->logins.items[i];
        if (strcmp(login->app, app) == 0) {
            login->count++;
            return;
        }
    }
    login = alloc_check(calloc(1, sizeof(*login)));
    login->app = xstrdup(app);
    login->count = 1;
    list_push(&org->logins, login);
}

bool component_is_app(const struct fake_component *component)
{
    return strcmp(component->type, "ExternalClientApplication") == 0 ||
           strcmp(component->type, "ConnectedApp") == 0;
}

/* The texts of every child {metadata}name, as a words list. */
static char **child_texts(xmlNodePtr node, const char *name)
{
    size_t count = 0;
    char **texts;

    for (xmlNodePtr c = node != NULL ? xml_first(node) : NULL; c != NULL;
         c = xml_next(c))
        count += xml_is(c, METADATA_NS, name);
    texts = xmalloc((count + 1) * sizeof(*texts));
    count = 0;
    for (xmlNodePtr c = node != NULL ? xml_first(node) : NULL; c != NULL;
         c = xml_next(c))
        if (xml_is(c, METADATA_NS, name))
            texts[count++] = xml_text(c);
    texts[count] = NULL;
    return texts;
}

/* The comma-separated words of the child {metadata}name. */
static char **child_words(xmlNodePtr node, const char *name)
{
    char *text = node != NULL ? xml_child_text(node, name) : NULL;
    char **words = words_split(text != NULL ? text : "", ',');

    free(text);
    return words;
}

static bool child_is(xmlNodePtr node, const char *name, const char *value)
{
    char *text = node != NULL ? xml_child_text(node, name) : NULL;
    bool is = text != NULL && strcmp(text, value) == 0;

    free(text);
    return is;
}

static void connected_app_load(const struct fake_component *header,
                               struct fake_app *out)
{
    xmlNodePtr root = xmlDocGetRootElement(header->doc);
    xmlNodePtr oauth = xml_child(root, "oauthConfig");

    out->kind = APP_CONNECTED_APP;
    out->oauth_enabled = oauth != NULL;
    if (oauth != NULL) {
        out->consumer_key = xml_child_text(oauth, "consumerKey");
        out->certificate = xml_child_text(oauth, "certificate");
    }
    out->admin_approved = child_is(oauth, "isAdminApproved", "true");
    out->scopes = child_texts(oauth, "scopes");
    out->profiles = child_texts(root, "profileName");
    out->permission_sets = child_texts(root, "permissionSetName");
}

/* The root of the ECA setting of type that names app, or NULL. */
static xmlNodePtr eca_part(const struct fake_org *org, const char *app,
                           const char *type)
{
    for (size_t i = 0; i < org->components.count; i++) {
        const struct fake_component *c = org->components.items[i];
        if (strcmp(c->type, type) == 0 && component_belongs_to(c, app))
            return xmlDocGetRootElement(c->doc);
    }
    return NULL;
}

/*
 * An ECA answers OAuth once it has OAuth settings and its plugin policy
 * does not turn them off; only AdminApprovedPreAuthorized pre-authorises.
 */
static void eca_load(const struct fake_org *org, const char *name,
                     struct fake_app *out)
{
    xmlNodePtr global = eca_part(org, name, "ExtlClntAppGlobalOauthSettings");
    xmlNodePtr settings = eca_part(org, name, "ExtlClntAppOauthSettings");
    xmlNodePtr policies =
        eca_part(org, name, "ExtlClntAppOauthConfigurablePolicies");
    xmlNodePtr plugin = eca_part(org, name, "ExtlClntAppConfigurablePolicies");

    out->kind = APP_ECA;
    if (global != NULL) {
        out->consumer_key = xml_child_text(global, "consumerKey");
        out->certificate = xml_child_text(global, "certificate");
    }
    out->oauth_enabled = settings != NULL &&
                         !child_is(plugin, "isEnabled", "false") &&
                         !child_is(plugin, "isOauthPluginEnabled", "false");
    out->scopes = child_words(settings, "commaSeparatedOauthScopes");
    out->admin_approved = child_is(policies, "permittedUsersPolicyType",
                                   "AdminApprovedPreAuthorized");
    out->profiles = child_words(policies, "commaSeparatedProfile");
    out->permission_sets = child_words(policies, "commaSeparatedPermissionSet");
}

void app_load(const struct fake_org *org, const struct fake_component *header,
              struct fake_app *out)
{
    memset(out, 0, sizeof(*out));
    out->name = header->full_name;
    out->deployed_at_ms = header->deployed_at_ms;
    if (strcmp(header->type, "ConnectedApp") == 0)
        connected_app_load(header, out);
    else
        eca_load(org, header->full_name, out);
}

void app_release(struct fake_app *app)
{
    free(app->consumer_key);
    free(app->certificate);
    words_free(app->profiles);
    words_free(app->permission_sets);
    words_free(app->scopes);
    memset(app, 0, sizeof(*app));
}

bool app_find_by_key(const struct fake_org *org, const char *key,
                     struct fake_app *out)
{
    for (size_t i = 0; i < org->components.count; i++) {
        const struct fake_component *c = org->components.items[i];

        if (!component_is_app(c))
            continue;
        app_load(org, c, out);
        if (out->consumer_key != NULL && strcmp(out->consumer_key, key) == 0)
            return true;
        app_release(out);
    }
    return false;
}

bool app_authorizes(const struct fake_app *app, const struct fake_user *user)
{
    if (!app->admin_approved)
        return false;
    if (words_contain(app->profiles, user->profile))
        return true;
    for (size_t i = 0; user->permission_sets[i] != NULL; i++)
        if (words_contain(app->permission_sets, user->permission_sets[i]))
            return true;
    return false;
}
