/*
 * test_log_header.c: binlog_reader_header and binlog_reader_tail of a log
 * reader describe the segment of the last record it returned:
 *
 * - before the first record there is no header (BINLOG_ERR_NOT_FOUND);
 * - a reader that reached the end of a segment and opened the next (still
 *   empty) one to look for more keeps the previous segment's header, and
 *   at BINLOG_END its tail is that segment's too: SEALED (or SEAL_DAMAGED
 *   at its offset, or TORN) as that segment ended;
 * - a record held back by binlog_reader_next_batch counts (it may start
 *   the next segment); when binlog_reader_filter_types drops it, the
 *   header goes back to the segment of the last record returned, never
 *   one no returned record came from;
 * - a seek that lands in no segment (the newest one caught between its
 *   creation and its header write; every segment removed) leaves no
 *   header, as before the first record;
 * - the header's strings and parameters stay valid while the reader stays
 *   in that segment (seeks within it included).
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define HDR_SENTINEL UINT64_C(0xeeeeeeeeeeeeeeee)

/* The header's segment number and first sequence number, or the result
 * code of binlog_reader_header when it fails (then segno is untouched). */
static binlog_result header_of(binlog_reader *r, uint64_t *segno, uint64_t *first) {
    binlog_header h;
    memset(&h, 0xee, sizeof h);
    binlog_result rc = binlog_reader_header(r, &h);
    if (rc == BINLOG_OK) {
        *segno = h.segment_no;
        *first = h.first_seq;
    } else {
        CHECK_EQ_U(h.segment_no, HDR_SENTINEL); /* not written on failure */
    }
    return rc;
}

#define CHECK_HEADER(r, segno, first)                                                              \
    do {                                                                                           \
        uint64_t s_ = HDR_SENTINEL, f_ = HDR_SENTINEL;                                            \
        CHECK_OK(header_of((r), &s_, &f_));                                                        \
        CHECK_EQ_U(s_, (segno));                                                                   \
        CHECK_EQ_U(f_, (first));                                                                   \
    } while (0)

#define CHECK_NO_HEADER(r)                                                                         \
    do {                                                                                           \
        uint64_t s_ = HDR_SENTINEL, f_ = HDR_SENTINEL;                                            \
        CHECK_RC(header_of((r), &s_, &f_), BINLOG_ERR_NOT_FOUND);                                  \
    } while (0)

static binlog_tail tail_of(binlog_reader *r) {
    binlog_tail t;
    memset(&t, 0xee, sizeof t);
    CHECK_OK(binlog_reader_tail(r, &t));
    return t;
}

/* Log "lg" opened for writing in `dir`: one record of type "t" per payload
 * (a NULL-terminated list) in segment 0, then a roll: segment 0 sealed,
 * segment 1 empty and being written. */
static binlog_writer *log_with_a_rolled_segment(const char *dir, const char *const payloads[]) {
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "lg", NULL, &w));
    for (size_t i = 0; payloads[i] != NULL; i++) {
        CHECK_OK(binlog_writer_write(w, LIT("t"), U(payloads[i]), strlen(payloads[i]), NULL));
    }
    CHECK_OK(binlog_writer_roll(w));
    return w;
}

/* A log reader's header is the one of the segment its last record came
 * from, not of the (empty) segment it opened next at the end; none before
 * the first record. Through binlog_reader_next, batches, and a record a
 * batch holds back. */
