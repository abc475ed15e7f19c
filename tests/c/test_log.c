/*
 * test_log.c: the rolling-log part of the libbinlog C ABI, end to end:
 * binlog_writer_open_log and its options (size, record and period limits,
 * retention), segment callbacks and polling, binlog_writer_roll, reopening,
 * binlog_reader_open_log / open_glob across segments (seek, filter, follow
 * with next_wait, gaps), and the error paths of every log function.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <dirent.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"


/* Values an output parameter holds before a failing call, and after it. */
#define SEQ_SENTINEL UINT64_C(0xdeadbeefcafef00d)
#define PTR_SENTINEL(T) ((T *)(uintptr_t)0x5e5e5e50)

/* binlog_period values (src/ffi/options.rs; the enum is not in binlog.h). */


static int exists(const char *path) {
    return access(path, F_OK) == 0;
}

static uint64_t file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

/* How many segment files of log `log` are in `dir`. */
static unsigned count_segments(const char *dir, const char *log) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return 0;
    }
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += (unsigned)is_segment_of(e->d_name, log);
    }
    closedir(d);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Records: the type and payload of record `seq` follow from its number.     */

#define BASE_TS INT64_C(1700000000000000000)

static int is_rare(uint64_t seq) { return seq % 6 == 0; }
static int is_odd(uint64_t seq) { return !is_rare(seq) && seq % 2 == 1; }
static int is_odd_or_rare(uint64_t seq) { return is_rare(seq) || is_odd(seq); }

static const char *type_of(uint64_t seq) {
    return is_rare(seq) ? "rare" : is_odd(seq) ? "odd" : "even";
}

/* "rec-<seq>", then `pad` bytes derived from seq; returns the length. */
static size_t payload_of(uint64_t seq, size_t pad, uint8_t *buf, size_t cap) {
    int n = snprintf((char *)buf, cap, "rec-%llu", (unsigned long long)seq);
    size_t len = (size_t)n;
    for (size_t i = 0; i < pad && len < cap; i++) {
        buf[len++] = (uint8_t)(seq * 31 + i);
    }
    return len;
}

/* Writes records first..first+count-1 one at a time; each gets its seq. */
static void write_records_at(binlog_writer *w, uint64_t first, uint64_t count, size_t pad, int line) {
    static uint8_t buf[8192];
    int ok = 1;
    for (uint64_t s = first; s < first + count; s++) {
        size_t len = payload_of(s, pad, buf, sizeof buf);
        uint64_t got = SEQ_SENTINEL;
        const char *t = type_of(s);
        binlog_result rc = binlog_writer_write(w, U(t), strlen(t), buf, len, &got);
        if (rc != BINLOG_OK || got != s) {
            fprintf(stderr, "    write of record %llu: rc %u, seq %llu\n", (unsigned long long)s,
                    (unsigned)rc, (unsigned long long)got);
            ok = 0;
            break;
        }
    }
    check_report_(ok, __FILE__, line, "records written with consecutive sequence numbers");
}

#define WRITE_RECORDS(w, first, count) write_records_at((w), (first), (count), 0, __LINE__)

/* Entries for records first..first+count-1 (count <= 64), with timestamps
 * BASE_TS + seq us; payloads live in `bufs`. */
static void fill_entries(binlog_entry *e, uint8_t (*bufs)[64], uint64_t first, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint64_t s = first + i;
        size_t len = payload_of(s, 0, bufs[i], 64);
        const char *t = type_of(s);
        e[i] = (binlog_entry){.type_name = U(t),
                              .type_len = strlen(t),
                              .payload = bufs[i],
                              .payload_len = len,
                              .timestamp_ns = BASE_TS + (int64_t)s * 1000};
    }
}

/* The record is record `seq` as written (payload padded by `pad`). */
static int record_is(const binlog_record *r, uint64_t seq, size_t pad) {
    static uint8_t buf[8192];
    size_t len = payload_of(seq, pad, buf, sizeof buf);
    const char *t = type_of(seq);
    return r->seq == seq && r->payload_len == len && memcmp(r->payload, buf, len) == 0 &&
           r->type_len == strlen(t) && memcmp(r->type_name, t, r->type_len) == 0;
}

/* Reads with binlog_reader_next until BINLOG_END and checks that exactly the
 * records s in [from, to) with want(s) came, in order. */
static void expect_seqs_at(binlog_reader *r, uint64_t from, uint64_t to, int (*want)(uint64_t),
                           size_t pad, int line) {
    binlog_record rec;
    binlog_result rc = BINLOG_OK;
    uint64_t s = from;
    int ok = 1;
    for (;;) {
        while (s < to && want != NULL && !want(s)) {
            s++;
        }
        memset(&rec, 0, sizeof rec);
        rc = binlog_reader_next(r, &rec);
        if (rc != BINLOG_OK) {
            break;
        }
        if (s >= to || !record_is(&rec, s, pad)) {
            fprintf(stderr, "    read seq %llu (%.*s), expected %llu\n", (unsigned long long)rec.seq,
                    (int)rec.type_len, (const char *)rec.type_name, (unsigned long long)s);
            ok = 0;
            break;
        }
        s++;
    }
    while (ok && s < to && want != NULL && !want(s)) {
        s++;
    }
    if (ok && (rc != BINLOG_END || s != to)) {
        fprintf(stderr, "    stopped with rc %u before seq %llu of [%llu, %llu)\n", (unsigned)rc,
                (unsigned long long)s, (unsigned long long)from, (unsigned long long)to);
        ok = 0;
    }
    char what[128];
    snprintf(what, sizeof what, "the reader returned records [%llu, %llu) then BINLOG_END",
             (unsigned long long)from, (unsigned long long)to);
    check_report_(ok, __FILE__, line, what);
}

#define EXPECT_SEQS(r, from, to) expect_seqs_at((r), (from), (to), NULL, 0, __LINE__)
#define EXPECT_SEQS_IF(r, from, to, want) expect_seqs_at((r), (from), (to), (want), 0, __LINE__)

/* The next record's seq (UINT64_MAX at the end or on an error). */
static uint64_t next_seq_of(binlog_reader *r) {
    binlog_record rec;
    return binlog_reader_next(r, &rec) == BINLOG_OK ? rec.seq : UINT64_MAX;
}

static uint64_t gaps_of(binlog_reader *r) {
    uint64_t n = SEQ_SENTINEL;
    CHECK_OK(binlog_reader_gap_count(r, &n));
    return n;
}

static binlog_writer *open_log_at(const char *dir, const char *log, uint64_t max_records,
                                  uint64_t max_bytes, uint64_t keep_segments, int line) {
    binlog_options *o = NULL;
    if (!check_rc_(binlog_options_new(&o), BINLOG_OK, __FILE__, line, "binlog_options_new")) {
        exit(1);
    }
    check_rc_(binlog_options_set_max_segment_records(o, max_records), BINLOG_OK, __FILE__, line,
              "binlog_options_set_max_segment_records");
    check_rc_(binlog_options_set_max_segment_bytes(o, max_bytes), BINLOG_OK, __FILE__, line,
              "binlog_options_set_max_segment_bytes");
    check_rc_(binlog_options_set_retention(o, keep_segments, 0, 0), BINLOG_OK, __FILE__, line,
              "binlog_options_set_retention");
    binlog_writer *w = NULL;
    if (!check_rc_(binlog_writer_open_log(dir, log, o, &w), BINLOG_OK, __FILE__, line,
                   "binlog_writer_open_log") ||
        w == NULL) {
        check_summary();
        exit(1);
    }
    binlog_options_free(o);
    return w;
}

#define OPEN_LOG(dir, log, recs, bytes, keep) open_log_at((dir), (log), (recs), (bytes), (keep), __LINE__)

static binlog_reader *open_log_reader_at(const char *dir, const char *log, int line) {
    binlog_reader *r = NULL;
    if (!check_rc_(binlog_reader_open_log(dir, log, &r), BINLOG_OK, __FILE__, line,
                   "binlog_reader_open_log") ||
        r == NULL) {
        check_summary();
        exit(1);
    }
    return r;
}

#define OPEN_READER(dir, log) open_log_reader_at((dir), (log), __LINE__)

