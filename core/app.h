/*
 * The Salesforce app that trusts sfci's certificate, as Metadata API
 * files: the five External Client App components, or one legacy
 * ConnectedApp, plus package.xml.  Paths are those of a metadata-format
 * folder or zip (externalClientApps/<app>.eca ...), ready for
 * `sf project deploy start --metadata-dir` or the SOAP deploy call.
 */
#ifndef SFCI_APP_H
#define SFCI_APP_H

#include "buf.h"

#include <stddef.h>
#include <time.h>

enum app_kind {
    APP_ECA,           /* External Client App (default) */
    APP_CONNECTED_APP, /* legacy ConnectedApp */
};

struct app_spec {
    enum app_kind kind;
    const char *name;        /* API name, from app_name_make() */
    const char *description; /* free text, escaped on output */
    const char *contact_email;
    const char *certificate_pem; /* the X.509 certificate, PEM */
    const char *consumer_key;
    const char *profile;        /* pre-authorised profile, or NULL */
    const char *permission_set; /* pre-authorised permission set, or NULL */
    const char *api_version;    /* "64.0" */
};

struct app_file {
    char *path; /* relative: "package.xml", "connectedApps/x..." */
    struct buf content;
};

struct app_package {
    struct app_file *files;
    size_t count;
};

#define APP_NAME_MAX 48

/*
 * Makes the app name sfci_<name>_<yyyymmddhhmmss> from a variable suffix
 * (the NAME of SFDX_CLIENT_ID_<NAME>) and a UTC time: <name> is lower
 * case, runs of '_' collapsed, none at either end, at most 20 characters.
 * out must hold APP_NAME_MAX bytes.
 */
int app_name_make(const char *suffix, time_t now, char out[APP_NAME_MAX]);

/*
 * Builds the metadata files of spec (out is cleared on entry).  Elements
 * are in Metadata API schema order.  The caller releases out.
 */
int app_package_build(const struct app_spec *spec, struct app_package *out);

/*
 * Writes the package under dir (created 0700; files 0600, since the
 * global OAuth settings hold the consumer key).
 */
int app_package_write(const struct app_package *pkg, const char *dir);

/* Zips the package in memory into out, as the deploy call takes it. */
int app_package_zip(const struct app_package *pkg, struct buf *out);

void app_package_release(struct app_package *pkg);

#define APP_MEMBERS_MAX 5

/* One component of an app: its Metadata API type and full name. */
struct app_member {
    const char *type;
    char full_name[APP_NAME_MAX + 32];
};

/*
 * Fills out with the components of the app called name, in the order to
 * delete them: the settings first, the app itself last.  Returns how many.
 */
size_t app_members(enum app_kind kind, const char *name,
                   struct app_member out[APP_MEMBERS_MAX]);

/* "eca" or "connected-app", as --app-kind spells them. */
const char *app_kind_name(enum app_kind kind);

/* "External Client App" or "Connected App". */
const char *app_kind_title(enum app_kind kind);

/* Parses an --app-kind value; SFCI_EINPUT naming the choices otherwise. */
int app_kind_parse(const char *text, enum app_kind *out);

#endif
