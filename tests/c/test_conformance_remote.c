/* The conformance corpus's section 18 cases (tests/conformance/remote/,
 * expected-remote.tsv; README.md there) read through the C ABI: each
 * `remote` and `remote-salvage` line's case is shipped with
 * binlog_shipper to the versitygw that tests/with_s3_server.sh starts
 * (BINLOG_TEST_S3_*), its objects edited as the case's file says (on the
 * server's posix backend, an object is a file of its key's path), and
 * read with binlog_reader_open_log_tiered, skipping damage or not: the
 * records, the end (its error naming the object), the damaged regions
 * (object, offsets, records: binlog_reader_damages2) and the gaps
 * (reason, object, records) must be the ones the line states, as the Rust
 * readers, the CLI and verify give them (cli/tests/it/conformance_remote.rs).
 * Each line ships under a prefix of its own. Run from the repository's
 * root (make test-c). */
#define _XOPEN_SOURCE 700 /* strtok_r, setenv, mkdtemp */
#include <binlog.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "conformance.h"
#include "tmpdir.h"
#include "s3_server.h"

#define CORPUS "tests/conformance/"
#define LOG "conformance"

/* Copies every file of the corpus's remote/log/ into the directory `to`. */
static void copy_log(const char *to) {
    DIR *d = opendir(CORPUS "remote/log");
    REQUIRE(d != NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char from[1024], dest[2048];
        snprintf(from, sizeof from, CORPUS "remote/log/%s", e->d_name);
        snprintf(dest, sizeof dest, "%s/%s", to, e->d_name);
        size_t n = 0;
        uint8_t *bytes = read_file(from, &n);
        REQUIRE(bytes != NULL);
        FILE *f = fopen(dest, "wb");
        REQUIRE(f != NULL && fwrite(bytes, 1, n, f) == n && fclose(f) == 0);
        free(bytes);
    }
    closedir(d);
}

/* Ships log `conformance` in `dir` to the bucket under `prefix`, keeping
 * `keep` sealed segments locally. */
static void ship(const char *dir, const char *prefix, uint64_t keep) {
    binlog_ship_options *o = server_options(prefix, keep);
    binlog_shipper *s = NULL;
    REQUIRE_OK(binlog_shipper_open(dir, LOG, o, &s));
    binlog_ship_options_free(o);
    binlog_ship_report r;
    REQUIRE_OK(binlog_shipper_ship_once(s, &r));
    REQUIRE(r.uploaded == 3);
    binlog_shipper_free(s);
}

/* The file holding object NAME of the log under `prefix`. */
static void object_file(const char *prefix, const char *name, char *out, size_t cap) {
    snprintf(out, cap, "%s/%s/%s/" LOG "/%s", env("BINLOG_TEST_S3_ROOT"),
             env("BINLOG_TEST_S3_BUCKET"), prefix, name);
}

/* Makes one edit of a case's file (README.md): remove, cut, grow, flip
 * or rename an object, its metadata unchanged. */
static void edit(const char *prefix, const char *what, const char *name, const char *arg) {
    char file[2048], other[2048];
    object_file(prefix, name, file, sizeof file);
    if (strcmp(what, "remove") == 0) {
        REQUIRE(unlink(file) == 0);
    } else if (strcmp(what, "cut") == 0) {
        REQUIRE(truncate(file, (off_t)strtoull(arg, NULL, 10)) == 0);
    } else if (strcmp(what, "grow") == 0) {
        struct stat st;
        REQUIRE(stat(file, &st) == 0);
        REQUIRE(truncate(file, st.st_size + (off_t)strtoull(arg, NULL, 10)) == 0);
    } else if (strcmp(what, "flip") == 0) {
        FILE *f = fopen(file, "r+b");
        REQUIRE(f != NULL);
        REQUIRE(fseek(f, (long)strtoull(arg, NULL, 10), SEEK_SET) == 0);
        int c = fgetc(f);
        REQUIRE(c != EOF && fseek(f, -1, SEEK_CUR) == 0 && fputc(c ^ 1, f) != EOF);
        REQUIRE(fclose(f) == 0);
    } else if (strcmp(what, "rename") == 0) {
        object_file(prefix, arg, other, sizeof other);
        REQUIRE(rename(file, other) == 0);
    } else {
        fprintf(stderr, "unknown edit %s\n", what);
        REQUIRE(0);
    }
}

/* Ships the case of file `path` (under the corpus) from `dir` to `prefix`
 * and makes its edits. */
static void set_up(const char *path, const char *dir, const char *prefix) {
    char file[1024], line[1024];
    snprintf(file, sizeof file, CORPUS "%s", path);
    FILE *f = fopen(file, "r");
    REQUIRE(f != NULL);
    copy_log(dir);
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        line[strcspn(line, "\n")] = 0;
        char *save = NULL;
        char *what = strtok_r(line, " ", &save);
        char *name = strtok_r(NULL, " ", &save);
        char *arg = strtok_r(NULL, " ", &save);
        if (strcmp(what, "keep-local") == 0) {
            ship(dir, prefix, strtoull(name, NULL, 10));
        } else {
            edit(prefix, what, name, arg);
        }
    }
    fclose(f);
}