static void close_writer(binlog_writer *w) {
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static void close_reader(binlog_reader *r) {
    CHECK_OK(binlog_reader_close(r));
    binlog_reader_free(r);
}

/* ------------------------------------------------------------------------ */
/* Segment callbacks: a recorder keeps a copy of every event it is given.    */

struct event {
    binlog_segment_event event;
    uint64_t segment_no, first_seq, record_count, bytes;
    uint64_t size_then; /* the file's size during the callback */
    char path[512];
};

struct recorder {
    pthread_mutex_t mu;
    int32_t ret; /* what the callback returns */
    size_t n;
    struct event ev[64];
};

static int32_t record_cb(void *user, const binlog_segment_info *info) {
    struct recorder *r = user;
    pthread_mutex_lock(&r->mu);
    if (r->n < sizeof r->ev / sizeof r->ev[0]) {
        struct event *e = &r->ev[r->n];
        e->event = info->event;
        e->segment_no = info->segment_no;
        e->first_seq = info->first_seq;
        e->record_count = info->record_count;
        e->bytes = info->bytes;
        e->size_then = info->path != NULL ? file_size(info->path) : UINT64_MAX;
        snprintf(e->path, sizeof e->path, "%s", info->path != NULL ? info->path : "(null)");
    }
    r->n++;
    pthread_mutex_unlock(&r->mu);
    return r->ret;
}

static int noop_calls;
static int32_t noop_cb(void *user, const binlog_segment_info *info) {
    noop_calls += user == NULL && info != NULL;
    return 0;
}

static size_t events_of(struct recorder *r) {
    pthread_mutex_lock(&r->mu);
    size_t n = r->n;
    pthread_mutex_unlock(&r->mu);
    return n;
}

/* Event i of `r` is `kind` for segment `no` of `log` in `dir`, starting at
 * `first` with `count` records; `bytes` is the file size at that moment. */
static void expect_event_at(struct recorder *r, size_t i, binlog_segment_event kind, const char *dir,
                            const char *log, uint64_t no, uint64_t first, uint64_t count, int line) {
    char what[160];
    snprintf(what, sizeof what, "event %zu exists (recorder has %zu)", i, r->n);
    if (!check_report_(i < r->n && i < 64, __FILE__, line, what)) {
        return;
    }
    const struct event *e = &r->ev[i];
    unsigned failed_before = check_failed_;
    check_eq_u_(e->event, kind, __FILE__, line, "event", "kind");
    check_eq_u_(e->segment_no, no, __FILE__, line, "segment_no", "no");
    check_eq_u_(e->first_seq, first, __FILE__, line, "first_seq", "first");
    check_eq_u_(e->record_count, count, __FILE__, line, "record_count", "count");
    if (kind == BINLOG_SEGMENT_SEALED) {
        check_eq_u_(e->bytes, e->size_then, __FILE__, line, "bytes", "the sealed file's size");
    } else {
        /* Events are delivered after the call that caused them: the file
         * may hold records by then. */
        check_report_(e->bytes <= e->size_then, __FILE__, line, "bytes <= the file's size then");
    }
    check_report_(e->bytes > 0, __FILE__, line, "bytes > 0 (a header at least)");
    const char *want = segment_path(dir, log, no);
    if (want != NULL) {
        check_report_(strcmp(e->path, want) == 0, __FILE__, line, "path names the segment file");
    } else {
        char prefix[512];
        snprintf(prefix, sizeof prefix, "%s/%s-%020llu-", dir, log, (unsigned long long)no);
        check_report_(strncmp(e->path, prefix, strlen(prefix)) == 0, __FILE__, line,
                      "path names the (removed) segment file");
    }
    if (check_failed_ != failed_before) {
        fprintf(stderr, "    (event %zu: kind %u, segment %llu, path %s)\n", i, (unsigned)e->event,
                (unsigned long long)e->segment_no, e->path);
    }
}

#define EXPECT_EVENT(r, i, kind, dir, log, no, first, count)                                       \
    expect_event_at((r), (i), (kind), (dir), (log), (no), (first), (count), __LINE__)

static int info_untouched(const binlog_segment_info *info) {
    binlog_segment_info s;
    memset(&s, 0xa5, sizeof s);
    return memcmp(info, &s, sizeof s) == 0;
}

static int record_untouched(const binlog_record *rec) {
    binlog_record s;
    memset(&s, 0xa5, sizeof s);
    return memcmp(rec, &s, sizeof s) == 0;
}

/* ------------------------------------------------------------------------ */

/* Rolls by record count: callbacks (both events, every field; a failing
 * callback is counted and disturbs nothing), batches split across
 * segments, binlog_writer_roll, polling, close, and one reader over all. */
static void test_roll_by_records(void) {
    const char *dir = path_of("records");
    binlog_writer *w = OPEN_LOG(dir, "orders", 10, 0, 0);
    CHECK_EQ_U(count_segments(dir, "orders"), 1);

    static struct recorder good = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0}}};
    static struct recorder bad = {PTHREAD_MUTEX_INITIALIZER, 7, 0, {{0}}};
    CHECK_OK(binlog_writer_on_segment(w, record_cb, &bad)); /* first: must not stop `good` */
    CHECK_OK(binlog_writer_on_segment(w, record_cb, &good));
    uint64_t failures = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_callback_failures(w, &failures));
    CHECK_EQ_U(failures, 0);

    binlog_segment_info info;
    memset(&info, 0xa5, sizeof info);
    CHECK_RC(binlog_writer_poll_sealed(w, &info), BINLOG_END); /* nothing sealed yet */
    CHECK(info_untouched(&info));

    /* 35 records: segments 0..2 hold 10 each, segment 3 holds 30..34. */
    WRITE_RECORDS(w, 0, 35);
    CHECK_EQ_U(count_segments(dir, "orders"), 4);
    CHECK_EQ_U(events_of(&good), 6);
    CHECK_EQ_U(events_of(&bad), 6);
    for (uint64_t k = 0; k < 3; k++) {
        EXPECT_EVENT(&good, 2 * k, BINLOG_SEGMENT_SEALED, dir, "orders", k, 10 * k, 10);
        EXPECT_EVENT(&good, 2 * k + 1, BINLOG_SEGMENT_OPENED, dir, "orders", k + 1, 10 * (k + 1), 0);
    }
    /* The failing callback saw the same events. */
    for (size_t i = 0; i < 6; i++) {
        CHECK(good.ev[i].event == bad.ev[i].event && good.ev[i].segment_no == bad.ev[i].segment_no &&
              strcmp(good.ev[i].path, bad.ev[i].path) == 0);
    }
    CHECK_OK(binlog_writer_callback_failures(w, &failures));
    CHECK_EQ_U(failures, 6);

    /* A batch of 25 (35..59) is split where the limit falls: 35..39 finish
     * segment 3, 40..49 fill segment 4, 50..59 segment 5 (which stays open:
     * it rolls before the next record, not after the tenth). */
    binlog_entry e[25];
    uint8_t bufs[25][64];
    fill_entries(e, bufs, 35, 25);
    uint64_t first = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_write_batch(w, e, 25, &first));
    CHECK_EQ_U(first, 35);
    CHECK_EQ_U(events_of(&good), 10);
    EXPECT_EVENT(&good, 6, BINLOG_SEGMENT_SEALED, dir, "orders", 3, 30, 10);
    EXPECT_EVENT(&good, 7, BINLOG_SEGMENT_OPENED, dir, "orders", 4, 40, 0);
    EXPECT_EVENT(&good, 8, BINLOG_SEGMENT_SEALED, dir, "orders", 4, 40, 10);
    EXPECT_EVENT(&good, 9, BINLOG_SEGMENT_OPENED, dir, "orders", 5, 50, 0);

    /* An explicit roll seals a full segment; a second one an empty one. */
    CHECK_OK(binlog_writer_roll(w));
    EXPECT_EVENT(&good, 10, BINLOG_SEGMENT_SEALED, dir, "orders", 5, 50, 10);
    EXPECT_EVENT(&good, 11, BINLOG_SEGMENT_OPENED, dir, "orders", 6, 60, 0);
    uint64_t next = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 60);
    CHECK_OK(binlog_writer_roll(w));
    EXPECT_EVENT(&good, 12, BINLOG_SEGMENT_SEALED, dir, "orders", 6, 60, 0);
    EXPECT_EVENT(&good, 13, BINLOG_SEGMENT_OPENED, dir, "orders", 7, 60, 0);
    WRITE_RECORDS(w, 60, 3);
    CHECK_EQ_U(count_segments(dir, "orders"), 8);
    CHECK_OK(binlog_writer_callback_failures(w, &failures));
    CHECK_EQ_U(failures, 14);

    /* poll_sealed: each sealed segment once, oldest first, then END. */
    for (uint64_t k = 0; k < 7; k++) {
        memset(&info, 0, sizeof info);
        if (!CHECK_OK(binlog_writer_poll_sealed(w, &info))) {
            break;
        }
        const struct event *ev = &good.ev[2 * k];
        CHECK_EQ_U(info.event, BINLOG_SEGMENT_SEALED);
        CHECK_EQ_U(info.segment_no, k);
        CHECK_EQ_U(info.first_seq, ev->first_seq);
        CHECK_EQ_U(info.record_count, ev->record_count);
        CHECK_EQ_U(info.bytes, ev->bytes);
        CHECK(info.path != NULL && strcmp(info.path, ev->path) == 0);
        CHECK_EQ_U(file_size(info.path), info.bytes); /* sealed: the size stays */
    }
    memset(&info, 0xa5, sizeof info);
    CHECK_RC(binlog_writer_poll_sealed(w, &info), BINLOG_END);
    CHECK_RC(binlog_writer_poll_sealed(w, &info), BINLOG_END);
    CHECK(info_untouched(&info));

    /* Close seals the last segment: one more event, one more poll. */
    CHECK_OK(binlog_writer_close(w));
    CHECK_EQ_U(events_of(&good), 15);
    EXPECT_EVENT(&good, 14, BINLOG_SEGMENT_SEALED, dir, "orders", 7, 60, 3);
    memset(&info, 0, sizeof info);
    CHECK_OK(binlog_writer_poll_sealed(w, &info));
    CHECK_EQ_U(info.segment_no, 7);
    CHECK_EQ_U(info.record_count, 3);
    CHECK_RC(binlog_writer_poll_sealed(w, &info), BINLOG_END);
    CHECK_OK(binlog_writer_callback_failures(w, &failures));
    CHECK_EQ_U(failures, 15);
    CHECK_OK(binlog_writer_close(w)); /* closing twice is OK: no new event */
    CHECK_EQ_U(events_of(&good), 15);
    binlog_writer_free(w);

    /* One reader over the whole log, in order, ending sealed. */
    binlog_reader *r = OPEN_READER(dir, "orders");
    EXPECT_SEQS(r, 0, 63);
    binlog_tail tail;
    CHECK_OK(binlog_reader_tail(r, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);
    CHECK_EQ_U(gaps_of(r), 0);
    binlog_record rec;
    CHECK_RC(binlog_reader_next_wait(r, 0, &rec), BINLOG_END);
    close_reader(r);
}

