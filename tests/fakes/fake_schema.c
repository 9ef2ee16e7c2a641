#include "fake_salesforce.h"

#include <stdlib.h>
#include <string.h>

/*
 * The Metadata API reads a file as the WSDL types it declares: every
 * field in sequence (alphabetical for these types, after fullName), each
 * value of its XSD type.  The tables below hold the fields the fake
 * knows, in that order; the order of a table is the order enforced.
 */

enum field_kind {
    FIELD_TEXT,
    FIELD_BOOLEAN,
    FIELD_ENUM,
    FIELD_ENUM_LIST, /* comma-separated values of an enum */
    FIELD_COMPLEX,
    FIELD_ANY, /* a complex type the fake does not look into */
};

#define FIELD_REQUIRED 1u
#define FIELD_REPEATED 2u
#define FIELDS_MAX 32

struct enumeration {
    const char *name;
    const char *const *values;
};

struct field {
    const char *name;
    enum field_kind kind;
    unsigned int flags;
    const struct enumeration *values;
    const struct schema *complex;
    int min_api;         /* 0: since the type exists */
    int max_api;         /* 0: still there */
    const char *refusal; /* set: Salesforce refuses the field so */
};

struct schema {
    const char *type;
    const struct field *fields;
    size_t count;
    bool metadata;  /* a Metadata subtype: may open with fullName */
    bool any_order; /* SOAP arguments, whose order the API does not check */
};

#define FIELDS(array) array, sizeof(array) / sizeof(array[0])

static const char *const oauth_scope_values[] = {
    "Address",
    "Api",
    "Basic",
    "CDPIngest",
    "CDPProfile",
    "CDPQuery",
    "Chatter",
    "Content",
    "CustomApplications",
    "CustomPermissions",
    "Eclair",
    "Email",
    "Forcedotcom",
    "Full",
    "Lightning",
    "OfflineAccess",
    "OpenID",
    "Pardot",
    "Phone",
    "Profile",
    "RefreshToken",
    "Wave",
    "Web",
    NULL,
};
static const struct enumeration oauth_scopes = {
    .name = "ConnectedAppOauthAccessScope",
    .values = oauth_scope_values,
};

static const char *const distribution_state_values[] = {"Local", "Packaged",
                                                        NULL};
static const struct enumeration distribution_states = {
    .name = "ExtlClntAppDistributionState",
    .values = distribution_state_values,
};

static const char *const eca_ip_relaxation_values[] = {
    "Bypass", "Bypass_2factor", "Enforce", "Enforce_RelaxRefresh", NULL};
static const struct enumeration eca_ip_relaxations = {
    .name = "ExtlClntAppOauthIpRelaxation",
    .values = eca_ip_relaxation_values,
};

static const char *const permitted_users_values[] = {
    "AdminApprovedPreAuthorized", "AllSelfAuthorized", NULL};
static const struct enumeration permitted_users = {
    .name = "ExtlClntAppOauthPermittedUsersPolicyType",
    .values = permitted_users_values,
};

static const char *const ip_relaxation_values[] = {
    "BYPASS", "ENFORCE", "ENFORCE_ACTIVATED_DEVICES", "ENFORCE_RELAXREFRESH",
    NULL};
static const struct enumeration ip_relaxations = {
    .name = "ConnectedAppOauthIpRelaxation",
    .values = ip_relaxation_values,
};

static const char *const test_level_values[] = {"NoTestRun", "RunAllTestsInOrg",
                                                "RunLocalTests",
                                                "RunSpecifiedTests", NULL};
static const struct enumeration test_levels = {
    .name = "TestLevel",
    .values = test_level_values,
};

#define GENERATED(field)                                                       \
    "You can't set " field ": Salesforce generates it when the app is "        \
    "deployed"

static const struct field eca_fields[] = {
    {.name = "contactEmail", .flags = FIELD_REQUIRED},
    {.name = "contactPhone"},
    {.name = "description"},
    {.name = "distributionState",
     .kind = FIELD_ENUM,
     .values = &distribution_states},
    {.name = "iconUrl"},
    {.name = "infoUrl"},
    {.name = "isProtected", .kind = FIELD_BOOLEAN},
    {.name = "label", .flags = FIELD_REQUIRED},
    {.name = "logoUrl"},
    {.name = "orgScopedExternalApp",
     .refusal = GENERATED("orgScopedExternalApp")},
};

