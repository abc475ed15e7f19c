/*
 * test_ship.c: binlog_shipper, shipping a log's sealed segments to a real
 * S3-compatible server: `make test-c` runs this program inside
 * tests/with_s3_server.sh, which starts versitygw and says where in
 * BINLOG_TEST_S3_* (the program fails without them). A pass uploads every
 * sealed segment once (objects appear in the bucket) and removes local
 * copies past keep_local; a second pass uploads nothing; the ship lock
 * refuses a second shipper of the log; a closed log's last segment ships
 * on the next pass; outputs are written only on success; bad arguments
 * and wrong credentials are refused with the right code and a message;
 * the _free functions accept NULL. A log whose retention waits for its
 * shipper keeps segments until they are uploaded; its hard byte cap
 * deletes them anyway and counts them. Remote retention
 * (binlog_remote_prune) deletes the oldest objects, never the newest, and
 * a reader that listed them reports them as a retention gap. A tiered
 * reader over a directory that holds none of the log (a host that has the
 * bucket alone) follows it with binlog_reader_next_wait: the segments
 * shipped while it waits are read, every record once, in order. Asked
 * to lock its objects (binlog_ship_options_set_object_lock), a shipper
 * refuses the test bucket, which has no Object Lock, saying so; an
 * unknown mode or a lock of no days is refused where it is set. Into the
 * bucket with Object Lock, its objects are locked: a prune, and the
 * shipper's remote retention, stop at the oldest, and
 * binlog_last_prune_lock gives its key and retention date, on the thread
 * that pruned alone, until a prune that a lock stopped at nothing.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end; each run ships under a prefix of its own (that directory's name).
 * Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700 /* setenv */

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "s3_server.h"
#include "segments.h"

/* This run's prefix: the name of its temporary directory. */
static const char *run_prefix(void) { return strrchr(tmpdir, '/') + 1; }

/* Ship options for the test server, to this run's prefix, keeping `keep`
 * local segments. */
static binlog_ship_options *run_options(uint64_t keep) {
    binlog_ship_options *o = server_options(run_prefix(), keep);
    REQUIRE_OK(binlog_ship_options_set_multipart_threshold(o, 64u << 20));
    return o;
}

/* How many names in directory `dir` end in `suffix` (0 if it is missing). */
static unsigned count_ending(const char *dir, const char *suffix) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        return 0;
    }
    unsigned n = 0;
    size_t sl = strlen(suffix);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t l = strlen(e->d_name);
        n += l >= sl && strcmp(e->d_name + l - sl, suffix) == 0;
    }
    closedir(d);
    return n;
}

/* The objects of log `log` in the bucket, as the server keeps them. */
static unsigned objects_of(const char *log) {
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/%s/%s/%s", env("BINLOG_TEST_S3_ROOT"),
             env("BINLOG_TEST_S3_BUCKET"), run_prefix(), log);
    return count_ending(dir, ".binlog");
}

static void test_a_pass_uploads_each_sealed_segment_once_and_removes_past_keep_local(void) {
    binlog_writer *w = write_log("orders", 7, 3); /* sealed 0, 1; active 2 */
    binlog_ship_options *o = run_options(1);
    binlog_shipper *s = NULL;
    REQUIRE_OK(binlog_shipper_open(tmpdir, "orders", o, &s));
    binlog_ship_report r;
    memset(&r, 0x5e, sizeof r);
    CHECK_OK(binlog_shipper_ship_once(s, &r));
    CHECK_EQ_U(r.uploaded, 2);
    CHECK_EQ_U(r.already_uploaded, 0);
    CHECK_EQ_U(r.removed_local, 1);
    CHECK_EQ_U(objects_of("orders"), 2);
    CHECK_EQ_U(count_ending(tmpdir, ".binlog"), 2); /* segment 1 (kept) and the active one */

    /* Nothing new: nothing uploaded or removed. */
    CHECK_OK(binlog_shipper_ship_once(s, &r));
    CHECK_EQ_U(r.uploaded + r.already_uploaded + r.removed_local, 0);

    /* One shipper per log. */
    binlog_shipper *second = (binlog_shipper *)(uintptr_t)0x5e5e5e50;
    CHECK_ERR(binlog_shipper_open(tmpdir, "orders", o, &second), BINLOG_ERR_LOCKED, "orders.ship.lock");
    CHECK(second == (binlog_shipper *)(uintptr_t)0x5e5e5e50);

    /* The close seals segment 2: the next pass ships it, keeps it, removes 1. */
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_OK(binlog_shipper_ship_once(s, &r));
    CHECK_EQ_U(r.uploaded, 1);
    CHECK_EQ_U(r.removed_local, 1);
    CHECK_EQ_U(objects_of("orders"), 3);
    CHECK_EQ_U(count_ending(tmpdir, ".binlog"), 1);
    binlog_shipper_free(s);

    /* Freed, the lock is released; a new shipper finds everything shipped. */
    REQUIRE_OK(binlog_shipper_open(tmpdir, "orders", o, &s));
    CHECK_OK(binlog_shipper_ship_once(s, &r));
    CHECK_EQ_U(r.uploaded + r.already_uploaded + r.removed_local, 0);
    binlog_shipper_free(s);
    binlog_ship_options_free(o);
    size_t journal_len = 0;
    uint8_t *journal = read_file(path_of("orders.ship"), &journal_len);
    CHECK(journal != NULL && journal_len > 0);
    free(journal);
}