/* Rolls by size: no segment's records pass the limit, and a record larger
 * than the limit gets a segment of its own. */
static void test_roll_by_bytes(void) {
    const char *dir = path_of("bytes");
    binlog_writer *w = OPEN_LOG(dir, "sized", 0, 4096, 0);
    static struct recorder rec_cb = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0}}};
    CHECK_OK(binlog_writer_on_segment(w, record_cb, &rec_cb));
    write_records_at(w, 0, 60, 300, __LINE__); /* ~310-byte payloads */
    write_records_at(w, 60, 1, 6000, __LINE__); /* larger than a segment */
    write_records_at(w, 61, 2, 300, __LINE__);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    /* Sealed segments: every one holds records, the big one alone. */
    size_t n = events_of(&rec_cb);
    uint64_t total = 0, sealed = 0;
    int big_alone = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        const struct event *e = &rec_cb.ev[i];
        if (e->event != BINLOG_SEGMENT_SEALED) {
            continue;
        }
        sealed++;
        CHECK(e->record_count > 0);
        CHECK_EQ_U(e->first_seq, total);
        total += e->record_count;
        big_alone |= e->first_seq == 60 && e->record_count == 1;
    }
    CHECK_EQ_U(total, 63);
    CHECK(big_alone);
    CHECK(sealed >= 5 && sealed <= 9); /* ~12 records of ~330 bytes per 4 KiB */
    CHECK_EQ_U(count_segments(dir, "sized"), sealed);

    /* Read back: each record of normal size ends within the first 4096
     * bytes of its segment (offsets restart in each one). */
    binlog_reader *r = OPEN_READER(dir, "sized");
    binlog_record rec;
    uint64_t s = 0, last_offset = 0, segments = 0;
    int ok = 1;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        size_t pad = s == 60 ? 6000 : 300;
        ok &= record_is(&rec, s, pad);
        if (s == 0 || rec.offset <= last_offset) { /* offsets grow within a segment */
            segments++;
        }
        if (s != 60) {
            ok &= rec.offset + rec.payload_len + rec.type_len < 4096;
        }
        last_offset = rec.offset;
        s++;
    }
    CHECK(ok);
    CHECK_EQ_U(s, 63);
    CHECK_EQ_U(segments, sealed);
    close_reader(r);
}

/* Retention by segment count: old files leave the directory; readers
 * opened before or after see what remains, with gaps counted. */
