/*
 * test_errors.c: every error path of the libbinlog C ABI, each with its own
 * result code, a fresh non-empty binlog_last_error() (naming the file where
 * there is one), and outputs left untouched on failure.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"


/* Values an output parameter holds before a failing call, and after it. */
#define SEQ_SENTINEL UINT64_C(0xdeadbeefcafef00d)
#define PTR_SENTINEL(T) ((T *)(uintptr_t)0x5e5e5e50)


/* ------------------------------------------------------------------------ */
/* Files                                                                      */

static int write_file(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        return 0;
    }
    int ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}

/* Copies the first `len` bytes of src to dst (all of them if len is SIZE_MAX). */
static int copy_file(const char *src, const char *dst, size_t len) {
    size_t n = 0;
    uint8_t *b = read_file(src, &n);
    if (b == NULL) {
        return 0;
    }
    int ok = write_file(dst, b, len < n ? len : n);
    free(b);
    return ok;
}

/* Sets the byte at `off` to `value` (or XORs it with `mask` if value < 0). */
static int poke(const char *path, size_t off, int value, uint8_t mask) {
    size_t n = 0;
    uint8_t *b = read_file(path, &n);
    int ok = b != NULL && off < n;
    if (ok) {
        b[off] = value >= 0 ? (uint8_t)value : (uint8_t)(b[off] ^ mask);
        ok = write_file(path, b, n);
    }
    free(b);
    return ok;
}

static int same_contents(const char *path, const void *data, size_t len) {
    size_t n = 0;
    uint8_t *b = read_file(path, &n);
    int same = b != NULL && n == len && (len == 0 || memcmp(b, data, len) == 0);
    free(b);
    return same;
}

static int exists(const char *path) {
    return access(path, F_OK) == 0;
}

/* ------------------------------------------------------------------------ */
/* Error checks                                                               */

/* Opening `path` fails with `code` (any error if code is BINLOG_OK), a fresh
 * message names the file, and the out handle is untouched. */
static void reader_open_fails_at(const char *path, binlog_result code, int line) {
    binlog_reader *r = PTR_SENTINEL(binlog_reader);
    prime();
    binlog_result rc = binlog_reader_open(path, &r);
    if (code == BINLOG_OK) {
        check_report_(rc != BINLOG_OK && rc != BINLOG_END, __FILE__, line,
                      "binlog_reader_open failed");
    } else {
        check_rc_(rc, code, __FILE__, line, "binlog_reader_open");
    }
    check_msg_(path, __FILE__, line, "binlog_reader_open");
    check_report_(r == PTR_SENTINEL(binlog_reader), __FILE__, line,
                  "binlog_reader_open left *out untouched");
    if (rc == BINLOG_OK && r != NULL) {
        binlog_reader_free(r);
    }
}

static void writer_open_fails_at(const char *path, binlog_result code, int line) {
    binlog_writer *w = PTR_SENTINEL(binlog_writer);
    prime();
    binlog_result rc = binlog_writer_open(path, NULL, &w);
    if (code == BINLOG_OK) {
        check_report_(rc != BINLOG_OK && rc != BINLOG_END, __FILE__, line,
                      "binlog_writer_open failed");
    } else {
        check_rc_(rc, code, __FILE__, line, "binlog_writer_open");
    }
    check_msg_(path, __FILE__, line, "binlog_writer_open");
    check_report_(w == PTR_SENTINEL(binlog_writer), __FILE__, line,
                  "binlog_writer_open left *out untouched");
    if (rc == BINLOG_OK && w != NULL) {
        binlog_writer_free(w);
    }
}

#define READER_OPEN_FAILS(path, code) reader_open_fails_at((path), (code), __LINE__)
#define WRITER_OPEN_FAILS(path, code) writer_open_fails_at((path), (code), __LINE__)

/* ------------------------------------------------------------------------ */
/* Fixtures                                                                   */

/* A sealed segment of `n` records: types "a"/"b" alternating, payload
 * "record-payload-<i>", log name "errlog". */
static void make_segment(const char *path, int n) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_log_name(o, LIT("errlog")));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, o, &w));
    binlog_options_free(o);
    for (int i = 0; i < n; i++) {
        char p[32];
        snprintf(p, sizeof p, "record-payload-%d", i);
        REQUIRE_OK(binlog_writer_write(w, U(i % 2 ? "b" : "a"), 1, U(p), strlen(p), NULL));
    }
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* The offsets of a readable segment's records; returns how many. */
static size_t record_offsets(const char *path, uint64_t *off, size_t max) {
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(path, &r));
    size_t n = 0;
    binlog_record rec;
    while (n < max && binlog_reader_next(r, &rec) == BINLOG_OK) {
        off[n++] = rec.offset;
    }
    binlog_reader_free(r);
    return n;
}

/* Reads the next record and checks its seq and payload. */
static void expect_record_at(binlog_reader *r, uint64_t seq, int line) {
    binlog_record rec;
    memset(&rec, 0, sizeof rec);
    char p[32];
    snprintf(p, sizeof p, "record-payload-%d", (int)seq);
    if (check_rc_(binlog_reader_next(r, &rec), BINLOG_OK, __FILE__, line, "binlog_reader_next")) {
        check_eq_u_(rec.seq, seq, __FILE__, line, "rec.seq", "seq");
        check_str_(rec.payload, rec.payload_len, p, __FILE__, line, "rec.payload");
    }
}

#define EXPECT_RECORD(r, seq) expect_record_at((r), (seq), __LINE__)

static int record_untouched(const binlog_record *rec) {
    binlog_record s;
    memset(&s, 0xa5, sizeof s);
    return memcmp(rec, &s, sizeof s) == 0;
}

static int tail_untouched(const binlog_tail *t) {
    binlog_tail s;
    memset(&s, 0xa5, sizeof s);
    return memcmp(t, &s, sizeof s) == 0;
}

/* ------------------------------------------------------------------------ */

/* NULL for every pointer parameter of the options functions, and refused
 * option values; a failed setter changes nothing. */
