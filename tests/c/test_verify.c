/*
 * test_verify.c: binlog_verify_open / _next / _counts / _free, the
 * findings of a verification: a clean sealed segment gives none; a damaged
 * record gives one CORRUPT finding naming the file, the offset, the
 * sequence numbers lost and the SALVAGE repair; an empty file is a
 * TRUNCATED header; a log directory whose middle segment is gone gives
 * MISSING_RECORDS naming the next segment; a log's manifest that fails
 * its check is a MANIFEST_UNUSED note while segment files hold the log's
 * position and MANIFEST_DAMAGED damage once none is left; findings past
 * BINLOG_VERIFY_MAX_FINDINGS of a segment are counted by one NOT_LISTED;
 * binlog_finding_kind_name and binlog_repair_action_name name every kind
 * and action as `binlog verify` does, NULL for a number that is none;
 * outputs are written only on success; bad arguments are refused with the
 * right code; binlog_verify_free accepts NULL.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _GNU_SOURCE

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Flips a bit in the middle of the file at `path`. */
static void flip_middle(const char *path) {
    FILE *f = fopen(path, "r+b");
    REQUIRE(f != NULL);
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    long mid = ftell(f) / 2;
    REQUIRE(fseek(f, mid, SEEK_SET) == 0);
    int c = fgetc(f);
    REQUIRE(c != EOF && fseek(f, mid, SEEK_SET) == 0);
    REQUIRE(fputc(c ^ 0x01, f) != EOF);
    REQUIRE(fclose(f) == 0);
}

/* Verifies log `log` in tmpdir: its only finding is of `kind`, about
 * `location`, damage or not, its message holding `needle`; `segments`
 * segments verified. */
static void only_finding(const char *log, binlog_finding_kind kind, const char *location, bool damage,
                         const char *needle, uint64_t segments) {
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(tmpdir, log, &v));
    binlog_finding f;
    REQUIRE_OK(binlog_verify_next(v, &f));
    CHECK_EQ_U(f.kind, kind);
    CHECK(f.damage == damage);
    CHECK_EQ_U(f.repair, BINLOG_REPAIR_NOTHING);
    CHECK(strcmp(f.location, location) == 0);
    CHECK_CONTAINS(f.message, location);
    CHECK_CONTAINS(f.message, needle);
    CHECK_RC(binlog_verify_next(v, &f), BINLOG_END);
    uint64_t done = 99;
    CHECK_OK(binlog_verify_counts(v, &done, NULL));
    CHECK_EQ_U(done, segments);
    binlog_verify_free(v);
}

static void test_a_damaged_manifest_is_a_note_or_the_damage_of_an_unknown_position(void) {
    binlog_writer *w = write_log("man", 6, 3);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    char manifest[1024];
    snprintf(manifest, sizeof manifest, "%s/man.manifest", tmpdir);
    flip_middle(manifest);
    /* The segment files hold the position: a note, the writer rewrites it. */
    only_finding("man", BINLOG_FINDING_MANIFEST_UNUSED, manifest, false, "rewritten", 2);
    /* None left: the only record of the position, which a writer refuses. */
    const char *s;
    while ((s = segment_path(tmpdir, "man", 0)) != NULL || (s = segment_path(tmpdir, "man", 1)) != NULL) {
        REQUIRE(remove(s) == 0);
    }
    only_finding("man", BINLOG_FINDING_MANIFEST_DAMAGED, manifest, true,
                 "only record of the log's position", 0);
}

/* Damages the payload of every other of the `n` records "r0".."r<n-1>"
 * make_segment wrote to `path`, each found after the one before (the seal,
 * after them all, is left whole): n / 2 records damaged, apart. */
static void damage_every_other_record(const char *path, int n) {
    FILE *f = fopen(path, "r+b");
    REQUIRE(f != NULL);
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    long len = ftell(f);
    char *buf = malloc((size_t)len);
    REQUIRE(buf != NULL && fseek(f, 0, SEEK_SET) == 0);
    REQUIRE(fread(buf, 1, (size_t)len, f) == (size_t)len);
    char *at = buf;
    for (int i = 0; i < n; i++) {
        char payload[16];
        int k = snprintf(payload, sizeof payload, "r%d", i);
        at = memmem(at, (size_t)(buf + len - at), payload, (size_t)k);
        REQUIRE(at != NULL);
        if (i % 2 == 0) {
            at[1] ^= 0x40;
        }
        at += k;
    }
    REQUIRE(fseek(f, 0, SEEK_SET) == 0);
    REQUIRE(fwrite(buf, 1, (size_t)len, f) == (size_t)len);
    REQUIRE(fclose(f) == 0);
    free(buf);
}

