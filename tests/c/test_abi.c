/*
 * test_abi.c: the happy paths of every function of the libbinlog C ABI.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"



static int64_t clock_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static unsigned le16(const uint8_t *p) {
    return (unsigned)p[0] | ((unsigned)p[1] << 8);
}

/* ------------------------------------------------------------------------ */
/* What a record read back must be.                                          */

struct want {
    uint64_t seq;
    int64_t ts_lo, ts_hi; /* the timestamp is in [ts_lo, ts_hi] */
    const char *type;
    const void *payload;
    size_t payload_len;
    const binlog_meta *meta;
    size_t meta_count;
};

/* A view's pointer points at memory even for 0 bytes (an empty Rust
 * slice's address, 1, may not be passed to memcmp or memcpy even with a
 * length of 0): reading the byte there must not fault. */
static void check_points_at_memory(const uint8_t *p) {
    CHECK(p != NULL);
    if (p != NULL) {
        volatile uint8_t b = *p;
        (void)b;
    }
}

static void check_record_at(const binlog_record *r, const struct want *w, int line) {
    unsigned failed_before = check_failed_;
    check_points_at_memory(r->type_name);
    check_points_at_memory(r->payload);
    CHECK_EQ_U(r->seq, w->seq);
    /* A range comes from clock readings around the write: the library's
     * clock may read up to 1 us off CLOCK_REALTIME (README, "Timestamps"). An
     * explicit timestamp (ts_lo == ts_hi) must come back exactly. */
    int64_t slack = w->ts_lo == w->ts_hi ? 0 : 1000;
    CHECK(r->timestamp_ns >= w->ts_lo - slack && r->timestamp_ns <= w->ts_hi + slack);
    CHECK_STR(r->type_name, r->type_len, w->type);
    CHECK_EQ_U(r->payload_len, w->payload_len);
    if (r->payload_len == w->payload_len) {
        CHECK_MEM(r->payload, w->payload, w->payload_len);
    }
    CHECK_EQ_U(r->meta_count, w->meta_count);
    if (r->meta_count == w->meta_count) {
        for (size_t i = 0; i < w->meta_count; i++) {
            CHECK(r->meta != NULL);
            if (r->meta == NULL) {
                break;
            }
            check_points_at_memory(r->meta[i].key);
            check_points_at_memory(r->meta[i].value);
            CHECK_EQ_U(r->meta[i].key_len, w->meta[i].key_len);
            CHECK_EQ_U(r->meta[i].value_len, w->meta[i].value_len);
            if (r->meta[i].key_len == w->meta[i].key_len) {
                CHECK_MEM(r->meta[i].key, w->meta[i].key, w->meta[i].key_len);
            }
            if (r->meta[i].value_len == w->meta[i].value_len) {
                CHECK_MEM(r->meta[i].value, w->meta[i].value, w->meta[i].value_len);
            }
        }
    }
    if (check_failed_ != failed_before) {
        fprintf(stderr, "    (record seq %llu, as expected by test_abi.c:%d)\n",
                (unsigned long long)w->seq, line);
    }
}

#define CHECK_RECORD(r, w) check_record_at((r), (w), __LINE__)

/* Reads the next record and checks it is `w`. */
static void expect_next_at(binlog_reader *rd, const struct want *w, int line) {
    binlog_record rec;
    memset(&rec, 0, sizeof rec);
    if (check_rc_(binlog_reader_next(rd, &rec), BINLOG_OK, __FILE__, line, "binlog_reader_next")) {
        check_record_at(&rec, w, line);
    }
}

#define EXPECT_NEXT(rd, w) expect_next_at((rd), (w), __LINE__)

/* Reads the next record and returns its seq (UINT64_MAX if none). */
static uint64_t next_seq_of(binlog_reader *rd) {
    binlog_record rec;
    binlog_result rc = binlog_reader_next(rd, &rec);
    return rc == BINLOG_OK ? rec.seq : UINT64_MAX;
}

/* ------------------------------------------------------------------------ */

static void test_version(void) {
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", BINLOG_VERSION_MAJOR, BINLOG_VERSION_MINOR,
             BINLOG_VERSION_PATCH);
    const char *v = binlog_version();
    REQUIRE(v != NULL);
    CHECK(strcmp(v, want) == 0);
    /* A static string: the same pointer every time. */
    CHECK(binlog_version() == v);
    /* The number orders as the versions do and agrees with the string. */
    CHECK_EQ_U(binlog_version_number(), BINLOG_VERSION_NUMBER);
    CHECK_EQ_U(BINLOG_VERSION_NUMBER, (unsigned)BINLOG_VERSION_MAJOR * 1000000u +
                                          (unsigned)BINLOG_VERSION_MINOR * 1000u +
                                          (unsigned)BINLOG_VERSION_PATCH);
    CHECK(binlog_last_error() != NULL);
}

