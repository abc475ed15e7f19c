/*
 * test_signed.c: signed logs through the C ABI (docs/FORMAT.md section
 * 8.6): binlog_keys_new writes a key pair; a log written with
 * binlog_options_set_signing_key verifies with no finding against its
 * public key (binlog_verify_trust) and gives OTHER_KEY per segment against
 * another; a record changed with its CRC recomputed is RECORDS_CHANGED;
 * the newest segment cut off is CUT_OFF against a copy of the log's signed
 * head (binlog_verify_head); a trust or head call that fails (a file that
 * is no public key or head) leaves the verification as it was; with
 * binlog_options_set_checkpoint_records the head follows every N records;
 * a log signed with a forward-secure epoch key file verifies against the
 * master key; bad arguments are refused.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _GNU_SOURCE

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

/* Log `log` in directory `dir`: 12 records, 4 a segment (3 sealed), each
 * seal signed with the secret key at `key`. */
static void write_signed_log(const char *dir, const char *log, const char *key) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_max_segment_records(o, 4));
    REQUIRE_OK(binlog_options_set_signing_key(o, key));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, log, o, &w));
    binlog_options_free(o);
    write_records(w, 12);
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

/* Verifies log `log` in `dir` against `public` (and `head`, if not NULL):
 * the number of damage findings, and of those of kind `kind`. */
static int damage(const char *dir, const char *log, const char *public, const char *head,
                  binlog_finding_kind kind, int *of_kind) {
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(dir, log, &v));
    REQUIRE_OK(binlog_verify_trust(v, public));
    if (head) REQUIRE_OK(binlog_verify_head(v, head));
    binlog_finding f;
    int n = 0;
    *of_kind = 0;
    binlog_result r;
    while ((r = binlog_verify_next(v, &f)) == BINLOG_OK) {
        n += f.damage;
        *of_kind += f.damage && f.kind == kind;
    }
    CHECK_RC(r, BINLOG_END);
    binlog_verify_free(v);
    return n;
}

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    REQUIRE(in != NULL && out != NULL);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) REQUIRE(fwrite(buf, 1, n, out) == n);
    REQUIRE(fclose(in) == 0 && fclose(out) == 0);
}

/* Flips the last payload byte of the first record of the segment at `path`
 * and recomputes that frame's CRC-32 (bitwise, as FORMAT.md defines it). */
static void change_first_record(const char *path) {
    static uint8_t b[1 << 16];
    FILE *f = fopen(path, "r+b");
    REQUIRE(f != NULL);
    size_t n = fread(b, 1, sizeof b, f);
    uint32_t at, len;
    memcpy(&at, b + 12, 4);
    memcpy(&len, b + at, 4);
    REQUIRE(at + 8 + len <= n);
    b[at + 8 + len - 1] ^= 1;
    uint32_t crc = 0xffffffffu;
    for (uint32_t i = 0; i < len; i++) {
        crc ^= b[at + 8 + i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
    }
    crc = ~crc;
    memcpy(b + at + 4, &crc, 4);
    REQUIRE(fseek(f, 0, SEEK_SET) == 0 && fwrite(b, 1, n, f) == n && fclose(f) == 0);
}

static void test_a_signed_log_verifies_against_its_key_and_names_another(void) {
    const char *dir = make_dir("clean");
    char key[4096], other[4096], pub[4200], other_pub[4200];
    snprintf(key, sizeof key, "%s/k", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    REQUIRE_OK(binlog_keys_new(key));
    REQUIRE_OK(binlog_keys_new(other));
    CHECK_RC(binlog_keys_new(key), BINLOG_ERR_ALREADY_EXISTS);
    snprintf(pub, sizeof pub, "%s.pub", key);
    snprintf(other_pub, sizeof other_pub, "%s.pub", other);
    write_signed_log(dir, "orders", key);
    int kind;
    CHECK_EQ_U(damage(dir, "orders", pub, NULL, BINLOG_FINDING_OTHER_KEY, &kind), 0);
    /* Each of the 3 seals, and the log's own head (<log>.head, checked by default). */
    CHECK_EQ_U(damage(dir, "orders", other_pub, NULL, BINLOG_FINDING_OTHER_KEY, &kind), 4);
    CHECK_EQ_U(kind, 4);
    change_first_record(segment_path(dir, "orders", 1));
    CHECK_EQ_U(damage(dir, "orders", pub, NULL, BINLOG_FINDING_RECORDS_CHANGED, &kind), 1);
    CHECK_EQ_U(kind, 1);
}

/* A forward-secure key file as `binlog keys epochs` wrote it (one epoch,
 * 1970 to 2069) and the public key of the master key that certified it. */
static const char EPOCH_KEYS[] =
    "binlog-epoch-keys-ed25519 bce5c1917cf57f98c5fa19ea3842227b0f861ce5be12596e490c344f0bc06e0a"
    " 0 3153600000000000000\n"
    "0 5ac25cced169220469401f38b2cd60d2b5de6c5779c1cbef61982a187398c7c0 "
    "ecc1b6ce14b5cde1c952ca5d61c6b97a9d89fb5d302ebb74dd3d9a451918696b"
    "2d0233bd9e5c403bc62eb034cfe67a475ebaf9b28cf1a5bbba64f839ba354f08\n";
static const char MASTER_PUBLIC_KEY[] =
    "binlog-public-key-ed25519 bce5c1917cf57f98c5fa19ea3842227b0f861ce5be12596e490c344f0bc06e0a\n";

/* Writes key file `path`, readable by its owner only (a secret key file
 * others may read is refused). */
static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0);
    REQUIRE(chmod(path, 0600) == 0);
}

