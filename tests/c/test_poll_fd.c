/*
 * test_poll_fd.c: binlog_reader_poll_fd, a descriptor an event loop polls
 * for a follower's new records, and binlog_reader_poll_rearm. A segment's
 * and a log's follower each poll it; another thread appends; the descriptor
 * becomes readable well before the timed re-check (250 ms) would make it
 * so, and the records are then there to read, in order, across a roll.
 *
 * Every file lives in a fresh mkdtemp directory under /tmp, removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"

/* Shorter than the 250 ms re-check: a wake-up this soon came from the
 * write, not from the timer. */
#define SOON_MS 200.0
#define WRITE_AFTER_MS 60

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int readable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Another thread's writes: `count` records, each flushed, after a pause. */
struct appender {
    binlog_writer *w;
    int count;
    binlog_result rc;
};

static void *append_later(void *arg) {
    struct appender *a = arg;
    sleep_ms(WRITE_AFTER_MS);
    a->rc = BINLOG_OK;
    for (int i = 0; i < a->count && a->rc == BINLOG_OK; i++) {
        a->rc = binlog_writer_write(a->w, LIT("t"), LIT("later"), NULL);
        if (a->rc == BINLOG_OK) {
            a->rc = binlog_writer_flush(a->w);
        }
    }
    return NULL;
}

/* Reads until BINLOG_END; checks the sequence numbers continue from
 * `*next`. */
static void read_all(binlog_reader *r, uint64_t *next) {
    binlog_record rec;
    binlog_result rc;
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) {
        CHECK_EQ_U(rec.seq, *next);
        (*next)++;
    }
    CHECK_EQ_U(rc, BINLOG_END);
}

/* The event loop: poll, re-arm, read, until `want` records were read or 5
 * s passed. Returns when the first wake-up came (ms after `t0`). */
static double follow(binlog_reader *r, int fd, uint64_t *next, uint64_t want, double t0) {
    double first_wake = -1;
    double deadline = now_ms() + 5000;
    while (*next < want && now_ms() < deadline) {
        if (!readable(fd, 1000)) {
            continue;
        }
        if (first_wake < 0) {
            first_wake = now_ms() - t0;
        }
        CHECK_OK(binlog_reader_poll_rearm(r));
        read_all(r, next);
    }
    return first_wake;
}

static void test_a_segment_follower_wakes_when_another_writer_appends(void) {
    const char *path = path_of("seg.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, NULL, &w));
    REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("first"), NULL));
    REQUIRE_OK(binlog_writer_flush(w));
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(path, &r));
    int fd = -1;
    REQUIRE_OK(binlog_reader_poll_fd(r, &fd));
    REQUIRE(fd >= 0);
    int again = -1;
    CHECK_OK(binlog_reader_poll_fd(r, &again));
    CHECK_EQ_I(again, fd);
    /* Readable at first: what is already there. */
    CHECK(readable(fd, 0));
    CHECK_OK(binlog_reader_poll_rearm(r));
    uint64_t next = 0;
    read_all(r, &next);
    CHECK_EQ_U(next, 1);
    CHECK(!readable(fd, 20)); /* nothing new */

    struct appender a = {w, 1, BINLOG_ERR_PANIC};
    pthread_t t;
    double t0 = now_ms();
    REQUIRE(pthread_create(&t, NULL, append_later, &a) == 0);
    double woke = follow(r, fd, &next, 2, t0);
    pthread_join(t, NULL);
    CHECK_OK(a.rc);
    CHECK_EQ_U(next, 2);
    if (!CHECK(woke >= WRITE_AFTER_MS - 5 && woke < SOON_MS)) {
        fprintf(stderr, "    woke after %.1f ms\n", woke);
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_OK(binlog_reader_close(r));
    CHECK_ERR(binlog_reader_poll_fd(r, &fd), BINLOG_ERR_CLOSED, "seg.binlog");
    CHECK_ERR(binlog_reader_poll_rearm(r), BINLOG_ERR_CLOSED, "seg.binlog");
    binlog_reader_free(r);
}

/* A log's follower: records in the current segment and in the segments
 * the writer rolls to (a new file in the directory). */
static void test_a_log_follower_wakes_across_rolls(void) {
    const char *dir = path_of("log");
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_segment_records(o, 2));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "ev", o, &w));
    binlog_options_free(o);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "ev", &r));
    int fd = -1;
    REQUIRE_OK(binlog_reader_poll_fd(r, &fd));
    CHECK_OK(binlog_reader_poll_rearm(r));
    uint64_t next = 0;
    read_all(r, &next);
    CHECK_EQ_U(next, 0);

    struct appender a = {w, 5, BINLOG_ERR_PANIC}; /* segments 0, 1 and 2 */
    pthread_t t;
    double t0 = now_ms();
    REQUIRE(pthread_create(&t, NULL, append_later, &a) == 0);
    double woke = follow(r, fd, &next, 5, t0);
    pthread_join(t, NULL);
    CHECK_OK(a.rc);
    CHECK_EQ_U(next, 5);
    if (!CHECK(woke >= WRITE_AFTER_MS - 5 && woke < SOON_MS)) {
        fprintf(stderr, "    woke after %.1f ms\n", woke);
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_OK(binlog_reader_close(r));
    binlog_reader_free(r);
}

static void test_bad_arguments(void) {
    const char *path = path_of("args.binlog");
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open(path, NULL, &w));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open(path, &r));
    int fd = -1;
    CHECK_ERR(binlog_reader_poll_fd(NULL, &fd), BINLOG_ERR_NULL_POINTER, "reader");
    CHECK_ERR(binlog_reader_poll_fd(r, NULL), BINLOG_ERR_NULL_POINTER, "args.binlog");
    CHECK_ERR(binlog_reader_poll_rearm(NULL), BINLOG_ERR_NULL_POINTER, "reader");
    CHECK_ERR(binlog_reader_poll_rearm(r), BINLOG_ERR_INVALID_ARGUMENT, "binlog_reader_poll_fd");
    CHECK_EQ_I(fd, -1);
    binlog_reader_free(r);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_segment_follower_wakes_when_another_writer_appends();
    test_a_log_follower_wakes_across_rolls();
    test_bad_arguments();
    return (int)check_summary();
}
