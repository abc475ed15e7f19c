/*
 * test_verify.c: binlog_verify_open / _next / _counts / _free, the
 * findings of a verification: a clean sealed segment gives none; a damaged
 * record gives one CORRUPT finding naming the file, the offset, the
 * sequence numbers lost and the SALVAGE repair; an empty file is a
 * TRUNCATED header; a log directory whose middle segment is gone gives
 * MISSING_RECORDS naming the next segment; outputs are written only on
 * success; bad arguments are refused with the right code;
 * binlog_verify_free accepts NULL.
 *
 * Every file lives in a fresh mkdtemp directory under /tmp, removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define PTR_SENTINEL(T) ((T *)(uintptr_t)0x5e5e5e50)

/* Flips a bit of the first occurrence of `needle` in the file at `path`;
 * returns its offset. */
static long flip_in_file(const char *path, const char *needle) {
    static char buf[1 << 16];
    FILE *f = fopen(path, "r+b");
    REQUIRE(f != NULL);
    size_t n = fread(buf, 1, sizeof buf, f);
    char *at = memmem(buf, n, needle, strlen(needle));
    REQUIRE(at != NULL);
    long off = (long)(at - buf);
    REQUIRE(fseek(f, off, SEEK_SET) == 0);
    REQUIRE(fputc(*at ^ 0x01, f) != EOF);
    REQUIRE(fclose(f) == 0);
    return off;
}

static void test_a_clean_segment_gives_no_finding(void) {
    const char *p = path_of("clean.binlog");
    make_segment(p, 5);
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(p, NULL, &v));
    binlog_finding f;
    memset(&f, 0x5e, sizeof f);
    binlog_finding before = f;
    CHECK_RC(binlog_verify_next(v, &f), BINLOG_END);
    CHECK(memcmp(&before, &f, sizeof f) == 0);
    uint64_t segments = 0, records = 0;
    CHECK_OK(binlog_verify_counts(v, &segments, &records));
    CHECK_EQ_U(segments, 1);
    CHECK_EQ_U(records, 5);
    binlog_verify_free(v);
}

static void test_a_damaged_record_is_corruption_with_its_place_and_numbers(void) {
    const char *p = path_of("damaged.binlog");
    make_segment(p, 5);
    long at = flip_in_file(p, "r2");
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(p, NULL, &v));
    binlog_finding f;
    REQUIRE_OK(binlog_verify_next(v, &f));
    CHECK_EQ_U(f.kind, BINLOG_FINDING_CORRUPT);
    CHECK(f.damage);
    CHECK_EQ_U(f.repair, BINLOG_REPAIR_SALVAGE);
    CHECK(strcmp(f.location, p) == 0);
    CHECK(f.has_offset);
    CHECK(f.offset < (uint64_t)at && f.len > 0);
    CHECK(f.has_seq);
    CHECK_EQ_U(f.from_seq, 2);
    CHECK_EQ_U(f.to_seq, 3);
    CHECK_CONTAINS(f.message, p);
    CHECK_RC(binlog_verify_next(v, &f), BINLOG_END);
    uint64_t records = 0;
    CHECK_OK(binlog_verify_counts(v, NULL, &records));
    CHECK_EQ_U(records, 4);
    binlog_verify_free(v);
}

static void test_an_empty_file_is_a_truncated_header(void) {
    const char *p = path_of("empty.binlog");
    FILE *f0 = fopen(p, "wb");
    REQUIRE(f0 != NULL && fclose(f0) == 0);
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(p, NULL, &v));
    binlog_finding f;
    REQUIRE_OK(binlog_verify_next(v, &f));
    CHECK_EQ_U(f.kind, BINLOG_FINDING_TRUNCATED);
    CHECK(f.damage);
    CHECK_EQ_U(f.repair, BINLOG_REPAIR_NOTHING);
    CHECK_RC(binlog_verify_next(v, &f), BINLOG_END);
    binlog_verify_free(v);
}

static void test_a_segment_missing_from_a_log_is_named(void) {
    binlog_writer *w = write_log("gap", 9, 3);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    const char *middle = segment_path(tmpdir, "gap", 1);
    REQUIRE(middle != NULL && remove(middle) == 0);
    char last[1024];
    snprintf(last, sizeof last, "%s", segment_path(tmpdir, "gap", 2));
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(tmpdir, "gap", &v));
    binlog_finding f;
    REQUIRE_OK(binlog_verify_next(v, &f));
    CHECK_EQ_U(f.kind, BINLOG_FINDING_MISSING_RECORDS);
    CHECK(f.damage);
    CHECK(strcmp(f.location, last) == 0);
    CHECK(f.has_seq);
    CHECK_EQ_U(f.from_seq, 3);
    CHECK_EQ_U(f.to_seq, 6);
    CHECK_CONTAINS(f.message, "records 3..5 are missing");
    CHECK_RC(binlog_verify_next(v, &f), BINLOG_END);
    uint64_t segments = 0;
    CHECK_OK(binlog_verify_counts(v, &segments, NULL));
    CHECK_EQ_U(segments, 2);
    binlog_verify_free(v);
}

static void test_bad_arguments_are_refused_and_outputs_untouched(void) {
    binlog_verify *v = PTR_SENTINEL(binlog_verify);
    CHECK_ERR(binlog_verify_open(NULL, NULL, &v), BINLOG_ERR_NULL_POINTER, "path");
    CHECK_ERR(binlog_verify_open(tmpdir, "gap", NULL), BINLOG_ERR_NULL_POINTER, "out");
    const char *none = make_dir("none");
    CHECK_ERR(binlog_verify_open(none, NULL, &v), BINLOG_ERR_NOT_FOUND, "no segment");
    CHECK_ERR(binlog_verify_open(tmpdir, "absent", &v), BINLOG_ERR_NOT_FOUND,
              "no segment of log absent");
    CHECK(v == PTR_SENTINEL(binlog_verify));
    binlog_finding f;
    CHECK_ERR(binlog_verify_next(NULL, &f), BINLOG_ERR_NULL_POINTER, "verify");
    REQUIRE_OK(binlog_verify_open(tmpdir, "gap", &v));
    CHECK_ERR(binlog_verify_next(v, NULL), BINLOG_ERR_NULL_POINTER, "out");
    CHECK_ERR(binlog_verify_counts(NULL, NULL, NULL), BINLOG_ERR_NULL_POINTER, "verify");
    binlog_verify_free(v);
    binlog_verify_free(NULL);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_clean_segment_gives_no_finding();
    test_a_damaged_record_is_corruption_with_its_place_and_numbers();
    test_an_empty_file_is_a_truncated_header();
    test_a_segment_missing_from_a_log_is_named();
    test_bad_arguments_are_refused_and_outputs_untouched();
    return (int)check_summary();
}
