/*
 * test_bad_input_matrix.c: the bad-input matrix through the C ABI. For each
 * kind of bad input, every call that meets it returns one result code that
 * no other kind shares, binlog_last_error() names the file (and the offset
 * where the damage has one), and what was written stays. The same matrix is
 * checked for the Rust API (tests/it/bad_input_matrix.rs), Go and Java;
 * test_errors.c goes deeper into NULL pointers and each call's arguments.
 */
#define _GNU_SOURCE

#include <linux/capability.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

/* ------------------------------------------------------------------------ */
/* Files                                                                      */

/* The bytes of a regular file (NULL for anything else). */
static uint8_t *read_all(const char *path, size_t *len) {
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        return NULL;
    }
    return read_file(path, len);
}

static void write_all(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL);
    REQUIRE(fwrite(data, 1, len, f) == len);
    REQUIRE(fclose(f) == 0);
}

/* The file's bytes equal `want` (len bytes). */
static int same_bytes(const char *path, const uint8_t *want, size_t len) {
    size_t n = 0;
    uint8_t *b = read_all(path, &n);
    int same = b != NULL && n == len && memcmp(b, want, len) == 0;
    free(b);
    return same;
}

/* CRC-32 (IEEE), as the format uses: to fix a header after changing it. */
static uint32_t crc32_ieee(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

static const char FOREIGN[] = "id,name\n1,alice\n2,bob\n3,carol\n4,dave\n5,eve\n6,frank\n"
                              "7,grace\n8,heidi\n9,ivan\n10,judy\n11,mallory\n12,niaj\n";

/* Log `name` in `dir`: n records "<name>-<i>" in segments of 3. */
static void make_log(const char *dir, const char *name, int n) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_segment_records(o, 3));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, name, o, &w));
    binlog_options_free(o);
    for (int i = 0; i < n; i++) {
        char p[64];
        int len = snprintf(p, sizeof p, "%s-%d", name, i);
        uint64_t seq;
        REQUIRE_OK(binlog_writer_write(w, LIT("t"), U(p), (size_t)len, &seq));
    }
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* ------------------------------------------------------------------------ */
/* Checks                                                                     */

/* Every way to open `path` as a segment for reading fails with `code`,
 * naming the file and, unless NULL, `at` ("offset N"). */
static void readers_refuse_at(const char *path, binlog_result code, const char *at, int line) {
    binlog_reader *r = NULL;
    binlog_result rc;
    prime();
    rc = binlog_reader_open(path, &r);
    check_rc_(rc, code, __FILE__, line, "binlog_reader_open");
    check_msg_(path, __FILE__, line, "binlog_reader_open");
    if (at != NULL) {
        check_msg_(at, __FILE__, line, "binlog_reader_open");
    }
    binlog_reader_free(rc == BINLOG_OK ? r : NULL);
    r = NULL;
    prime();
    rc = binlog_reader_open_salvage(path, &r);
    check_rc_(rc, code, __FILE__, line, "binlog_reader_open_salvage");
    check_msg_(path, __FILE__, line, "binlog_reader_open_salvage");
    binlog_reader_free(rc == BINLOG_OK ? r : NULL);
}
#define READERS_REFUSE(path, code, at) readers_refuse_at((path), (code), (at), __LINE__)

/* binlog_writer_open refuses `path` with `code`, naming it, changing no byte. */
static void writer_refuses_at(const char *path, binlog_result code, int line) {
    size_t n = 0;
    uint8_t *before = read_all(path, &n);
    binlog_writer *w = NULL;
    prime();
    binlog_result rc = binlog_writer_open(path, NULL, &w);
    check_rc_(rc, code, __FILE__, line, "binlog_writer_open");
    check_msg_(path, __FILE__, line, "binlog_writer_open");
    if (rc == BINLOG_OK) {
        binlog_writer_free(w);
    }
    if (before != NULL) {
        check_report_(same_bytes(path, before, n), __FILE__, line, "the file is unchanged");
    }
    free(before);
}
#define WRITER_REFUSES(path, code) writer_refuses_at((path), (code), __LINE__)

