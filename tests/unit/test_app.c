#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "app.h"
#include "errors.h"
#include "files.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#define NS "http://soap.sforce.com/2006/04/metadata"
#define DECLARATION "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
#define APP "sfci_pre_prod_20261203101500"
#define PEM                                                                    \
    "-----BEGIN CERTIFICATE-----\n"                                            \
    "MIIBszCCAVmgAwIBAgIUTest+Cert/Body=\n"                                    \
    "-----END CERTIFICATE-----\n"
#define KEY "3MVG9sfci_test_consumer_key_0123456789"

/* 2026-12-03 10:15:00 UTC */
static const time_t when = 1796292900;

static const char *const forbidden[] = {
    "oauthLink",
    "orgScopedExternalApp",
    "consumerSecret",
};

static struct app_spec spec_make(enum app_kind kind)
{
    struct app_spec spec = {
        .kind = kind,
        .name = APP,
        .description = "CI login for pre-prod",
        .contact_email = "ci@example.com",
        .certificate_pem = PEM,
        .consumer_key = KEY,
        .profile = "System Administrator",
        .permission_set = NULL,
        .api_version = "64.0",
    };
    return spec;
}

static const struct app_file *file_find(const struct app_package *pkg,
                                        const char *path)
{
    for (size_t i = 0; i < pkg->count; i++)
        if (strcmp(pkg->files[i].path, path) == 0)
            return &pkg->files[i];
    return NULL;
}

static xmlDocPtr doc_parse(const struct app_file *file)
{
    xmlDocPtr doc;

    assert_non_null(file);
    doc = xmlReadMemory(file->content.data, (int)file->content.len, file->path,
                        NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    return doc;
}

static xmlNodePtr element_next(xmlNodePtr node)
{
    while (node != NULL && node->type != XML_ELEMENT_NODE)
        node = node->next;
    return node;
}

static xmlNodePtr element_first(xmlNodePtr parent)
{
    return element_next(parent->children);
}

static xmlNodePtr child_find(xmlNodePtr parent, const char *name)
{
    for (xmlNodePtr n = element_first(parent); n; n = element_next(n->next))
        if (strcmp((const char *)n->name, name) == 0)
            return n;
    return NULL;
}

static int child_count(xmlNodePtr parent, const char *name)
{
    int count = 0;

    for (xmlNodePtr n = element_first(parent); n; n = element_next(n->next))
        count += strcmp((const char *)n->name, name) == 0;
    return count;
}

static void text_assert(xmlNodePtr node, const char *expected)
{
    xmlChar *text;

    assert_non_null(node);
    text = xmlNodeGetContent(node);
    assert_non_null(text);
    assert_string_equal((const char *)text, expected);
    xmlFree(text);
}

static void child_text_assert(xmlNodePtr parent, const char *name,
                              const char *expected)
{
    xmlNodePtr child = child_find(parent, name);

    if (child == NULL)
        fail_msg("no <%s> in <%s>", name, (const char *)parent->name);
    assert_int_equal(child_count(parent, name), 1);
    text_assert(child, expected);
}

/* Sibling elements at every level are in schema (alphabetical) order. */
static void order_assert(xmlNodePtr parent)
{
    const xmlChar *previous = NULL;

    for (xmlNodePtr n = element_first(parent); n; n = element_next(n->next)) {
        if (previous != NULL &&
            strcmp((const char *)previous, (const char *)n->name) > 0)
            fail_msg("<%s> comes after <%s> in <%s>", (const char *)n->name,
                     (const char *)previous, (const char *)parent->name);
        previous = n->name;
        order_assert(n);
    }
}

static void forbidden_assert(const struct app_file *file, xmlNodePtr node)
{
    for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++) {
        assert_null(strstr(file->content.data, forbidden[i]));
        for (xmlNodePtr n = element_first(node); n; n = element_next(n->next)) {
            assert_string_not_equal((const char *)n->name, forbidden[i]);
            forbidden_assert(file, n);
        }
    }
}

/* The names of the root's child elements, space-separated. */
static void children_assert(xmlNodePtr parent, const char *expected)
{
    char names[1024] = "";

    for (xmlNodePtr n = element_first(parent); n; n = element_next(n->next)) {
        if (names[0] != '\0')
            strcat(names, " ");
        strcat(names, (const char *)n->name);
    }
    assert_string_equal(names, expected);
}

