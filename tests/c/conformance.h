/*
 * conformance.h: writing what a reader read as the conformance corpus's
 * expectation files write it (tests/conformance/README.md), for the C
 * runners test_conformance.c and test_conformance_remote.c.
 *
 * put(out, fmt, a, b, c, d)  appends to the column `out` (OUT bytes).
 * runs(seqs, n, out)         sequence numbers as runs a-b, comma separated,
 *                            - for none.
 * tail_end(r, out)           the reader's end: sealed, unsealed,
 *                            seal-damaged@OFFSET, torn@OFFSET+LEN.
 * error_end(rc, out)         an error's end: error:NAME@OFFSET.
 * base_name(p, n, out)       the last part of a path or URL.
 * damages(r, file, out)      the damaged regions a reader skipped,
 *                            OBJECT:OFFSET-RESUME:FROM-TO, comma
 *                            separated, OBJECT left out where it is
 *                            `file`'s name.
 * tsv_columns(line, col)     a line's 8 columns.
 *
 * Define _XOPEN_SOURCE 700 before any include (strtok_r).
 *
 * Include it after binlog.h and check.h, in one .c file per program.
 */
#ifndef BINLOG_TEST_CONFORMANCE_H
#define BINLOG_TEST_CONFORMANCE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog.h"

#define OUT 4096

static inline void put(char *out, const char *fmt, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    size_t n = strlen(out);
    snprintf(out + n, OUT - n, fmt, a, b, c, d);
}

static inline void runs(const uint64_t *seqs, size_t n, char *out) {
    out[0] = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && seqs[j + 1] == seqs[j] + 1) j++;
        put(out, i ? ",%" PRIu64 "-%" PRIu64 : "%" PRIu64 "-%" PRIu64, seqs[i], seqs[j], 0, 0);
        i = j + 1;
    }
    if (n == 0) strcpy(out, "-");
}

static inline void tail_end(binlog_reader *r, char *out) {
    binlog_tail t;
    if (binlog_reader_tail(r, &t) != BINLOG_OK) {
        strcpy(out, "tail failed");
        return;
    }
    switch (t.kind) {
    case BINLOG_TAIL_SEALED: strcpy(out, "sealed"); break;
    case BINLOG_TAIL_UNSEALED: strcpy(out, "unsealed"); break;
    case BINLOG_TAIL_SEAL_DAMAGED: snprintf(out, OUT, "seal-damaged@%" PRIu64, t.offset); break;
    case BINLOG_TAIL_TORN: snprintf(out, OUT, "torn@%" PRIu64 "+%" PRIu64, t.offset, t.len); break;
    default: strcpy(out, "reading"); break;
    }
}

/* error:NAME@OFFSET, NAME the result's name without BINLOG_ERR_, the
 * offset the one binlog_last_error() names ("offset N: "), if any. */
static inline void error_end(binlog_result rc, char *out) {
    const char *name = binlog_result_name(rc);
    if (strncmp(name, "BINLOG_ERR_", 11) == 0) name += 11;
    const char *at = strstr(binlog_last_error(), ": offset ");
    if (at) {
        snprintf(out, OUT, "error:%s@%" PRIu64, name, (uint64_t)strtoull(at + 9, NULL, 10));
    } else {
        snprintf(out, OUT, "error:%s", name);
    }
}

/* The name of the object (or file) whose path `p` ends in, `n` bytes. */
static inline void base_name(const char *p, size_t n, char *out) {
    size_t start = n;
    while (start > 0 && p[start - 1] != '/') start--;
    snprintf(out, OUT, "%.*s", (int)(n - start), p + start);
}

/* The damages column (binlog_reader_damages2): each region
 * OBJECT:OFFSET-RESUME:FROM-TO, OBJECT the name of the file or object it
 * is in; without OBJECT: where it is `file`, the one file a segment
 * reader reads (NULL: always named). */
static inline void damages(binlog_reader *r, const char *file, char *out) {
    binlog_damage2 d[64];
    size_t n = 0;
    char in[OUT], own[OUT] = "";
    out[0] = 0;
    if (file) base_name(file, strlen(file), own);
    if (binlog_reader_damages2(r, d, 64, &n) != BINLOG_OK) n = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        base_name((const char *)d[i].path, d[i].path_len, in);
        int named = file == NULL || strcmp(in, own) != 0;
        size_t len = strlen(out);
        snprintf(out + len, OUT - len, "%s%s%s", i ? "," : "", named ? in : "", named ? ":" : "");
        put(out, "%" PRIu64 "-%" PRIu64 ":%" PRIu64 "-%" PRIu64, d[i].offset, d[i].resume_offset,
            d[i].from_seq, d[i].to_seq);
    }
    if (n == 0) strcpy(out, "-");
}

/* Splits a line of an expectations file (its newline cut) into its 8
 * tab-separated columns; how many it has. */
static inline int tsv_columns(char *line, char *col[8]) {
    char *save = NULL;
    int n = 0;
    line[strcspn(line, "\n")] = 0;
    for (char *t = strtok_r(line, "\t", &save); t && n < 8; t = strtok_r(NULL, "\t", &save)) {
        col[n++] = t;
    }
    return n;
}

#endif
