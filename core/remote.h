/*
 * The Git remote a project was cloned from, split into host and path, so
 * the CLI can guess the CI host and the repository when --provider and
 * --repo are not given.
 */
#ifndef SFCI_REMOTE_H
#define SFCI_REMOTE_H

struct remote {
    char *host; /* "github.com", lower case, no user or port */
    char *path; /* "acme/app": no leading '/', no trailing ".git" or '/' */
};

/*
 * Splits a remote URL: https://host/path, ssh://user@host:port/path,
 * user@host:path (scp-like) or git://host/path.  SFCI_EINPUT for
 * anything else.  out is cleared on entry; remote_release() frees it.
 */
int remote_parse(const char *url, struct remote *out);

/*
 * Reads the URL of remote 'origin' of the repository in the current
 * folder (git config remote.origin.url) and parses it.  SFCI_EINPUT when
 * there is no such remote.
 */
int remote_read_origin(struct remote *out);

void remote_release(struct remote *remote);

#endif