/*
 * Parses a metadata file and checks what every file shares: declaration,
 * root element and namespace, 4-space indentation, order, no forbidden
 * element.  The caller frees the document.
 */
static xmlDocPtr metadata_parse(const struct app_package *pkg, const char *path,
                                const char *root_name)
{
    const struct app_file *file = file_find(pkg, path);
    char line[256];
    xmlNodePtr root;
    xmlDocPtr doc;

    if (file == NULL)
        fail_msg("no file '%s' in the package", path);
    assert_int_equal(strlen(file->content.data), file->content.len);
    assert_memory_equal(file->content.data, DECLARATION, strlen(DECLARATION));
    snprintf(line, sizeof(line), "%s<%s xmlns=\"%s\">\n    <", DECLARATION,
             root_name, NS);
    assert_memory_equal(file->content.data, line, strlen(line));
    assert_null(strchr(file->content.data, '\t'));

    doc = doc_parse(file);
    root = xmlDocGetRootElement(doc);
    assert_non_null(root);
    assert_string_equal((const char *)root->name, root_name);
    assert_non_null(root->ns);
    assert_string_equal((const char *)root->ns->href, NS);
    order_assert(root);
    forbidden_assert(file, root);
    return doc;
}

static void test_name_examples(void **state)
{
    char name[APP_NAME_MAX];

    (void)state;
    assert_int_equal(app_name_make("PRE_PROD", when, name), 0);
    assert_string_equal(name, "sfci_pre_prod_20261203101500");
    assert_int_equal(app_name_make("RELEASE__2_0", when, name), 0);
    assert_string_equal(name, "sfci_release_2_0_20261203101500");
    assert_int_equal(app_name_make("uat", 0, name), 0);
    assert_string_equal(name, "sfci_uat_19700101000000");
}

static void test_name_cut(void **state)
{
    const char *long_suffix = "PRODUCTION_EUROPE_WEST_MAIN_BRANCH_FOR_"
                              "THE_RELEASE_TRAIN_NO1";
    char name[APP_NAME_MAX];

    (void)state;
    /* 40 characters: cut to the first 20. */
    assert_int_equal(
        app_name_make("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCD", when, name),
        0);
    assert_string_equal(name, "sfci_abcdefghijklmnopqrst_20261203101500");

    /* 60 characters, with separators: still 20, and 40 in all. */
    assert_int_equal(strlen(long_suffix), 60);
    assert_int_equal(app_name_make(long_suffix, when, name), 0);
    assert_string_equal(name, "sfci_production_europe_we_20261203101500");
    assert_int_equal(strlen(name), 40);

    /* A cut that ends on '_' drops it. */
    assert_int_equal(app_name_make("ABCDEFGHIJKLMNOPQRS_TUV", when, name), 0);
    assert_string_equal(name, "sfci_abcdefghijklmnopqrs_20261203101500");
}

static void test_name_collapse(void **state)
{
    char name[APP_NAME_MAX];

    (void)state;
    assert_int_equal(app_name_make("__Pre--Prod..EU__", when, name), 0);
    assert_string_equal(name, "sfci_pre_prod_eu_20261203101500");
    assert_int_equal(app_name_make("caf\xc3\xa9 2", when, name), 0);
    assert_string_equal(name, "sfci_caf_2_20261203101500");
    assert_int_equal(app_name_make("a", when, name), 0);
    assert_string_equal(name, "sfci_a_20261203101500");
    assert_null(strstr(name, "__"));
}

static void test_name_empty(void **state)
{
    const char *suffixes[] = {"___", "", "-", "..__..", "\xc3\xa9"};
    char name[APP_NAME_MAX];

    (void)state;
    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        strcpy(name, "garbage");
        assert_int_equal(app_name_make(suffixes[i], when, name), SFCI_EINPUT);
        assert_string_equal(name, "");
        assert_non_null(strstr(error_message(), "letter or a digit"));
    }
    assert_int_equal(app_name_make(NULL, when, name), SFCI_EINPUT);
}

static void test_name_builds(void **state)
{
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;
    char name[APP_NAME_MAX];

    (void)state;
    assert_int_equal(app_name_make("--X--Y__Z--", when, name), 0);
    assert_null(strstr(name, "__"));
    spec.name = name;
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    assert_non_null(
        file_find(&pkg, "externalClientApps/sfci_x_y_z_20261203101500.eca"));
    app_package_release(&pkg);
}

