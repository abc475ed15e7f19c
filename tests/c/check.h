/*
 * check.h: a tiny assertion helper for the libbinlog C tests.
 *
 * CHECK(cond)             counts one check; on failure prints file:line, the
 *                         condition and binlog_last_error(), and goes on.
 * CHECK_RC(call, code)    the call returned `code` (the actual code is shown).
 * CHECK_OK(call)          the call returned BINLOG_OK.
 * CHECK_EQ_U / CHECK_EQ_I unsigned / signed equality, both values shown.
 * CHECK_MEM(a, b, n)      n bytes at a and b are equal.
 * CHECK_STR(p, n, s)      the n bytes at p are the C string s.
 * CHECK_CONTAINS(s, sub)  strstr(s, sub) != NULL.
 * REQUIRE(cond)           like CHECK, but the test cannot go on without it:
 *                         it stops the program (with a non-zero status).
 * CHECK_ERR(call, code, needle)
 *                         the call returned `code` and replaced the thread's
 *                         last error with a fresh, non-empty message that
 *                         contains `needle` (unless NULL): a failing call
 *                         (prime()) leaves a stale message before it.
 * check_summary()         prints "N passed, M failed" and returns the exit
 *                         status (0 when nothing failed).
 *
 * Include it after binlog.h, in exactly one .c file per program.
 */
#ifndef BINLOG_TEST_CHECK_H
#define BINLOG_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog.h"

static unsigned check_passed_;
static unsigned check_failed_;

static inline int check_report_(int ok, const char *file, int line, const char *what) {
    if (ok) {
        check_passed_++;
        return 1;
    }
    check_failed_++;
    fprintf(stderr, "%s:%d: check failed: %s\n    binlog_last_error(): \"%s\"\n", file, line, what,
            binlog_last_error());
    return 0;
}

static inline unsigned check_summary(void) {
    printf("%u passed, %u failed\n", check_passed_, check_failed_);
    fflush(stdout);
    return check_failed_ == 0 ? 0u : 1u;
}

#define CHECK(cond) check_report_(!!(cond), __FILE__, __LINE__, #cond)

#define REQUIRE(cond)                                                                              \
    do {                                                                                           \
        if (!CHECK(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: cannot go on after this failure\n", __FILE__, __LINE__);      \
            check_summary();                                                                       \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static inline int check_rc_(binlog_result got, binlog_result want, const char *file, int line,
                     const char *call) {
    char what[512];
    snprintf(what, sizeof what, "%s returned %u, expected %u", call, (unsigned)got, (unsigned)want);
    return check_report_(got == want, file, line, what);
}

#define CHECK_RC(call, code) check_rc_((call), (code), __FILE__, __LINE__, #call)
#define CHECK_OK(call) CHECK_RC(call, BINLOG_OK)
#define REQUIRE_OK(call)                                                                           \
    do {                                                                                           \
        if (!CHECK_OK(call)) {                                                                     \
            fprintf(stderr, "%s:%d: cannot go on after this failure\n", __FILE__, __LINE__);      \
            check_summary();                                                                       \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static inline int check_eq_u_(uint64_t a, uint64_t b, const char *file, int line, const char *ea,
                       const char *eb) {
    char what[512];
    snprintf(what, sizeof what, "%s == %s (%" PRIu64 " != %" PRIu64 ")", ea, eb, a, b);
    return check_report_(a == b, file, line, what);
}

static inline int check_eq_i_(int64_t a, int64_t b, const char *file, int line, const char *ea,
                       const char *eb) {
    char what[512];
    snprintf(what, sizeof what, "%s == %s (%" PRId64 " != %" PRId64 ")", ea, eb, a, b);
    return check_report_(a == b, file, line, what);
}

#define CHECK_EQ_U(a, b) check_eq_u_((uint64_t)(a), (uint64_t)(b), __FILE__, __LINE__, #a, #b)
#define CHECK_EQ_I(a, b) check_eq_i_((int64_t)(a), (int64_t)(b), __FILE__, __LINE__, #a, #b)

static inline int check_mem_(const void *a, const void *b, size_t n, const char *file, int line,
                      const char *what) {
    int ok = n == 0 || (a != NULL && b != NULL && memcmp(a, b, n) == 0);
    return check_report_(ok, file, line, what);
}

#define CHECK_MEM(a, b, n)                                                                         \
    check_mem_((a), (b), (n), __FILE__, __LINE__, "memcmp(" #a ", " #b ", " #n ") == 0")

/* The `len` bytes at `p` are exactly the C string `s` (no NUL expected). */
static inline int check_str_(const void *p, size_t len, const char *s, const char *file, int line,
                      const char *ep) {
    char what[512];
    size_t n = strlen(s);
    int ok = len == n && (n == 0 || (p != NULL && memcmp(p, s, n) == 0));
    snprintf(what, sizeof what, "%s is \"%s\" (got %zu bytes \"%.*s\")", ep, s, len,
             (int)(p != NULL && len < 200 ? len : 0), p != NULL ? (const char *)p : "");
    return check_report_(ok, file, line, what);
}

#define CHECK_STR(p, len, s) check_str_((p), (len), (s), __FILE__, __LINE__, #p)

static inline int check_contains_(const char *s, const char *sub, const char *file, int line,
                           const char *es) {
    char what[1024];
    snprintf(what, sizeof what, "%s contains \"%s\" (it is \"%.600s\")", es, sub,
             s != NULL ? s : "(null)");
    return check_report_(s != NULL && strstr(s, sub) != NULL, file, line, what);
}

#define CHECK_CONTAINS(s, sub) check_contains_((s), (sub), __FILE__, __LINE__, #s)

/* A failing call whose message marks binlog_last_error() as stale: every
 * checked error must replace it with its own. */
#define PRIMER "binlog-stale-message-primer"
static inline void prime(void) {
    binlog_reader *r = NULL;
    if (binlog_reader_open("/nonexistent-" PRIMER "/x", &r) == BINLOG_OK) {
        binlog_reader_free(r);
    }
}

/* binlog_last_error() is a fresh, non-empty message that contains `needle`
 * (when not NULL). */
static inline void check_msg_(const char *needle, const char *file, int line, const char *call) {
    const char *msg = binlog_last_error();
    char what[600];
    snprintf(what, sizeof what, "binlog_last_error() after %s is a fresh non-empty message", call);
    check_report_(msg != NULL && msg[0] != '\0' && strstr(msg, PRIMER) == NULL, file, line, what);
    if (needle != NULL) {
        check_contains_(msg, needle, file, line, "binlog_last_error()");
    }
}

static inline void check_err_(binlog_result got, binlog_result code, const char *needle,
                              const char *file, int line, const char *call) {
    check_rc_(got, code, file, line, call);
    check_msg_(needle, file, line, call);
}

#define CHECK_ERR(call, code, needle)                                                              \
    check_err_((prime(), (call)), (code), (needle), __FILE__, __LINE__, #call)

#endif /* BINLOG_TEST_CHECK_H */