/* Options: every setter, and their effect on the segment written. */
static void test_options(void) {
    const char *path = path_of("options.binlog");
    binlog_options *o = (binlog_options *)(uintptr_t)1; /* must be overwritten */
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE(o != NULL && o != (binlog_options *)(uintptr_t)1);
    CHECK_OK(binlog_options_set_log_name(o, LIT("orders")));
    CHECK_OK(binlog_options_set_log_name(o, LIT("orders-v2"))); /* the last one wins */
    CHECK_OK(binlog_options_set_content_type(o, LIT("application/json")));
    CHECK_OK(binlog_options_add_param(o, LIT("host"), LIT("h1")));
    CHECK_OK(binlog_options_add_param(o, LIT("ключ"), LIT("значение")));
    CHECK_OK(binlog_options_add_param(o, NULL, 0, NULL, 0)); /* empty key and value */
    CHECK_OK(binlog_options_set_max_record_size(o, 4096));
    CHECK_OK(binlog_options_set_buffer_size(o, 0));
    CHECK_OK(binlog_options_set_durability(o, BINLOG_DURABILITY_EVERY_N, 3));
    CHECK_OK(binlog_options_set_first_seq(o, 1000));
    CHECK_OK(binlog_options_set_segment_no(o, 7));
    CHECK_OK(binlog_options_set_created_ns(o, INT64_C(1700000000123456789)));
    CHECK_OK(binlog_options_set_sparse_interval(o, 128));

    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, o, &w));
    REQUIRE(w != NULL);
    binlog_options_free(o); /* allowed as soon as open returned */
    binlog_options_free(NULL);

    uint64_t seq = 0, next = 0, durable = 0;
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 1000); /* first_seq */
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK_EQ_U(durable, 1000);

    /* EVERY_N = 3: the third record's write syncs, not the first two. */
    CHECK_OK(binlog_writer_write(w, LIT("a"), LIT("one"), &seq));
    CHECK_EQ_U(seq, 1000);
    CHECK_OK(binlog_writer_write(w, LIT("a"), LIT("two"), &seq));
    CHECK_EQ_U(seq, 1001);
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK_EQ_U(durable, 1000);
    CHECK_OK(binlog_writer_write(w, LIT("a"), LIT("three"), &seq));
    CHECK_EQ_U(seq, 1002);
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK_EQ_U(durable, 1003);

    /* max_record_size 4096: a record of about 3000 bytes fits. */
    static uint8_t big[3000];
    memset(big, 'x', sizeof big);
    CHECK_OK(binlog_writer_write(w, LIT("big"), big, sizeof big, &seq));
    CHECK_EQ_U(seq, 1003);

    /* buffer_size 0: a reader sees the records without any flush (1003 did
     * not sync: it is the first after the sync). */
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK_EQ_U(durable, 1003);
    binlog_reader *rd = NULL;
    REQUIRE_OK(binlog_reader_open(path, &rd));
    CHECK_EQ_U(next_seq_of(rd), 1000);
    CHECK_EQ_U(next_seq_of(rd), 1001);
    CHECK_EQ_U(next_seq_of(rd), 1002);
    binlog_record rec;
    CHECK_OK(binlog_reader_next(rd, &rec));
    CHECK_EQ_U(rec.seq, 1003);
    CHECK_EQ_U(rec.payload_len, sizeof big);
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_close(rd));
    binlog_reader_free(rd);

    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    /* The header records what the options said (layout in src/format/header.rs). */
    size_t len = 0;
    uint8_t *b = read_file(path, &len);
    REQUIRE(b != NULL && len > 200);
    static const uint8_t magic[8] = {0x89, 'B', 'L', 'G', '\r', '\n', 0x1a, '\n'};
    CHECK_MEM(b, magic, 8);
    CHECK_EQ_U(le16(b + 8), BINLOG_FORMAT_MAJOR);
    CHECK_EQ_I((int64_t)le64(b + 16), INT64_C(1700000000123456789));
    CHECK_EQ_U(le64(b + 24), 7);
    CHECK_EQ_U(le64(b + 32), 1000);
    size_t at = 44;
    CHECK_EQ_U(le16(b + at), 9);
    CHECK_MEM(b + at + 2, "orders-v2", 9);
    at += 2 + 9;
    CHECK_EQ_U(le16(b + at), 16);
    CHECK_MEM(b + at + 2, "application/json", 16);
    at += 2 + 16;
    char writer[64];
    snprintf(writer, sizeof writer, "libbinlog/%s", binlog_version());
    CHECK_EQ_U(le16(b + at), strlen(writer));
    CHECK_MEM(b + at + 2, writer, strlen(writer));
    at += 2 + le16(b + at);
    REQUIRE(at + 64 < len);
    CHECK_EQ_U(le16(b + at), 3); /* parameters */
    at += 2;
    CHECK_EQ_U(le16(b + at), 4);
    CHECK_MEM(b + at + 2, "host", 4);
    at += 6;
    CHECK_EQ_U(le16(b + at), 2);
    CHECK_MEM(b + at + 2, "h1", 2);
    at += 4;
    CHECK_EQ_U(le16(b + at), strlen("ключ"));
    CHECK_MEM(b + at + 2, "ключ", strlen("ключ"));
    at += 2 + strlen("ключ");
    CHECK_EQ_U(le16(b + at), strlen("значение"));
    CHECK_MEM(b + at + 2, "значение", strlen("значение"));
    at += 2 + strlen("значение");
    CHECK_EQ_U(le16(b + at), 0);
    CHECK_EQ_U(le16(b + at + 2), 0);
    /* A closed writer sealed the segment: it ends with the trailer magic. */
    CHECK_MEM(b + len - 8, "BLGSEAL1", 8);
    free(b);
}

