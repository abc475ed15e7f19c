/*
 * test_consumer.c: binlog_consumer_* and position tokens of the C ABI. A
 * consumer goes on after its last commit (binlog_consumer_commit, and
 * _commit_seq of a record already returned), never past a record a batch
 * read held back; a second open of a held name is BINLOG_ERR_LOCKED; bad
 * names, starts and commits are refused with their codes; a position token
 * (binlog_reader_position) seeks another reader there and a token of
 * another log is refused; a merged consumer commits a position per log in
 * one commit; binlog_consumer_remove; retention waits for a consumer
 * within its bound (binlog_options_set_retention_wait_for_consumers).
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

/* Log `name` in tmpdir: `n` records (segments.h's write_log), `per` a
 * segment, closed. */
static void write_closed_log(const char *name, uint64_t n, uint64_t per) {
    binlog_writer *w = write_log(name, n, per);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static uint64_t next_seq(binlog_reader *r) {
    binlog_record rec;
    REQUIRE(binlog_reader_next(r, &rec) == BINLOG_OK);
    return rec.seq;
}

static void test_a_consumer_goes_on_after_its_last_commit(void) {
    write_closed_log("orders", 30, 7);
    binlog_reader *c = NULL;
    REQUIRE(binlog_consumer_open(tmpdir, "orders", "billing", NULL, BINLOG_START_FIRST, 0, 0, &c) ==
            BINLOG_OK);
    for (uint64_t i = 0; i < 10; i++) {
        CHECK_EQ_U(next_seq(c), i);
    }
    CHECK_OK(binlog_consumer_commit(c));
    uint64_t committed = 0;
    CHECK_OK(binlog_consumer_committed(c, &committed));
    CHECK_EQ_U(committed, 10);
    CHECK_EQ_U(next_seq(c), 10);
    CHECK_ERR(binlog_consumer_commit_seq(c, 11), BINLOG_ERR_INVALID_ARGUMENT, "not returned yet");
    binlog_reader *again = NULL;
    CHECK_ERR(binlog_consumer_open(tmpdir, "orders", "billing", NULL, BINLOG_START_FIRST, 0, 0, &again),
              BINLOG_ERR_LOCKED, "billing.consumer");
    CHECK(again == NULL);
    binlog_reader_free(c);

    REQUIRE(binlog_consumer_open(tmpdir, "orders", "billing", NULL, BINLOG_START_END, 0, 0, &c) ==
            BINLOG_OK);
    CHECK_EQ_U(next_seq(c), 10);
    CHECK_EQ_U(next_seq(c), 11);
    CHECK_OK(binlog_consumer_commit_seq(c, 10));
    binlog_reader_free(c);
    REQUIRE(binlog_consumer_open(tmpdir, "orders", "billing", NULL, BINLOG_START_FIRST, 0, 0, &c) ==
            BINLOG_OK);
    CHECK_EQ_U(next_seq(c), 11);
    binlog_reader_free(c);

    /* A new consumer at a sequence number; another at the end. */
    REQUIRE(binlog_consumer_open(tmpdir, "orders", "at", NULL, BINLOG_START_SEQ, 25, 0, &c) == BINLOG_OK);
    CHECK_EQ_U(next_seq(c), 25);
    binlog_reader_free(c);
    REQUIRE(binlog_consumer_open(tmpdir, "orders", "end", NULL, BINLOG_START_END, 0, 0, &c) == BINLOG_OK);
    binlog_record rec;
    CHECK_RC(binlog_reader_next(c, &rec), BINLOG_END);
    binlog_reader_free(c);
}

static void test_a_record_held_back_by_a_batch_is_not_committed(void) {
    binlog_reader *c = NULL;
    REQUIRE(binlog_consumer_open(tmpdir, "orders", "batch", NULL, BINLOG_START_FIRST, 0, 0, &c) ==
            BINLOG_OK);
    /* Room for a few records, not all: the first that does not fit is held. */
    uint8_t buf[3 * 7];
    binlog_batch_record recs[8];
    size_t count = 0;
    CHECK_OK(binlog_reader_next_batch(c, buf, sizeof buf, recs, 8, 0, &count));
    CHECK(count >= 1 && count < 8);
    CHECK_OK(binlog_consumer_commit(c));
    binlog_reader_free(c);
    REQUIRE(binlog_consumer_open(tmpdir, "orders", "batch", NULL, BINLOG_START_FIRST, 0, 0, &c) ==
            BINLOG_OK);
    CHECK_EQ_U(next_seq(c), count);
    binlog_reader_free(c);
}

static void test_bad_names_and_starts_are_refused(void) {
    binlog_reader *c = NULL;
    CHECK_ERR(binlog_consumer_open(tmpdir, "orders", "a/b", NULL, BINLOG_START_FIRST, 0, 0, &c),
              BINLOG_ERR_INVALID_ARGUMENT, "consumer name");
    CHECK_ERR(binlog_consumer_open(tmpdir, "orders", "ok", NULL, 9, 0, 0, &c), BINLOG_ERR_INVALID_ARGUMENT,
              "unknown consumer start");
    CHECK_ERR(binlog_consumer_open(tmpdir, "orders", NULL, NULL, BINLOG_START_FIRST, 0, 0, &c),
              BINLOG_ERR_NULL_POINTER, "name");
    CHECK(c == NULL);
    binlog_reader *plain = NULL;
    REQUIRE(binlog_reader_open_log(tmpdir, "orders", &plain) == BINLOG_OK);
    CHECK_ERR(binlog_consumer_commit(plain), BINLOG_ERR_INVALID_ARGUMENT, "no consumer");
    binlog_reader_free(plain);
    CHECK_OK(binlog_consumer_remove(tmpdir, "at"));
    CHECK_ERR(binlog_consumer_remove(tmpdir, "at"), BINLOG_ERR_NOT_FOUND, "at.consumer");
}

static void test_a_position_token_seeks_another_reader_there(void) {
    binlog_reader *r = NULL;
    REQUIRE(binlog_reader_open_log(tmpdir, "orders", &r) == BINLOG_OK);
    for (int i = 0; i < 17; i++) {
        next_seq(r);
    }
    const char *token = NULL;
    CHECK_OK(binlog_reader_position(r, &token));
    REQUIRE(token != NULL);
    CHECK_CONTAINS(token, "orders@17");
    char kept[256];
    snprintf(kept, sizeof kept, "%s", token);
    binlog_reader_free(r);
    REQUIRE(binlog_reader_open_log(tmpdir, "orders", &r) == BINLOG_OK);
    CHECK_OK(binlog_reader_seek_position(r, kept));
    CHECK_EQ_U(next_seq(r), 17);
    CHECK_ERR(binlog_reader_seek_position(r, "binlog1:orders@3:00000000"), BINLOG_ERR_INVALID_ARGUMENT,
              "check");
    binlog_reader_free(r);
    write_closed_log("payments", 3, 10);
    REQUIRE(binlog_reader_open_log(tmpdir, "payments", &r) == BINLOG_OK);
    CHECK_ERR(binlog_reader_seek_position(r, kept), BINLOG_ERR_INVALID_ARGUMENT, "not in log payments");
    binlog_reader_free(r);
}

/* The `n`th record (from 1) a merged read of every log returns: its log's
 * first letter and its sequence number. */
static void nth_merged(binlog_merged_reader *m, int n, char *log_initial, uint64_t *seq) {
    binlog_record rec;
    const uint8_t *log = NULL;
    size_t log_len = 0;
    for (int i = 0; i < n; i++) {
        REQUIRE(binlog_merged_reader_next(m, &rec, &log, &log_len) == BINLOG_OK);
    }
    *log_initial = (char)log[0];
    *seq = rec.seq;
}

static void test_a_merged_consumer_commits_each_log_at_once(void) {
    binlog_merged_reader *m = NULL;
    REQUIRE(binlog_merged_reader_open(tmpdir, NULL, "*", &m) == BINLOG_OK);
    char want_log;
    uint64_t want_seq;
    nth_merged(m, 6, &want_log, &want_seq);
    binlog_merged_reader_free(m);

    REQUIRE(binlog_merged_consumer_open(tmpdir, NULL, "*", "merged", BINLOG_START_FIRST, 0, 0, &m) == BINLOG_OK);
    char log;
    uint64_t seq;
    nth_merged(m, 5, &log, &seq);
    CHECK_OK(binlog_merged_consumer_commit(m));
    const char *token = NULL;
    CHECK_OK(binlog_merged_reader_position(m, &token));
    CHECK_CONTAINS(token, "orders@");
    CHECK_CONTAINS(token, "payments@");
    binlog_merged_reader_free(m);
    REQUIRE(binlog_merged_consumer_open(tmpdir, NULL, "*", "merged", BINLOG_START_FIRST, 0, 0, &m) == BINLOG_OK);
    nth_merged(m, 1, &log, &seq);
    CHECK_EQ_I(log, want_log);
    CHECK_EQ_U(seq, want_seq);
    binlog_merged_reader_free(m);
}

/* Log `name`, 5 records a segment, retention of 1 sealed segment, waiting
 * for consumers up to 1 MiB if `wait`: consumer "slow" commits after record
 * 0, 30 more records are written, then "slow" opens again. Returns the
 * first record it reads and how many gaps it met. */
static uint64_t slow_consumer_after_retention(const char *name, int wait, uint64_t *gaps) {
    binlog_options *o = NULL;
    REQUIRE(binlog_options_new(&o) == BINLOG_OK);
    CHECK_OK(binlog_options_set_max_segment_records(o, 5));
    CHECK_OK(binlog_options_set_retention_max_segments(o, 1));
    if (wait) {
        CHECK_OK(binlog_options_set_retention_wait_for_consumers(o, 1 << 20, 0));
    }
    binlog_writer *w = NULL;
    REQUIRE(binlog_writer_open_log(tmpdir, name, o, &w) == BINLOG_OK);
    binlog_options_free(o);
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("x"), NULL));
    CHECK_OK(binlog_writer_flush(w));
    binlog_reader *c = NULL;
    REQUIRE(binlog_consumer_open(tmpdir, name, "slow", NULL, BINLOG_START_FIRST, 0, 0, &c) == BINLOG_OK);
    CHECK_EQ_U(next_seq(c), 0);
    CHECK_OK(binlog_consumer_commit(c));
    binlog_reader_free(c);
    write_records(w, 30);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    REQUIRE(binlog_consumer_open(tmpdir, name, "slow", NULL, BINLOG_START_FIRST, 0, 0, &c) == BINLOG_OK);
    uint64_t first = next_seq(c);
    CHECK_OK(binlog_reader_gap_count(c, gaps));
    binlog_reader_free(c);
    return first;
}

static void test_retention_waits_for_a_consumer_within_its_bound(void) {
    uint64_t gaps = 9;
    /* Waited for: the consumer goes on at record 1, nothing lost. */
    CHECK_EQ_U(slow_consumer_after_retention("kept", 1, &gaps), 1);
    CHECK_EQ_U(gaps, 0);
    /* Not waited for: its records went, a retention gap says so. */
    CHECK(slow_consumer_after_retention("gone", 0, &gaps) > 1);
    CHECK_EQ_U(gaps, 1);
    CHECK_ERR(binlog_options_set_retention_wait_for_consumers(NULL, 1, 0), BINLOG_ERR_NULL_POINTER, "options");
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_consumer_goes_on_after_its_last_commit();
    test_a_record_held_back_by_a_batch_is_not_committed();
    test_bad_names_and_starts_are_refused();
    test_a_position_token_seeks_another_reader_there();
    test_a_merged_consumer_commits_each_log_at_once();
    test_retention_waits_for_a_consumer_within_its_bound();
    return (int)check_summary();
}