static void test_kind(void **state)
{
    enum app_kind kind = APP_CONNECTED_APP;

    (void)state;
    assert_string_equal(app_kind_name(APP_ECA), "eca");
    assert_string_equal(app_kind_name(APP_CONNECTED_APP), "connected-app");
    assert_string_equal(app_kind_title(APP_ECA), "External Client App");
    assert_string_equal(app_kind_title(APP_CONNECTED_APP), "Connected App");

    assert_int_equal(app_kind_parse("eca", &kind), 0);
    assert_int_equal(kind, APP_ECA);
    assert_int_equal(app_kind_parse("connected-app", &kind), 0);
    assert_int_equal(kind, APP_CONNECTED_APP);

    assert_int_equal(app_kind_parse("ECA", &kind), SFCI_EINPUT);
    assert_string_equal(error_message(), "unknown app kind 'ECA': use 'eca' "
                                         "or 'connected-app'");
    assert_int_equal(app_kind_parse("connected_app", &kind), SFCI_EINPUT);
    assert_int_equal(app_kind_parse("", &kind), SFCI_EINPUT);
}

static void test_eca_files(void **state)
{
    const char *paths[] = {
        "package.xml",
        "externalClientApps/" APP ".eca",
        "extlClntAppPolicies/" APP "_defaultPolicy.ecaPlcy",
        "extlClntAppGlobalOauthSets/" APP "GlblOAuth.ecaGlblOauth",
        "extlClntAppOauthPolicies/" APP
        "OAuthSettings_defaultPolicy.ecaOauthPlcy",
        "extlClntAppOauthSettings/" APP "OAuthSettings.ecaOauth",
    };
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;

    (void)state;
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    assert_int_equal(pkg.count, sizeof(paths) / sizeof(paths[0]));
    for (size_t i = 0; i < pkg.count; i++) {
        assert_string_equal(pkg.files[i].path, paths[i]);
        assert_null(strstr(pkg.files[i].path, "-meta.xml"));
    }
    app_package_release(&pkg);
}

static void test_eca_app(void **state)
{
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;
    xmlDocPtr doc;
    xmlNodePtr root;

    (void)state;
    assert_int_equal(app_package_build(&spec, &pkg), 0);

    doc = metadata_parse(&pkg, "externalClientApps/" APP ".eca",
                         "ExternalClientApplication");
    root = xmlDocGetRootElement(doc);
    children_assert(root, "contactEmail description distributionState "
                          "isProtected label");
    child_text_assert(root, "contactEmail", "ci@example.com");
    child_text_assert(root, "description", "CI login for pre-prod");
    child_text_assert(root, "distributionState", "Local");
    child_text_assert(root, "isProtected", "false");
    child_text_assert(root, "label", APP);
    xmlFreeDoc(doc);

    doc = metadata_parse(
        &pkg, "extlClntAppOauthSettings/" APP "OAuthSettings.ecaOauth",
        "ExtlClntAppOauthSettings");
    root = xmlDocGetRootElement(doc);
    children_assert(root, "commaSeparatedOauthScopes externalClientApplication "
                          "label");
    child_text_assert(root, "commaSeparatedOauthScopes", "Api, RefreshToken");
    child_text_assert(root, "externalClientApplication", APP);
    child_text_assert(root, "label", APP "OAuthSettings");
    xmlFreeDoc(doc);

    doc = metadata_parse(&pkg,
                         "extlClntAppPolicies/" APP "_defaultPolicy.ecaPlcy",
                         "ExtlClntAppConfigurablePolicies");
    root = xmlDocGetRootElement(doc);
    children_assert(root, "externalClientApplication isEnabled "
                          "isOauthPluginEnabled label");
    child_text_assert(root, "externalClientApplication", APP);
    child_text_assert(root, "isEnabled", "true");
    child_text_assert(root, "isOauthPluginEnabled", "true");
    child_text_assert(root, "label", APP "_defaultPolicy");
    xmlFreeDoc(doc);

    app_package_release(&pkg);
}