/* Reads log `name` in `dir`: the number of records before the reader stops,
 * and the code it stopped with (BINLOG_END at the end). */
static int read_log(const char *dir, const char *name, binlog_result *stop) {
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, name, &r));
    binlog_record rec;
    int n = 0;
    while ((*stop = binlog_reader_next(r, &rec)) == BINLOG_OK) {
        char want[64];
        snprintf(want, sizeof want, "%s-%d", name, n);
        CHECK_STR(rec.payload, rec.payload_len, want);
        n++;
    }
    binlog_reader_free(r);
    return n;
}

/* ------------------------------------------------------------------------ */
/* The matrix                                                                 */

static void test_missing(void) {
    READERS_REFUSE(path_of("missing.binlog"), BINLOG_ERR_NOT_FOUND, NULL);
    CHECK(access(path_of("missing.binlog"), F_OK) != 0);
    /* A writer creates a missing segment, not a missing directory. */
    WRITER_REFUSES(path_of("no-dir/seg.binlog"), BINLOG_ERR_NOT_FOUND);
    binlog_reader *r = NULL;
    CHECK_ERR(binlog_reader_open_log(path_of("no-log-dir"), "app", &r), BINLOG_ERR_NOT_FOUND,
              path_of("no-log-dir"));
    CHECK_ERR(binlog_reader_open_glob(path_of("no-log-dir"), "*.binlog", &r),
              BINLOG_ERR_NOT_FOUND, path_of("no-log-dir"));
    CHECK(access(path_of("no-log-dir"), F_OK) != 0);
}

/* File permissions apply to root too once the thread drops
 * CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (capabilities are per thread). */
static void drop_dac_override(void) {
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    REQUIRE(syscall(SYS_capget, &h, d) == 0);
    d[0].effective &= ~((1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH));
    REQUIRE(syscall(SYS_capset, &h, d) == 0);
}

static void *unreadable_thread(void *arg) {
    (void)arg;
    drop_dac_override();
    READERS_REFUSE(path_of("unreadable.binlog"), BINLOG_ERR_PERMISSION_DENIED, NULL);
    WRITER_REFUSES(path_of("unreadable.binlog"), BINLOG_ERR_PERMISSION_DENIED);
    binlog_reader *r = NULL;
    CHECK_ERR(binlog_reader_open_log(path_of("closed-log"), "app", &r),
              BINLOG_ERR_PERMISSION_DENIED, path_of("closed-log"));
    binlog_writer *w = NULL;
    CHECK_ERR(binlog_writer_open_log(path_of("closed-log"), "app", NULL, &w),
              BINLOG_ERR_PERMISSION_DENIED, path_of("closed-log"));
    return NULL;
}

static void test_unreadable(void) {
    make_segment(path_of("unreadable.binlog"), 3);
    make_log(make_dir("closed-log"), "app", 2);
    REQUIRE(chmod(path_of("unreadable.binlog"), 0) == 0);
    REQUIRE(chmod(path_of("closed-log"), 0) == 0);
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, unreadable_thread, NULL) == 0);
    REQUIRE(pthread_join(t, NULL) == 0);
    REQUIRE(chmod(path_of("unreadable.binlog"), 0644) == 0);
    REQUIRE(chmod(path_of("closed-log"), 0755) == 0);
    binlog_result stop;
    CHECK_EQ_U(read_log(path_of("closed-log"), "app", &stop), 2);
    CHECK_RC(stop, BINLOG_END);
}

static void test_foreign(void) {
    write_all(path_of("foreign.csv"), FOREIGN, sizeof FOREIGN - 1);
    READERS_REFUSE(path_of("foreign.csv"), BINLOG_ERR_NOT_A_BINLOG, "offset 0");
    WRITER_REFUSES(path_of("foreign.csv"), BINLOG_ERR_NOT_A_BINLOG);
}

