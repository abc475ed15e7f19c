/*
 * test_contract.c: promises of include/binlog.h checked against the
 * library's behaviour, one function per promise:
 *
 * - binlog_writer_write_batch: an entry refused by the C boundary's own
 *   checks (a NULL pointer with a length, a type name or metadata that is
 *   not UTF-8) is named in the message ("entry I of N: ...; no record of
 *   this call was written"), as one the core refuses is.
 * - binlog_reader_header: the strings and parameter array of a log
 *   reader's header stay valid while the reader stays in that segment (a
 *   seek within it included).
 *
 * - binlog_writer_close / binlog_segment_callback: a callback may close
 *   the log, also on the background thread while another thread closes
 *   it (the writer is thread-safe, close included): neither waits for the
 *   other forever.
 *
 * Every file lives in a fresh mkdtemp directory under /tmp, removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"

#define SEQ_SENTINEL UINT64_C(0xdeadbeefcafef00d)

/* A writer of a segment (log == 0) or of a log in its own directory. */
static binlog_writer *open_writer(int log, const char *where) {
    binlog_writer *w = NULL;
    if (log) {
        CHECK(mkdir(where, 0755) == 0);
        REQUIRE_OK(binlog_writer_open_log(where, "x", NULL, &w));
    } else {
        REQUIRE_OK(binlog_writer_open(where, NULL, &w));
    }
    return w;
}

/* Each way an entry can fail the boundary's checks, as entry 2 of 3 of a
 * batch, for a segment and a log: the code, a message naming the file and
 * the entry, no output, no sequence number taken. */
static void test_batch_boundary_refusal_names_entry(void) {
    static const binlog_meta bad_key = {U("\xff"), 1, U("v"), 1};
    static const binlog_meta bad_value = {U("k"), 1, U("\xfe"), 1};
    static const binlog_meta null_key = {NULL, 3, U("v"), 1};
    static const binlog_iovec null_part = {NULL, 4};
    for (int log = 0; log < 2; log++) {
        /* path_of's buffer stays valid: it is not called again here. */
        const char *where = path_of(log ? "names-entry-log" : "names-entry.binlog");
        binlog_writer *w = open_writer(log, where);
        uint64_t seq = SEQ_SENTINEL;
        CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("first"), &seq));
        for (int kind = 0; kind < 7; kind++) {
            binlog_entry e[3];
            memset(e, 0, sizeof e);
            e[0].type_name = U("t");
            e[0].type_len = 1;
            e[0].payload = U("ok");
            e[0].payload_len = 2;
            e[0].timestamp_ns = BINLOG_TIME_NOW;
            e[1] = e[0];
            e[2] = e[0];
            binlog_result want = BINLOG_ERR_INVALID_UTF8;
            switch (kind) {
            case 0: /* type name not UTF-8 */
                e[2].type_name = U("\xff\xfe");
                e[2].type_len = 2;
                break;
            case 1: /* NULL type name with a length */
                e[2].type_name = NULL;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            case 2: /* NULL payload with a length */
                e[2].payload = NULL;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            case 3: /* NULL parts with a count */
                e[2].parts = NULL;
                e[2].part_count = 2;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            case 4: /* a NULL part with a length */
                e[2].parts = &null_part;
                e[2].part_count = 1;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            case 5: /* metadata key, then value, not UTF-8 */
                e[2].meta = (kind == 5) ? &bad_key : &bad_value;
                e[2].meta_count = 1;
                break;
            default: /* NULL metadata key with a length */
                e[2].meta = &null_key;
                e[2].meta_count = 1;
                want = BINLOG_ERR_NULL_POINTER;
                break;
            }
            seq = SEQ_SENTINEL;
            CHECK_ERR(binlog_writer_write_batch(w, e, 3, &seq), want, where);
            CHECK_CONTAINS(binlog_last_error(), "entry 2 of 3");
            CHECK_CONTAINS(binlog_last_error(), "no record of this call was written");
            CHECK_EQ_U(seq, SEQ_SENTINEL);
            if (kind == 5) {
                e[2].meta = &bad_value;
                CHECK_ERR(binlog_writer_write_batch(w, e, 3, &seq), want, "entry 2 of 3");
                CHECK_CONTAINS(binlog_last_error(), "no record of this call was written");
                CHECK_EQ_U(seq, SEQ_SENTINEL);
            }
            uint64_t next = SEQ_SENTINEL;
            CHECK_OK(binlog_writer_next_seq(w, &next));
            CHECK_EQ_U(next, 1);
        }
        /* One entry (binlog_writer_write_entry) is the whole call: its
         * message need not number it, but names the file. */
        binlog_entry one;
        memset(&one, 0, sizeof one);
        one.type_name = U("\xff");
        one.type_len = 1;
        one.timestamp_ns = BINLOG_TIME_NOW;
        CHECK_ERR(binlog_writer_write_entry(w, &one, &seq), BINLOG_ERR_INVALID_UTF8, where);
        CHECK_EQ_U(seq, SEQ_SENTINEL);
        CHECK_OK(binlog_writer_close(w));
        binlog_writer_free(w);
    }
}

/* A log reader's header view, taken in a segment, survives a seek that
 * stays in that segment (the reader does not move to another segment):
 * under ASan and valgrind a use of freed memory fails the test. */
static void test_log_header_survives_seek_in_segment(void) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s", path_of("header-seek"));
    CHECK(mkdir(dir, 0755) == 0);
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_content_type(o, LIT("application/x-contract-test")));
    CHECK_OK(binlog_options_add_param(o, LIT("param-key"), LIT("param-value")));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "hs", o, &w));
    binlog_options_free(o);
    for (int i = 0; i < 3; i++) {
        CHECK_OK(binlog_writer_write(w, LIT("t"), LIT("payload"), NULL));
    }
    CHECK_OK(binlog_writer_flush(w));

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(dir, "hs", &r));
    binlog_record rec;
    REQUIRE_OK(binlog_reader_next(r, &rec));
    binlog_header h;
    REQUIRE_OK(binlog_reader_header(r, &h));
    CHECK_STR(h.content_type, h.content_type_len, "application/x-contract-test");
    /* Seeks within the one segment there is. */
    CHECK_OK(binlog_reader_seek_seq(r, 1));
    CHECK_STR(h.log_name, h.log_name_len, "hs");
    CHECK_STR(h.content_type, h.content_type_len, "application/x-contract-test");
    REQUIRE(h.param_count == 1 && h.params != NULL);
    CHECK_STR(h.params[0].key, h.params[0].key_len, "param-key");
    CHECK_STR(h.params[0].value, h.params[0].value_len, "param-value");
    CHECK_OK(binlog_reader_seek_time(r, 0));
    CHECK_STR(h.content_type, h.content_type_len, "application/x-contract-test");
    CHECK_STR(h.writer, h.writer_len, "libbinlog/" "0.1.0");
    REQUIRE_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 0);
    CHECK_STR(h.params[0].value, h.params[0].value_len, "param-value");
    binlog_reader_free(r);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
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
    char dir[600];
    snprintf(dir, sizeof dir, "%s", path_of("close-race"));
    CHECK(mkdir(dir, 0755) == 0);
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
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_batch_boundary_refusal_names_entry();
    test_log_header_survives_seek_in_segment();
    test_close_while_background_callback_closes();
    return (int)check_summary();
}
