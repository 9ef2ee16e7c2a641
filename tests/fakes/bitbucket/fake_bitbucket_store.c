/*
 * fake-bitbucket: the repositories, their deployment environments and
 * the variables of both.
 */
#include "fake_bitbucket.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bitbucket makes these three for every repository that deploys. */
static const struct {
    const char *name;
    int rank;
} default_environments[] = {
    {"Test", 0},
    {"Staging", 1},
    {"Production", 2},
};

struct repository *repository_add(struct fake *fake, const char *full_name)
{
    const char *slash = strchr(full_name, '/');
    struct repository *repo;
    size_t i;

    if (slash == NULL || slash == full_name || slash[1] == '\0' ||
        strchr(slash + 1, '/') != NULL)
        return NULL;
    repo = alloc_check(calloc(1, sizeof(*repo)));
    repo->workspace = xstrndup(full_name, (size_t)(slash - full_name));
    repo->slug = xstrdup(slash + 1);
    repo->uuid = uuid_new();
    for (i = 0;
         i < sizeof(default_environments) / sizeof(default_environments[0]);
         i++)
        environment_add(repo, default_environments[i].name,
                        default_environments[i].name,
                        default_environments[i].rank);
    list_push(&fake->repositories, repo);
    return repo;
}

/* Workspace IDs and repository slugs are matched in any case. */
struct repository *repository_find(struct fake *fake, const char *workspace,
                                   const char *slug)
{
    size_t i;

    for (i = 0; i < fake->repositories.count; i++) {
        struct repository *repo = fake->repositories.items[i];

        if (strcasecmp(repo->workspace, workspace) == 0 &&
            strcasecmp(repo->slug, slug) == 0)
            return repo;
    }
    return NULL;
}

/* "Pre-prod EU" becomes "pre-prod-eu", as Bitbucket slugs names. */
static char *slug_of(const char *name)
{
    char *slug = xstrdup(name), *c;

    for (c = slug; *c != '\0'; c++)
        *c =
            isalnum((unsigned char)*c) ? (char)tolower((unsigned char)*c) : '-';
    return slug;
}

struct environment *environment_add(struct repository *repo, const char *name,
                                    const char *type, int rank)
{
    struct environment *env = environment_by_name(repo, name);

    if (env != NULL)
        return env;
    env = alloc_check(calloc(1, sizeof(*env)));
    env->uuid = uuid_new();
    env->name = xstrdup(name);
    env->slug = slug_of(name);
    env->type = type;
    env->rank = rank;
    list_push(&repo->environments, env);
    return env;
}

/* Bitbucket refuses two environment names that differ in case alone. */
struct environment *environment_by_name(struct repository *repo,
                                        const char *name)
{
    size_t i;

    for (i = 0; i < repo->environments.count; i++) {
        struct environment *env = repo->environments.items[i];

        if (strcasecmp(env->name, name) == 0)
            return env;
    }
    return NULL;
}

struct environment *environment_by_uuid(struct repository *repo,
                                        const char *uuid)
{
    size_t i;

    for (i = 0; i < repo->environments.count; i++) {
        struct environment *env = repo->environments.items[i];

        if (strcasecmp(env->uuid, uuid) == 0)
            return env;
    }
    return NULL;
}

struct variable *variable_add(struct list *variables, const char *key,
                              const char *value, bool secured)
{
    struct variable *variable = alloc_check(calloc(1, sizeof(*variable)));

    variable->uuid = uuid_new();
    variable->key = xstrdup(key);
    variable->value = xstrdup(value);
    variable->secured = secured;
    list_push(variables, variable);
    return variable;
}

/* Keys are case-sensitive. */
struct variable *variable_by_key(struct list *variables, const char *key)
{
    size_t i;

    for (i = 0; i < variables->count; i++) {
        struct variable *variable = variables->items[i];

        if (strcmp(variable->key, key) == 0)
            return variable;
    }
    return NULL;
}

struct variable *variable_by_uuid(struct list *variables, const char *uuid)
{
    size_t i;

    for (i = 0; i < variables->count; i++) {
        struct variable *variable = variables->items[i];

        if (strcasecmp(variable->uuid, uuid) == 0)
            return variable;
    }
    return NULL;
}

static void variable_free(struct variable *variable)
{
    free(variable->uuid);
    free(variable->key);
    free(variable->value);
    free(variable);
}

void variable_delete(struct list *variables, struct variable *variable)
{
    size_t i;

    for (i = 0; i < variables->count; i++)
        if (variables->items[i] == variable) {
            variable_free(list_take(variables, i));
            return;
        }
}

/* ASCII letters, digits and underscores, not starting with a digit. */
bool variable_name_valid(const char *key)
{
    const char *c;

    if (*key == '\0' || isdigit((unsigned char)*key))
        return false;
    for (c = key; *c != '\0'; c++)
        if (!isascii((unsigned char)*c) ||
            !(isalnum((unsigned char)*c) || *c == '_'))
            return false;
    return true;
}

static void variables_free(struct list *variables)
{
    size_t i;

    for (i = 0; i < variables->count; i++)
        variable_free(variables->items[i]);
    list_release(variables);
}

static void repository_free(struct repository *repo)
{
    size_t i;

    for (i = 0; i < repo->environments.count; i++) {
        struct environment *env = repo->environments.items[i];

        variables_free(&env->variables);
        free(env->uuid);
        free(env->name);
        free(env->slug);
        free(env);
    }
    list_release(&repo->environments);
    variables_free(&repo->variables);
    free(repo->workspace);
    free(repo->slug);
    free(repo->uuid);
    free(repo);
}

void fake_release(struct fake *fake)
{
    size_t i;

    for (i = 0; i < fake->repositories.count; i++)
        repository_free(fake->repositories.items[i]);
    list_release(&fake->repositories);
    for (i = 0; i < fake->log.count; i++)
        free(fake->log.items[i]);
    list_release(&fake->log);
    list_release(&fake->tokens);
    list_release(&fake->basics);
    list_release(&fake->read_tokens);
}