static void test_other_major(void) {
    const char *p = path_of("major2.binlog");
    make_segment(p, 3);
    size_t n = 0;
    uint8_t *b = read_all(p, &n);
    REQUIRE(b != NULL && n > 64);
    b[8] = 2; /* major version, u16 LE at offset 8 */
    b[9] = 0;
    uint32_t hl = (uint32_t)b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 |
                  (uint32_t)b[15] << 24;
    REQUIRE(hl > 16 && hl < n);
    uint32_t crc = crc32_ieee(b, hl - 4);
    for (int i = 0; i < 4; i++) {
        b[hl - 4 + i] = (uint8_t)(crc >> (8 * i));
    }
    write_all(p, b, n);
    free(b);
    READERS_REFUSE(p, BINLOG_ERR_UNSUPPORTED_VERSION, "offset 8");
    WRITER_REFUSES(p, BINLOG_ERR_UNSUPPORTED_VERSION);
}

static void test_short(void) {
    make_segment(path_of("whole.binlog"), 3);
    size_t n = 0;
    uint8_t *b = read_all(path_of("whole.binlog"), &n);
    REQUIRE(b != NULL);
    static const size_t cuts[] = {0, 1, 8, 20};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        char name[32], at[32];
        snprintf(name, sizeof name, "cut-%zu.binlog", cuts[i]);
        snprintf(at, sizeof at, "offset %zu", cuts[i]);
        write_all(path_of(name), b, cuts[i]);
        READERS_REFUSE(path_of(name), BINLOG_ERR_TRUNCATED, at);
    }
    free(b);
}

static void test_directory(void) {
    /* A directory where a segment is expected is a wrong argument, for
     * readers and the writer alike: not an I/O failure of open(2). */
    const char *p = make_dir("a-directory.binlog");
    READERS_REFUSE(p, BINLOG_ERR_INVALID_ARGUMENT, NULL);
    WRITER_REFUSES(p, BINLOG_ERR_INVALID_ARGUMENT);

    /* And a file where a log directory is expected: the same code for
     * readers and the writer (not an I/O error, nor ALREADY_EXISTS). */
    const char *f = path_of("not-a-dir");
    make_segment(f, 1);
    binlog_reader *r = NULL;
    binlog_writer *w = NULL;
    CHECK_ERR(binlog_reader_open_log(f, "app", &r), BINLOG_ERR_INVALID_ARGUMENT, f);
    CHECK_ERR(binlog_reader_open_glob(f, "*", &r), BINLOG_ERR_INVALID_ARGUMENT, f);
    CHECK_ERR(binlog_writer_open_log(f, "app", NULL, &w), BINLOG_ERR_INVALID_ARGUMENT, f);
}

static void test_bit_flip(void) {
    const char *p = path_of("flip.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, NULL, &w));
    uint64_t seq;
    for (int i = 0; i < 6; i++) {
        REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("payload"), &seq));
    }
    REQUIRE_OK(binlog_writer_flush(w));
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    binlog_record rec;
    uint64_t third = 0;
    for (int i = 0; i < 4; i++) {
        REQUIRE_OK(binlog_reader_next(r, &rec));
        third = rec.offset;
    }
    binlog_reader_free(r);
    /* Then one bit of record 3 flips. */
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    size_t n = 0;
    uint8_t *b = read_all(p, &n);
    REQUIRE(b != NULL);
    b[third + 12] ^= 0x04;
    write_all(p, b, n);
    free(b);
    r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    for (int i = 0; i < 3; i++) {
        CHECK_OK(binlog_reader_next(r, &rec));
        CHECK_EQ_U(rec.seq, (uint64_t)i);
    }
    char at[32];
    snprintf(at, sizeof at, "offset %" PRIu64, third);
    CHECK_ERR(binlog_reader_next(r, &rec), BINLOG_ERR_CORRUPT, at);
    CHECK_CONTAINS(binlog_last_error(), p);
    binlog_reader_free(r);
}

