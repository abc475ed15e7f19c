/*
 * test_unreachable.c: a shipper (binlog_ship_options_set_retry_timeout)
 * and a tiered reader (binlog_reader_open_log_tiered_timeout) given a
 * server that is down (a loopback port with nothing listening) or that
 * accepts connections and never answers (a socket of this program's,
 * listening, never accepting: connections complete in its backlog and
 * get no answer). Each call fails with BINLOG_ERR_REMOTE and a message
 * naming the endpoint and the cause, within BOUND_MS (far from tight:
 * it only tells a wait bounded by the retry timeout from one of the
 * 60 s request timeout). Needs no S3 server.
 *
 * Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define RETRY_TIMEOUT_MS 1500
#define BOUND_MS 45000

/* A socket bound to a free loopback port, listening if `listening`
 * (else closed: nothing listens there); its URL in `url`; the socket, or
 * -1 once closed. */
static int loopback_endpoint(int listening, char *url, size_t n) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    snprintf(url, n, "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
    if (listening) {
        REQUIRE(listen(fd, 64) == 0);
        return fd;
    }
    close(fd);
    return -1;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* The last error names `endpoint` and one of `causes` (NULL-terminated),
 * and `took_ms` is within BOUND_MS. */
static void check_failure(const char *endpoint, const char *const *causes, double took_ms) {
    const char *msg = binlog_last_error();
    CHECK_CONTAINS(msg, endpoint);
    int named = 0;
    for (const char *const *c = causes; *c != NULL; c++) {
        named |= strstr(msg, *c) != NULL;
    }
    CHECK(named);
    CHECK(took_ms < BOUND_MS);
}

static void check_shipper(const char *endpoint, const char *const *causes) {
    binlog_ship_options *o = NULL;
    REQUIRE_OK(binlog_ship_options_new(&o));
    CHECK_OK(binlog_ship_options_set_url(o, "s3://logs/unreachable"));
    CHECK_OK(binlog_ship_options_set_endpoint(o, endpoint));
    CHECK_OK(binlog_ship_options_set_region(o, "us-east-1"));
    CHECK_OK(binlog_ship_options_set_credentials(o, "id", "secret"));
    CHECK_OK(binlog_ship_options_set_retry_timeout(o, RETRY_TIMEOUT_MS));
    double start = now_ms();
    binlog_shipper *s = NULL;
    binlog_result rc = binlog_shipper_open(tmpdir, "orders", o, &s);
    if (rc == BINLOG_OK) {
        binlog_ship_report r;
        rc = binlog_shipper_ship_once(s, &r);
        binlog_shipper_free(s);
    }
    CHECK_EQ_I(rc, BINLOG_ERR_REMOTE);
    check_failure(endpoint, causes, now_ms() - start);
    binlog_ship_options_free(o);
}

static void check_tiered_reader(const char *endpoint, const char *const *causes) {
    setenv("AWS_ENDPOINT_URL", endpoint, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    setenv("AWS_ACCESS_KEY_ID", "id", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "secret", 1);
    double start = now_ms();
    binlog_reader *r = NULL;
    binlog_result rc =
        binlog_reader_open_log_tiered_timeout(tmpdir, "orders", "s3://logs/unreachable", RETRY_TIMEOUT_MS, &r);
    CHECK_EQ_I(rc, BINLOG_ERR_REMOTE);
    CHECK(r == NULL);
    check_failure(endpoint, causes, now_ms() - start);
    binlog_reader_free(r);
}

static void test_a_server_with_nothing_listening_fails_within_the_retry_timeout(void) {
    char url[64];
    loopback_endpoint(0, url, sizeof url);
    const char *causes[] = {"Connection refused", "connection refused", NULL};
    check_shipper(url, causes);
    check_tiered_reader(url, causes);
}

static void test_a_server_that_never_answers_fails_within_the_retry_timeout(void) {
    char url[64];
    int fd = loopback_endpoint(1, url, sizeof url);
    const char *causes[] = {"timed out", "timeout", NULL};
    check_shipper(url, causes);
    check_tiered_reader(url, causes);
    close(fd);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    binlog_writer *w = write_log("orders", 5, 2);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    test_a_server_with_nothing_listening_fails_within_the_retry_timeout();
    test_a_server_that_never_answers_fails_within_the_retry_timeout();
    return (int)check_summary();
}