static void test_retention(void) {
    const char *dir = path_of("retention");
    binlog_writer *w = OPEN_LOG(dir, "ret", 5, 0, 2);
    WRITE_RECORDS(w, 0, 10); /* segment 0 (0..4) sealed, 1 (5..9) current */
    CHECK_EQ_U(count_segments(dir, "ret"), 2);

    binlog_reader *early = OPEN_READER(dir, "ret"); /* lists 0 and 1, reads nothing */
    binlog_reader *partial = OPEN_READER(dir, "ret");
    CHECK_EQ_U(next_seq_of(partial), 0); /* reading segment 0 */
    CHECK_EQ_U(next_seq_of(partial), 1);
    CHECK_EQ_U(next_seq_of(partial), 2);

    WRITE_RECORDS(w, 10, 30); /* segments 1..6 sealed, 7 (35..39) current */
    CHECK_OK(binlog_writer_flush(w));
    /* Sealed 0..6, 2 kept: 5 and 6, and the current one. */
    CHECK_EQ_U(count_segments(dir, "ret"), 3);
    for (uint64_t k = 0; k < 8; k++) {
        char what[64];
        snprintf(what, sizeof what, "segment %llu is %s", (unsigned long long)k, k < 5 ? "gone" : "kept");
        check_report_((segment_path(dir, "ret", k) != NULL) == (k >= 5), __FILE__, __LINE__, what);
    }
    CHECK(exists(path_of("retention/ret.manifest")));
    /* Polling still reports every sealed segment, removed ones included. */
    binlog_segment_info info;
    uint64_t polled = 0;
    while (binlog_writer_poll_sealed(w, &info) == BINLOG_OK) {
        CHECK_EQ_U(info.segment_no, polled);
        polled++;
    }
    CHECK_EQ_U(polled, 7);

    /* A reader opened now: what remains, no gap. */
    binlog_reader *late = OPEN_READER(dir, "ret");
    EXPECT_SEQS(late, 25, 40);
    CHECK_EQ_U(gaps_of(late), 0);
    close_reader(late);

    /* A reader that listed segments 0 and 1 before they went: it skips to
     * what remains (25..39) and counts the gap. */
    EXPECT_SEQS(early, 25, 40);
    uint64_t g = gaps_of(early);
    CHECK(g >= 1 && g != SEQ_SENTINEL);
    close_reader(early);

    /* A reader in the middle of segment 0 when it went: it finishes it (its
     * mapping stays valid), then continues at 25. */
    CHECK_EQ_U(next_seq_of(partial), 3);
    CHECK_EQ_U(next_seq_of(partial), 4);
    EXPECT_SEQS(partial, 25, 40);
    g = gaps_of(partial);
    CHECK(g >= 1 && g != SEQ_SENTINEL);
    /* binlog_reader_gaps says what went and why: records 5..24, retention,
     * named by the segment after them (a removed file's name carries a
     * creation time the reader never saw). */
    binlog_gap gaps[2];
    size_t count = 0;
    CHECK_RC(binlog_reader_gaps(partial, NULL, 1, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_OK(binlog_reader_gaps(partial, gaps, 2, &count));
    CHECK_EQ_U(count, 1);
    CHECK_EQ_U(gaps[0].reason, BINLOG_GAP_RETENTION);
    CHECK(gaps[0].has_from_seq && gaps[0].has_to_seq && !gaps[0].has_offset);
    CHECK_EQ_U(gaps[0].from_seq, 5);
    CHECK_EQ_U(gaps[0].to_seq, 25);
    const char *after = segment_path(dir, "ret", 5);
    CHECK(after != NULL && gaps[0].path_len == strlen(after) && memcmp(gaps[0].path, after, gaps[0].path_len) == 0);
    close_reader(partial);

    close_writer(w);
    CHECK_EQ_U(count_segments(dir, "ret"), 2); /* sealing 7 dropped 5 */
}

/* Reopening a log continues its sequence numbers in a new segment. */
static void test_reopen(void) {
    const char *dir = path_of("reopen");
    binlog_writer *w = OPEN_LOG(dir, "re", 4, 0, 0);
    WRITE_RECORDS(w, 0, 10); /* 0..3, 4..7, 8..9 */
    close_writer(w);
    CHECK_EQ_U(count_segments(dir, "re"), 3);

    w = OPEN_LOG(dir, "re", 4, 0, 0);
    uint64_t next = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 10);
    CHECK_EQ_U(count_segments(dir, "re"), 4); /* the last one was sealed: a new one */
    CHECK(segment_path(dir, "re", 3) != NULL);
    WRITE_RECORDS(w, 10, 3);
    binlog_writer_free(w); /* free closes (and seals) too */

    /* Default options (NULL): no limits; the sequence still continues. */
    w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "re", NULL, &w));
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 13);
    WRITE_RECORDS(w, 13, 20);
    CHECK_EQ_U(count_segments(dir, "re"), 5);
    close_writer(w);

    binlog_reader *r = OPEN_READER(dir, "re");
    EXPECT_SEQS(r, 0, 33);
    CHECK_EQ_U(gaps_of(r), 0);
    close_reader(r);

    /* A new log starts at the options' first sequence number. */
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_first_seq(o, 1000));
    CHECK_OK(binlog_options_set_max_segment_records(o, 2));
    w = NULL;
    REQUIRE_OK(binlog_writer_open_log(path_of("first-seq"), "fs", o, &w));
    binlog_options_free(o);
    CHECK_OK(binlog_writer_next_seq(w, &next));
    CHECK_EQ_U(next, 1000);
    uint64_t seq = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("p"), &seq));
    CHECK_EQ_U(seq, 1000);
    close_writer(w);
}

/* A sealed segment of a log never changes again: binlog_writer_open on it
 * is refused with BINLOG_ERR_SEALED, naming the file, and leaves it as it
 * was; the log itself goes on in a new segment. */
static void test_sealed_segment_is_not_reopened(void) {
    const char *dir = path_of("sealed-final");
    binlog_writer *w = OPEN_LOG(dir, "sf", 4, 0, 0);
    WRITE_RECORDS(w, 0, 6); /* 0..3 sealed by the roll, 4..5 sealed by close */
    close_writer(w);
    const char *seg = segment_path(dir, "sf", 0);
    REQUIRE(seg != NULL);
    char path[1024];
    snprintf(path, sizeof path, "%s", seg);
    struct stat before, after;
    REQUIRE(stat(path, &before) == 0);

    binlog_writer *reopened = NULL;
    CHECK_RC(binlog_writer_open(path, NULL, &reopened), BINLOG_ERR_SEALED);
    CHECK(reopened == NULL);
    CHECK(strstr(binlog_last_error(), path) != NULL);
    CHECK(strstr(binlog_last_error(), "sealed") != NULL);
    REQUIRE(stat(path, &after) == 0);
    CHECK_EQ_U(after.st_ino, before.st_ino);
    CHECK_EQ_U((uint64_t)after.st_size, (uint64_t)before.st_size);
    CHECK_EQ_U((uint64_t)after.st_mtime, (uint64_t)before.st_mtime);

    w = OPEN_LOG(dir, "sf", 4, 0, 0);
    WRITE_RECORDS(w, 6, 2);
    close_writer(w);
    binlog_reader *r = OPEN_READER(dir, "sf");
    EXPECT_SEQS(r, 0, 8);
    CHECK_EQ_U(gaps_of(r), 0);
    close_reader(r);
}

/* seek_seq, seek_time and filter_types across sealed segments, then on a
 * log whose newest segment is still being written. */
static void test_seek_filter(void) {
    const char *dir = path_of("seek");
    binlog_writer *w = OPEN_LOG(dir, "sk", 10, 0, 0);
    binlog_entry e[64];
    uint8_t bufs[64][64];
    fill_entries(e, bufs, 0, 1);
    uint64_t seq = SEQ_SENTINEL;
    CHECK_OK(binlog_writer_write_entry(w, &e[0], &seq));
    CHECK_EQ_U(seq, 0);
    fill_entries(e, bufs, 1, 49);
    CHECK_OK(binlog_writer_write_batch(w, e, 49, &seq));
    CHECK_EQ_U(seq, 1);
    close_writer(w); /* segments 0..4, 10 records each, sealed */
    CHECK_EQ_U(count_segments(dir, "sk"), 5);

    binlog_reader *r = OPEN_READER(dir, "sk");
    binlog_record rec;
    /* By sequence number: inside, at the edges of segments, past the end. */
    const uint64_t seqs[] = {23, 10, 9, 0, 49, 31, 20};
    for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
        CHECK_OK(binlog_reader_seek_seq(r, seqs[i]));
        memset(&rec, 0, sizeof rec);
        CHECK_OK(binlog_reader_next(r, &rec));
        CHECK(record_is(&rec, seqs[i], 0));
        CHECK_EQ_I(rec.timestamp_ns, BASE_TS + (int64_t)seqs[i] * 1000);
    }
    CHECK_OK(binlog_reader_seek_seq(r, 45));
    EXPECT_SEQS(r, 45, 50);
    CHECK_OK(binlog_reader_seek_seq(r, 50));
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_seek_seq(r, UINT64_MAX));
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_seek_seq(r, 8)); /* and on into the next segments */
    EXPECT_SEQS(r, 8, 50);

    /* By time (record s has BASE_TS + s us). */
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 23000));
    CHECK_EQ_U(next_seq_of(r), 23);
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 23001));
    CHECK_EQ_U(next_seq_of(r), 24);
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 29001)); /* past segment 2's newest */
    CHECK_EQ_U(next_seq_of(r), 30);
    CHECK_OK(binlog_reader_seek_time(r, INT64_MIN + 1));
    CHECK_EQ_U(next_seq_of(r), 0);
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 49000));
    CHECK_EQ_U(next_seq_of(r), 49);
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 49001));
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 37500));
    EXPECT_SEQS(r, 38, 50);

    /* By type, across segments (sealed ones through their type index). */
    binlog_iovec rare = {U("rare"), 4};
    binlog_iovec two[2] = {{U("rare"), 4}, {U("odd"), 3}};
    CHECK_OK(binlog_reader_filter_types(r, &rare, 1));
    CHECK_OK(binlog_reader_seek_seq(r, 0));
    EXPECT_SEQS_IF(r, 0, 50, is_rare);
    CHECK_OK(binlog_reader_filter_types(r, two, 2));
    CHECK_OK(binlog_reader_seek_seq(r, 15));
    EXPECT_SEQS_IF(r, 15, 50, is_odd_or_rare);
    CHECK_OK(binlog_reader_filter_types(r, &rare, 1));
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 13000));
    EXPECT_SEQS_IF(r, 13, 50, is_rare);
    CHECK_OK(binlog_reader_filter_types(r, NULL, 0)); /* every type again */
    CHECK_OK(binlog_reader_seek_seq(r, 47));
    EXPECT_SEQS(r, 47, 50);
    close_reader(r);

    /* The log goes on: segment 5 is written (50..54) and not sealed. */
    w = OPEN_LOG(dir, "sk", 10, 0, 0);
    fill_entries(e, bufs, 50, 5);
    CHECK_OK(binlog_writer_write_batch(w, e, 5, &seq));
    CHECK_EQ_U(seq, 50);
    CHECK_OK(binlog_writer_flush(w));
    r = OPEN_READER(dir, "sk");
    CHECK_OK(binlog_reader_seek_seq(r, 52));
    EXPECT_SEQS(r, 52, 55);
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 50500));
    EXPECT_SEQS(r, 51, 55);
    CHECK_OK(binlog_reader_seek_time(r, BASE_TS + 48000));
    EXPECT_SEQS(r, 48, 55);
    CHECK_OK(binlog_reader_filter_types(r, &rare, 1));
    CHECK_OK(binlog_reader_seek_seq(r, 0));
    EXPECT_SEQS_IF(r, 0, 55, is_rare);
    /* More records and a roll later, the same filtered reader goes on. */
    fill_entries(e, bufs, 55, 13); /* 55..59 end segment 5, 60..67 in 6 */
    CHECK_OK(binlog_writer_write_batch(w, e, 13, &seq));
    CHECK_OK(binlog_writer_flush(w));
    EXPECT_SEQS_IF(r, 55, 68, is_rare);
    close_reader(r);
    close_writer(w);
}