static void test_eca_global_oauth(void **state)
{
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;
    xmlDocPtr doc;
    xmlNodePtr root;

    (void)state;
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = metadata_parse(
        &pkg, "extlClntAppGlobalOauthSets/" APP "GlblOAuth.ecaGlblOauth",
        "ExtlClntAppGlobalOauthSettings");
    root = xmlDocGetRootElement(doc);
    children_assert(root,
                    "callbackUrl certificate consumerKey "
                    "externalClientApplication isConsumerSecretOptional "
                    "isPkceRequired isSecretRequiredForRefreshToken label "
                    "shouldRotateConsumerKey shouldRotateConsumerSecret");
    child_text_assert(root, "callbackUrl",
                      "http://localhost:1717/OauthRedirect");
    child_text_assert(root, "certificate", PEM);
    child_text_assert(root, "consumerKey", KEY);
    child_text_assert(root, "externalClientApplication", APP);
    child_text_assert(root, "isConsumerSecretOptional", "true");
    child_text_assert(root, "isPkceRequired", "false");
    child_text_assert(root, "isSecretRequiredForRefreshToken", "false");
    child_text_assert(root, "label", APP "GlblOAuth");
    child_text_assert(root, "shouldRotateConsumerKey", "false");
    child_text_assert(root, "shouldRotateConsumerSecret", "false");
    xmlFreeDoc(doc);
    app_package_release(&pkg);
}

static xmlDocPtr oauth_policies_parse(const struct app_package *pkg)
{
    return metadata_parse(pkg,
                          "extlClntAppOauthPolicies/" APP
                          "OAuthSettings_defaultPolicy.ecaOauthPlcy",
                          "ExtlClntAppOauthConfigurablePolicies");
}

static void test_eca_policies_profile(void **state)
{
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;
    xmlDocPtr doc;
    xmlNodePtr root;

    (void)state;
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = oauth_policies_parse(&pkg);
    root = xmlDocGetRootElement(doc);
    children_assert(root, "commaSeparatedProfile externalClientApplication "
                          "ipRelaxationPolicyType label "
                          "permittedUsersPolicyType refreshTokenPolicyType "
                          "refreshTokenValidityPeriod "
                          "refreshTokenValidityUnit");
    child_text_assert(root, "commaSeparatedProfile", "System Administrator");
    child_text_assert(root, "externalClientApplication", APP);
    child_text_assert(root, "ipRelaxationPolicyType", "Enforce");
    child_text_assert(root, "label", APP "OAuthSettings_defaultPolicy");
    child_text_assert(root, "permittedUsersPolicyType",
                      "AdminApprovedPreAuthorized");
    child_text_assert(root, "refreshTokenPolicyType", "SpecificLifetime");
    child_text_assert(root, "refreshTokenValidityPeriod", "3");
    child_text_assert(root, "refreshTokenValidityUnit", "Hours");
    xmlFreeDoc(doc);
    app_package_release(&pkg);
}

static void test_eca_policies_permission_set(void **state)
{
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;
    xmlDocPtr doc;
    xmlNodePtr root;

    (void)state;
    spec.profile = NULL;
    spec.permission_set = "sfci_ci_user";
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = oauth_policies_parse(&pkg);
    root = xmlDocGetRootElement(doc);
    child_text_assert(root, "commaSeparatedPermissionSet", "sfci_ci_user");
    assert_null(child_find(root, "commaSeparatedProfile"));
    xmlFreeDoc(doc);
    app_package_release(&pkg);

    /* Both: both are sent, permission set first. */
    spec.profile = "Integration User";
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = oauth_policies_parse(&pkg);
    root = xmlDocGetRootElement(doc);
    child_text_assert(root, "commaSeparatedPermissionSet", "sfci_ci_user");
    child_text_assert(root, "commaSeparatedProfile", "Integration User");
    xmlFreeDoc(doc);
    app_package_release(&pkg);

    /* An empty profile counts as none. */
    spec.profile = "";
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = oauth_policies_parse(&pkg);
    assert_null(child_find(xmlDocGetRootElement(doc), "commaSeparatedProfile"));
    xmlFreeDoc(doc);
    app_package_release(&pkg);
}