/* Durability EVERY_RECORD and INTERVAL_MS move durable_seq by themselves. */
static void test_durability(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_durability(o, BINLOG_DURABILITY_EVERY_RECORD, 0));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path_of("every-record.binlog"), o, &w));
    uint64_t seq = UINT64_MAX, durable = 0;
    CHECK_OK(binlog_writer_write(w, LIT("d"), LIT("x"), &seq));
    CHECK_EQ_U(seq, 0);
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK(durable > seq);
    binlog_entry e[2];
    memset(e, 0, sizeof e);
    for (int i = 0; i < 2; i++) {
        e[i].type_name = U("d");
        e[i].type_len = 1;
        e[i].payload = U("yz");
        e[i].payload_len = 2;
        e[i].timestamp_ns = BINLOG_TIME_NOW;
    }
    CHECK_OK(binlog_writer_write_batch(w, e, 2, &seq));
    CHECK_EQ_U(seq, 1);
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK(durable > seq + 1);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    /* INTERVAL_MS: a background thread syncs; wait for it (at most 10 s). */
    CHECK_OK(binlog_options_set_durability(o, BINLOG_DURABILITY_INTERVAL_MS, 10));
    REQUIRE_OK(binlog_writer_open(path_of("interval.binlog"), o, &w));
    binlog_options_free(o);
    CHECK_OK(binlog_writer_write(w, LIT("i"), LIT("x"), &seq));
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    for (int i = 0; i < 1000 && durable <= seq; i++) {
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, NULL);
        CHECK_OK(binlog_writer_durable_seq(w, &durable));
    }
    CHECK(durable > seq);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* Group commit with waiters that yield instead of sleeping
 * (binlog_options_set_sync_wait_spin_us): each of 4 threads' writes returns
 * with its record durable, and every record is in the file once. Threads
 * count their own failures; the checks run on the main thread. */
struct spin_writer {
    binlog_writer *w;
    int id, failures;
};

static void *spin_writer_run(void *arg) {
    struct spin_writer *t = arg;
    for (int i = 0; i < 50; i++) {
        uint8_t payload[2] = {(uint8_t)t->id, (uint8_t)i};
        uint64_t seq = UINT64_MAX, durable = 0;
        if (binlog_writer_write(t->w, LIT("spin"), payload, 2, &seq) != BINLOG_OK ||
            binlog_writer_durable_seq(t->w, &durable) != BINLOG_OK || durable <= seq)
            t->failures++;
    }
    return NULL;
}