/* One pass of a new shipper of `log` that removes nothing. */
static binlog_ship_report ship_keeping_all(const char *log) {
    binlog_ship_options *o = run_options(UINT64_MAX);
    binlog_shipper *s = NULL;
    REQUIRE_OK(binlog_shipper_open(tmpdir, log, o, &s));
    binlog_ship_report r;
    memset(&r, 0x5e, sizeof r);
    CHECK_OK(binlog_shipper_ship_once(s, &r));
    binlog_shipper_free(s);
    binlog_ship_options_free(o);
    return r;
}

static void test_a_lost_journal_is_rebuilt_and_nothing_is_uploaded_twice(void) {
    binlog_writer *w = write_log("lost", 5, 2); /* sealed 0, 1 */
    binlog_ship_report r = ship_keeping_all("lost");
    CHECK_EQ_U(r.uploaded, 2);
    CHECK_EQ_U(r.removed_local, 0);
    CHECK(remove(path_of("lost.ship")) == 0);
    r = ship_keeping_all("lost");
    CHECK_EQ_U(r.uploaded + r.already_uploaded + r.removed_local, 0);
    CHECK_EQ_U(objects_of("lost"), 2);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static void test_wrong_credentials_are_refused_and_nothing_is_uploaded(void) {
    binlog_writer *w = write_log("denied", 5, 2);
    binlog_ship_options *o = run_options(0);
    CHECK_OK(binlog_ship_options_set_credentials(o, env("BINLOG_TEST_S3_ACCESS_KEY"), "wrong-secret"));
    binlog_shipper *s = (binlog_shipper *)(uintptr_t)0x5e5e5e50;
    CHECK_ERR(binlog_shipper_open(tmpdir, "denied", o, &s), BINLOG_ERR_PERMISSION_DENIED, "s3://");
    CHECK(s == (binlog_shipper *)(uintptr_t)0x5e5e5e50);
    CHECK_EQ_U(objects_of("denied"), 0);
    CHECK_EQ_U(count_ending(tmpdir, ".binlog") >= 2, 1);
    binlog_ship_options_free(o);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static void test_a_lock_into_a_bucket_without_object_lock_is_refused_saying_so(void) {
    binlog_writer *w = write_log("locked", 5, 2);
    binlog_ship_options *o = run_options(0);
    CHECK_ERR(binlog_ship_options_set_object_lock(o, 3, 1), BINLOG_ERR_INVALID_ARGUMENT,
              "lock mode 3");
    CHECK_ERR(binlog_ship_options_set_object_lock(o, BINLOG_LOCK_COMPLIANCE, 0),
              BINLOG_ERR_INVALID_ARGUMENT, "0 days");
    CHECK_ERR(binlog_ship_options_set_object_lock(NULL, BINLOG_LOCK_NONE, 0),
              BINLOG_ERR_NULL_POINTER, NULL);
    /* Set, then taken back: this shipper locks nothing and opens. */
    CHECK_OK(binlog_ship_options_set_object_lock(o, BINLOG_LOCK_GOVERNANCE, 30));
    CHECK_OK(binlog_ship_options_set_object_lock(o, BINLOG_LOCK_NONE, 0));
    binlog_shipper *s = NULL;
    CHECK_OK(binlog_shipper_open(tmpdir, "locked", o, &s));
    binlog_shipper_free(s);
    CHECK_OK(binlog_ship_options_set_object_lock(o, BINLOG_LOCK_GOVERNANCE, 30));
    s = (binlog_shipper *)(uintptr_t)0x5e5e5e50;
    CHECK_ERR(binlog_shipper_open(tmpdir, "locked", o, &s), BINLOG_ERR_INVALID_ARGUMENT,
              "Object Lock");
    CHECK(s == (binlog_shipper *)(uintptr_t)0x5e5e5e50);
    CHECK_EQ_U(objects_of("locked"), 0);
    binlog_ship_options_free(o);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* The number of files of log `log` (binlog_log_list_segments). */
static size_t files_of(const char *log) {
    binlog_segment_list *list = NULL;
    REQUIRE_OK(binlog_log_list_segments(tmpdir, log, &list));
    size_t n = 0;
    CHECK_OK(binlog_segment_list_count(list, &n));
    binlog_segment_list_free(list);
    return n;
}

/* Log `log`, 2 records a segment, keeping 1 sealed one, until shipped;
 * with a hard cap of `hard_max_bytes` (0: none). */
static binlog_writer *shipped_log(const char *log, uint64_t hard_max_bytes) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_segment_records(o, 2));
    REQUIRE_OK(binlog_options_set_retention_max_segments(o, 1));
    REQUIRE_OK(binlog_options_set_retention_until_shipped(o, true));
    REQUIRE_OK(binlog_options_set_retention_hard_max_bytes(o, hard_max_bytes));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(tmpdir, log, o, &w));
    binlog_options_free(o);
    return w;
}

