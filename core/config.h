/*
 * The sfdx-hardis project files that sfci reads and updates.
 *
 * A major branch is one file config/branches/.sfdx-hardis.<branch>.yml
 * with targetUsername and instanceUrl.  The Dev Hub is described by the
 * project file (.sfdx-hardis.yaml, .sfdx-hardis.yml,
 * config/.sfdx-hardis.yaml, config/.sfdx-hardis.yml: the first that
 * exists) with devHubAlias, devHubUsername and devHubInstanceUrl.
 *
 * sfci owns one key in each: sfciApps in a branch file, sfciDevHubApps in
 * the project file, the list of the apps it created for that org, the
 * last one current.  Writing it back changes that key only: every other
 * key, comment and blank line stays as it was.
 *
 * Paths are relative to the current folder, the root of the project.
 */
#ifndef SFCI_CONFIG_H
#define SFCI_CONFIG_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_BRANCH_DIR "config/branches"

struct org_config {
    char *name;      /* branch name, or the Dev Hub alias ("DevHub" if unset) */
    bool devhub;     /* read from the project file's devHub* keys */
    char *path;      /* the file it was read from */
    char *username;  /* targetUsername or devHubUsername; NULL if absent */
    char *login_url; /* instanceUrl or devHubInstanceUrl; NULL if absent */
    char **apps;     /* sfciApps or sfciDevHubApps, oldest first */
    size_t app_count;
    struct buf text; /* the file as it was read */
};

/*
 * Lists the major branches, sorted by name: the <branch> of every
 * config/branches/.sfdx-hardis.<branch>.yml.  None at all is SFCI_EINPUT.
 * The caller frees the list with config_list_free().
 */
int config_list_branches(char ***names, size_t *count);

void config_list_free(char **names, size_t count);

/*
 * Reads the file of one major branch into out (cleared on entry).  A
 * missing file is SFCI_EINPUT naming the known branches; a malformed one
 * is SFCI_EINPUT with "file:line:column: problem".
 */
int config_load_branch(const char *branch, struct org_config *out);

/* Reads the Dev Hub keys of the project file into out (cleared on entry). */
int config_load_devhub(struct org_config *out);

/*
 * Renders the text of cfg's file with its sfci key (sfciApps or
 * sfciDevHubApps) set to apps, into out.  Everything else in the file is
 * kept byte for byte.
 */
int config_render_apps(const struct org_config *cfg, const char *const *apps,
                       size_t count, struct buf *out);

/* Frees what cfg holds; accepts a zeroed or released struct. */
void config_release(struct org_config *cfg);

#endif