static void test_sync_wait_spin(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_durability(o, BINLOG_DURABILITY_EVERY_RECORD, 0));
    CHECK_OK(binlog_options_set_sync_wait_spin_us(o, 300));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path_of("spin.binlog"), o, &w));
    binlog_options_free(o);
    pthread_t tid[4];
    struct spin_writer t[4];
    for (int k = 0; k < 4; k++) {
        t[k] = (struct spin_writer){w, k, 0};
        REQUIRE(pthread_create(&tid[k], NULL, spin_writer_run, &t[k]) == 0);
    }
    for (int k = 0; k < 4; k++) {
        pthread_join(tid[k], NULL);
        CHECK_EQ_U(t[k].failures, 0);
    }
    uint64_t next = 0, durable = 0;
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK_EQ_U(next, 200);
    CHECK_EQ_U(durable, 200);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    /* Each (thread, i) pair once. */
    int seen[4][50];
    memset(seen, 0, sizeof seen);
    binlog_reader *r = NULL;
    binlog_record rec;
    REQUIRE_OK(binlog_reader_open(path_of("spin.binlog"), &r));
    uint64_t n = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        CHECK_EQ_U(rec.payload_len, 2);
        if (rec.payload_len == 2 && rec.payload[0] < 4 && rec.payload[1] < 50) seen[rec.payload[0]][rec.payload[1]]++;
        n++;
    }
    binlog_reader_free(r);
    CHECK_EQ_U(n, 200);
    int once = 0;
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 50; i++) once += seen[k][i] == 1;
    CHECK_EQ_U(once, 200);
}

