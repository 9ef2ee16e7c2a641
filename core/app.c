#include "app.h"

#include "errors.h"
#include "files.h"

#include <libxml/xmlIO.h>
#include <libxml/xmlstring.h>
#include <libxml/xmlwriter.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define METADATA_NS "http://soap.sforce.com/2006/04/metadata"
#define NAME_PART_MAX 20
#define CALLBACK_URL "http://localhost:1717/OauthRedirect"

/*
 * A metadata document being written.  The first failure sticks, so a
 * component reads as a plain list of elements and is checked once.
 */
struct xml {
    xmlTextWriterPtr writer;
    bool failed;
};

/*
 * One metadata file of the package: its type (also the root element), its
 * folder and suffix in a metadata-format zip, and the text appended to the
 * app name to make its fullName.
 */
struct component {
    const char *type;
    const char *folder;
    const char *name_suffix;
    const char *file_suffix;
    void (*write)(struct xml *x, const struct app_spec *spec,
                  const char *full_name);
};

static bool present(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int app_name_make(const char *suffix, time_t now, char out[APP_NAME_MAX])
{
    char part[NAME_PART_MAX + 1];
    size_t len = 0;
    struct tm tm;
    int n;

    out[0] = '\0';
    if (suffix == NULL)
        return error_set(SFCI_EINPUT, "no variable suffix to name the app");

    /* Leading '_' and runs of '_' never enter the part. */
    for (const char *p = suffix; *p != '\0' && len < NAME_PART_MAX; p++) {
        char c = *p;
        if (is_upper(c))
            c = (char)(c - 'A' + 'a');
        else if (!is_lower(c) && !is_digit(c))
            c = '_';
        if (c == '_' && (len == 0 || part[len - 1] == '_'))
            continue;
        part[len++] = c;
    }
    while (len > 0 && part[len - 1] == '_')
        len--;
    part[len] = '\0';
    if (len == 0)
        return error_set(SFCI_EINPUT,
                         "cannot name the app after '%s': the suffix needs "
                         "a letter or a digit",
                         suffix);

    if (gmtime_r(&now, &tm) == NULL || tm.tm_year > 9999 - 1900 ||
        tm.tm_year < -1900)
        return error_set(SFCI_EINPUT, "the clock is out of range");

    n = snprintf(out, APP_NAME_MAX, "sfci_%s_%04d%02d%02d%02d%02d%02d", part,
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                 tm.tm_min, tm.tm_sec);
    if (n < 0 || n >= APP_NAME_MAX) {
        out[0] = '\0';
        return error_set(SFCI_EFAIL, "cannot format the app name");
    }
    return 0;
}

/*
 * The name ends up in file paths and API names: a letter first, then
 * letters, digits and single '_', never a '_' last.
 */
static int name_check(const char *name)
{
    size_t len = strlen(name);
    bool ok = len < APP_NAME_MAX && (is_lower(name[0]) || is_upper(name[0]));

    for (size_t i = 0; ok && i < len; i++) {
        char c = name[i];
        ok = is_lower(c) || is_upper(c) || is_digit(c) ||
             (c == '_' && name[i + 1] != '_' && name[i + 1] != '\0');
    }
    if (!ok)
        return error_set(SFCI_EINPUT,
                         "app name '%s' is not a Salesforce API name: use "
                         "letters, digits and single '_', starting with a "
                         "letter",
                         name);
    return 0;
}

/* "64.0": digits, a dot, digits. */
static int api_version_check(const char *version)
{
    const char *p = version;
    bool ok = is_digit(*p);

    while (is_digit(*p))
        p++;
    ok = ok && *p++ == '.' && is_digit(*p);
    while (ok && is_digit(*p))
        p++;
    if (!ok || *p != '\0')
        return error_set(SFCI_EINPUT,
                         "API version '%s' is not a version like '64.0'",
                         version);
    return 0;
}

/*
 * XML 1.0 takes UTF-8 without control characters other than tab and line
 * ends; libxml2 escapes markup but passes those through.  The value is
 * not quoted in the message: it may be the consumer key.
 */
static int text_check(const char *field, const char *value)
{
    if (value == NULL)
        return 0;
    for (const char *p = value; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return error_set(SFCI_EINPUT,
                             "app field '%s' holds a control character", field);
    }
    if (!xmlCheckUTF8((const xmlChar *)value))
        return error_set(SFCI_EINPUT, "app field '%s' is not UTF-8 text",
                         field);
    return 0;
}

static int spec_check(const struct app_spec *spec)
{
    const struct {
        const char *field;
        const char *value;
        bool required;
    } fields[] = {
        {"name", spec->name, true},
        {"contact_email", spec->contact_email, true},
        {"certificate_pem", spec->certificate_pem, true},
        {"consumer_key", spec->consumer_key, true},
        {"api_version", spec->api_version, true},
        {"description", spec->description, false},
        {"profile", spec->profile, false},
        {"permission_set", spec->permission_set, false},
    };
    int rc;

    if (spec->kind != APP_ECA && spec->kind != APP_CONNECTED_APP)
        return error_set(SFCI_EINPUT, "unknown app kind %d", (int)spec->kind);

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (fields[i].required && !present(fields[i].value))
            return error_set(SFCI_EINPUT, "app field '%s' is empty",
                             fields[i].field);
        rc = text_check(fields[i].field, fields[i].value);
        if (rc < 0)
            return rc;
    }
    if (!present(spec->profile) && !present(spec->permission_set))
        return error_set(SFCI_EINPUT,
                         "the app pre-authorises nobody: give it a 'profile' "
                         "or a 'permission_set'");

    rc = name_check(spec->name);
    if (rc == 0)
        rc = api_version_check(spec->api_version);
    return rc;
}

