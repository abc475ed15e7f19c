/*
 * test_review16.c: C ABI review 16, one function per finding:
 *
 * - binlog_reader_next_batch: a `cap` whose records array would be larger
 *   than any object (cap * sizeof(binlog_batch_record) > PTRDIFF_MAX) is
 *   refused with BINLOG_ERR_INVALID_ARGUMENT, as every other array length
 *   is, with the outputs left untouched.
 * - binlog_reader_header on a log reader: "the segment its last record
 *   came from (BINLOG_ERR_NOT_FOUND before the first)", also once the
 *   reader, at the end of a segment, has opened the next one (empty yet)
 *   to look for more.
 * - Argument errors of reader calls name the reader's file, as those of
 *   writer calls name the writer's, and the parameter that is wrong (a
 *   NULL `count` was reported as "out is NULL").
 *
 * Every file lives in a fresh mkdtemp directory under /tmp, removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"

#define COUNT_SENTINEL ((size_t)0x5a5a5a5a)

static void write_segment(const char *path, int records) {
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, NULL, &w));
    for (int i = 0; i < records; i++) {
        CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("payload"), NULL));
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* cap near SIZE_MAX: refused, nothing written, the records still there. */
static void test_batch_cap_larger_than_any_object(void) {
    const char *p = path_of("cap.binlog");
    write_segment(p, 2);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    uint8_t buf[256];
    memset(buf, 0xee, sizeof buf);
    binlog_batch_record recs[4];
    memset(recs, 0xee, sizeof recs);
    size_t count = COUNT_SENTINEL;
    const size_t caps[] = {SIZE_MAX, SIZE_MAX / sizeof(binlog_batch_record) + 1,
                           (size_t)PTRDIFF_MAX / sizeof(binlog_batch_record) + 1};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        CHECK_ERR(binlog_reader_next_batch(r, buf, sizeof buf, recs, caps[i], 0, &count),
                  BINLOG_ERR_INVALID_ARGUMENT, "cap");
        CHECK_CONTAINS(binlog_last_error(), p);
        CHECK_EQ_U(count, COUNT_SENTINEL);
        CHECK_EQ_U(recs[0].seq, UINT64_C(0xeeeeeeeeeeeeeeee));
        CHECK_EQ_U(buf[0], 0xee);
    }
    /* The largest cap that is an object size is fine, and no record was
     * consumed by the refused calls. */
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 4, 0, &count));
    CHECK_EQ_U(count, 2);
    CHECK_EQ_U(recs[0].seq, 0);
    binlog_reader_free(r);
}

/* A log reader's header is the one of the segment its last record came
 * from, not of the (empty) segment it opened next at the end. */
static void test_log_header_is_the_last_records_segment(void) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s", path_of("hdr-log"));
    CHECK(mkdir(dir, 0755) == 0);
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

/* Argument errors of reader calls name the reader's file. */
static void test_reader_argument_errors_name_the_file(void) {
    const char *p = path_of("args.binlog");
    write_segment(p, 1);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    static const uint8_t bad[2] = {0xff, 0xfe};
    binlog_iovec t = {bad, 2};
    CHECK_ERR(binlog_reader_filter_types(r, &t, 1), BINLOG_ERR_INVALID_UTF8, p);
    binlog_iovec n = {NULL, 1};
    CHECK_ERR(binlog_reader_filter_types(r, &n, 1), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_filter_types(r, NULL, 1), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_next(r, NULL), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_next_wait(r, 0, NULL), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_header(r, NULL), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_tail(r, NULL), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_gap_count(r, NULL), BINLOG_ERR_NULL_POINTER, p);
    size_t count = 0;
    CHECK_ERR(binlog_reader_damages(r, NULL, 3, &count), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_damages(r, NULL, 0, NULL), BINLOG_ERR_NULL_POINTER, p);
    CHECK_CONTAINS(binlog_last_error(), "count is NULL");
    binlog_batch_record recs[2];
    uint8_t buf[64];
    CHECK_ERR(binlog_reader_next_batch(r, NULL, 10, recs, 2, 0, &count), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_next_batch(r, buf, sizeof buf, NULL, 2, 0, &count),
              BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_next_batch(r, buf, sizeof buf, recs, 2, 0, NULL),
              BINLOG_ERR_NULL_POINTER, p);
    CHECK_CONTAINS(binlog_last_error(), "count is NULL");
    /* Nothing was consumed. */
    binlog_record rec;
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 0);
    binlog_reader_free(r);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_batch_cap_larger_than_any_object();
    test_log_header_is_the_last_records_segment();
    test_reader_argument_errors_name_the_file();
    return (int)check_summary();
}