static void test_a_shipped_log_keeps_its_segments_until_they_are_uploaded(void) {
    binlog_writer *w = shipped_log("kept", 0);
    write_records(w, 7); /* sealed 0..2, active 3 */
    CHECK_EQ_U(files_of("kept"), 4);
    binlog_ship_report r = ship_keeping_all("kept");
    CHECK_EQ_U(r.uploaded, 3);
    CHECK_EQ_U(r.removed_local, 0);
    /* The next roll seals 3; 0..2 are uploaded and go, 3 is the one kept. */
    write_records(w, 2);
    CHECK_EQ_U(files_of("kept"), 2);
    uint64_t dropped = 99;
    CHECK_OK(binlog_writer_dropped_unshipped(w, &dropped));
    CHECK_EQ_U(dropped, 0);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static void test_the_hard_cap_deletes_unshipped_segments_and_counts_them(void) {
    binlog_writer *w = shipped_log("capped", 1);
    write_records(w, 7); /* sealed 0..2, each over the cap */
    CHECK_EQ_U(files_of("capped"), 1);
    uint64_t dropped = 0;
    CHECK_OK(binlog_writer_dropped_unshipped(w, &dropped));
    CHECK_EQ_U(dropped, 3);
    CHECK_ERR(binlog_writer_dropped_unshipped(w, NULL), BINLOG_ERR_NULL_POINTER, "out");
    CHECK_ERR(binlog_writer_dropped_unshipped(NULL, &dropped), BINLOG_ERR_NULL_POINTER, "writer");
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

static void test_bad_arguments_are_refused_and_change_nothing(void) {
    binlog_ship_options *o = NULL;
    REQUIRE_OK(binlog_ship_options_new(&o));
    CHECK_ERR(binlog_ship_options_new(NULL), BINLOG_ERR_NULL_POINTER, "out");
    CHECK_ERR(binlog_ship_options_set_url(NULL, "s3://bkt/p"), BINLOG_ERR_NULL_POINTER,
              "ship options");
    CHECK_ERR(binlog_ship_options_set_url(o, NULL), BINLOG_ERR_NULL_POINTER, "url");
    CHECK_ERR(binlog_ship_options_set_url(o, "http://bkt/p"), BINLOG_ERR_INVALID_ARGUMENT,
              "s3://bucket/prefix");
    CHECK_ERR(binlog_ship_options_set_bucket(o, "BAD", NULL), BINLOG_ERR_INVALID_ARGUMENT,
              "bucket names");
    CHECK_ERR(binlog_ship_options_set_credentials(o, "id", NULL), BINLOG_ERR_NULL_POINTER,
              "secret access key");
    CHECK_ERR(binlog_ship_options_set_endpoint(o, NULL), BINLOG_ERR_NULL_POINTER, "endpoint");
    CHECK_ERR(binlog_ship_options_set_region(o, NULL), BINLOG_ERR_NULL_POINTER, "region");
    CHECK_ERR(binlog_ship_options_set_keep_local(NULL, 1), BINLOG_ERR_NULL_POINTER, NULL);
    CHECK_ERR(binlog_ship_options_set_path_style(NULL, true), BINLOG_ERR_NULL_POINTER, NULL);
    CHECK_ERR(binlog_ship_options_set_multipart_threshold(NULL, 1), BINLOG_ERR_NULL_POINTER, NULL);

    binlog_shipper *s = (binlog_shipper *)(uintptr_t)0x5e5e5e50;
    CHECK_ERR(binlog_shipper_open(tmpdir, "orders", o, &s), BINLOG_ERR_INVALID_ARGUMENT,
              "no destination");
    CHECK_ERR(binlog_shipper_open(NULL, "orders", o, &s), BINLOG_ERR_NULL_POINTER, "dir");
    CHECK_ERR(binlog_shipper_open(tmpdir, NULL, o, &s), BINLOG_ERR_NULL_POINTER, "name");
    CHECK_ERR(binlog_shipper_open(tmpdir, "orders", NULL, &s), BINLOG_ERR_NULL_POINTER,
              "ship options");
    CHECK(s == (binlog_shipper *)(uintptr_t)0x5e5e5e50);
    CHECK_OK(binlog_ship_options_set_url(o, "s3://bkt/p"));
    CHECK_ERR(binlog_shipper_open(tmpdir, "orders", o, NULL), BINLOG_ERR_NULL_POINTER, "out");
    binlog_ship_report r;
    CHECK_ERR(binlog_shipper_ship_once(NULL, &r), BINLOG_ERR_NULL_POINTER, "shipper");
    binlog_ship_options_free(o);
    binlog_ship_options_free(NULL);
    binlog_shipper_free(NULL);
}

/* The bucket's URL (`s3://bucket/<run prefix>`) in `remote`, with the
 * AWS_* environment a tiered reader takes the server from set. */
static void reader_env(char *remote, size_t size) {
    snprintf(remote, size, "s3://%s/%s", env("BINLOG_TEST_S3_BUCKET"), run_prefix());
    setenv("AWS_ENDPOINT_URL", env("BINLOG_TEST_S3_ENDPOINT"), 1);
    setenv("AWS_REGION", env("BINLOG_TEST_S3_REGION"), 1);
    setenv("AWS_ACCESS_KEY_ID", env("BINLOG_TEST_S3_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", env("BINLOG_TEST_S3_SECRET_KEY"), 1);
}

static void test_a_prune_deletes_the_oldest_objects_and_readers_report_retention(void) {
    binlog_writer *w = write_log("pruned", 12, 3); /* sealed 0..2, active 3 */
    REQUIRE_OK(binlog_writer_close(w)); /* 3 sealed too */
    binlog_writer_free(w);
    binlog_ship_options *o = run_options(0);
    binlog_shipper *s = NULL;
    REQUIRE_OK(binlog_shipper_open(tmpdir, "pruned", o, &s));
    binlog_ship_report sr;
    REQUIRE_OK(binlog_shipper_ship_once(s, &sr));
    CHECK_EQ_U(objects_of("pruned"), 4);
    /* A reader of the bucket lists the 4 objects before the prune. */
    char remote[512];
    reader_env(remote, sizeof remote);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log_tiered(tmpdir, "pruned", remote, &r));

    binlog_prune_report pr;
    memset(&pr, 0x5e, sizeof pr);
    CHECK_RC(binlog_remote_prune(o, NULL, false, &pr), BINLOG_ERR_NULL_POINTER);
    CHECK_EQ_U(pr.deleted, 0x5e5e5e5e5e5e5e5eULL); /* no output on failure */
    CHECK_OK(binlog_ship_options_set_remote_retention(o, 2, UINT64_MAX, UINT64_MAX));
    CHECK_OK(binlog_remote_prune(o, "pruned", true, &pr));
    CHECK_EQ_U(pr.deleted, 2);
    CHECK_EQ_U(objects_of("pruned"), 4); /* dry */
    CHECK_OK(binlog_remote_prune(o, "pruned", false, &pr));
    CHECK_EQ_U(pr.deleted, 2);
    CHECK_EQ_U(pr.kept, 2);
    CHECK_EQ_U(pr.pruned_through, 1);
    CHECK_EQ_U(objects_of("pruned"), 2);

    binlog_record rec;
    uint64_t first = UINT64_MAX, n = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        first = n++ == 0 ? rec.seq : first;
    }
    CHECK_EQ_U(first, 6);
    CHECK_EQ_U(n, 6);
    binlog_gap g[4];
    size_t count = 0;
    CHECK_OK(binlog_reader_gaps(r, g, 4, &count));
    CHECK_EQ_U(count, 1);
    CHECK_EQ_U(g[0].reason, BINLOG_GAP_RETENTION);
    CHECK_EQ_U(g[0].from_seq, 0);
    CHECK_EQ_U(g[0].to_seq, 6);
    binlog_reader_free(r);
    binlog_shipper_free(s);
    binlog_ship_options_free(o);
    CHECK_RC(binlog_remote_prune(NULL, "pruned", false, &pr), BINLOG_ERR_NULL_POINTER);
}

/* The key of binlog_last_prune_lock on a thread that did not prune. */
static void *lock_key_elsewhere(void *key) {
    binlog_prune_lock l;
    memset(&l, 0x5e, sizeof l);
    *(const char **)key = binlog_last_prune_lock(&l) == BINLOG_OK ? l.key : "failed";
    return NULL;
}

static void test_a_prune_stopped_by_an_object_lock_reports_the_locked_object(void) {
    binlog_writer *w = write_log("worm", 9, 3); /* sealed 0, 1; active 2 */
    binlog_ship_options *o = run_options(UINT64_MAX);
    REQUIRE_OK(binlog_ship_options_set_bucket(o, env("BINLOG_TEST_S3_LOCKED_BUCKET"), run_prefix()));
    REQUIRE_OK(binlog_ship_options_set_object_lock(o, BINLOG_LOCK_GOVERNANCE, 1));
    binlog_shipper *s = NULL;
    REQUIRE_OK(binlog_shipper_open(tmpdir, "worm", o, &s));
    binlog_ship_report sr;
    REQUIRE_OK(binlog_shipper_ship_once(s, &sr));
    CHECK_EQ_U(sr.uploaded, 2);
    binlog_prune_lock l;
    memset(&l, 0x5e, sizeof l);
    CHECK_OK(binlog_last_prune_lock(&l)); /* a pass without remote retention */
    CHECK(l.key == NULL && l.segment == 0 && l.retain_until == NULL && !l.legal_hold);

    /* Keeping 1 object would delete segment 0's, which its lock keeps. */
    CHECK_OK(binlog_ship_options_set_remote_retention(o, 1, UINT64_MAX, UINT64_MAX));
    binlog_prune_report pr;
    CHECK_OK(binlog_remote_prune(o, "worm", false, &pr));
    CHECK_EQ_U(pr.deleted, 0);
    CHECK_EQ_U(pr.kept, 2);
    memset(&l, 0x5e, sizeof l);
    CHECK_OK(binlog_last_prune_lock(&l));
    char key[512], now[32];
    snprintf(key, sizeof key, "%s/worm/%020d-%020d.binlog", run_prefix(), 0, 0);
    CHECK_CONTAINS(l.key, key);
    CHECK(l.key != NULL && strcmp(l.key, key) == 0);
    CHECK_EQ_U(l.segment, 0);
    time_t t = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    /* A date as S3 writes it, a day from the upload: later than now. */
    CHECK(l.retain_until != NULL && strlen(l.retain_until) >= 20 && l.retain_until[10] == 'T');
    CHECK(l.retain_until != NULL && strcmp(l.retain_until, now) > 0);
    CHECK(!l.legal_hold);
    const char *elsewhere = "not run";
    pthread_t tid;
    REQUIRE(pthread_create(&tid, NULL, lock_key_elsewhere, &elsewhere) == 0);
    REQUIRE(pthread_join(tid, NULL) == 0);
    CHECK(elsewhere == NULL); /* per thread */

    /* A prune with no limit kept nothing by a lock; the shipper's remote
     * retention stops at the same object. */
    CHECK_OK(binlog_ship_options_set_remote_retention(o, UINT64_MAX, UINT64_MAX, UINT64_MAX));
    CHECK_OK(binlog_remote_prune(o, "worm", true, &pr));
    CHECK_OK(binlog_last_prune_lock(&l));
    CHECK(l.key == NULL);
    binlog_shipper_free(s);
    CHECK_OK(binlog_ship_options_set_remote_retention(o, 1, UINT64_MAX, UINT64_MAX));
    REQUIRE_OK(binlog_shipper_open(tmpdir, "worm", o, &s));
    REQUIRE_OK(binlog_shipper_ship_once(s, &sr));
    CHECK_OK(binlog_last_prune_lock(&l));
    CHECK(l.key != NULL && strcmp(l.key, key) == 0);
    CHECK(l.retain_until != NULL && strcmp(l.retain_until, now) > 0);

    CHECK_ERR(binlog_last_prune_lock(NULL), BINLOG_ERR_NULL_POINTER, "out");
    binlog_shipper_free(s);
    binlog_ship_options_free(o);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* Reads with binlog_reader_next_wait (up to `timeout_ms` a wait) until
 * record `last`, or until a wait ends with nothing; each record's
 * sequence number must be `*next`, which it then increments. */
static void follow_to(binlog_reader *r, uint64_t *next, uint64_t last, uint64_t timeout_ms) {
    binlog_record rec;
    while (*next <= last && binlog_reader_next_wait(r, timeout_ms, &rec) == BINLOG_OK) {
        CHECK_EQ_U(rec.seq, *next);
        *next = rec.seq + 1;
    }
}

static void test_a_tiered_follower_without_the_log_locally_reads_segments_shipped_while_it_waits(void) {
    binlog_writer *w = write_log("followed", 9, 3); /* sealed 0, 1; active 2 */
    binlog_ship_options *o = run_options(0);
    binlog_shipper *s = NULL;
    REQUIRE_OK(binlog_shipper_open(tmpdir, "followed", o, &s));
    binlog_ship_report sr;
    REQUIRE_OK(binlog_shipper_ship_once(s, &sr));
    CHECK_EQ_U(sr.uploaded, 2);
    char remote[512];
    reader_env(remote, sizeof remote);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log_tiered(make_dir("bucket-only"), "followed", remote, &r));
    uint64_t next = 0;
    follow_to(r, &next, UINT64_MAX, 50);
    CHECK_EQ_U(next, 6);

    /* The close seals segment 2; shipped, the follower reads it. */
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    REQUIRE_OK(binlog_shipper_ship_once(s, &sr));
    CHECK_EQ_U(sr.uploaded, 1);
    follow_to(r, &next, 8, 20000);
    CHECK_EQ_U(next, 9);
    binlog_record rec;
    CHECK_RC(binlog_reader_next_wait(r, 50, &rec), BINLOG_END);
    uint64_t gaps = UINT64_MAX;
    CHECK_OK(binlog_reader_gap_count(r, &gaps));
    CHECK_EQ_U(gaps, 0);
    binlog_reader_free(r);
    binlog_shipper_free(s);
    binlog_ship_options_free(o);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_pass_uploads_each_sealed_segment_once_and_removes_past_keep_local();
    test_a_lost_journal_is_rebuilt_and_nothing_is_uploaded_twice();
    test_wrong_credentials_are_refused_and_nothing_is_uploaded();
    test_a_lock_into_a_bucket_without_object_lock_is_refused_saying_so();
    test_a_shipped_log_keeps_its_segments_until_they_are_uploaded();
    test_the_hard_cap_deletes_unshipped_segments_and_counts_them();
    test_bad_arguments_are_refused_and_change_nothing();
    test_a_prune_deletes_the_oldest_objects_and_readers_report_retention();
    test_a_prune_stopped_by_an_object_lock_reports_the_locked_object();
    test_a_tiered_follower_without_the_log_locally_reads_segments_shipped_while_it_waits();
    return (int)check_summary();
}
