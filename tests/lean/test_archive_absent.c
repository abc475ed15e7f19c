/*
 * test_archive_absent.c: the lean library (`make lib ARCHIVE=0`, built
 * without the archive tier) exports every function of binlog.h, and each
 * entry to the tier answers BINLOG_ERR_INVALID_ARGUMENT with a message
 * saying the library was built without it, writing no output (and
 * binlog_last_prune_lock says no lock kept an object: no prune ran); the core
 * (a rolling log) works beside. Run against the lean library only
 * (`make test-lean`): the full one ships and reads from S3 instead.
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "binlog.h"
#include "../c/check.h"
#include "../c/tmpdir.h"

#define ABSENT "built without the archive tier"
#define PTR_SENTINEL(T) ((T *)(uintptr_t)0x5e5e5e50)

static void test_ship_options_are_refused_without_the_tier(void) {
    binlog_ship_options *o = PTR_SENTINEL(binlog_ship_options);
    CHECK_RC(binlog_ship_options_new(&o), BINLOG_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(binlog_last_error(), ABSENT);
    CHECK(o == PTR_SENTINEL(binlog_ship_options));
    binlog_ship_options_free(NULL);
}

static void test_a_shipper_is_refused_without_the_tier(void) {
    binlog_shipper *s = PTR_SENTINEL(binlog_shipper);
    /* No options can be made: the refusal comes before their check. */
    CHECK_RC(binlog_shipper_open(path_of("logs"), "orders", NULL, &s), BINLOG_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(binlog_last_error(), ABSENT);
    CHECK(s == PTR_SENTINEL(binlog_shipper));
    binlog_ship_report report = {1, 2, 3};
    CHECK_RC(binlog_shipper_ship_once(NULL, &report), BINLOG_ERR_NULL_POINTER);
    CHECK(report.uploaded == 1 && report.already_uploaded == 2 && report.removed_local == 3);
    binlog_shipper_free(NULL);
    /* No prune can run: none kept an object by a lock. */
    binlog_prune_lock lock;
    memset(&lock, 0x5e, sizeof lock);
    CHECK_OK(binlog_last_prune_lock(&lock));
    CHECK(lock.key == NULL && lock.segment == 0 && lock.retain_until == NULL && !lock.legal_hold);
}

static void test_a_tiered_reader_is_refused_without_the_tier(void) {
    binlog_reader *r = PTR_SENTINEL(binlog_reader);
    CHECK_RC(binlog_reader_open_log_tiered(path_of("logs"), "orders", "s3://bucket/prefix", &r),
             BINLOG_ERR_INVALID_ARGUMENT);
    CHECK_CONTAINS(binlog_last_error(), ABSENT);
    CHECK(r == PTR_SENTINEL(binlog_reader));
}

static void test_the_core_writes_and_reads_a_rolling_log(void) {
    const char *dir = path_of("core");
    REQUIRE(mkdir(dir, 0700) == 0);
    binlog_writer *w;
    REQUIRE_OK(binlog_writer_open_log(dir, "orders", NULL, &w));
    uint64_t seq;
    CHECK_OK(binlog_writer_write(w, (const uint8_t *)"t", 1, (const uint8_t *)"one", 3, &seq));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_reader *r;
    REQUIRE_OK(binlog_reader_open_log(dir, "orders", &r));
    binlog_record rec;
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_STR(rec.payload, rec.payload_len, "one");
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_END);
    binlog_reader_close(r);
    binlog_reader_free(r);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_ship_options_are_refused_without_the_tier();
    test_a_shipper_is_refused_without_the_tier();
    test_a_tiered_reader_is_refused_without_the_tier();
    test_the_core_writes_and_reads_a_rolling_log();
    return (int)check_summary();
}
