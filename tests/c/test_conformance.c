/* The conformance corpus (tests/conformance/, README.md there) read
 * through the C ABI: every line of expected.tsv read with
 * binlog_reader_open, binlog_reader_open_salvage or binlog_reader_open_log
 * must give the records, the end, the damaged regions and the gaps
 * (binlog_reader_gaps) it states, as the Rust readers, the CLI and the
 * other bindings do; and binlog_verify_* on each file must say what
 * `binlog verify` says of it (cli/tests/it/conformance_verify.rs derives the
 * same from expected.tsv). Run from the repository's root (make test-c). */
#define _XOPEN_SOURCE 700 /* strtok_r */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "conformance.h"

#define CORPUS "tests/conformance/"

/* The gaps column: FROM-TO:REASON of each gap, `-` for none. */
static void gaps(binlog_reader *r, char *out) {
    static const char *const reasons[] = {"?", "retention", "missing", "damage", "seq-jump"};
    binlog_gap g[64];
    size_t n = 0;
    out[0] = 0;
    if (binlog_reader_gaps(r, g, 64, &n) != BINLOG_OK) n = 0;
    for (size_t i = 0; i < n && i < 64; i++) {
        put(out, i ? ",%" PRIu64 "-%" PRIu64 : "%" PRIu64 "-%" PRIu64, g[i].from_seq, g[i].to_seq, 0, 0);
        size_t len = strlen(out);
        snprintf(out + len, OUT - len, ":%s", reasons[g[i].reason <= 4 ? g[i].reason : 0]);
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
    if (strcmp(mode, "salvage") == 0) damages(r, file, cols[2]);
    if (strcmp(mode, "log") == 0) gaps(r, cols[3]);
    binlog_reader_free(r);
}

/* What verify says of one file: status as `binlog verify`'s exit status
 * (0 clean, 1 damaged, 2 not a segment this library reads), the intact
 * records, and the offset of the first damage (has_issue 0: none). */
typedef struct {
    int status;
    uint64_t records;
    int has_issue;
    uint64_t issue;
} verdict;

/* One line of expected.tsv: its 8 columns. */
typedef struct {
    char *col[8];
} tsv_case;

/* The offset an end names (after its '@'), if it names one. */
static int end_offset(const char *end, uint64_t *out) {
    const char *at = strchr(end, '@');
    if (at) *out = strtoull(at + 1, NULL, 10);
    return at != NULL;
}

/* How many sequence numbers the runs a-b,c-d... hold. */
static uint64_t count_runs(const char *runs) {
    uint64_t n = 0;
    for (const char *p = runs; *p >= '0' && *p <= '9';) {
        char *dash, *next;
        uint64_t a = strtoull(p, &dash, 10), b = strtoull(dash + 1, &next, 10);
        n += b - a + 1;
        p = *next == ',' ? next + 1 : next;
    }
    return n;
}

/* What verify must say of a file, from its `open` line and its `salvage`
 * line if any (whose records are the intact ones), as
 * cli/tests/it/conformance_verify.rs derives it: the first issue is where the
 * first damaged region starts, else where the end is damaged; damage to a
 * compressed file's seek table is in no original byte (no offset). */
static verdict expected_verdict(const tsv_case *open, const tsv_case *salvage) {
    const tsv_case *read = salvage ? salvage : open;
    const char *e = open->col[5];
    verdict v = {0, count_runs(read->col[4]), 0, 0};
    if (strcmp(e, "sealed") == 0 || strcmp(e, "unsealed") == 0) return v;
    v.status = strstr(e, "NOT_A_BINLOG") || strstr(e, "UNSUPPORTED_VERSION") ? 2 : 1;
    if (v.status == 2 || strstr(e, "SEEK_TABLE") || strstr(e, "COMPRESSED_TRUNCATED")) return v;
    if (strcmp(read->col[6], "-") != 0) {
        v.has_issue = 1;
        v.issue = strtoull(read->col[6], NULL, 10);
    } else {
        v.has_issue = end_offset(read->col[5], &v.issue) || end_offset(e, &v.issue);
    }
    return v;
}

/* What binlog_verify_* says of a file: any finding of a file it cannot
 * read is status 2, else any damage 1; the first damage's offset. */
static verdict verify_file(const char *path) {
    char file[1024];
    snprintf(file, sizeof file, CORPUS "%s", path);
    verdict v = {0, 0, 0, 0};
    binlog_verify *h = NULL;
    if (!CHECK_OK(binlog_verify_open(file, NULL, &h))) return v;
    binlog_finding f;
    int damages = 0;
    while (binlog_verify_next(h, &f) == BINLOG_OK) {
        if (f.kind == BINLOG_FINDING_NOT_A_BINLOG || f.kind == BINLOG_FINDING_UNSUPPORTED_VERSION ||
            f.kind == BINLOG_FINDING_UNREADABLE) {
            v.status = 2;
        } else if (f.damage && v.status == 0) {
            v.status = 1;
        }
        if (f.damage && damages++ == 0) {
            v.has_issue = f.has_offset;
            v.issue = f.offset;
        }
    }
    CHECK_OK(binlog_verify_counts(h, NULL, &v.records));
    binlog_verify_free(h);
    return v;
}

/* binlog_verify_* on every file that has an `open` line gives the verdict
 * its lines imply. Returns the files checked. */
static unsigned check_verify(const tsv_case *cases, unsigned n) {
    unsigned files = 0;
    for (unsigned i = 0; i < n; i++) {
        const tsv_case *open = &cases[i], *salvage = NULL;
        if (strcmp(open->col[2], "open") != 0 || strcmp(open->col[3], "-") != 0) continue;
        for (unsigned j = 0; j < n; j++) {
            if (strcmp(cases[j].col[1], open->col[1]) == 0 && strcmp(cases[j].col[2], "salvage") == 0 &&
                strcmp(cases[j].col[3], "-") == 0) {
                salvage = &cases[j];
            }
        }
        verdict want = expected_verdict(open, salvage), got = verify_file(open->col[1]);
        /* An offset verify gives where none is derived (a seek table's) is not compared. */
        if (!want.has_issue && got.status != 0) got.has_issue = 0;
        int same = want.status == got.status && want.records == got.records &&
                   want.has_issue == got.has_issue && (!want.has_issue || want.issue == got.issue);
        if (!CHECK(same)) {
            fprintf(stderr,
                    "    verify %s: expected status %d, %" PRIu64 " records, issue %s%" PRIu64
                    "; got status %d, %" PRIu64 " records, issue %s%" PRIu64 "\n",
                    open->col[1], want.status, want.records, want.has_issue ? "at " : "none ", want.issue,
                    got.status, got.records, got.has_issue ? "at " : "none ", got.issue);
        }
        files++;
    }
    return files;
}

int main(void) {
    FILE *f = fopen(CORPUS "expected.tsv", "r");
    REQUIRE(f != NULL);
    static char line[8192], got[4][OUT];
    static tsv_case cases[256];
    unsigned n_cases = 0;
    while (fgets(line, sizeof line, f) && n_cases < 256) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *copy = strdup(line);
        REQUIRE(copy != NULL);
        char **col = cases[n_cases].col;
        REQUIRE(tsv_columns(copy, col) == 8);
        read_case(col[1], col[2], col[3], got);
        for (int i = 0; i < 4; i++) {
            if (!CHECK(strcmp(col[4 + i], got[i]) == 0)) {
                fprintf(stderr, "    case %s (%s %s): expected %s, got %s\n", col[0], col[2], col[1],
                        col[4 + i], got[i]);
            }
        }
        n_cases++;
    }
    fclose(f);
    CHECK(n_cases > 20);
    CHECK(check_verify(cases, n_cases) > 20);
    for (unsigned i = 0; i < n_cases; i++) free(cases[i].col[0]);
    return (int)check_summary();
}
