/*
 * test_repair.c: binlog_repair_plan_open / _segments / _segment / _step /
 * binlog_repair_apply / binlog_repair_plan_free / binlog_repair_accept_gap:
 * a sealed segment cut short (its seal damaged) is planned as a reseal
 * whose first step is its backup; applying the plan leaves it sealed with
 * every record readable (verify finds nothing) and the backup beside it; a
 * plan of the repaired segment has nothing to do; mid-file corruption is
 * refused without salvage and salvaged with it; the names of actions and
 * step kinds; outputs are written only on success; bad arguments are
 * refused with the right code; binlog_repair_plan_free accepts NULL.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"
#include "segments.h"

#define PTR_SENTINEL(T) ((T *)(uintptr_t)0x5e5e5e50)

/* How many files of tmpdir start with `prefix`. */
static int files_starting_with(const char *prefix) {
    DIR *d = opendir(tmpdir);
    REQUIRE(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    }
    closedir(d);
    return n;
}

/* The findings and records a verification of `p` gives. */
static void verify_counts(const char *p, uint64_t *findings, uint64_t *records) {
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(p, NULL, &v));
    binlog_finding f;
    *findings = 0;
    while (binlog_verify_next(v, &f) == BINLOG_OK) {
        *findings += 1;
    }
    CHECK_OK(binlog_verify_counts(v, NULL, records));
    binlog_verify_free(v);
}

static void test_a_cut_seal_is_resealed_with_a_backup(void) {
    const char *p = path_of("cut.binlog");
    make_segment(p, 5);
    struct stat st;
    REQUIRE(stat(p, &st) == 0);
    REQUIRE(truncate(p, st.st_size - 3) == 0);

    binlog_repair_plan *plan = NULL;
    REQUIRE_OK(binlog_repair_plan_open(p, NULL, false, NULL, &plan));
    size_t n = 0;
    CHECK_OK(binlog_repair_plan_segments(plan, &n));
    CHECK_EQ_U(n, 1);
    binlog_repair_segment s;
    REQUIRE_OK(binlog_repair_plan_segment(plan, 0, &s));
    CHECK(strcmp(s.path, p) == 0);
    CHECK_EQ_U(s.action, BINLOG_PLAN_RESEAL);
    CHECK(s.damaged);
    CHECK(s.why[0] != '\0');
    REQUIRE(s.steps >= 2);
    binlog_repair_step step;
    REQUIRE_OK(binlog_repair_plan_step(plan, 0, 0, &step));
    CHECK_EQ_U(step.kind, BINLOG_STEP_BACKUP);
    CHECK_CONTAINS(step.message, "would back up");
    int reseals = 0;
    for (size_t i = 0; i < s.steps; i++) {
        REQUIRE_OK(binlog_repair_plan_step(plan, 0, i, &step));
        reseals += step.kind == BINLOG_STEP_RESEAL;
    }
    CHECK(reseals >= 1);
    /* Planning changed nothing. */
    CHECK_EQ_U(files_starting_with("cut.binlog.backup-"), 0);

    binlog_repair_summary sum;
    memset(&sum, 0x5e, sizeof sum);
    CHECK_OK(binlog_repair_apply(plan, &sum));
    CHECK_EQ_U(sum.segments, 1);
    CHECK_EQ_U(sum.changed, 1);
    CHECK_EQ_U(sum.left_damaged, 0);
    CHECK_EQ_U(sum.errors, 0);
    binlog_repair_plan_free(plan);

    uint64_t findings = 99, records = 0;
    verify_counts(p, &findings, &records);
    CHECK_EQ_U(findings, 0);
    CHECK_EQ_U(records, 5);
    CHECK_EQ_U(files_starting_with("cut.binlog.backup-"), 1);

    REQUIRE_OK(binlog_repair_plan_open(p, NULL, false, NULL, &plan));
    REQUIRE_OK(binlog_repair_plan_segment(plan, 0, &s));
    CHECK_EQ_U(s.action, BINLOG_PLAN_NONE);
    CHECK(!s.damaged);
    CHECK_EQ_U(s.steps, 0);
    CHECK_OK(binlog_repair_apply(plan, NULL));
    binlog_repair_plan_free(plan);
}

/* Flips a bit of the first occurrence of `needle` in the file at `path`. */
static void flip_in_file(const char *path, const char *needle) {
    static char buf[1 << 16];
    FILE *f = fopen(path, "r+b");
    REQUIRE(f != NULL);
    size_t n = fread(buf, 1, sizeof buf, f);
    char *at = memmem(buf, n, needle, strlen(needle));
    REQUIRE(at != NULL);
    REQUIRE(fseek(f, (long)(at - buf), SEEK_SET) == 0);
    REQUIRE(fputc(*at ^ 0x01, f) != EOF);
    REQUIRE(fclose(f) == 0);
}