static int xml_sink(void *context, const char *data, int len)
{
    return buf_append(context, data, (size_t)len) < 0 ? -1 : len;
}

/* Starts a document in out whose root element is root, in the namespace. */
static int xml_begin(struct xml *x, const char *root, struct buf *out)
{
    xmlOutputBufferPtr output;

    x->failed = false;
    x->writer = NULL;
    output = xmlOutputBufferCreateIO(xml_sink, NULL, out, NULL);
    if (output == NULL)
        return error_oom();
    x->writer = xmlNewTextWriter(output);
    if (x->writer == NULL) {
        xmlOutputBufferClose(output);
        return error_oom();
    }

    x->failed =
        xmlTextWriterSetIndent(x->writer, 1) < 0 ||
        xmlTextWriterSetIndentString(x->writer, BAD_CAST "    ") < 0 ||
        xmlTextWriterStartDocument(x->writer, "1.0", "UTF-8", NULL) < 0 ||
        xmlTextWriterStartElement(x->writer, BAD_CAST root) < 0 ||
        xmlTextWriterWriteAttribute(x->writer, BAD_CAST "xmlns",
                                    BAD_CAST METADATA_NS) < 0;
    return 0;
}

/* Writes <name>value</name>, escaped; nothing when value is NULL or "". */
static void xml_element(struct xml *x, const char *name, const char *value)
{
    if (x->failed || !present(value))
        return;
    if (xmlTextWriterWriteElement(x->writer, BAD_CAST name, BAD_CAST value) < 0)
        x->failed = true;
}

/* Writes one element whose text is first then second, escaped. */
static void xml_element_joined(struct xml *x, const char *name,
                               const char *first, const char *second)
{
    if (x->failed)
        return;
    x->failed = xmlTextWriterStartElement(x->writer, BAD_CAST name) < 0 ||
                xmlTextWriterWriteString(x->writer, BAD_CAST first) < 0 ||
                xmlTextWriterWriteString(x->writer, BAD_CAST second) < 0 ||
                xmlTextWriterEndElement(x->writer) < 0;
}

static void xml_open(struct xml *x, const char *name)
{
    if (!x->failed && xmlTextWriterStartElement(x->writer, BAD_CAST name) < 0)
        x->failed = true;
}

static void xml_close(struct xml *x)
{
    if (!x->failed && xmlTextWriterEndElement(x->writer) < 0)
        x->failed = true;
}

/* Closes every open element, flushes into the buffer and frees. */
static int xml_end(struct xml *x, const char *path)
{
    if (!x->failed)
        x->failed = xmlTextWriterEndDocument(x->writer) < 0 ||
                    xmlTextWriterFlush(x->writer) < 0;
    xmlFreeTextWriter(x->writer);
    x->writer = NULL;
    if (x->failed)
        return error_set(SFCI_EFAIL, "cannot write the XML of '%s'", path);
    return 0;
}