/* error:NAME@OFFSET:OBJECT, the object the one binlog_last_error() names
 * before ": offset". */
static void remote_error_end(binlog_result rc, char *out) {
    char object[OUT] = "?";
    const char *msg = binlog_last_error();
    const char *url = strstr(msg, "s3://");
    const char *at = url ? strstr(url, ": offset ") : NULL;
    if (at) base_name(url, (size_t)(at - url), object);
    error_end(rc, out);
    size_t n = strlen(out);
    snprintf(out + n, OUT - n, ":%s", object);
}

static const char *reason_name(binlog_gap_reason r) {
    switch (r) {
    case BINLOG_GAP_RETENTION: return "retention";
    case BINLOG_GAP_MISSING: return "missing";
    case BINLOG_GAP_DAMAGE: return "damage";
    case BINLOG_GAP_SEQ_JUMP: return "seq-jump";
    default: return "?";
    }
}

/* The gaps column: REASON:OBJECT:FROM-TO. */
static void gaps(binlog_reader *r, char *out) {
    binlog_gap g[16];
    size_t n = 0;
    strcpy(out, "-");
    if (binlog_reader_gaps(r, g, 16, &n) != BINLOG_OK || n == 0) return;
    out[0] = 0;
    for (size_t i = 0; i < n && i < 16; i++) {
        char object[OUT];
        base_name((const char *)g[i].path, g[i].path_len, object);
        char from[32] = "?", to[32] = "?";
        if (g[i].has_from_seq) snprintf(from, sizeof from, "%" PRIu64, g[i].from_seq);
        if (g[i].has_to_seq) snprintf(to, sizeof to, "%" PRIu64, g[i].to_seq);
        size_t len = strlen(out);
        snprintf(out + len, OUT - len, "%s%s:%s:%s-%s", i ? "," : "", reason_name(g[i].reason),
                 object, from, to);
    }
}

/* Reads the shipped case under `prefix` with its local directory `dir`;
 * writes the columns records, end, damages, gaps. */
static void read_case(const char *dir, const char *prefix, int salvage, char cols[4][OUT]) {
    char remote[1024];
    snprintf(remote, sizeof remote, "s3://%s/%s", env("BINLOG_TEST_S3_BUCKET"), prefix);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log_tiered(dir, LOG, remote, &r));
    CHECK_OK(binlog_reader_skip_damaged(r, salvage));
    uint64_t seqs[64];
    size_t n = 0;
    binlog_record rec;
    binlog_result rc;
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) {
        if (n < 64) seqs[n++] = rec.seq;
    }
    runs(seqs, n, cols[0]);
    if (rc == BINLOG_END) {
        tail_end(r, cols[1]);
    } else {
        remote_error_end(rc, cols[1]);
    }
    damages(r, NULL, cols[2]);
    gaps(r, cols[3]);
    binlog_reader_free(r);
}

int main(void) {
    if (make_tmpdir() != 0) return 2;
    /* The tiered reader finds the server as `binlog` does: from the environment. */
    setenv("AWS_ENDPOINT_URL", env("BINLOG_TEST_S3_ENDPOINT"), 1);
    setenv("AWS_REGION", env("BINLOG_TEST_S3_REGION"), 1);
    setenv("AWS_ACCESS_KEY_ID", env("BINLOG_TEST_S3_ACCESS_KEY"), 1);
    setenv("AWS_SECRET_ACCESS_KEY", env("BINLOG_TEST_S3_SECRET_KEY"), 1);
    FILE *f = fopen(CORPUS "expected-remote.tsv", "r");
    REQUIRE(f != NULL);
    static char line[8192], got[4][OUT];
    unsigned cases = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *col[8];
        REQUIRE(tsv_columns(line, col) == 8);
        int salvage = strcmp(col[2], "remote-salvage") == 0;
        if (!salvage && strcmp(col[2], "remote") != 0) continue; /* `cat`: the tool's */
        char prefix[256], dir[1024];
        snprintf(prefix, sizeof prefix, "%s-%u", strrchr(tmpdir, '/') + 1, cases);
        snprintf(dir, sizeof dir, "%s", path_of(prefix));
        REQUIRE(mkdir(dir, 0700) == 0);
        set_up(col[1], dir, prefix);
        read_case(dir, prefix, salvage, got);
        const char *want[4] = {col[4], col[5], col[6], col[7]};
        for (int i = 0; i < 4; i++) {
            if (!CHECK(strcmp(want[i], got[i]) == 0)) {
                fprintf(stderr, "    case %s (%s): expected %s, got %s\n", col[0], col[2], want[i],
                        got[i]);
            }
        }
        cases++;
    }
    fclose(f);
    CHECK(cases >= 16);
    return (int)check_summary();
}
