#define _XOPEN_SOURCE 700 /* mkdtemp, nftw (tmpdir.h) */
/* binlog_reader_next_mapped: many records per call, payloads left in the
 * reader's mapping. Every record comes once, in order, with the payload
 * binlog_reader_next gives; a sealed segment's payloads are all mapped,
 * in one mapping; a log's batches never mix two segments' mappings; a
 * mapping kept with binlog_reader_keep_mapping stays readable after the
 * reader is freed (ASan and valgrind would see a read of unmapped memory);
 * a buffer too small for a record's type gets its own code and consumes
 * nothing; bad arguments get theirs. */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tmpdir.h"
#include "segments.h"

/* Reads the rest of `r`, from record `next`, with batches of `cap`; checks
 * every payload against `payload_of(i)`; returns the number after the last. */
static int read_all(binlog_reader *r, int next, size_t cap, const char *(*payload_of)(int), int *batches) {
    uint8_t buf[4096];
    binlog_mapped_record recs[128];
    for (;;) {
        size_t count = 0, len = 0;
        const uint8_t *map = NULL;
        binlog_result rc = binlog_reader_next_mapped(r, buf, sizeof buf, recs, cap, 0, &count, &map, &len);
        if (rc == BINLOG_END) {
            CHECK_EQ_U(count, 0);
            return next;
        }
        REQUIRE(rc == BINLOG_OK);
        (*batches)++;
        for (size_t k = 0; k < count; k++, next++) {
            const binlog_mapped_record *m = &recs[k];
            const char *want = payload_of(next);
            CHECK_EQ_U(m->seq, (uint64_t)next);
            CHECK_STR(buf + m->type_off, m->type_len, "t");
            const uint8_t *at = m->mapped ? map + m->payload_off : buf + m->payload_off;
            if (m->mapped) CHECK(m->payload_off + m->payload_len <= len);
            CHECK_STR(at, m->payload_len, want);
        }
    }
}

static const char *r_payload(int i) {
    static char p[16];
    snprintf(p, sizeof p, "r%d", i);
    return p;
}

static const char *log_payload(int i) {
    (void)i;
    return "payload";
}

/* A sealed segment: every payload mapped, in one mapping; kept mapped
 * after the reader is freed. */
static void test_sealed_segment_payloads_are_mapped_and_kept(void) {
    const char *p = path_of("sealed.binlog");
    make_segment(p, 100);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    binlog_mapping *kept = NULL;
    CHECK_ERR(binlog_reader_keep_mapping(r, &kept), BINLOG_ERR_INVALID_ARGUMENT, "mapped no payload");
    uint8_t buf[256];
    binlog_mapped_record recs[40];
    size_t count = 0, len = 0;
    const uint8_t *map = NULL;
    REQUIRE_OK(binlog_reader_next_mapped(r, buf, sizeof buf, recs, 40, 0, &count, &map, &len));
    CHECK_EQ_U(count, 40);
    for (size_t k = 0; k < count; k++) CHECK_EQ_U(recs[k].mapped, 1);
    REQUIRE_OK(binlog_reader_keep_mapping(r, &kept));
    const uint8_t *last = map + recs[39].payload_off;
    size_t last_len = recs[39].payload_len;
    int batches = 0;
    CHECK_EQ_I(read_all(r, 40, 40, r_payload, &batches), 100);
    binlog_reader_free(r);
    CHECK_STR(last, last_len, "r39");
    binlog_mapping_free(kept);
    binlog_mapping_free(NULL);
}

/* A log of 35 records, 10 a segment: every record once, in order; a batch
 * never spans two segments' mappings, so more batches than segments. */
static void test_log_batches_stay_in_one_mapping(void) {
    binlog_writer *w = write_log("mlog", 35, 10);
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(tmpdir, "mlog", &r));
    int batches = 0;
    CHECK_EQ_I(read_all(r, 0, 128, log_payload, &batches), 35);
    CHECK(batches >= 4);
    binlog_reader_free(r);
}

/* No room for the type name: BUFFER_TOO_SMALL, nothing consumed; bad
 * arguments: their codes, outputs untouched. */
static void test_small_buffer_and_bad_arguments(void) {
    const char *p = path_of("small.binlog");
    make_segment(p, 3);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    uint8_t buf[64];
    binlog_mapped_record recs[4];
    size_t count = 77, len = 77;
    const uint8_t *map = NULL;
    CHECK_ERR(binlog_reader_next_mapped(r, buf, 0, recs, 4, 0, &count, &map, &len), BINLOG_ERR_BUFFER_TOO_SMALL,
              "needs a buffer of");
    CHECK_EQ_U(count, 77);
    CHECK_ERR(binlog_reader_next_mapped(r, buf, sizeof buf, recs, 4, 0, NULL, &map, &len), BINLOG_ERR_NULL_POINTER,
              NULL);
    CHECK_ERR(binlog_reader_next_mapped(r, buf, sizeof buf, recs, 4, 0, &count, NULL, &len), BINLOG_ERR_NULL_POINTER,
              NULL);
    CHECK_ERR(binlog_reader_next_mapped(r, buf, sizeof buf, recs, 0, 0, &count, &map, &len),
              BINLOG_ERR_INVALID_ARGUMENT, "cap");
    CHECK_ERR(binlog_reader_next_mapped(NULL, buf, sizeof buf, recs, 4, 0, &count, &map, &len),
              BINLOG_ERR_NULL_POINTER, NULL);
    CHECK_OK(binlog_reader_next_mapped(r, buf, sizeof buf, recs, 4, 0, &count, &map, &len));
    CHECK_EQ_U(count, 3);
    CHECK_EQ_U(recs[0].seq, 0);
    CHECK_OK(binlog_reader_close(r));
    CHECK_ERR(binlog_reader_next_mapped(r, buf, sizeof buf, recs, 4, 0, &count, &map, &len), BINLOG_ERR_CLOSED,
              NULL);
    binlog_reader_free(r);
}

int main(void) {
    if (make_tmpdir() != 0) return 2;
    test_sealed_segment_payloads_are_mapped_and_kept();
    test_log_batches_stay_in_one_mapping();
    test_small_buffer_and_bad_arguments();
    CHECK(tmpdir_removed());
    return (int)check_summary();
}