static void eca_app_write(struct xml *x, const struct app_spec *spec,
                          const char *full_name)
{
    xml_element(x, "contactEmail", spec->contact_email);
    xml_element(x, "description", spec->description);
    xml_element(x, "distributionState", "Local");
    xml_element(x, "isProtected", "false");
    xml_element(x, "label", full_name);
}

static void eca_policies_write(struct xml *x, const struct app_spec *spec,
                               const char *full_name)
{
    xml_element(x, "externalClientApplication", spec->name);
    xml_element(x, "isEnabled", "true");
    xml_element(x, "isOauthPluginEnabled", "true");
    xml_element(x, "label", full_name);
}

/* The certificate turns the JWT bearer flow on; no secret is sent. */
static void eca_global_oauth_write(struct xml *x, const struct app_spec *spec,
                                   const char *full_name)
{
    xml_element(x, "callbackUrl", CALLBACK_URL);
    xml_element(x, "certificate", spec->certificate_pem);
    xml_element(x, "consumerKey", spec->consumer_key);
    xml_element(x, "externalClientApplication", spec->name);
    xml_element(x, "isConsumerSecretOptional", "true");
    xml_element(x, "isPkceRequired", "false");
    xml_element(x, "isSecretRequiredForRefreshToken", "false");
    xml_element(x, "label", full_name);
    xml_element(x, "shouldRotateConsumerKey", "false");
    xml_element(x, "shouldRotateConsumerSecret", "false");
}

/*
 * Only the pre-authorised profile or permission set may use the app; a
 * refresh token, which the JWT flow never needs, lives three hours.
 */
static void eca_oauth_policies_write(struct xml *x, const struct app_spec *spec,
                                     const char *full_name)
{
    xml_element(x, "commaSeparatedPermissionSet", spec->permission_set);
    xml_element(x, "commaSeparatedProfile", spec->profile);
    xml_element(x, "externalClientApplication", spec->name);
    xml_element(x, "ipRelaxationPolicyType", "Enforce");
    xml_element(x, "label", full_name);
    xml_element(x, "permittedUsersPolicyType", "AdminApprovedPreAuthorized");
    xml_element(x, "refreshTokenPolicyType", "SpecificLifetime");
    xml_element(x, "refreshTokenValidityPeriod", "3");
    xml_element(x, "refreshTokenValidityUnit", "Hours");
}

static void eca_oauth_write(struct xml *x, const struct app_spec *spec,
                            const char *full_name)
{
    xml_element(x, "commaSeparatedOauthScopes", "Api, RefreshToken");
    xml_element(x, "externalClientApplication", spec->name);
    xml_element(x, "label", full_name);
}

static void connected_app_write(struct xml *x, const struct app_spec *spec,
                                const char *full_name)
{
    xml_element(x, "contactEmail", spec->contact_email);
    xml_element(x, "description", spec->description);
    xml_element(x, "label", full_name);

    xml_open(x, "oauthConfig");
    xml_element(x, "callbackUrl", CALLBACK_URL);
    xml_element(x, "certificate", spec->certificate_pem);
    xml_element(x, "consumerKey", spec->consumer_key);
    xml_element(x, "isAdminApproved", "true");
    xml_element(x, "isConsumerSecretOptional", "true");
    xml_element(x, "isIntrospectAllTokens", "false");
    xml_element(x, "isSecretRequiredForRefreshToken", "false");
    xml_element(x, "scopes", "Api");
    xml_element(x, "scopes", "RefreshToken");
    xml_close(x);

    xml_open(x, "oauthPolicy");
    xml_element(x, "ipRelaxation", "ENFORCE");
    xml_element(x, "refreshTokenPolicy", "specific_lifetime:3:HOURS");
    xml_close(x);

    xml_element(x, "permissionSetName", spec->permission_set);
    xml_element(x, "profileName", spec->profile);
}

/* Sorted by type, as package.xml lists them. */
static const struct component eca_components[] = {
    {"ExternalClientApplication", "externalClientApps", "", "eca",
     eca_app_write},
    {"ExtlClntAppConfigurablePolicies", "extlClntAppPolicies", "_defaultPolicy",
     "ecaPlcy", eca_policies_write},
    {"ExtlClntAppGlobalOauthSettings", "extlClntAppGlobalOauthSets",
     "GlblOAuth", "ecaGlblOauth", eca_global_oauth_write},
    {"ExtlClntAppOauthConfigurablePolicies", "extlClntAppOauthPolicies",
     "OAuthSettings_defaultPolicy", "ecaOauthPlcy", eca_oauth_policies_write},
    {"ExtlClntAppOauthSettings", "extlClntAppOauthSettings", "OAuthSettings",
     "ecaOauth", eca_oauth_write},
};

