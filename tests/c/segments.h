/*
 * segments.h: segment files and log directories for the libbinlog C tests.
 *
 * make_dir(name)              creates the directory <tmpdir>/<name> and
 *                             returns its path (a path_of buffer); the
 *                             program stops if it cannot.
 * make_segment(path, n)       a sealed segment of n records "r0".."r<n-1>"
 *                             of type "t"; the program stops on an error.
 * is_segment_of(file, log)    whether the file name `file` is one of log
 *                             `log`'s segments:
 *                             "<log>-<20-digit number>-<16-char stamp>.binlog".
 * segment_path(dir, log, no)  "<dir>/<file>" of segment number `no` of log
 *                             `log` in `dir`, in a static buffer valid until
 *                             the next call; NULL if there is none.
 * write_records(w, n)         n records "payload" of type "t" through
 *                             writer w; the program stops on an error.
 * write_log(log, n, per)      log `log` in tmpdir, left open: n records
 *                             (write_records), `per` a segment, flushed.
 *
 * Include it after check.h and tmpdir.h.
 */
#ifndef BINLOG_TEST_SEGMENTS_H
#define BINLOG_TEST_SEGMENTS_H

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static inline const char *make_dir(const char *name) {
    const char *d = path_of(name);
    REQUIRE(mkdir(d, 0755) == 0);
    return d;
}

static inline void make_segment(const char *path, int n) {
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, NULL, &w));
    for (int i = 0; i < n; i++) {
        char p[16];
        int len = snprintf(p, sizeof p, "r%d", i);
        uint64_t seq;
        REQUIRE_OK(binlog_writer_write(w, LIT("t"), U(p), (size_t)len, &seq));
    }
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static inline int is_segment_of(const char *file, const char *log) {
    size_t n = strlen(log), len = strlen(file);
    if (strncmp(file, log, n) != 0 || file[n] != '-' || len != n + 1 + 20 + 1 + 16 + 7) {
        return 0;
    }
    for (size_t i = n + 1; i < n + 21; i++) {
        if (file[i] < '0' || file[i] > '9') {
            return 0;
        }
    }
    return file[n + 21] == '-' && strcmp(file + len - 7, ".binlog") == 0;
}

static inline const char *segment_path(const char *dir, const char *log, uint64_t no) {
    static char out[1024];
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s-%020llu-", log, (unsigned long long)no);
    DIR *d = opendir(dir);
    if (d == NULL) {
        return NULL;
    }
    const char *found = NULL;
    struct dirent *e;
    while (found == NULL && (e = readdir(d)) != NULL) {
        if (is_segment_of(e->d_name, log) && strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            snprintf(out, sizeof out, "%s/%s", dir, e->d_name);
            found = out;
        }
    }
    closedir(d);
    return found;
}

static inline void write_records(binlog_writer *w, uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("payload"), NULL));
    }
}

static inline binlog_writer *write_log(const char *log, uint64_t n, uint64_t per) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_segment_records(o, per));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(tmpdir, log, o, &w));
    binlog_options_free(o);
    write_records(w, n);
    REQUIRE_OK(binlog_writer_flush(w));
    return w;
}

#endif /* BINLOG_TEST_SEGMENTS_H */