static void test_findings_past_the_cap_are_counted_by_one_finding(void) {
    const char *p = path_of("everywhere.binlog");
    make_segment(p, 2400);
    damage_every_other_record(p, 2400);
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(p, NULL, &v));
    binlog_finding f;
    uint64_t listed = 0;
    binlog_result rc;
    while ((rc = binlog_verify_next(v, &f)) == BINLOG_OK && f.kind != BINLOG_FINDING_NOT_LISTED) {
        listed++;
    }
    REQUIRE_OK(rc);
    CHECK_EQ_U(listed, BINLOG_VERIFY_MAX_FINDINGS);
    CHECK(f.damage);
    CHECK(!f.has_offset && !f.has_seq);
    CHECK(strcmp(f.location, p) == 0);
    /* 1200 records damaged apart, each its own region. */
    CHECK(f.len >= 1200 - BINLOG_VERIFY_MAX_FINDINGS);
    char count[32];
    snprintf(count, sizeof count, "%llu more findings", (unsigned long long)f.len);
    CHECK_CONTAINS(f.message, count);
    CHECK_RC(binlog_verify_next(v, &f), BINLOG_END);
    binlog_verify_free(v);
}

static void test_every_kind_and_action_has_the_name_verify_gives_it(void) {
    CHECK(strcmp(binlog_finding_kind_name(BINLOG_FINDING_TORN_TAIL), "torn-tail") == 0);
    CHECK(strcmp(binlog_finding_kind_name(BINLOG_FINDING_SEQUENCE_JUMP), "sequence") == 0);
    CHECK(strcmp(binlog_finding_kind_name(BINLOG_FINDING_SEAL_INDEX_DAMAGED), "seal-mismatch") == 0);
    CHECK(strcmp(binlog_finding_kind_name(BINLOG_FINDING_MANIFEST_DAMAGED), "manifest-damaged") == 0);
    CHECK(strcmp(binlog_finding_kind_name(BINLOG_FINDING_NOT_LISTED), "not-listed") == 0);
    CHECK(strcmp(binlog_finding_kind_name(BINLOG_FINDING_RECORDS_CHANGED), "records-changed") == 0);
    CHECK(strcmp(binlog_finding_kind_name(BINLOG_FINDING_CUT_OFF), "cut-off") == 0);
    CHECK(strcmp(binlog_finding_kind_name(BINLOG_FINDING_OUT_OF_EPOCH), "out-of-epoch") == 0);
    for (uint32_t a = BINLOG_FINDING_TORN_TAIL; a <= BINLOG_FINDING_OUT_OF_EPOCH; a++) {
        const char *na = binlog_finding_kind_name(a);
        CHECK(na != NULL && na[0] != '\0');
        for (uint32_t b = BINLOG_FINDING_TORN_TAIL; na != NULL && b < a; b++) {
            CHECK(strcmp(na, binlog_finding_kind_name(b)) != 0);
        }
    }
    CHECK(binlog_finding_kind_name(0) == NULL);
    CHECK(binlog_finding_kind_name(BINLOG_FINDING_OUT_OF_EPOCH + 1) == NULL);
    CHECK(binlog_finding_kind_name(UINT32_MAX) == NULL);
    CHECK(strcmp(binlog_repair_action_name(BINLOG_REPAIR_NOTHING), "nothing") == 0);
    CHECK(strcmp(binlog_repair_action_name(BINLOG_REPAIR_CUT_TORN_TAIL), "cut-torn-tail") == 0);
    CHECK(strcmp(binlog_repair_action_name(BINLOG_REPAIR_RESEAL), "reseal") == 0);
    CHECK(strcmp(binlog_repair_action_name(BINLOG_REPAIR_SALVAGE), "salvage") == 0);
    CHECK(binlog_repair_action_name(BINLOG_REPAIR_SALVAGE + 1) == NULL);
    CHECK(binlog_repair_action_name(UINT32_MAX) == NULL);
}

static void test_bad_arguments_are_refused_and_outputs_untouched(void) {
    binlog_verify *v = PTR_SENTINEL(binlog_verify);
    CHECK_ERR(binlog_verify_open(NULL, NULL, &v), BINLOG_ERR_NULL_POINTER, "path");
    CHECK_ERR(binlog_verify_open(tmpdir, "gap", NULL), BINLOG_ERR_NULL_POINTER, "out");
    const char *none = make_dir("none");
    CHECK_ERR(binlog_verify_open(none, NULL, &v), BINLOG_ERR_NOT_FOUND, "no segment");
    CHECK_ERR(binlog_verify_open(tmpdir, "absent", &v), BINLOG_ERR_NOT_FOUND,
              "no log 'absent'");
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
    test_a_damaged_manifest_is_a_note_or_the_damage_of_an_unknown_position();
    test_findings_past_the_cap_are_counted_by_one_finding();
    test_every_kind_and_action_has_the_name_verify_gives_it();
    test_bad_arguments_are_refused_and_outputs_untouched();
    return (int)check_summary();
}