static void test_oversized(void) {
    const char *p = path_of("big.binlog");
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_record_size(o, 256));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, o, &w));
    binlog_options_free(o);
    uint64_t seq = 0;
    static uint8_t big[300];
    REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("before"), &seq));
    CHECK_ERR(binlog_writer_write(w, LIT("t"), big, sizeof big, &seq), BINLOG_ERR_RECORD_TOO_LARGE,
              p);
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("after"), &seq));
    CHECK_EQ_U(seq, 1);
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    binlog_record rec;
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_STR(rec.payload, rec.payload_len, "before");
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_STR(rec.payload, rec.payload_len, "after");
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    binlog_reader_free(r);
}

static void test_null(void) {
    binlog_reader *r = NULL;
    binlog_writer *w = NULL;
    binlog_record rec;
    uint64_t seq;
    CHECK_ERR(binlog_reader_open(NULL, &r), BINLOG_ERR_NULL_POINTER, "path");
    CHECK_ERR(binlog_reader_open(path_of("x.binlog"), NULL), BINLOG_ERR_NULL_POINTER, "out");
    CHECK_ERR(binlog_writer_open(NULL, NULL, &w), BINLOG_ERR_NULL_POINTER, "path");
    CHECK_ERR(binlog_reader_open_log(NULL, "app", &r), BINLOG_ERR_NULL_POINTER, "dir");
    CHECK_ERR(binlog_writer_open_log(path_of("log-null"), NULL, NULL, &w), BINLOG_ERR_NULL_POINTER,
              "name");
    CHECK_ERR(binlog_writer_write(NULL, LIT("t"), LIT("x"), &seq), BINLOG_ERR_NULL_POINTER,
              "writer");
    CHECK_ERR(binlog_reader_next(NULL, &rec), BINLOG_ERR_NULL_POINTER, "reader");
    CHECK(access(path_of("x.binlog"), F_OK) != 0);
}

static void test_closed(void) {
    const char *p = path_of("closed.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, NULL, &w));
    uint64_t seq;
    REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("kept"), &seq));
    REQUIRE_OK(binlog_writer_close(w));
    CHECK_ERR(binlog_writer_write(w, LIT("t"), LIT("x"), &seq), BINLOG_ERR_CLOSED, p);
    CHECK_ERR(binlog_writer_flush(w), BINLOG_ERR_CLOSED, p);
    CHECK_ERR(binlog_writer_sync(w), BINLOG_ERR_CLOSED, p);
    binlog_writer_free(w);

    binlog_reader *r = NULL;
    binlog_record rec;
    REQUIRE_OK(binlog_reader_open(p, &r));
    REQUIRE_OK(binlog_reader_close(r));
    CHECK_ERR(binlog_reader_next(r, &rec), BINLOG_ERR_CLOSED, p);
    CHECK_ERR(binlog_reader_seek_seq(r, 0), BINLOG_ERR_CLOSED, p);
    binlog_reader_free(r);

    const char *d = path_of("closed-log-dir");
    REQUIRE_OK(binlog_writer_open_log(d, "app", NULL, &w));
    REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("x"), &seq));
    REQUIRE_OK(binlog_writer_close(w));
    CHECK_ERR(binlog_writer_write(w, LIT("t"), LIT("x"), &seq), BINLOG_ERR_CLOSED, d);
    CHECK_ERR(binlog_writer_roll(w), BINLOG_ERR_CLOSED, d);
    binlog_writer_free(w);

    REQUIRE_OK(binlog_reader_open(p, &r));
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_STR(rec.payload, rec.payload_len, "kept");
    binlog_reader_free(r);
}

/* A full disk: a 256 KiB tmpfs mounted for the test (root is needed, as for
 * tests/it/disk_full.rs; without it this fails rather than passes). Unbuffered
 * writes go on until one fails with BINLOG_ERR_DISK_FULL naming the file;
 * every write acknowledged before it is read back, whole. */