static void test_header_is_the_last_records_segment(void) {
    const char *dir = make_dir("hdr-log");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "lg", NULL, &w));

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "lg", &r));
    binlog_record rec;
    binlog_header h;
    memset(&h, 0xee, sizeof h);
    /* The first segment is empty: no record yet, so no header. */
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_ERR(binlog_reader_header(r, &h), BINLOG_ERR_NOT_FOUND, "binlog_reader_next");
    CHECK_EQ_U(h.first_seq, UINT64_C(0xeeeeeeeeeeeeeeee));

    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("a"), NULL));
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("b"), NULL));
    CHECK_OK(binlog_writer_roll(w)); /* segment 1: empty */

    uint64_t n = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        CHECK_EQ_U(rec.seq, n);
        n++;
    }
    CHECK_EQ_U(n, 2);
    REQUIRE_OK(binlog_reader_header(r, &h));
    CHECK_EQ_U(h.segment_no, 0);
    CHECK_EQ_U(h.first_seq, 0);
    CHECK_STR(h.log_name, h.log_name_len, "lg");

    /* A record of segment 1: now its header. */
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("c"), NULL));
    CHECK_OK(binlog_writer_flush(w));
    REQUIRE_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 2);
    REQUIRE_OK(binlog_reader_header(r, &h));
    CHECK_EQ_U(h.segment_no, 1);
    CHECK_EQ_U(h.first_seq, 2);

    /* The same through batches: records of segment 1, then at the end an
     * empty segment 2 opened. */
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("d"), NULL));
    CHECK_OK(binlog_writer_roll(w));
    uint8_t buf[256];
    binlog_batch_record recs[4];
    size_t count = 0;
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 4, 0, &count));
    CHECK_EQ_U(count, 1);
    CHECK_EQ_U(recs[0].seq, 3);
    REQUIRE_OK(binlog_reader_header(r, &h));
    CHECK_EQ_U(h.segment_no, 1);
    CHECK_EQ_U(h.first_seq, 2);

    /* A record held back by a batch counts (it starts segment 2). */
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("a record too large for the buffer below"), NULL));
    CHECK_OK(binlog_writer_flush(w));
    CHECK_ERR(binlog_reader_next_batch(r, buf, 8, recs, 4, 0, &count), BINLOG_ERR_BUFFER_TOO_SMALL,
              "record 4");
    REQUIRE_OK(binlog_reader_header(r, &h));
    CHECK_EQ_U(h.segment_no, 2);
    CHECK_EQ_U(h.first_seq, 4);
    binlog_header kept = h;
    REQUIRE_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 4);
    /* The view stays valid across a call that does not move the reader
     * to another segment (valgrind/ASan check the reads). */
    CHECK_STR(kept.log_name, kept.log_name_len, "lg");

    binlog_reader_free(r);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* A log reader's header view, taken in a segment, survives a seek that
 * stays in that segment (the reader does not move to another segment):
 * under ASan and valgrind a use of freed memory fails the test. */
static void test_header_survives_a_seek_within_its_segment(void) {
    const char *dir = make_dir("header-seek");
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_content_type(o, LIT("application/x-contract-test")));
    CHECK_OK(binlog_options_add_param(o, LIT("param-key"), LIT("param-value")));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "hs", o, &w));
    binlog_options_free(o);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("payload"), NULL));
    }
    CHECK_OK(binlog_writer_flush(w));

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "hs", &r));
    binlog_record rec;
    REQUIRE_OK(binlog_reader_next(r, &rec));
    binlog_header h;
    REQUIRE_OK(binlog_reader_header(r, &h));
    CHECK_STR(h.content_type, h.content_type_len, "application/x-contract-test");
    /* Seeks within the one segment there is. */
    CHECK_OK(binlog_reader_seek_seq(r, 1));
    CHECK_STR(h.log_name, h.log_name_len, "hs");
    CHECK_STR(h.content_type, h.content_type_len, "application/x-contract-test");
    REQUIRE(h.param_count == 1 && h.params != NULL);
    CHECK_STR(h.params[0].key, h.params[0].key_len, "param-key");
    CHECK_STR(h.params[0].value, h.params[0].value_len, "param-value");
    CHECK_OK(binlog_reader_seek_time(r, 0));
    CHECK_STR(h.content_type, h.content_type_len, "application/x-contract-test");
    CHECK_STR(h.writer, h.writer_len, "libbinlog/" "0.1.0");
    REQUIRE_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 0);
    CHECK_STR(h.params[0].value, h.params[0].value_len, "param-value");
    binlog_reader_free(r);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* filter_types drops a held record that starts segment 1: the header goes
 * back to segment 0 (its last record was returned), and at the end the
 * tail is segment 0's too. */
