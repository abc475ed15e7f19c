/*
 * A program outside the libbinlog tree, built only against the installed
 * files (by Makefile through pkg-config, by CMakeLists.txt through
 * find_package): it writes two records to a segment in the directory given
 * as its argument, reads them back, and checks the loaded library's version
 * against the header's. Prints "consumer ok" and exits 0, or says what
 * differed and exits 1.
 */
#include <binlog.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what) {
    fprintf(stderr, "consumer: %s: %s\n", what, binlog_last_error());
    return 1;
}

static int write_two(const char *path) {
    binlog_writer *w;
    if (binlog_writer_open(path, NULL, &w) != BINLOG_OK) return fail("open writer");
    uint64_t seq;
    int bad = binlog_writer_write(w, (const uint8_t *)"order", 5, (const uint8_t *)"first", 5,
                                  &seq) != BINLOG_OK ||
              binlog_writer_write(w, (const uint8_t *)"order", 5, (const uint8_t *)"second", 6,
                                  &seq) != BINLOG_OK;
    if (binlog_writer_close(w) != BINLOG_OK) bad = 1;
    binlog_writer_free(w);
    return bad ? fail("write") : 0;
}

static int read_two(const char *path) {
    const char *want[] = {"first", "second"};
    binlog_reader *r;
    if (binlog_reader_open(path, &r) != BINLOG_OK) return fail("open reader");
    binlog_record rec;
    size_t n = 0;
    int differs = 0;
    binlog_result res = BINLOG_OK;
    while (!differs && (res = binlog_reader_next(r, &rec)) == BINLOG_OK) {
        differs = n >= 2 || rec.seq != n || rec.payload_len != strlen(want[n]) ||
                  memcmp(rec.payload, want[n], rec.payload_len) != 0;
        n += !differs;
    }
    binlog_reader_close(r);
    binlog_reader_free(r);
    if (differs) {
        fprintf(stderr, "consumer: record %zu is not the one written\n", n);
        return 1;
    }
    if (res != BINLOG_END) return fail("read");
    if (n != 2) {
        fprintf(stderr, "consumer: read %zu records, wrote 2\n", n);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    if (binlog_version_number() != BINLOG_VERSION_NUMBER) {
        fprintf(stderr, "consumer: loaded libbinlog %s, built against %d.%d.%d\n",
                binlog_version(), BINLOG_VERSION_MAJOR, BINLOG_VERSION_MINOR,
                BINLOG_VERSION_PATCH);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/consumer.binlog", argv[1]);
    remove(path);
    if (write_two(path) || read_two(path)) return 1;
    printf("consumer ok: libbinlog %s\n", binlog_version());
    return 0;
}
