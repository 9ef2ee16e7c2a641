/*
 * Helpers shared by the unit tests: a throw-away project folder to chdir
 * into, and small file helpers.  Header-only; each test includes it once.
 */
#ifndef SFCI_TESTUTIL_H
#define SFCI_TESTUTIL_H

#define _XOPEN_SOURCE 700 /* nftw() */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct scratch {
    char path[64];
    char previous[PATH_MAX];
};

/* Makes a new empty folder and changes into it. */
static inline void scratch_enter(struct scratch *s)
{
    strcpy(s->path, "/tmp/sfci-test-XXXXXX");
    assert_non_null(mkdtemp(s->path));
    assert_non_null(getcwd(s->previous, sizeof(s->previous)));
    assert_int_equal(chdir(s->path), 0);
}

static inline int scratch_remove_one(const char *path, const struct stat *st,
                                     int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Goes back and removes the folder with everything in it. */
static inline void scratch_leave(struct scratch *s)
{
    assert_int_equal(chdir(s->previous), 0);
    nftw(s->path, scratch_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes text to path, creating its folders. */
static inline void write_text(const char *path, const char *text)
{
    char folder[PATH_MAX];
    char *slash;
    FILE *f;

    snprintf(folder, sizeof(folder), "%s", path);
    for (slash = strchr(folder + 1, '/'); slash != NULL;
         slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        mkdir(folder, 0755);
        *slash = '/';
    }
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* The whole of path as a malloc'd string, or NULL if it cannot be read. */
static inline char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    char *text;
    long len;

    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    rewind(f);
    text = calloc(1, (size_t)len + 1);
    assert_non_null(text);
    assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    return text;
}

static inline mode_t mode_of(const char *path)
{
    struct stat st;

    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* The number of entries in folder, "." and ".." left out. */
static inline int entries_in(const char *folder)
{
    char command[PATH_MAX + 64];
    FILE *p;
    int n = -1;

    snprintf(command, sizeof(command), "ls -A '%s' | wc -l", folder);
    p = popen(command, "r");
    assert_non_null(p);
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return n;
}

#endif
