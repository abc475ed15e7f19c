/*
 * test_retention_setters.c: the named retention setters
 * (binlog_options_set_retention_max_segments, _max_bytes, _max_age_ms)
 * each set one limit and leave the others as they were, and
 * binlog_options_set_retention, their shorthand, sets all three.
 * (Retention by age, measured with an injected clock, is in
 * test_log_clock.c.)
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define ROLLS 4

/* Opens log "ret" in <tmpdir>/<name> with `o`, writes a record into each
 * of ROLLS segments and rolls after each (ROLLS sealed, one active), and
 * returns how many of the sealed segments are left. */
static uint64_t sealed_left(const char *name, binlog_options *o) {
    const char *dir = path_of(name);
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "ret", o, &w));
    for (int i = 0; i < ROLLS; i++) {
        REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("payload"), NULL));
        REQUIRE_OK(binlog_writer_roll(w));
    }
    uint64_t left = 0;
    for (uint64_t no = 0; no < ROLLS; no++) {
        left += segment_path(dir, "ret", no) != NULL;
    }
    CHECK(segment_path(dir, "ret", ROLLS) != NULL); /* the active one stays */
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    return left;
}

static binlog_options *new_options(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    return o;
}

static void test_max_segments_keeps_the_newest(void) {
    binlog_options *o = new_options();
    CHECK_OK(binlog_options_set_retention_max_segments(o, 2));
    CHECK_EQ_U(sealed_left("segments", o), 2);
    binlog_options_free(o);
}

static void test_max_bytes_keeps_none_above_it(void) {
    binlog_options *o = new_options();
    CHECK_OK(binlog_options_set_retention_max_bytes(o, 1)); /* every segment is larger */
    CHECK_EQ_U(sealed_left("bytes", o), 0);
    binlog_options_free(o);
}

/* One setter leaves the other limits as they were; the shorthand sets all
 * three (0: no limit). */
static void test_each_setter_sets_one_limit(void) {
    binlog_options *o = new_options();
    CHECK_OK(binlog_options_set_retention_max_bytes(o, 1));
    CHECK_OK(binlog_options_set_retention_max_segments(o, 3));
    CHECK_OK(binlog_options_set_retention_max_age_ms(o, 0));
    CHECK_EQ_U(sealed_left("one-each", o), 0); /* the byte limit stayed */
    CHECK_OK(binlog_options_set_retention(o, 3, 0, 0));
    CHECK_EQ_U(sealed_left("shorthand", o), 3); /* the byte limit is gone */
    CHECK_OK(binlog_options_set_retention_max_segments(o, 0));
    CHECK_EQ_U(sealed_left("none", o), ROLLS);
    binlog_options_free(o);
}

static void test_bad_arguments(void) {
    CHECK_ERR(binlog_options_set_retention_max_segments(NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_retention_max_bytes(NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_retention_max_age_ms(NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    /* Log-only options: a segment writer refuses them. */
    binlog_options *o = new_options();
    CHECK_OK(binlog_options_set_retention_max_age_ms(o, 1000));
    binlog_writer *w = NULL;
    CHECK_ERR(binlog_writer_open(path_of("plain.binlog"), o, &w), BINLOG_ERR_INVALID_ARGUMENT,
              "retention");
    binlog_options_free(o);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_max_segments_keeps_the_newest();
    test_max_bytes_keeps_none_above_it();
    test_each_setter_sets_one_limit();
    test_bad_arguments();
    return (int)check_summary();
}