/* Every write call, read back field by field; reopening continues. */
static void test_write_read(void) {
    const char *path = path_of("main.binlog");
    struct want wants[200];
    size_t n = 0;
    int64_t t0, t1;

    binlog_writer *w = (binlog_writer *)(uintptr_t)1;
    REQUIRE_OK(binlog_writer_open(path, NULL, &w)); /* NULL options: defaults */
    REQUIRE(w != NULL && w != (binlog_writer *)(uintptr_t)1);
    uint64_t next = UINT64_MAX, durable = UINT64_MAX, seq = UINT64_MAX;
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 0);
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK_EQ_U(durable, 0);

    /* write */
    t0 = clock_ns();
    CHECK_OK(binlog_writer_write(w, LIT("alpha"), LIT("hello"), &seq));
    t1 = clock_ns();
    CHECK_EQ_U(seq, 0);
    wants[n++] = (struct want){0, t0, t1, "alpha", "hello", 5, NULL, 0};
    t0 = clock_ns();
    CHECK_OK(binlog_writer_write(w, LIT("beta"), LIT("world!"), NULL)); /* seq_out optional */
    t1 = clock_ns();
    wants[n++] = (struct want){1, t0, t1, "beta", "world!", 6, NULL, 0};
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 2);

    /* zero-length payloads are records */
    t0 = clock_ns();
    CHECK_OK(binlog_writer_write(w, LIT("empty"), NULL, 0, &seq));
    CHECK_EQ_U(seq, 2);
    CHECK_OK(binlog_writer_write(w, LIT("empty"), U("unused"), 0, &seq));
    CHECK_EQ_U(seq, 3);
    t1 = clock_ns();
    wants[n++] = (struct want){2, t0, t1, "empty", "", 0, NULL, 0};
    wants[n++] = (struct want){3, t0, t1, "empty", "", 0, NULL, 0};

    /* writev: the parts gathered in order */
    binlog_iovec parts[4] = {{U("ab"), 2}, {NULL, 0}, {U("cdef"), 4}, {U("g"), 1}};
    t0 = clock_ns();
    CHECK_OK(binlog_writer_writev(w, LIT("vec"), parts, 4, &seq));
    CHECK_EQ_U(seq, 4);
    CHECK_OK(binlog_writer_writev(w, LIT("vec"), NULL, 0, &seq)); /* no parts: empty payload */
    CHECK_EQ_U(seq, 5);
    CHECK_OK(binlog_writer_writev(w, LIT("vec"), parts + 2, 1, NULL));
    t1 = clock_ns();
    wants[n++] = (struct want){4, t0, t1, "vec", "abcdefg", 7, NULL, 0};
    wants[n++] = (struct want){5, t0, t1, "vec", "", 0, NULL, 0};
    wants[n++] = (struct want){6, t0, t1, "vec", "cdef", 4, NULL, 0};

    /* write_entry: metadata and an explicit timestamp, exactly */
    static const binlog_meta meta[3] = {
        {U("k1"), 2, U("v1"), 2},
        {U("ключ"), sizeof("ключ") - 1, U("значение"), sizeof("значение") - 1},
        {U("empty"), 5, NULL, 0},
    };
    static const uint8_t binary[6] = {0, 1, 0xff, 0, 0x80, 7};
    binlog_entry e;
    memset(&e, 0, sizeof e);
    e.type_name = U("meta");
    e.type_len = 4;
    e.meta = meta;
    e.meta_count = 3;
    e.payload = binary;
    e.payload_len = sizeof binary;
    e.timestamp_ns = INT64_C(1234567890123456789);
    CHECK_OK(binlog_writer_write_entry(w, &e, &seq));
    CHECK_EQ_U(seq, 7);
    wants[n++] = (struct want){7, e.timestamp_ns, e.timestamp_ns, "meta", binary, sizeof binary,
                               meta, 3};
    e.timestamp_ns = -42; /* before the epoch is a timestamp too */
    e.meta_count = 1;
    CHECK_OK(binlog_writer_write_entry(w, &e, NULL));
    wants[n++] = (struct want){8, -42, -42, "meta", binary, sizeof binary, meta, 1};
    /* parts take precedence over payload; BINLOG_TIME_NOW is the clock */
    e.parts = parts;
    e.part_count = 3;
    e.meta = NULL;
    e.meta_count = 0;
    e.timestamp_ns = BINLOG_TIME_NOW;
    t0 = clock_ns();
    CHECK_OK(binlog_writer_write_entry(w, &e, &seq));
    t1 = clock_ns();
    CHECK_EQ_U(seq, 9);
    wants[n++] = (struct want){9, t0, t1, "meta", "abcdef", 6, NULL, 0};

    /* write_batch: 100 records under one call, first seq returned */
    static binlog_entry batch[100];
    static char payloads[100][16];
    for (int i = 0; i < 100; i++) {
        memset(&batch[i], 0, sizeof batch[i]);
        int len = snprintf(payloads[i], sizeof payloads[i], "b%03d", i);
        batch[i].type_name = U(i % 2 ? "batch-odd" : "batch-even");
        batch[i].type_len = strlen((const char *)batch[i].type_name);
        batch[i].payload = U(payloads[i]);
        batch[i].payload_len = (size_t)len;
        batch[i].meta = i % 10 == 0 ? meta : NULL;
        batch[i].meta_count = i % 10 == 0 ? 1 : 0;
        batch[i].timestamp_ns = INT64_C(2000000000000000000) + i;
        wants[n++] = (struct want){10 + (uint64_t)i,
                                   batch[i].timestamp_ns,
                                   batch[i].timestamp_ns,
                                   (const char *)batch[i].type_name,
                                   payloads[i],
                                   (size_t)len,
                                   batch[i].meta,
                                   batch[i].meta_count};
    }
    seq = UINT64_MAX;
    CHECK_OK(binlog_writer_write_batch(w, batch, 100, &seq));
    CHECK_EQ_U(seq, 10);
    batch[0].timestamp_ns = BINLOG_TIME_NOW;
    t0 = clock_ns();
    CHECK_OK(binlog_writer_write_batch(w, batch, 2, NULL)); /* first_seq_out optional */
    t1 = clock_ns();
    wants[n++] = (struct want){110, t0, t1, "batch-even", payloads[0], 4, meta, 1};
    wants[n++] = (struct want){111, batch[1].timestamp_ns, batch[1].timestamp_ns, "batch-odd",
                               payloads[1], 4, NULL, 0};
    /* Single payloads and no metadata (the converter's fast path), one given
       as a single iovec part; then a batch where one entry has three parts
       (the general path, without metadata). */
    static binlog_entry plain[6];
    memset(plain, 0, sizeof plain);
    for (int i = 0; i < 6; i++) {
        plain[i].type_name = U("plain");
        plain[i].type_len = 5;
        plain[i].payload = U(payloads[i]);
        plain[i].payload_len = 4;
        plain[i].timestamp_ns = INT64_C(3000000000000000000) + i;
    }
    plain[3].parts = parts + 2; /* "cdef" */
    plain[3].part_count = 1;
    CHECK_OK(binlog_writer_write_batch(w, plain, 6, &seq));
    CHECK_EQ_U(seq, 112);
    for (int i = 0; i < 6; i++)
        wants[n++] = (struct want){112 + (uint64_t)i, plain[i].timestamp_ns, plain[i].timestamp_ns,
                                   "plain", i == 3 ? "cdef" : payloads[i], 4, NULL, 0};
    plain[4].parts = parts; /* "ab", "", "cdef" */
    plain[4].part_count = 3;
    CHECK_OK(binlog_writer_write_batch(w, plain + 2, 4, &seq));
    CHECK_EQ_U(seq, 118);
    for (int i = 2; i < 6; i++)
        wants[n++] = (struct want){116 + (uint64_t)i, plain[i].timestamp_ns, plain[i].timestamp_ns,
                                   "plain", i == 3 ? "cdef" : i == 4 ? "abcdef" : payloads[i],
                                   i == 4 ? 6 : 4, NULL, 0};
    CHECK_OK(binlog_writer_write_batch(w, NULL, 0, &seq)); /* an empty batch writes nothing */
    CHECK_EQ_U(seq, 122);
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 122);

    /* flush and sync */
    CHECK_OK(binlog_writer_flush(w));
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK(durable < next); /* durability NONE: nothing synced yet */
    CHECK_OK(binlog_writer_sync(w));
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK_EQ_U(durable, 122);

    CHECK_OK(binlog_writer_close(w));
    CHECK_OK(binlog_writer_close(w)); /* closing twice is OK */
    CHECK_OK(binlog_writer_close(NULL));
    binlog_writer_free(w);
    binlog_writer_free(NULL);
    REQUIRE(n == 122);

    /* Read everything back. */
    binlog_reader *rd = (binlog_reader *)(uintptr_t)1;
    REQUIRE_OK(binlog_reader_open(path, &rd));
    REQUIRE(rd != NULL && rd != (binlog_reader *)(uintptr_t)1);
    binlog_tail tail = {99, 99, 99};
    CHECK_OK(binlog_reader_tail(rd, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_READING);
    uint64_t last_offset = 0;
    for (size_t i = 0; i < n; i++) {
        binlog_record rec;
        memset(&rec, 0, sizeof rec);
        if (!CHECK_OK(binlog_reader_next(rd, &rec))) {
            break;
        }
        CHECK_RECORD(&rec, &wants[i]);
        CHECK(rec.offset > last_offset && rec.offset >= 56); /* after the header, increasing */
        last_offset = rec.offset;
    }
    binlog_record rec;
    memset(&rec, 0x5a, sizeof rec);
    binlog_record untouched;
    memset(&untouched, 0x5a, sizeof untouched);
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK(memcmp(&rec, &untouched, sizeof rec) == 0); /* END writes no record */
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END); /* and stays at the end */
    CHECK_OK(binlog_reader_tail(rd, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);
    CHECK_OK(binlog_reader_close(rd));
    CHECK_OK(binlog_reader_close(rd)); /* closing twice is OK */
    CHECK_OK(binlog_reader_close(NULL));
    binlog_reader_free(rd);
    binlog_reader_free(NULL);

    /* Reopening continues the sequence (and the type table). */
    REQUIRE_OK(binlog_writer_open(path, NULL, &w));
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 122);
    t0 = clock_ns();
    CHECK_OK(binlog_writer_write(w, LIT("alpha"), LIT("again"), &seq));
    CHECK_OK(binlog_writer_write(w, LIT("gamma"), LIT("new type"), NULL));
    t1 = clock_ns();
    CHECK_EQ_U(seq, 122);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    REQUIRE_OK(binlog_reader_open(path, &rd));
    for (size_t i = 0; i < n; i++) {
        EXPECT_NEXT(rd, &wants[i]);
    }
    struct want again = {122, t0, t1, "alpha", "again", 5, NULL, 0};
    struct want gamma = {123, t0, t1, "gamma", "new type", 8, NULL, 0};
    EXPECT_NEXT(rd, &again);
    EXPECT_NEXT(rd, &gamma);
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_tail(rd, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);
    binlog_reader_free(rd); /* free without close closes */
}

