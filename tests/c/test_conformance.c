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
#include "conformance.h"

#define CORPUS "tests/conformance/"

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
        char *col[8];
        REQUIRE(tsv_columns(line, col) == 8);
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
