#include "config.h"

#include "errors.h"
#include "files.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

#define BRANCH_PREFIX ".sfdx-hardis."
#define BRANCH_SUFFIX ".yml"
#define DEVHUB_DEFAULT_NAME "DevHub"

/* Room for a name or a path quoted in a message, so it stays one line. */
#define SHOWN_SIZE 96

/* The known branches named in an error stop after this many bytes. */
#define KNOWN_LIST_MAX 120

static const char *const project_files[] = {
    ".sfdx-hardis.yaml",
    ".sfdx-hardis.yml",
    "config/.sfdx-hardis.yaml",
    "config/.sfdx-hardis.yml",
};

/* The keys read from one file: a branch file or the project file. */
struct config_keys {
    const char *name; /* NULL: the name is not read from the file */
    const char *username;
    const char *login_url;
    const char *apps;
};

static const struct config_keys branch_keys = {
    NULL,
    "targetUsername",
    "instanceUrl",
    "sfciApps",
};

static const struct config_keys devhub_keys = {
    "devHubAlias",
    "devHubUsername",
    "devHubInstanceUrl",
    "sfciDevHubApps",
};

/*
 * Where config_render_apps() puts the sfci key: the text of the key and
 * its value, found by the top-level scan, or the place to append it.
 */
struct key_place {
    bool found;
    yaml_mark_t key;      /* start of the key */
    yaml_mark_t end;      /* the furthest end within its value */
    bool anchored;        /* the value, or a part of it, has an &anchor */
    size_t indent;        /* column of the top-level keys */
    bool insert_at_end;   /* append at the end of the text */
    yaml_mark_t document; /* else before this explicit "..." */
};

/*
 * Copies s (len bytes) for a message: control characters become '?' and
 * a long text ends with "...", so that the message stays one short line.
 */