/* package.xml lists each component under its type, types sorted. */
static void test_eca_manifest(void **state)
{
    const char *expected[][2] = {
        {APP, "ExternalClientApplication"},
        {APP "_defaultPolicy", "ExtlClntAppConfigurablePolicies"},
        {APP "GlblOAuth", "ExtlClntAppGlobalOauthSettings"},
        {APP "OAuthSettings_defaultPolicy",
         "ExtlClntAppOauthConfigurablePolicies"},
        {APP "OAuthSettings", "ExtlClntAppOauthSettings"},
    };
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;
    xmlNodePtr root, types;
    xmlDocPtr doc;
    size_t i = 0;

    (void)state;
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = metadata_parse(&pkg, "package.xml", "Package");
    root = xmlDocGetRootElement(doc);
    children_assert(root, "types types types types types version");
    child_text_assert(root, "version", "64.0");

    for (types = child_find(root, "types"); types != NULL;
         types = element_next(types->next)) {
        if (strcmp((const char *)types->name, "types") != 0)
            break;
        assert_true(i < sizeof(expected) / sizeof(expected[0]));
        children_assert(types, "members name");
        child_text_assert(types, "members", expected[i][0]);
        child_text_assert(types, "name", expected[i][1]);
        i++;
    }
    assert_int_equal(i, sizeof(expected) / sizeof(expected[0]));

    /* Every member has its file, named after it. */
    for (i = 1; i < pkg.count; i++) {
        const char *slash = strchr(pkg.files[i].path, '/');
        size_t len = strcspn(slash + 1, ".");
        bool listed = false;

        for (size_t j = 0; j < sizeof(expected) / sizeof(expected[0]); j++)
            listed = listed || (strlen(expected[j][0]) == len &&
                                strncmp(slash + 1, expected[j][0], len) == 0);
        assert_true(listed);
    }
    xmlFreeDoc(doc);
    app_package_release(&pkg);
}

static void test_connected_app(void **state)
{
    struct app_spec spec = spec_make(APP_CONNECTED_APP);
    struct app_package pkg;
    xmlNodePtr root, config, policy, scope;
    xmlDocPtr doc;

    (void)state;
    spec.permission_set = "sfci_ci_user";
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    assert_int_equal(pkg.count, 2);
    assert_string_equal(pkg.files[0].path, "package.xml");
    assert_string_equal(pkg.files[1].path,
                        "connectedApps/" APP ".connectedApp");

    doc = metadata_parse(&pkg, "connectedApps/" APP ".connectedApp",
                         "ConnectedApp");
    root = xmlDocGetRootElement(doc);
    children_assert(root, "contactEmail description label oauthConfig "
                          "oauthPolicy permissionSetName profileName");
    child_text_assert(root, "contactEmail", "ci@example.com");
    child_text_assert(root, "label", APP);
    child_text_assert(root, "permissionSetName", "sfci_ci_user");
    child_text_assert(root, "profileName", "System Administrator");

    config = child_find(root, "oauthConfig");
    children_assert(config, "callbackUrl certificate consumerKey "
                            "isAdminApproved isConsumerSecretOptional "
                            "isIntrospectAllTokens "
                            "isSecretRequiredForRefreshToken scopes scopes");
    child_text_assert(config, "callbackUrl",
                      "http://localhost:1717/OauthRedirect");
    child_text_assert(config, "certificate", PEM);
    child_text_assert(config, "consumerKey", KEY);
    child_text_assert(config, "isAdminApproved", "true");
    child_text_assert(config, "isConsumerSecretOptional", "true");
    child_text_assert(config, "isIntrospectAllTokens", "false");
    child_text_assert(config, "isSecretRequiredForRefreshToken", "false");
    scope = child_find(config, "scopes");
    text_assert(scope, "Api");
    text_assert(element_next(scope->next), "RefreshToken");

    policy = child_find(root, "oauthPolicy");
    children_assert(policy, "ipRelaxation refreshTokenPolicy");
    child_text_assert(policy, "ipRelaxation", "ENFORCE");
    child_text_assert(policy, "refreshTokenPolicy",
                      "specific_lifetime:3:HOURS");

    /* Nested elements are indented by 8. */
    assert_non_null(strstr(pkg.files[1].content.data,
                           "\n    <oauthConfig>\n        <callbackUrl>"));
    xmlFreeDoc(doc);

    doc = metadata_parse(&pkg, "package.xml", "Package");
    root = xmlDocGetRootElement(doc);
    children_assert(root, "types version");
    child_text_assert(child_find(root, "types"), "members", APP);
    child_text_assert(child_find(root, "types"), "name", "ConnectedApp");
    child_text_assert(root, "version", "64.0");
    xmlFreeDoc(doc);
    app_package_release(&pkg);
}