/* A writer thread for test_follow. */
struct follow_writer {
    binlog_writer *w;
    uint64_t count;
    int ok;
};

static void *follow_writer_main(void *arg) {
    struct follow_writer *f = arg;
    binlog_entry e[10];
    uint8_t bufs[10][64];
    f->ok = 1;
    for (uint64_t s = 0; s < f->count; s += 10) {
        size_t n = f->count - s < 10 ? (size_t)(f->count - s) : 10;
        fill_entries(e, bufs, s, n);
        uint64_t first = SEQ_SENTINEL;
        if (binlog_writer_write_batch(f->w, e, n, &first) != BINLOG_OK || first != s ||
            binlog_writer_flush(f->w) != BINLOG_OK) {
            fprintf(stderr, "    writer thread failed at %llu: %s\n", (unsigned long long)s,
                    binlog_last_error());
            f->ok = 0;
            break;
        }
        sleep_us(200);
    }
    return NULL;
}

/* next_wait follows a writer thread across many rolls; it times out with
 * BINLOG_END; and a follower may start before the log has any segment. */
static void test_follow(void) {
    const char *dir = path_of("follow");
    binlog_writer *w = OPEN_LOG(dir, "fw", 25, 0, 0);
    binlog_reader *r = OPEN_READER(dir, "fw");
    struct follow_writer fw = {w, 400, 0};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, follow_writer_main, &fw) == 0);
    uint64_t s = 0;
    int ok = 1;
    binlog_record rec;
    while (s < fw.count) {
        memset(&rec, 0, sizeof rec);
        binlog_result rc = binlog_reader_next_wait(r, 10000, &rec);
        if (rc != BINLOG_OK || !record_is(&rec, s, 0)) {
            fprintf(stderr, "    follower: rc %u (%s), seq %llu, expected %llu\n", (unsigned)rc,
                    rc == BINLOG_OK ? "" : binlog_last_error(), (unsigned long long)rec.seq,
                    (unsigned long long)s);
            ok = 0;
            break;
        }
        s++;
    }
    pthread_join(t, NULL);
    CHECK(fw.ok);
    CHECK(ok);
    CHECK_EQ_U(s, fw.count);
    CHECK_EQ_U(gaps_of(r), 0);
    CHECK(count_segments(dir, "fw") >= 16);

    /* Nothing more: next_wait waits its timeout, then BINLOG_END, output
     * untouched (skipped if the follower stopped early: records remain). */
    if (ok) {
        memset(&rec, 0xa5, sizeof rec);
        double t0 = mono_s();
        CHECK_RC(binlog_reader_next_wait(r, 60, &rec), BINLOG_END);
        double waited = mono_s() - t0;
        CHECK(waited >= 0.055);
        CHECK(record_untouched(&rec));
        close_writer(w);
        CHECK_RC(binlog_reader_next_wait(r, 0, &rec), BINLOG_END);
        CHECK(record_untouched(&rec));
    } else {
        close_writer(w);
    }
    close_reader(r);

    /* A follower started before the writer: the log is not there yet
     * (NOT_FOUND naming the directory and the log, no reader made); it is
     * from the writer's open on, and the follower reads from its start. */
    const char *dir2 = make_dir("follow-early");
    r = PTR_SENTINEL(binlog_reader);
    CHECK_RC(binlog_reader_open_log(dir2, "early", &r), BINLOG_ERR_NOT_FOUND);
    CHECK(r == PTR_SENTINEL(binlog_reader));
    CHECK(strstr(binlog_last_error(), dir2) != NULL);
    CHECK(strstr(binlog_last_error(), "'early'") != NULL);
    w = OPEN_LOG(dir2, "early", 3, 0, 0);
    r = OPEN_READER(dir2, "early");
    CHECK_RC(binlog_reader_next_wait(r, 20, &rec), BINLOG_END);
    CHECK_EQ_U(gaps_of(r), 0);
    WRITE_RECORDS(w, 0, 7);
    CHECK_OK(binlog_writer_flush(w));
    for (uint64_t i = 0; i < 7; i++) {
        memset(&rec, 0, sizeof rec);
        CHECK_OK(binlog_reader_next_wait(r, 5000, &rec));
        CHECK(record_is(&rec, i, 0));
    }
    CHECK_RC(binlog_reader_next_wait(r, 10, &rec), BINLOG_END);
    close_writer(w);
    close_reader(r);
}

/* A new segment that exists but has no header yet (a roll in progress, as
 * a follower can see it between the writer's create and its header write)
 * is not an error for a follower at the end of the previous segment. */
static void test_follow_roll_in_progress(void) {
    const char *dir = path_of("inprogress");
    binlog_writer *w = OPEN_LOG(dir, "ip", 0, 0, 0);
    WRITE_RECORDS(w, 0, 3);
    close_writer(w); /* segment 0 sealed */
    binlog_reader *r = OPEN_READER(dir, "ip");
    EXPECT_SEQS(r, 0, 3);
    const char *fresh = path_of("inprogress/ip-00000000000000000001-20300101T000000Z.binlog");
    FILE *f = fopen(fresh, "wb");
    REQUIRE(f != NULL);
    fclose(f);
    binlog_record rec;
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    CHECK_RC(binlog_reader_next_wait(r, 20, &rec), BINLOG_END);
    binlog_reader_free(r);
    remove(fresh);
}

/* open_glob: the segment files as one stream, in name order; a missing
 * file in the middle is a gap. */
static void test_glob(void) {
    const char *dir = path_of("glob");
    binlog_writer *w = OPEN_LOG(dir, "gl", 5, 0, 0);
    WRITE_RECORDS(w, 0, 20);
    close_writer(w); /* segments 0..3 */

    binlog_reader *r = PTR_SENTINEL(binlog_reader);
    REQUIRE_OK(binlog_reader_open_glob(dir, "gl-*.binlog", &r));
    EXPECT_SEQS(r, 0, 20);
    CHECK_EQ_U(gaps_of(r), 0);
    CHECK_OK(binlog_reader_seek_seq(r, 12));
    EXPECT_SEQS(r, 12, 20);
    close_reader(r);

    REQUIRE_OK(binlog_reader_open_glob(dir, "gl-0000000000000000000?-*Z.binlog", &r));
    EXPECT_SEQS(r, 0, 20);
    close_reader(r);

    /* Segment 1 (5..9) removed: 0..4, a gap, 10..19. */
    const char *seg1 = segment_path(dir, "gl", 1);
    REQUIRE(seg1 != NULL);
    REQUIRE(remove(seg1) == 0);
    REQUIRE_OK(binlog_reader_open_glob(dir, "gl-*.binlog", &r));
    for (uint64_t s = 0; s < 5; s++) {
        CHECK_EQ_U(next_seq_of(r), s);
    }
    CHECK_EQ_U(gaps_of(r), 0);
    CHECK_EQ_U(next_seq_of(r), 10);
    CHECK_EQ_U(gaps_of(r), 1);
    EXPECT_SEQS(r, 11, 20);
    close_reader(r);

    /* The same through the log reader. */
    r = OPEN_READER(dir, "gl");
    for (uint64_t s = 0; s < 5; s++) {
        CHECK_EQ_U(next_seq_of(r), s);
    }
    CHECK_EQ_U(next_seq_of(r), 10);
    CHECK_EQ_U(gaps_of(r), 1);
    CHECK_OK(binlog_reader_seek_seq(r, 12));
    EXPECT_SEQS(r, 12, 20);
    close_reader(r);

    r = PTR_SENTINEL(binlog_reader);
    CHECK_ERR(binlog_reader_open_glob(dir, "nothing-*.binlog", &r), BINLOG_ERR_NOT_FOUND, "nothing-*");
    CHECK(r == PTR_SENTINEL(binlog_reader));
}

