/*
 * test_path_once.c: an error message names its file (or log directory)
 * exactly once: refused batches of a segment's and a log's writer (bad
 * entries found by the C layer and by the core), a file that is not a
 * segment, a damaged record a reader stops at, a log another writer holds,
 * a closed log, and a segment of another log named as the log's.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"

/* How many times `needle` occurs in `s`. */
static unsigned occurrences(const char *s, const char *needle) {
    unsigned n = 0;
    for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

/* The last error names `path` exactly once. */
#define CHECK_NAMED_ONCE(path)                                                                     \
    do {                                                                                           \
        if (!CHECK(occurrences(binlog_last_error(), (path)) == 1)) {                               \
            fprintf(stderr, "    path \"%s\" in \"%s\"\n", (path), binlog_last_error());           \
        }                                                                                          \
    } while (0)

static uint8_t big[4096];

/* Entry 1 of 2 is refused four ways: too large (the core), a type name
 * that is not UTF-8, a NULL payload with a length, a NULL metadata array
 * with a count (the C layer). */
static void refused_batches_name_once(binlog_writer *w, const char *named) {
    binlog_entry e[2] = {
        {.type_name = U("t"), .type_len = 1, .payload = big, .payload_len = 5,
         .timestamp_ns = BINLOG_TIME_NOW},
        {.type_name = U("t"), .type_len = 1, .payload = big, .payload_len = sizeof big,
         .timestamp_ns = BINLOG_TIME_NOW},
    };
    CHECK_ERR(binlog_writer_write_batch(w, e, 2, NULL), BINLOG_ERR_RECORD_TOO_LARGE, "entry 1 of 2");
    CHECK_NAMED_ONCE(named);
    e[1].payload_len = 5;
    e[1].type_name = U("\xff");
    CHECK_ERR(binlog_writer_write_batch(w, e, 2, NULL), BINLOG_ERR_INVALID_UTF8, "entry 1 of 2");
    CHECK_NAMED_ONCE(named);
    e[1].type_name = U("t");
    e[1].payload = NULL;
    CHECK_ERR(binlog_writer_write_batch(w, e, 2, NULL), BINLOG_ERR_NULL_POINTER, "entry 1 of 2");
    CHECK_NAMED_ONCE(named);
    e[1].payload = big;
    e[1].meta_count = 1;
    CHECK_ERR(binlog_writer_write_batch(w, e, 2, NULL), BINLOG_ERR_NULL_POINTER, "entry 1 of 2");
    CHECK_NAMED_ONCE(named);
    CHECK_ERR(binlog_writer_write_batch(w, NULL, 2, NULL), BINLOG_ERR_NULL_POINTER, "entries");
    CHECK_NAMED_ONCE(named);
}

static binlog_options *small_records(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_record_size(o, 1024));
    return o;
}

static void test_a_segment_writers_refused_batch_names_its_file_once(void) {
    const char *path = path_of("seg.binlog");
    binlog_options *o = small_records();
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, o, &w));
    binlog_options_free(o);
    refused_batches_name_once(w, path);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static void test_a_logs_refused_batch_names_it_once(void) {
    const char *dir = path_of("log");
    binlog_options *o = small_records();
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "ev", o, &w));
    binlog_options_free(o);
    /* The log directory, which the segment's path starts with. */
    refused_batches_name_once(w, dir);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* Opening a file that is no segment, and reading a damaged record. */
static void test_open_and_read_errors_name_the_file_once(void) {
    const char *bad = path_of("bad.binlog");
    FILE *f = fopen(bad, "wb");
    REQUIRE(f != NULL);
    fputs("this is not a libbinlog segment, but it is long enough to look at", f);
    fclose(f);
    binlog_reader *r = NULL;
    CHECK_ERR(binlog_reader_open(bad, &r), BINLOG_ERR_NOT_A_BINLOG, NULL);
    CHECK_NAMED_ONCE(bad);

    const char *path = path_of("damaged.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, NULL, &w));
    uint64_t seq;
    for (int i = 0; i < 4; i++) {
        REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("payload"), &seq));
    }
    REQUIRE_OK(binlog_writer_flush(w));
    REQUIRE_OK(binlog_reader_open(path, &r));
    binlog_record rec;
    REQUIRE_OK(binlog_reader_next(r, &rec));
    REQUIRE_OK(binlog_reader_next(r, &rec)); /* the second record's offset */
    uint64_t second = rec.offset;
    binlog_reader_free(r);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    /* Zero the second record's CRC: valid records follow, so it is
     * damage in the middle. */
    size_t n = 0;
    uint8_t *b = read_file(path, &n);
    REQUIRE(b != NULL && second + 4 < n);
    memset(b + second, 0, 4);
    f = fopen(path, "wb");
    REQUIRE(f != NULL && fwrite(b, 1, n, f) == n);
    fclose(f);
    free(b);
    REQUIRE_OK(binlog_reader_open(path, &r));
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_ERR(binlog_reader_next(r, &rec), BINLOG_ERR_CORRUPT, "offset");
    CHECK_NAMED_ONCE(path);
    binlog_reader_free(r);
}

/* Opening a log another writer holds, and one holding a segment of
 * another log under its name. */
static void test_log_open_errors_name_the_file_once(void) {
    const char *dir = path_of("held");
    binlog_writer *w = NULL, *w2 = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "ev", NULL, &w));
    CHECK_ERR(binlog_writer_open_log(dir, "ev", NULL, &w2), BINLOG_ERR_LOCKED, "ev.lock");
    CHECK_NAMED_ONCE(dir);
    CHECK_OK(binlog_writer_close(w));
    CHECK_ERR(binlog_writer_write(w, LIT("t"), LIT("x"), NULL), BINLOG_ERR_CLOSED, NULL);
    CHECK_NAMED_ONCE(dir);
    binlog_writer_free(w);

    /* A standalone segment renamed into the log as its segment 9. */
    const char *alien = path_of("held/ev-00000000000000000009-20261123T000000Z.binlog");
    REQUIRE_OK(binlog_writer_open(alien, NULL, &w));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_ERR(binlog_writer_open_log(dir, "ev", NULL, &w), BINLOG_ERR_WRONG_LOG, NULL);
    CHECK_NAMED_ONCE(alien);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_segment_writers_refused_batch_names_its_file_once();
    test_a_logs_refused_batch_names_it_once();
    test_open_and_read_errors_name_the_file_once();
    test_log_open_errors_name_the_file_once();
    return (int)check_summary();
}