static const struct component connected_app_components[] = {
    {"ConnectedApp", "connectedApps", "", "connectedApp", connected_app_write},
};

/* Builds one component file into file (path and content). */
static int component_build(const struct component *component,
                           const struct app_spec *spec, struct app_file *file)
{
    struct buf path = BUF_INIT, full_name = BUF_INIT;
    struct xml x;
    int rc;

    rc = buf_printf(&full_name, "%s%s", spec->name, component->name_suffix);
    if (rc == 0)
        rc = buf_printf(&path, "%s/%s.%s", component->folder,
                        buf_cstr(&full_name), component->file_suffix);
    if (rc < 0)
        goto out;

    rc = xml_begin(&x, component->type, &file->content);
    if (rc < 0)
        goto out;
    component->write(&x, spec, buf_cstr(&full_name));
    rc = xml_end(&x, buf_cstr(&path));
    if (rc < 0)
        goto out;

    file->path = buf_detach(&path);
    if (file->path == NULL)
        rc = error_oom();

out:
    buf_release(&path);
    buf_release(&full_name);
    return rc;
}

static int manifest_build(const struct component *components, size_t count,
                          const struct app_spec *spec, struct app_file *file)
{
    struct xml x;
    int rc;

    rc = xml_begin(&x, "Package", &file->content);
    if (rc < 0)
        return rc;
    for (size_t i = 0; i < count; i++) {
        xml_open(&x, "types");
        xml_element_joined(&x, "members", spec->name,
                           components[i].name_suffix);
        xml_element(&x, "name", components[i].type);
        xml_close(&x);
    }
    xml_element(&x, "version", spec->api_version);
    rc = xml_end(&x, "package.xml");
    if (rc < 0)
        return rc;

    file->path = strdup("package.xml");
    if (file->path == NULL)
        return error_oom();
    return 0;
}

int app_package_build(const struct app_spec *spec, struct app_package *out)
{
    const struct component *components;
    size_t count;
    int rc;

    out->files = NULL;
    out->count = 0;

    rc = spec_check(spec);
    if (rc < 0)
        return rc;
    if (spec->kind == APP_ECA) {
        components = eca_components;
        count = sizeof(eca_components) / sizeof(eca_components[0]);
    } else {
        components = connected_app_components;
        count = sizeof(connected_app_components) /
                sizeof(connected_app_components[0]);
    }

    /* package.xml first, then one file per component. */
    out->files = calloc(count + 1, sizeof(*out->files));
    if (out->files == NULL)
        return error_oom();
    out->count = count + 1;

    rc = manifest_build(components, count, spec, &out->files[0]);
    for (size_t i = 0; i < count && rc == 0; i++)
        rc = component_build(&components[i], spec, &out->files[i + 1]);

    if (rc < 0)
        app_package_release(out);
    return rc;
}

size_t app_members(enum app_kind kind, const char *name,
                   struct app_member out[APP_MEMBERS_MAX])
{
    const struct component *components = eca_components;
    size_t count = sizeof(eca_components) / sizeof(eca_components[0]);
    size_t i;

    if (kind == APP_CONNECTED_APP) {
        components = connected_app_components;
        count = 1;
    }
    /* The table starts with the app itself: walk it backwards. */
    for (i = 0; i < count; i++) {
        const struct component *c = &components[count - 1 - i];
        out[i].type = c->type;
        snprintf(out[i].full_name, sizeof(out[i].full_name), "%s%s", name,
                 c->name_suffix);
    }
    return count;
}

/* Creates the folder of relative path under dir, then writes the file. */
static int file_write_under(const char *dir, const struct app_file *file)
{
    struct buf path = BUF_INIT;
    const char *slash = strrchr(file->path, '/');
    int rc;

    if (slash != NULL) {
        rc = buf_printf(&path, "%s/%.*s", dir, (int)(slash - file->path),
                        file->path);
        if (rc == 0)
            rc = dir_create(buf_cstr(&path), 0700);
        if (rc < 0)
            goto out;
        buf_clear(&path);
    }

    rc = buf_printf(&path, "%s/%s", dir, file->path);
    if (rc == 0)
        rc = file_write_atomic(buf_cstr(&path), file->content.data,
                               file->content.len, 0600);

out:
    buf_release(&path);
    return rc;
}

