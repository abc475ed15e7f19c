/*
 * test_log_compression.c: binlog_options_set_compression. A log that
 * compresses turns its sealed segments into <segment>.binlog.zst on its
 * own thread, reports each with a COMPRESSED event (path and compressed
 * size), and lists it in its place with its original size
 * (binlog_segment_list_get_compression); the setter refuses a zstd level or a
 * frame size out of range and leaves the options as they were; a segment
 * writer refuses the option (logs only).
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"

static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned compressed_events;
static unsigned compressed_events_ok;

static int32_t on_segment(void *user, const binlog_segment_info *info) {
    (void)user;
    if (info->event == BINLOG_SEGMENT_COMPRESSED) {
        struct stat st;
        size_t len = strlen(info->path);
        int ok = len > 11 && strcmp(info->path + len - 11, ".binlog.zst") == 0 &&
                 stat(info->path, &st) == 0 && (uint64_t)st.st_size == info->bytes &&
                 /* 7 records, 2 a segment: the last, sealed by the close, holds 1. */
                 info->record_count == (info->segment_no < 3 ? 2u : 1u);
        pthread_mutex_lock(&seen_lock);
        compressed_events++;
        compressed_events_ok += ok;
        pthread_mutex_unlock(&seen_lock);
    }
    return 0;
}

/* How many of log `log`'s files are compressed segments. */
static size_t compressed_files(const char *log) {
    binlog_segment_list *list = NULL;
    REQUIRE_OK(binlog_log_list_segments(tmpdir, log, &list));
    size_t n = 0, zst = 0;
    REQUIRE_OK(binlog_segment_list_count(list, &n));
    for (size_t i = 0; i < n; i++) {
        binlog_listed_segment s;
        REQUIRE_OK(binlog_segment_list_get(list, i, &s));
        size_t len = strlen(s.path);
        bool compressed = false;
        uint64_t original = 7;
        CHECK_OK(binlog_segment_list_get_compression(list, i, &compressed, &original));
        if (len > 11 && strcmp(s.path + len - 11, ".binlog.zst") == 0) {
            CHECK_EQ_U(s.segment_no, i);
            CHECK_EQ_U(s.state, BINLOG_SEGMENT_STATE_SEALED);
            CHECK(compressed);
            /* Header, two records and a seal (tiny: the compressed file,
             * with its seek table, may be larger). */
            CHECK(original > 100 && original != s.bytes);
            zst++;
        } else {
            CHECK(!compressed);
            CHECK_EQ_U(original, 0);
        }
    }
    bool compressed = false;
    uint64_t original = 0;
    CHECK_ERR(binlog_segment_list_get_compression(list, n, &compressed, &original),
              BINLOG_ERR_INVALID_ARGUMENT, "index");
    CHECK_ERR(binlog_segment_list_get_compression(list, 0, NULL, &original),
              BINLOG_ERR_NULL_POINTER, "out");
    binlog_segment_list_free(list);
    return zst;
}

static void test_sealed_segments_are_compressed_and_reported(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_segment_records(o, 2));
    REQUIRE_OK(binlog_options_set_compression(o, true, 0, 0, 0));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(tmpdir, "zlog", o, &w));
    binlog_options_free(o);
    REQUIRE_OK(binlog_writer_on_segment(w, on_segment, NULL));
    for (int i = 0; i < 7; i++) {
        REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("a payload that compresses"), NULL));
    }
    /* Three sealed segments, compressed by the log's thread. */
    size_t zst = 0;
    for (int tries = 0; tries < 1000 && (zst = compressed_files("zlog")) < 3; tries++) {
        struct timespec ms10 = {0, 10 * 1000 * 1000};
        nanosleep(&ms10, NULL);
    }
    CHECK_EQ_U(zst, 3);
    /* The close seals the fourth and compresses it too. */
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_EQ_U(compressed_files("zlog"), 4);
    pthread_mutex_lock(&seen_lock);
    CHECK_EQ_U(compressed_events, 4);
    CHECK_EQ_U(compressed_events_ok, 4);
    pthread_mutex_unlock(&seen_lock);
}

static void test_levels_and_frame_sizes_out_of_range_are_refused(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_ERR(binlog_options_set_compression(o, true, 0, 99, 0), BINLOG_ERR_INVALID_ARGUMENT,
              "compression level 99");
    CHECK_ERR(binlog_options_set_compression(o, true, 0, 3, (uint64_t)2 << 30),
              BINLOG_ERR_INVALID_ARGUMENT, "frame size");
    CHECK_ERR(binlog_options_set_compression(NULL, true, 0, 3, 0), BINLOG_ERR_NULL_POINTER,
              "options");
    /* A segment writer refuses a log's compression. */
    binlog_options *c = NULL;
    REQUIRE_OK(binlog_options_new(&c));
    REQUIRE_OK(binlog_options_set_compression(c, true, 0, 0, 0));
    binlog_writer *seg = NULL;
    CHECK_ERR(binlog_writer_open(path_of("one.binlog"), c, &seg), BINLOG_ERR_INVALID_ARGUMENT,
              "compression");
    CHECK(seg == NULL);
    /* Type copies: a share in thousandths, only with compression on. */
    CHECK_ERR(binlog_options_set_compression_type_copies(c, 1001), BINLOG_ERR_INVALID_ARGUMENT,
              "1001 per mille");
    REQUIRE_OK(binlog_options_set_compression_type_copies(c, 0));
    CHECK_ERR(binlog_options_set_compression_type_copies(o, 50), BINLOG_ERR_INVALID_ARGUMENT,
              "compression is off");
    CHECK_ERR(binlog_options_set_compression_type_copies(NULL, 50), BINLOG_ERR_NULL_POINTER,
              "options");
    binlog_options_free(c);
    /* Refused settings changed nothing: the log does not compress. */
    REQUIRE_OK(binlog_options_set_max_segment_records(o, 1));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(tmpdir, "plain", o, &w));
    binlog_options_free(o);
    for (int i = 0; i < 3; i++) {
        REQUIRE_OK(binlog_writer_write(w, LIT("t"), LIT("x"), NULL));
    }
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_EQ_U(compressed_files("plain"), 0);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_sealed_segments_are_compressed_and_reported();
    test_levels_and_frame_sizes_out_of_range_are_refused();
    return (int)check_summary();
}