static void test_options_errors(void) {
    binlog_options *o = NULL;
    CHECK_ERR(binlog_options_new(NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_log_name(o, LIT("keep")));

    CHECK_ERR(binlog_options_set_log_name(NULL, LIT("x")), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_log_name(o, NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_content_type(NULL, LIT("x")), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_content_type(o, NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_add_param(NULL, LIT("k"), LIT("v")), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_add_param(o, NULL, 1, LIT("v")), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_add_param(o, LIT("k"), NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_max_record_size(NULL, 4096), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_buffer_size(NULL, 0), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_durability(NULL, BINLOG_DURABILITY_NONE, 0),
              BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_first_seq(NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_segment_no(NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_created_ns(NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_sparse_interval(NULL, 1024), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_sync_wait_spin_us(NULL, 100), BINLOG_ERR_NULL_POINTER, "NULL");

    /* invalid UTF-8 */
    static const uint8_t bad[3] = {'x', 0xff, 0xfe};
    CHECK_ERR(binlog_options_set_log_name(o, bad, 3), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_ERR(binlog_options_set_content_type(o, bad, 3), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_ERR(binlog_options_add_param(o, bad, 3, LIT("v")), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_ERR(binlog_options_add_param(o, LIT("k"), bad, 3), BINLOG_ERR_INVALID_UTF8, "UTF-8");

    /* values outside what the options accept */
    CHECK_ERR(binlog_options_set_durability(o, 99, 0), BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_options_set_durability(o, BINLOG_DURABILITY_EVERY_N, 0),
              BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_options_set_durability(o, BINLOG_DURABILITY_EVERY_N, UINT64_C(1) << 32),
              BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_options_set_durability(o, BINLOG_DURABILITY_INTERVAL_MS, 0),
              BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_options_set_max_record_size(o, 1), BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_options_set_max_record_size(o, 63), BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_options_set_max_record_size(o, (UINT64_C(1) << 32) + 8),
              BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_options_set_buffer_size(o, ((size_t)1 << 30) + 1), BINLOG_ERR_INVALID_ARGUMENT,
              NULL);
    CHECK_ERR(binlog_options_set_sparse_interval(o, 0), BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_ERR(binlog_options_set_sync_wait_spin_us(o, 10001), BINLOG_ERR_INVALID_ARGUMENT, "sync_wait_spin");
    CHECK_OK(binlog_options_set_sync_wait_spin_us(o, 10000));
    /* the limits themselves are accepted (and the last valid value stays) */
    CHECK_OK(binlog_options_set_max_record_size(o, (UINT64_C(1) << 32) + 7));
    CHECK_OK(binlog_options_set_max_record_size(o, 64));
    CHECK_OK(binlog_options_set_max_record_size(o, 4096));

    /* None of the failed calls changed the options: log name "keep", no
     * parameters, durability NONE, 4096-byte records, default buffer. With
     * no flush delay only a full buffer reaches the OS, so a reader tells a
     * default buffer from a zero one. */
    CHECK_OK(binlog_options_set_flush_delay_us(o, UINT64_MAX));
    const char *p = path_of("options-kept.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, o, &w));
    binlog_options_free(o);
    static uint8_t payload[3000];
    uint64_t durable = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_write(w, LIT("t"), payload, sizeof payload, NULL));
    CHECK_OK(binlog_writer_durable_seq(w, &durable));
    CHECK_EQ_U(durable, 0);
    /* Still buffered (the buffer size did not become 0): a reader sees nothing. */
    binlog_reader *r = NULL;
    binlog_record rec;
    REQUIRE_OK(binlog_reader_open(p, &r));
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    binlog_reader_free(r);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    size_t len = 0;
    uint8_t *b = read_file(p, &len);
    REQUIRE(b != NULL && len > 80);
    CHECK(b[44] == 4 && b[45] == 0 && memcmp(b + 46, "keep", 4) == 0); /* log name */
    CHECK(b[50] == 0 && b[51] == 0);                                    /* content type "" */
    size_t wl = (size_t)b[52] | (size_t)b[53] << 8;                     /* writer */
    REQUIRE(54 + wl + 2 <= len);
    CHECK(b[54 + wl] == 0 && b[55 + wl] == 0); /* no parameters */
    free(b);
}

/* NULL for every pointer parameter of the writer functions. */
static void test_writer_null(void) {
    const char *p = path_of("writer-null.binlog");
    binlog_writer *w = PTR_SENTINEL(binlog_writer);
    CHECK_ERR(binlog_writer_open(NULL, NULL, &w), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(w == PTR_SENTINEL(binlog_writer));
    CHECK_ERR(binlog_writer_open(p, NULL, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(!exists(p)); /* refused before anything was created */

    REQUIRE_OK(binlog_writer_open(p, NULL, &w));
    uint64_t seq = SEQ_SENTINEL, next = 0, good = 0;

    /* write: writer, type name and payload */
    CHECK_ERR(binlog_writer_write(NULL, LIT("t"), LIT("p"), &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_write(w, NULL, 1, LIT("p"), &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_write(w, LIT("t"), NULL, 1, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    CHECK_OK(binlog_writer_write(w, LIT("t"), NULL, 0, &seq)); /* NULL with length 0 is fine */
    CHECK_EQ_U(seq, good++);
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("p"), NULL)); /* seq_out is optional */
    good++;

    /* writev: writer, type name, the vector and a part's base */
    binlog_iovec iov[2] = {{U("ab"), 2}, {NULL, 3}};
    seq = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_writev(NULL, LIT("t"), iov, 1, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_writev(w, NULL, 1, iov, 1, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_writev(w, LIT("t"), NULL, 2, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_writev(w, LIT("t"), iov, 2, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    iov[1].len = 0;
    CHECK_OK(binlog_writer_writev(w, LIT("t"), iov, 2, &seq)); /* NULL base, length 0 */
    CHECK_EQ_U(seq, good++);
    CHECK_OK(binlog_writer_writev(w, LIT("t"), iov, 2, NULL));
    good++;

    /* write_entry: writer, entry, and every pointer inside the entry */
    binlog_meta meta[2] = {{U("k"), 1, U("v"), 1}, {U("k2"), 2, U("v2"), 2}};
    binlog_iovec parts[2] = {{U("ab"), 2}, {U("cd"), 2}};
    binlog_entry e;
#define RESET_ENTRY()                                                                              \
    do {                                                                                           \
        memset(&e, 0, sizeof e);                                                                   \
        e.type_name = U("t");                                                                      \
        e.type_len = 1;                                                                            \
        e.meta = meta;                                                                             \
        e.meta_count = 2;                                                                          \
        e.payload = U("payload");                                                                  \
        e.payload_len = 7;                                                                         \
        e.timestamp_ns = 5;                                                                        \
    } while (0)
    seq = SEQ_SENTINEL;
    RESET_ENTRY();
    CHECK_ERR(binlog_writer_write_entry(NULL, &e, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_write_entry(w, NULL, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    e.type_name = NULL;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    RESET_ENTRY();
    e.payload = NULL;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    RESET_ENTRY();
    e.meta = NULL;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    RESET_ENTRY();
    meta[1].key = NULL;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    meta[1].key = U("k2");
    meta[1].value = NULL;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    meta[1].value = U("v2");
    e.part_count = 2; /* parts NULL */
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    e.parts = parts;
    parts[1].base = NULL;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    parts[1].base = U("cd");
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    RESET_ENTRY();
    e.payload = NULL;
    e.payload_len = 0;
    CHECK_OK(binlog_writer_write_entry(w, &e, &seq)); /* NULL payload, length 0 */
    CHECK_EQ_U(seq, good++);
    CHECK_OK(binlog_writer_write_entry(w, &e, NULL));
    good++;

    /* write_batch: writer, entries, and a bad second entry writes nothing */
    binlog_entry batch[2];
    RESET_ENTRY();
    batch[0] = e;
    batch[1] = e;
    batch[1].payload = NULL;
    seq = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_write_batch(NULL, batch, 1, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_write_batch(w, NULL, 2, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_write_batch(w, batch, 2, &seq), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    CHECK_OK(binlog_writer_write_batch(w, batch, 1, NULL)); /* first_seq_out is optional */
    good++;
#undef RESET_ENTRY

    /* flush, sync, next_seq, durable_seq */
    CHECK_ERR(binlog_writer_flush(NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_sync(NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    next = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_next_seq(NULL, &next), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_next_seq(w, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_durable_seq(NULL, &next), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_durable_seq(w, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_EQ_U(next, SEQ_SENTINEL);

    /* Only the successful calls wrote records. */
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, good);
    CHECK_OK(binlog_writer_close(NULL)); /* NULL is accepted */
    binlog_writer_free(NULL);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    binlog_record rec;
    uint64_t count = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        count++;
    }
    CHECK_EQ_U(count, good);
    binlog_reader_free(r);
}

/* NULL for every pointer parameter of the reader functions. */
static void test_reader_null(void) {
    const char *p = path_of("reader-null.binlog");
    make_segment(p, 4);
    binlog_reader *r = PTR_SENTINEL(binlog_reader);
    CHECK_ERR(binlog_reader_open(NULL, &r), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(r == PTR_SENTINEL(binlog_reader));
    CHECK_ERR(binlog_reader_open(p, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    REQUIRE_OK(binlog_reader_open(p, &r));

    binlog_record rec;
    memset(&rec, 0xa5, sizeof rec);
    CHECK_ERR(binlog_reader_next(NULL, &rec), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(record_untouched(&rec));
    CHECK_ERR(binlog_reader_next(r, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_seek_seq(NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_seek_time(NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    binlog_iovec types[2] = {{U("b"), 1}, {NULL, 1}};
    CHECK_ERR(binlog_reader_filter_types(NULL, types, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_filter_types(r, NULL, 1), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_filter_types(r, types, 2), BINLOG_ERR_NULL_POINTER, "NULL");
    binlog_tail tail;
    memset(&tail, 0xa5, sizeof tail);
    CHECK_ERR(binlog_reader_tail(NULL, &tail), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(tail_untouched(&tail));
    CHECK_ERR(binlog_reader_tail(r, NULL), BINLOG_ERR_NULL_POINTER, "NULL");

    /* The failed calls moved nothing and set no filter: record 0 (type "a")
     * comes first, then every record. */
    EXPECT_RECORD(r, 0);
    EXPECT_RECORD(r, 1);
    EXPECT_RECORD(r, 2);
    EXPECT_RECORD(r, 3);
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_close(NULL)); /* NULL is accepted */
    binlog_reader_free(NULL);
    CHECK_OK(binlog_reader_close(r));
    binlog_reader_free(r);
}

/* Argument errors of reader calls name the reader's file, as those of
 * writer calls name the writer's, and the parameter that is wrong (a NULL
 * `count` is "count is NULL", not "out is NULL", a NULL `mapping`
 * "mapping is NULL"); nothing is consumed. */
static void test_reader_argument_errors_name_the_file(void) {
    const char *p = path_of("args.binlog");
    make_segment(p, 1);
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
    CHECK_ERR(binlog_reader_damages2(r, NULL, 3, &count), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_damages2(r, NULL, 0, NULL), BINLOG_ERR_NULL_POINTER, p);
    CHECK_CONTAINS(binlog_last_error(), "count is NULL");
    CHECK_RC(binlog_reader_damages2(NULL, NULL, 0, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_ERR(binlog_reader_gaps(r, NULL, 3, &count), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_gaps(r, NULL, 0, NULL), BINLOG_ERR_NULL_POINTER, p);
    CHECK_CONTAINS(binlog_last_error(), "count is NULL");
    CHECK_RC(binlog_reader_gaps(NULL, NULL, 0, &count), BINLOG_ERR_NULL_POINTER);
    binlog_batch_record recs[2];
    uint8_t buf[64];
    CHECK_ERR(binlog_reader_next_batch(r, NULL, 10, recs, 2, 0, &count), BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_next_batch(r, buf, sizeof buf, NULL, 2, 0, &count),
              BINLOG_ERR_NULL_POINTER, p);
    CHECK_ERR(binlog_reader_next_batch(r, buf, sizeof buf, recs, 2, 0, NULL),
              BINLOG_ERR_NULL_POINTER, p);
    CHECK_CONTAINS(binlog_last_error(), "count is NULL");
    binlog_mapped_record mrecs[2];
    const uint8_t *mapping = NULL;
    size_t mapping_len = 0;
    CHECK_ERR(binlog_reader_next_mapped(r, buf, sizeof buf, mrecs, 2, 0, NULL, &mapping, &mapping_len),
              BINLOG_ERR_NULL_POINTER, p);
    CHECK_CONTAINS(binlog_last_error(), "count is NULL");
    CHECK_ERR(binlog_reader_next_mapped(r, buf, sizeof buf, mrecs, 2, 0, &count, NULL, &mapping_len),
              BINLOG_ERR_NULL_POINTER, p);
    CHECK_CONTAINS(binlog_last_error(), "mapping is NULL");
    CHECK_ERR(binlog_reader_next_mapped(r, buf, sizeof buf, mrecs, 2, 0, &count, &mapping, NULL),
              BINLOG_ERR_NULL_POINTER, p);
    CHECK_CONTAINS(binlog_last_error(), "mapping_len is NULL");
    /* Nothing was consumed. */
    binlog_record rec;
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 0);
    binlog_reader_free(r);
}

/* Invalid UTF-8 in a type name, metadata or a filter. */
static void test_invalid_utf8(void) {
    const char *p = path_of("utf8.binlog");
    static const uint8_t bad[4] = {'o', 'k', 0xc3, 0x28}; /* a broken 2-byte sequence */
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, NULL, &w));
    uint64_t seq = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_write(w, bad, 4, LIT("p"), &seq), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_CONTAINS(binlog_last_error(), p); /* names the writer's file */
    binlog_iovec iov = {U("p"), 1};
    CHECK_ERR(binlog_writer_writev(w, bad, 4, &iov, 1, &seq), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_CONTAINS(binlog_last_error(), p); /* names the writer's file */
    binlog_meta meta = {U("k"), 1, U("v"), 1};
    binlog_entry e;
    memset(&e, 0, sizeof e);
    e.type_name = bad;
    e.type_len = 4;
    e.payload = U("p");
    e.payload_len = 1;
    e.timestamp_ns = BINLOG_TIME_NOW;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_CONTAINS(binlog_last_error(), p); /* names the writer's file */
    e.type_name = U("t");
    e.type_len = 1;
    e.meta = &meta;
    e.meta_count = 1;
    meta.key = bad;
    meta.key_len = 4;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_CONTAINS(binlog_last_error(), p); /* names the writer's file */
    meta.key = U("k");
    meta.key_len = 1;
    meta.value = bad;
    meta.value_len = 4;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_CONTAINS(binlog_last_error(), p); /* names the writer's file */
    binlog_entry batch[2] = {e, e};
    meta.value = U("v");
    meta.value_len = 1;
    batch[0].meta = NULL;
    batch[0].meta_count = 0;
    batch[1].type_name = bad; /* the first entry is fine, the second is not */
    batch[1].type_len = 4;
    CHECK_ERR(binlog_writer_write_batch(w, batch, 2, &seq), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK_CONTAINS(binlog_last_error(), p); /* names the writer's file */
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    uint64_t next = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 0); /* nothing was written */
    CHECK_OK(binlog_writer_write(w, bad, 2, LIT("p"), &seq)); /* its valid prefix "ok" is fine */
    CHECK_EQ_U(seq, 0);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    binlog_iovec types[2] = {{U("ok"), 2}, {bad, 4}};
    CHECK_ERR(binlog_reader_filter_types(r, types, 2), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    binlog_record rec;
    memset(&rec, 0, sizeof rec);
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_STR(rec.type_name, rec.type_len, "ok");
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    binlog_reader_free(r);
}

/* Every call on a closed writer or reader. */
static void test_closed(void) {
    const char *p = path_of("closed.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, NULL, &w));
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("record-payload-0"), NULL));
    CHECK_OK(binlog_writer_close(w));

    uint64_t seq = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_write(w, LIT("t"), LIT("p"), &seq), BINLOG_ERR_CLOSED, p);
    binlog_iovec iov = {U("p"), 1};
    CHECK_ERR(binlog_writer_writev(w, LIT("t"), &iov, 1, &seq), BINLOG_ERR_CLOSED, p);
    binlog_entry e;
    memset(&e, 0, sizeof e);
    e.type_name = U("t");
    e.type_len = 1;
    e.timestamp_ns = BINLOG_TIME_NOW;
    CHECK_ERR(binlog_writer_write_entry(w, &e, &seq), BINLOG_ERR_CLOSED, p);
    CHECK_ERR(binlog_writer_write_batch(w, &e, 1, &seq), BINLOG_ERR_CLOSED, p);
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    CHECK_ERR(binlog_writer_flush(w), BINLOG_ERR_CLOSED, p);
    CHECK_ERR(binlog_writer_sync(w), BINLOG_ERR_CLOSED, p);
    uint64_t next = SEQ_SENTINEL, durable = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_next_seq(w, &next), BINLOG_ERR_CLOSED, p);
    CHECK_EQ_U(next, SEQ_SENTINEL);
    CHECK_ERR(binlog_writer_durable_seq(w, &durable), BINLOG_ERR_CLOSED, p);
    CHECK_EQ_U(durable, SEQ_SENTINEL);
    CHECK_OK(binlog_writer_close(w)); /* closing twice is OK */
    binlog_writer_free(w);

    /* The segment holds the one record and its seal. */
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    EXPECT_RECORD(r, 0);
    CHECK_OK(binlog_reader_close(r));
    binlog_record rec;
    memset(&rec, 0xa5, sizeof rec);
    CHECK_ERR(binlog_reader_next(r, &rec), BINLOG_ERR_CLOSED, p);
    CHECK(record_untouched(&rec));
    CHECK_ERR(binlog_reader_seek_seq(r, 0), BINLOG_ERR_CLOSED, p);
    CHECK_ERR(binlog_reader_seek_time(r, 0), BINLOG_ERR_CLOSED, p);
    binlog_iovec t = {U("t"), 1};
    CHECK_ERR(binlog_reader_filter_types(r, &t, 1), BINLOG_ERR_CLOSED, p);
    binlog_tail tail;
    memset(&tail, 0xa5, sizeof tail);
    CHECK_ERR(binlog_reader_tail(r, &tail), BINLOG_ERR_CLOSED, p);
    CHECK(tail_untouched(&tail));
    CHECK_OK(binlog_reader_close(r)); /* closing twice is OK */
    binlog_reader_free(r);
}

/* A second writer on the same segment; the lock goes with close. */
static void test_locked(void) {
    const char *p = path_of("locked.binlog");
    binlog_writer *w1 = NULL;
    REQUIRE_OK(binlog_writer_open(p, NULL, &w1));
    CHECK_OK(binlog_writer_write(w1, LIT("t"), LIT("record-payload-0"), NULL));
    WRITER_OPEN_FAILS(p, BINLOG_ERR_LOCKED);
    binlog_writer *w2 = PTR_SENTINEL(binlog_writer);
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_first_seq(o, 100));
    CHECK_ERR(binlog_writer_open(p, o, &w2), BINLOG_ERR_LOCKED, p);
    CHECK(w2 == PTR_SENTINEL(binlog_writer));
    binlog_options_free(o);
    /* The first writer was not disturbed. */
    CHECK_OK(binlog_writer_write(w1, LIT("t"), LIT("record-payload-1"), NULL));
    CHECK_OK(binlog_writer_close(w1)); /* releases the lock (the handle lives on) */

    w2 = NULL;
    CHECK_OK(binlog_writer_open(p, NULL, &w2));
    REQUIRE(w2 != NULL);
    uint64_t seq = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_write(w2, LIT("t"), LIT("record-payload-2"), &seq));
    CHECK_EQ_U(seq, 2);
    CHECK_OK(binlog_writer_close(w2));
    binlog_writer_free(w2);
    binlog_writer_free(w1);

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    EXPECT_RECORD(r, 0);
    EXPECT_RECORD(r, 1);
    EXPECT_RECORD(r, 2);
    binlog_record rec;
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    binlog_reader_free(r);
}

/* Files that are not (whole) segments. */
static void test_bad_files(void) {
    const char *seg = path_of("source.binlog");
    make_segment(seg, 3);

    /* missing file; a writer in a missing directory */
    const char *missing = path_of("missing.binlog");
    READER_OPEN_FAILS(missing, BINLOG_ERR_NOT_FOUND);
    /* The file, the OS's errno, no offset; the message without Rust's
     * " (os error 2)". */
    CHECK(strcmp(binlog_last_error_path(), missing) == 0);
    CHECK(binlog_last_error_os_code() == ENOENT);
    uint64_t no_offset = SEQ_SENTINEL;
    CHECK(!binlog_last_error_offset(&no_offset));
    CHECK_EQ_U(no_offset, SEQ_SENTINEL);
    CHECK(strstr(binlog_last_error(), "os error") == NULL);
    const char *nodir = path_of("no-such-dir/x.binlog");
    WRITER_OPEN_FAILS(nodir, BINLOG_ERR_NOT_FOUND);

    /* a foreign file: neither reader nor writer takes it, nor changes it */
    static const char text[] = "hello, this is a text file and not a segment\n";
    const char *foreign = path_of("foreign.txt");
    REQUIRE(write_file(foreign, text, sizeof text - 1));
    READER_OPEN_FAILS(foreign, BINLOG_ERR_NOT_A_BINLOG);
    WRITER_OPEN_FAILS(foreign, BINLOG_ERR_NOT_A_BINLOG);
    CHECK(same_contents(foreign, text, sizeof text - 1));

    /* an empty file, and files cut inside the header */
    const char *empty = path_of("empty.binlog");
    REQUIRE(write_file(empty, "", 0));
    READER_OPEN_FAILS(empty, BINLOG_ERR_TRUNCATED);
    const char *cut5 = path_of("cut5.binlog");
    REQUIRE(copy_file(seg, cut5, 5)); /* inside the magic */
    READER_OPEN_FAILS(cut5, BINLOG_ERR_TRUNCATED);
    const char *cut30 = path_of("cut30.binlog");
    REQUIRE(copy_file(seg, cut30, 30)); /* inside the fixed fields */
    READER_OPEN_FAILS(cut30, BINLOG_ERR_TRUNCATED);
    const char *cut50 = path_of("cut50.binlog");
    REQUIRE(copy_file(seg, cut50, 50)); /* inside the log name */
    READER_OPEN_FAILS(cut50, BINLOG_ERR_TRUNCATED);

    /* another major version of the format: refused, and left as it is */
    const char *v2 = path_of("v2.binlog");
    REQUIRE(copy_file(seg, v2, SIZE_MAX));
    REQUIRE(poke(v2, 8, 2, 0));
    size_t len = 0;
    uint8_t *before = read_file(v2, &len);
    REQUIRE(before != NULL);
    READER_OPEN_FAILS(v2, BINLOG_ERR_UNSUPPORTED_VERSION);
    WRITER_OPEN_FAILS(v2, BINLOG_ERR_UNSUPPORTED_VERSION);
    CHECK(same_contents(v2, before, len));
    free(before);

    /* a flipped byte inside the header's log name ("errlog" at 46) */
    const char *hdr = path_of("header.binlog");
    REQUIRE(copy_file(seg, hdr, SIZE_MAX));
    REQUIRE(poke(hdr, 48, -1, 0x20));
    READER_OPEN_FAILS(hdr, BINLOG_ERR_CORRUPT_HEADER);
    WRITER_OPEN_FAILS(hdr, BINLOG_ERR_CORRUPT_HEADER);

    /* a directory: an error (whichever), naming it */
    const char *dir = path_of("a-directory");
    REQUIRE(mkdir(dir, 0700) == 0);
    READER_OPEN_FAILS(dir, BINLOG_OK);
    WRITER_OPEN_FAILS(dir, BINLOG_OK);
}

/* A flipped payload byte in a middle record of an unsealed segment. */
static void test_corrupt_record(void) {
    const char *src = path_of("corrupt-src.binlog");
    const char *bad = path_of("corrupt.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(src, NULL, &w));
    for (int i = 0; i < 5; i++) {
        char p[32];
        snprintf(p, sizeof p, "record-payload-%d", i);
        CHECK_OK(binlog_writer_write(w, LIT("t"), U(p), strlen(p), NULL));
    }
    CHECK_OK(binlog_writer_flush(w));
    REQUIRE(copy_file(src, bad, SIZE_MAX)); /* unsealed: the writer is still open */
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    uint64_t off[8];
    REQUIRE(record_offsets(bad, off, 8) == 5);
    REQUIRE(poke(bad, (size_t)off[3] - 1, -1, 0x01)); /* the last payload byte of record 2 */

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(bad, &r));
    EXPECT_RECORD(r, 0);
    EXPECT_RECORD(r, 1);
    binlog_record rec;
    memset(&rec, 0xa5, sizeof rec);
    CHECK_ERR(binlog_reader_next(r, &rec), BINLOG_ERR_CORRUPT, bad);
    /* The first offset the message names is where record 2 starts. */
    const char *msg = binlog_last_error();
    const char *at = strstr(msg, "offset ");
    CHECK(at != NULL);
    if (at != NULL) {
        CHECK_EQ_U(strtoull(at + 7, NULL, 10), off[2]);
    }
    CHECK(record_untouched(&rec));
    /* The same file and offset, apart: for a program that shows or acts
     * on them without parsing the message. */
    CHECK(strcmp(binlog_last_error_path(), bad) == 0);
    uint64_t damaged_at = SEQ_SENTINEL;
    CHECK(binlog_last_error_offset(&damaged_at));
    CHECK_EQ_U(damaged_at, off[2]);
    CHECK(binlog_last_error_offset(NULL));
    CHECK(binlog_last_error_os_code() == 0); /* no system call failed */
    binlog_reader_free(r);

    /* A writer refuses to append after corruption in the middle, and leaves
     * the file as it is. */
    size_t len = 0;
    uint8_t *before = read_file(bad, &len);
    REQUIRE(before != NULL);
    WRITER_OPEN_FAILS(bad, BINLOG_ERR_CORRUPT);
    CHECK(same_contents(bad, before, len));
    free(before);
}

/* The torn tail of `path` from `offset`: its bytes up to the last one that
 * is not zero (FORMAT.md 10.1; the zeros after it are space a durable
 * writer prepared). The bytes cut off the last record end in a CRC or
 * timestamp byte that may be zero. */
static uint64_t torn_len(const char *path, uint64_t offset) {
    size_t len = 0;
    uint8_t *bytes = read_file(path, &len);
    REQUIRE(bytes != NULL && len > offset);
    uint64_t torn = len - offset;
    while (torn > 0 && bytes[offset + torn - 1] == 0) {
        torn--;
    }
    free(bytes);
    CHECK(torn > 0);
    return torn;
}

/* A segment cut inside its last record: a torn tail, not an error. */
static void check_torn(const char *path, uint64_t last_offset, uint64_t torn_len) {
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(path, &r));
    for (uint64_t i = 0; i < 4; i++) {
        EXPECT_RECORD(r, i);
    }
    binlog_tail tail;
    memset(&tail, 0xa5, sizeof tail);
    CHECK_OK(binlog_reader_tail(r, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_READING);
    binlog_record rec;
    memset(&rec, 0xa5, sizeof rec);
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK(record_untouched(&rec));
    CHECK_OK(binlog_reader_tail(r, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_TORN);
    CHECK_EQ_U(tail.offset, last_offset);
    CHECK_EQ_U(tail.len, torn_len);
    binlog_reader_free(r);
}

static void test_torn_tail(void) {
    const char *src = path_of("torn-src.binlog");
    const char *torn = path_of("torn.binlog");
    const char *torn_sealed = path_of("torn-sealed.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(src, NULL, &w));
    for (int i = 0; i < 5; i++) {
        char p[32];
        snprintf(p, sizeof p, "record-payload-%d", i);
        CHECK_OK(binlog_writer_write(w, LIT("t"), U(p), strlen(p), NULL));
    }
    CHECK_OK(binlog_writer_flush(w));
    REQUIRE(copy_file(src, torn, SIZE_MAX)); /* unsealed */
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    uint64_t off[8];
    REQUIRE(record_offsets(torn, off, 8) == 5);
    /* The unsealed copy, cut 5 bytes into record 4 (inside its frame header). */
    REQUIRE(truncate(torn, (off_t)off[4] + 5) == 0);
    check_torn(torn, off[4], torn_len(torn, off[4]));
    /* The sealed segment, cut 20 bytes into record 4 (inside its body). */
    REQUIRE(copy_file(src, torn_sealed, (size_t)off[4] + 20));
    check_torn(torn_sealed, off[4], torn_len(torn_sealed, off[4]));

    /* A writer reopening it backs the torn bytes up and continues at seq 4. */
    REQUIRE_OK(binlog_writer_open(torn, NULL, &w));
    uint64_t next = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 4);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    char backup[600];
    snprintf(backup, sizeof backup, "%s.corrupt-%llu", torn, (unsigned long long)off[4]);
    CHECK(exists(backup));
}

/* A record above the maximum record size; the writer keeps working. */
static void test_record_too_large(void) {
    const char *p = path_of("too-large.binlog");
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_max_record_size(o, 64));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, o, &w));
    binlog_options_free(o);

    static uint8_t big[100];
    memset(big, 'B', sizeof big);
    uint64_t seq = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_write(w, LIT("t"), big, sizeof big, &seq), BINLOG_ERR_RECORD_TOO_LARGE,
              p);
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("record-payload-0"), &seq));
    CHECK_EQ_U(seq, 0);
    binlog_iovec parts[2] = {{big, 50}, {big, 50}};
    seq = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_writev(w, LIT("t"), parts, 2, &seq), BINLOG_ERR_RECORD_TOO_LARGE, p);
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    binlog_entry e[2];
    memset(e, 0, sizeof e);
    e[0].type_name = U("t");
    e[0].type_len = 1;
    e[0].payload = U("record-payload-1");
    e[0].payload_len = 16;
    e[0].timestamp_ns = BINLOG_TIME_NOW;
    e[1] = e[0];
    e[1].payload = big;
    e[1].payload_len = sizeof big;
    CHECK_ERR(binlog_writer_write_entry(w, &e[1], &seq), BINLOG_ERR_RECORD_TOO_LARGE, p);
    CHECK_ERR(binlog_writer_write_batch(w, e, 2, &seq), BINLOG_ERR_RECORD_TOO_LARGE, p);
    /* Every entry is checked before any is written: the first is not. */
    CHECK_CONTAINS(binlog_last_error(), "entry 1 of 2");
    CHECK_CONTAINS(binlog_last_error(), "no record of this call was written");
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    uint64_t next = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 1);
    CHECK_OK(binlog_writer_write_batch(w, e, 1, &seq));
    CHECK_EQ_U(seq, 1);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    /* Without a buffer each record goes to the file as it is encoded: the
     * batch is still refused whole, the entry before the one too large is
     * not written either. */
    const char *p2 = path_of("too-large-unbuffered.binlog");
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_max_record_size(o, 64));
    CHECK_OK(binlog_options_set_buffer_size(o, 0));
    binlog_writer *w2 = NULL;
    REQUIRE_OK(binlog_writer_open(p2, o, &w2));
    binlog_options_free(o);
    seq = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_write_batch(w2, e, 2, &seq), BINLOG_ERR_RECORD_TOO_LARGE, p2);
    CHECK_CONTAINS(binlog_last_error(), "no record of this call was written");
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    next = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_next_seq(w2, &next));
    CHECK_EQ_U(next, 0);
    CHECK_OK(binlog_writer_close(w2));
    binlog_writer_free(w2);

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    EXPECT_RECORD(r, 0);
    EXPECT_RECORD(r, 1);
    binlog_record rec;
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    binlog_tail tail;
    CHECK_OK(binlog_reader_tail(r, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);
    binlog_reader_free(r);
}

/* The segment files of directory `dir` (names sorted, each name followed
 * by its bytes) in one malloc'd buffer; `*len` its length. */
static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static uint8_t *segments_of(const char *dir, size_t *len) {
    char *names[64];
    size_t n = 0;
    DIR *d = opendir(dir);
    if (d == NULL) return NULL;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 64) {
        size_t l = strlen(de->d_name);
        if (l > 7 && strcmp(de->d_name + l - 7, ".binlog") == 0) names[n++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_names);
    uint8_t *out = NULL;
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        char path[700];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t flen = 0;
        uint8_t *bytes = read_file(path, &flen);
        size_t nlen = strlen(names[i]) + 1;
        out = realloc(out, *len + nlen + flen);
        memcpy(out + *len, names[i], nlen);
        if (flen > 0) memcpy(out + *len + nlen, bytes, flen);
        *len += nlen + flen;
        free(bytes);
        free(names[i]);
    }
    return out;
}

/* A batch with an entry above the maximum record size (after a valid entry
 * larger than the buffer, which would reach the file first) or a type name
 * that is not UTF-8 is refused whole: the segment files keep every byte,
 * the next sequence number is unchanged, a log does not roll. For a
 * segment and a log (rolling every 3 records, so the batch spans a roll),
 * buffered and unbuffered (buffer size 0). */
static void test_refused_batch_writes_nothing(void) {
    static uint8_t big[3000];
    static uint8_t too_big[5000];
    memset(big, 'B', sizeof big);
    memset(too_big, 'X', sizeof too_big);
    for (int log = 0; log < 2; log++) {
        for (int unbuffered = 0; unbuffered < 2; unbuffered++) {
            char dir[600];
            snprintf(dir, sizeof dir, "%s", path_of(log ? (unbuffered ? "rb-log-0" : "rb-log")
                                                        : (unbuffered ? "rb-seg-0" : "rb-seg")));
            CHECK(mkdir(dir, 0755) == 0);
            char seg[700];
            snprintf(seg, sizeof seg, "%s/seg.binlog", dir);
            binlog_options *o = NULL;
            REQUIRE_OK(binlog_options_new(&o));
            CHECK_OK(binlog_options_set_max_record_size(o, 4096));
            CHECK_OK(binlog_options_set_buffer_size(o, unbuffered ? 0 : 1024));
            binlog_writer *w = NULL;
            if (log) {
                CHECK_OK(binlog_options_set_max_segment_records(o, 3));
                REQUIRE_OK(binlog_writer_open_log(dir, "x", o, &w));
            } else {
                REQUIRE_OK(binlog_writer_open(seg, o, &w));
            }
            binlog_options_free(o);
            uint64_t seq = SEQ_SENTINEL;
            CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("zero"), &seq));
            CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("one"), &seq));
            CHECK_EQ_U(seq, 1);
            CHECK_OK(binlog_writer_flush(w));
            size_t before_len = 0;
            uint8_t *before = segments_of(dir, &before_len);
            REQUIRE(before != NULL && before_len > 0);

            binlog_entry e[4];
            memset(e, 0, sizeof e);
            e[0].type_name = U("t");
            e[0].type_len = 1;
            e[0].payload = U("two");
            e[0].payload_len = 3;
            e[0].timestamp_ns = BINLOG_TIME_NOW;
            e[1] = e[0];
            e[1].type_name = U("new-type");
            e[1].type_len = 8;
            e[1].payload = big; /* larger than the buffer */
            e[1].payload_len = sizeof big;
            e[2] = e[0];
            e[3] = e[0];
            e[3].payload = too_big;
            e[3].payload_len = sizeof too_big;
            seq = SEQ_SENTINEL;
            CHECK_ERR(binlog_writer_write_batch(w, e, 4, &seq), BINLOG_ERR_RECORD_TOO_LARGE, NULL);
            CHECK_CONTAINS(binlog_last_error(), "entry 3 of 4");
            CHECK_CONTAINS(binlog_last_error(), "no record of this call was written");
            CHECK_EQ_U(seq, SEQ_SENTINEL);
            e[3] = e[0];
            e[3].type_name = U("\xff\xfe");
            e[3].type_len = 2;
            CHECK_ERR(binlog_writer_write_batch(w, e, 4, &seq), BINLOG_ERR_INVALID_UTF8, NULL);
            CHECK_EQ_U(seq, SEQ_SENTINEL);
            uint64_t next = SEQ_SENTINEL;
            CHECK_OK(binlog_writer_next_seq(w, &next));
            CHECK_EQ_U(next, 2);
            CHECK_OK(binlog_writer_flush(w));
            size_t after_len = 0;
            uint8_t *after = segments_of(dir, &after_len);
            REQUIRE(after != NULL);
            CHECK_EQ_U(after_len, before_len);
            CHECK(after_len == before_len && memcmp(before, after, before_len) == 0);
            free(before);
            free(after);

            /* The same batch without its bad entry is written whole. */
            CHECK_OK(binlog_writer_write_batch(w, e, 3, &seq));
            CHECK_EQ_U(seq, 2);
            CHECK_OK(binlog_writer_close(w));
            binlog_writer_free(w);
            binlog_reader *r = NULL;
            if (log) {
                REQUIRE_OK(binlog_reader_open_log(dir, "x", &r));
            } else {
                REQUIRE_OK(binlog_reader_open(seg, &r));
            }
            binlog_record rec;
            for (uint64_t i = 0; i < 5; i++) {
                CHECK_OK(binlog_reader_next(r, &rec));
                CHECK_EQ_U(rec.seq, i);
                CHECK_EQ_U(rec.payload_len, i == 3 ? sizeof big : (i == 0 ? 4 : 3));
            }
            CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
            binlog_reader_free(r);
        }
    }
}

/* A writer of a segment (log == 0) or of a log in its own directory. */
static binlog_writer *open_writer(int log, const char *where) {
    binlog_writer *w = NULL;
    if (log) {
        CHECK(mkdir(where, 0755) == 0);
        REQUIRE_OK(binlog_writer_open_log(where, "x", NULL, &w));
    } else {
        REQUIRE_OK(binlog_writer_open(where, NULL, &w));
    }
    return w;
}

/* Each way an entry can fail the boundary's checks, as entry 2 of 3 of a
 * batch, for a segment and a log: the code, a message naming the file and
 * the entry, no output, no sequence number taken. */
static void test_batch_boundary_refusal_names_entry(void) {
    static const binlog_meta bad_key = {U("\xff"), 1, U("v"), 1};
    static const binlog_meta bad_value = {U("k"), 1, U("\xfe"), 1};
    static const binlog_meta null_key = {NULL, 3, U("v"), 1};
    static const binlog_iovec null_part = {NULL, 4};
    for (int log = 0; log < 2; log++) {
        /* path_of's buffer stays valid: it is not called again here. */
        const char *where = path_of(log ? "names-entry-log" : "names-entry.binlog");
        binlog_writer *w = open_writer(log, where);
        uint64_t seq = SEQ_SENTINEL;
        CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("first"), &seq));
        for (int kind = 0; kind < 7; kind++) {
            binlog_entry e[3];
            memset(e, 0, sizeof e);
            e[0].type_name = U("t");
            e[0].type_len = 1;
            e[0].payload = U("ok");
            e[0].payload_len = 2;
            e[0].timestamp_ns = BINLOG_TIME_NOW;
            e[1] = e[0];
            e[2] = e[0];
            binlog_result want = BINLOG_ERR_INVALID_UTF8;
            switch (kind) {
            case 0: /* type name not UTF-8 */
                e[2].type_name = U("\xff\xfe");
                e[2].type_len = 2;
                break;
            case 1: /* NULL type name with a length */
                e[2].type_name = NULL;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            case 2: /* NULL payload with a length */
                e[2].payload = NULL;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            case 3: /* NULL parts with a count */
                e[2].parts = NULL;
                e[2].part_count = 2;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            case 4: /* a NULL part with a length */
                e[2].parts = &null_part;
                e[2].part_count = 1;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            case 5: /* metadata key, then value, not UTF-8 */
                e[2].meta = (kind == 5) ? &bad_key : &bad_value;
                e[2].meta_count = 1;
                break;
            default: /* NULL metadata key with a length */
                e[2].meta = &null_key;
                e[2].meta_count = 1;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            }
            seq = SEQ_SENTINEL;
            CHECK_ERR(binlog_writer_write_batch(w, e, 3, &seq), want, where);
            CHECK_CONTAINS(binlog_last_error(), "entry 2 of 3");
            CHECK_CONTAINS(binlog_last_error(), "no record of this call was written");
            CHECK_EQ_U(seq, SEQ_SENTINEL);
            if (kind == 5) {
                e[2].meta = &bad_value;
                CHECK_ERR(binlog_writer_write_batch(w, e, 3, &seq), want, "entry 2 of 3");
                CHECK_CONTAINS(binlog_last_error(), "no record of this call was written");
                CHECK_EQ_U(seq, SEQ_SENTINEL);
            }
            uint64_t next = SEQ_SENTINEL;
            CHECK_OK(binlog_writer_next_seq(w, &next));
            CHECK_EQ_U(next, 1);
        }
        /* One entry (binlog_writer_write_entry) is the whole call: its
         * message need not number it, but names the file. */
        binlog_entry one;
        memset(&one, 0, sizeof one);
        one.type_name = U("\xff");
        one.type_len = 1;
        one.timestamp_ns = BINLOG_TIME_NOW;
        CHECK_ERR(binlog_writer_write_entry(w, &one, &seq), BINLOG_ERR_INVALID_UTF8, where);
        CHECK_EQ_U(seq, SEQ_SENTINEL);
        CHECK_OK(binlog_writer_close(w));
        binlog_writer_free(w);
    }
}

int main(void) {
    if (make_tmpdir() != 0) return 2;

    test_options_errors();
    test_writer_null();
    test_reader_null();
    test_reader_argument_errors_name_the_file();
    test_invalid_utf8();
    test_closed();
    test_locked();
    test_bad_files();
    test_corrupt_record();
    test_torn_tail();
    test_record_too_large();
    test_refused_batch_writes_nothing();
    test_batch_boundary_refusal_names_entry();

    remove_tmpdir();
    return (int)check_summary();
}