static void test_connected_app_profile_only(void **state)
{
    struct app_spec spec = spec_make(APP_CONNECTED_APP);
    struct app_package pkg;
    xmlDocPtr doc;
    xmlNodePtr root;

    (void)state;
    spec.description = NULL;
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = metadata_parse(&pkg, "connectedApps/" APP ".connectedApp",
                         "ConnectedApp");
    root = xmlDocGetRootElement(doc);
    children_assert(root, "contactEmail label oauthConfig oauthPolicy "
                          "profileName");
    xmlFreeDoc(doc);
    app_package_release(&pkg);
}

static void test_escaping(void **state)
{
    const char *tricky = "<&>\"' and </description><x>";
    enum app_kind kinds[] = {APP_ECA, APP_CONNECTED_APP};
    const char *paths[] = {"externalClientApps/" APP ".eca",
                           "connectedApps/" APP ".connectedApp"};
    const char *roots[] = {"ExternalClientApplication", "ConnectedApp"};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct app_spec spec = spec_make(kinds[i]);
        struct app_package pkg;
        xmlDocPtr doc;

        spec.description = tricky;
        spec.contact_email = "a&b@example.com";
        assert_int_equal(app_package_build(&spec, &pkg), 0);
        assert_null(strstr(file_find(&pkg, paths[i])->content.data, tricky));
        assert_non_null(
            strstr(file_find(&pkg, paths[i])->content.data, "&lt;&amp;&gt;"));
        doc = metadata_parse(&pkg, paths[i], roots[i]);
        child_text_assert(xmlDocGetRootElement(doc), "description", tricky);
        child_text_assert(xmlDocGetRootElement(doc), "contactEmail",
                          "a&b@example.com");
        xmlFreeDoc(doc);
        app_package_release(&pkg);
    }
}

static void test_escaping_profile(void **state)
{
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;
    xmlDocPtr doc;

    (void)state;
    spec.profile = "R&D <Admins>";
    spec.description = "caf\xc3\xa9 \xe2\x9c\x93";
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = oauth_policies_parse(&pkg);
    child_text_assert(xmlDocGetRootElement(doc), "commaSeparatedProfile",
                      "R&D <Admins>");
    xmlFreeDoc(doc);
    doc = metadata_parse(&pkg, "externalClientApps/" APP ".eca",
                         "ExternalClientApplication");
    child_text_assert(xmlDocGetRootElement(doc), "description",
                      "caf\xc3\xa9 \xe2\x9c\x93");
    xmlFreeDoc(doc);
    app_package_release(&pkg);
}

static void build_refused(const struct app_spec *spec, const char *needle)
{
    struct app_package pkg = {(struct app_file *)&pkg, 99};

    error_clear();
    assert_int_equal(app_package_build(spec, &pkg), SFCI_EINPUT);
    assert_null(pkg.files);
    assert_int_equal(pkg.count, 0);
    if (strstr(error_message(), needle) == NULL)
        fail_msg("'%s' does not name '%s'", error_message(), needle);
}

static void test_spec_required(void **state)
{
    struct app_spec spec;
    const char **fields[5];
    const char *names[] = {"'name'", "'contact_email'", "'certificate_pem'",
                           "'consumer_key'", "'api_version'"};

    (void)state;
    for (size_t i = 0; i < 5; i++) {
        spec = spec_make(i % 2 ? APP_CONNECTED_APP : APP_ECA);
        fields[0] = &spec.name;
        fields[1] = &spec.contact_email;
        fields[2] = &spec.certificate_pem;
        fields[3] = &spec.consumer_key;
        fields[4] = &spec.api_version;
        *fields[i] = NULL;
        build_refused(&spec, names[i]);
        *fields[i] = "";
        build_refused(&spec, names[i]);
    }

    spec = spec_make(APP_ECA);
    spec.profile = NULL;
    build_refused(&spec, "'profile'");
    spec.permission_set = "";
    build_refused(&spec, "'permission_set'");
    spec.kind = APP_CONNECTED_APP;
    build_refused(&spec, "'profile'");
}

