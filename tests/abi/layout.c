/*
 * layout.c: prints what of the C ABI a compiled program depends on, one
 * fact a line: each struct's size and alignment, each field's offset and
 * size, each enumerator's value, the sizes of the enum types. `make
 * check-abi` compares the output with tests/abi/layout.txt, which may only
 * gain lines (docs/ABI.md). Every struct and enumerator of include/binlog.h
 * must be listed here: `make check-abi` fails on one that is not.
 */
#include <stddef.h>
#include <stdio.h>

#include "binlog.h"

#define STRUCT(T) printf("struct %s size %zu align %zu\n", #T, sizeof(T), _Alignof(T))
#define FIELD(T, f) \
    printf("field %s.%s offset %zu size %zu\n", #T, #f, offsetof(T, f), sizeof(((T *)0)->f))
#define ENUM_TYPE(T) printf("enum %s size %zu\n", #T, sizeof(T))
#define VALUE(v) printf("value %s %lld\n", #v, (long long)(v))

int main(void) {
    STRUCT(binlog_segment_info);
    FIELD(binlog_segment_info, event);
    FIELD(binlog_segment_info, path);
    FIELD(binlog_segment_info, segment_no);
    FIELD(binlog_segment_info, first_seq);
    FIELD(binlog_segment_info, record_count);
    FIELD(binlog_segment_info, bytes);
    STRUCT(binlog_ship_report);
    FIELD(binlog_ship_report, uploaded);
    FIELD(binlog_ship_report, already_uploaded);
    FIELD(binlog_ship_report, removed_local);
    STRUCT(binlog_meta);
    FIELD(binlog_meta, key);
    FIELD(binlog_meta, key_len);
    FIELD(binlog_meta, value);
    FIELD(binlog_meta, value_len);
    STRUCT(binlog_record);
    FIELD(binlog_record, seq);
    FIELD(binlog_record, timestamp_ns);
    FIELD(binlog_record, type_name);
    FIELD(binlog_record, type_len);
    FIELD(binlog_record, payload);
    FIELD(binlog_record, payload_len);
    FIELD(binlog_record, meta);
    FIELD(binlog_record, meta_count);
    FIELD(binlog_record, offset);
    STRUCT(binlog_header);
    FIELD(binlog_header, major);
    FIELD(binlog_header, minor);
    FIELD(binlog_header, created_ns);
    FIELD(binlog_header, segment_no);
    FIELD(binlog_header, first_seq);
    FIELD(binlog_header, log_name);
    FIELD(binlog_header, log_name_len);
    FIELD(binlog_header, content_type);
    FIELD(binlog_header, content_type_len);
    FIELD(binlog_header, writer);
    FIELD(binlog_header, writer_len);
    FIELD(binlog_header, params);
    FIELD(binlog_header, param_count);
    STRUCT(binlog_iovec);
    FIELD(binlog_iovec, base);
    FIELD(binlog_iovec, len);
    STRUCT(binlog_tail);
    FIELD(binlog_tail, kind);
    FIELD(binlog_tail, offset);
    FIELD(binlog_tail, len);
    STRUCT(binlog_damage);
    FIELD(binlog_damage, offset);
    FIELD(binlog_damage, resume_offset);
    FIELD(binlog_damage, from_seq);
    FIELD(binlog_damage, to_seq);
    STRUCT(binlog_batch_record);
    FIELD(binlog_batch_record, seq);
    FIELD(binlog_batch_record, timestamp_ns);
    FIELD(binlog_batch_record, offset);
    FIELD(binlog_batch_record, type_off);
    FIELD(binlog_batch_record, type_len);
    FIELD(binlog_batch_record, payload_off);
    FIELD(binlog_batch_record, payload_len);
    FIELD(binlog_batch_record, meta_off);
    FIELD(binlog_batch_record, meta_count);
    STRUCT(binlog_listed_segment);
    FIELD(binlog_listed_segment, path);
    FIELD(binlog_listed_segment, segment_no);
    FIELD(binlog_listed_segment, state);
    FIELD(binlog_listed_segment, salvaged);
    FIELD(binlog_listed_segment, salvaged_offset);
    FIELD(binlog_listed_segment, has_first_seq);
    FIELD(binlog_listed_segment, first_seq);
    FIELD(binlog_listed_segment, has_last_seq);
    FIELD(binlog_listed_segment, last_seq);
    FIELD(binlog_listed_segment, bytes);
    STRUCT(binlog_entry);
    FIELD(binlog_entry, type_name);
    FIELD(binlog_entry, type_len);
    FIELD(binlog_entry, meta);
    FIELD(binlog_entry, meta_count);
    FIELD(binlog_entry, payload);
    FIELD(binlog_entry, payload_len);
    FIELD(binlog_entry, parts);
    FIELD(binlog_entry, part_count);
    FIELD(binlog_entry, timestamp_ns);
    STRUCT(binlog_batch_meta);
    FIELD(binlog_batch_meta, key_off);
    FIELD(binlog_batch_meta, key_len);
    FIELD(binlog_batch_meta, value_off);
    FIELD(binlog_batch_meta, value_len);
    ENUM_TYPE(binlog_result);
    ENUM_TYPE(binlog_segment_event);
    ENUM_TYPE(binlog_tail_kind);
    ENUM_TYPE(binlog_segment_state);
    ENUM_TYPE(binlog_durability);
    ENUM_TYPE(binlog_period);
    VALUE(BINLOG_OK);
    VALUE(BINLOG_END);
    VALUE(BINLOG_ERR_INVALID_ARGUMENT);
    VALUE(BINLOG_ERR_NULL_POINTER);
    VALUE(BINLOG_ERR_NOT_FOUND);
    VALUE(BINLOG_ERR_PERMISSION_DENIED);
    VALUE(BINLOG_ERR_IO);
    VALUE(BINLOG_ERR_NOT_A_BINLOG);
    VALUE(BINLOG_ERR_UNSUPPORTED_VERSION);
    VALUE(BINLOG_ERR_CORRUPT_HEADER);
    VALUE(BINLOG_ERR_CORRUPT);
    VALUE(BINLOG_ERR_TRUNCATED);
    VALUE(BINLOG_ERR_RECORD_TOO_LARGE);
    VALUE(BINLOG_ERR_LOCKED);
    VALUE(BINLOG_ERR_CLOSED);
    VALUE(BINLOG_ERR_DISK_FULL);
    VALUE(BINLOG_ERR_PANIC);
    VALUE(BINLOG_ERR_INVALID_UTF8);
    VALUE(BINLOG_ERR_POISONED);
    VALUE(BINLOG_ERR_ALREADY_EXISTS);
    VALUE(BINLOG_ERR_CORRUPT_SEAL);
    VALUE(BINLOG_ERR_BUFFER_TOO_SMALL);
    VALUE(BINLOG_ERR_WRONG_LOG);
    VALUE(BINLOG_ERR_SEALED);
    VALUE(BINLOG_ERR_COMPRESSED_TRUNCATED);
    VALUE(BINLOG_ERR_CORRUPT_FRAME);
    VALUE(BINLOG_ERR_CORRUPT_SEEK_TABLE);
    VALUE(BINLOG_ERR_FRAME_SIZE_MISMATCH);
    VALUE(BINLOG_ERR_REMOTE_CONFLICT);
    VALUE(BINLOG_ERR_REMOTE);
    VALUE(BINLOG_SEGMENT_OPENED);
    VALUE(BINLOG_SEGMENT_SEALED);
    VALUE(BINLOG_SEGMENT_COMPRESSED);
    VALUE(BINLOG_TAIL_READING);
    VALUE(BINLOG_TAIL_SEALED);
    VALUE(BINLOG_TAIL_UNSEALED);
    VALUE(BINLOG_TAIL_SEAL_DAMAGED);
    VALUE(BINLOG_TAIL_TORN);
    VALUE(BINLOG_SEGMENT_STATE_ACTIVE);
    VALUE(BINLOG_SEGMENT_STATE_ENDING);
    VALUE(BINLOG_SEGMENT_STATE_SEALED);
    VALUE(BINLOG_SEGMENT_STATE_UNREADABLE);
    VALUE(BINLOG_DURABILITY_NONE);
    VALUE(BINLOG_DURABILITY_EVERY_RECORD);
    VALUE(BINLOG_DURABILITY_EVERY_N);
    VALUE(BINLOG_DURABILITY_INTERVAL_MS);
    VALUE(BINLOG_PERIOD_NEVER);
    VALUE(BINLOG_PERIOD_MINUTE);
    VALUE(BINLOG_PERIOD_FIVE_MINUTES);
    VALUE(BINLOG_PERIOD_TEN_MINUTES);
    VALUE(BINLOG_PERIOD_QUARTER_HOUR);
    VALUE(BINLOG_PERIOD_HALF_HOUR);
    VALUE(BINLOG_PERIOD_HOUR);
    VALUE(BINLOG_PERIOD_DAY);
    VALUE(BINLOG_TIME_NOW);
    STRUCT(binlog_gap);
    FIELD(binlog_gap, reason);
    FIELD(binlog_gap, path);
    FIELD(binlog_gap, path_len);
    FIELD(binlog_gap, has_offset);
    FIELD(binlog_gap, offset);
    FIELD(binlog_gap, has_from_seq);
    FIELD(binlog_gap, from_seq);
    FIELD(binlog_gap, has_to_seq);
    FIELD(binlog_gap, to_seq);
    ENUM_TYPE(binlog_gap_reason);
    VALUE(BINLOG_GAP_RETENTION);
    VALUE(BINLOG_GAP_MISSING);
    VALUE(BINLOG_GAP_DAMAGE);
    VALUE(BINLOG_GAP_SEQ_JUMP);
    return 0;
}
