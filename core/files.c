#include "files.h"

#include "errors.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct staged_file {
    char *path;
    char *temp;
};

int file_read(const char *path, struct buf *out)
{
    char chunk[8192];
    ssize_t n;
    int fd, rc = 0;

    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return error_set(SFCI_EINPUT, "'%s' does not exist", path);
        return error_set(SFCI_EFAIL, "cannot open '%s': %s", path,
                         strerror(errno));
    }

    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = error_set(SFCI_EFAIL, "cannot read '%s': %s", path,
                           strerror(errno));
            break;
        }
        rc = buf_append(out, chunk, (size_t)n);
        if (rc < 0)
            break;
    }

    secret_wipe(chunk, sizeof(chunk));
    close(fd);
    return rc;
}

bool file_exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

mode_t file_mode(const char *path, mode_t fallback)
{
    struct stat st;

    return stat(path, &st) == 0 ? st.st_mode & 07777 : fallback;
}

int dir_create(const char *path, mode_t mode)
{
    char *copy, *p;
    int rc = 0;

    copy = strdup(path);
    if (copy == NULL)
        return error_oom();

    /* Create each parent in turn; existing ones are fine. */
    for (p = copy + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(copy, mode) < 0 && errno != EEXIST) {
            rc = error_set(SFCI_EFAIL, "cannot create folder '%s': %s", copy,
                           strerror(errno));
            break;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }

    free(copy);
    return rc;
}

/* The folder part of path, for fsync after a rename. */
static int parent_sync(const char *path)
{
    char *copy, *slash;
    int fd;

    copy = strdup(path);
    if (copy == NULL)
        return error_oom();
    slash = strrchr(copy, '/');
    if (slash == NULL)
        strcpy(copy, ".");
    else if (slash == copy)
        slash[1] = '\0';
    else
        *slash = '\0';

    fd = open(copy, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return 0; /* the rename is done; only durability is at stake */
    fsync(fd);
    close(fd);
    return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes data to a new temporary file beside path; returns its name. */
static int temp_write(const char *path, const void *data, size_t len,
                      mode_t mode, char **temp_out)
{
    struct buf temp = BUF_INIT;
    int fd = -1, rc;

    *temp_out = NULL;
    rc = buf_printf(&temp, "%s.sfci-XXXXXX", path);
    if (rc < 0)
        goto out;

    fd = mkstemp(temp.data);
    if (fd < 0) {
        rc = error_set(SFCI_EFAIL, "cannot create a file beside '%s': %s", path,
                       strerror(errno));
        goto out;
    }
    if (fchmod(fd, mode) < 0 || write_all(fd, data, len) < 0 || fsync(fd) < 0) {
        rc = error_set(SFCI_EFAIL, "cannot write '%s': %s", path,
                       strerror(errno));
        unlink(temp.data);
        goto out;
    }
    *temp_out = buf_detach(&temp);
    if (*temp_out == NULL)
        rc = error_oom();

out:
    if (fd >= 0 && close(fd) < 0 && rc == 0) {
        rc = error_set(SFCI_EFAIL, "cannot write '%s': %s", path,
                       strerror(errno));
        unlink(*temp_out);
        free(*temp_out);
        *temp_out = NULL;
    }
    buf_release(&temp);
    return rc;
}

int file_write_atomic(const char *path, const void *data, size_t len,
                      mode_t mode)
{
    struct file_batch batch = FILE_BATCH_INIT;
    int rc;

    rc = file_batch_add(&batch, path, data, len, mode);
    if (rc == 0)
        rc = file_batch_commit(&batch);
    file_batch_release(&batch);
    return rc;
}

int file_batch_add(struct file_batch *batch, const char *path, const void *data,
                   size_t len, mode_t mode)
{
    struct staged_file *file;
    int rc;

    if (batch->count == batch->cap) {
        size_t cap = batch->cap ? batch->cap * 2 : 8;
        struct staged_file *files = realloc(batch->files, cap * sizeof(*files));
        if (files == NULL)
            return error_oom();
        batch->files = files;
        batch->cap = cap;
    }

    file = &batch->files[batch->count];
    file->path = strdup(path);
    if (file->path == NULL)
        return error_oom();
    rc = temp_write(path, data, len, mode, &file->temp);
    if (rc < 0) {
        free(file->path);
        return rc;
    }
    batch->count++;
    return 0;
}

int file_batch_commit(struct file_batch *batch)
{
    size_t i;

    for (i = 0; i < batch->count; i++) {
        struct staged_file *file = &batch->files[i];

        if (file->temp == NULL)
            continue;
        if (rename(file->temp, file->path) < 0)
            return error_set(SFCI_EFAIL, "cannot replace '%s': %s", file->path,
                             strerror(errno));
        free(file->temp);
        file->temp = NULL;
        parent_sync(file->path);
    }
    return 0;
}

void file_batch_release(struct file_batch *batch)
{
    size_t i;

    for (i = 0; i < batch->count; i++) {
        if (batch->files[i].temp != NULL) {
            unlink(batch->files[i].temp);
            free(batch->files[i].temp);
        }
        free(batch->files[i].path);
    }
    free(batch->files);
    batch->files = NULL;
    batch->count = 0;
    batch->cap = 0;
}