/* Options: the log-only setters accept what they document and refuse the
 * rest. */
static void test_log_options(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    for (uint32_t p = BINLOG_PERIOD_NEVER; p <= BINLOG_PERIOD_DAY; p++) {
        CHECK_OK(binlog_options_set_period(o, p));
    }
    CHECK_ERR(binlog_options_set_period(o, BINLOG_PERIOD_DAY + 1), BINLOG_ERR_INVALID_ARGUMENT, "period");
    CHECK_ERR(binlog_options_set_period(o, UINT32_MAX), BINLOG_ERR_INVALID_ARGUMENT, "period");
    CHECK_OK(binlog_options_set_max_segment_bytes(o, 0)); /* no limit */
    CHECK_OK(binlog_options_set_max_segment_bytes(o, 4096));
    CHECK_OK(binlog_options_set_max_segment_bytes(o, UINT64_MAX));
    CHECK_ERR(binlog_options_set_max_segment_bytes(o, 4095), BINLOG_ERR_INVALID_ARGUMENT, "4096");
    CHECK_ERR(binlog_options_set_max_segment_bytes(o, 1), BINLOG_ERR_INVALID_ARGUMENT, "4096");
    CHECK_OK(binlog_options_set_max_segment_records(o, 0)); /* no limit */
    CHECK_OK(binlog_options_set_max_segment_records(o, 1));
    CHECK_OK(binlog_options_set_retention(o, 0, 0, 0));
    CHECK_OK(binlog_options_set_retention(o, 1, 1, 1));
    CHECK_OK(binlog_options_set_retention(o, UINT64_MAX, UINT64_MAX, UINT64_MAX));
    CHECK_OK(binlog_options_set_retention(o, 0, 0, 0));

    /* A refused value changes nothing: 8192 stays the limit. */
    CHECK_OK(binlog_options_set_max_segment_records(o, 0));
    CHECK_OK(binlog_options_set_max_segment_bytes(o, 8192));
    CHECK_ERR(binlog_options_set_max_segment_bytes(o, 100), BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_OK(binlog_options_set_period(o, BINLOG_PERIOD_DAY));
    CHECK_ERR(binlog_options_set_period(o, 99), BINLOG_ERR_INVALID_ARGUMENT, NULL);
    CHECK_OK(binlog_options_set_period(o, BINLOG_PERIOD_NEVER));
    const char *dir = path_of("options");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "opt", o, &w));
    binlog_options_free(o);
    write_records_at(w, 0, 10, 1000, __LINE__); /* ~10 KiB: rolls once at 8 KiB, not at 100 B */
    CHECK_EQ_U(count_segments(dir, "opt"), 2);
    close_writer(w);

    /* The segment names carry the UTC time the segment started. */
    /* The precise clock, as the library's: time(NULL) reads a coarse clock
     * that can lag it by a tick across a second boundary. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t before = ts.tv_sec;
    w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "stamp", NULL, &w));
    clock_gettime(CLOCK_REALTIME, &ts);
    time_t after = ts.tv_sec;
    char lo[32], hi[32];
    const char *seg = segment_path(dir, "stamp", 0);
    REQUIRE(seg != NULL);
    strftime(lo, sizeof lo, "%Y%m%dT%H%M%SZ", gmtime(&before));
    strftime(hi, sizeof hi, "%Y%m%dT%H%M%SZ", gmtime(&after));
    const char *stamp = seg + strlen(seg) - 7 - 16;
    CHECK(strncmp(stamp, lo, 16) >= 0 && strncmp(stamp, hi, 16) <= 0);
    close_writer(w);
}

/* Every error path of the log functions: NULL pointers, bad names, log
 * calls on a segment writer, closed handles, a second writer. Outputs stay
 * untouched on failure. */