static void test_spec_invalid(void **state)
{
    const char *names[] = {"../etc", "sfci__x", "sfci_x_",
                           "1sfci",  "sfci x",  "_sfci",
                           "a/b",    "sfci.x",  "sfci_\xc3\xa9"};
    const char *versions[] = {"64", "v64.0", "64.", ".0", "64.0.1", "64,0"};
    struct app_spec spec;

    (void)state;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        spec = spec_make(APP_ECA);
        spec.name = names[i];
        build_refused(&spec, "is not a Salesforce API name");
    }
    spec = spec_make(APP_ECA);
    spec.name = "sfci_abcdefghijklmnopqrstuvwxyz_abcdefghijklmnopq";
    build_refused(&spec, "is not a Salesforce API name");

    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        spec = spec_make(APP_ECA);
        spec.api_version = versions[i];
        build_refused(&spec, "API version");
    }

    spec = spec_make(APP_ECA);
    spec.description = "bad \xff\xfe bytes";
    build_refused(&spec, "'description' is not UTF-8");
    spec.description = "bell \a";
    build_refused(&spec, "'description' holds a control character");
    spec = spec_make(APP_ECA);
    spec.consumer_key = "key\x01";
    build_refused(&spec, "'consumer_key'");
    assert_null(strstr(error_message(), "key\x01"));

    spec = spec_make(APP_ECA);
    spec.kind = (enum app_kind)7;
    build_refused(&spec, "unknown app kind");
}

/* Multi-line text keeps its line ends; tabs are allowed in text. */
static void test_spec_whitespace(void **state)
{
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;
    xmlDocPtr doc;

    (void)state;
    spec.certificate_pem = "-----BEGIN CERTIFICATE-----\r\nAAAA\r\n"
                           "-----END CERTIFICATE-----\r\n";
    spec.description = "one\ttwo";
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    doc = metadata_parse(
        &pkg, "extlClntAppGlobalOauthSets/" APP "GlblOAuth.ecaGlblOauth",
        "ExtlClntAppGlobalOauthSettings");
    child_text_assert(xmlDocGetRootElement(doc), "certificate",
                      spec.certificate_pem);
    xmlFreeDoc(doc);
    app_package_release(&pkg);
}

static void mode_assert(const char *path, mode_t mode)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, mode);
}

static void test_write(void **state)
{
    char base[] = "/tmp/sfci-test-app-XXXXXX";
    char dir[256], path[512];
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;

    (void)state;
    assert_non_null(mkdtemp(base));
    snprintf(dir, sizeof(dir), "%s/deploy/pkg", base);
    assert_int_equal(app_package_build(&spec, &pkg), 0);

    /* Twice: the second run finds the folders there. */
    for (int run = 0; run < 2; run++) {
        assert_int_equal(app_package_write(&pkg, dir), 0);
        mode_assert(dir, 0700);
        for (size_t i = 0; i < pkg.count; i++) {
            struct buf content = BUF_INIT;
            char *slash;

            snprintf(path, sizeof(path), "%s/%s", dir, pkg.files[i].path);
            mode_assert(path, 0600);
            assert_int_equal(file_read(path, &content), 0);
            assert_int_equal(content.len, pkg.files[i].content.len);
            assert_memory_equal(content.data, pkg.files[i].content.data,
                                content.len);
            buf_release(&content);
            slash = strrchr(path, '/');
            *slash = '\0';
            mode_assert(path, 0700);
        }
    }

    /* Nothing else was left behind: every folder empties. */
    for (size_t i = 0; i < pkg.count; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, pkg.files[i].path);
        assert_int_equal(unlink(path), 0);
    }
    for (size_t i = 1; i < pkg.count; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, pkg.files[i].path);
        *strrchr(path, '/') = '\0';
        assert_int_equal(rmdir(path), 0);
    }
    assert_int_equal(rmdir(dir), 0);
    snprintf(path, sizeof(path), "%s/deploy", base);
    assert_int_equal(rmdir(path), 0);
    assert_int_equal(rmdir(base), 0);
    app_package_release(&pkg);
}

