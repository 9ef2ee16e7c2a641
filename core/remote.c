#include "remote.h"

#include "buf.h"
#include "errors.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void remote_release(struct remote *remote)
{
    free(remote->host);
    free(remote->path);
    remote->host = NULL;
    remote->path = NULL;
}

static char *copy_lower(const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    size_t i;

    if (copy == NULL)
        return NULL;
    for (i = 0; i < len; i++)
        copy[i] = (char)tolower((unsigned char)s[i]);
    copy[len] = '\0';
    return copy;
}

/* Copies path without leading '/', trailing '/' and a ".git" suffix. */
static char *copy_path(const char *s)
{
    size_t len;

    while (*s == '/')
        s++;
    len = strlen(s);
    while (len > 0 && s[len - 1] == '/')
        len--;
    if (len > 4 && strncmp(s + len - 4, ".git", 4) == 0)
        len -= 4;
    return strndup(s, len);
}

int remote_parse(const char *url, struct remote *out)
{
    const char *rest, *host, *host_end, *path;
    const char *scheme_end = strstr(url, "://");

    out->host = NULL;
    out->path = NULL;

    if (scheme_end != NULL) {
        rest = scheme_end + 3;
        path = strchr(rest, '/');
        if (path == NULL)
            goto bad;
        host_end = path;
    } else {
        /* scp-like: [user@]host:path, where host has no '/' */
        rest = url;
        host_end = strchr(rest, ':');
        if (host_end == NULL || memchr(rest, '/', host_end - rest) != NULL)
            goto bad;
        path = host_end + 1;
    }

    host = rest;
    {
        const char *at = memchr(rest, '@', (size_t)(host_end - rest));
        if (at != NULL)
            host = at + 1;
    }
    if (scheme_end != NULL) {
        const char *port = memchr(host, ':', (size_t)(host_end - host));
        if (port != NULL)
            host_end = port;
    }
    if (host_end == host || *path == '\0')
        goto bad;

    out->host = copy_lower(host, (size_t)(host_end - host));
    out->path = copy_path(path);
    if (out->host == NULL || out->path == NULL) {
        remote_release(out);
        return error_oom();
    }
    if (out->path[0] == '\0') {
        remote_release(out);
        goto bad;
    }
    return 0;

bad:
    return error_set(SFCI_EINPUT,
                     "cannot read the remote URL '%s': pass --provider "
                     "and --repo",
                     url);
}

int remote_read_origin(struct remote *out)
{
    struct buf url = BUF_INIT;
    char chunk[512];
    size_t n;
    FILE *git;
    int status, rc;

    out->host = NULL;
    out->path = NULL;

    /* A fixed command line: nothing of the user's reaches the shell. */
    git = popen("git config --get remote.origin.url 2>/dev/null", "r");
    if (git == NULL)
        return error_set(SFCI_EINPUT, "cannot run git to find the 'origin' "
                                      "remote: pass --provider and --repo");
    while ((n = fread(chunk, 1, sizeof(chunk), git)) > 0)
        buf_append(&url, chunk, n);
    status = pclose(git);

    while (url.len > 0 && isspace((unsigned char)url.data[url.len - 1]))
        url.data[--url.len] = '\0';
    if (status != 0 || url.len == 0)
        rc = error_set(SFCI_EINPUT,
                       "this folder has no 'origin' remote to guess the CI "
                       "host from: pass --provider (see 'sfci providers')");
    else
        rc = remote_parse(url.data, out);

    buf_release(&url);
    return rc;
}
