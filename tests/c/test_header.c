#define _XOPEN_SOURCE 700 /* mkdtemp, nftw (tmpdir.h) */
/* binlog_reader_header: every field a writer put in a segment's header
 * (creation time, log name, content type, writing library, segment number,
 * first sequence number, parameters) reads back through the C ABI, for a
 * segment and, segment by segment, for a rolling log; every bad call gets
 * its own code and leaves the output untouched. */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tmpdir.h"


int main(void) {
    if (make_tmpdir() != 0) return 2;
    char path[300], logdir[300];
    snprintf(path, sizeof path, "%s/seg.binlog", tmpdir);
    snprintf(logdir, sizeof logdir, "%s/log", tmpdir);

    binlog_options *o = NULL;
    CHECK_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_log_name(o, U("orders"), 6));
    CHECK_OK(binlog_options_set_content_type(o, U("application/json"), 16));
    CHECK_OK(binlog_options_add_param(o, U("host"), 4, U("db-7"), 4));
    CHECK_OK(binlog_options_add_param(o, U("schema"), 6, U(""), 0));
    CHECK_OK(binlog_options_set_segment_no(o, 42));
    CHECK_OK(binlog_options_set_first_seq(o, 1000));
    CHECK_OK(binlog_options_set_created_ns(o, 1700000000123456789LL));
    binlog_writer *w = NULL;
    CHECK_OK(binlog_writer_open(path, o, &w));
    binlog_options_free(o);
    CHECK_OK(binlog_writer_write(w, U("t"), 1, U("x"), 1, NULL));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    binlog_reader *r = NULL;
    CHECK_OK(binlog_reader_open(path, &r));
    binlog_header h;
    CHECK_OK(binlog_reader_header(r, &h));
    CHECK_EQ_U(h.major, 1);
    CHECK_EQ_I(h.created_ns, 1700000000123456789LL);
    CHECK_EQ_U(h.segment_no, 42);
    CHECK_EQ_U(h.first_seq, 1000);
    CHECK_STR(h.log_name, h.log_name_len, "orders");
    CHECK_STR(h.content_type, h.content_type_len, "application/json");
    char writer[64];
    snprintf(writer, sizeof writer, "libbinlog/%s", binlog_version());
    CHECK_STR(h.writer, h.writer_len, writer);
    REQUIRE(h.param_count == 2);
    CHECK_STR(h.params[0].key, h.params[0].key_len, "host");
    CHECK_STR(h.params[0].value, h.params[0].value_len, "db-7");
    CHECK_STR(h.params[1].key, h.params[1].key_len, "schema");
    CHECK_EQ_U(h.params[1].value_len, 0);
    /* Still valid after reading a record. */
    binlog_record rec;
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.seq, 1000);
    CHECK_STR(h.log_name, h.log_name_len, "orders");

    /* Bad calls: own codes, output untouched. */
    binlog_header before = h;
    CHECK_RC(binlog_reader_header(NULL, &h), BINLOG_ERR_NULL_POINTER);
    CHECK_RC(binlog_reader_header(r, NULL), BINLOG_ERR_NULL_POINTER);
    CHECK_OK(binlog_reader_close(r));
    CHECK_RC(binlog_reader_header(r, &h), BINLOG_ERR_CLOSED);
    CHECK_CONTAINS(binlog_last_error(), path);
    CHECK(before.created_ns == h.created_ns && before.segment_no == h.segment_no &&
          before.log_name == h.log_name && before.params == h.params && before.param_count == h.param_count);
    binlog_reader_free(r);

    /* A rolling log: each segment's own number and first seq. */
    CHECK_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_set_max_segment_records(o, 10));
    CHECK_OK(binlog_options_set_content_type(o, U("text/plain"), 10));
    CHECK_OK(binlog_writer_open_log(logdir, "ticks", o, &w));
    binlog_options_free(o);
    for (int i = 0; i < 35; i++) CHECK_OK(binlog_writer_write(w, U("t"), 1, U("y"), 1, NULL));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_OK(binlog_reader_open_log(logdir, "ticks", &r));
    CHECK_RC(binlog_reader_header(r, &h), BINLOG_ERR_NOT_FOUND);
    CHECK_CONTAINS(binlog_last_error(), "binlog_reader_next");
    uint64_t n = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        CHECK_OK(binlog_reader_header(r, &h));
        CHECK_EQ_U(h.segment_no, n / 10);
        CHECK_EQ_U(h.first_seq, n / 10 * 10);
        CHECK_STR(h.log_name, h.log_name_len, "ticks");
        CHECK_STR(h.content_type, h.content_type_len, "text/plain");
        CHECK_EQ_U(h.param_count, 0);
        CHECK(h.params == NULL);
        n++;
    }
    CHECK_EQ_U(n, 35);
    binlog_reader_free(r);

    /* Empty strings: the header's log name, content type and a parameter
     * value, and a record's type name. Each pointer points at memory (an
     * empty Rust string's address, 1, may not be passed to memcmp or memcpy
     * even with a length of 0): reading the byte there must not fault. */
    char empty_path[300];
    snprintf(empty_path, sizeof empty_path, "%s/empty.binlog", tmpdir);
    CHECK_OK(binlog_options_new(&o));
    CHECK_OK(binlog_options_add_param(o, U("k"), 1, NULL, 0));
    CHECK_OK(binlog_writer_open(empty_path, o, &w));
    binlog_options_free(o);
    CHECK_OK(binlog_writer_write(w, U(""), 0, NULL, 0, NULL));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    CHECK_OK(binlog_reader_open(empty_path, &r));
    CHECK_OK(binlog_reader_header(r, &h));
    CHECK_EQ_U(h.log_name_len + h.content_type_len, 0);
    CHECK_EQ_U(h.param_count, 1);
    const uint8_t *empties[4] = {h.log_name, h.content_type, h.param_count == 1 ? h.params[0].value : NULL, NULL};
    CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_EQ_U(rec.type_len + rec.payload_len, 0);
    empties[3] = rec.type_name;
    for (int i = 0; i < 4; i++) {
        CHECK(empties[i] != NULL);
        if (empties[i] != NULL) {
            volatile uint8_t b = *empties[i];
            (void)b;
        }
    }
    binlog_reader_free(r);

    CHECK(tmpdir_removed());
    return (int)check_summary();
}