static const struct field eca_oauth_fields[] = {
    {.name = "commaSeparatedOauthScopes",
     .kind = FIELD_ENUM_LIST,
     .values = &oauth_scopes},
    {.name = "externalClientApplication", .flags = FIELD_REQUIRED},
    {.name = "label", .flags = FIELD_REQUIRED},
    {.name = "oauthLink", .refusal = GENERATED("oauthLink")},
};

static const struct field eca_global_oauth_fields[] = {
    {.name = "callbackUrl"},
    {.name = "certificate", .min_api = 60},
    {.name = "consumerKey"},
    {.name = "consumerSecret",
     .refusal = "You cannot provide a Consumer Secret"},
    {.name = "externalClientApplication", .flags = FIELD_REQUIRED},
    {.name = "isClientCredentialsFlowEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isCodeCredentialEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isConsumerSecretOptional", .kind = FIELD_BOOLEAN},
    {.name = "isDeviceFlowEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isIntrospectAllTokens", .kind = FIELD_BOOLEAN},
    {.name = "isNamedUserJwtEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isPkceRequired", .kind = FIELD_BOOLEAN},
    {.name = "isRefreshTokenRotationEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isSecretRequiredForRefreshToken", .kind = FIELD_BOOLEAN},
    {.name = "isSecretRequiredForTokenExchange", .kind = FIELD_BOOLEAN},
    {.name = "isTokenExchangeEnabled", .kind = FIELD_BOOLEAN},
    {.name = "label", .flags = FIELD_REQUIRED},
    {.name = "shouldRotateConsumerKey", .kind = FIELD_BOOLEAN},
    {.name = "shouldRotateConsumerSecret", .kind = FIELD_BOOLEAN},
};

/* isNamedUserJwtEnabled is only known to API 61.0 to 63.0 here. */
static const struct field eca_oauth_policies_fields[] = {
    {.name = "clientCredentialsFlowUser"},
    {.name = "commaSeparatedPermissionSet"},
    {.name = "commaSeparatedProfile"},
    {.name = "externalClientApplication", .flags = FIELD_REQUIRED},
    {.name = "ipRelaxationPolicyType",
     .kind = FIELD_ENUM,
     .values = &eca_ip_relaxations},
    {.name = "isClientCredentialsFlowEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isGuestCodeCredFlowEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isNamedUserJwtEnabled",
     .kind = FIELD_BOOLEAN,
     .min_api = 61,
     .max_api = 63},
    {.name = "isTokenExchangeFlowEnabled", .kind = FIELD_BOOLEAN},
    {.name = "label", .flags = FIELD_REQUIRED},
    {.name = "permittedUsersPolicyType",
     .kind = FIELD_ENUM,
     .values = &permitted_users},
    {.name = "policyAction"},
    {.name = "refreshTokenPolicyType"},
    {.name = "refreshTokenValidityPeriod"},
    {.name = "refreshTokenValidityUnit"},
    {.name = "requiredSessionLevel"},
};

static const struct field eca_policies_fields[] = {
    {.name = "externalClientApplication", .flags = FIELD_REQUIRED},
    {.name = "isEnabled", .kind = FIELD_BOOLEAN, .flags = FIELD_REQUIRED},
    {.name = "isOauthPluginEnabled", .kind = FIELD_BOOLEAN},
    {.name = "label", .flags = FIELD_REQUIRED},
};

static const struct field oauth_config_fields[] = {
    {.name = "callbackUrl", .flags = FIELD_REQUIRED},
    {.name = "certificate"},
    {.name = "consumerKey"},
    {.name = "consumerSecret",
     .refusal = "You cannot provide a Consumer Secret"},
    {.name = "idTokenConfig", .kind = FIELD_ANY},
    {.name = "isAdminApproved", .kind = FIELD_BOOLEAN},
    {.name = "isClientCredentialEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isCodeCredentialEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isCodeCredentialPostOnly", .kind = FIELD_BOOLEAN},
    {.name = "isConsumerSecretOptional", .kind = FIELD_BOOLEAN},
    {.name = "isIntrospectAllTokens", .kind = FIELD_BOOLEAN},
    {.name = "isNamedUserJwtEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isPkceRequired", .kind = FIELD_BOOLEAN},
    {.name = "isRefreshTokenRotationEnabled", .kind = FIELD_BOOLEAN},
    {.name = "isSecretRequiredForRefreshToken", .kind = FIELD_BOOLEAN},
    {.name = "isSecretRequiredForTokenExchange", .kind = FIELD_BOOLEAN},
    {.name = "isTokenExchangeEnabled", .kind = FIELD_BOOLEAN},
    {.name = "oauthClientCredentialUser"},
    {.name = "oauthTokenExchangeHandler", .kind = FIELD_ANY},
    {.name = "scopes",
     .kind = FIELD_ENUM,
     .flags = FIELD_REPEATED,
     .values = &oauth_scopes},
    {.name = "singleLogoutUrl"},
};
static const struct schema oauth_config_schema = {
    .type = "ConnectedAppOauthConfig",
    .fields = FIELDS(oauth_config_fields),
};

