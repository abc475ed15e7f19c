#define _XOPEN_SOURCE 700 /* mkdtemp, nftw (tmpdir.h) */
/* A compressed segment (.binlog.zst) read through the C ABI as the plain
 * segment it came from: the golden tests/vectors/sealed-basic.binlog.zst
 * gives the records of sealed-basic.binlog (seq, time, offset, type,
 * payload, metadata), the same after a seek and through a type filter; a
 * frame whose compressed bytes are damaged returns BINLOG_ERR_CORRUPT_FRAME
 * naming the frame, and with skip_damaged costs only its records, reported
 * as a damaged region; the same records with frames decompressed ahead
 * (binlog_reader_decode_threads). Run from the repository's root (as make
 * test-c does). */
#include <binlog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tmpdir.h"

#define PLAIN "tests/vectors/sealed-basic.binlog"
#define COMPRESSED "tests/vectors/sealed-basic.binlog.zst"
#define MAX 64

/* The threads each reader decompresses ahead on (binlog_reader_decode_threads). */
static uint32_t decode_threads = 0;

struct rec {
    uint64_t seq, offset;
    int64_t ts;
    char type[32];
    uint8_t payload[256];
    size_t payload_len, meta_count;
};

static void copy_rec(const binlog_record *r, struct rec *out) {
    memset(out, 0, sizeof *out);
    out->seq = r->seq;
    out->offset = r->offset;
    out->ts = r->timestamp_ns;
    REQUIRE(r->type_len < sizeof out->type && r->payload_len <= sizeof out->payload);
    memcpy(out->type, r->type_name, r->type_len);
    memcpy(out->payload, r->payload, r->payload_len);
    out->payload_len = r->payload_len;
    out->meta_count = r->meta_count;
}

/* Reads `path` from its start (after a seek to `seek` unless it is
 * UINT64_MAX, only type `type` unless NULL, skipping damage if `skip`)
 * into `out`; returns how many records, the last result in `*last`. */
static size_t read_all(const char *path, uint64_t seek, const char *type, int skip, struct rec *out,
                       binlog_result *last, binlog_damage *damage, size_t *damages) {
    binlog_reader *r = NULL;
    CHECK_OK(binlog_reader_open(path, &r));
    REQUIRE(r != NULL);
    if (skip) CHECK_OK(binlog_reader_skip_damaged(r, true));
    CHECK_OK(binlog_reader_decode_threads(r, decode_threads));
    if (seek != UINT64_MAX) CHECK_OK(binlog_reader_seek_seq(r, seek));
    if (type) {
        binlog_iovec t = {.base = U(type), .len = strlen(type)};
        CHECK_OK(binlog_reader_filter_types(r, &t, 1));
    }
    size_t n = 0;
    binlog_record rec;
    binlog_result rc;
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) {
        REQUIRE(n < MAX);
        copy_rec(&rec, &out[n++]);
    }
    *last = rc;
    if (damages) CHECK_OK(binlog_reader_damages(r, damage, 1, damages));
    CHECK_OK(binlog_reader_close(r));
    binlog_reader_free(r);
    return n;
}

static int same(const struct rec *a, const struct rec *b) {
    return a->seq == b->seq && a->offset == b->offset && a->ts == b->ts && strcmp(a->type, b->type) == 0 &&
           a->payload_len == b->payload_len && memcmp(a->payload, b->payload, a->payload_len) == 0 &&
           a->meta_count == b->meta_count;
}

static void check_same(const struct rec *a, size_t na, const struct rec *b, size_t nb) {
    CHECK_EQ_U(na, nb);
    for (size_t i = 0; i < na && i < nb; i++) CHECK(same(&a[i], &b[i]));
}

/* Flips bytes in the middle of zstd frame `index` of the file at `path`
 * (frames found by their magic number; the golden file's data holds none
 * elsewhere, which the count checks). */
static void damage_frame(const char *path, int index) {
    size_t n = 0;
    uint8_t *bytes = read_file(path, &n);
    REQUIRE(bytes != NULL);
    static const uint8_t magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    size_t starts[32];
    int count = 0;
    for (size_t i = 0; i + 4 <= n && count < 32; i++)
        if (memcmp(bytes + i, magic, 4) == 0) starts[count++] = i;
    CHECK_EQ_U((uint64_t)count, 16); /* the golden file's frames (FORMAT.md 17.4) */
    REQUIRE(count > index + 1);
    size_t mid = (starts[index] + starts[index + 1]) / 2;
    for (size_t i = mid; i < mid + 3; i++) bytes[i] ^= 0x5a;
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL);
    REQUIRE(fwrite(bytes, 1, n, f) == n);
    fclose(f);
    free(bytes);
}

