/*
 * test_log_segments.c: binlog_log_list_segments, the list of a log's files
 * with their state for uploaders and tools: a rolled log lists its sealed
 * segments (first and last sequence numbers from their seals) and its
 * active one in read order; outputs are written only on success; bad
 * arguments are refused with the right code; binlog_segment_list_free
 * accepts NULL.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define PTR_SENTINEL(T) ((T *)(uintptr_t)0x5e5e5e50)

static void test_a_rolled_log_lists_sealed_segments_then_the_active_one(void) {
    binlog_writer *w = write_log("up", 7, 3);
    binlog_segment_list *list = NULL;
    REQUIRE_OK(binlog_log_list_segments(tmpdir, "up", &list));
    size_t n = 0;
    CHECK_OK(binlog_segment_list_count(list, &n));
    CHECK_EQ_U(n, 3);
    static const uint64_t first[] = {0, 3, 6};
    for (size_t i = 0; i < n && i < 3; i++) {
        binlog_listed_segment s;
        CHECK_OK(binlog_segment_list_get(list, i, &s));
        CHECK_EQ_U(s.segment_no, i);
        CHECK(!s.salvaged);
        CHECK(s.has_first_seq);
        CHECK_EQ_U(s.first_seq, first[i]);
        struct stat st;
        CHECK(stat(s.path, &st) == 0 && (uint64_t)st.st_size == s.bytes);
        CHECK_CONTAINS(s.path, "/up-0000000000000000000");
        if (i < 2) {
            CHECK_EQ_U(s.state, BINLOG_SEGMENT_STATE_SEALED);
            CHECK(s.has_last_seq);
            CHECK_EQ_U(s.last_seq, first[i] + 2);
        } else {
            CHECK_EQ_U(s.state, BINLOG_SEGMENT_STATE_ACTIVE);
            CHECK(!s.has_last_seq);
        }
    }
    /* Past the end: refused, *out untouched. */
    binlog_listed_segment before;
    memset(&before, 0x5e, sizeof before);
    binlog_listed_segment after = before;
    CHECK_ERR(binlog_segment_list_get(list, 3, &after), BINLOG_ERR_INVALID_ARGUMENT, "index 3");
    CHECK(memcmp(&before, &after, sizeof before) == 0);
    binlog_segment_list_free(list);

    /* Closed, the newest is sealed too. */
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    REQUIRE_OK(binlog_log_list_segments(tmpdir, "up", &list));
    binlog_listed_segment s;
    CHECK_OK(binlog_segment_list_get(list, 2, &s));
    CHECK_EQ_U(s.state, BINLOG_SEGMENT_STATE_SEALED);
    CHECK(s.has_last_seq);
    CHECK_EQ_U(s.last_seq, 6);
    binlog_segment_list_free(list);
}

static void test_bad_arguments_are_refused_and_outputs_untouched(void) {
    binlog_segment_list *list = PTR_SENTINEL(binlog_segment_list);
    CHECK_ERR(binlog_log_list_segments(NULL, "up", &list), BINLOG_ERR_NULL_POINTER, "dir");
    CHECK_ERR(binlog_log_list_segments(tmpdir, NULL, &list), BINLOG_ERR_NULL_POINTER, "name");
    CHECK_ERR(binlog_log_list_segments(tmpdir, "up", NULL), BINLOG_ERR_NULL_POINTER, "out");
    CHECK_ERR(binlog_log_list_segments(tmpdir, ".bad", &list), BINLOG_ERR_INVALID_ARGUMENT,
              "log name");
    CHECK_ERR(binlog_log_list_segments(path_of("missing"), "up", &list), BINLOG_ERR_NOT_FOUND,
              "missing");
    CHECK(list == PTR_SENTINEL(binlog_segment_list));
    size_t n = 7;
    CHECK_ERR(binlog_segment_list_count(NULL, &n), BINLOG_ERR_NULL_POINTER, "list");
    CHECK_EQ_U(n, 7);
    binlog_listed_segment s;
    CHECK_ERR(binlog_segment_list_get(NULL, 0, &s), BINLOG_ERR_NULL_POINTER, "list");
    /* A log with no file yet: an empty list. */
    REQUIRE_OK(binlog_log_list_segments(tmpdir, "none", &list));
    CHECK_OK(binlog_segment_list_count(list, &n));
    CHECK_EQ_U(n, 0);
    binlog_segment_list_free(list);
    binlog_segment_list_free(NULL);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_rolled_log_lists_sealed_segments_then_the_active_one();
    test_bad_arguments_are_refused_and_outputs_untouched();
    return (int)check_summary();
}
