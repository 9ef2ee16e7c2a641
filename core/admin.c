#include "admin.h"

#include "buf.h"
#include "errors.h"
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *env_value(env_lookup env, const char *name)
{
    const char *value = env(name);

    return value != NULL && value[0] != '\0' ? value : NULL;
}

/* The pair NAME_<suffix>, else the bare pair: 0 if found, 1 if not. */
static int from_environment(env_lookup env, const char *suffix,
                            struct sf_session *out)
{
    struct buf token = BUF_INIT, url = BUF_INIT;
    const char *token_value, *url_value;
    int found = 1;

    buf_printf(&token, "SF_ACCESS_TOKEN_%s", suffix);
    buf_printf(&url, "SF_ORG_INSTANCE_URL_%s", suffix);
    token_value = env_value(env, buf_cstr(&token));
    url_value = env_value(env, buf_cstr(&url));
    if (token_value == NULL || url_value == NULL) {
        token_value = env_value(env, "SF_ACCESS_TOKEN");
        url_value = env_value(env, "SF_ORG_INSTANCE_URL");
    }
    if (token_value != NULL && url_value != NULL) {
        out->access_token = strdup(token_value);
        out->instance_url = strdup(url_value);
        found = out->access_token != NULL && out->instance_url != NULL
                    ? 0
                    : error_oom();
    }
    buf_release(&token);
    buf_release(&url);
    return found;
}

/*
 * Runs the Salesforce CLI with argv (no shell) and reads its stdout; its
 * stderr goes to /dev/null.  -1 when it cannot run or fails.
 */
static int sf_cli_run(char *const argv[], struct buf *out)
{
    posix_spawn_file_actions_t actions;
    char chunk[4096];
    int pipe_fds[2], status;
    pid_t pid;
    ssize_t n;

    if (pipe(pipe_fds) < 0)
        return -1;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null",
                                     O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null",
                                     O_RDONLY, 0);
    status = posix_spawnp(&pid, argv[0], &actions, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    close(pipe_fds[1]);
    if (status != 0) {
        close(pipe_fds[0]);
        return -1;
    }

    while ((n = read(pipe_fds[0], chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || buf_append(out, chunk, (size_t)n) < 0)
            break;
    }
    secret_wipe(chunk, sizeof(chunk));
    close(pipe_fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* result.<key> of the Salesforce CLI's --json answer, copied. */
static char *sf_cli_field(const struct buf *answer, const char *key)
{
    json_t *root = json_loadb(buf_cstr(answer), answer->len, 0, NULL);
    const char *value = json_string_value(
        json_object_get(json_object_get(root, "result"), key));
    char *copy = value != NULL ? strdup(value) : NULL;

    json_decref(root);
    return copy;
}

static int from_sf_cli(const char *org, struct sf_session *out)
{
    char *token_argv[] = {
        "sf",           "org",       "auth",   "show-access-token",
        "--target-org", (char *)org, "--json", NULL};
    char *display_argv[] = {"sf",        "org",    "display", "--target-org",
                            (char *)org, "--json", NULL};
    struct buf answer = BUF_INIT;
    int rc = 0;

    if (sf_cli_run(token_argv, &answer) == 0)
        out->access_token = sf_cli_field(&answer, "accessToken");
    buf_clear(&answer);
    if (out->access_token != NULL && sf_cli_run(display_argv, &answer) == 0)
        out->instance_url = sf_cli_field(&answer, "instanceUrl");
    if (out->access_token == NULL || out->instance_url == NULL ||
        strncmp(out->access_token, "[REDACTED]", 10) == 0)
        rc = error_set(SFCI_EINPUT,
                       "no admin session for '%s': set SF_ACCESS_TOKEN and "
                       "SF_ORG_INSTANCE_URL, or log in with 'sf org login "
                       "web --alias %s' and pass --target-org",
                       org, org);
    buf_release(&answer);
    return rc;
}

int admin_session_find(env_lookup env, const char *suffix,
                       const char *target_org, const char *username,
                       struct sf_session *out)
{
    int rc;

    memset(out, 0, sizeof(*out));
    rc = from_environment(env, suffix, out);
    if (rc == 1)
        rc = from_sf_cli(target_org != NULL ? target_org : username, out);
    if (rc == 0 && http_url_check(out->instance_url) < 0)
        rc = error_prefix("the admin session's instance URL");
    return rc;
}