static void test_write_refused(void **state)
{
    struct app_spec spec = spec_make(APP_ECA);
    struct app_package pkg;

    (void)state;
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    assert_int_equal(app_package_write(&pkg, "/proc/sfci-no/pkg"), SFCI_EFAIL);
    assert_non_null(strstr(error_message(), "'/proc/sfci-no'"));
    app_package_release(&pkg);
}

/* Opens the zip bytes with libzip again and compares every entry. */
static void zip_assert(const struct app_package *pkg, const struct buf *zip)
{
    zip_error_t error;
    zip_source_t *source;
    zip_t *archive;

    zip_error_init(&error);
    source = zip_source_buffer_create(zip->data, zip->len, 0, &error);
    assert_non_null(source);
    archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
    assert_non_null(archive);
    assert_int_equal(zip_get_num_entries(archive, 0), (int64_t)pkg->count);

    for (zip_uint64_t i = 0; i < pkg->count; i++) {
        const char *name = zip_get_name(archive, i, 0);
        const struct app_file *file;
        zip_stat_t st;
        zip_file_t *entry;
        char *data;

        assert_non_null(name);
        file = file_find(pkg, name);
        if (file == NULL)
            fail_msg("zip entry '%s' is not a package file", name);
        assert_int_equal(zip_stat_index(archive, i, 0, &st), 0);
        assert_int_equal(st.size, file->content.len);
        data = malloc(st.size + 1);
        assert_non_null(data);
        entry = zip_fopen_index(archive, i, 0);
        assert_non_null(entry);
        assert_int_equal(zip_fread(entry, data, st.size), (int64_t)st.size);
        assert_memory_equal(data, file->content.data, st.size);
        zip_fclose(entry);
        free(data);
    }
    zip_close(archive);
    zip_error_fini(&error);
}

static void test_zip(void **state)
{
    enum app_kind kinds[] = {APP_ECA, APP_CONNECTED_APP};

    (void)state;
    for (size_t i = 0; i < 2; i++) {
        struct app_spec spec = spec_make(kinds[i]);
        struct app_package pkg;
        struct buf zip = BUF_INIT;

        assert_int_equal(app_package_build(&spec, &pkg), 0);
        assert_int_equal(buf_puts(&zip, "stale"), 0);
        assert_int_equal(app_package_zip(&pkg, &zip), 0);
        assert_memory_equal(zip.data, "PK\x03\x04", 4);
        zip_assert(&pkg, &zip);
        buf_release(&zip);
        app_package_release(&pkg);
    }
}

static void test_zip_empty(void **state)
{
    struct app_package pkg = {NULL, 0};
    struct buf zip = BUF_INIT;

    (void)state;
    assert_int_equal(app_package_zip(&pkg, &zip), SFCI_EINPUT);
    assert_int_equal(zip.len, 0);
    assert_string_equal(error_message(), "the app package has no file to zip");
}

static void test_release(void **state)
{
    struct app_package pkg = {NULL, 0};
    struct app_spec spec = spec_make(APP_ECA);

    (void)state;
    app_package_release(&pkg);
    assert_int_equal(app_package_build(&spec, &pkg), 0);
    app_package_release(&pkg);
    assert_null(pkg.files);
    assert_int_equal(pkg.count, 0);
    app_package_release(&pkg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_name_examples),
        cmocka_unit_test(test_name_cut),
        cmocka_unit_test(test_name_collapse),
        cmocka_unit_test(test_name_empty),
        cmocka_unit_test(test_name_builds),
        cmocka_unit_test(test_kind),
        cmocka_unit_test(test_eca_files),
        cmocka_unit_test(test_eca_app),
        cmocka_unit_test(test_eca_global_oauth),
        cmocka_unit_test(test_eca_policies_profile),
        cmocka_unit_test(test_eca_policies_permission_set),
        cmocka_unit_test(test_eca_manifest),
        cmocka_unit_test(test_connected_app),
        cmocka_unit_test(test_connected_app_profile_only),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_escaping_profile),
        cmocka_unit_test(test_spec_required),
        cmocka_unit_test(test_spec_invalid),
        cmocka_unit_test(test_spec_whitespace),
        cmocka_unit_test(test_write),
        cmocka_unit_test(test_write_refused),
        cmocka_unit_test(test_zip),
        cmocka_unit_test(test_zip_empty),
        cmocka_unit_test(test_release),
    };
    int failed;

    failed = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return failed;
}
