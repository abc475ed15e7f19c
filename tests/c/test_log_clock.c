/*
 * test_log_clock.c: binlog_options_set_clock, a log's wall clock injected
 * by the caller: advancing it past an hour boundary makes the next write
 * roll (with no wait for real time), records written with
 * BINLOG_TIME_NOW and segment headers take its time, retention by age
 * follows it, and a plain segment writer refuses it.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define SECOND INT64_C(1000000000)
#define MINUTE (60 * SECOND)
/* 2023-11-14T22:13:20Z: an hour starts 46 min 40 s later. */
#define BASE (INT64_C(1700000000) * SECOND)

/* The injected clock and how often the library read it. */
struct fake_clock {
    atomic_llong now_ns;
    atomic_ullong reads;
};

static int64_t read_fake_clock(void *user) {
    struct fake_clock *c = user;
    atomic_fetch_add(&c->reads, 1);
    return atomic_load(&c->now_ns);
}

static binlog_writer *open_log(const char *dir, struct fake_clock *c, uint32_t period,
                               uint64_t max_age_ms) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_clock(o, read_fake_clock, c));
    REQUIRE_OK(binlog_options_set_period(o, period));
    REQUIRE_OK(binlog_options_set_retention_max_age_ms(o, max_age_ms));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "clk", o, &w));
    binlog_options_free(o);
    return w;
}

static uint64_t write_now(binlog_writer *w) {
    uint64_t seq = UINT64_MAX;
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("x"), &seq));
    return seq;
}

/* Reads the log back: each record's timestamp is `want_ts[seq]`. */
static void expect_timestamps(const char *dir, const int64_t *want_ts, uint64_t count) {
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "clk", &r));
    binlog_record rec;
    uint64_t n = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        REQUIRE(n < count);
        CHECK_EQ_U(rec.seq, n);
        CHECK_EQ_I(rec.timestamp_ns, want_ts[n]);
        n++;
    }
    CHECK_EQ_U(n, count);
    CHECK_OK(binlog_reader_close(r));
    binlog_reader_free(r);
}

/* An hourly log rolls when the injected clock passes the hour, at the
 * first write after it, without waiting for real time. */
static void test_an_hourly_log_rolls_when_the_injected_clock_passes_the_hour(void) {
    const char *dir = path_of("hourly");
    struct fake_clock c = {BASE, 0};
    binlog_writer *w = open_log(dir, &c, BINLOG_PERIOD_HOUR, 0);
    CHECK(atomic_load(&c.reads) > 0);
    int64_t ts[3];
    ts[0] = atomic_load(&c.now_ns);
    CHECK_EQ_U(write_now(w), 0);
    atomic_store(&c.now_ns, BASE + 30 * MINUTE); /* 22:43:20, the same hour */
    ts[1] = atomic_load(&c.now_ns);
    CHECK_EQ_U(write_now(w), 1);
    CHECK(segment_path(dir, "clk", 1) == NULL);
    atomic_store(&c.now_ns, BASE + 61 * MINUTE); /* 23:14:20, the next hour */
    ts[2] = atomic_load(&c.now_ns);
    CHECK_EQ_U(write_now(w), 2);
    const char *seg1 = segment_path(dir, "clk", 1);
    CHECK(seg1 != NULL);
    /* Segment names carry the injected time, not today's date. */
    const char *seg0 = segment_path(dir, "clk", 0);
    CHECK(seg0 != NULL && strstr(seg0, "-20231114T2213") != NULL);
    binlog_segment_info s;
    CHECK_OK(binlog_writer_poll_sealed(w, &s));
    CHECK_EQ_U(s.segment_no, 0);
    CHECK_EQ_U(s.record_count, 2);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    expect_timestamps(dir, ts, 3);
    /* Segment 0's header was stamped by the injected clock too. */
    binlog_reader *r = NULL;
    REQUIRE(seg0 != NULL);
    REQUIRE_OK(binlog_reader_open(seg0, &r));
    binlog_header h;
    CHECK_OK(binlog_reader_header(r, &h));
    CHECK_EQ_I(h.created_ns, BASE);
    binlog_reader_free(r);
}

/* Retention by age measures ages with the injected clock. */
static void test_age_retention_follows_the_injected_clock(void) {
    const char *dir = path_of("aged");
    struct fake_clock c = {BASE, 0};
    binlog_writer *w = open_log(dir, &c, BINLOG_PERIOD_NEVER, 60 * 1000);
    write_now(w);
    CHECK_OK(binlog_writer_roll(w)); /* segment 0 sealed at BASE */
    CHECK(segment_path(dir, "clk", 0) != NULL);
    atomic_store(&c.now_ns, BASE + 30 * SECOND);
    write_now(w);
    CHECK_OK(binlog_writer_roll(w)); /* segment 1 sealed; 0 is 30 s old: kept */
    CHECK(segment_path(dir, "clk", 0) != NULL);
    atomic_store(&c.now_ns, BASE + 2 * MINUTE);
    write_now(w);
    CHECK_OK(binlog_writer_roll(w)); /* 0 is 2 min old, 1 is 90 s: both go */
    CHECK(segment_path(dir, "clk", 0) == NULL);
    CHECK(segment_path(dir, "clk", 1) == NULL);
    CHECK(segment_path(dir, "clk", 2) != NULL);
    CHECK(segment_path(dir, "clk", 3) != NULL);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* A segment writer has no time triggers: a clock is refused, and NULL
 * gives the system clock back. */
static void test_a_segment_writer_refuses_an_injected_clock(void) {
    struct fake_clock c = {BASE, 0};
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_ERR(binlog_options_set_clock(NULL, read_fake_clock, &c), BINLOG_ERR_NULL_POINTER, NULL);
    CHECK_OK(binlog_options_set_clock(o, read_fake_clock, &c));
    binlog_writer *w = NULL;
    CHECK_ERR(binlog_writer_open(path_of("plain.binlog"), o, &w), BINLOG_ERR_INVALID_ARGUMENT,
              "binlog_options_set_clock");
    CHECK(w == NULL);
    CHECK_OK(binlog_options_set_clock(o, NULL, NULL));
    REQUIRE_OK(binlog_writer_open(path_of("plain.binlog"), o, &w));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_options_free(o);
    CHECK_EQ_U(atomic_load(&c.reads), 0);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_an_hourly_log_rolls_when_the_injected_clock_passes_the_hour();
    test_age_retention_follows_the_injected_clock();
    test_a_segment_writer_refuses_an_injected_clock();
    return (int)check_summary();
}