int app_package_write(const struct app_package *pkg, const char *dir)
{
    int rc;

    rc = dir_create(dir, 0700);
    for (size_t i = 0; i < pkg->count && rc == 0; i++)
        rc = file_write_under(dir, &pkg->files[i]);
    return rc;
}

static int zip_fail(const char *what, zip_error_t *error)
{
    return error_set(SFCI_EFAIL, "cannot %s the app zip: %s", what,
                     zip_error_strerror(error));
}

/* Reads the whole of source, an archive libzip has written, into out. */
static int zip_source_collect(zip_source_t *source, struct buf *out)
{
    char chunk[8192];
    zip_int64_t n;
    int rc = 0;

    if (zip_source_open(source) < 0)
        return zip_fail("read", zip_source_error(source));
    while ((n = zip_source_read(source, chunk, sizeof(chunk))) > 0) {
        rc = buf_append(out, chunk, (size_t)n);
        if (rc < 0)
            break;
    }
    if (n < 0 && rc == 0)
        rc = zip_fail("read", zip_source_error(source));
    zip_source_close(source);
    secret_wipe(chunk, sizeof(chunk));
    return rc;
}

/* Adds every file at the root of archive; the data stays pkg's. */
static int zip_files_add(zip_t *archive, const struct app_package *pkg)
{
    for (size_t i = 0; i < pkg->count; i++) {
        const struct app_file *file = &pkg->files[i];
        zip_source_t *source;

        source = zip_source_buffer(archive, file->content.data,
                                   file->content.len, 0);
        if (source == NULL)
            return zip_fail("add to", zip_get_error(archive));
        if (zip_file_add(archive, file->path, source, ZIP_FL_ENC_UTF_8) < 0) {
            zip_source_free(source);
            return zip_fail("add to", zip_get_error(archive));
        }
    }
    return 0;
}

int app_package_zip(const struct app_package *pkg, struct buf *out)
{
    zip_source_t *archive_source;
    zip_error_t error;
    zip_t *archive = NULL;
    int rc;

    buf_clear(out);
    if (pkg->count == 0)
        return error_set(SFCI_EINPUT, "the app package has no file to zip");
    zip_error_init(&error);

    /* libzip writes the archive into this source; a reference keeps it. */
    archive_source = zip_source_buffer_create(NULL, 0, 0, &error);
    if (archive_source == NULL) {
        rc = zip_fail("create", &error);
        goto out;
    }
    archive = zip_open_from_source(archive_source, ZIP_TRUNCATE, &error);
    if (archive == NULL) {
        rc = zip_fail("create", &error);
        goto out;
    }
    zip_source_keep(archive_source);

    rc = zip_files_add(archive, pkg);
    if (rc < 0)
        goto out;
    if (zip_close(archive) < 0) {
        rc = zip_fail("write", zip_get_error(archive));
        goto out;
    }
    archive = NULL;
    rc = zip_source_collect(archive_source, out);

out:
    if (archive != NULL)
        zip_discard(archive);
    if (archive_source != NULL)
        zip_source_free(archive_source);
    zip_error_fini(&error);
    if (rc < 0)
        buf_clear(out);
    return rc;
}

void app_package_release(struct app_package *pkg)
{
    for (size_t i = 0; i < pkg->count; i++) {
        free(pkg->files[i].path);
        buf_release(&pkg->files[i].content);
    }
    free(pkg->files);
    pkg->files = NULL;
    pkg->count = 0;
}

const char *app_kind_name(enum app_kind kind)
{
    return kind == APP_CONNECTED_APP ? "connected-app" : "eca";
}

const char *app_kind_title(enum app_kind kind)
{
    return kind == APP_CONNECTED_APP ? "Connected App" : "External Client App";
}

int app_kind_parse(const char *text, enum app_kind *out)
{
    *out = APP_ECA;
    if (text != NULL && strcmp(text, "eca") == 0)
        return 0;
    if (text != NULL && strcmp(text, "connected-app") == 0) {
        *out = APP_CONNECTED_APP;
        return 0;
    }
    return error_set(SFCI_EINPUT,
                     "unknown app kind '%s': use 'eca' or 'connected-app'",
                     text != NULL ? text : "");
}