int main(void) {
    if (make_tmpdir() != 0) return 2;
    static struct rec plain[MAX], zst[MAX];
    binlog_result last;

    size_t np = read_all(PLAIN, UINT64_MAX, NULL, 0, plain, &last, NULL, NULL);
    CHECK_RC(last, BINLOG_END);
    REQUIRE(np >= 4);
    size_t nz = read_all(COMPRESSED, UINT64_MAX, NULL, 0, zst, &last, NULL, NULL);
    CHECK_RC(last, BINLOG_END);
    check_same(plain, np, zst, nz);
    /* The same with frames decompressed ahead on 3 threads. */
    decode_threads = 3;
    nz = read_all(COMPRESSED, UINT64_MAX, NULL, 0, zst, &last, NULL, NULL);
    CHECK_RC(last, BINLOG_END);
    check_same(plain, np, zst, nz);
    decode_threads = 0;
    CHECK_RC(binlog_reader_decode_threads(NULL, 2), BINLOG_ERR_NULL_POINTER);

    /* A seek to the middle, and one type alone. */
    uint64_t mid = plain[np / 2].seq;
    np = read_all(PLAIN, mid, NULL, 0, plain, &last, NULL, NULL);
    nz = read_all(COMPRESSED, mid, NULL, 0, zst, &last, NULL, NULL);
    CHECK_EQ_U(zst[0].seq, mid);
    check_same(plain, np, zst, nz);
    np = read_all(PLAIN, UINT64_MAX, NULL, 0, plain, &last, NULL, NULL);
    const char *type = plain[1].type;
    static struct rec plain_t[MAX], zst_t[MAX];
    size_t npt = read_all(PLAIN, UINT64_MAX, type, 0, plain_t, &last, NULL, NULL);
    size_t nzt = read_all(COMPRESSED, UINT64_MAX, type, 0, zst_t, &last, NULL, NULL);
    CHECK(npt > 0 && npt < np);
    check_same(plain_t, npt, zst_t, nzt);

    /* Frame 2 holds the second group of records (FORMAT.md 17.4). */
    size_t len = 0;
    uint8_t *golden = read_file(COMPRESSED, &len);
    REQUIRE(golden != NULL);
    const char *damaged = path_of("damaged.binlog.zst");
    FILE *f = fopen(damaged, "wb");
    REQUIRE(f != NULL && fwrite(golden, 1, len, f) == len);
    fclose(f);
    free(golden);
    damage_frame(damaged, 2);

    binlog_reader *r = NULL;
    CHECK_OK(binlog_reader_open(damaged, &r));
    binlog_record rec;
    binlog_result rc;
    while ((rc = binlog_reader_next(r, &rec)) == BINLOG_OK) {
    }
    CHECK_RC(rc, BINLOG_ERR_CORRUPT_FRAME);
    CHECK_CONTAINS(binlog_last_error(), "frame 2");
    CHECK_CONTAINS(binlog_last_error(), "damaged.binlog.zst");
    CHECK_OK(binlog_reader_close(r));
    binlog_reader_free(r);

    binlog_damage d;
    size_t nd = 0;
    nz = read_all(damaged, UINT64_MAX, NULL, 1, zst, &last, &d, &nd);
    CHECK_RC(last, BINLOG_END);
    CHECK_EQ_U(nd, 1);
    CHECK(nz > 0 && nz < np);
    /* Every record read is the plain segment's; those lost are the ones
     * the damaged region reports. */
    size_t k = 0;
    for (size_t i = 0; i < np; i++) {
        int lost = plain[i].seq >= d.from_seq && plain[i].seq < d.to_seq;
        CHECK(lost == (plain[i].offset >= d.offset && plain[i].offset < d.resume_offset));
        if (!lost) {
            REQUIRE(k < nz);
            CHECK(same(&plain[i], &zst[k]));
            k++;
        }
    }
    CHECK_EQ_U(k, nz);
    CHECK(d.to_seq > d.from_seq);
    return check_summary();
}