static void test_disk_full(void) {
    const char *d = make_dir("full");
    if (!CHECK(mount("tmpfs", d, "tmpfs", 0, "size=256k") == 0)) {
        perror("mount tmpfs (the disk-full case needs root)");
        return;
    }
    char p[600];
    snprintf(p, sizeof p, "%s/full.binlog", d);
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_buffer_size(o, 0));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(p, o, &w));
    binlog_options_free(o);
    static uint8_t payload[3000];
    uint64_t acked = 0, seq = 0;
    binlog_result rc = BINLOG_OK;
    for (int i = 0; i < 1000 && rc == BINLOG_OK; i++) {
        memset(payload, 'a' + i % 26, sizeof payload);
        prime();
        rc = binlog_writer_write(w, LIT("t"), payload, sizeof payload, &seq);
        if (rc == BINLOG_OK) {
            acked++;
        }
    }
    CHECK_RC(rc, BINLOG_ERR_DISK_FULL);
    check_msg_(p, __FILE__, __LINE__, "binlog_writer_write on a full disk");
    CHECK(acked > 10);
    binlog_writer_close(w); /* may fail: the seal does not fit either */
    binlog_writer_free(w);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(p, &r));
    binlog_record rec;
    uint64_t n = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        CHECK_EQ_U(rec.seq, n);
        CHECK(rec.payload_len == sizeof payload && rec.payload[0] == 'a' + n % 26 &&
              rec.payload[sizeof payload - 1] == 'a' + n % 26);
        n++;
    }
    CHECK_EQ_U(n, acked);
    binlog_reader_free(r);
    CHECK(umount2(d, MNT_DETACH) == 0);
}

/* Log "app" (9 records, segments of 3) whose segment 1 `spoil` replaces:
 * the log reader stops there with `code` naming it after records 0..2, and
 * the log writer refuses the log with `code`, leaving segment 1 as it is. */
static void bad_log_segment(const char *tag, binlog_result code, void (*spoil)(const char *seg)) {
    char dir[64];
    snprintf(dir, sizeof dir, "log-%s", tag);
    const char *d = make_dir(dir);
    make_log(d, "app", 9);
    const char *p1 = segment_path(d, "app", 1);
    REQUIRE(p1 != NULL);
    char seg[600];
    snprintf(seg, sizeof seg, "%s", p1);
    spoil(seg);
    size_t n = 0;
    uint8_t *before = read_all(seg, &n);
    binlog_result stop = BINLOG_OK;
    CHECK_EQ_U(read_log(d, "app", &stop), 3);
    check_rc_(stop, code, __FILE__, __LINE__, tag);
    CHECK_CONTAINS(binlog_last_error(), seg);
    binlog_writer *w = NULL;
    prime();
    binlog_result rc = binlog_writer_open_log(d, "app", NULL, &w);
    check_rc_(rc, code, __FILE__, __LINE__, "binlog_writer_open_log");
    check_msg_(seg, __FILE__, __LINE__, "binlog_writer_open_log");
    if (rc == BINLOG_OK) {
        binlog_writer_free(w);
    }
    if (before != NULL) {
        CHECK(same_bytes(seg, before, n));
    }
    free(before);
}

static void spoil_other_log(const char *seg) {
    const char *d = make_dir("log-other-src");
    make_log(d, "other", 9);
    const char *p1 = segment_path(d, "other", 1);
    REQUIRE(p1 != NULL);
    size_t n = 0;
    uint8_t *b = read_all(p1, &n);
    REQUIRE(b != NULL);
    write_all(seg, b, n);
    free(b);
}

static void spoil_foreign(const char *seg) { write_all(seg, FOREIGN, sizeof FOREIGN - 1); }

static void spoil_directory(const char *seg) {
    REQUIRE(unlink(seg) == 0);
    REQUIRE(mkdir(seg, 0755) == 0);
}

static void test_log_segments(void) {
    bad_log_segment("other", BINLOG_ERR_WRONG_LOG, spoil_other_log);
    bad_log_segment("foreign", BINLOG_ERR_NOT_A_BINLOG, spoil_foreign);
    bad_log_segment("dir", BINLOG_ERR_INVALID_ARGUMENT, spoil_directory);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_missing();
    test_unreadable();
    test_foreign();
    test_other_major();
    test_short();
    test_directory();
    test_bit_flip();
    test_oversized();
    test_null();
    test_closed();
    test_disk_full();
    test_log_segments();
    return (int)check_summary();
}
