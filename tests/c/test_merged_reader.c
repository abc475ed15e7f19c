/*
 * test_merged_reader.c: binlog_merged_reader_* of the C ABI: logs of a
 * directory chosen by name pattern read as one stream ordered by
 * timestamp (ties by log name, then sequence number), each record with its
 * log's name; a time window reads only the segments it overlaps; gaps
 * and damaged regions named with their log (and file); following live
 * logs (binlog_merged_reader_next_wait) and its timeout; the error paths
 * (NULL arguments, no log matching) leave outputs untouched.
 *
 * Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define PTR_SENTINEL(T) ((T *)(uintptr_t)0x5e5e5e50)

/* A writer of log `name` in the test directory, a segment every `per`
 * records. */
static binlog_writer *open_log(const char *name, uint64_t per) {
    binlog_options *o = NULL;
    REQUIRE(binlog_options_new(&o) == BINLOG_OK);
    CHECK_OK(binlog_options_set_max_segment_records(o, per));
    binlog_writer *w = NULL;
    REQUIRE(binlog_writer_open_log(tmpdir, name, o, &w) == BINLOG_OK);
    binlog_options_free(o);
    return w;
}

/* Writes one record at `ts` whose payload is the log's name. */
static void put_at(binlog_writer *w, const char *name, int64_t ts) {
    binlog_entry e = {0};
    e.type_name = U("event");
    e.type_len = 5;
    e.payload = U(name);
    e.payload_len = strlen(name);
    e.timestamp_ns = ts;
    CHECK_OK(binlog_writer_write_entry(w, &e, NULL));
}

/* Writes log `name` in the test directory: `n` records at `ts[i]`, a
 * segment every `per` records. */
