/*
 * fake-gitlab: the projects, their variables and the rules a variable
 * must meet to be saved (Ci::HasVariable, Ci::Maskable).
 */
#include "fake_gitlab.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_MAX 255
#define DESCRIPTION_MAX 255
#define MASKED_MIN 8

#define KEY_CHARS                                                              \
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"
#define MASKED_CHARS KEY_CHARS "+=/@:.~-"
#define SCOPE_CHARS KEY_CHARS "/${}. -*"

static bool all_in(const char *text, const char *set)
{
    return strspn(text, set) == strlen(text);
}

static bool has_blank(const char *text)
{
    for (; *text != '\0'; text++)
        if (isspace((unsigned char)*text))
            return true;
    return false;
}

/* ---- state ---- */

void variable_free(struct variable *v)
{
    if (v == NULL)
        return;
    free(v->key);
    free(v->value);
    free(v->scope);
    free(v->type);
    free(v->description);
    free(v);
}

void project_push(struct project *project, struct variable *v)
{
    project->variables = alloc_check(
        realloc(project->variables,
                (project->count + 1) * sizeof(*project->variables)));
    project->variables[project->count++] = v;
}

void project_remove(struct project *project, size_t index)
{
    variable_free(project->variables[index]);
    memmove(&project->variables[index], &project->variables[index + 1],
            (project->count - index - 1) * sizeof(*project->variables));
    project->count--;
}

struct project *gitlab_project_add(struct gitlab *gitlab, const char *path)
{
    struct project *project = alloc_check(calloc(1, sizeof(*project)));

    project->id = (long)gitlab->project_count + 1;
    project->path = xstrdup(path);
    gitlab->projects =
        alloc_check(realloc(gitlab->projects, (gitlab->project_count + 1) *
                                                  sizeof(*gitlab->projects)));
    gitlab->projects[gitlab->project_count++] = project;
    return project;
}

void gitlab_free(struct gitlab *gitlab)
{
    for (size_t i = 0; i < gitlab->project_count; i++) {
        struct project *project = gitlab->projects[i];
        for (size_t j = 0; j < project->count; j++)
            variable_free(project->variables[j]);
        free(project->variables);
        free(project->path);
        free(project);
    }
    free(gitlab->projects);
    for (size_t i = 0; i < gitlab->token_count; i++)
        free(gitlab->tokens[i].secret);
    free(gitlab->tokens);
    json_decref(gitlab->requests);
    free(gitlab->base_url);
}

struct project *project_find(struct gitlab *gitlab, const char *id)
{
    char *end;
    long number;

    errno = 0;
    number = strtol(id, &end, 10);
    for (size_t i = 0; i < gitlab->project_count; i++) {
        struct project *project = gitlab->projects[i];
        if (*id != '\0' && *end == '\0' && errno == 0
                ? project->id == number
                : strcasecmp(project->path, id) == 0)
            return project;
    }
    return NULL;
}

struct variable *variable_new(const char *key, const char *value)
{
    struct variable *v = alloc_check(calloc(1, sizeof(*v)));

    v->key = xstrdup(key);
    v->value = xstrdup(value);
    v->scope = xstrdup("*");
    v->type = xstrdup("env_var");
    return v;
}

struct variable *variable_copy(const struct variable *v)
{
    struct variable *copy = variable_new(v->key, v->value);

    text_replace(&copy->scope, v->scope);
    text_replace(&copy->type, v->type);
    text_replace(&copy->description, v->description);
    copy->protected_ = v->protected_;
    copy->masked = v->masked;
    copy->hidden = v->hidden;
    copy->raw = v->raw;
    return copy;
}

void text_replace(char **field, const char *text)
{
    free(*field);
    *field = text != NULL ? xstrdup(text) : NULL;
}

/* One flag of a --seed: scope=S, description=D, protected, masked, ... */
static int seed_flag(struct variable *v, const char *flag, const char **repo)
{
    if (strncmp(flag, "scope=", 6) == 0)
        text_replace(&v->scope, flag + 6);
    else if (strncmp(flag, "description=", 12) == 0)
        text_replace(&v->description, flag + 12);
    else if (strncmp(flag, "repo=", 5) == 0)
        *repo = flag + 5;
    else if (strcmp(flag, "protected") == 0)
        v->protected_ = true;
    else if (strcmp(flag, "masked") == 0)
        v->masked = true;
    else if (strcmp(flag, "hidden") == 0)
        v->masked = v->hidden = true;
    else if (strcmp(flag, "raw") == 0)
        v->raw = true;
    else if (strcmp(flag, "file") == 0)
        text_replace(&v->type, "file");
    else
        return -1;
    return 0;
}

