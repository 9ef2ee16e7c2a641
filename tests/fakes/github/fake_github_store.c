/*
 * fake-github: the repositories, their environments and their secrets.
 * Names of repositories, environments and secrets compare without case,
 * as on GitHub; secret names are stored upper case, in name order.
 */
#include "fake_github.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Numbers like GitHub's: repositories and environments have ids. */
static long next_id = 1296269;

/* A key pair of its own, and a key_id of 18 digits, as GitHub's are. */
static void scope_init(struct scope *scope, const char *environment)
{
    uint64_t number = 100000000000000000ull +
                      randombytes_uniform(899999999u) * 1000000000ull +
                      randombytes_uniform(1000000000u);

    memset(scope, 0, sizeof(*scope));
    scope->environment = environment != NULL ? xstrdup(environment) : NULL;
    scope->id = next_id++;
    crypto_box_keypair(scope->public_key, scope->secret_key);
    snprintf(scope->key_id, sizeof(scope->key_id), "%llu",
             (unsigned long long)number);
}

static void secret_release_value(struct secret *secret)
{
    if (secret->value != NULL)
        sodium_memzero(secret->value, secret->value_len);
    free(secret->value);
    secret->value = NULL;
    secret->value_len = 0;
}

static void secret_release(struct secret *secret)
{
    free(secret->name);
    secret_release_value(secret);
}

static void scope_release(struct scope *scope)
{
    for (size_t i = 0; i < scope->secret_count; i++)
        secret_release(&scope->secrets[i]);
    free(scope->secrets);
    free(scope->environment);
    sodium_memzero(scope->secret_key, sizeof(scope->secret_key));
}

struct repo *repo_add(struct fake *fake, const char *owner_name)
{
    const char *slash = strchr(owner_name, '/');
    struct repo *repo;

    if (slash == NULL || slash == owner_name || slash[1] == '\0' ||
        strchr(slash + 1, '/') != NULL)
        return NULL;
    fake->repos = alloc_check(
        realloc(fake->repos, (fake->repo_count + 1) * sizeof(*fake->repos)));
    repo = &fake->repos[fake->repo_count++];
    memset(repo, 0, sizeof(*repo));
    repo->owner = xstrndup(owner_name, (size_t)(slash - owner_name));
    repo->name = xstrdup(slash + 1);
    scope_init(&repo->scope, NULL);
    repo->id = repo->scope.id;
    return repo;
}

struct repo *repo_find(struct fake *fake, const char *owner, const char *name)
{
    for (size_t i = 0; i < fake->repo_count; i++)
        if (strcasecmp(fake->repos[i].owner, owner) == 0 &&
            strcasecmp(fake->repos[i].name, name) == 0)
            return &fake->repos[i];
    return NULL;
}

struct repo *repo_find_id(struct fake *fake, long id)
{
    for (size_t i = 0; i < fake->repo_count; i++)
        if (fake->repos[i].id == id)
            return &fake->repos[i];
    return NULL;
}

struct scope *environment_add(struct repo *repo, const char *name)
{
    struct scope *scope = environment_find(repo, name);

    if (scope != NULL)
        return scope;
    repo->environments = alloc_check(
        realloc(repo->environments,
                (repo->environment_count + 1) * sizeof(*repo->environments)));
    scope = &repo->environments[repo->environment_count++];
    scope_init(scope, name);
    return scope;
}

struct scope *environment_find(struct repo *repo, const char *name)
{
    for (size_t i = 0; i < repo->environment_count; i++)
        if (strcasecmp(repo->environments[i].environment, name) == 0)
            return &repo->environments[i];
    return NULL;
}

struct secret *secret_find(struct scope *scope, const char *name)
{
    for (size_t i = 0; i < scope->secret_count; i++)
        if (strcasecmp(scope->secrets[i].name, name) == 0)
            return &scope->secrets[i];
    return NULL;
}

static char *upper_copy(const char *text)
{
    char *copy = xstrdup(text);

    for (char *c = copy; *c != '\0'; c++)
        *c = (char)toupper((unsigned char)*c);
    return copy;
}

/* Where name goes to keep the secrets in name order. */
static size_t secret_slot(const struct scope *scope, const char *name)
{
    size_t i = 0;

    while (i < scope->secret_count && strcmp(scope->secrets[i].name, name) < 0)
        i++;
    return i;
}

static struct secret *secret_insert(struct scope *scope, char *name)
{
    size_t slot = secret_slot(scope, name);
    struct secret *secret;

    scope->secrets = alloc_check(realloc(
        scope->secrets, (scope->secret_count + 1) * sizeof(*scope->secrets)));
    memmove(&scope->secrets[slot + 1], &scope->secrets[slot],
            (scope->secret_count - slot) * sizeof(*scope->secrets));
    scope->secret_count++;
    secret = &scope->secrets[slot];
    memset(secret, 0, sizeof(*secret));
    secret->name = name;
    time_now_text(secret->created_at);
    return secret;
}

bool secret_put(struct scope *scope, const char *name, const char *value,
                size_t value_len)
{
    struct secret *secret = secret_find(scope, name);
    bool created = secret == NULL;

    if (created)
        secret = secret_insert(scope, upper_copy(name));
    else
        secret_release_value(secret);
    secret->value = alloc_check(malloc(value_len + 1));
    memcpy(secret->value, value, value_len);
    secret->value[value_len] = '\0';
    secret->value_len = value_len;
    time_now_text(secret->updated_at);
    return created;
}

bool secret_delete(struct scope *scope, const char *name)
{
    struct secret *secret = secret_find(scope, name);
    size_t slot;

    if (secret == NULL)
        return false;
    slot = (size_t)(secret - scope->secrets);
    secret_release(secret);
    memmove(&scope->secrets[slot], &scope->secrets[slot + 1],
            (scope->secret_count - slot - 1) * sizeof(*scope->secrets));
    scope->secret_count--;
    return true;
}

void fake_release(struct fake *fake)
{
    for (size_t i = 0; i < fake->repo_count; i++) {
        struct repo *repo = &fake->repos[i];

        scope_release(&repo->scope);
        for (size_t j = 0; j < repo->environment_count; j++)
            scope_release(&repo->environments[j]);
        free(repo->environments);
        free(repo->owner);
        free(repo->name);
    }
    free(fake->repos);
    for (size_t i = 0; i < fake->request_count; i++)
        free(fake->requests[i]);
    free(fake->requests);
}