static void test_corruption_in_the_middle_is_refused_unless_salvaged(void) {
    const char *p = path_of("mid.binlog");
    make_segment(p, 5);
    flip_in_file(p, "r2");
    binlog_repair_plan *plan = NULL;
    REQUIRE_OK(binlog_repair_plan_open(p, NULL, false, NULL, &plan));
    binlog_repair_segment s;
    REQUIRE_OK(binlog_repair_plan_segment(plan, 0, &s));
    CHECK_EQ_U(s.action, BINLOG_PLAN_REFUSE);
    CHECK_CONTAINS(s.why, "refused");
    binlog_repair_summary sum;
    CHECK_OK(binlog_repair_apply(plan, &sum));
    CHECK_EQ_U(sum.changed, 0);
    CHECK_EQ_U(sum.left_damaged, 1);
    binlog_repair_plan_free(plan);
    CHECK_EQ_U(files_starting_with("mid.binlog.backup-"), 0);

    REQUIRE_OK(binlog_repair_plan_open(p, NULL, true, tmpdir, &plan));
    REQUIRE_OK(binlog_repair_plan_segment(plan, 0, &s));
    CHECK_EQ_U(s.action, BINLOG_PLAN_SALVAGE);
    int salvages = 0, cuts = 0;
    for (size_t i = 0; i < s.steps; i++) {
        binlog_repair_step step;
        REQUIRE_OK(binlog_repair_plan_step(plan, 0, i, &step));
        salvages += step.kind == BINLOG_STEP_SALVAGE;
        cuts += step.kind == BINLOG_STEP_CUT;
    }
    CHECK_EQ_U(salvages, 1);
    CHECK_EQ_U(cuts, 1);
    CHECK_OK(binlog_repair_apply(plan, &sum));
    CHECK_EQ_U(sum.changed, 1);
    CHECK_EQ_U(sum.errors, 0);
    binlog_repair_plan_free(plan);
    uint64_t findings = 99, records = 0;
    verify_counts(p, &findings, &records);
    CHECK_EQ_U(findings, 0);
    CHECK_EQ_U(records, 2);
    CHECK_EQ_U(files_starting_with("mid.binlog.backup-"), 1);
    CHECK_EQ_U(files_starting_with("mid.salvaged-"), 1);
}

static void test_actions_and_steps_are_named(void) {
    CHECK(strcmp(binlog_repair_segment_action_name(BINLOG_PLAN_NONE), "none") == 0);
    CHECK(strcmp(binlog_repair_segment_action_name(BINLOG_PLAN_REFUSE), "refused") == 0);
    CHECK(strcmp(binlog_repair_segment_action_name(BINLOG_PLAN_SALVAGE), "salvage") == 0);
    CHECK(binlog_repair_segment_action_name(BINLOG_PLAN_SALVAGE + 1) == NULL);
    CHECK(strcmp(binlog_repair_step_kind_name(BINLOG_STEP_BACKUP), "backup") == 0);
    CHECK(strcmp(binlog_repair_step_kind_name(BINLOG_STEP_START_SEGMENT), "start-segment") == 0);
    CHECK(binlog_repair_step_kind_name(BINLOG_STEP_ERROR + 1) == NULL);
    CHECK(binlog_repair_step_kind_name(UINT32_MAX) == NULL);
}

static void test_bad_arguments_are_refused_and_outputs_untouched(void) {
    binlog_repair_plan *plan = PTR_SENTINEL(binlog_repair_plan);
    CHECK_ERR(binlog_repair_plan_open(NULL, NULL, false, NULL, &plan), BINLOG_ERR_NULL_POINTER,
              "path");
    CHECK_ERR(binlog_repair_plan_open(tmpdir, NULL, false, NULL, NULL), BINLOG_ERR_NULL_POINTER,
              "out");
    CHECK_ERR(binlog_repair_plan_open(path_of("absent.binlog"), NULL, false, NULL, &plan),
              BINLOG_ERR_NOT_FOUND, "absent.binlog");
    CHECK(plan == PTR_SENTINEL(binlog_repair_plan));
    size_t n = 7;
    CHECK_ERR(binlog_repair_plan_segments(NULL, &n), BINLOG_ERR_NULL_POINTER, "repair plan");
    CHECK_EQ_U(n, 7);
    REQUIRE_OK(binlog_repair_plan_open(path_of("cut.binlog"), NULL, false, NULL, &plan));
    binlog_repair_segment s;
    memset(&s, 0x5e, sizeof s);
    binlog_repair_segment before = s;
    CHECK_ERR(binlog_repair_plan_segment(plan, 1, &s), BINLOG_ERR_INVALID_ARGUMENT, "segment 1");
    CHECK(memcmp(&before, &s, sizeof s) == 0);
    binlog_repair_step step;
    CHECK_ERR(binlog_repair_plan_step(plan, 0, 0, &step), BINLOG_ERR_INVALID_ARGUMENT, "step 0");
    CHECK_ERR(binlog_repair_plan_step(plan, 0, 0, NULL), BINLOG_ERR_NULL_POINTER, "out");
    CHECK_ERR(binlog_repair_apply(NULL, NULL), BINLOG_ERR_NULL_POINTER, "repair plan");
    binlog_repair_plan_free(plan);
    binlog_repair_plan_free(NULL);
    CHECK_ERR(binlog_repair_accept_gap(tmpdir, "log", 5, 3, NULL), BINLOG_ERR_INVALID_ARGUMENT,
              "larger than the last");
    CHECK_ERR(binlog_repair_accept_gap(tmpdir, NULL, 3, 5, NULL), BINLOG_ERR_NULL_POINTER,
              "log_name");
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_cut_seal_is_resealed_with_a_backup();
    test_corruption_in_the_middle_is_refused_unless_salvaged();
    test_actions_and_steps_are_named();
    test_bad_arguments_are_refused_and_outputs_untouched();
    return (int)check_summary();
}
