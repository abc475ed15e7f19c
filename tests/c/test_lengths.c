#define _XOPEN_SOURCE 700 /* mkdtemp, nftw (tmpdir.h) */
/* Lengths and counts no real buffer can have (above PTRDIFF_MAX bytes, or
 * adding up past SIZE_MAX): each call is refused with its own code before
 * anything is read or written, and the records around it stay. Run on a
 * segment writer and on a log writer, which size records for rolling
 * before the segment does.
 *
 * The buffers passed are one byte long: a call that believed the length
 * would read past them (ASan) or, as before this test, wrap the length to
 * a small record, panic while encoding it and lose the writer's buffer. */
#include <binlog.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "tmpdir.h"

static const uint8_t one_byte = 'x';

/* Every impossible call on `w`, each refused with `code`-specific errors;
 * `where` is what the messages name (the segment or the log). */
static void refuse_impossible_lengths(binlog_writer *w) {
    uint64_t seq = UINT64_MAX;

    /* One payload longer than any object: an invalid argument. */
    CHECK_ERR(binlog_writer_write(w, LIT("t"), &one_byte, SIZE_MAX, &seq), BINLOG_ERR_INVALID_ARGUMENT,
              "larger than any object");
    CHECK_ERR(binlog_writer_write(w, LIT("t"), &one_byte, (size_t)PTRDIFF_MAX + 1, &seq),
              BINLOG_ERR_INVALID_ARGUMENT, "larger than any object");
    /* As long as an object can be: above the maximum record size. */
    CHECK_ERR(binlog_writer_write(w, LIT("t"), &one_byte, (size_t)PTRDIFF_MAX, &seq),
              BINLOG_ERR_RECORD_TOO_LARGE, "maximum record size");

    /* Parts that add up past 2^64 bytes: too large, not a small sum. */
    binlog_iovec parts[3] = {
        {&one_byte, (size_t)PTRDIFF_MAX}, {&one_byte, (size_t)PTRDIFF_MAX}, {&one_byte, 16}};
    CHECK_ERR(binlog_writer_writev(w, LIT("t"), parts, 3, &seq), BINLOG_ERR_RECORD_TOO_LARGE,
              "maximum record size");
    binlog_iovec wrap[2] = {{&one_byte, SIZE_MAX - 5}, {&one_byte, 16}};
    CHECK_ERR(binlog_writer_writev(w, LIT("t"), wrap, 2, &seq), BINLOG_ERR_INVALID_ARGUMENT,
              "larger than any object");
    /* A count whose array would be larger than any object. */
    CHECK_ERR(binlog_writer_writev(w, LIT("t"), parts, SIZE_MAX / sizeof parts[0] + 1, &seq),
              BINLOG_ERR_INVALID_ARGUMENT, "larger than any object");

    binlog_entry e;
    memset(&e, 0, sizeof e);
    e.type_name = U("t");
    e.type_len = 1;
    e.payload = &one_byte;
    e.payload_len = 1;
    e.timestamp_ns = BINLOG_TIME_NOW;
    CHECK_ERR(binlog_writer_write_batch(w, &e, SIZE_MAX / sizeof e + 1, &seq),
              BINLOG_ERR_INVALID_ARGUMENT, "larger than any object");
    binlog_entry batch[2] = {e, e};
    batch[1].parts = parts;
    batch[1].part_count = 3;
    CHECK_ERR(binlog_writer_write_batch(w, batch, 2, &seq), BINLOG_ERR_RECORD_TOO_LARGE,
              "maximum record size");
    batch[1].part_count = 0;
    batch[1].meta = (const binlog_meta *)&one_byte;
    batch[1].meta_count = SIZE_MAX / sizeof(binlog_meta) + 1;
    CHECK_ERR(binlog_writer_write_batch(w, batch, 2, &seq), BINLOG_ERR_INVALID_ARGUMENT,
              "larger than any object");
    CHECK_EQ_U(seq, UINT64_MAX); /* never written on failure */
}

/* Reads back `count` records named "t" with the payloads "before" and
 * "after", in order, from an open reader. */
static void expect_before_and_after(binlog_reader *r) {
    binlog_record rec;
    static const char *const want[2] = {"before", "after"};
    for (uint64_t i = 0; i < 2; i++) {
        if (!CHECK_OK(binlog_reader_next(r, &rec))) return;
        CHECK_EQ_U(rec.seq, i);
        CHECK_STR(rec.payload, rec.payload_len, want[i]);
    }
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
}

static void test_segment(void) {
    const char *p = path_of("lengths.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, NULL, &w));
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("before"), NULL));
    refuse_impossible_lengths(w);
    uint64_t seq = UINT64_MAX;
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("after"), &seq));
    CHECK_EQ_U(seq, 1);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    expect_before_and_after(r);
    binlog_tail tail;
    CHECK_OK(binlog_reader_tail(r, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);
    binlog_reader_free(r);
}

static void test_log(void) {
    const char *dir = path_of("lengths-log");
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_max_segment_bytes(o, 1 << 20));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "L", o, &w));
    binlog_options_free(o);
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("before"), NULL));
    refuse_impossible_lengths(w);
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("after"), NULL));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "L", &r));
    expect_before_and_after(r);
    binlog_reader_free(r);
}

int main(void) {
    if (make_tmpdir() != 0) return 2;
    test_segment();
    test_log();
    remove_tmpdir();
    return (int)check_summary();
}