static bool same_row(const struct variable *a, const char *key,
                     const char *scope)
{
    return strcmp(a->key, key) == 0 && strcmp(a->scope, scope) == 0;
}

int gitlab_seed(struct gitlab *gitlab, const char *spec)
{
    char *copy = xstrdup(spec), *eq = strchr(copy, '='), *flags, *flag;
    const char *repo = NULL;
    struct project *project;
    struct variable *v;
    int rc = 0;

    if (eq == NULL || eq == copy || gitlab->project_count == 0) {
        free(copy);
        return -1;
    }
    *eq = '\0';
    flags = strchr(eq + 1, ',');
    if (flags != NULL)
        *flags++ = '\0';
    v = variable_new(copy, eq + 1);
    while (rc == 0 && flags != NULL && *flags != '\0') {
        flag = flags;
        flags = strchr(flags, ',');
        if (flags != NULL)
            *flags++ = '\0';
        rc = seed_flag(v, flag, &repo);
    }
    project = repo != NULL ? project_find(gitlab, repo) : gitlab->projects[0];
    if (rc < 0 || project == NULL) {
        variable_free(v);
        free(copy);
        return -1;
    }
    for (size_t i = 0; i < project->count; i++)
        if (same_row(project->variables[i], v->key, v->scope))
            project_remove(project, i--);
    project_push(project, v);
    free(copy);
    return 0;
}

json_t *variable_json(const struct variable *v)
{
    return json_pack(
        "{s:s, s:s, s:o, s:b, s:b, s:b, s:b, s:s, s:o}", "variable_type",
        v->type, "key", v->key, "value",
        v->hidden ? json_null() : json_string(v->value), "hidden", v->hidden,
        "protected", v->protected_, "masked", v->masked, "raw", v->raw,
        "environment_scope", v->scope, "description",
        v->description ? json_string(v->description) : json_null());
}

/* ---- the model's validations ---- */

static void model_error(json_t *errors, const char *field, const char *text)
{
    json_t *list = json_object_get(errors, field);

    if (list == NULL) {
        list = json_array();
        json_object_set_new(errors, field, list);
    }
    json_array_append_new(list, json_string(text));
}

static void validate_key(const struct project *project,
                         const struct variable *v, const struct variable *self,
                         json_t *errors)
{
    char *taken;

    if (*v->key == '\0')
        model_error(errors, "key", "can't be blank");
    if (strlen(v->key) > KEY_MAX)
        model_error(errors, "key", "is too long (maximum is 255 characters)");
    if (!all_in(v->key, KEY_CHARS))
        model_error(errors, "key", "can contain only letters, digits and '_'.");
    for (size_t i = 0; i < project->count; i++) {
        if (project->variables[i] == self ||
            !same_row(project->variables[i], v->key, v->scope))
            continue;
        taken = xprintf("(%s) has already been taken", v->key);
        model_error(errors, "key", taken);
        free(taken);
        break;
    }
}

/* Ci::Maskable: REGEX when expanded, MASK_AND_RAW_REGEX when raw. */
static bool value_maskable(const struct variable *v)
{
    if (strlen(v->value) < MASKED_MIN)
        return false;
    return v->raw ? !has_blank(v->value) : all_in(v->value, MASKED_CHARS);
}

static void validate_rest(const struct variable *v, json_t *errors)
{
    if (v->masked && !value_maskable(v))
        model_error(errors, "value", "is invalid");
    if (*v->scope == '\0')
        model_error(errors, "environment_scope", "can't be blank");
    else if (!all_in(v->scope, SCOPE_CHARS))
        model_error(errors, "environment_scope",
                    "can contain only letters, digits, '-', '_', '/', '$', "
                    "'{', '}', '.', '*' and spaces");
    if (v->description != NULL && strlen(v->description) > DESCRIPTION_MAX)
        model_error(errors, "description",
                    "is too long (maximum is 255 characters)");
}

json_t *variable_errors(const struct project *project, const struct variable *v,
                        const struct variable *self)
{
    json_t *errors = json_object();

    validate_key(project, v, self, errors);
    validate_rest(v, errors);
    if (json_object_size(errors) > 0)
        return errors;
    json_decref(errors);
    return NULL;
}

json_t *variables_dump(const struct gitlab *gitlab)
{
    json_t *list = json_array();

    for (size_t i = 0; i < gitlab->project_count; i++) {
        const struct project *project = gitlab->projects[i];
        for (size_t j = 0; j < project->count; j++) {
            json_t *item = variable_json(project->variables[j]);
            json_object_set_new(item, "name",
                                json_string(project->variables[j]->key));
            json_object_set_new(item, "value",
                                json_string(project->variables[j]->value));
            json_object_set_new(item, "project", json_string(project->path));
            json_array_append_new(list, item);
        }
    }
    return list;
}