static const struct field oauth_policy_fields[] = {
    {.name = "ipRelaxation", .kind = FIELD_ENUM, .values = &ip_relaxations},
    {.name = "refreshTokenPolicy"},
};
static const struct schema oauth_policy_schema = {
    .type = "ConnectedAppOauthPolicy",
    .fields = FIELDS(oauth_policy_fields),
};

static const struct field connected_app_fields[] = {
    {.name = "attributes", .kind = FIELD_ANY, .flags = FIELD_REPEATED},
    {.name = "canvasConfig", .kind = FIELD_ANY},
    {.name = "contactEmail", .flags = FIELD_REQUIRED},
    {.name = "contactPhone"},
    {.name = "description"},
    {.name = "iconUrl"},
    {.name = "infoUrl"},
    {.name = "ipRanges", .kind = FIELD_ANY, .flags = FIELD_REPEATED},
    {.name = "label", .flags = FIELD_REQUIRED},
    {.name = "logoUrl"},
    {.name = "mobileAppConfig", .kind = FIELD_ANY},
    {.name = "mobileStartUrl"},
    {.name = "oauthConfig",
     .kind = FIELD_COMPLEX,
     .complex = &oauth_config_schema},
    {.name = "oauthPolicy",
     .kind = FIELD_COMPLEX,
     .complex = &oauth_policy_schema},
    {.name = "permissionSetName", .flags = FIELD_REPEATED},
    {.name = "pluginExecutionUser"},
    {.name = "profileName", .flags = FIELD_REPEATED},
    {.name = "samlConfig", .kind = FIELD_ANY},
    {.name = "sessionPolicy", .kind = FIELD_ANY},
    {.name = "startUrl"},
};

static const struct schema eca_schema = {
    .type = "ExternalClientApplication",
    .fields = FIELDS(eca_fields),
    .metadata = true,
};
static const struct schema eca_oauth_schema = {
    .type = "ExtlClntAppOauthSettings",
    .fields = FIELDS(eca_oauth_fields),
    .metadata = true,
};
static const struct schema eca_global_oauth_schema = {
    .type = "ExtlClntAppGlobalOauthSettings",
    .fields = FIELDS(eca_global_oauth_fields),
    .metadata = true,
};
static const struct schema eca_oauth_policies_schema = {
    .type = "ExtlClntAppOauthConfigurablePolicies",
    .fields = FIELDS(eca_oauth_policies_fields),
    .metadata = true,
};
static const struct schema eca_policies_schema = {
    .type = "ExtlClntAppConfigurablePolicies",
    .fields = FIELDS(eca_policies_fields),
    .metadata = true,
};
static const struct schema connected_app_schema = {
    .type = "ConnectedApp",
    .fields = FIELDS(connected_app_fields),
    .metadata = true,
};

static const struct field package_types_fields[] = {
    {.name = "members", .flags = FIELD_REQUIRED | FIELD_REPEATED},
    {.name = "name", .flags = FIELD_REQUIRED},
};
static const struct schema package_types_schema = {
    .type = "PackageTypeMembers",
    .fields = FIELDS(package_types_fields),
};

static const struct field package_fields[] = {
    {.name = "apiAccessLevel"},
    {.name = "description"},
    {.name = "namespacePrefix"},
    {.name = "objectPermissions", .kind = FIELD_ANY, .flags = FIELD_REPEATED},
    {.name = "packageType"},
    {.name = "postInstallClass"},
    {.name = "setupWeblink", .kind = FIELD_ANY, .flags = FIELD_REPEATED},
    {.name = "types",
     .kind = FIELD_COMPLEX,
     .flags = FIELD_REPEATED,
     .complex = &package_types_schema},
    {.name = "uninstallClass"},
    {.name = "version"},
};
const struct schema package_schema = {
    .type = "Package",
    .fields = FIELDS(package_fields),
    .metadata = true,
};