static void test_a_log_signed_with_epoch_keys_verifies_against_the_master_key(void) {
    const char *dir = make_dir("epochs");
    char epochs[4096], master[4096], other[4096], other_pub[4200];
    snprintf(epochs, sizeof epochs, "%s/e", dir);
    snprintf(master, sizeof master, "%s/master.pub", dir);
    snprintf(other, sizeof other, "%s/other", dir);
    snprintf(other_pub, sizeof other_pub, "%s.pub", other);
    write_text(epochs, EPOCH_KEYS);
    write_text(master, MASTER_PUBLIC_KEY);
    REQUIRE_OK(binlog_keys_new(other));
    write_signed_log(dir, "orders", epochs);
    int kind;
    CHECK_EQ_U(damage(dir, "orders", master, NULL, BINLOG_FINDING_OTHER_KEY, &kind), 0);
    /* Each of the 3 seals, and the log's own head (<log>.head, checked by default). */
    CHECK_EQ_U(damage(dir, "orders", other_pub, NULL, BINLOG_FINDING_OTHER_KEY, &kind), 4);
    CHECK_EQ_U(kind, 4);
}

static void test_the_newest_segment_cut_off_is_found_against_a_kept_head(void) {
    const char *dir = make_dir("cut");
    char key[4096], pub[4200], head[4200], kept[4200], manifest[4200];
    snprintf(key, sizeof key, "%s/k", dir);
    snprintf(pub, sizeof pub, "%s.pub", key);
    snprintf(head, sizeof head, "%s/orders.head", dir);
    snprintf(kept, sizeof kept, "%s/kept.head", dir);
    snprintf(manifest, sizeof manifest, "%s/orders.manifest", dir);
    REQUIRE_OK(binlog_keys_new(key));
    write_signed_log(dir, "orders", key);
    copy_file(head, kept);
    int kind;
    CHECK_EQ_U(damage(dir, "orders", pub, kept, BINLOG_FINDING_CUT_OFF, &kind), 0);
    REQUIRE(unlink(segment_path(dir, "orders", 2)) == 0 && unlink(manifest) == 0);
    CHECK_EQ_U(damage(dir, "orders", pub, kept, BINLOG_FINDING_CUT_OFF, &kind), 1);
    CHECK_EQ_U(kind, 1);
}

static void test_a_failed_trust_or_head_leaves_the_verification_as_it_was(void) {
    const char *dir = make_dir("failed");
    char key[4096], pub[4200];
    snprintf(key, sizeof key, "%s/k", dir);
    snprintf(pub, sizeof pub, "%s.pub", key);
    REQUIRE_OK(binlog_keys_new(key));
    write_signed_log(dir, "orders", key);
    binlog_verify *v = NULL;
    REQUIRE_OK(binlog_verify_open(dir, "orders", &v));
    CHECK_RC(binlog_verify_head(v, pub), BINLOG_ERR_INVALID_ARGUMENT); /* before trust */
    CHECK_RC(binlog_verify_trust(v, key), BINLOG_ERR_INVALID_ARGUMENT); /* a secret key */
    CHECK_OK(binlog_verify_trust(v, pub));
    CHECK_RC(binlog_verify_head(v, pub), BINLOG_ERR_INVALID_ARGUMENT); /* no head */
    binlog_finding f;
    CHECK_RC(binlog_verify_next(v, &f), BINLOG_END);
    uint64_t segments = 0, records = 0;
    CHECK_OK(binlog_verify_counts(v, &segments, &records));
    CHECK_EQ_U(segments, 3);
    CHECK_EQ_U(records, 12);
    CHECK_RC(binlog_verify_trust(v, pub), BINLOG_ERR_INVALID_ARGUMENT); /* after next */
    binlog_verify_free(v);
    CHECK_RC(binlog_verify_trust(NULL, pub), BINLOG_ERR_NULL_POINTER);
    CHECK_RC(binlog_keys_new(NULL), BINLOG_ERR_NULL_POINTER);
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    CHECK_RC(binlog_options_set_signing_key(o, pub), BINLOG_ERR_INVALID_ARGUMENT); /* public */
    CHECK_RC(binlog_options_set_signing_key(o, NULL), BINLOG_ERR_NULL_POINTER);
    binlog_options_free(o);
}

static void test_a_checkpoint_comes_every_n_records(void) {
    const char *dir = make_dir("every");
    char key[4096], head[4200], text[1024] = {0};
    snprintf(key, sizeof key, "%s/k", dir);
    snprintf(head, sizeof head, "%s/orders.head", dir);
    REQUIRE_OK(binlog_keys_new(key));
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    REQUIRE_OK(binlog_options_set_signing_key(o, key));
    CHECK_RC(binlog_options_set_checkpoint_records(NULL, 3), BINLOG_ERR_NULL_POINTER);
    REQUIRE_OK(binlog_options_set_checkpoint_records(o, 3));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(dir, "orders", o, &w));
    binlog_options_free(o);
    write_records(w, 3);
    FILE *f = fopen(head, "r");
    CHECK(f != NULL);
    if (f) {
        CHECK(fgets(text, sizeof text, f) != NULL);
        fclose(f);
    }
    /* binlog-head-1 <log> <next seq> ...: the 3 records are covered. */
    CHECK(strncmp(text, "binlog-head-1 orders 3 ", 23) == 0);
    REQUIRE_OK(binlog_writer_close(w));
    binlog_writer_free(w);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_signed_log_verifies_against_its_key_and_names_another();
    test_a_log_signed_with_epoch_keys_verifies_against_the_master_key();
    test_the_newest_segment_cut_off_is_found_against_a_kept_head();
    test_a_failed_trust_or_head_leaves_the_verification_as_it_was();
    test_a_checkpoint_comes_every_n_records();
    return (int)check_summary();
}