/* seek_seq, seek_time and filter_types over a sealed segment. */
#define SEEK_N 2000
#define TS(seq) (INT64_C(1000000) + (int64_t)(seq) * 10)

static void test_seek_filter(void) {
    const char *path = path_of("seek.binlog");
    static const char *types[3] = {"t0", "t1", "t2"};
    static char payloads[SEEK_N][12];
    static binlog_entry e[SEEK_N];

    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_sparse_interval(o, 256)); /* many sparse index points */
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, o, &w));
    binlog_options_free(o);
    for (int i = 0; i < SEEK_N; i++) {
        memset(&e[i], 0, sizeof e[i]);
        int len = snprintf(payloads[i], sizeof payloads[i], "p%d", i);
        e[i].type_name = U(types[i % 3]);
        e[i].type_len = 2;
        e[i].payload = U(payloads[i]);
        e[i].payload_len = (size_t)len;
        e[i].timestamp_ns = TS(i);
    }
    for (int i = 0; i < SEEK_N; i += 500) {
        uint64_t first = UINT64_MAX;
        CHECK_OK(binlog_writer_write_batch(w, e + i, 500, &first));
        CHECK_EQ_U(first, (uint64_t)i);
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

#define WANT(s) (&(struct want){(s), TS(s), TS(s), types[(s) % 3], payloads[s], strlen(payloads[s]), NULL, 0})

    binlog_reader *rd = NULL;
    REQUIRE_OK(binlog_reader_open(path, &rd));
    binlog_record rec;
    binlog_tail tail;

    /* seek_seq: forward, backward, to the start, past the end */
    CHECK_OK(binlog_reader_seek_seq(rd, 1234));
    EXPECT_NEXT(rd, WANT(1234));
    EXPECT_NEXT(rd, WANT(1235));
    CHECK_OK(binlog_reader_seek_seq(rd, 5));
    EXPECT_NEXT(rd, WANT(5));
    CHECK_OK(binlog_reader_seek_seq(rd, 0));
    EXPECT_NEXT(rd, WANT(0));
    CHECK_OK(binlog_reader_seek_seq(rd, SEEK_N - 1));
    EXPECT_NEXT(rd, WANT(SEEK_N - 1));
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_seek_seq(rd, 777));
    EXPECT_NEXT(rd, WANT(777));
    CHECK_OK(binlog_reader_seek_seq(rd, 99999));
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_tail(rd, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);

    /* seek_time: the first record with a timestamp at least ts */
    CHECK_OK(binlog_reader_seek_time(rd, TS(777)));
    EXPECT_NEXT(rd, WANT(777));
    CHECK_OK(binlog_reader_seek_time(rd, TS(1500) - 5));
    EXPECT_NEXT(rd, WANT(1500));
    CHECK_OK(binlog_reader_seek_time(rd, TS(3) + 1));
    EXPECT_NEXT(rd, WANT(4));
    CHECK_OK(binlog_reader_seek_time(rd, INT64_MIN + 1));
    EXPECT_NEXT(rd, WANT(0));
    CHECK_OK(binlog_reader_seek_time(rd, TS(SEEK_N - 1) + 1));
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);

    /* filter_types: only "t1", in order, from the start */
    binlog_iovec t1 = {U("t1"), 2};
    CHECK_OK(binlog_reader_filter_types(rd, &t1, 1));
    CHECK_OK(binlog_reader_seek_seq(rd, 0));
    uint64_t count = 0, expect = 1;
    int bad = 0;
    while (binlog_reader_next(rd, &rec) == BINLOG_OK) {
        if (rec.seq != expect || rec.type_len != 2 || memcmp(rec.type_name, "t1", 2) != 0 ||
            rec.payload_len != strlen(payloads[expect]) ||
            memcmp(rec.payload, payloads[expect], rec.payload_len) != 0) {
            bad++;
        }
        expect += 3;
        count++;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(count, (SEEK_N - 1 + 2) / 3); /* 1, 4, ..., 1999 */
    CHECK_OK(binlog_reader_tail(rd, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);

    /* two types (given out of order): merged in record order */
    binlog_iovec t20[2] = {{U("t2"), 2}, {U("t0"), 2}};
    CHECK_OK(binlog_reader_filter_types(rd, t20, 2));
    CHECK_OK(binlog_reader_seek_seq(rd, 0));
    count = 0;
    expect = 0;
    bad = 0;
    while (binlog_reader_next(rd, &rec) == BINLOG_OK) {
        if (rec.seq != expect || rec.type_len != 2 || rec.type_name[1] == '1' ||
            memcmp(rec.payload, payloads[expect], rec.payload_len) != 0) {
            bad++;
        }
        expect += expect % 3 == 0 ? 2 : 1;
        count++;
    }
    CHECK_EQ_U(bad, 0);
    CHECK_EQ_U(count, SEEK_N - (SEEK_N - 1 + 2) / 3);

    /* a filter and a seek together: the next wanted record at or after */
    binlog_iovec t2 = {U("t2"), 2};
    CHECK_OK(binlog_reader_filter_types(rd, &t2, 1));
    CHECK_OK(binlog_reader_seek_seq(rd, 1000));
    EXPECT_NEXT(rd, WANT(1001));
    EXPECT_NEXT(rd, WANT(1004));
    CHECK_OK(binlog_reader_seek_time(rd, TS(30)));
    EXPECT_NEXT(rd, WANT(32));

    /* a type that is not in the segment: nothing */
    binlog_iovec none = {U("nope"), 4};
    CHECK_OK(binlog_reader_filter_types(rd, &none, 1));
    CHECK_OK(binlog_reader_seek_seq(rd, 0));
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);

    /* count 0 clears the filter */
    CHECK_OK(binlog_reader_filter_types(rd, NULL, 0));
    CHECK_OK(binlog_reader_seek_seq(rd, 10));
    EXPECT_NEXT(rd, WANT(10));
    EXPECT_NEXT(rd, WANT(11));
    EXPECT_NEXT(rd, WANT(12));
    CHECK_OK(binlog_reader_filter_types(rd, &t1, 1));
    EXPECT_NEXT(rd, WANT(13)); /* a filter set mid-way applies from there */
    EXPECT_NEXT(rd, WANT(16));
    CHECK_OK(binlog_reader_filter_types(rd, &t1, 0));
    EXPECT_NEXT(rd, WANT(17));

    CHECK_OK(binlog_reader_close(rd));
    binlog_reader_free(rd);
#undef WANT
}