static void test_errors(void) {
    const char *dir = path_of("errors");
    binlog_writer *w = PTR_SENTINEL(binlog_writer);

    /* open_log: NULL dir, name, out; nothing is created. */
    CHECK_ERR(binlog_writer_open_log(NULL, "log", NULL, &w), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_open_log(dir, NULL, NULL, &w), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(w == PTR_SENTINEL(binlog_writer));
    CHECK_ERR(binlog_writer_open_log(dir, "log", NULL, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(!exists(dir));

    /* Bad names: nothing is created either. */
    const char *bad[] = {"", "../x", "a/b", ".hidden", "sp ace", "star*", "new\nline"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        w = PTR_SENTINEL(binlog_writer);
        CHECK_ERR(binlog_writer_open_log(dir, bad[i], NULL, &w), BINLOG_ERR_INVALID_ARGUMENT, "name");
        CHECK(w == PTR_SENTINEL(binlog_writer));
    }
    char longname[202];
    memset(longname, 'n', 201);
    longname[201] = 0;
    CHECK_ERR(binlog_writer_open_log(dir, longname, NULL, &w), BINLOG_ERR_INVALID_ARGUMENT, "name");
    CHECK_ERR(binlog_writer_open_log(dir, "\xff\xfe", NULL, &w), BINLOG_ERR_INVALID_UTF8, "UTF-8");
    CHECK(w == PTR_SENTINEL(binlog_writer));
    CHECK(!exists(dir));
    longname[200] = 0; /* 200 characters is fine */
    REQUIRE_OK(binlog_writer_open_log(dir, longname, NULL, &w));
    close_writer(w);

    /* A log numbers, dates and names its segments itself: options that set
     * a segment number, a creation time or another log's name are refused,
     * and no log is created. */
    const char *odir = path_of("errors-options");
    for (int k = 0; k < 3; k++) {
        binlog_options *o = NULL;
        REQUIRE_OK(binlog_options_new(&o));
        if (k == 0) CHECK_OK(binlog_options_set_segment_no(o, 3));
        if (k == 1) CHECK_OK(binlog_options_set_created_ns(o, INT64_C(1700000000000000000)));
        if (k == 2) CHECK_OK(binlog_options_set_log_name(o, (const uint8_t *)"other", 5));
        w = PTR_SENTINEL(binlog_writer);
        CHECK_ERR(binlog_writer_open_log(odir, "mine", o, &w), BINLOG_ERR_INVALID_ARGUMENT,
                  k == 2 ? "\"other\"" : "numbers and dates its segments");
        CHECK(w == PTR_SENTINEL(binlog_writer));
        binlog_options_free(o);
    }
    CHECK(!exists(odir));

    /* The reader refuses the same names (one check per name). */
    binlog_reader *r = PTR_SENTINEL(binlog_reader);
    CHECK_ERR(binlog_reader_open_log(dir, "../x", &r), BINLOG_ERR_INVALID_ARGUMENT, "name");
    if (r != PTR_SENTINEL(binlog_reader)) {
        binlog_reader_free(r);
        r = PTR_SENTINEL(binlog_reader);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        binlog_result got = binlog_reader_open_log(dir, bad[i], &r);
        char what[128];
        snprintf(what, sizeof what, "binlog_reader_open_log(dir, \"%s\") is INVALID_ARGUMENT, *out untouched",
                 bad[i][0] == '\n' || strchr(bad[i], '\n') ? "new\\nline" : bad[i]);
        check_report_(got == BINLOG_ERR_INVALID_ARGUMENT && r == PTR_SENTINEL(binlog_reader), __FILE__,
                      __LINE__, what);
        if (r != PTR_SENTINEL(binlog_reader)) {
            binlog_reader_free(r);
            r = PTR_SENTINEL(binlog_reader);
        }
    }

    /* Reader NULLs, and a directory that does not exist. */
    CHECK_ERR(binlog_reader_open_log(NULL, "log", &r), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_open_log(dir, NULL, &r), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_open_log(dir, "log", NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_open_glob(NULL, "*", &r), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_open_glob(dir, NULL, &r), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_open_glob(dir, "*", NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    const char *missing = path_of("no-such-dir");
    CHECK_ERR(binlog_reader_open_log(missing, "log", &r), BINLOG_ERR_NOT_FOUND, missing);
    CHECK_ERR(binlog_reader_open_glob(missing, "*", &r), BINLOG_ERR_NOT_FOUND, missing);
    CHECK(r == PTR_SENTINEL(binlog_reader));

    /* Options NULLs. */
    CHECK_ERR(binlog_options_set_max_segment_bytes(NULL, 0), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_max_segment_records(NULL, 0), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_period(NULL, 0), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_options_set_retention(NULL, 0, 0, 0), BINLOG_ERR_NULL_POINTER, "NULL");

    /* Writer NULLs. */
    w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "log", NULL, &w));
    static struct recorder rc = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0}}};
    binlog_segment_info info;
    memset(&info, 0xa5, sizeof info);
    uint64_t n = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_on_segment(NULL, record_cb, &rc), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_on_segment(w, NULL, &rc), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_OK(binlog_writer_on_segment(w, noop_cb, NULL)); /* a NULL user pointer is fine */
    CHECK_ERR(binlog_writer_poll_sealed(NULL, &info), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_poll_sealed(w, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_callback_failures(NULL, &n), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_callback_failures(w, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_writer_roll(NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(info_untouched(&info));
    CHECK_EQ_U(n, SEQ_SENTINEL);

    /* A second writer on the same log, while the first is open. */
    binlog_writer *w2 = PTR_SENTINEL(binlog_writer);
    CHECK_ERR(binlog_writer_open_log(dir, "log", NULL, &w2), BINLOG_ERR_LOCKED, "log-");
    CHECK(w2 == PTR_SENTINEL(binlog_writer));
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("still fine"), NULL));

    /* Reader NULLs on a log reader. */
    r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "log", &r));
    binlog_record rec;
    memset(&rec, 0xa5, sizeof rec);
    CHECK_ERR(binlog_reader_next_wait(NULL, 0, &rec), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_next_wait(r, 0, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK(record_untouched(&rec));
    CHECK_ERR(binlog_reader_gap_count(NULL, &n), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_ERR(binlog_reader_gap_count(r, NULL), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_EQ_U(n, SEQ_SENTINEL);

    /* Closed: the writer (log calls included) and the reader. */
    CHECK_OK(binlog_writer_close(w));
    uint64_t seq = SEQ_SENTINEL;
    CHECK_ERR(binlog_writer_write(w, LIT("t"), LIT("p"), &seq), BINLOG_ERR_CLOSED, "closed");
    binlog_entry e = {.type_name = U("t"), .type_len = 1, .timestamp_ns = BINLOG_TIME_NOW};
    CHECK_ERR(binlog_writer_write_batch(w, &e, 1, &seq), BINLOG_ERR_CLOSED, "closed");
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    CHECK_ERR(binlog_writer_flush(w), BINLOG_ERR_CLOSED, "closed");
    CHECK_ERR(binlog_writer_sync(w), BINLOG_ERR_CLOSED, "closed");
    CHECK_ERR(binlog_writer_roll(w), BINLOG_ERR_CLOSED, "closed");
    /* A callback registered now would never be called. */
    CHECK_ERR(binlog_writer_on_segment(w, record_cb, &rc), BINLOG_ERR_CLOSED, "closed");
    CHECK_ERR(binlog_writer_next_seq(w, &seq), BINLOG_ERR_CLOSED, NULL);
    CHECK_ERR(binlog_writer_durable_seq(w, &seq), BINLOG_ERR_CLOSED, NULL);
    CHECK_EQ_U(seq, SEQ_SENTINEL);
    CHECK_OK(binlog_writer_close(w));

    /* The lock went with close: a second writer continues the log. */
    w2 = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "log", NULL, &w2));
    CHECK_OK(binlog_writer_next_seq(w2, &seq));
    CHECK_EQ_U(seq, 1);
    close_writer(w2);
    binlog_writer_free(w);
    CHECK_EQ_U(noop_calls, 1); /* the first writer's close sealed its segment */

    CHECK_EQ_U(next_seq_of(r), 0);
    CHECK_OK(binlog_reader_close(r));
    memset(&rec, 0xa5, sizeof rec);
    n = SEQ_SENTINEL;
    CHECK_ERR(binlog_reader_next_wait(r, 0, &rec), BINLOG_ERR_CLOSED, "closed");
    CHECK_ERR(binlog_reader_gap_count(r, &n), BINLOG_ERR_CLOSED, "closed");
    CHECK(record_untouched(&rec));
    CHECK_EQ_U(n, SEQ_SENTINEL);
    binlog_reader_free(r);

    /* Log-only calls on a plain segment writer. */
    const char *seg = path_of("plain.binlog");
    w = NULL;
    REQUIRE_OK(binlog_writer_open(seg, NULL, &w));
    memset(&info, 0xa5, sizeof info);
    CHECK_ERR(binlog_writer_on_segment(w, record_cb, &rc), BINLOG_ERR_INVALID_ARGUMENT, "log");
    CHECK_ERR(binlog_writer_poll_sealed(w, &info), BINLOG_ERR_INVALID_ARGUMENT, "log");
    CHECK_ERR(binlog_writer_callback_failures(w, &n), BINLOG_ERR_INVALID_ARGUMENT, "log");
    CHECK_ERR(binlog_writer_roll(w), BINLOG_ERR_INVALID_ARGUMENT, "log");
    CHECK(info_untouched(&info));
    CHECK_EQ_U(n, SEQ_SENTINEL);
    CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("p"), NULL)); /* still a working writer */
    close_writer(w);
    CHECK_EQ_U(events_of(&rc), 0);

    /* A segment reader has no gaps. */
    r = NULL;
    REQUIRE_OK(binlog_reader_open(seg, &r));
    CHECK_EQ_U(gaps_of(r), 0);
    close_reader(r);
}

/* A callback given in the options is registered before the first segment
 * opens, so it sees that OPENED event too (binlog_writer_on_segment, called
 * after open, cannot). */
static void test_callback_in_options(void) {
    const char *dir = path_of("optcb");
    static struct recorder rec = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0}}};
    binlog_options *o = NULL;
    CHECK_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_max_segment_records(o, 2));
    CHECK_RC(binlog_options_add_segment_callback(o, NULL, &rec), BINLOG_ERR_NULL_POINTER);
    CHECK_OK(binlog_options_add_segment_callback(o, record_cb, &rec));
    binlog_writer *w = NULL;
    /* A single segment has no segment events: refused, not ignored. */
    const char *single = path_of("optcb-single.binlog");
    CHECK_ERR(binlog_writer_open(single, o, &w), BINLOG_ERR_INVALID_ARGUMENT, "callback");
    CHECK(w == NULL);
    CHECK(!exists(single));
    CHECK_OK(binlog_writer_open_log(dir, "cb", o, &w));
    binlog_options_free(o);
    CHECK_EQ_U(rec.n, 1);
    CHECK_EQ_U(rec.ev[0].event, BINLOG_SEGMENT_OPENED);
    CHECK_EQ_U(rec.ev[0].segment_no, 0);
    for (uint64_t i = 0; i < 3; i++) {
        CHECK_OK(binlog_writer_write(w, (const uint8_t *)"t", 1, (const uint8_t *)&i, sizeof i, NULL));
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    /* opened 0, sealed 0, opened 1, sealed 1 */
    CHECK_EQ_U(rec.n, 4);
    CHECK_EQ_U(rec.ev[1].event, BINLOG_SEGMENT_SEALED);
    CHECK_EQ_U(rec.ev[1].segment_no, 0);
    CHECK_EQ_U(rec.ev[2].event, BINLOG_SEGMENT_OPENED);
    CHECK_EQ_U(rec.ev[2].segment_no, 1);
    CHECK_EQ_U(rec.ev[3].event, BINLOG_SEGMENT_SEALED);
    CHECK_EQ_U(rec.ev[3].record_count, 1);
}

