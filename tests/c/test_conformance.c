/* The conformance corpus (tests/conformance/, README.md there) read
 * through the C ABI: every line of expected.tsv read with
 * binlog_reader_open, binlog_reader_open_salvage or binlog_reader_open_log
 * must give the records, the end and the damaged regions it states, as
 * the Rust readers, the CLI and the other bindings do. The C ABI tells a
 * log's gaps by their number only (binlog_reader_gap_count). Run from the
 * repository's root (make test-c). */
#define _XOPEN_SOURCE 700 /* strtok_r */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define CORPUS "tests/conformance/"
#define OUT 4096

/* Appends to the column `out` (a string of OUT bytes). */
static void put(char *out, const char *fmt, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    size_t n = strlen(out);
    snprintf(out + n, OUT - n, fmt, a, b, c, d);
}

/* `seqs` as expected.tsv writes them: runs a-b, comma separated, - for none. */
static void runs(const uint64_t *seqs, size_t n, char *out) {
    out[0] = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && seqs[j + 1] == seqs[j] + 1) j++;
        put(out, i ? ",%" PRIu64 "-%" PRIu64 : "%" PRIu64 "-%" PRIu64, seqs[i], seqs[j], 0, 0);
        i = j + 1;
    }
    if (n == 0) strcpy(out, "-");
}

/* error:NAME@OFFSET, NAME the result's name without BINLOG_ERR_, the
 * offset the one binlog_last_error() names ("offset N: "), if any. */
static void error_end(binlog_result rc, char *out) {
    const char *name = binlog_result_name(rc);
    if (strncmp(name, "BINLOG_ERR_", 11) == 0) name += 11;
    const char *at = strstr(binlog_last_error(), ": offset ");
    if (at) {
        snprintf(out, OUT, "error:%s@%" PRIu64, name, (uint64_t)strtoull(at + 9, NULL, 10));
    } else {
        snprintf(out, OUT, "error:%s", name);
    }
}

static void tail_end(binlog_reader *r, char *out) {
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

static void damages(binlog_reader *r, char *out) {
    binlog_damage d[64];
    size_t n = 0;
    out[0] = 0;
    if (binlog_reader_damages(r, d, 64, &n) != BINLOG_OK) n = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        put(out, i ? ",%" PRIu64 "-%" PRIu64 ":%" PRIu64 "-%" PRIu64
                   : "%" PRIu64 "-%" PRIu64 ":%" PRIu64 "-%" PRIu64,
            d[i].offset, d[i].resume_offset, d[i].from_seq, d[i].to_seq);
    }
    if (n == 0) strcpy(out, "-");
}

/* Reads one case; writes its columns records, end, damages, gaps. */
static void read_case(const char *path, const char *mode, const char *filter, char cols[4][OUT]) {
    char file[1024];
    snprintf(file, sizeof file, CORPUS "%s", path);
    binlog_reader *r = NULL;
    binlog_result rc;
    if (strcmp(mode, "log") == 0) {
        rc = binlog_reader_open_log(file, "conformance", &r);
    } else if (strcmp(mode, "salvage") == 0) {
        rc = binlog_reader_open_salvage(file, &r);
    } else {
        rc = binlog_reader_open(file, &r);
    }
    strcpy(cols[2], "-");
    strcpy(cols[3], "-");
    if (rc != BINLOG_OK) {
        strcpy(cols[0], "-");
        error_end(rc, cols[1]);
        return;
    }
    if (strcmp(filter, "-") != 0) {
        binlog_iovec t = {(const uint8_t *)filter, strlen(filter)};
        CHECK_OK(binlog_reader_filter_types(r, &t, 1));
    }
    uint64_t seqs[256];
    size_t n = 0;
    binlog_record rec;
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) {
        if (n < 256) seqs[n++] = rec.seq;
    }
    runs(seqs, n, cols[0]);
    if (rc == BINLOG_END) {
        tail_end(r, cols[1]);
    } else {
        error_end(rc, cols[1]);
    }
    if (strcmp(mode, "salvage") == 0) damages(r, cols[2]);
    uint64_t gaps = 0;
    if (strcmp(mode, "log") == 0 && binlog_reader_gap_count(r, &gaps) == BINLOG_OK && gaps > 0) {
        snprintf(cols[3], OUT, "%" PRIu64 " gaps", gaps);
    }
    binlog_reader_free(r);
}

/* The gaps column as the C ABI can check it: their number. */
static void gap_count(const char *gaps, char *out) {
    if (strcmp(gaps, "-") == 0) {
        strcpy(out, "-");
        return;
    }
    unsigned n = 1;
    for (const char *p = gaps; *p; p++) n += *p == ',';
    snprintf(out, OUT, "%u gaps", n);
}

int main(void) {
    FILE *f = fopen(CORPUS "expected.tsv", "r");
    REQUIRE(f != NULL);
    static char line[8192], got[4][OUT], want_gaps[OUT];
    unsigned cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *col[8];
        char *save = NULL;
        int n = 0;
        for (char *t = strtok_r(line, "\t", &save); t && n < 8; t = strtok_r(NULL, "\t", &save)) {
            col[n++] = t;
        }
        REQUIRE(n == 8);
        read_case(col[1], col[2], col[3], got);
        gap_count(col[7], want_gaps);
        const char *want[4] = {col[4], col[5], col[6], want_gaps};
        for (int i = 0; i < 4; i++) {
            if (!CHECK(strcmp(want[i], got[i]) == 0)) {
                fprintf(stderr, "    case %s (%s %s): expected %s, got %s\n", col[0], col[2], col[1],
                        want[i], got[i]);
            }
        }
        cases++;
    }
    fclose(f);
    CHECK(cases > 20);
    return (int)check_summary();
}