/* A reader of a segment being written sees what was flushed, then more. */
static void test_live_read(void) {
    const char *path = path_of("live.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, NULL, &w)); /* default 1 MiB buffer */
    char p[16];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "live%d", i);
        CHECK_OK(binlog_writer_write(w, U(i == 1 ? "live-b" : "live-a"), 6, U(p), strlen(p), NULL));
    }
    CHECK_OK(binlog_writer_flush(w));

    binlog_reader *rd = NULL;
    REQUIRE_OK(binlog_reader_open(path, &rd));
    binlog_record rec;
    binlog_tail tail;
    for (uint64_t i = 0; i < 3; i++) {
        memset(&rec, 0, sizeof rec);
        CHECK_OK(binlog_reader_next(rd, &rec));
        CHECK_EQ_U(rec.seq, i);
        snprintf(p, sizeof p, "live%d", (int)i);
        CHECK_STR(rec.payload, rec.payload_len, p);
        CHECK_STR(rec.type_name, rec.type_len, i == 1 ? "live-b" : "live-a");
    }
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_tail(rd, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_UNSEALED);

    /* Buffered records are not visible; flushed ones are. */
    CHECK_OK(binlog_writer_write(w, LIT("live-b"), LIT("live3"), NULL));
    CHECK_OK(binlog_writer_write(w, LIT("live-c"), LIT("live4"), NULL));
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_writer_flush(w));
    memset(&rec, 0, sizeof rec);
    CHECK_OK(binlog_reader_next(rd, &rec));
    CHECK_EQ_U(rec.seq, 3);
    CHECK_STR(rec.payload, rec.payload_len, "live3");
    CHECK_STR(rec.type_name, rec.type_len, "live-b");
    memset(&rec, 0, sizeof rec);
    CHECK_OK(binlog_reader_next(rd, &rec));
    CHECK_EQ_U(rec.seq, 4);
    CHECK_STR(rec.payload, rec.payload_len, "live4");
    CHECK_STR(rec.type_name, rec.type_len, "live-c"); /* a type first seen after the open */
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_tail(rd, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_UNSEALED);

    /* Seek and filter on an unsealed segment (a scan). */
    binlog_iovec b = {U("live-b"), 6};
    CHECK_OK(binlog_reader_filter_types(rd, &b, 1));
    CHECK_OK(binlog_reader_seek_seq(rd, 0));
    CHECK_EQ_U(next_seq_of(rd), 1);
    CHECK_EQ_U(next_seq_of(rd), 3);
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_filter_types(rd, NULL, 0));
    CHECK_OK(binlog_reader_seek_seq(rd, 2));
    CHECK_EQ_U(next_seq_of(rd), 2);
    CHECK_OK(binlog_reader_seek_time(rd, INT64_MIN + 1));
    CHECK_EQ_U(next_seq_of(rd), 0);

    /* A record written and flushed later shows up for the same reader. */
    CHECK_OK(binlog_reader_seek_seq(rd, 5));
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_writer_write(w, LIT("live-a"), LIT("live5"), NULL));
    CHECK_OK(binlog_writer_flush(w));
    memset(&rec, 0, sizeof rec);
    CHECK_OK(binlog_reader_next(rd, &rec));
    CHECK_EQ_U(rec.seq, 5);
    CHECK_STR(rec.payload, rec.payload_len, "live5");

    /* The writer closes (seals): the reader then ends on a sealed segment. */
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_RC(binlog_reader_next(rd, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_tail(rd, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);
    CHECK_OK(binlog_reader_close(rd));
    binlog_reader_free(rd);
}

int main(void) {
    if (make_tmpdir() != 0) return 2;

    test_version();
    test_options();
    test_durability();
    test_sync_wait_spin();
    test_write_read();
    test_seek_filter();
    test_live_read();

    remove_tmpdir();
    return (int)check_summary();
}