/* binlog_options_set_seal_in_background: a roll's seal, retention, polling
 * and the events come from the log's background thread, in order (SEALED
 * then the next OPENED), shortly after the write that rolled; an explicit
 * roll and close still return with everything sealed. */
static pthread_t main_thread;
static int off_main_calls, on_main_calls;
static int32_t thread_cb(void *user, const binlog_segment_info *info) {
    (void)user;
    (void)info;
    if (pthread_equal(pthread_self(), main_thread)) {
        on_main_calls++; /* both counters: only one thread calls at a time */
    } else {
        off_main_calls++;
    }
    return 0;
}

/* Waits up to 60 s (a bound on a hang) for `r` to hold `n` events. */
static size_t wait_events(struct recorder *r, size_t n) {
    for (int i = 0; i < 6000 && events_of(r) < n; i++) {
        sleep_us(10000);
    }
    return events_of(r);
}

static void test_seal_in_background(void) {
    const char *dir = path_of("bgseal");
    static struct recorder rec = {PTHREAD_MUTEX_INITIALIZER, 0, 0, {{0}}};
    main_thread = pthread_self();
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_ERR(binlog_options_set_seal_in_background(NULL, true), BINLOG_ERR_NULL_POINTER, "NULL");
    CHECK_OK(binlog_options_set_seal_in_background(o, true));
    binlog_writer *w = NULL;
    /* A single segment has no rolls to seal. */
    CHECK_ERR(binlog_writer_open(path_of("bgseal-single.binlog"), o, &w),
              BINLOG_ERR_INVALID_ARGUMENT, "binlog_writer_open_log");
    CHECK(w == NULL);
    CHECK_OK(binlog_options_set_max_segment_records(o, 10));
    CHECK_OK(binlog_options_set_retention(o, 2, 0, 0));
    CHECK_OK(binlog_options_add_segment_callback(o, record_cb, &rec));
    CHECK_OK(binlog_options_add_segment_callback(o, thread_cb, NULL));
    REQUIRE_OK(binlog_writer_open_log(dir, "bg", o, &w));
    binlog_options_free(o);
    CHECK_EQ_U(events_of(&rec), 1); /* segment 0 opened, by open itself */
    on_main_calls = 0;

    /* 35 records: segments 0..2 roll away, 3 holds 30..34. */
    WRITE_RECORDS(w, 0, 35);
    CHECK_EQ_U(wait_events(&rec, 7), 7);
    for (uint64_t k = 0; k < 3; k++) {
        EXPECT_EVENT(&rec, 1 + 2 * k, BINLOG_SEGMENT_SEALED, dir, "bg", k, 10 * k, 10);
        EXPECT_EVENT(&rec, 2 + 2 * k, BINLOG_SEGMENT_OPENED, dir, "bg", k + 1, 10 * (k + 1), 0);
    }
    CHECK_EQ_U(on_main_calls, 0);
    CHECK_EQ_U(off_main_calls, 6);
    /* Retention ran there too: 2 sealed (1, 2) and the current one. */
    CHECK_EQ_U(count_segments(dir, "bg"), 3);
    CHECK(segment_path(dir, "bg", 0) == NULL);
    binlog_segment_info info;
    for (uint64_t k = 0; k < 3; k++) {
        memset(&info, 0, sizeof info);
        if (CHECK_OK(binlog_writer_poll_sealed(w, &info))) {
            CHECK_EQ_U(info.segment_no, k);
        }
    }
    CHECK_RC(binlog_writer_poll_sealed(w, &info), BINLOG_END);

    /* An explicit roll returns with the segment sealed and reported, on
     * the calling thread. */
    CHECK_OK(binlog_writer_roll(w));
    CHECK_EQ_U(events_of(&rec), 9);
    EXPECT_EVENT(&rec, 7, BINLOG_SEGMENT_SEALED, dir, "bg", 3, 30, 5);
    EXPECT_EVENT(&rec, 8, BINLOG_SEGMENT_OPENED, dir, "bg", 4, 35, 0);
    CHECK_EQ_U(on_main_calls, 2);
    CHECK_OK(binlog_writer_poll_sealed(w, &info));
    CHECK_EQ_U(info.segment_no, 3);
    WRITE_RECORDS(w, 35, 2);
    close_writer(w);
    CHECK_EQ_U(events_of(&rec), 10);
    EXPECT_EVENT(&rec, 9, BINLOG_SEGMENT_SEALED, dir, "bg", 4, 35, 2);

    /* Retention keeps segments 3 and 4 (close sealed 4): they read whole,
     * ending sealed. */
    CHECK_EQ_U(count_segments(dir, "bg"), 2);
    binlog_reader *r = OPEN_READER(dir, "bg");
    EXPECT_SEQS(r, 30, 37);
    binlog_tail tail;
    CHECK_OK(binlog_reader_tail(r, &tail));
    CHECK_EQ_U(tail.kind, BINLOG_TAIL_SEALED);
    close_reader(r);
}

/* The log the callback below closes. */
static binlog_writer *closing_log;
static unsigned closes_in_callback;

static int32_t close_on_sealed(void *user, const binlog_segment_info *info) {
    (void)user;
    if (info->event == BINLOG_SEGMENT_SEALED) {
        if (binlog_writer_close(closing_log) != BINLOG_OK) {
            return 1;
        }
        __atomic_fetch_add(&closes_in_callback, 1, __ATOMIC_RELAXED);
    }
    return 0;
}

/* With background sealing, the SEALED event of a roll comes on the log's
 * background thread; its callback closes the log while the main thread
 * closes it too. A deadlock (the main thread joining the background
 * thread while holding what the callback's close waits for) would hang:
 * alarm() ends the program then, failing the test. */
static void test_close_while_background_callback_closes(void) {
    const char *dir = make_dir("close-race");
    alarm(60);
    for (int it = 0; it < 100; it++) {
        char name[32];
        snprintf(name, sizeof name, "race%d", it);
        binlog_options *o = NULL;
        REQUIRE_OK(binlog_options_new(&o));
        CHECK_OK(binlog_options_add_segment_callback(o, close_on_sealed, NULL));
        CHECK_OK(binlog_options_set_seal_in_background(o, true));
        CHECK_OK(binlog_options_set_max_segment_records(o, 2));
        REQUIRE_OK(binlog_writer_open_log(dir, name, o, &closing_log));
        binlog_options_free(o);
        for (int i = 0; i < 3; i++) {
            /* The third rolls; the log may be closed by then. */
            binlog_result rc = binlog_writer_write(closing_log, LIT("t"), LIT("x"), NULL);
            CHECK(rc == BINLOG_OK || rc == BINLOG_ERR_CLOSED);
        }
        CHECK_OK(binlog_writer_close(closing_log));
        uint64_t failures = UINT64_MAX;
        CHECK_OK(binlog_writer_callback_failures(closing_log, &failures));
        CHECK_EQ_U(failures, 0);
        binlog_writer_free(closing_log);
        closing_log = NULL;
    }
    alarm(0);
    CHECK(closes_in_callback > 0);
}

int main(void) {
    if (make_tmpdir() != 0) return 2;

    test_roll_by_records();
    test_roll_by_bytes();
    test_retention();
    test_reopen();
    test_sealed_segment_is_not_reopened();
    test_seek_filter();
    test_follow();
    test_follow_roll_in_progress();
    test_glob();
    test_log_options();
    test_callback_in_options();
    test_seal_in_background();
    test_close_while_background_callback_closes();
    test_errors();

    remove_tmpdir();
    return (int)check_summary();
}
