#define _XOPEN_SOURCE 700 /* mkdtemp, nftw (tmpdir.h) */
/* binlog_reader_next_batch: many records per call, copied into the
 * caller's buffer. Every record a batch returns must equal what
 * binlog_reader_next returns for the same segment (seq, time, offset,
 * type, payload, metadata); a record that does not fit is kept for the
 * next call, never lost; a buffer too small for one record gets its own
 * code; a seek drops a held record; an error after some records returns
 * those records first; every bad argument gets its code. */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define N 300

/* What an output count holds before a call that must not write it. */
#define COUNT_SENTINEL ((size_t)0x5a5a5a5a)

/* The expected records, taken with binlog_reader_next. */
struct want {
    uint64_t seq, offset;
    int64_t ts;
    char type[16];
    size_t type_len;
    uint8_t payload[700];
    size_t payload_len;
    size_t meta_count;
    char meta[2][2][16]; /* [entry][key, value] */
};
static struct want want[N];

/* Record i: type "a"/"bb"/"ccc", payload of (i * 37) % 650 bytes, metadata
 * on every third record. */
static void write_segment(const char *path) {
    binlog_writer *w = NULL;
    CHECK_OK(binlog_writer_open(path, NULL, &w));
    static const char *types[3] = {"a", "bb", "ccc"};
    uint8_t payload[700];
    for (int i = 0; i < N; i++) {
        size_t len = (size_t)(i * 37) % 650;
        for (size_t k = 0; k < len; k++) payload[k] = (uint8_t)(i + k);
        char k0[16], v0[16];
        snprintf(k0, sizeof k0, "k%d", i);
        snprintf(v0, sizeof v0, "value-%d", i);
        binlog_meta meta[2] = {
            {(const uint8_t *)k0, strlen(k0), (const uint8_t *)v0, strlen(v0)},
            {(const uint8_t *)"z", 1, (const uint8_t *)"", 0},
        };
        binlog_entry e = {
            .type_name = (const uint8_t *)types[i % 3],
            .type_len = strlen(types[i % 3]),
            .meta = i % 3 == 0 ? meta : NULL,
            .meta_count = i % 3 == 0 ? 2 : 0,
            .payload = payload,
            .payload_len = len,
            .timestamp_ns = 1000 + i,
        };
        CHECK_OK(binlog_writer_write_batch(w, &e, 1, NULL));
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static void load_want(const char *path) {
    binlog_reader *r = NULL;
    CHECK_OK(binlog_reader_open(path, &r));
    binlog_record rec;
    for (int i = 0; i < N; i++) {
        REQUIRE(binlog_reader_next(r, &rec) == BINLOG_OK);
        struct want *w = &want[i];
        w->seq = rec.seq;
        w->offset = rec.offset;
        w->ts = rec.timestamp_ns;
        memcpy(w->type, rec.type_name, rec.type_len);
        w->type_len = rec.type_len;
        if (rec.payload_len) memcpy(w->payload, rec.payload, rec.payload_len);
        w->payload_len = rec.payload_len;
        w->meta_count = rec.meta_count;
        for (size_t m = 0; m < rec.meta_count; m++) {
            snprintf(w->meta[m][0], 16, "%.*s", (int)rec.meta[m].key_len, (const char *)rec.meta[m].key);
            snprintf(w->meta[m][1], 16, "%.*s", (int)rec.meta[m].value_len, (const char *)rec.meta[m].value);
        }
    }
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    binlog_reader_free(r);
}

/* Checks batch record `b` (data in `buf`) against want[i]. */
static void check_record(const uint8_t *buf, const binlog_batch_record *b, int i) {
    const struct want *w = &want[i];
    CHECK_EQ_U(b->seq, w->seq);
    CHECK_EQ_U(b->offset, w->offset);
    CHECK_EQ_I(b->timestamp_ns, w->ts);
    CHECK_EQ_U(b->type_len, w->type_len);
    CHECK_MEM(buf + b->type_off, w->type, w->type_len);
    CHECK_EQ_U(b->payload_len, w->payload_len);
    if (w->payload_len) CHECK_MEM(buf + b->payload_off, w->payload, w->payload_len);
    CHECK_EQ_U(b->meta_count, w->meta_count);
    CHECK_EQ_U(b->meta_off % 4, 0);
    for (size_t m = 0; m < b->meta_count && m < 2; m++) {
        binlog_batch_meta bm;
        memcpy(&bm, buf + b->meta_off + m * sizeof bm, sizeof bm);
        CHECK_EQ_U(bm.key_len, strlen(w->meta[m][0]));
        CHECK_MEM(buf + bm.key_off, w->meta[m][0], bm.key_len);
        CHECK_EQ_U(bm.value_len, strlen(w->meta[m][1]));
        if (bm.value_len) CHECK_MEM(buf + bm.value_off, w->meta[m][1], bm.value_len);
    }
}

/* Reads the whole segment in batches of at most `cap` records into a
 * buffer of `buf_len` bytes; every record must come once, in order. */
static void read_all(const char *path, size_t buf_len, size_t cap) {
    binlog_reader *r = NULL;
    CHECK_OK(binlog_reader_open(path, &r));
    uint8_t *buf = malloc(buf_len);
    binlog_batch_record *recs = malloc(cap * sizeof *recs);
    REQUIRE(buf != NULL && recs != NULL);
    int next = 0, calls = 0;
    for (;;) {
        size_t count = 12345;
        binlog_result rc = binlog_reader_next_batch(r, buf, buf_len, recs, cap, 0, &count);
        calls++;
        if (rc == BINLOG_END) {
            CHECK_EQ_U(count, 0);
            break;
        }
        REQUIRE(rc == BINLOG_OK);
        CHECK(count >= 1 && count <= cap);
        for (size_t k = 0; k < count && next < N; k++) check_record(buf, &recs[k], next++);
    }
    CHECK_EQ_I(next, N);
    /* Fewer calls than records when several fit. */
    if (cap > 1 && buf_len >= 8192) CHECK(calls < N / 2);
    binlog_tail tail;
    CHECK_OK(binlog_reader_tail(r, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);
    binlog_reader_free(r);
    free(buf);
    free(recs);
}

/* A `cap` whose records array would be larger than any object (cap *
 * sizeof(binlog_batch_record) > PTRDIFF_MAX, up to SIZE_MAX) is refused
 * with BINLOG_ERR_INVALID_ARGUMENT naming the file, as every other array
 * length is: the outputs untouched, no record consumed. */
static void test_cap_larger_than_any_object(void) {
    const char *p = path_of("cap.binlog");
    make_segment(p, 2);
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

int main(void) {
    if (make_tmpdir() != 0) return 2;
    char path[300], bad[300];
    snprintf(path, sizeof path, "%s/seg.binlog", tmpdir);
    snprintf(bad, sizeof bad, "%s/bad.binlog", tmpdir);
    write_segment(path);
    load_want(path);

    /* Whole segment, many buffer and batch sizes (700 bytes: about one
     * record a call, often held back; 1 MiB: everything in one call). */
    read_all(path, 1 << 20, 1000);
    read_all(path, 1 << 20, 7);
    read_all(path, 8192, 64);
    read_all(path, 700, 64);
    read_all(path, 4096, 1);

    /* Too small for one record: its own code, the size it needs, nothing
     * consumed; binlog_reader_next then returns that same record. */
    binlog_reader *r = NULL;
    CHECK_OK(binlog_reader_open(path, &r));
    uint8_t buf[1024];
    binlog_batch_record recs[4];
    size_t count = 99;
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 1, 0, &count)); /* record 0 */
    CHECK_EQ_U(count, 1);
    CHECK_RC(binlog_reader_next_batch(r, buf, 8, recs, 4, 0, &count), BINLOG_ERR_BUFFER_TOO_SMALL);
    CHECK_EQ_U(count, 1); /* untouched */
    CHECK_CONTAINS(binlog_last_error(), "needs a buffer of");
    CHECK_CONTAINS(binlog_last_error(), path);
    char at1[64];
    snprintf(at1, sizeof at1, "offset %llu", (unsigned long long)want[1].offset);
    CHECK_CONTAINS(binlog_last_error(), at1);
    CHECK_RC(binlog_reader_next_batch(r, NULL, 0, recs, 4, 0, &count), BINLOG_ERR_BUFFER_TOO_SMALL);
    binlog_record rec;
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, want[1].seq);
    CHECK_EQ_U(rec.payload_len, want[1].payload_len);
    CHECK_MEM(rec.payload, want[1].payload, want[1].payload_len);
    CHECK_EQ_U(rec.meta_count, 0);
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 1, 0, &count));
    CHECK_EQ_U(count, 1);
    check_record(buf, &recs[0], 2);

    /* A held record (record 3 has metadata, seen through next's view) ... */
    CHECK_RC(binlog_reader_next_batch(r, buf, 8, recs, 4, 0, &count), BINLOG_ERR_BUFFER_TOO_SMALL);
    binlog_tail tail;
    CHECK_OK(binlog_reader_tail(r, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_READING);
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, want[3].seq);
    CHECK_EQ_U(rec.meta_count, 2);
    CHECK_STR(rec.meta[0].key, rec.meta[0].key_len, want[3].meta[0][0]);
    CHECK_STR(rec.meta[0].value, rec.meta[0].value_len, want[3].meta[0][1]);
    /* ... and a seek drops one. */
    CHECK_RC(binlog_reader_next_batch(r, buf, 8, recs, 4, 0, &count), BINLOG_ERR_BUFFER_TOO_SMALL);
    CHECK_OK(binlog_reader_seek_seq(r, 0));
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 1, 0, &count));
    check_record(buf, &recs[0], 0);

    /* A type filter keeps a held record it lets through (the reader is
     * already past it), and drops one it excludes. Record 1 is "bb". */
    CHECK_OK(binlog_reader_seek_seq(r, 1));
    CHECK_RC(binlog_reader_next_batch(r, buf, 8, recs, 4, 0, &count), BINLOG_ERR_BUFFER_TOO_SMALL);
    binlog_iovec only_bb = {(const uint8_t *)"bb", 2};
    CHECK_OK(binlog_reader_filter_types(r, &only_bb, 1));
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 1, 0, &count));
    check_record(buf, &recs[0], 1);
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 1, 0, &count));
    check_record(buf, &recs[0], 4);
    CHECK_RC(binlog_reader_next_batch(r, buf, 8, recs, 4, 0, &count), BINLOG_ERR_BUFFER_TOO_SMALL); /* 7 */
    binlog_iovec only_a = {(const uint8_t *)"a", 1};
    CHECK_OK(binlog_reader_filter_types(r, &only_a, 1));
    CHECK_OK(binlog_reader_next_batch(r, buf, sizeof buf, recs, 1, 0, &count));
    check_record(buf, &recs[0], 9);
    CHECK_OK(binlog_reader_filter_types(r, NULL, 0));

    /* Bad arguments, each with its code; outputs untouched. */
    count = 77;
    CHECK_RC(binlog_reader_next_batch(NULL, buf, sizeof buf, recs, 4, 0, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_RC(binlog_reader_next_batch(r, buf, sizeof buf, NULL, 4, 0, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_RC(binlog_reader_next_batch(r, buf, sizeof buf, recs, 4, 0, NULL), BINLOG_ERR_NULL_POINTER);
    CHECK_RC(binlog_reader_next_batch(r, NULL, 10, recs, 4, 0, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_RC(binlog_reader_next_batch(r, buf, sizeof buf, recs, 0, 0, &count), BINLOG_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(binlog_last_error(), path);
    CHECK_EQ_U(count, 77);
    CHECK_OK(binlog_reader_close(r));
    CHECK_RC(binlog_reader_next_batch(r, buf, sizeof buf, recs, 4, 0, &count), BINLOG_ERR_CLOSED);
    CHECK_CONTAINS(binlog_last_error(), path);
    binlog_reader_free(r);

    /* Damage in the middle: the records before it come first, then the
     * error naming the file and offset, then (skipping) the rest. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, bad);
    REQUIRE(system(cmd) == 0);
    FILE *f = fopen(bad, "r+b");
    REQUIRE(f != NULL);
    fseek(f, (long)(want[10].offset + 12), SEEK_SET);
    int c = fgetc(f);
    fseek(f, (long)(want[10].offset + 12), SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
    CHECK_OK(binlog_reader_open(bad, &r));
    static uint8_t big[1 << 20];
    binlog_batch_record many[64];
    CHECK_OK(binlog_reader_next_batch(r, big, sizeof big, many, 64, 0, &count));
    CHECK_EQ_U(count, 10);
    for (size_t k = 0; k < count; k++) check_record(big, &many[k], (int)k);
    CHECK_RC(binlog_reader_next_batch(r, big, sizeof big, many, 64, 0, &count), BINLOG_ERR_CORRUPT);
    char at[64];
    snprintf(at, sizeof at, "offset %llu", (unsigned long long)want[10].offset);
    CHECK_CONTAINS(binlog_last_error(), at);
    CHECK_CONTAINS(binlog_last_error(), bad);
    CHECK_OK(binlog_reader_skip_damaged(r, true));
    size_t got = 0;
    while (binlog_reader_next_batch(r, big, sizeof big, many, 64, 0, &count) == BINLOG_OK) got += count;
    CHECK_EQ_U(got, N - 11);
    binlog_reader_free(r);

    /* A rolling log read in batches across its segments, with a wait. */
    char logdir[300];
    snprintf(logdir, sizeof logdir, "%s/log", tmpdir);
    binlog_options *o = NULL;
    CHECK_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_max_segment_records(o, 40));
    binlog_writer *w = NULL;
    CHECK_OK(binlog_writer_open_log(logdir, "b", o, &w));
    binlog_options_free(o);
    for (int i = 0; i < 250; i++) {
        char p[16];
        int n = snprintf(p, sizeof p, "p%d", i);
        CHECK_OK(binlog_writer_write(w, (const uint8_t *)"t", 1, (const uint8_t *)p, (size_t)n, NULL));
    }
    CHECK_OK(binlog_writer_flush(w));
    CHECK_OK(binlog_reader_open_log(logdir, "b", &r));
    uint64_t seq = 0;
    int calls = 0;
    while (binlog_reader_next_batch(r, big, sizeof big, many, 64, 50, &count) == BINLOG_OK) {
        calls++;
        for (size_t k = 0; k < count; k++, seq++) {
            char p[16];
            int n = snprintf(p, sizeof p, "p%llu", (unsigned long long)seq);
            CHECK_EQ_U(many[k].seq, seq);
            CHECK_EQ_U(many[k].payload_len, (size_t)n);
            CHECK_MEM(big + many[k].payload_off, p, (size_t)n);
        }
    }
    CHECK_EQ_U(seq, 250);
    CHECK(calls >= 4 && calls < 20);
    binlog_reader_free(r);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    test_cap_larger_than_any_object();

    CHECK(tmpdir_removed());
    return (int)check_summary();
}
