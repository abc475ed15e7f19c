/*
 * test_schema.c: type schemas through the C ABI. A writer's options declare
 * them (binlog_options_add_type_schema); a reader finds each in the header
 * of its record's segment (binlog_reader_type_schema), equal to what was
 * declared; a type without one is BINLOG_ERR_NOT_FOUND; unusable schemas are
 * refused when added, with their codes and the type's name, and leave the
 * options as they were.
 *
 * Every file lives in a fresh mkdtemp directory (tmpdir.h), removed at the
 * end. Exits 0 when every check passed; prints "N passed, M failed".
 */
#define _XOPEN_SOURCE 700

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog.h"
#include "check.h"
#include "tmpdir.h"

/* A FileDescriptorSet declaring shop.Order: file { package "shop",
 * message_type { name "Order" } }. */
static const uint8_t DESCRIPTOR_SET[] = {0x0a, 0x0f, 0x12, 0x04, 's', 'h', 'o', 'p', 0x22, 0x07,
                                         0x0a, 0x05, 'O', 'r', 'd', 'e', 'r'};

static binlog_type_schema schema(const char *type, const char *encoding, const char *schema_encoding,
                                 const char *name, const uint8_t *bytes, size_t len) {
    binlog_type_schema s = {(const uint8_t *)type, strlen(type), (const uint8_t *)encoding,
                            strlen(encoding), (const uint8_t *)schema_encoding, strlen(schema_encoding),
                            (const uint8_t *)name, strlen(name), bytes, len};
    return s;
}

static int same(const uint8_t *p, size_t n, const void *want, size_t want_len) {
    return n == want_len && memcmp(p, want, n) == 0;
}

static void test_a_reader_gets_back_each_declared_schema(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    binlog_type_schema order = schema("order", "protobuf", "protobuf", "shop.Order", DESCRIPTOR_SET,
                                      sizeof DESCRIPTOR_SET);
    binlog_type_schema event = schema("event", "cbor", "", "", NULL, 0);
    CHECK_OK(binlog_options_add_type_schema(o, &order));
    CHECK_OK(binlog_options_add_type_schema(o, &event));
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(tmpdir, "shop", o, &w));
    binlog_options_free(o);
    CHECK_OK(binlog_writer_write(w, (const uint8_t *)"order", 5, (const uint8_t *)"\x08\x01", 2, NULL));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);

    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(tmpdir, "shop", &r));
    binlog_type_schema got;
    CHECK_ERR(binlog_reader_type_schema(r, (const uint8_t *)"order", 5, &got), BINLOG_ERR_NOT_FOUND,
              "order");
    binlog_record rec;
    REQUIRE_OK(binlog_reader_next(r, &rec));
    REQUIRE_OK(binlog_reader_type_schema(r, (const uint8_t *)"order", 5, &got));
    CHECK(same(got.type_name, got.type_len, "order", 5));
    CHECK(same(got.encoding, got.encoding_len, "protobuf", 8));
    CHECK(same(got.schema_encoding, got.schema_encoding_len, "protobuf", 8));
    CHECK(same(got.schema_name, got.schema_name_len, "shop.Order", 10));
    CHECK(same(got.schema, got.schema_len, DESCRIPTOR_SET, sizeof DESCRIPTOR_SET));
    REQUIRE_OK(binlog_reader_type_schema(r, (const uint8_t *)"event", 5, &got));
    CHECK(same(got.encoding, got.encoding_len, "cbor", 4));
    CHECK(got.schema_len == 0 && got.schema != NULL);
    CHECK_ERR(binlog_reader_type_schema(r, (const uint8_t *)"other", 5, &got), BINLOG_ERR_NOT_FOUND,
              "\"other\" has no schema");
    binlog_header h;
    REQUIRE_OK(binlog_reader_header(r, &h));
    CHECK_EQ_U(h.minor, 1);
    CHECK_ERR(binlog_reader_type_schema(r, (const uint8_t *)"order", 5, NULL), BINLOG_ERR_NULL_POINTER, "");
    binlog_reader_free(r);
}

static void test_unusable_schemas_are_refused_with_their_codes(void) {
    binlog_options *o = NULL;
    REQUIRE_OK(binlog_options_new(&o));
    binlog_type_schema missing = schema("order", "protobuf", "protobuf", "shop.Refund", DESCRIPTOR_SET,
                                        sizeof DESCRIPTOR_SET);
    CHECK_ERR(binlog_options_add_type_schema(o, &missing), BINLOG_ERR_INVALID_SCHEMA, "shop.Refund");
    static const uint8_t garbage[] = {0x0a, 0xff};
    binlog_type_schema broken = schema("order", "protobuf", "protobuf", "shop.Order", garbage, 2);
    CHECK_ERR(binlog_options_add_type_schema(o, &broken), BINLOG_ERR_INVALID_SCHEMA, "\"order\"");
    binlog_type_schema yaml = schema("conf", "yaml", "", "", NULL, 0);
    CHECK_ERR(binlog_options_add_type_schema(o, &yaml), BINLOG_ERR_INVALID_SCHEMA, "yaml");
    size_t big_len = (size_t)1 << 20;
    uint8_t *big = malloc(big_len);
    REQUIRE(big != NULL);
    memset(big, ' ', big_len);
    big[0] = '{';
    big[big_len - 1] = '}';
    binlog_type_schema huge = schema("blob", "json", "jsonschema", "", big, big_len);
    CHECK_ERR(binlog_options_add_type_schema(o, &huge), BINLOG_ERR_SCHEMA_TOO_LARGE, "exceeds");
    free(big);
    CHECK_ERR(binlog_options_add_type_schema(o, NULL), BINLOG_ERR_NULL_POINTER, "schema");
    /* Nothing refused stayed: the options write a 1.0 header. */
    binlog_writer *w = NULL;
    REQUIRE_OK(binlog_writer_open_log(tmpdir, "plain", o, &w));
    binlog_options_free(o);
    CHECK_OK(binlog_writer_write(w, (const uint8_t *)"t", 1, (const uint8_t *)"x", 1, NULL));
    CHECK_OK(binlog_writer_close(w));
    binlog_writer_free(w);
    binlog_reader *r = NULL;
    REQUIRE_OK(binlog_reader_open_log(tmpdir, "plain", &r));
    binlog_record rec;
    REQUIRE_OK(binlog_reader_next(r, &rec));
    binlog_header h;
    REQUIRE_OK(binlog_reader_header(r, &h));
    CHECK_EQ_U(h.minor, 0);
    binlog_reader_free(r);
}

int main(void) {
    if (make_tmpdir() != 0) {
        return 2;
    }
    test_a_reader_gets_back_each_declared_schema();
    test_unusable_schemas_are_refused_with_their_codes();
    return (int)check_summary();
}