static void write_timed_log(const char *name, const int64_t *ts, size_t n, uint64_t per) {
    binlog_writer *w = open_log(name, per);
    for (size_t i = 0; i < n; i++) {
        put_at(w, name, ts[i]);
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

struct seen {
    int64_t ts;
    char log[16];
    uint64_t seq;
};

/* Reads `r` to its end into `out` (at most `cap`): the count read. */
static size_t read_all(binlog_merged_reader *r, struct seen *out, size_t cap) {
    size_t n = 0;
    binlog_record rec;
    const uint8_t *log;
    size_t log_len;
    binlog_result rc;
    while ((rc = binlog_merged_reader_next(r, &rec, &log, &log_len)) == BINLOG_OK) {
        REQUIRE(n < cap && log_len < sizeof out[n].log);
        CHECK_MEM(rec.payload, log, log_len);
        out[n].ts = rec.timestamp_ns;
        memcpy(out[n].log, log, log_len);
        out[n].log[log_len] = '\0';
        out[n].seq = rec.seq;
        n++;
    }
    CHECK_EQ_I(rc, BINLOG_END);
    return n;
}

static void check_seen(const struct seen *s, int64_t ts, const char *log, uint64_t seq) {
    CHECK_EQ_I(s->ts, ts);
    CHECK(strcmp(s->log, log) == 0);
    CHECK_EQ_U(s->seq, seq);
}

static void test_order_by_time_then_name_then_seq(void) {
    const int64_t b[] = {5, 5, 7}, a[] = {5, 7, 7}, c[] = {4, 5}, other[] = {1};
    write_timed_log("web-b", b, 3, 100);
    write_timed_log("web-a", a, 3, 100);
    write_timed_log("web-c", c, 2, 100);
    write_timed_log("db", other, 1, 100);
    binlog_merged_reader *r = NULL;
    REQUIRE(binlog_merged_reader_open(tmpdir, NULL, "web-*", &r) == BINLOG_OK);
    struct seen s[16];
    size_t n = read_all(r, s, 16);
    REQUIRE(n == 8);
    check_seen(&s[0], 4, "web-c", 0);
    check_seen(&s[1], 5, "web-a", 0);
    check_seen(&s[2], 5, "web-b", 0);
    check_seen(&s[3], 5, "web-b", 1);
    check_seen(&s[4], 5, "web-c", 1);
    check_seen(&s[5], 7, "web-a", 1);
    check_seen(&s[6], 7, "web-a", 2);
    check_seen(&s[7], 7, "web-b", 2);
    binlog_merged_reader_free(r);
}

static void test_time_window_reads_only_overlapping_segments(void) {
    /* Two logs of 10 segments of 10 records, timestamps 0..99. */
    int64_t ts[100];
    for (int i = 0; i < 100; i++) {
        ts[i] = i;
    }
    write_timed_log("win-1", ts, 100, 10);
    write_timed_log("win-2", ts, 100, 10);
    binlog_merged_reader *r = NULL;
    REQUIRE(binlog_merged_reader_open(tmpdir, NULL, "win-?", &r) == BINLOG_OK);
    CHECK_OK(binlog_merged_reader_time_window(r, 30, 40));
    struct seen s[64];
    size_t n = read_all(r, s, 64);
    REQUIRE(n == 20);
    for (size_t i = 0; i < n; i++) {
        check_seen(&s[i], 30 + (int64_t)i / 2, i % 2 ? "win-2" : "win-1", 30 + i / 2);
    }
    uint64_t read = UINT64_MAX, passed = UINT64_MAX;
    CHECK_OK(binlog_merged_reader_segments(r, &read, &passed));
    CHECK_EQ_U(read, 2);
    CHECK_EQ_U(passed, 2 * 6);
    binlog_merged_reader_free(r);
}

/* The log name `logs[i]` is the C string `name`. */
#define CHECK_LOG(iov, name) CHECK_STR((iov).base, (iov).len, (name))

static void test_gaps_and_damage_name_their_log(void) {
    int64_t ts[30];
    for (int i = 0; i < 30; i++) {
        ts[i] = i;
    }
    write_timed_log("g-a", ts, 20, 10);
    write_timed_log("g-b", ts, 30, 10);
    write_timed_log("g-c", ts, 20, 100);
    /* g-b's segment 1 (records 10..19) lost: a gap. */
    REQUIRE(unlink(segment_path(tmpdir, "g-b", 1)) == 0);
    /* g-c's record 5 damaged (a byte of its payload flipped). */
    char seg[1024];
    snprintf(seg, sizeof seg, "%s", segment_path(tmpdir, "g-c", 0));
    binlog_reader *one = NULL;
    REQUIRE(binlog_reader_open(seg, &one) == BINLOG_OK);
    binlog_record rec;
    for (int i = 0; i <= 5; i++) {
        REQUIRE(binlog_reader_next(one, &rec) == BINLOG_OK);
    }
    uint64_t at = rec.offset, next_at;
    REQUIRE(binlog_reader_next(one, &rec) == BINLOG_OK);
    next_at = rec.offset;
    binlog_reader_free(one);
    FILE *f = fopen(seg, "r+b");
    REQUIRE(f != NULL);
    fseek(f, (long)(next_at - 2), SEEK_SET);
    int c = fgetc(f);
    fseek(f, (long)(next_at - 2), SEEK_SET);
    fputc(c ^ 0x5a, f);
    fclose(f);

    binlog_merged_reader *r = NULL;
    REQUIRE(binlog_merged_reader_open(tmpdir, NULL, "g-*", &r) == BINLOG_OK);
    CHECK_RC(binlog_merged_reader_skip_damaged(NULL, true), BINLOG_ERR_NULL_POINTER);
    CHECK_OK(binlog_merged_reader_skip_damaged(r, true));
    struct seen s[80];
    CHECK_EQ_U(read_all(r, s, 80), 20 + 20 + 19);

    size_t count = 99;
    binlog_gap g[2];
    binlog_iovec logs[2];
    CHECK_RC(binlog_merged_reader_gaps(r, g, NULL, 2, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_RC(binlog_merged_reader_gaps(r, NULL, logs, 2, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_RC(binlog_merged_reader_gaps(r, g, logs, 2, NULL), BINLOG_ERR_NULL_POINTER);
    CHECK_EQ_U(count, 99);
    CHECK_OK(binlog_merged_reader_gaps(r, NULL, NULL, 0, &count));
    CHECK_EQ_U(count, 1);
    CHECK_OK(binlog_merged_reader_gaps(r, g, logs, 2, &count));
    REQUIRE(count == 1);
    CHECK_LOG(logs[0], "g-b");
    CHECK_EQ_I(g[0].reason, BINLOG_GAP_MISSING);
    CHECK(g[0].has_from_seq && g[0].has_to_seq);
    CHECK_EQ_U(g[0].from_seq, 10);
    CHECK_EQ_U(g[0].to_seq, 20);

    binlog_damage2 d[2];
    CHECK_RC(binlog_merged_reader_damages(r, d, NULL, 2, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_OK(binlog_merged_reader_damages(r, NULL, NULL, 0, &count));
    CHECK_EQ_U(count, 1);
    CHECK_OK(binlog_merged_reader_damages(r, d, logs, 2, &count));
    REQUIRE(count == 1);
    CHECK_LOG(logs[0], "g-c");
    CHECK_STR(d[0].path, d[0].path_len, seg);
    CHECK_EQ_U(d[0].offset, at);
    CHECK_EQ_U(d[0].from_seq, 5);
    CHECK_EQ_U(d[0].to_seq, 6);
    binlog_merged_reader_free(r);
}

/* The next record by binlog_merged_reader_next_wait: OK, or the result. */
static binlog_result next_wait(binlog_merged_reader *r, uint64_t ms, struct seen *out) {
    binlog_record rec;
    const uint8_t *log = NULL;
    size_t len = 0;
    binlog_result rc = binlog_merged_reader_next_wait(r, ms, &rec, &log, &len);
    if (rc == BINLOG_OK) {
        REQUIRE(len < sizeof out->log);
        out->ts = rec.timestamp_ns;
        memcpy(out->log, log, len);
        out->log[len] = '\0';
        out->seq = rec.seq;
    } else {
        CHECK(log == NULL && len == 0);
    }
    return rc;
}

static void test_follow_sees_appends_to_two_logs_and_times_out(void) {
    binlog_writer *a = open_log("f-a", 2), *b = open_log("f-b", 2);
    put_at(a, "f-a", 1);
    put_at(b, "f-b", 2);
    CHECK_OK(binlog_writer_flush(a));
    CHECK_OK(binlog_writer_flush(b));
    binlog_merged_reader *r = NULL;
    REQUIRE(binlog_merged_reader_open(tmpdir, NULL, "f-*", &r) == BINLOG_OK);
    struct seen s;
    CHECK_RC(next_wait(r, 30000, &s), BINLOG_OK);
    check_seen(&s, 1, "f-a", 0);
    CHECK_RC(next_wait(r, 30000, &s), BINLOG_OK);
    check_seen(&s, 2, "f-b", 0);
    /* At the end: the wait times out with nothing. */
    CHECK_RC(next_wait(r, 50, &s), BINLOG_END);
    CHECK_ERR(binlog_merged_reader_next_wait(r, 0, NULL, NULL, NULL), BINLOG_ERR_NULL_POINTER,
              NULL);
    /* Appended to both after the end, across a roll of each. */
    for (int64_t ts = 10; ts < 13; ts++) {
        put_at(a, "f-a", ts);
        put_at(b, "f-b", ts + 100);
    }
    CHECK_OK(binlog_writer_flush(a));
    CHECK_OK(binlog_writer_flush(b));
    for (uint64_t i = 0; i < 3; i++) {
        CHECK_RC(next_wait(r, 30000, &s), BINLOG_OK);
        check_seen(&s, 10 + (int64_t)i, "f-a", 1 + i);
    }
    for (uint64_t i = 0; i < 3; i++) {
        CHECK_RC(next_wait(r, 30000, &s), BINLOG_OK);
        check_seen(&s, 110 + (int64_t)i, "f-b", 1 + i);
    }
    CHECK_RC(next_wait(r, 0, &s), BINLOG_END);
    binlog_merged_reader_free(r);
    CHECK_OK(binlog_writer_close(a));
    CHECK_OK(binlog_writer_close(b));
    binlog_writer_free(a);
    binlog_writer_free(b);
}

static void test_errors_leave_outputs(void) {
    binlog_merged_reader *r = PTR_SENTINEL(binlog_merged_reader);
    CHECK_ERR(binlog_merged_reader_open(tmpdir, NULL, "nothing-*", &r), BINLOG_ERR_NOT_FOUND,
              "nothing-*");
    CHECK(r == PTR_SENTINEL(binlog_merged_reader));
    CHECK_ERR(binlog_merged_reader_open(NULL, NULL, "*", &r), BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_merged_reader_open(tmpdir, NULL, "*", NULL), BINLOG_ERR_NULL_POINTER, NULL);
    CHECK(r == PTR_SENTINEL(binlog_merged_reader));
    binlog_record rec;
    const uint8_t *log = NULL;
    size_t len = 0;
    CHECK_ERR(binlog_merged_reader_next(NULL, &rec, &log, &len), BINLOG_ERR_NULL_POINTER, NULL);
    REQUIRE(binlog_merged_reader_open(tmpdir, NULL, "web-a", &r) == BINLOG_OK);
    CHECK_ERR(binlog_merged_reader_next(r, &rec, NULL, &len), BINLOG_ERR_NULL_POINTER, NULL);
    CHECK(log == NULL && len == 0);
    binlog_merged_reader_free(r);
    binlog_merged_reader_free(NULL);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_order_by_time_then_name_then_seq();
    test_time_window_reads_only_overlapping_segments();
    test_gaps_and_damage_name_their_log();
    test_follow_sees_appends_to_two_logs_and_times_out();
    test_errors_leave_outputs();
    return (int)check_summary();
}
