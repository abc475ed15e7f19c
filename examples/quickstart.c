/*
 * libbinlog quickstart: write a million records, seal the segment, then read
 * them back in full, by type, and from a sequence number or a timestamp.
 *
 *   make demo        (runs: quickstart demo-data/quickstart.binlog)
 *
 * Every libbinlog call returns a binlog_result; on failure
 * binlog_last_error() says what went wrong (file and offset included).
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <binlog.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_RECORDS 1000000
#define BATCH     1024

/* Exit with the library's message if a call did not return BINLOG_OK. */
#define CHECK(call)                                                            \
    do {                                                                       \
        binlog_result rc_ = (call);                                            \
        if (rc_ != BINLOG_OK) {                                                \
            fprintf(stderr, "error: %s returned %u: %s\n", #call,              \
                    (unsigned)rc_, binlog_last_error());                       \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

/* Exit with a message when a result is not what the example expects. */
static void fail(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\n", stderr);
    va_end(ap);
    exit(1);
}

/* Record types and the share of records (per 100) each one gets. */
enum { ORDER, TRADE, QUOTE, AUDIT, NTYPES };
static const char *const TYPE_NAMES[NTYPES] = {"order", "trade", "quote", "audit"};
static const char *const VENUES[] = {"XNAS", "XNYS", "XLON", "XPAR"};

static int type_of(uint64_t i) {          /* 60% order, 25% trade,   */
    unsigned k = (unsigned)(i % 100);     /* 14% quote, 1% audit     */
    return k < 60 ? ORDER : k < 85 ? TRADE : k < 99 ? QUOTE : AUDIT;
}
static size_t payload_len(int type, uint64_t i) {  /* varied sizes */
    static const size_t base[NTYPES] = {48, 64, 24, 200};
    static const size_t spread[NTYPES] = {64, 64, 16, 256};
    return base[type] + (size_t)(i * 2654435761u % spread[type]);
}
static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
static const uint8_t *u8(const char *s) { return (const uint8_t *)s; }

/* Payload bytes come from one buffer; metadata entries are static. */
static uint8_t payload[1024];
static binlog_meta venue_meta[4];
static int64_t t0;                          /* first record's timestamp */
static uint64_t written[NTYPES], payload_bytes;

/* Describes record number i (also its seq) in *e; counts what it wrote. */
static void fill_entry(binlog_entry *e, uint64_t i) {
    int t = type_of(i);
    size_t n = payload_len(t, i);
    *e = (binlog_entry){
        .type_name = u8(TYPE_NAMES[t]),
        .type_len = strlen(TYPE_NAMES[t]),
        .payload = payload + i % 64,
        .payload_len = n,
        .timestamp_ns = t0 + (int64_t)i * 1000, /* or BINLOG_TIME_NOW */
    };
    if (t == TRADE) { /* trades carry their venue as metadata */
        e->meta = &venue_meta[i % 4];
        e->meta_count = 1;
    }
    written[t]++;
    payload_bytes += n;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <segment-path>\n", argv[0]);
        return 2;
    }
    const char *path = argv[1];
    printf("libbinlog %s quickstart: %s\n", binlog_version(), path);

    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 31 + 7);
    for (int v = 0; v < 4; v++)
        venue_meta[v] = (binlog_meta){u8("venue"), 5, u8(VENUES[v]), 4};

    /* Timestamps are explicit (1 us apart) so seek_time below is exact. */
    struct timespec wall;
    clock_gettime(CLOCK_REALTIME, &wall);
    t0 = (int64_t)wall.tv_sec * 1000000000 + wall.tv_nsec;

    /* ---- Write --------------------------------------------------------- */
    binlog_options *opts;
    CHECK(binlog_options_new(&opts));
    CHECK(binlog_options_set_log_name(opts, u8("quickstart"), 10));
    CHECK(binlog_options_set_buffer_size(opts, 1 << 20)); /* 1 MiB buffer */
    binlog_writer *w;
    CHECK(binlog_writer_open(path, opts, &w));
    binlog_options_free(opts); /* the writer keeps its own copy */

    double t_start = now_s();
    /* The first record alone with binlog_writer_write_entry... */
    binlog_entry e;
    fill_entry(&e, 0);
    uint64_t seq;
    CHECK(binlog_writer_write_entry(w, &e, &seq));
    if (seq != 0) fail("first record got seq %llu", (unsigned long long)seq);
    /* ...and the rest in batches: one lock and few syscalls per batch. */
    static binlog_entry batch[BATCH];
    for (uint64_t i = 1; i < N_RECORDS;) {
        size_t n = 0;
        for (; n < BATCH && i < N_RECORDS; n++, i++) fill_entry(&batch[n], i);
        CHECK(binlog_writer_write_batch(w, batch, n, NULL));
    }
    CHECK(binlog_writer_close(w)); /* flushes and seals (per-type index) */
    binlog_writer_free(w);
    double t_write = now_s() - t_start;

    double mb = (double)payload_bytes / 1e6;
    printf("wrote   %d records, %.1f MB of payload, in %.3f s (seal included): "
           "%.2f M records/s, %.0f MB/s\n", N_RECORDS, mb, t_write, N_RECORDS / t_write / 1e6, mb / t_write);

    /* ---- Read everything back, in order ------------------------------- */
    binlog_reader *r;
    CHECK(binlog_reader_open(path, &r));
    uint64_t seen[NTYPES] = {0}, expect_seq = 0;
    binlog_record rec; /* a view into the segment, valid until the next call */
    binlog_result rc;
    t_start = now_s();
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) { /* CRC-checked */
        if (rec.seq != expect_seq++)
            fail("seq %llu where %llu was expected", (unsigned long long)rec.seq,
                 (unsigned long long)expect_seq - 1);
        for (int t = 0; t < NTYPES; t++) /* type_name is not NUL-terminated */
            if (rec.type_len == strlen(TYPE_NAMES[t]) &&
                memcmp(rec.type_name, TYPE_NAMES[t], rec.type_len) == 0)
                seen[t]++;
    }
    if (rc != BINLOG_END) CHECK(rc); /* BINLOG_END is the normal end */
    double t_scan = now_s() - t_start;
    binlog_tail tail;
    CHECK(binlog_reader_tail(r, &tail));
    if (expect_seq != N_RECORDS || tail.kind != BINLOG_TAIL_SEALED)
        fail("read %llu records, tail kind %u", (unsigned long long)expect_seq, (unsigned)tail.kind);
    printf("read    %llu records, seqs 0..%d in order, in %.3f s: %.2f M records/s, %.0f MB/s\n",
           (unsigned long long)expect_seq, N_RECORDS - 1, t_scan, expect_seq / t_scan / 1e6, mb / t_scan);
    printf("types  ");
    for (int t = 0; t < NTYPES; t++) {
        printf(" %s=%llu", TYPE_NAMES[t], (unsigned long long)seen[t]);
        if (seen[t] != written[t])
            fail("%s: read %llu, wrote %llu", TYPE_NAMES[t], (unsigned long long)seen[t],
                 (unsigned long long)written[t]);
    }
    printf("\n");

    /* ---- Read only "audit" records (via the seal's per-type index) ----- */
    binlog_reader *ra;
    CHECK(binlog_reader_open(path, &ra));
    binlog_iovec want = {u8("audit"), 5};
    CHECK(binlog_reader_filter_types(ra, &want, 1));
    uint64_t audits = 0;
    t_start = now_s();
    while ((rc = binlog_reader_next(ra, &rec)) == BINLOG_OK) audits++;
    if (rc != BINLOG_END) CHECK(rc);
    double t_audit = now_s() - t_start;
    if (audits != written[AUDIT])
        fail("filter found %llu audit records, wrote %llu", (unsigned long long)audits,
             (unsigned long long)written[AUDIT]);
    printf("filter  %llu audit records in %.4f s vs %.3f s for the full scan (%.0fx faster)\n",
           (unsigned long long)audits, t_audit, t_scan, t_scan / t_audit);
    CHECK(binlog_reader_close(ra));
    binlog_reader_free(ra);

    /* ---- Seek by sequence number and by timestamp --------------------- */
    CHECK(binlog_reader_seek_seq(r, 123456));
    CHECK(binlog_reader_next(r, &rec));
    if (rec.seq != 123456) fail("seek_seq found seq %llu", (unsigned long long)rec.seq);
    printf("seek    seq 123456 -> seq %llu, %.*s, %zu payload bytes, at offset %llu\n",
           (unsigned long long)rec.seq, (int)rec.type_len, (const char *)rec.type_name,
           rec.payload_len, (unsigned long long)rec.offset);
    int64_t when = t0 + 750059 * (int64_t)1000 + 1; /* just after record 750059 */
    CHECK(binlog_reader_seek_time(r, when));
    CHECK(binlog_reader_next(r, &rec));
    printf("seek    time t0+750.059001 ms -> seq %llu (t0+%.3f ms), %.*s",
           (unsigned long long)rec.seq, (double)(rec.timestamp_ns - t0) / 1e6,
           (int)rec.type_len, (const char *)rec.type_name);
    for (size_t m = 0; m < rec.meta_count; m++) /* metadata, e.g. a trade's venue */
        printf(" %.*s=%.*s", (int)rec.meta[m].key_len, (const char *)rec.meta[m].key,
               (int)rec.meta[m].value_len, (const char *)rec.meta[m].value);
    printf("\n");
    if (rec.seq != 750060) fail("seek_time found seq %llu, expected 750060", (unsigned long long)rec.seq);
    CHECK(binlog_reader_close(r));
    binlog_reader_free(r);
    printf("ok\n");
    return 0;
}