static const char *shown(const char *s, size_t len, char *dst, size_t size)
{
    bool cut = len >= size;
    size_t keep = cut ? size - 4 : len, i;

    /* Never cut a UTF-8 character in two. */
    while (cut && keep > 0 && ((unsigned char)s[keep] & 0xc0) == 0x80)
        keep--;
    for (i = 0; i < keep; i++) {
        unsigned char c = (unsigned char)s[i];

        dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (cut) {
        memcpy(dst + i, "...", 3);
        i += 3;
    }
    dst[i] = '\0';
    return dst;
}

static const char *shown_str(const char *s, char *dst, size_t size)
{
    return shown(s, strlen(s), dst, size);
}

static const char *text_data(const struct buf *text)
{
    return text->data != NULL ? text->data : "";
}

static int error_at(const char *where, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An SFCI_EINPUT error at mark: "file:line:column: problem". */
static int error_at(const char *where, yaml_mark_t mark, const char *fmt, ...)
{
    char problem[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(problem, sizeof(problem), fmt, ap);
    va_end(ap);
    return error_set(SFCI_EINPUT, "%s:%zu:%zu: %s", where, mark.line + 1,
                     mark.column + 1, problem);
}

/*
 * The reader reports a byte offset rather than a mark; count the lines
 * so that every syntax error reads "file:line:column".
 */
static yaml_mark_t mark_from_offset(const struct buf *text, size_t offset)
{
    yaml_mark_t mark = {0, 0, 0};
    size_t i = 0;

    if (text->len >= 3 && memcmp(text->data, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    for (; i < offset && i < text->len; i++) {
        if (text->data[i] == '\n') {
            mark.line++;
            mark.column = 0;
        } else if (((unsigned char)text->data[i] & 0xc0) != 0x80) {
            mark.column++;
        }
    }
    mark.index = offset;
    return mark;
}

/* Turns the failure of a libyaml parser into a one-line message. */
static int parser_error(const yaml_parser_t *parser, const char *where,
                        const struct buf *text)
{
    const char *problem = parser->problem ? parser->problem : "invalid YAML";
    yaml_mark_t mark;

    switch (parser->error) {
    case YAML_MEMORY_ERROR:
        return error_oom();
    case YAML_READER_ERROR:
        mark = mark_from_offset(text, parser->problem_offset);
        return error_at(where, mark, "%s; save the file as UTF-8 text",
                        problem);
    default:
        break;
    }

    if (parser->context != NULL)
        return error_at(where, parser->problem_mark,
                        "%s (%s at line %zu); fix the YAML syntax", problem,
                        parser->context, parser->context_mark.line + 1);
    return error_at(where, parser->problem_mark, "%s; fix the YAML syntax",
                    problem);
}

static void parser_open(yaml_parser_t *parser, const struct buf *text)
{
    yaml_parser_set_input_string(parser, (const unsigned char *)text_data(text),
                                 text->len);
}

/* A plain scalar that YAML reads as null: nothing, "~" or "null". */
static bool scalar_is_null(yaml_scalar_style_t style, const char *value,
                           size_t length)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
    size_t i;

    if (style != YAML_PLAIN_SCALAR_STYLE)
        return false;
    for (i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
        if (length == strlen(nulls[i]) && memcmp(value, nulls[i], length) == 0)
            return true;
    }
    return false;
}

static bool node_is_null(const yaml_node_t *node)
{
    return node->type == YAML_SCALAR_NODE &&
           scalar_is_null(node->data.scalar.style,
                          (const char *)node->data.scalar.value,
                          node->data.scalar.length);
}

static bool scalar_equals(const yaml_node_t *node, const char *s)
{
    size_t len = strlen(s);

    return node->type == YAML_SCALAR_NODE && node->data.scalar.length == len &&
           memcmp(node->data.scalar.value, s, len) == 0;
}

static bool scalars_equal(const yaml_node_t *a, const yaml_node_t *b)
{
    return a->data.scalar.length == b->data.scalar.length &&
           memcmp(a->data.scalar.value, b->data.scalar.value,
                  a->data.scalar.length) == 0;
}

/*
 * Copies a scalar into *out.  A null or empty value is left NULL, as an
 * absent key is: the caller reports both the same way.
 */
static int scalar_copy(const yaml_node_t *node, const char *key,
                       const char *where, char **out)
{
    const char *value = (const char *)node->data.scalar.value;
    size_t length = node->data.scalar.length;

    if (node_is_null(node) || length == 0)
        return 0;
    if (memchr(value, '\0', length) != NULL)
        return error_at(where, node->start_mark,
                        "'%s' holds a NUL character; remove it", key);
    *out = strndup(value, length);
    return *out != NULL ? 0 : error_oom();
}

static int read_text(const yaml_node_t *value, const char *key,
                     const char *where, char **out)
{
    if (value->type != YAML_SCALAR_NODE)
        return error_at(
            where, value->start_mark,
            "'%s' must be a text value, not a %s; write it as "
            "'%s: value'",
            key, value->type == YAML_MAPPING_NODE ? "mapping" : "list", key);
    return scalar_copy(value, key, where, out);
}

static int read_apps(yaml_document_t *doc, const yaml_node_t *value,
                     const char *key, const char *where, struct org_config *out)
{
    yaml_node_item_t *item;
    size_t count;

    if (node_is_null(value))
        return 0;
    if (value->type != YAML_SEQUENCE_NODE)
        return error_at(where, value->start_mark,
                        "'%s' must be a list of app names; write one "
                        "'- name' line per app",
                        key);

    count = (size_t)(value->data.sequence.items.top -
                     value->data.sequence.items.start);
    if (count == 0)
        return 0;
    out->apps = calloc(count, sizeof(*out->apps));
    if (out->apps == NULL)
        return error_oom();

    for (item = value->data.sequence.items.start;
         item < value->data.sequence.items.top; item++) {
        yaml_node_t *node = yaml_document_get_node(doc, *item);
        char *name = NULL;
        int rc;

        if (node->type != YAML_SCALAR_NODE || node_is_null(node))
            return error_at(where, node->start_mark,
                            "each item of '%s' must be an app name; write "
                            "one '- name' line per app",
                            key);
        rc = scalar_copy(node, key, where, &name);
        if (rc < 0)
            return rc;
        /* A quoted '' is an app name, if an odd one: keep it as such. */
        if (name == NULL)
            name = strdup("");
        if (name == NULL)
            return error_oom();
        out->apps[out->app_count++] = name;
    }
    return 0;
}

/* Refuses a top-level key written twice, as sfdx-hardis does. */
static int check_duplicate(yaml_document_t *doc, const yaml_node_t *root,
                           const yaml_node_pair_t *pair, const char *where)
{
    const yaml_node_t *key = yaml_document_get_node(doc, pair->key);
    const yaml_node_pair_t *before;
    char name[SHOWN_SIZE];

    for (before = root->data.mapping.pairs.start; before < pair; before++) {
        const yaml_node_t *other = yaml_document_get_node(doc, before->key);

        if (other->type != YAML_SCALAR_NODE || !scalars_equal(key, other))
            continue;
        shown((const char *)key->data.scalar.value, key->data.scalar.length,
              name, sizeof(name));
        return error_at(where, key->start_mark,
                        "duplicated key '%s' (first at line %zu); keep only "
                        "one of them",
                        name, other->start_mark.line + 1);
    }
    return 0;
}

/* Reads one key of the top-level mapping if it is one that sfci uses. */
static int read_pair(yaml_document_t *doc, const yaml_node_t *key,
                     const yaml_node_t *value, const struct config_keys *keys,
                     const char *where, struct org_config *out)
{
    if (keys->name != NULL && scalar_equals(key, keys->name))
        return read_text(value, keys->name, where, &out->name);
    if (scalar_equals(key, keys->username))
        return read_text(value, keys->username, where, &out->username);
    if (scalar_equals(key, keys->login_url))
        return read_text(value, keys->login_url, where, &out->login_url);
    if (scalar_equals(key, keys->apps))
        return read_apps(doc, value, keys->apps, where, out);
    return 0;
}

static int read_mapping(yaml_document_t *doc, const yaml_node_t *root,
                        const struct config_keys *keys, const char *where,
                        struct org_config *out)
{
    yaml_node_pair_t *pair;
    int rc;

    for (pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top; pair++) {
        yaml_node_t *key = yaml_document_get_node(doc, pair->key);
        yaml_node_t *value = yaml_document_get_node(doc, pair->value);

        /* A complex key (a list or a mapping) is none of sfci's keys. */
        if (key->type != YAML_SCALAR_NODE)
            continue;
        rc = check_duplicate(doc, root, pair, where);
        if (rc < 0)
            return rc;
        rc = read_pair(doc, key, value, keys, where, out);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * A file holds one document.  js-yaml, which sfdx-hardis reads it with,
 * refuses a second one, and sfci could not tell which one to update: so
 * a second document (even an empty one after "---") is refused.
 */
static int check_single_document(yaml_parser_t *parser, const char *where,
                                 const struct buf *text)
{
    yaml_document_t next;
    int rc = 0;

    if (!yaml_parser_load(parser, &next))
        return parser_error(parser, where, text);
    if (yaml_document_get_root_node(&next) != NULL)
        rc = error_at(where, next.start_mark,
                      "a second YAML document starts here; sfdx-hardis "
                      "reads one document per file: remove the second one");
    yaml_document_delete(&next);
    return rc;
}

/*
 * Reads the keys of text into out: its name, username, login_url and
 * apps (path, devhub and text are the caller's).  Aliases are resolved
 * by libyaml's document API; nothing here walks the tree recursively, so
 * a cyclic alias cannot loop.
 */
static int config_parse(const char *path, const struct buf *text, bool devhub,
                        struct org_config *out)
{
    const struct config_keys *keys = devhub ? &devhub_keys : &branch_keys;
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_node_t *root;
    char where[SHOWN_SIZE];
    bool loaded = false;
    int rc = 0;

    shown_str(path, where, sizeof(where));
    if (!yaml_parser_initialize(&parser))
        return error_oom();
    parser_open(&parser, text);

    if (!yaml_parser_load(&parser, &doc)) {
        rc = parser_error(&parser, where, text);
        goto out;
    }
    loaded = true;
    root = yaml_document_get_root_node(&doc);
    if (root != NULL) {
        rc = check_single_document(&parser, where, text);
        if (rc < 0)
            goto out;
    }

    /* An empty file, or one with only comments, is an empty mapping. */
    if (root == NULL || node_is_null(root))
        goto out;
    if (root->type != YAML_MAPPING_NODE) {
        rc = error_at(where, root->start_mark,
                      "expected a mapping of keys to values at the top "
                      "level; write one 'key: value' per line");
        goto out;
    }
    rc = read_mapping(&doc, root, keys, where, out);

out:
    if (loaded)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

static void config_clear(struct org_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    buf_init(&cfg->text);
}

void config_release(struct org_config *cfg)
{
    size_t i;

    free(cfg->name);
    free(cfg->path);
    free(cfg->username);
    free(cfg->login_url);
    for (i = 0; i < cfg->app_count; i++)
        free(cfg->apps[i]);
    free(cfg->apps);
    buf_release(&cfg->text);
    config_clear(cfg);
}

void config_list_free(char **names, size_t count)
{
    size_t i;

    if (names == NULL)
        return;
    for (i = 0; i < count; i++)
        free(names[i]);
    free(names);
}

/*
 * A branch name must name one file in config/branches: not empty, no
 * '/', not hidden (which also rules out "." and ".."), and no control
 * character that would break a message or a file name.
 */
static bool branch_name_valid(const char *branch, size_t len)
{
    size_t i;

    if (len == 0 || branch[0] == '.')
        return false;
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)branch[i];

        if (c == '/' || c == '\0' || c < 0x20 || c == 0x7f)
            return false;
    }
    return true;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The <branch> of a file name .sfdx-hardis.<branch>.yml, or NULL. */
static const char *branch_of_file(const char *file, size_t *len)
{
    size_t n = strlen(file);
    size_t prefix = strlen(BRANCH_PREFIX), suffix = strlen(BRANCH_SUFFIX);

    if (n <= prefix + suffix || strncmp(file, BRANCH_PREFIX, prefix) != 0 ||
        strcmp(file + n - suffix, BRANCH_SUFFIX) != 0)
        return NULL;
    *len = n - prefix - suffix;
    return branch_name_valid(file + prefix, *len) ? file + prefix : NULL;
}

static bool is_regular_file(const char *dir, const char *file)
{
    char path[4096];
    struct stat st;
    int n;

    n = snprintf(path, sizeof(path), "%s/%s", dir, file);
    if (n < 0 || (size_t)n >= sizeof(path))
        return false;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int names_add(char ***names, size_t *count, size_t *cap,
                     const char *name, size_t len)
{
    if (*count == *cap) {
        size_t want = *cap ? *cap * 2 : 8;
        char **grown = realloc(*names, want * sizeof(**names));

        if (grown == NULL)
            return error_oom();
        *names = grown;
        *cap = want;
    }
    (*names)[*count] = strndup(name, len);
    if ((*names)[*count] == NULL)
        return error_oom();
    (*count)++;
    return 0;
}

int config_list_branches(char ***names, size_t *count)
{
    char **list = NULL;
    size_t n = 0, cap = 0;
    struct dirent *entry;
    DIR *dir;
    int rc = 0;

    *names = NULL;
    *count = 0;

    dir = opendir(CONFIG_BRANCH_DIR);
    if (dir == NULL && errno != ENOENT && errno != ENOTDIR)
        return error_set(SFCI_EFAIL, "cannot read folder '%s': %s",
                         CONFIG_BRANCH_DIR, strerror(errno));

    while (dir != NULL && (entry = readdir(dir)) != NULL) {
        const char *branch;
        size_t len;

        branch = branch_of_file(entry->d_name, &len);
        if (branch == NULL ||
            !is_regular_file(CONFIG_BRANCH_DIR, entry->d_name))
            continue;
        rc = names_add(&list, &n, &cap, branch, len);
        if (rc < 0)
            goto out;
    }

    if (n == 0) {
        rc = error_set(SFCI_EINPUT,
                       "no major branch: '%s' holds no "
                       ".sfdx-hardis.<branch>.yml file; run 'sf "
                       "hardis:project:configure:auth' or create one with "
                       "targetUsername and instanceUrl",
                       CONFIG_BRANCH_DIR);
        goto out;
    }
    qsort(list, n, sizeof(*list), compare_names);
    *names = list;
    *count = n;
    list = NULL;

out:
    if (dir != NULL)
        closedir(dir);
    if (list != NULL)
        config_list_free(list, n);
    return rc;
}

/*
 * Writes "known: a, b, c" (cut short with "and N more") or a note that
 * there is none, for the message about an unknown branch.
 */
static int known_branches(struct buf *out)
{
    char **names;
    size_t count, i;
    int rc;

    rc = config_list_branches(&names, &count);
    if (rc == SFCI_EINPUT)
        return buf_puts(out, "there is none yet");
    if (rc < 0)
        return rc;

    rc = buf_puts(out, "known: ");
    for (i = 0; rc == 0 && i < count; i++) {
        if (out->len > KNOWN_LIST_MAX) {
            rc = buf_printf(out, "and %zu more", count - i);
            break;
        }
        rc = buf_printf(out, "%s%s", names[i], i + 1 < count ? ", " : "");
    }
    config_list_free(names, count);
    return rc;
}

static int branch_missing(const char *path, const char *branch)
{
    struct buf known = BUF_INIT;
    char where[SHOWN_SIZE], name[SHOWN_SIZE];
    int rc;

    rc = known_branches(&known);
    if (rc == 0)
        rc = error_set(SFCI_EINPUT,
                       "'%s' does not exist: '%s' is not a major branch (%s)",
                       shown_str(path, where, sizeof(where)),
                       shown_str(branch, name, sizeof(name)), buf_cstr(&known));
    buf_release(&known);
    return rc;
}

int config_load_branch(const char *branch, struct org_config *out)
{
    char name[SHOWN_SIZE];
    struct buf path = BUF_INIT;
    int rc;

    config_clear(out);
    if (!branch_name_valid(branch, strlen(branch)))
        return error_set(SFCI_EINPUT,
                         "invalid branch name '%s': use the <branch> of a "
                         "%s/.sfdx-hardis.<branch>.yml file",
                         shown_str(branch, name, sizeof(name)),
                         CONFIG_BRANCH_DIR);

    rc = buf_printf(&path, "%s/%s%s%s", CONFIG_BRANCH_DIR, BRANCH_PREFIX,
                    branch, BRANCH_SUFFIX);
    if (rc < 0)
        goto out;
    out->path = buf_detach(&path);
    out->name = strdup(branch);
    if (out->path == NULL || out->name == NULL) {
        rc = error_oom();
        goto out;
    }

    if (!file_exists(out->path)) {
        rc = branch_missing(out->path, branch);
        goto out;
    }
    rc = file_read(out->path, &out->text);
    if (rc < 0)
        goto out;
    rc = config_parse(out->path, &out->text, false, out);

out:
    buf_release(&path);
    if (rc < 0)
        config_release(out);
    return rc;
}

static const char *project_file_find(void)
{
    size_t i;

    for (i = 0; i < sizeof(project_files) / sizeof(project_files[0]); i++) {
        if (file_exists(project_files[i]))
            return project_files[i];
    }
    return NULL;
}

int config_load_devhub(struct org_config *out)
{
    const char *path;
    int rc;

    config_clear(out);
    out->devhub = true;

    path = project_file_find();
    if (path == NULL)
        return error_set(SFCI_EINPUT,
                         "no project file: create 'config/.sfdx-hardis.yml' "
                         "with devHubAlias, devHubUsername and "
                         "devHubInstanceUrl");

    out->path = strdup(path);
    if (out->path == NULL) {
        rc = error_oom();
        goto out;
    }
    rc = file_read(out->path, &out->text);
    if (rc < 0)
        goto out;
    rc = config_parse(out->path, &out->text, true, out);
    if (rc < 0)
        goto out;

    if (out->name == NULL) {
        out->name = strdup(DEVHUB_DEFAULT_NAME);
        if (out->name == NULL)
            rc = error_oom();
    }

out:
    if (rc < 0)
        config_release(out);
    return rc;
}

/*
 * libyaml counts a mark's index in characters, after any byte order
 * mark; this is its offset in the UTF-8 bytes of text.
 */
static size_t mark_offset(const struct buf *text, size_t index)
{
    const unsigned char *p = (const unsigned char *)text_data(text);
    size_t i = 0, chars;

    if (text->len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    for (chars = 0; i < text->len && chars < index; chars++) {
        i++;
        while (i < text->len && (p[i] & 0xc0) == 0x80)
            i++;
    }
    return i;
}

/* The offset just past the line break that ends the line holding i. */
static size_t line_end(const struct buf *text, size_t i)
{
    const unsigned char *p = (const unsigned char *)text_data(text);
    size_t len = text->len;

    /* The breaks that libyaml counts: LF, CR, CRLF, NEL, LS and PS. */
    for (; i < len; i++) {
        if (p[i] == '\n')
            return i + 1;
        if (p[i] == '\r')
            return i + 1 < len && p[i + 1] == '\n' ? i + 2 : i + 1;
        if (p[i] == 0xc2 && i + 1 < len && p[i + 1] == 0x85)
            return i + 2;
        if (p[i] == 0xe2 && i + 2 < len && p[i + 1] == 0x80 &&
            (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
            return i + 3;
    }
    return len;
}

static void mark_extend(yaml_mark_t *end, yaml_mark_t mark)
{
    if (mark.index > end->index)
        *end = mark;
}

static bool event_anchored(const yaml_event_t *event)
{
    switch (event->type) {
    case YAML_SCALAR_EVENT:
        return event->data.scalar.anchor != NULL;
    case YAML_SEQUENCE_START_EVENT:
        return event->data.sequence_start.anchor != NULL;
    case YAML_MAPPING_START_EVENT:
        return event->data.mapping_start.anchor != NULL;
    default:
        return false;
    }
}

static bool event_starts_flow(const yaml_event_t *event)
{
    return (event->type == YAML_SEQUENCE_START_EVENT &&
            event->data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE) ||
           (event->type == YAML_MAPPING_START_EVENT &&
            event->data.mapping_start.style == YAML_FLOW_MAPPING_STYLE);
}

/*
 * Reads the events of one node, first one included (and deleted), and
 * extends *end to the furthest text it covers.  The end of a block
 * collection is left out: libyaml marks it at the next token, which may
 * be the next key after comments and blank lines.
 */
static int node_skip(yaml_parser_t *parser, yaml_event_t *event,
                     const char *where, const struct buf *text,
                     yaml_mark_t *end, bool *anchored)
{
    size_t depth = 0, flow = 0;
    bool first = true;
    int rc = 0;

    for (;;) {
        if (!first && !yaml_parser_parse(parser, event))
            return parser_error(parser, where, text);
        first = false;
        *anchored = *anchored || event_anchored(event);

        switch (event->type) {
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            mark_extend(end, event->end_mark);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            depth++;
            if (flow == 0 && event_starts_flow(event))
                flow = depth;
            if (flow != 0)
                mark_extend(end, event->end_mark);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (flow != 0)
                mark_extend(end, event->end_mark);
            if (flow == depth)
                flow = 0;
            depth--;
            break;
        default:
            rc = error_at(where, event->start_mark, "unexpected YAML event");
            break;
        }
        yaml_event_delete(event);
        if (rc < 0 || depth == 0)
            return rc;
    }
}

/* Reads the pairs of the top-level block mapping, looking for key. */
static int scan_mapping(yaml_parser_t *parser, const char *key,
                        const char *where, const struct buf *text,
                        struct key_place *place)
{
    yaml_event_t event;
    int rc;

    for (;;) {
        yaml_mark_t value_end = {0, 0, 0};
        bool ours, ignored = false, anchored = false;

        if (!yaml_parser_parse(parser, &event))
            return parser_error(parser, where, text);
        if (event.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&event);
            return 0;
        }

        ours = event.type == YAML_SCALAR_EVENT &&
               event.data.scalar.length == strlen(key) &&
               memcmp(event.data.scalar.value, key, strlen(key)) == 0;
        if (ours)
            place->key = event.start_mark;
        /* The value ends on the key's line at the earliest. */
        rc = node_skip(parser, &event, where, text, &value_end, &ignored);
        if (rc < 0)
            return rc;

        if (!yaml_parser_parse(parser, &event))
            return parser_error(parser, where, text);
        rc = node_skip(parser, &event, where, text, &value_end, &anchored);
        if (rc < 0)
            return rc;
        if (ours) {
            place->found = true;
            place->end = value_end;
            place->anchored = anchored;
        }
    }
}

static int not_block_style(const char *where, const char *key, bool flow)
{
    return error_set(
        SFCI_EINPUT,
        "'%s' is %s; sfci can only add '%s' to a block-style "
        "file: rewrite it as one 'key: value' per line",
        where,
        flow ? "a flow-style mapping" : "not a mapping of keys to values", key);
}

/*
 * Finds where key stands in the top level of text, with the event API
 * since the marks of the text are needed, not its values.
 */
static int scan_top_level(const struct buf *text, const char *key,
                          const char *where, struct key_place *place)
{
    yaml_parser_t parser;
    yaml_event_t event;
    bool have_event = false;
    int rc = 0;

    memset(place, 0, sizeof(*place));
    place->insert_at_end = true;
    if (!yaml_parser_initialize(&parser))
        return error_oom();
    parser_open(&parser, text);

    /* Up to the root node; an empty stream has none and takes an append. */
    do {
        if (!yaml_parser_parse(&parser, &event)) {
            rc = parser_error(&parser, where, text);
            goto out;
        }
        have_event = true;
        if (event.type == YAML_STREAM_END_EVENT)
            goto out;
        if (event.type == YAML_STREAM_START_EVENT ||
            event.type == YAML_DOCUMENT_START_EVENT) {
            yaml_event_delete(&event);
            have_event = false;
        }
    } while (!have_event);

    if (event.type == YAML_MAPPING_START_EVENT &&
        event.data.mapping_start.style != YAML_FLOW_MAPPING_STYLE) {
        /* Its end is at its first key, or at the '?' before it. */
        place->indent = event.end_mark.column;
        yaml_event_delete(&event);
        have_event = false;
        rc = scan_mapping(&parser, key, where, text, place);
    } else if (event.type == YAML_SCALAR_EVENT &&
               event.start_mark.index == event.end_mark.index) {
        /* An empty document, "---" alone: the key goes after it. */
        yaml_event_delete(&event);
        have_event = false;
    } else {
        rc =
            not_block_style(where, key, event.type == YAML_MAPPING_START_EVENT);
        goto out;
    }
    if (rc < 0)
        goto out;

    /* An explicit "..." ends the document: the key goes before it. */
    if (!yaml_parser_parse(&parser, &event)) {
        rc = parser_error(&parser, where, text);
        goto out;
    }
    have_event = true;
    if (event.type == YAML_DOCUMENT_END_EVENT &&
        !event.data.document_end.implicit) {
        place->insert_at_end = false;
        place->document = event.start_mark;
    }

out:
    if (have_event)
        yaml_event_delete(&event);
    yaml_parser_delete(&parser);
    return rc;
}

/* An app name written plain reads back as the same text, in any YAML. */
static bool app_is_plain(const char *name)
{
    static const char *const words[] = {"y",   "n",    "yes",   "no",  "on",
                                        "off", "true", "false", "null"};
    const char *p;
    size_t i;

    if (!((name[0] >= 'a' && name[0] <= 'z') ||
          (name[0] >= 'A' && name[0] <= 'Z')))
        return false;
    for (p = name; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' || *p == '.'))
            return false;
    }
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strcasecmp(name, words[i]) == 0)
            return false;
    }
    return true;
}

static int check_app_names(const char *const *apps, size_t count)
{
    char name[SHOWN_SIZE];
    size_t i;
    const char *p;

    for (i = 0; i < count; i++) {
        if (apps[i] == NULL)
            return error_set(SFCI_EINPUT, "app name %zu is missing", i + 1);
        for (p = apps[i]; *p != '\0'; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f)
                return error_set(SFCI_EINPUT,
                                 "app name '%s' holds a control character; "
                                 "use letters, digits and '_'",
                                 shown_str(apps[i], name, sizeof(name)));
        }
    }
    return 0;
}

static int app_render(struct buf *out, const char *name)
{
    const char *p;
    int rc;

    if (app_is_plain(name))
        return buf_puts(out, name);

    rc = buf_putc(out, '\'');
    for (p = name; rc == 0 && *p != '\0'; p++)
        rc = *p == '\'' ? buf_puts(out, "''") : buf_putc(out, *p);
    return rc < 0 ? rc : buf_putc(out, '\'');
}

/* Writes "key:" and one "  - app" line per app, each ending with eol. */
static int block_render(struct buf *out, const char *key, size_t indent,
                        const char *const *apps, size_t count, const char *eol)
{
    size_t i;
    int rc;

    rc = buf_printf(out, "%*s%s:%s", (int)indent, "", key, eol);
    for (i = 0; rc == 0 && i < count; i++) {
        rc = buf_printf(out, "%*s  - ", (int)indent, "");
        if (rc == 0)
            rc = app_render(out, apps[i]);
        if (rc == 0)
            rc = buf_puts(out, eol);
    }
    return rc;
}

/* The line break of the file: CRLF if its first line ends so. */
static const char *text_eol(const struct buf *text)
{
    const char *nl = memchr(text_data(text), '\n', text->len);

    return nl != NULL && nl > text->data && nl[-1] == '\r' ? "\r\n" : "\n";
}

/* The key stands alone at the start of its line, as the other keys do. */
static bool key_starts_line(const struct buf *text,
                            const struct key_place *place, size_t start,
                            size_t key_at)
{
    size_t i;

    if (place->key.column != place->indent)
        return false;
    for (i = start; i < key_at; i++) {
        if (text->data[i] != ' ')
            return false;
    }
    return true;
}

/* Replaces the lines of the key and its value with the new block. */
static int render_replace(const struct buf *text, const struct key_place *place,
                          const char *key, const char *const *apps,
                          size_t count, const char *where, struct buf *out)
{
    size_t start, key_at, end;
    const char *eol = text_eol(text);
    bool last;
    int rc;

    start = mark_offset(text, place->key.index - place->key.column);
    key_at = mark_offset(text, place->key.index);
    if (!key_starts_line(text, place, start, key_at))
        return error_set(SFCI_EINPUT,
                         "'%s' line %zu: '%s' does not start its line; "
                         "write it as '%s:' at the start of a line",
                         where, place->key.line + 1, key, key);
    if (place->anchored)
        return error_set(SFCI_EINPUT,
                         "'%s' line %zu: '%s' has an '&' anchor; remove it "
                         "so that sfci can rewrite the key",
                         where, place->key.line + 1, key);

    /* A value that ends at the start of a line took its break along. */
    end = mark_offset(text, place->end.index);
    if (place->end.column != 0)
        end = line_end(text, end);
    last = end == text->len && text->data[end - 1] != '\n' &&
           text->data[end - 1] != '\r';

    rc = buf_append(out, text->data, start);
    if (rc == 0 && count > 0)
        rc = block_render(out, key, place->key.column, apps, count, eol);
    /* The key was the last line, without a break: keep it so. */
    if (rc == 0 && count > 0 && last) {
        out->len -= strlen(eol);
        out->data[out->len] = '\0';
    }
    if (rc == 0)
        rc = buf_append(out, text->data + end, text->len - end);
    return rc;
}

/* Adds the block at the end of the text, or before its "...". */
static int render_append(const struct buf *text, const struct key_place *place,
                         const char *key, const char *const *apps, size_t count,
                         struct buf *out)
{
    size_t at = text->len;
    const char *eol = text_eol(text);
    int rc;

    if (!place->insert_at_end)
        at = mark_offset(text, place->document.index - place->document.column);

    rc = buf_append(out, text_data(text), at);
    if (rc == 0 && count > 0 && at > 0 && text->data[at - 1] != '\n' &&
        text->data[at - 1] != '\r')
        rc = buf_puts(out, eol);
    if (rc == 0 && count > 0)
        rc = block_render(out, key, place->indent, apps, count, eol);
    if (rc == 0)
        rc = buf_append(out, text_data(text) + at, text->len - at);
    return rc;
}

static bool same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * Reads the new text back: it must give the new list and the same other
 * values, or the file was written in a way the scan did not foresee.
 */
static int render_check(const struct org_config *cfg, const struct buf *text,
                        const char *key, const char *const *apps, size_t count,
                        const char *where)
{
    struct org_config check;
    bool same;
    size_t i;
    int rc;

    config_clear(&check);
    rc = config_parse(where, text, cfg->devhub, &check);
    same = rc == 0 && check.app_count == count &&
           same_text(check.username, cfg->username) &&
           same_text(check.login_url, cfg->login_url) &&
           (check.name == NULL || same_text(check.name, cfg->name));
    for (i = 0; same && i < count; i++)
        same = strcmp(check.apps[i], apps[i]) == 0;
    config_release(&check);
    if (rc == SFCI_EFAIL)
        return rc;
    if (!same)
        return error_set(SFCI_EINPUT,
                         "cannot set '%s' in '%s' safely: the new text "
                         "would not read back the same; write '%s:' as a "
                         "plain list of '- name' lines",
                         key, where, key);
    return 0;
}

int config_render_apps(const struct org_config *cfg, const char *const *apps,
                       size_t count, struct buf *out)
{
    const char *key = cfg->devhub ? devhub_keys.apps : branch_keys.apps;
    const unsigned char *p = (const unsigned char *)text_data(&cfg->text);
    struct buf text = BUF_INIT;
    struct key_place place;
    char where[SHOWN_SIZE];
    int rc;

    shown_str(cfg->path != NULL ? cfg->path : "", where, sizeof(where));
    rc = check_app_names(apps, count);
    if (rc < 0)
        goto out;

    /* The marks are counted in characters, over UTF-8 only. */
    if (cfg->text.len >= 2 &&
        ((p[0] == 0xff && p[1] == 0xfe) || (p[0] == 0xfe && p[1] == 0xff))) {
        rc = error_set(SFCI_EINPUT,
                       "'%s' is UTF-16 text; save it as UTF-8 so that sfci "
                       "can update it",
                       where);
        goto out;
    }

    rc = scan_top_level(&cfg->text, key, where, &place);
    if (rc < 0)
        goto out;
    if (place.found)
        rc = render_replace(&cfg->text, &place, key, apps, count, where, &text);
    else
        rc = render_append(&cfg->text, &place, key, apps, count, &text);
    if (rc < 0)
        goto out;

    rc = render_check(cfg, &text, key, apps, count, where);
    if (rc < 0)
        goto out;
    rc = buf_append(out, text_data(&text), text.len);

out:
    buf_release(&text);
    return rc;
}
