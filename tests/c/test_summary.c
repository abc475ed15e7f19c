/*
 * test_summary.c: binlog_summary_* of the C ABI. A summary of a log
 * directory, a segment file, a reader from where it stands and a merged
 * reader: totals, types in the order of their first records with their
 * names, counts, bytes and first and last records; an empty segment's
 * zeros; a type past the count, NULL arguments and a missing path refused
 * with their codes, outputs untouched.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

static void test_a_log_directory_and_a_reader_from_where_it_stands(void) {
    const char *dir = make_dir("log");
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_segment_records(o, 4));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "orders", o, &w));
    binlog_options_free(o);
    write_records(w, 10);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    binlog_summary *s = NULL;
    REQUIRE_OK(binlog_summary_open(dir, &s));
    binlog_totals t;
    CHECK_OK(binlog_summary_totals(s, &t));
    CHECK_EQ_U(t.records, 10);
    CHECK_EQ_U(t.payload_bytes, 70);
    CHECK(t.bytes > t.payload_bytes);
    CHECK_EQ_U(t.first_seq, 0);
    CHECK_EQ_U(t.last_seq, 9);
    CHECK(t.min_ns <= t.max_ns && t.min_ns > 0);
    size_t n = 0;
    CHECK_OK(binlog_summary_type_count(s, &n));
    CHECK_EQ_U(n, 1);
    binlog_type_summary ts;
    CHECK_OK(binlog_summary_type(s, 0, &ts));
    CHECK_STR(ts.name, ts.name_len, "t");
    CHECK(ts.name[ts.name_len] == '\0');
    CHECK_EQ_U(ts.records, 10);
    CHECK_EQ_U(ts.bytes, t.bytes);
    CHECK_EQ_U(ts.last_seq, 9);
    ts.records = 77;
    CHECK_ERR(binlog_summary_type(s, 1, &ts), BINLOG_ERR_INVALID_ARGUMENT, "type 1");
    CHECK_EQ_U(ts.records, 77);
    binlog_summary_free(s);

    /* A reader three records in: the rest. */
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "orders", &r));
    binlog_record rec;
    for (int i = 0; i < 3; i++) {
        REQUIRE_OK(binlog_reader_next(r, &rec));
    }
    REQUIRE_OK(binlog_summary_of_reader(r, &s));
    CHECK_OK(binlog_summary_totals(s, &t));
    CHECK_EQ_U(t.records, 7);
    CHECK_EQ_U(t.first_seq, 3);
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    binlog_summary_free(s);
    binlog_reader_free(r);

    /* Two logs merged. */
    REQUIRE_OK(binlog_writer_open_log(dir, "refunds", NULL, &w));
    write_records(w, 2);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_merged_reader *m = NULL;
    REQUIRE_OK(binlog_merged_reader_open(dir, NULL, NULL, &m));
    REQUIRE_OK(binlog_summary_of_merged(m, &s));
    CHECK_OK(binlog_summary_totals(s, &t));
    CHECK_EQ_U(t.records, 12);
    binlog_summary_free(s);
    binlog_merged_reader_free(m);
    /* A directory of two logs is not one log. */
    s = NULL;
    CHECK_ERR(binlog_summary_open(dir, &s), BINLOG_ERR_INVALID_ARGUMENT, "name one");
    CHECK(s == NULL);
}

static void test_a_segment_per_type_and_an_empty_one(void) {
    const char *path = path_of("types.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, NULL, &w));
    REQUIRE_OK(binlog_writer_write(w, LIT("b"), LIT("xyz"), NULL));
    REQUIRE_OK(binlog_writer_write(w, LIT("a"), LIT(""), NULL));
    REQUIRE_OK(binlog_writer_write(w, LIT("b"), LIT("12345"), NULL));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_summary *s = NULL;
    REQUIRE_OK(binlog_summary_open(path, &s));
    size_t n = 0;
    CHECK_OK(binlog_summary_type_count(s, &n));
    CHECK_EQ_U(n, 2);
    binlog_type_summary b, a;
    CHECK_OK(binlog_summary_type(s, 0, &b));
    CHECK_OK(binlog_summary_type(s, 1, &a));
    CHECK_STR(b.name, b.name_len, "b");
    CHECK_STR(a.name, a.name_len, "a");
    CHECK_EQ_U(b.records, 2);
    CHECK_EQ_U(b.payload_bytes, 8);
    CHECK_EQ_U(b.first_seq, 0);
    CHECK_EQ_U(b.last_seq, 2);
    CHECK(b.first_ns <= b.last_ns);
    CHECK_EQ_U(a.first_seq, 1);
    CHECK_EQ_U(a.last_seq, 1);
    binlog_summary_free(s);

    const char *empty = path_of("empty.binlog");
    make_segment(empty, 0);
    REQUIRE_OK(binlog_summary_open(empty, &s));
    binlog_totals t;
    memset(&t, 0xff, sizeof t);
    CHECK_OK(binlog_summary_totals(s, &t));
    CHECK_EQ_U(t.records, 0);
    CHECK_EQ_U(t.last_seq, 0);
    CHECK_EQ_I(t.max_ns, 0);
    CHECK_OK(binlog_summary_type_count(s, &n));
    CHECK_EQ_U(n, 0);
    binlog_summary_free(s);
}

/* A log opened and closed with no record has no segment: a log still, every
 * count 0. */
static void test_a_log_with_no_segment_is_all_zeros(void) {
    const char *dir = make_dir("idle");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "idle", NULL, &w));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_summary *s = NULL;
    REQUIRE_OK(binlog_summary_open(dir, &s));
    binlog_totals t;
    memset(&t, 0xff, sizeof t);
    CHECK_OK(binlog_summary_totals(s, &t));
    CHECK_EQ_U(t.records, 0);
    CHECK_EQ_U(t.bytes, 0);
    binlog_summary_free(s);
}

static void test_bad_arguments_are_refused(void) {
    binlog_summary *s = NULL;
    CHECK_ERR(binlog_summary_open(NULL, &s), BINLOG_ERR_NULL_POINTER, "path");
    CHECK_ERR(binlog_summary_open(path_of("nothing-here"), &s), BINLOG_ERR_NOT_FOUND, "nothing-here");
    CHECK(s == NULL);
    CHECK_ERR(binlog_summary_open(tmpdir, NULL), BINLOG_ERR_NULL_POINTER, "out");
    CHECK_ERR(binlog_summary_of_reader(NULL, &s), BINLOG_ERR_NULL_POINTER, "reader");
    CHECK_ERR(binlog_summary_of_merged(NULL, &s), BINLOG_ERR_NULL_POINTER, "reader");
    binlog_totals t;
    size_t n;
    binlog_type_summary ts;
    CHECK_ERR(binlog_summary_totals(NULL, &t), BINLOG_ERR_NULL_POINTER, "summary");
    CHECK_ERR(binlog_summary_type_count(NULL, &n), BINLOG_ERR_NULL_POINTER, "summary");
    CHECK_ERR(binlog_summary_type(NULL, 0, &ts), BINLOG_ERR_NULL_POINTER, "summary");
    binlog_summary_free(NULL);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_log_directory_and_a_reader_from_where_it_stands();
    test_a_segment_per_type_and_an_empty_one();
    test_a_log_with_no_segment_is_all_zeros();
    test_bad_arguments_are_refused();
    return (int)check_summary();
}