static const struct field deploy_options_fields[] = {
    {.name = "allowMissingFiles", .kind = FIELD_BOOLEAN},
    {.name = "autoUpdatePackage", .kind = FIELD_BOOLEAN},
    {.name = "checkOnly", .kind = FIELD_BOOLEAN},
    {.name = "ignoreWarnings", .kind = FIELD_BOOLEAN},
    {.name = "performRetrieve", .kind = FIELD_BOOLEAN},
    {.name = "purgeOnDelete", .kind = FIELD_BOOLEAN},
    {.name = "rollbackOnError", .kind = FIELD_BOOLEAN},
    {.name = "runAllTests", .kind = FIELD_BOOLEAN},
    {.name = "runTests", .flags = FIELD_REPEATED},
    {.name = "singlePackage", .kind = FIELD_BOOLEAN},
    {.name = "testLevel", .kind = FIELD_ENUM, .values = &test_levels},
};
const struct schema deploy_options_schema = {
    .type = "DeployOptions",
    .fields = FIELDS(deploy_options_fields),
    .any_order = true,
};

static const struct meta_type meta_types[] = {
    {.name = "ConnectedApp",
     .folder = "connectedApps",
     .suffix = "connectedApp",
     .min_api = 29,
     .schema = &connected_app_schema},
    {.name = "ExternalClientApplication",
     .folder = "externalClientApps",
     .suffix = "eca",
     .min_api = 59,
     .schema = &eca_schema},
    {.name = "ExtlClntAppConfigurablePolicies",
     .folder = "extlClntAppPolicies",
     .suffix = "ecaPlcy",
     .min_api = 59,
     .eca_child = true,
     .schema = &eca_policies_schema},
    {.name = "ExtlClntAppGlobalOauthSettings",
     .folder = "extlClntAppGlobalOauthSets",
     .suffix = "ecaGlblOauth",
     .min_api = 59,
     .eca_child = true,
     .schema = &eca_global_oauth_schema},
    {.name = "ExtlClntAppOauthConfigurablePolicies",
     .folder = "extlClntAppOauthPolicies",
     .suffix = "ecaOauthPlcy",
     .min_api = 59,
     .eca_child = true,
     .schema = &eca_oauth_policies_schema},
    {.name = "ExtlClntAppOauthSettings",
     .folder = "extlClntAppOauthSettings",
     .suffix = "ecaOauth",
     .min_api = 59,
     .eca_child = true,
     .schema = &eca_oauth_schema},
};

const struct meta_type *meta_type_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof(meta_types) / sizeof(meta_types[0]); i++)
        if (strcmp(meta_types[i].name, name) == 0)
            return &meta_types[i];
    return NULL;
}

const struct meta_type *meta_type_by_path(const char *path, char **full_name)
{
    const char *slash = strchr(path, '/');

    *full_name = NULL;
    if (slash == NULL || strchr(slash + 1, '/') != NULL)
        return NULL;

    for (size_t i = 0; i < sizeof(meta_types) / sizeof(meta_types[0]); i++) {
        const struct meta_type *type = &meta_types[i];
        const char *name = slash + 1;
        size_t name_len = strlen(name), suffix_len = strlen(type->suffix);

        if (strlen(type->folder) != (size_t)(slash - path) ||
            strncmp(path, type->folder, (size_t)(slash - path)) != 0)
            continue;
        if (name_len <= suffix_len + 1 ||
            name[name_len - suffix_len - 1] != '.' ||
            strcmp(name + name_len - suffix_len, type->suffix) != 0)
            return NULL;
        *full_name = xstrndup(name, name_len - suffix_len - 1);
        return type;
    }
    return NULL;
}

static bool field_known_at(const struct field *field, int api)
{
    return (field->min_api == 0 || api >= field->min_api) &&
           (field->max_api == 0 || api <= field->max_api);
}

