/*
 * test_merged_reader.c: binlog_merged_reader_* of the C ABI: logs of a
 * directory chosen by name pattern read as one stream ordered by
 * timestamp (ties by log name, then sequence number), each record with its
 * log's name; a time window reads only the segments it overlaps; the
 * error paths (NULL arguments, no log matching) leave outputs untouched.
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

#define PTR_SENTINEL(T) ((T *)(uintptr_t)0x5e5e5e50)

/* Writes log `name` in the test directory: `n` records at `ts[i]`, a
 * segment every `per` records. */
static void write_log(const char *name, const int64_t *ts, size_t n, uint64_t per) {
    binlog_options *o = NULL;
    REQUIRE(binlog_options_new(&o) == BINLOG_OK);
    CHECK_OK(binlog_options_set_max_segment_records(o, per));
    binlog_writer *w = NULL;
    REQUIRE(binlog_writer_open_log(tmpdir, name, o, &w) == BINLOG_OK);
    for (size_t i = 0; i < n; i++) {
        binlog_entry e = {0};
        e.type_name = U("event");
        e.type_len = 5;
        e.payload = U(name);
        e.payload_len = strlen(name);
        e.timestamp_ns = ts[i];
        CHECK_OK(binlog_writer_write_entry(w, &e, NULL));
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_options_free(o);
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
    write_log("web-b", b, 3, 100);
    write_log("web-a", a, 3, 100);
    write_log("web-c", c, 2, 100);
    write_log("db", other, 1, 100);
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
    write_log("win-1", ts, 100, 10);
    write_log("win-2", ts, 100, 10);
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
    test_errors_leave_outputs();
    return (int)check_summary();
}
