/*
 * tmpdir.h: a fresh directory for one C test program's files.
 *
 * make_tmpdir()    creates $TMPDIR/binlog-test-XXXXXX (TMPDIR unset or
 *                  empty: /tmp) and removes it (with everything in it)
 *                  at exit; returns 0, or 2 after printing why it could
 *                  not. A test that crashes cannot: make's run-c-tests
 *                  runs them in a TMPDIR of its own, removed at its end.
 * path_of(name)    "<dir>/<name>", in one of 16 rotating static buffers:
 *                  valid until 16 more calls.
 * remove_tmpdir()  removes the directory now (also called at exit).
 * read_file(p, &n) the whole file, malloc'd, its length in n (NULL if it
 *                  cannot be read).
 * tmpdir_removed() removes it now and says whether it is gone.
 * U(s), LIT(s)     a C string as `const uint8_t *`, and as (pointer,
 *                  length without its NUL) for the ABI's byte-string
 *                  arguments.
 *
 * Define _XOPEN_SOURCE 700 before any include (nftw, mkdtemp).
 */
#ifndef BINLOG_TEST_TMPDIR_H
#define BINLOG_TEST_TMPDIR_H

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define U(s) ((const uint8_t *)(s))
#define LIT(s) U(s), (sizeof(s) - 1)

static char tmpdir[256];
static int tmpdir_made;

static inline int tmpdir_remove_entry_(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static inline void remove_tmpdir(void) {
    if (tmpdir_made) {
        nftw(tmpdir, tmpdir_remove_entry_, 16, FTW_DEPTH | FTW_PHYS);
        tmpdir_made = 0;
    }
}

static inline int tmpdir_removed(void) {
    remove_tmpdir();
    return access(tmpdir, F_OK) != 0;
}

static inline int make_tmpdir(void) {
    const char *under = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/binlog-test-XXXXXX", under && *under ? under : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    tmpdir_made = 1;
    atexit(remove_tmpdir);
    return 0;
}

static inline const char *path_of(const char *name) {
    static char bufs[16][512];
    static unsigned next;
    char *b = bufs[next++ % 16];
    snprintf(b, sizeof bufs[0], "%s/%s", tmpdir, name);
    return b;
}

/* The whole file at `path`, malloc'd, its length in `*len` (NULL if it
 * cannot be read). */
static inline uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf != NULL && n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

#endif