/* The field that the element child is, at API version api, or NULL. */
static const struct field *field_find(const struct schema *schema,
                                      xmlNodePtr child, int api)
{
    if (strcmp(xml_ns(child), METADATA_NS) != 0)
        return NULL;
    for (size_t i = 0; i < schema->count; i++) {
        const struct field *field = &schema->fields[i];
        if (strcmp(field->name, (const char *)child->name) == 0)
            return field_known_at(field, api) ? field : NULL;
    }
    return NULL;
}

/* Whether field may come after last, given the fields seen so far. */
static bool field_in_order(const struct schema *schema,
                           const struct field *field, const struct field *last,
                           const bool *seen)
{
    bool repeated = (field->flags & FIELD_REPEATED) != 0;

    if (schema->any_order)
        return repeated || !seen[field - schema->fields];
    return last == NULL || field > last || (field == last && repeated);
}

static char *invalid_location(xmlNodePtr child, const char *type,
                              const char *prefix)
{
    return xprintf("%sElement {%s}%s invalid at this location in type %s",
                   prefix, xml_ns(child), (const char *)child->name, type);
}

static bool value_in(const struct enumeration *values, const char *value)
{
    for (size_t i = 0; values->values[i] != NULL; i++)
        if (strcmp(values->values[i], value) == 0)
            return true;
    return false;
}

/* Checks each comma-separated value of text against the enumeration. */
static char *enum_list_check(const struct enumeration *values, const char *text,
                             const char *prefix)
{
    char **words = words_split(text, ',');
    char *problem = NULL;

    for (size_t i = 0; words[i] != NULL && problem == NULL; i++)
        if (!value_in(values, words[i]))
            problem = xprintf("%s'%s' is not a valid value for the enum '%s'",
                              prefix, words[i], values->name);
    words_free(words);
    return problem;
}

static char *value_check(const struct field *field, const char *text,
                         const char *prefix)
{
    switch (field->kind) {
    case FIELD_BOOLEAN:
        if (strcmp(text, "true") != 0 && strcmp(text, "false") != 0 &&
            strcmp(text, "1") != 0 && strcmp(text, "0") != 0)
            return xprintf("%s'%s' is not a valid value for the type "
                           "xsd:boolean",
                           prefix, text);
        return NULL;
    case FIELD_ENUM:
        if (!value_in(field->values, text))
            return xprintf("%s'%s' is not a valid value for the enum '%s'",
                           prefix, text, field->values->name);
        return NULL;
    case FIELD_ENUM_LIST:
        return enum_list_check(field->values, text, prefix);
    default:
        return NULL;
    }
}

/* Checks one child element against the field it is. */
static char *field_check(const struct schema *schema, const struct field *field,
                         xmlNodePtr child, int api, const char *prefix)
{
    xmlNodePtr inner = xml_first(child);
    char *text, *problem;

    if (field->refusal != NULL)
        return xstrdup(field->refusal);
    if (field->kind == FIELD_ANY)
        return NULL;
    if (field->kind == FIELD_COMPLEX)
        return schema_check(field->complex, child, api, prefix);
    if (inner != NULL)
        return invalid_location(inner, schema->type, prefix);

    text = xml_text(child);
    problem = value_check(field, text, prefix);
    free(text);
    return problem;
}

static char *required_check(const struct schema *schema, const bool *seen,
                            int api)
{
    for (size_t i = 0; i < schema->count; i++) {
        const struct field *field = &schema->fields[i];
        if ((field->flags & FIELD_REQUIRED) && !seen[i] &&
            field_known_at(field, api))
            return xprintf("Required field is missing: %s", field->name);
    }
    return NULL;
}

char *schema_check(const struct schema *schema, xmlNodePtr node, int api,
                   const char *prefix)
{
    bool seen[FIELDS_MAX] = {false};
    const struct field *last = NULL;
    xmlNodePtr child = xml_first(node);

    if (schema->count > FIELDS_MAX)
        abort();

    if (schema->metadata && xml_is(child, METADATA_NS, "fullName"))
        child = xml_next(child);

    for (; child != NULL; child = xml_next(child)) {
        const struct field *field = field_find(schema, child, api);
        char *problem;

        if (field == NULL || !field_in_order(schema, field, last, seen))
            return invalid_location(child, schema->type, prefix);
        seen[field - schema->fields] = true;
        last = field;

        problem = field_check(schema, field, child, api, prefix);
        if (problem != NULL)
            return problem;
    }
    return required_check(schema, seen, api);
}
