/*
 * test_poll_fd.c: binlog_reader_poll_fd, a descriptor an event loop polls
 * for a follower's new records, and binlog_reader_poll_rearm. A segment's
 * and a log's follower each poll it; a write makes it readable by the time
 * the write returns (inotify, not the timed re-check), and the records are
 * then there to read, in order, across a roll. How soon an event loop
 * wakes is not checked, nor that nothing new leaves it unreadable (its
 * timed re-check makes it readable 250 ms after a re-arm): a loaded
 * machine, or valgrind, makes any bound on time fail.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int readable(int fd, int timeout_ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN, .revents = 0};
    return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

/* How long a write may take to make the descriptor readable: no time
 * (inotify, kqueue) but with the POSIX backend built on Linux (`make
 * test-posix-short` sets BINLOG_TEST_POLLED_NOTIFIER), whose notifier,
 * without kqueue, looks at the file every millisecond. */
static int wake_ms(void) { return getenv("BINLOG_TEST_POLLED_NOTIFIER") ? 10000 : 0; }

/* Writes `count` records, each flushed; after the first, the descriptor
 * `fd` must be readable at once (see wake_ms). */
static void append(binlog_writer *w, int count, int fd) {
    for (int i = 0; i < count; i++) {
        CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("later"), NULL));
        CHECK_OK(binlog_writer_flush(w));
        if (i == 0) {
            CHECK(readable(fd, wake_ms())); /* the write made it readable */
        }
    }
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

/* The event loop: poll, re-arm, read, until `want` records were read (60
 * s bound a hang only). */
static void follow(binlog_reader *r, int fd, uint64_t *next, uint64_t want) {
    double deadline = now_ms() + 60000;
    while (*next < want && now_ms() < deadline) {
        if (!readable(fd, 1000)) {
            continue;
        }
        CHECK_OK(binlog_reader_poll_rearm(r));
        read_all(r, next);
    }
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

    append(w, 1, fd);
    follow(r, fd, &next, 2);
    CHECK_EQ_U(next, 2);
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

    append(w, 5, fd); /* segments 0, 1 and 2 */
    follow(r, fd, &next, 5);
    CHECK_EQ_U(next, 5);
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
