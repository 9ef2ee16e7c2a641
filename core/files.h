/*
 * Files on disk: reading, and writing atomically.
 *
 * A file is written to a temporary name beside its target, created with
 * its final mode (never wider), flushed with fsync, and renamed over the
 * target; the folder is then flushed too.  A reader sees the old file or
 * the new one, never a part of either.
 */
#ifndef SFCI_FILES_H
#define SFCI_FILES_H

#include "buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Reads the whole of path into out (appended).  A missing file is
 * SFCI_EINPUT, so the caller can name the file and the fix.
 */
int file_read(const char *path, struct buf *out);

bool file_exists(const char *path);

/* The permission bits of path, or fallback when it cannot be read. */
mode_t file_mode(const char *path, mode_t fallback);

/* Creates path and its missing parents with mode (like mkdir -p). */
int dir_create(const char *path, mode_t mode);

/* Writes one file atomically (temporary name, fsync, rename). */
int file_write_atomic(const char *path, const void *data, size_t len,
                      mode_t mode);

/*
 * A set of files written together: each add() writes and flushes a
 * temporary file, and commit() renames them all into place, so a failure
 * while writing leaves every target as it was.
 */
struct file_batch {
    struct staged_file *files;
    size_t count;
    size_t cap;
};

#define FILE_BATCH_INIT                                                        \
    {                                                                          \
        NULL, 0, 0                                                             \
    }

/* Stages data for path with mode; the target is not touched yet. */
int file_batch_add(struct file_batch *batch, const char *path, const void *data,
                   size_t len, mode_t mode);

/* Renames every staged file into place, in the order they were added. */
int file_batch_commit(struct file_batch *batch);

/* Removes the temporary files that were not committed; frees the batch. */
void file_batch_release(struct file_batch *batch);

#endif
