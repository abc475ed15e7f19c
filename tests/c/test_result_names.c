/*
 * test_result_names.c: binlog_result_name and binlog_result_description
 * for every result code the header declares (read from include/binlog.h
 * itself, so a code added later is checked too): each name is the
 * constant's own, names are distinct, descriptions are non-empty and
 * distinct, and a number that is no code gets the fixed unknown string.
 *
 * Run from the repository's root (as `make test-c` does). Exits 0 when
 * every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog.h"
#include "check.h"

#define MAX_CODES 256
#define UNKNOWN "BINLOG_UNKNOWN_RESULT"

struct code {
    char name[64];
    unsigned value;
};

/* The constants of `enum binlog_result` in the header, in order; returns
 * how many (0 if the header cannot be read or holds no such enum). */
static size_t header_codes(const char *path, struct code *out, size_t cap) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[512];
    int inside = 0;
    size_t n = 0;
    while (fgets(line, sizeof line, f) != NULL && n < cap) {
        if (!inside) {
            inside = strncmp(line, "enum binlog_result", 18) == 0 &&
                     (line[18] == '\n' || line[18] == ' ');
            continue;
        }
        if (strncmp(line, "};", 2) == 0) {
            break;
        }
        if (sscanf(line, " %63[A-Z0-9_] = %u,", out[n].name, &out[n].value) == 2) {
            n++;
        }
    }
    fclose(f);
    return n;
}

int main(void) {
    static struct code codes[MAX_CODES];
    size_t n = header_codes("include/binlog.h", codes, MAX_CODES);
    /* BINLOG_OK through BINLOG_ERR_SEALED at least. */
    REQUIRE(n >= 24);

    for (size_t i = 0; i < n; i++) {
        const char *name = binlog_result_name(codes[i].value);
        const char *desc = binlog_result_description(codes[i].value);
        REQUIRE(name != NULL && desc != NULL);
        if (!CHECK(strcmp(name, codes[i].name) == 0)) {
            fprintf(stderr, "    code %u: name \"%s\", header \"%s\"\n", codes[i].value, name,
                    codes[i].name);
        }
        CHECK(desc[0] != '\0' && strcmp(desc, UNKNOWN) != 0);
        for (size_t j = 0; j < i; j++) {
            CHECK(codes[j].value != codes[i].value);
            CHECK(strcmp(binlog_result_name(codes[j].value), name) != 0);
            CHECK(strcmp(binlog_result_description(codes[j].value), desc) != 0);
        }
    }
    CHECK(strcmp(binlog_result_name(BINLOG_ERR_SEALED), "BINLOG_ERR_SEALED") == 0);
    CHECK(strcmp(binlog_result_name(BINLOG_OK), "BINLOG_OK") == 0);

    /* Numbers that are no code: one past the last, and far out. */
    unsigned unknown[] = {(unsigned)n, 1000u, 0xffffffffu};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK(strcmp(binlog_result_name(unknown[i]), UNKNOWN) == 0);
        CHECK(strcmp(binlog_result_description(unknown[i]), UNKNOWN) == 0);
    }

    /* The name of a failed call's code, as a caller would print it. */
    binlog_reader *r = NULL;
    binlog_result rc = binlog_reader_open("/nonexistent-dir-of-test-result-names/x.binlog", &r);
    CHECK_EQ_U(rc, BINLOG_ERR_NOT_FOUND);
    CHECK(strcmp(binlog_result_name(rc), "BINLOG_ERR_NOT_FOUND") == 0);
    return (int)check_summary();
}