static void test_filter_dropping_a_held_record_moves_the_header_back(void) {
    const char *dir = make_dir("held");
    /* Segment 1 starts at 3. */
    binlog_writer *w = log_with_a_rolled_segment(dir, (const char *const[]){"a", "b", "c", NULL});
    CHECK_OK(binlog_writer_write(w, LIT("big"),
                                 LIT("a record of another type, too large for the buffer below"),
                                 NULL));
    CHECK_OK(binlog_writer_flush(w));

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "lg", &r));
    uint8_t buf[32];
    binlog_batch_record recs[8];
    size_t count = 0;
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 8, 0, &count));
    CHECK_EQ_U(count, 3);
    CHECK_EQ_U(recs[2].seq, 2);
    /* Record 3 is held: it counts, and starts segment 1. */
    CHECK_HEADER(r, 1, 3);
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_READING);

    /* A filter that lets it through keeps it, and the header. */
    binlog_iovec both[2] = {{LIT("t")}, {LIT("big")}};
    CHECK_OK(binlog_reader_filter_types(r, both, 2));
    CHECK_HEADER(r, 1, 3);

    /* One that excludes it drops it: no record of segment 1 was returned. */
    binlog_iovec t_only = {LIT("t")};
    CHECK_OK(binlog_reader_filter_types(r, &t_only, 1));
    CHECK_HEADER(r, 0, 0);
    binlog_record rec;
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_HEADER(r, 0, 0);
    /* Segment 0 ended sealed (the roll); segment 1, where the reader
     * stands, is being written. */
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_SEALED);

    /* A record of segment 1 moves both. */
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("d"), NULL));
    CHECK_OK(binlog_writer_flush(w));
    REQUIRE_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 4);
    CHECK_HEADER(r, 1, 3);
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_UNSEALED);
    CHECK_HEADER(r, 1, 3);
    binlog_reader_free(r);

    /* The same drop when the held record is the batch's first (the call
     * failed with BUFFER_TOO_SMALL): the header goes back to segment 0. */
    REQUIRE_OK(binlog_reader_open_log(dir, "lg", &r));
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 3, 0, &count));
    CHECK_EQ_U(count, 3);
    CHECK_HEADER(r, 0, 0);
    CHECK_ERR(binlog_reader_next_batch(r, buf, 8, recs, 8, 0, &count),
              BINLOG_ERR_BUFFER_TOO_SMALL, "record 3");
    CHECK_HEADER(r, 1, 3);
    CHECK_OK(binlog_reader_filter_types(r, &t_only, 1));
    CHECK_HEADER(r, 0, 0);
    /* The next record returned is 4, of segment 1. */
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 8, 0, &count));
    CHECK_EQ_U(count, 1);
    CHECK_EQ_U(recs[0].seq, 4);
    CHECK_HEADER(r, 1, 3);
    binlog_reader_free(r);

    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* Writes log "lg" in `dir`: segments 0, 1, 2 of 5 records each (first
 * sequence numbers 0, 5, 10), all sealed. */
static void write_three_segments(const char *dir) {
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "lg", NULL, &w));
    for (int s = 0; s < 3; s++) {
        if (s > 0) {
            CHECK_OK(binlog_writer_roll(w));
        }
        for (int i = 0; i < 5; i++) {
            CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("payload"), NULL));
        }
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* A seek that lands in no segment leaves no header (BINLOG_ERR_NOT_FOUND,
 * naming the log's directory), not the one from before the seek. */
static void test_seek_into_no_segment_leaves_no_header(void) {
    const char *dir = make_dir("seek");
    write_three_segments(dir);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "lg", &r));
    binlog_record rec;
    REQUIRE_OK(binlog_reader_next(r, &rec));
    CHECK_HEADER(r, 0, 0);

    /* Past the end, where the newest segment is caught between its
     * creation and its header write: the reader stands before it, in no
     * segment yet. */
    char fresh[1024];
    snprintf(fresh, sizeof fresh, "%s/lg-%020d-20260101T000000Z.binlog", dir, 3);
    int fd = open(fresh, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    close(fd);
    CHECK_OK(binlog_reader_seek_time(r, INT64_MAX));
    CHECK_NO_HEADER(r);
    CHECK_CONTAINS(binlog_last_error(), dir);
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_READING);
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_NO_HEADER(r);
    CHECK(unlink(fresh) == 0);

    /* A seek into a segment gives its header again. */
    CHECK_OK(binlog_reader_seek_seq(r, 7));
    CHECK_HEADER(r, 1, 5);
    REQUIRE_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 7);
    CHECK_HEADER(r, 1, 5);

    /* Every segment removed (as retention or an operator might): a seek
     * finds none to land in. */
    for (uint64_t s = 0; s < 3; s++) {
        const char *p = segment_path(dir, "lg", s);
        REQUIRE(p != NULL);
        CHECK(unlink(p) == 0);
    }
    CHECK_OK(binlog_reader_seek_seq(r, 12));
    CHECK_NO_HEADER(r);
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_NO_HEADER(r);
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_READING);
    binlog_reader_free(r);
}

/* At BINLOG_END the tail is the one of the header's segment, not of the
 * later, still empty segment the reader opened to look for more. */
