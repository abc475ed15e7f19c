#define _XOPEN_SOURCE 700 /* mkdtemp, nftw (tmpdir.h) */
/* Skipping damaged regions through the C ABI: by default a reader stops at
 * corruption in the middle with BINLOG_ERR_CORRUPT naming the file and
 * offset; with binlog_reader_skip_damaged it resumes at the next valid
 * record and binlog_reader_damages reports what it skipped
 * (binlog_reader_damages2: and the file it is in). */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tmpdir.h"

/* Writes 20 records, flushes, and copies the unsealed file to `copy`. */
static void make_segment(const char *path, const char *copy, uint64_t offsets[20]) {
    binlog_writer *w = NULL;
    CHECK_OK(binlog_writer_open(path, NULL, &w));
    for (int i = 0; i < 20; i++) {
        char p[32];
        int n = snprintf(p, sizeof p, "payload %d", i);
        CHECK_OK(binlog_writer_write(w, (const uint8_t *)"t", 1, (const uint8_t *)p, (size_t)n, NULL));
    }
    CHECK_OK(binlog_writer_flush(w));
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, copy);
    CHECK(system(cmd) == 0);
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    binlog_reader *r = NULL;
    CHECK_OK(binlog_reader_open(copy, &r));
    binlog_record rec;
    for (int i = 0; i < 20; i++) {
        CHECK_OK(binlog_reader_next(r, &rec));
        offsets[i] = rec.offset;
    }
    binlog_reader_free(r);
}

static void flip(const char *path, uint64_t at) {
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f == NULL) return;
    fseek(f, (long)at, SEEK_SET);
    int c = fgetc(f);
    fseek(f, (long)at, SEEK_SET);
    fputc(c ^ 0x40, f);
    fclose(f);
}

/* The damaged region main makes (a byte of record 7 flipped), as binlog_damage or binlog_damage2 d
 * reports it: bytes [off[7], off[8]) and records [7, 8) lost. A macro, so that a failure names its line. */
#define CHECK_FLIPPED_REGION(d, off)             \
    do {                                         \
        CHECK_EQ_U((d).offset, (off)[7]);        \
        CHECK_EQ_U((d).resume_offset, (off)[8]); \
        CHECK_EQ_U((d).from_seq, 7);             \
        CHECK_EQ_U((d).to_seq, 8);               \
    } while (0)

int main(void) {
    if (make_tmpdir() != 0) return 2;
    char path[300], copy[300];
    snprintf(path, sizeof path, "%s/seg.binlog", tmpdir);
    snprintf(copy, sizeof copy, "%s/copy.binlog", tmpdir);
    uint64_t off[20];
    make_segment(path, copy, off);
    flip(copy, off[7] + 12);

    /* Default: records 0..6, then an error naming the file and offset. */
    binlog_reader *r = NULL;
    binlog_record rec;
    CHECK_OK(binlog_reader_open(copy, &r));
    for (int i = 0; i < 7; i++) CHECK_OK(binlog_reader_next(r, &rec));
    CHECK_RC(binlog_reader_next(r, &rec), BINLOG_ERR_CORRUPT);
    char want[64];
    snprintf(want, sizeof want, "offset %llu", (unsigned long long)off[7]);
    CHECK_CONTAINS(binlog_last_error(), want);
    CHECK_CONTAINS(binlog_last_error(), copy);
    binlog_reader_free(r);

    /* Skipping: every other record, and one damage record. */
    CHECK_OK(binlog_reader_open(copy, &r));
    CHECK_RC(binlog_reader_skip_damaged(NULL, true), BINLOG_ERR_NULL_POINTER);
    CHECK_OK(binlog_reader_skip_damaged(r, true));
    uint64_t expect = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        if (expect == 7) expect = 8;
        CHECK_EQ_U(rec.seq, expect);
        char p[32];
        int n = snprintf(p, sizeof p, "payload %llu", (unsigned long long)rec.seq);
        CHECK_EQ_U(rec.payload_len, (size_t)n);
        CHECK_MEM(rec.payload, p, (size_t)n);
        expect++;
    }
    CHECK_EQ_U(expect, 20);
    size_t count = 99;
    CHECK_RC(binlog_reader_damages(r, NULL, 1, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_EQ_U(count, 99); /* untouched on failure */
    CHECK_OK(binlog_reader_damages(r, NULL, 0, &count));
    CHECK_EQ_U(count, 1);
    binlog_damage d[2];
    memset(d, 0, sizeof d);
    CHECK_OK(binlog_reader_damages(r, d, 2, &count));
    CHECK_EQ_U(count, 1);
    CHECK_FLIPPED_REGION(d[0], off);
    /* binlog_reader_damages2: the same region, naming the file it is in. */
    binlog_damage2 d2[2];
    memset(d2, 0, sizeof d2);
    count = 99;
    CHECK_RC(binlog_reader_damages2(r, NULL, 1, &count), BINLOG_ERR_NULL_POINTER);
    CHECK_EQ_U(count, 99);
    CHECK_OK(binlog_reader_damages2(r, d2, 2, &count));
    CHECK_EQ_U(count, 1);
    CHECK_FLIPPED_REGION(d2[0], off);
    CHECK_EQ_U(d2[0].path_len, strlen(copy));
    CHECK_MEM(d2[0].path, copy, strlen(copy));
    CHECK_OK(binlog_reader_close(r));
    CHECK_RC(binlog_reader_damages2(r, d2, 2, &count), BINLOG_ERR_CLOSED);
    CHECK_RC(binlog_reader_skip_damaged(r, false), BINLOG_ERR_CLOSED);
    binlog_reader_free(r);

    /* A damaged header: refused by binlog_reader_open, read past by
     * binlog_reader_open_salvage, which reports it as a damaged region. */
    flip(path, 20); /* inside the header's creation time: CRC mismatch */
    CHECK_RC(binlog_reader_open(path, &r), BINLOG_ERR_CORRUPT_HEADER);
    CHECK_RC(binlog_reader_open_salvage(path, NULL), BINLOG_ERR_NULL_POINTER);
    CHECK_OK(binlog_reader_open_salvage(path, &r));
    uint64_t n = 0;
    while (binlog_reader_next(r, &rec) == BINLOG_OK) {
        CHECK_EQ_U(rec.seq, n);
        n++;
    }
    CHECK_EQ_U(n, 20);
    CHECK_OK(binlog_reader_damages(r, d, 2, &count));
    CHECK_EQ_U(count, 1);
    CHECK_EQ_U(d[0].offset, 0);
    CHECK_EQ_U(d[0].resume_offset, off[0]);
    CHECK_OK(binlog_reader_damages2(r, d2, 2, &count));
    CHECK_EQ_U(count, 1);
    CHECK_EQ_U(d2[0].offset, 0);
    CHECK_EQ_U(d2[0].path_len, strlen(path));
    CHECK_MEM(d2[0].path, path, strlen(path));
    binlog_reader_free(r);

    return (int)check_summary();
}
