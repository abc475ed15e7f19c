/*
 * libbinlog rolling log: a writer appends 200,000 records to a log that rolls
 * every 4 MiB and every minute, printing each segment it opens and seals,
 * while a follower thread reads the log as it grows, checking that sequence
 * numbers are continuous across the rolls.
 *
 *   make examples && target/c/examples/rolling <dir>
 *
 * Every libbinlog call returns a binlog_result; on failure
 * binlog_last_error() (per thread) says what went wrong.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include <binlog.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_NAME     "events"
#define N_RECORDS    200000
#define BATCH        500
#define RECORD_BYTES 120              /* payload bytes per record */
#define ROLL_BYTES   (4u << 20)       /* roll before a segment passes 4 MiB */
#define PRINT_EVERY  50000            /* follower progress line */

/* Exit with the library's message if a call did not return BINLOG_OK. */
#define CHECK(call)                                                            \
    do {                                                                       \
        binlog_result rc_ = (call);                                            \
        if (rc_ != BINLOG_OK) {                                                \
            fprintf(stderr, "error: %s returned %s: %s\n", #call,              \
                    binlog_result_name(rc_), binlog_last_error());             \
            exit(1);                                                           \
        }                                                                      \
    } while (0)

static const char *dir;
static atomic_ullong written;   /* records the writer has flushed */
static atomic_ullong seen;      /* records the follower has read */
static atomic_int sealed_count; /* segments sealed (callback) */

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Called by the library on the thread that opened or sealed a segment (the
 * writer's, or the log's background thread for a period roll). Returning
 * non-zero would only be counted (binlog_writer_callback_failures). */
static int32_t on_segment(void *user, const binlog_segment_info *s) {
    (void)user;
    if (s->event == BINLOG_SEGMENT_OPENED) {
        printf("writer:   opened segment %llu (first seq %llu): %s\n",
               (unsigned long long)s->segment_no, (unsigned long long)s->first_seq, s->path);
    } else {
        atomic_fetch_add(&sealed_count, 1);
        printf("writer:   sealed segment %llu: %llu records, %llu bytes, %s\n",
               (unsigned long long)s->segment_no, (unsigned long long)s->record_count,
               (unsigned long long)s->bytes, s->path);
    }
    return 0;
}

/* The follower: reads the whole log in order, waiting for records that are
 * not written yet, until it has seen all N_RECORDS. */
static void *follow(void *arg) {
    (void)arg;
    binlog_reader *r;
    CHECK(binlog_reader_open_log(dir, LOG_NAME, &r));
    binlog_record rec; /* a view, valid until the next call on r */
    uint64_t expect = 0, last_offset = 0;
    int segments = 0;
    while (expect < N_RECORDS) {
        binlog_result rc = binlog_reader_next_wait(r, 2000, &rec);
        if (rc == BINLOG_END) { /* 2 s without a record: the writer is stuck */
            fprintf(stderr, "error: follower waited 2 s at seq %llu\n", (unsigned long long)expect);
            exit(1);
        }
        CHECK(rc);
        if (rec.seq != expect) {
            fprintf(stderr, "error: follower read seq %llu, expected %llu\n",
                    (unsigned long long)rec.seq, (unsigned long long)expect);
            exit(1);
        }
        /* Offsets restart near 0 in each segment: we crossed into a new one. */
        if (expect == 0 || rec.offset < last_offset)
            printf("follower: segment #%d starts at seq %llu\n", ++segments, (unsigned long long)rec.seq);
        last_offset = rec.offset;
        atomic_store(&seen, ++expect);
        if (expect % PRINT_EVERY == 0)
            printf("follower: %llu records read\n", (unsigned long long)expect);
    }
    CHECK(binlog_reader_close(r));
    binlog_reader_free(r);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s <log-directory>\n", argv[0]);
        return 2;
    }
    dir = argv[1];
    printf("libbinlog %s rolling log \"%s\" in %s\n", binlog_version(), LOG_NAME, dir);

    /* ---- Open the log: roll by size and by time ------------------------ */
    binlog_options *opts;
    CHECK(binlog_options_new(&opts));
    CHECK(binlog_options_set_max_segment_bytes(opts, ROLL_BYTES));
    CHECK(binlog_options_set_period(opts, BINLOG_PERIOD_MINUTE)); /* ...and each UTC minute */
    binlog_writer *w;
    CHECK(binlog_writer_open_log(dir, LOG_NAME, opts, &w)); /* creates dir */
    binlog_options_free(opts);
    /* Callbacks see events from now on (segment 0 was opened by open_log). */
    CHECK(binlog_writer_on_segment(w, on_segment, NULL));
    uint64_t first;
    CHECK(binlog_writer_next_seq(w, &first));
    if (first != 0) {
        fprintf(stderr, "error: %s already holds log %s (next seq %llu): use an empty directory\n",
                dir, LOG_NAME, (unsigned long long)first);
        return 1;
    }

    /* ---- Follow it from another thread ------------------------------- */
    pthread_t follower;
    if (pthread_create(&follower, NULL, follow, NULL) != 0) {
        fprintf(stderr, "error: pthread_create failed\n");
        return 1;
    }

    /* ---- Write in batches; flush so the follower sees each batch ------ */
    static uint8_t payload[1024 + RECORD_BYTES];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 131 + 17);
    static binlog_entry batch[BATCH];
    uint64_t max_lag = 0;
    double t0 = now_s();
    for (uint64_t i = 0; i < N_RECORDS;) {
        size_t n = 0;
        for (; n < BATCH && i < N_RECORDS; n++, i++)
            batch[n] = (binlog_entry){.type_name = (const uint8_t *)"event", .type_len = 5,
                                      .payload = payload + i % 1024, .payload_len = RECORD_BYTES,
                                      .timestamp_ns = BINLOG_TIME_NOW};
        CHECK(binlog_writer_write_batch(w, batch, n, NULL)); /* rolls as needed */
        CHECK(binlog_writer_flush(w));
        atomic_store(&written, i);
        uint64_t lag = i - atomic_load(&seen); /* records written but not yet read */
        if (lag > max_lag) max_lag = lag;
    }
    double t_write = now_s() - t0;
    uint64_t failures; /* callbacks that returned non-zero (none here) */
    CHECK(binlog_writer_callback_failures(w, &failures));
    CHECK(binlog_writer_close(w)); /* seals the last segment */
    double t_close = now_s();

    /* ---- Wait for the follower, then summarize ------------------------ */
    pthread_join(follower, NULL); /* it exits(1) itself on failure */
    double t_drain = now_s() - t_close;
    binlog_segment_info s; /* sealed segments can also be polled, callback-free */
    int polled = 0;
    binlog_result rc;
    while ((rc = binlog_writer_poll_sealed(w, &s)) == BINLOG_OK) polled++;
    if (rc != BINLOG_END) CHECK(rc); /* BINLOG_END: none left */
    binlog_writer_free(w);

    printf("summary:  %d segments sealed (%d polled), %llu records written in %.3f s and read in order;\n"
           "          follower lag at most %llu records, done %.1f ms after close; %llu callback failures\n",
           atomic_load(&sealed_count), polled, (unsigned long long)atomic_load(&written), t_write,
           (unsigned long long)max_lag, t_drain * 1e3, (unsigned long long)failures);
    if (polled != atomic_load(&sealed_count) || failures != 0 || atomic_load(&seen) != N_RECORDS) {
        fprintf(stderr, "error: inconsistent summary\n");
        return 1;
    }
    return 0;
}