static void test_tail_at_end_is_the_headers_segment(void) {
    const char *dir = make_dir("end");
    binlog_writer *w = log_with_a_rolled_segment(dir, (const char *const[]){"a", "b", NULL});

    binlog_reader *r = NULL, *rb = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "lg", &r));
    REQUIRE_OK(binlog_reader_open_log(dir, "lg", &rb));
    binlog_record rec;
    uint64_t n = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        n++;
    }
    CHECK_EQ_U(n, 2);
    CHECK_HEADER(r, 0, 0);
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_SEALED);

    /* Through batches: the batch reaches the end of segment 0 and opens
     * segment 1; then END. */
    uint8_t buf[256];
    binlog_batch_record recs[8];
    size_t count = 0;
    CHECK_OK(binlog_reader_next_batch(rb, buf, sizeof buf, recs, 8, 0, &count));
    CHECK_EQ_U(count, 2);
    CHECK_HEADER(rb, 0, 0);
    CHECK_RC(binlog_reader_next_batch(rb, buf, sizeof buf, recs, 8, 0, &count), BINLOG_END);
    CHECK_HEADER(rb, 0, 0);
    CHECK_EQ_U(tail_of(rb).kind, BINLOG_TAIL_SEALED);

    /* Another roll: segment 1 sealed empty, segment 2 empty. Still the
     * header and the tail of segment 0. */
    CHECK_OK(binlog_writer_roll(w));
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_HEADER(r, 0, 0);
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_SEALED);
    CHECK_RC(binlog_reader_next_wait(rb, 1, &rec), BINLOG_END);
    CHECK_HEADER(rb, 0, 0);
    CHECK_EQ_U(tail_of(rb).kind, BINLOG_TAIL_SEALED);

    /* A record of segment 2: both describe it. */
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("c"), NULL));
    CHECK_OK(binlog_writer_flush(w));
    REQUIRE_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 2);
    CHECK_HEADER(r, 2, 2);
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_READING);
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_HEADER(r, 2, 2);
    CHECK_EQ_U(tail_of(r).kind, BINLOG_TAIL_UNSEALED);

    /* A seek back to the start: segment 0 again, then on into 2. */
    CHECK_OK(binlog_reader_seek_seq(rb, 0));
    CHECK_HEADER(rb, 0, 0);
    CHECK_EQ_U(tail_of(rb).kind, BINLOG_TAIL_READING);
    for (uint64_t i = 0; i < 3; i++) {
        REQUIRE_OK(binlog_reader_next(rb, &rec));
        CHECK_EQ_U(rec.seq, i);
    }
    CHECK_HEADER(rb, 2, 2);
    binlog_reader_free(r);
    binlog_reader_free(rb);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* The same with a segment that did not end cleanly: its seal cut short
 * (SEAL_DAMAGED at the offset where the seal begins), or its last record
 * cut (TORN), followed by an empty sealed segment. */
static void test_tail_at_end_of_a_damaged_segment(void) {
    for (int torn = 0; torn < 2; torn++) {
        const char *dir = make_dir(torn ? "torn" : "seal");
        binlog_writer *w =
            log_with_a_rolled_segment(dir, (const char *const[]){"first", "second record", NULL});
        /* Segment 1 sealed empty by a roll (the close removes segment 2,
         * which holds no record). */
        CHECK_OK(binlog_writer_roll(w));
        CHECK_OK(binlog_writer_close(w));
        binlog_writer_free(w);

        /* Where segment 0's records end: after the last one. */
        binlog_reader *seg = NULL;
        const char *p0 = segment_path(dir, "lg", 0);
        REQUIRE(p0 != NULL);
        char path0[1024];
        snprintf(path0, sizeof path0, "%s", p0);
        REQUIRE_OK(binlog_reader_open(path0, &seg));
        binlog_record rec;
        uint64_t last_offset = 0;
        while (binlog_reader_next(seg, &rec) == BINLOG_OK) {
            last_offset = rec.offset;
        }
        binlog_reader_free(seg);
        struct stat st;
        REQUIRE(stat(path0, &st) == 0);
        /* Seal: cut its last byte. Torn: cut the last record in its
         * middle (and the seal with it). */
        off_t cut = torn ? (off_t)last_offset + 6 : st.st_size - 1;
        REQUIRE(truncate(path0, cut) == 0);

        /* Segment 0's tail, as a segment reader reports it. */
        REQUIRE_OK(binlog_reader_open(path0, &seg));
        while (binlog_reader_next(seg, &rec) == BINLOG_OK) {
        }
        binlog_tail want = tail_of(seg);
        binlog_reader_free(seg);
        CHECK_EQ_U(want.kind, torn ? BINLOG_TAIL_TORN : BINLOG_TAIL_SEAL_DAMAGED);

        binlog_reader *r = NULL;
        REQUIRE_OK(binlog_reader_open_log(dir, "lg", &r));
        uint64_t n = 0;
        while (binlog_reader_next(r, &rec) == BINLOG_OK) {
            n++;
        }
        CHECK_EQ_U(n, torn ? 1 : 2);
        CHECK_HEADER(r, 0, 0);
        binlog_tail got = tail_of(r);
        CHECK_EQ_U(got.kind, want.kind);
        CHECK_EQ_U(got.offset, want.offset);
        CHECK_EQ_U(got.len, want.len);
        binlog_reader_free(r);
    }
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_header_is_the_last_records_segment();
    test_header_survives_a_seek_within_its_segment();
    test_filter_dropping_a_held_record_moves_the_header_back();
    test_seek_into_no_segment_leaves_no_header();
    test_tail_at_end_is_the_headers_segment();
    test_tail_at_end_of_a_damaged_segment();
    return (int)check_summary();
}
