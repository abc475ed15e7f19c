/*
 * libbinlog: a fast, crash-safe binary record log.
 *
 * Generated from src/ffi by cbindgen; do not edit (run `make header`).
 *
 * Conventions: every function returns a binlog_result (BINLOG_OK on success)
 * except binlog_version, binlog_version_number, the binlog_last_error
 * functions, the _name and _description functions (static strings) and the
 * _free functions; outputs are written only on success; on failure
 * binlog_last_error() describes the problem, naming the file and byte
 * offset where there is one (binlog_last_error_path, _offset and
 * _os_code give them apart).
 * Lifetimes: handles from the _open and _new functions are released with the
 * _free functions (after _close for writers and readers); _close and _free
 * accept NULL.
 */

#ifndef BINLOG_H
#define BINLOG_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#define BINLOG_TIME_NOW INT64_MIN


/*
 The findings `binlog_verify_next` lists per segment; past them one
 `BINLOG_FINDING_NOT_LISTED` finding counts the rest.
 */
#define BINLOG_VERIFY_MAX_FINDINGS 1000

#define BINLOG_VERSION_MAJOR 0

#define BINLOG_VERSION_MINOR 1

#define BINLOG_VERSION_PATCH 0

/*
 The version as one number, MAJOR * 1000000 + MINOR * 1000 + PATCH (0.1.0
 is 1000), ordered as the versions are: compare it with
 `binlog_version_number()` to learn whether the library a program loaded
 is at least the one it was compiled against.
 */
#define BINLOG_VERSION_NUMBER (((BINLOG_VERSION_MAJOR * 1000000) + (BINLOG_VERSION_MINOR * 1000)) + BINLOG_VERSION_PATCH)

/*
 Major version of the segment format this library reads and writes.
 */
#define BINLOG_FORMAT_MAJOR 1

/*
 Result of every libbinlog call. `BINLOG_OK` is success, `BINLOG_END` means
 a reader has no more records (not an error); every other value is an
 error whose message `binlog_last_error()` returns. Numbers are never
 reused.
 */
enum binlog_result
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  BINLOG_OK = 0,
  BINLOG_END = 1,
  BINLOG_ERR_INVALID_ARGUMENT = 2,
  BINLOG_ERR_NULL_POINTER = 3,
  BINLOG_ERR_NOT_FOUND = 4,
  BINLOG_ERR_PERMISSION_DENIED = 5,
  BINLOG_ERR_IO = 6,
  BINLOG_ERR_NOT_A_BINLOG = 7,
  BINLOG_ERR_UNSUPPORTED_VERSION = 8,
  BINLOG_ERR_CORRUPT_HEADER = 9,
  BINLOG_ERR_CORRUPT = 10,
  BINLOG_ERR_TRUNCATED = 11,
  BINLOG_ERR_RECORD_TOO_LARGE = 12,
  BINLOG_ERR_LOCKED = 13,
  BINLOG_ERR_CLOSED = 14,
  BINLOG_ERR_DISK_FULL = 15,
  BINLOG_ERR_PANIC = 16,
  BINLOG_ERR_INVALID_UTF8 = 17,
  BINLOG_ERR_POISONED = 18,
  BINLOG_ERR_ALREADY_EXISTS = 19,
  BINLOG_ERR_CORRUPT_SEAL = 20,
  BINLOG_ERR_BUFFER_TOO_SMALL = 21,
  BINLOG_ERR_WRONG_LOG = 22,
  BINLOG_ERR_SEALED = 23,
  BINLOG_ERR_COMPRESSED_TRUNCATED = 24,
  BINLOG_ERR_CORRUPT_FRAME = 25,
  BINLOG_ERR_CORRUPT_SEEK_TABLE = 26,
  BINLOG_ERR_FRAME_SIZE_MISMATCH = 27,
  BINLOG_ERR_REMOTE_CONFLICT = 28,
  BINLOG_ERR_REMOTE = 29,
  BINLOG_ERR_INVALID_SCHEMA = 30,
  BINLOG_ERR_SCHEMA_TOO_LARGE = 31,
  BINLOG_ERR_UNDECODABLE = 32,
  BINLOG_ERR_CORRUPT_CONSUMER = 33,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_result binlog_result;
#else
typedef uint32_t binlog_result;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 A segment opened, sealed or compressed.
 */
enum binlog_segment_event
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  BINLOG_SEGMENT_OPENED = 1,
  BINLOG_SEGMENT_SEALED = 2,
  /*
   A sealed segment compressed (`binlog_options_set_compression`):
   `path` is its `.binlog.zst`, `bytes` that file's size. Only logs
   that compress report it, on their compressing thread, once the
   segment is sealed. `binlog_writer_poll_sealed` does not return it:
   a polled segment's path may have become `<path>.zst` since.
   */
  BINLOG_SEGMENT_COMPRESSED = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_segment_event binlog_segment_event;
#else
typedef uint32_t binlog_segment_event;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 Why a log reader could not return records (`binlog_gap.reason`); the
 same set in every tier (local files, compressed ones, bucket objects).
 */
enum binlog_gap_reason
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   A listed segment of a log directory gone before it could be
   opened, or segments missing before the next with no older listed
   file left (a reader behind retention, which removes the oldest
   first).
   */
  BINLOG_GAP_RETENTION = 1,
  /*
   A segment or bucket object that should be there and is not
   (segment numbers skip it, a listed object is gone, or a file named
   in a list of files is not there).
   */
  BINLOG_GAP_MISSING = 2,
  /*
   Bytes lost to damage at `offset` (a segment ending in a torn tail
   while a later one follows it); or, with no offset, records missing
   before a file salvaged from the segment, which the damage the
   salvage copied around destroyed.
   */
  BINLOG_GAP_DAMAGE = 3,
  /*
   Consecutive segments whose sequence numbers do not continue each
   other.
   */
  BINLOG_GAP_SEQ_JUMP = 4,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_gap_reason binlog_gap_reason;
#else
typedef uint32_t binlog_gap_reason;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 How a reader's segment ended (`binlog_reader_tail`).
 */
enum binlog_tail_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   Records remain, or the end has not been reached yet.
   */
  BINLOG_TAIL_READING = 0,
  /*
   Every record read; the segment is sealed.
   */
  BINLOG_TAIL_SEALED = 1,
  /*
   Every record read; no seal (being written, or the writer stopped).
   */
  BINLOG_TAIL_UNSEALED = 2,
  /*
   Records end at `offset`, where a damaged or incomplete seal begins.
   */
  BINLOG_TAIL_SEAL_DAMAGED = 3,
  /*
   `len` bytes at `offset` are not a whole record and nothing valid
   follows: a torn tail, or a write in progress.
   */
  BINLOG_TAIL_TORN = 4,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_tail_kind binlog_tail_kind;
#else
typedef uint32_t binlog_tail_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 What a segment needs (`binlog_repair_segment.action`).
 */
enum binlog_repair_segment_action
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   Nothing: sealed and intact, or open by a writer and intact.
   */
  BINLOG_PLAN_NONE = 0,
  /*
   Not readable as a segment (an error; `why` says why).
   */
  BINLOG_PLAN_UNREADABLE = 1,
  /*
   Damaged and left as it is (`why` says why: corruption in the middle
   without `salvage`, a writer holding it, nothing to keep).
   */
  BINLOG_PLAN_REFUSE = 2,
  /*
   Backed up, its torn tail cut, sealed again.
   */
  BINLOG_PLAN_RESEAL = 3,
  /*
   Backed up, the records after mid-file damage copied into new
   segments, cut before the damage and sealed again.
   */
  BINLOG_PLAN_SALVAGE = 4,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_repair_segment_action binlog_repair_segment_action;
#else
typedef uint32_t binlog_repair_segment_action;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 What a step does (`binlog_repair_step.kind`).
 */
enum binlog_repair_step_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   What is to be fixed.
   */
  BINLOG_STEP_NOTE = 0,
  /*
   A backup copy of the segment.
   */
  BINLOG_STEP_BACKUP = 1,
  /*
   A cut: a torn tail, or the segment before mid-file damage.
   */
  BINLOG_STEP_CUT = 2,
  /*
   The segment sealed again (a compressed one as a plain segment).
   */
  BINLOG_STEP_RESEAL = 3,
  /*
   Records copied into a new segment.
   */
  BINLOG_STEP_SALVAGE = 4,
  /*
   An empty segment started after the salvaged records.
   */
  BINLOG_STEP_START_SEGMENT = 5,
  /*
   Records lost in the damage: a gap in the log
   (`binlog_repair_accept_gap` accepts it).
   */
  BINLOG_STEP_GAP = 6,
  /*
   A file left as it is, or damage between segments no repair undoes.
   */
  BINLOG_STEP_LEAVE = 7,
  /*
   Leftovers of a repair that was stopped, removed.
   */
  BINLOG_STEP_CLEANUP = 8,
  /*
   A step that failed.
   */
  BINLOG_STEP_ERROR = 9,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_repair_step_kind binlog_repair_step_kind;
#else
typedef uint32_t binlog_repair_step_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 Where a log's file is in its lifecycle (`binlog_listed_segment.state`).
 */
enum binlog_segment_state
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   No seal: being written, or its writer stopped between records.
   */
  BINLOG_SEGMENT_STATE_ACTIVE = 0,
  /*
   Records closed by a SEAL_BEGIN frame, the rest of the seal not
   written (yet): no record is added any more.
   */
  BINLOG_SEGMENT_STATE_ENDING = 1,
  /*
   Sealed: it never changes again (safe to upload or archive).
   */
  BINLOG_SEGMENT_STATE_SEALED = 2,
  /*
   Its header cannot be read; first and last sequence numbers unknown.
   */
  BINLOG_SEGMENT_STATE_UNREADABLE = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_segment_state binlog_segment_state;
#else
typedef uint32_t binlog_segment_state;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 What a finding is (`binlog_finding.kind`); see docs/FORMAT.md sections
 3, 4, 10, 14a, 17 and 18. The numbers are never reused.
 */
enum binlog_finding_kind
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   The last record of an unsealed segment cut off, nothing valid after.
   */
  BINLOG_FINDING_TORN_TAIL = 1,
  /*
   Bytes that are not valid records, or a record whose CRC is right but
   whose contents are wrong: corruption, records `from_seq..to_seq` lost.
   */
  BINLOG_FINDING_CORRUPT = 2,
  /*
   A valid record numbered past the one expected: records lost.
   */
  BINLOG_FINDING_SEQUENCE_JUMP = 3,
  /*
   The records complete, the seal after them incomplete or damaged.
   */
  BINLOG_FINDING_SEAL_DAMAGED = 4,
  /*
   Zeros after the records: a durable writer's prepared space (a note).
   */
  BINLOG_FINDING_ZERO_TAIL = 5,
  /*
   Unsealed, its writer gone, a file alone or a log's newest (a note).
   */
  BINLOG_FINDING_UNSEALED = 6,
  /*
   Not a segment (no magic number).
   */
  BINLOG_FINDING_NOT_A_BINLOG = 7,
  /*
   The file ends inside its header (0 bytes included).
   */
  BINLOG_FINDING_TRUNCATED = 8,
  /*
   A format version this library does not read.
   */
  BINLOG_FINDING_UNSUPPORTED_VERSION = 9,
  /*
   The header is damaged; the records after it were read.
   */
  BINLOG_FINDING_CORRUPT_HEADER = 10,
  /*
   Records `from_seq..to_seq` missing between two segments of a log,
   or past its files' end where its manifest lists them sealed.
   */
  BINLOG_FINDING_MISSING_RECORDS = 11,
  /*
   A segment starting before the one before it ended.
   */
  BINLOG_FINDING_SEQUENCE_OVERLAP = 12,
  /*
   A file named as the log's whose header names another log or place.
   */
  BINLOG_FINDING_WRONG_LOG = 13,
  /*
   The file could not be read (I/O, permission).
   */
  BINLOG_FINDING_UNREADABLE = 14,
  /*
   A writer holds the segment and is writing its end (a note).
   */
  BINLOG_FINDING_BEING_WRITTEN = 15,
  /*
   Records missing between segments, accepted as lost (a note).
   */
  BINLOG_FINDING_ACCEPTED_GAP = 16,
  /*
   A log's newest file with no header yet (a note).
   */
  BINLOG_FINDING_NOT_YET_WRITTEN = 17,
  /*
   An empty segment a failed roll left, skipped by readers (a note).
   */
  BINLOG_FINDING_FAILED_ROLL_LEFTOVER = 18,
  /*
   Unsealed with newer segments of its log after it: its writer died.
   */
  BINLOG_FINDING_NOT_SEALED = 19,
  /*
   A compressed segment's frame that does not decompress, or its seek
   table lost: named with the frame and its compressed offset.
   */
  BINLOG_FINDING_CORRUPT_FRAME = 20,
  /*
   A seal's offset array or sparse index that fails its checks (no
   record lost: reads scan instead).
   */
  BINLOG_FINDING_SEAL_INDEX_DAMAGED = 21,
  /*
   A log's manifest that cannot be read or fails its check while it is
   the only record of the log's position (no segment file left, no
   ship journal position): a writer's open refuses the log. `location`
   is the manifest; given after the log's segments.
   */
  BINLOG_FINDING_MANIFEST_DAMAGED = 22,
  /*
   A log's manifest that cannot be read or fails its check while a
   segment file or the ship journal holds the log's position: not
   used, rewritten when the log is next opened for writing (a note).
   */
  BINLOG_FINDING_MANIFEST_UNUSED = 23,
  /*
   A segment's findings past the first `BINLOG_VERIFY_MAX_FINDINGS`,
   counted only: `len` is how many. Given after the segment's listed
   findings; damage.
   */
  BINLOG_FINDING_NOT_LISTED = 24,
  /*
   A signed segment whose bytes are not those its seal's digest names:
   records changed after sealing, CRCs recomputed or not.
   */
  BINLOG_FINDING_RECORDS_CHANGED = 25,
  /*
   A seal whose signature does not verify (changed after signing).
   */
  BINLOG_FINDING_BAD_SIGNATURE = 26,
  /*
   A seal signed by a key other than the trusted one.
   */
  BINLOG_FINDING_OTHER_KEY = 27,
  /*
   A sealed segment not signed, where a trusted key is given.
   */
  BINLOG_FINDING_UNSIGNED = 28,
  /*
   The segments before it in its log's chain missing (deleted).
   */
  BINLOG_FINDING_CHAIN_GAP = 29,
  /*
   A signed segment not in its log's chain (inserted, replaced, or
   from another log).
   */
  BINLOG_FINDING_NOT_IN_CHAIN = 30,
  /*
   A signed segment whose predecessor in the chain (its `prev`) is
   another segment of the log than the one numbered right before it:
   segments reordered.
   */
  BINLOG_FINDING_REORDERED = 31,
  /*
   A copy of a signed segment before it.
   */
  BINLOG_FINDING_DUPLICATE = 32,
  /*
   A log's signed head names a segment it does not hold: its newest
   segments cut off (`location` is the head's file).
   */
  BINLOG_FINDING_CUT_OFF = 33,
  /*
   A seal signed by a forward-secure epoch key whose records are older
   than the key's epoch (a later key resealed them).
   */
  BINLOG_FINDING_OUT_OF_EPOCH = 34,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_finding_kind binlog_finding_kind;
#else
typedef uint32_t binlog_finding_kind;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 What `binlog repair` does about a finding (`binlog_finding.repair`).
 */
enum binlog_repair_action
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   Nothing (not damage, or nothing a repair can do).
   */
  BINLOG_REPAIR_NOTHING = 0,
  /*
   Backs the segment up, cuts the torn tail and seals it.
   */
  BINLOG_REPAIR_CUT_TORN_TAIL = 1,
  /*
   Backs the segment up and seals it again.
   */
  BINLOG_REPAIR_RESEAL = 2,
  /*
   With `--salvage` only: keeps the valid records around the damage.
   */
  BINLOG_REPAIR_SALVAGE = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_repair_action binlog_repair_action;
#else
typedef uint32_t binlog_repair_action;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 When records are forced to stable storage.
 */
enum binlog_durability
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   Never forced (the OS decides); buffers go to the OS when full and on
   flush, sync and close.
   */
  BINLOG_DURABILITY_NONE = 0,
  /*
   Every write call returns after fdatasync; concurrent writers share one.
   */
  BINLOG_DURABILITY_EVERY_RECORD = 1,
  /*
   Every Nth record syncs (`param` = N).
   */
  BINLOG_DURABILITY_EVERY_N = 2,
  /*
   A background thread syncs every `param` milliseconds. If its write
   fails, the records stay buffered (the next flush retries them) and
   the next write call returns the failure, writing nothing.
   */
  BINLOG_DURABILITY_INTERVAL_MS = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_durability binlog_durability;
#else
typedef uint32_t binlog_durability;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 How `binlog_ship_options_set_object_lock` locks objects.
 */
enum binlog_lock_mode
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   No lock (the default).
   */
  BINLOG_LOCK_NONE = 0,
  /*
   S3 Object Lock's governance mode: deleted before its date only by
   a user allowed `s3:BypassGovernanceRetention`.
   */
  BINLOG_LOCK_GOVERNANCE = 1,
  /*
   Compliance mode: deleted before its date by no one.
   */
  BINLOG_LOCK_COMPLIANCE = 2,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_lock_mode binlog_lock_mode;
#else
typedef uint32_t binlog_lock_mode;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 Where a consumer new to a log starts (`binlog_consumer_open`).
 */
enum binlog_start
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /*
   The log's first record.
   */
  BINLOG_START_FIRST = 0,
  /*
   The log's end when the consumer opens: records written after it.
   */
  BINLOG_START_END = 1,
  /*
   The first record numbered `seq` or after.
   */
  BINLOG_START_SEQ = 2,
  /*
   The first record, in write order, stamped `ts_ns` or later.
   */
  BINLOG_START_TIME = 3,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_start binlog_start;
#else
typedef uint32_t binlog_start;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 Time period after which a log starts a new segment (UTC).
 */
enum binlog_period
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  BINLOG_PERIOD_NEVER = 0,
  BINLOG_PERIOD_MINUTE = 1,
  BINLOG_PERIOD_FIVE_MINUTES = 2,
  BINLOG_PERIOD_TEN_MINUTES = 3,
  BINLOG_PERIOD_QUARTER_HOUR = 4,
  BINLOG_PERIOD_HALF_HOUR = 5,
  BINLOG_PERIOD_HOUR = 6,
  BINLOG_PERIOD_DAY = 7,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum binlog_period binlog_period;
#else
typedef uint32_t binlog_period;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/*
 A segment's mapping kept mapped for as long as the caller holds this
 handle (`binlog_reader_keep_mapping`), whatever its reader does
 meanwhile, `binlog_reader_free` included: for a caller whose views of
 the payloads may outlive the next call (a garbage collector frees
 them). Immutable: any thread may free it, once.
 */
typedef struct binlog_mapping binlog_mapping;

/*
 A merged reader of many logs. Not thread-safe: use it from one thread at
 a time. The record view and log name it returns stay valid until the
 next call on it; `binlog_merged_reader_free` invalidates the handle.
 */
typedef struct binlog_merged_reader binlog_merged_reader;

/*
 Options for `binlog_writer_open`. Not thread-safe: configure it from one
 thread; it may be freed as soon as `binlog_writer_open` returns.
 */
typedef struct binlog_options binlog_options;

/*
 A reader of one segment. Not thread-safe: use it from one thread at a
 time. Record views it returns stay valid until the next call on it;
 `binlog_reader_free` invalidates the handle.
 */
typedef struct binlog_reader binlog_reader;

/*
 A repair's plan (`binlog_repair_plan_open`). Read-only once made: its
 calls may be made from any thread, one `binlog_repair_apply` at a time.
 Freed with `binlog_repair_plan_free`, which invalidates its strings.
 */
typedef struct binlog_repair_plan binlog_repair_plan;

/*
 A snapshot of a log's files (`binlog_log_list_segments`). Immutable:
 any number of threads may read one list at once; it is freed with
 `binlog_segment_list_free`, which invalidates every `path` it gave out.
 */
typedef struct binlog_segment_list binlog_segment_list;

/*
 Options for `binlog_shipper_open`. Not thread-safe: configure it from
 one thread; it may be freed as soon as `binlog_shipper_open` returns.
 */
typedef struct binlog_ship_options binlog_ship_options;

/*
 A shipper of one log: one thread at a time may call it, it holds the
 log's ship lock (`<dir>/<name>.ship.lock`) until `binlog_shipper_free`,
 after which the handle is invalid, and a child process after fork()
 must open its own.
 */
typedef struct binlog_shipper binlog_shipper;

/*
 A summary (`binlog_summary_open`, `binlog_summary_of_reader`): records,
 bytes, first and last sequence numbers and times, in all and per type.
 It does not change once made: any number of threads may read it at
 once. Freed with `binlog_summary_free`, which invalidates the type
 names it gave out.
 */
typedef struct binlog_summary binlog_summary;

/*
 A verification in progress (`binlog_verify_open`). Not thread-safe: one
 thread at a time may call it (it may move between threads). Freed with
 `binlog_verify_free`, which invalidates the strings it gave out.
 */
typedef struct binlog_verify binlog_verify;

/*
 A segment writer. Thread-safe: any number of threads may call write,
 flush, sync and close on it at once; `binlog_writer_free` must not race
 any other call and the handle is invalid after it. The calls that change
 the writer (write, flush, sync, roll, close, callbacks, polling) take a
 `binlog_writer *`, those that only read it a `const binlog_writer *`.
 */
typedef struct binlog_writer binlog_writer;

/*
 One record returned by `binlog_reader_next_batch`, copied into the
 caller's buffer: every `*_off` is a byte offset from the start of that
 buffer. Holds no pointers, so Go and Java callers can keep arrays of it
 in their own memory.
 */
typedef struct binlog_batch_record {
  uint64_t seq;
  int64_t timestamp_ns;
  /*
   File offset of the record.
   */
  uint64_t offset;
  uint32_t type_off;
  uint32_t type_len;
  uint32_t payload_off;
  uint32_t payload_len;
  /*
   Offset of `meta_count` `binlog_batch_meta` entries (4-byte aligned
   from the buffer's start).
   */
  uint32_t meta_off;
  uint32_t meta_count;
} binlog_batch_record;

/*
 One record of `binlog_reader_next_mapped`: its payload where it lies
 (`mapped` 1: at `payload_off` from the call's `*mapping`; 0: copied to
 `payload_off` in the caller's buffer), its type name and metadata
 entries in the caller's buffer as in `binlog_batch_record`.
 */
typedef struct binlog_mapped_record {
  uint64_t seq;
  int64_t timestamp_ns;
  /*
   File offset of the record.
   */
  uint64_t offset;
  uint64_t payload_off;
  uint32_t payload_len;
  uint32_t mapped;
  uint32_t type_off;
  uint32_t type_len;
  /*
   Offset of `meta_count` `binlog_batch_meta` entries in the buffer.
   */
  uint32_t meta_off;
  uint32_t meta_count;
} binlog_mapped_record;

/*
 A segment of a log. `path` is NUL-terminated: in a callback it is valid
 during the call; from `binlog_writer_poll_sealed`, until the next poll on
 the same writer.
 */
typedef struct binlog_segment_info {
  binlog_segment_event event;
  const char *path;
  uint64_t segment_no;
  uint64_t first_seq;
  uint64_t record_count;
  uint64_t bytes;
} binlog_segment_info;

/*
 Called when a segment is opened, sealed or compressed, outside the log's
 lock, on the thread that caused it: a writer that rolled, or the log's
 background thread (time rolls, and seals with
 `binlog_options_set_seal_in_background`). A roll reports the old segment
 SEALED, then the new one OPENED (rolls by two threads at once may
 interleave their events). The callback may call the log's functions,
 `binlog_writer_close` included: the events such a call causes are
 reported once the callbacks being run have returned, so callbacks and
 polling see a log's events in order. It must not free the writer (the
 call that rolled still uses it): close it, and free it after that call
 returns. Return 0 on success; any other value counts as a failure (see
 `binlog_writer_callback_failures`) and affects nothing else.
 */
typedef int32_t (*binlog_segment_callback)(void *user, const struct binlog_segment_info *info);

/*
 A wall clock: nanoseconds since the Unix epoch (UTC). `user` is the
 pointer given with it to `binlog_options_set_clock`.
 */
typedef int64_t (*binlog_clock)(void *user);

/*
 One metadata entry: a UTF-8 key and value.
 */
typedef struct binlog_meta {
  const uint8_t *key;
  size_t key_len;
  const uint8_t *value;
  size_t value_len;
} binlog_meta;

/*
 A record returned by `binlog_reader_next`: a view into the segment, valid
 until the next call on the same reader. Strings are UTF-8, not
 NUL-terminated. Every pointer of the view, its metadata's and a header's
 is valid (not NULL) even for 0 bytes, except `meta` without metadata and
 a header's `params` without parameters, which are NULL.
 */
typedef struct binlog_record {
  uint64_t seq;
  int64_t timestamp_ns;
  const uint8_t *type_name;
  size_t type_len;
  const uint8_t *payload;
  size_t payload_len;
  const struct binlog_meta *meta;
  size_t meta_count;
  /*
   File offset of the record.
   */
  uint64_t offset;
} binlog_record;

/*
 A segment's header (`binlog_reader_header`): strings are UTF-8, not
 NUL-terminated, and point into the reader.
 */
typedef struct binlog_header {
  /*
   Format version that wrote the segment.
   */
  uint16_t major;
  uint16_t minor;
  /*
   Creation time, nanoseconds since the Unix epoch (UTC).
   */
  int64_t created_ns;
  /*
   Position of the segment in its log (0 for a standalone segment).
   */
  uint64_t segment_no;
  /*
   Sequence number of the segment's first record.
   */
  uint64_t first_seq;
  const uint8_t *log_name;
  size_t log_name_len;
  const uint8_t *content_type;
  size_t content_type_len;
  /*
   The library and version that created it, e.g. `libbinlog/0.1.0`.
   */
  const uint8_t *writer;
  size_t writer_len;
  /*
   The string parameters given when it was created, in order.
   */
  const struct binlog_meta *params;
  size_t param_count;
} binlog_header;

/*
 Records a log reader could not return (`binlog_reader_gaps`): records
 `[from_seq, to_seq)` of `path`, for `reason`. `path` is the segment file
 or the object's `s3://bucket/key` URL: the removed segment (retention),
 the damaged one (damage), the missing object by its plain key (`<segment
 no>-<first seq>.binlog`), a file named in a list, or else the segment
 after the gap; `path_len` bytes, not NUL-terminated, valid until the next
 call on the reader. A field whose `has_` flag is false is not known (0).
 */
typedef struct binlog_gap {
  binlog_gap_reason reason;
  const uint8_t *path;
  size_t path_len;
  /*
   Where in `path` the bytes are lost (damage only).
   */
  bool has_offset;
  uint64_t offset;
  /*
   The first sequence number missing.
   */
  bool has_from_seq;
  uint64_t from_seq;
  /*
   The first sequence number present after the gap.
   */
  bool has_to_seq;
  uint64_t to_seq;
} binlog_gap;

/*
 A byte range: one part of a gathered payload, or a byte string.
 */
typedef struct binlog_iovec {
  const uint8_t *base;
  size_t len;
} binlog_iovec;

typedef struct binlog_tail {
  binlog_tail_kind kind;
  uint64_t offset;
  uint64_t len;
} binlog_tail;

/*
 A damaged region a reader skipped (`binlog_reader_skip_damaged`): bytes
 `[offset, resume_offset)` of a segment and records `[from_seq, to_seq)`
 are lost. Which segment or object: `binlog_damage2`.
 */
typedef struct binlog_damage {
  uint64_t offset;
  uint64_t resume_offset;
  uint64_t from_seq;
  uint64_t to_seq;
} binlog_damage;

/*
 A damaged region a reader skipped (`binlog_reader_damages2`): bytes
 `[offset, resume_offset)` of `path` and records `[from_seq, to_seq)` are
 lost. `path` is the segment file (as given, or as a log reader found it)
 or the object's `s3://bucket/key` URL; `path_len` bytes, not
 NUL-terminated, valid until the next call on the reader.
 */
typedef struct binlog_damage2 {
  uint64_t offset;
  uint64_t resume_offset;
  uint64_t from_seq;
  uint64_t to_seq;
  const uint8_t *path;
  size_t path_len;
} binlog_damage2;

/*
 What one `binlog_remote_prune` did (or, dry, would do).
 */
typedef struct binlog_prune_report {
  /*
   Segment objects deleted (dry: to be deleted), those a prune killed
   before left included.
   */
  uint64_t deleted;
  /*
   How many of `deleted` a prune killed before had left.
   */
  uint64_t finished;
  /*
   Segment objects kept.
   */
  uint64_t kept;
  /*
   Every segment up to this one is pruned (the prune marker);
   UINT64_MAX if none is.
   */
  uint64_t pruned_through;
} binlog_prune_report;

/*
 The object an S3 Object Lock kept from a prune
 (`binlog_last_prune_lock`): the oldest the limits would have deleted,
 which the prune stopped before, keeping it and every newer one.
 */
typedef struct binlog_prune_lock {
  /*
   The object's key in the bucket (`<prefix>/<log>/...`),
   NUL-terminated; NULL if no lock kept one (`segment` then 0,
   `retain_until` NULL, `legal_hold` false).
   */
  const char *key;
  /*
   The number of its segment.
   */
  uint64_t segment;
  /*
   The date its retention ends, as the server wrote it
   (`2026-11-18T11:06:40Z`, perhaps with fractions of a second),
   NUL-terminated; NULL when a legal hold keeps it.
   */
  const char *retain_until;
  /*
   A legal hold keeps it (whatever its retention date).
   */
  bool legal_hold;
} binlog_prune_lock;

/*
 One segment of a plan (`binlog_repair_plan_segment`). `path` and `why`
 are NUL-terminated and borrowed from the plan: valid until
 `binlog_repair_plan_free`. `damaged`: it has damage, in its bytes or as
 a part of its log. `steps`: how many steps `binlog_repair_plan_step`
 gives for it.
 */
typedef struct binlog_repair_segment {
  const char *path;
  binlog_repair_segment_action action;
  const char *why;
  bool damaged;
  size_t steps;
} binlog_repair_segment;

/*
 One step of a segment's plan (`binlog_repair_plan_step`): what applying
 the plan would do. `message` says it in words, naming the files;
 borrowed from the plan like the segment's strings.
 */
typedef struct binlog_repair_step {
  binlog_repair_step_kind kind;
  const char *message;
} binlog_repair_step;

/*
 What applying a plan did (`binlog_repair_apply`): segments looked at,
 repaired, damage left (segments refused, gaps left in the log, damage
 between segments), and segments or steps that failed. Clean when
 `left_damaged` and `errors` are 0.
 */
typedef struct binlog_repair_summary {
  uint64_t segments;
  uint64_t changed;
  uint64_t left_damaged;
  uint64_t errors;
} binlog_repair_summary;

/*
 A type's schema (docs/FORMAT.md, "Type schemas"): UTF-8 strings and the
 schema's bytes, not NUL-terminated. `encoding` is how payloads are
 encoded (`protobuf`, `flatbuffer`, `json`, `cbor`, `msgpack`);
 `schema_encoding` what `schema` holds (`protobuf`: a serialized
 FileDescriptorSet; `flatbuffer`: a .bfbs; `jsonschema`; or empty for
 none); `schema_name` the message (a protobuf message's full name, a
 FlatBuffers root table). Filled by a reader, the pointers are valid
 (not NULL, even for 0 bytes) until the next call on that reader.
 */
typedef struct binlog_type_schema {
  const uint8_t *type_name;
  size_t type_len;
  const uint8_t *encoding;
  size_t encoding_len;
  const uint8_t *schema_encoding;
  size_t schema_encoding_len;
  const uint8_t *schema_name;
  size_t schema_name_len;
  const uint8_t *schema;
  size_t schema_len;
} binlog_type_schema;

/*
 One file of a log (`binlog_segment_list_get`). `path` is NUL-terminated
 and stays valid until the list is freed. `has_first_seq`,
 `has_last_seq` and `salvaged` say whether the field after each holds a
 value: the last sequence number is known once the records are closed
 (SEALED or ENDING) and there is one; `salvaged` is true for a file
 `binlog repair --salvage` made of the records at `salvaged_offset` of
 segment `segment_no`.
 */
typedef struct binlog_listed_segment {
  const char *path;
  uint64_t segment_no;
  binlog_segment_state state;
  bool salvaged;
  uint64_t salvaged_offset;
  bool has_first_seq;
  uint64_t first_seq;
  bool has_last_seq;
  uint64_t last_seq;
  /*
   The file's size in bytes when listed.
   */
  uint64_t bytes;
} binlog_listed_segment;

/*
 What one `binlog_shipper_ship_once` did, in segments.
 */
typedef struct binlog_ship_report {
  /*
   Uploaded (and verified) by this pass.
   */
  uint64_t uploaded;
  /*
   Found in the bucket already with the same bytes (an upload a crash
   interrupted after the server stored it).
   */
  uint64_t already_uploaded;
  /*
   Local copies removed, their copies in the bucket verified.
   */
  uint64_t removed_local;
} binlog_ship_report;

/*
 One finding (`binlog_verify_next`). `location` (the segment's path or
 object URL, or the log's manifest) and `message` are NUL-terminated and
 borrowed from the handle: valid until the next `binlog_verify_next` or
 `binlog_verify_free` on it. `has_offset` and `has_seq` say whether
 `offset` and `from_seq`/`to_seq` hold values; the sequence numbers lost
 are `from_seq` up to `to_seq`, `to_seq` excluded. `damage` is false for
 a note (a writer at work, prepared space, an accepted gap...).
 */
typedef struct binlog_finding {
  binlog_finding_kind kind;
  const char *location;
  bool has_offset;
  uint64_t offset;
  /*
   Bytes affected from `offset` (0 for a finding about one place); for
   `BINLOG_FINDING_NOT_LISTED`, the number of findings not listed.
   */
  uint64_t len;
  bool has_seq;
  uint64_t from_seq;
  uint64_t to_seq;
  binlog_repair_action repair;
  bool damage;
  const char *message;
} binlog_finding;

/*
 A record to write (`binlog_writer_write_entry`, `binlog_writer_write_batch`).
 The payload is `parts[0..part_count]` gathered in order when `part_count`
 is not zero, else `payload[0..payload_len]`. `timestamp_ns` is nanoseconds
 since the Unix epoch, or `BINLOG_TIME_NOW` for the clock.
 */
typedef struct binlog_entry {
  const uint8_t *type_name;
  size_t type_len;
  const struct binlog_meta *meta;
  size_t meta_count;
  const uint8_t *payload;
  size_t payload_len;
  const struct binlog_iovec *parts;
  size_t part_count;
  int64_t timestamp_ns;
} binlog_entry;

/*
 What a summary holds in all (`binlog_summary_totals`). With no record,
 `records` is 0 and so is every other field. "First" and "last" are in
 read order; `min_ns` and `max_ns` are the earliest and latest
 timestamps. Bytes are the records' bytes in the file (framing, type,
 metadata and payload); `payload_bytes` their payloads'.
 */
typedef struct binlog_totals {
  uint64_t records;
  uint64_t bytes;
  uint64_t payload_bytes;
  uint64_t first_seq;
  uint64_t last_seq;
  int64_t first_ns;
  int64_t last_ns;
  int64_t min_ns;
  int64_t max_ns;
} binlog_totals;

/*
 What the records of one type hold (`binlog_summary_type`). `name` is
 NUL-terminated UTF-8 (`name_len` bytes before the NUL), borrowed from
 the summary until `binlog_summary_free`.
 */
typedef struct binlog_type_summary {
  const char *name;
  size_t name_len;
  uint64_t records;
  uint64_t bytes;
  uint64_t payload_bytes;
  uint64_t first_seq;
  uint64_t last_seq;
  int64_t first_ns;
  int64_t last_ns;
} binlog_type_summary;

/*
 A metadata entry of a `binlog_batch_record`: offsets and lengths of its
 UTF-8 key and value in the caller's buffer.
 */
typedef struct binlog_batch_meta {
  uint32_t key_off;
  uint32_t key_len;
  uint32_t value_off;
  uint32_t value_len;
} binlog_batch_meta;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/*
 Copies the next records, up to `cap` and as many as fit in
 `buf[0..buf_len]` (used up to 4 GiB), and describes them in
 `records[0..*count]` (offsets into `buf`; metadata entries are
 `binlog_batch_meta` arrays in `buf`, 4-byte aligned from its start):
 `BINLOG_OK` with `*count >= 1`, or `BINLOG_END` with `*count == 0` when
 there is no record now. With `timeout_ms > 0` it first waits up to that
 long for a record, as `binlog_reader_next_wait`, then takes only records
 already there. A record that does not fit is kept for the next call on
 the reader (a seek drops it, as does a type filter that excludes it); if
 not even the first fits, `BINLOG_ERR_BUFFER_TOO_SMALL` with a message
 giving the bytes it needs. Outputs are written only on success.
 */
binlog_result binlog_reader_next_batch(struct binlog_reader *r,
                                       uint8_t *buf,
                                       size_t buf_len,
                                       struct binlog_batch_record *records,
                                       size_t cap,
                                       uint64_t timeout_ms,
                                       size_t *count);

/*
 As `binlog_reader_next_batch` (the same waiting, errors, held-back record
 and `BINLOG_END`), but a payload the reader reads from its mapping of the
 segment is not copied: its record has `mapped` 1 and the payload at
 `*mapping + payload_off`, `[*mapping, *mapping + *mapping_len)` being that
 mapping. Other payloads (a compressed segment's, a held-back record's, a
 frame read with pread) are copied into `buf` (`mapped` 0), as are every
 type name and metadata entry. One call's mapped payloads all lie in one
 mapping: a record in another (the next segment, a grown file mapped
 again) ends the call and comes first in the next. `*mapping` is NULL and
 `*mapping_len` 0 when no payload is mapped. The mapping stays mapped until
 the next `binlog_reader_next_mapped` call on this reader or its close or
 free. Outputs are written only on success; one thread at a time, as the
 reader.
 */
binlog_result binlog_reader_next_mapped(struct binlog_reader *r,
                                        uint8_t *buf,
                                        size_t buf_len,
                                        struct binlog_mapped_record *records,
                                        size_t cap,
                                        uint64_t timeout_ms,
                                        size_t *count,
                                        const uint8_t **mapping,
                                        size_t *mapping_len);

/*
 Keeps the mapping the last `binlog_reader_next_mapped` call on `r`
 pointed into (its `*mapping`) mapped until `binlog_mapping_free(*out)`.
 Fails with `BINLOG_ERR_INVALID_ARGUMENT` if that call mapped no payload
 (or none was made since the reader's close).
 */
binlog_result binlog_reader_keep_mapping(struct binlog_reader *r, struct binlog_mapping **out);

/*
 Unmaps what `m` kept mapped (unless a reader or another handle still
 holds it); NULL is accepted.
 */
void binlog_mapping_free(struct binlog_mapping *m);

/*
 Opens consumer `name` of log `log` in `dir` (and, if `remote` is not
 NULL, of its segments shipped to `remote`, read as
 `binlog_reader_open_log_tiered` reads them) as a reader: every
 `binlog_reader_*` call works on it. It starts after the consumer's last
 commit; a consumer with no position in the log starts at `start` (a
 `binlog_start`; `seq` for `BINLOG_START_SEQ`, `ts_ns` for
 `BINLOG_START_TIME`), committed at once. A committed position whose
 records retention deleted resumes at the oldest record left, with a
 `BINLOG_GAP_RETENTION` gap. The consumer's file is `<name>.consumer` in
 `dir` (docs/FORMAT.md, "Consumers"). `BINLOG_ERR_LOCKED` while another
 handle (in any process) has the name open; `BINLOG_ERR_INVALID_ARGUMENT`
 for a name that is not 1 to 200 of `A-Z a-z 0-9 _ . -` (not starting
 with `.`); `BINLOG_ERR_CORRUPT_CONSUMER` naming the file if damaged.
 */
binlog_result binlog_consumer_open(const char *dir,
                                   const char *log,
                                   const char *name,
                                   const char *remote,
                                   uint32_t start,
                                   uint64_t seq,
                                   int64_t ts_ns,
                                   struct binlog_reader **out);

/*
 Commits every record the consumer `r` returned so far as processed, in
 one small write and one fdatasync: once it returns, the consumer opened
 again (after any crash) goes on after them. A record a batch read held
 back is not committed. `BINLOG_ERR_INVALID_ARGUMENT` for a reader that
 is no consumer.
 */
binlog_result binlog_consumer_commit(struct binlog_reader *r);

/*
 Commits records up to `seq`, one the consumer `r` returned since its last
 commit (or the last one committed: a no-op), as processed; else
 `BINLOG_ERR_INVALID_ARGUMENT` naming its file. It never moves `r` back:
 a seek of `r` (`binlog_reader_seek_seq`) and `binlog_consumer_commit` do.
 */
binlog_result binlog_consumer_commit_seq(struct binlog_reader *r, uint64_t seq);

/*
 Writes to `*out` the sequence number the consumer `r`'s last commit
 goes on at.
 */
binlog_result binlog_consumer_committed(const struct binlog_reader *r, uint64_t *out);

/*
 Removes consumer `name`'s file from `dir` (retention stops waiting for
 it): `BINLOG_ERR_LOCKED` while a handle has it open,
 `BINLOG_ERR_NOT_FOUND` if there is none.
 */
binlog_result binlog_consumer_remove(const char *dir, const char *name);

/*
 Points `*out` at the position token of where the log reader `r` stands
 (NUL-terminated printable text, valid until the next call on `r`):
 `binlog_reader_seek_position` of any reader of the same log goes on
 there, across rolls, compression, shipping and retention.
 `BINLOG_ERR_INVALID_ARGUMENT` for a reader of one segment.
 */
binlog_result binlog_reader_position(struct binlog_reader *r, const char **out);

/*
 Positions the log reader `r` where `token` (from
 `binlog_reader_position`) says. Records since deleted are reported as a
 `BINLOG_GAP_RETENTION` gap. `BINLOG_ERR_INVALID_ARGUMENT` for a token
 of another log or text that is no token (mistyped: its check fails).
 */
binlog_result binlog_reader_seek_position(struct binlog_reader *r, const char *token);

/*
 Opens consumer `name` of every log in `dir` and/or directly under
 `remote` (NULL: none) whose name matches `pattern` (NULL: every log), as
 `binlog_merged_reader_open` reads them, as a merged reader
 (`binlog_merged_reader_*` calls work on it): each log goes on after the
 consumer's last commit, one with no position in it at `start` (as
 `binlog_consumer_open`). The consumer's file is in `dir`, which is
 required.
 */
binlog_result binlog_merged_consumer_open(const char *dir,
                                          const char *remote,
                                          const char *pattern,
                                          const char *name,
                                          uint32_t start,
                                          uint64_t seq,
                                          int64_t ts_ns,
                                          struct binlog_merged_reader **out);

/*
 Commits every record the merged consumer `r` returned so far, in every
 log, in one durable write.
 */
binlog_result binlog_merged_consumer_commit(struct binlog_merged_reader *r);

/*
 Points `*out` at the position token of where the merged reader `r`
 stands in each of its logs (valid until the next call on `r`).
 */
binlog_result binlog_merged_reader_position(struct binlog_merged_reader *r, const char **out);

/*
 Positions each log of the merged reader `r` that `token` names where it
 says; `BINLOG_ERR_INVALID_ARGUMENT` for a log not merged here.
 */
binlog_result binlog_merged_reader_seek_position(struct binlog_merged_reader *r, const char *token);

/*
 Logs only: retention waits for the log's consumers (a sealed segment a
 consumer has not committed past stays) while a consumer is within the
 bound: the sealed segments from that one on take at most `max_bytes`
 (0: no such bound) and it was sealed at most `max_age_ms` ago (0: no
 such bound). Both 0 waits for no consumer (the default).
 */
binlog_result binlog_options_set_retention_wait_for_consumers(struct binlog_options *opts,
                                                              uint64_t max_bytes,
                                                              uint64_t max_age_ms);

/*
 Creates options with the defaults (64 MiB maximum record size, 1 MiB
 buffer, durability NONE). Free with `binlog_options_free`.
 */
binlog_result binlog_options_new(struct binlog_options **out);

/*
 Frees options; NULL is accepted.
 */
void binlog_options_free(struct binlog_options *opts);

/*
 Log name recorded in a new segment's header (UTF-8).
 */
binlog_result binlog_options_set_log_name(struct binlog_options *opts,
                                          const uint8_t *name,
                                          size_t name_len);

/*
 A signed log also checkpoints its live segment into its signed head
 each time its next sequence number reaches a multiple of `records`
 (besides each second); 0: each second only (the default).
 */
binlog_result binlog_options_set_checkpoint_records(struct binlog_options *opts, uint64_t records);

/*
 Signs each segment's seal with the Ed25519 secret key in the file at
 `key_path` (`binlog keys new` writes it), or forward secure with the
 epoch keys of the file `binlog keys epochs` writes (a log then rolls at
 each epoch's end and erases past epochs' keys from the file):
 docs/FORMAT.md section 8.6. `BINLOG_ERR_INVALID_ARGUMENT` for a file
 that is no secret key (or an epoch key whose certificate fails), or a
 library built without signing.
 */
binlog_result binlog_options_set_signing_key(struct binlog_options *opts, const char *key_path);

/*
 Writes a new Ed25519 secret key to the file at `key_path` (mode 0600)
 and its public key to `key_path` + ".pub", as `binlog keys new` does;
 `BINLOG_ERR_ALREADY_EXISTS` if either exists,
 `BINLOG_ERR_INVALID_ARGUMENT` in a library built without signing.
 */
binlog_result binlog_keys_new(const char *key_path);

/*
 Content type recorded in a new segment's header (UTF-8).
 */
binlog_result binlog_options_set_content_type(struct binlog_options *opts,
                                              const uint8_t *ct,
                                              size_t ct_len);

/*
 Adds a key/value parameter to a new segment's header (UTF-8).
 */
binlog_result binlog_options_add_param(struct binlog_options *opts,
                                       const uint8_t *key,
                                       size_t key_len,
                                       const uint8_t *value,
                                       size_t value_len);

/*
 Largest encoded record accepted (64 to 4 GiB + 7 bytes; default 64 MiB).
 A log measures a record as the first of its type in a segment encodes it
 (with its type's name), so that a batch is checked whole before any of
 it is written.
 */
binlog_result binlog_options_set_max_record_size(struct binlog_options *opts, uint64_t bytes);

/*
 Bytes buffered before records are handed to the OS (default 1 MiB; 0:
 each write call's at once; over 1 GiB is `BINLOG_ERR_INVALID_ARGUMENT`).
 A 1 to 2 MiB buffer that begins a 2 MiB-aligned piece of the file may
 wait for the next, up to the flush delay, so both reach the page cache in
 one 2 MiB folio (fast reads by type); flush, sync and close never wait.
 */
binlog_result binlog_options_set_buffer_size(struct binlog_options *opts, size_t bytes);

/*
 Microseconds a record may wait in the writer's buffer after its write
 call before it is handed to the OS, where other processes' readers see
 it and a crash of this process cannot lose it (default 10000), by a
 writer thread asleep while nothing waits. 0: every write call hands its
 records over before it returns (a system call each); UINT64_MAX: only
 when the buffer fills, and on flush, sync and close.
 */
binlog_result binlog_options_set_flush_delay_us(struct binlog_options *opts, uint64_t us);

/*
 Durability policy: `mode` is a `binlog_durability` value; `param` is N
 for EVERY_N (1 to 2^32 - 1) and milliseconds for INTERVAL_MS (at least
 1), ignored otherwise. Values outside the enum or those ranges are
 refused with `BINLOG_ERR_INVALID_ARGUMENT`.
 */
binlog_result binlog_options_set_durability(struct binlog_options *opts,
                                            uint32_t mode,
                                            uint64_t param);

/*
 With durability EVERY_RECORD: microseconds a write waiting for another
 thread's fdatasync (group commit) stays runnable, yielding its CPU, before
 it sleeps (default 0; at most 10000, more is refused): about one
 fdatasync's duration trades CPU time for throughput.
 */
binlog_result binlog_options_set_sync_wait_spin_us(struct binlog_options *opts, uint32_t us);

/*
 Sequence number of a new segment's first record (default 0).
 */
binlog_result binlog_options_set_first_seq(struct binlog_options *opts, uint64_t seq);

/*
 Segment number recorded in a new segment's header (default 0). Segments
 only: `binlog_writer_open_log` refuses options with it set.
 */
binlog_result binlog_options_set_segment_no(struct binlog_options *opts, uint64_t n);

/*
 Creation time recorded in a new segment's header (default: now).
 Segments only: `binlog_writer_open_log` refuses options with it set.
 */
binlog_result binlog_options_set_created_ns(struct binlog_options *opts, int64_t ns);

/*
 Bytes of records between entries of the sparse seq/time index
 (default 65536; 0 is refused with `BINLOG_ERR_INVALID_ARGUMENT`).
 */
binlog_result binlog_options_set_sparse_interval(struct binlog_options *opts, uint32_t bytes);

/*
 Logs only: roll before a record would take a segment past `bytes`
 (0 = no size limit; at least 4096 otherwise).
 */
binlog_result binlog_options_set_max_segment_bytes(struct binlog_options *opts, uint64_t bytes);

/*
 Logs only: roll after `records` records (0 = no limit).
 */
binlog_result binlog_options_set_max_segment_records(struct binlog_options *opts, uint64_t records);

/*
 Logs only: roll when a new UTC period starts, even while idle; `period`
 is a `binlog_period` value.
 */
binlog_result binlog_options_set_period(struct binlog_options *opts, uint32_t period);

/*
 Logs only: `true` seals the segments a log rolls away from on its
 background thread, so the write that rolls does not wait for the seal
 (docs/PERFORMANCE.md, g); SEALED events, polling and retention then
 follow shortly after that write, and a crash in between leaves a segment
 the next open seals. Default `false`: all done before that write returns.
 */
binlog_result binlog_options_set_seal_in_background(struct binlog_options *opts, bool on);

/*
 Logs only: compress sealed segments (`on`; default off) into
 `<segment>.binlog.zst` (docs/FORMAT.md section 17), which readers read as
 the segment, once `after_segments` newer sealed segments exist (0: at
 once), on a thread of the log's own at the lowest normal CPU and I/O
 priority; closing the log compresses those still due (its last one too
 with `after_segments` 0) on the closing thread. `level` is zstd's (0: 3;
 up to 22; negative is faster), `frame_size` the original bytes per frame
 (0: 1 MiB; at most 1 GiB); out of range is `BINLOG_ERR_INVALID_ARGUMENT`.
 Retention counts compressed bytes; callbacks get a COMPRESSED event.
 */
binlog_result binlog_options_set_compression(struct binlog_options *opts,
                                             bool on,
                                             uint64_t after_segments,
                                             int32_t level,
                                             uint64_t frame_size);

/*
 Logs only, with compression on: the share of a compressed segment's
 record bytes, in thousandths, that second copies of its rare types may
 take (docs/FORMAT.md section 17.5), so a filter on a rare type
 decompresses only its copy; 50 unless set, 0 for none; a later
 `binlog_options_set_compression` keeps it. Over 1000, or compression
 off, is refused with `BINLOG_ERR_INVALID_ARGUMENT`.
 */
binlog_result binlog_options_set_compression_type_copies(struct binlog_options *opts,
                                                         uint32_t per_mille);

/*
 Logs only: keep at most `max_segments` sealed segments, `max_bytes` bytes
 of them, none sealed over `max_age_ms` ago (0: no such limit), setting
 the three limits below at once. The oldest go first, never the segment
 being written. Ages count from the log's open on CLOCK_BOOTTIME (a
 wall-clock step deletes nothing early); a segment found on disk at open
 ages from its modification time.
 */
binlog_result binlog_options_set_retention(struct binlog_options *opts,
                                           uint64_t max_segments,
                                           uint64_t max_bytes,
                                           uint64_t max_age_ms);

/*
 Logs only: keep at most `max_segments` sealed segments, the oldest going
 first (0 = no such limit). The other retention limits stay as set.
 */
binlog_result binlog_options_set_retention_max_segments(struct binlog_options *opts,
                                                        uint64_t max_segments);

/*
 Logs only: keep at most `max_bytes` bytes of sealed segments, the oldest
 going first (0 = no such limit). The other retention limits stay as set.
 */
binlog_result binlog_options_set_retention_max_bytes(struct binlog_options *opts,
                                                     uint64_t max_bytes);

/*
 Logs only: delete sealed segments sealed longer than `max_age_ms` ago
 (0 = no such limit; ages as `binlog_options_set_retention` says). The
 other retention limits stay as set.
 */
binlog_result binlog_options_set_retention_max_age_ms(struct binlog_options *opts,
                                                      uint64_t max_age_ms);

/*
 Logs only: a callback for segment events, registered before the log opens
 its first segment (so it sees that OPENED event too), called as
 `binlog_writer_on_segment` says. `user` is passed back unchanged and must
 stay valid while any writer opened with these options lives.
 */
binlog_result binlog_options_add_segment_callback(struct binlog_options *opts,
                                                  binlog_segment_callback cb,
                                                  void *user);

/*
 Logs only: read the time from `clock(user)` instead of CLOCK_REALTIME,
 for period rolls, records written with `BINLOG_TIME_NOW`, segment
 creation times and names, and retention by age; NULL restores the system
 clock. For tests: advance it past a period boundary and the next write
 rolls at once. It is called often (once per write call), from every
 thread that writes to or rolls the log and from the log's background
 thread, at once, with the log's lock held: it must be thread-safe, quick
 and not call libbinlog, and `user` must stay valid while any writer
 opened with these options lives. A clock that goes back unrolls nothing.
 */
binlog_result binlog_options_set_clock(struct binlog_options *opts, binlog_clock clock, void *user);

/*
 Opens a segment for reading (read permission suffices; no lock is taken).
 */
binlog_result binlog_reader_open(const char *path, struct binlog_reader **out);

/*
 Fills `*out` with the next record (verified against its CRC) and returns
 `BINLOG_OK`, or returns `BINLOG_END` when there are no more records for
 now (an unsealed segment may grow: call again later), or an error such as
 `BINLOG_ERR_CORRUPT` naming the file and offset.
 */
binlog_result binlog_reader_next(struct binlog_reader *r, struct binlog_record *out);

/*
 Like `binlog_reader_next`, but waits up to `timeout_ms` for a record
 (following a log's writer into new segments; at the end of a sealed
 standalone segment, for records a writer that reopens it appends);
 `BINLOG_END` on timeout, never a partial record. While the writer is
 active it polls, each pause cut short by inotify (tens of microseconds'
 latency); after 25 ms without a change it sleeps until inotify reports
 one (on a network filesystem, which inotify misses, it polls).
 */
binlog_result binlog_reader_next_wait(struct binlog_reader *r,
                                      uint64_t timeout_ms,
                                      struct binlog_record *out);

/*
 Opens a segment whose header may be damaged: the reader finds the first
 valid record after it, reports the header as a damaged region (see
 `binlog_reader_damages`; its fields become placeholders) and skips later
 damage as with `binlog_reader_skip_damaged`. A sound segment opens as
 with `binlog_reader_open`; a file without the magic number is still
 `BINLOG_ERR_NOT_A_BINLOG`.
 */
binlog_result binlog_reader_open_salvage(const char *path, struct binlog_reader **out);

/*
 Opens a reader of the rolling log `name` in `dir`: every segment in write
 order as one stream, new ones picked up as the writer rolls, those
 removed by retention skipped (see `binlog_reader_gap_count`). A file
 named as its segment whose header names another log, or another segment
 number than its name, stops it there with `BINLOG_ERR_WRONG_LOG`.
 `BINLOG_ERR_NOT_FOUND`, naming `dir` and `name`, if `dir` holds no file
 of the log (segment, compressed or salvaged file, or manifest): a
 misspelled name is an error, not an empty log. A log
 exists from its writer's first open on, also once retention removed
 every segment; a follower started before the writer retries the open on
 `BINLOG_ERR_NOT_FOUND`.
 */
binlog_result binlog_reader_open_log(const char *dir, const char *name, struct binlog_reader **out);

/*
 Opens a reader of the files in `dir` whose names match `pattern` (`*` and
 `?` wildcards), read in name order as one stream.
 */
binlog_result binlog_reader_open_glob(const char *dir,
                                      const char *pattern,
                                      struct binlog_reader **out);

/*
 Fills `*out` with the header of the segment being read: for a log reader,
 that of the last record returned (a record `binlog_reader_next_batch`
 holds back counts while held), or, after a seek and until a record is
 returned, the segment the seek landed in. `BINLOG_ERR_NOT_FOUND` before
 either, and after a seek that landed in no segment. Reading to the end of
 a segment does not move it to the next: at `BINLOG_END`,
 `binlog_reader_tail` describes this same segment. The strings and the
 parameter array stay valid until the reader moves to another segment, is
 closed or freed, or this is called again.
 */
binlog_result binlog_reader_header(struct binlog_reader *r, struct binlog_header *out);

/*
 How many gaps a log reader met (see `binlog_reader_gaps`); 0 for a
 segment.
 */
binlog_result binlog_reader_gap_count(struct binlog_reader *r, uint64_t *out);

/*
 Copies up to `cap` of the gaps a log reader met so far, oldest first, into
 `out` (NULL when `cap` is 0) and writes their total number to `*count`
 (0 for a segment reader): what it could not return, where and why, alike
 for a log read from its directory, compressed segments or a bucket. Each
 `path` stays valid until the next call on the reader.
 `BINLOG_ERR_NULL_POINTER` if `r` or `count` is NULL (or `out` with a
 `cap` above 0), `BINLOG_ERR_CLOSED` if it is closed.
 */
binlog_result binlog_reader_gaps(struct binlog_reader *r,
                                 struct binlog_gap *out,
                                 size_t cap,
                                 size_t *count);

/*
 Positions the reader at the first record with a sequence number of at
 least `seq` (at the end if none), by the seal's sparse index. Records a
 live segment or log gets later below `seq` are skipped; `UINT64_MAX`
 means the end as it is now, where a follow from the end starts (the
 library's `LogReader::seek_end`): the records written later are read,
 and a log with no readable record yet is read from its first. A log reader's
 `binlog_reader_header` then describes the segment it landed in
 (`BINLOG_ERR_NOT_FOUND` if none).
 */
binlog_result binlog_reader_seek_seq(struct binlog_reader *r, uint64_t seq);

/*
 Positions the reader at the first record, in write order, with a
 timestamp of at least `ts_ns` (at the end if none). Records a live
 segment or log gets later with earlier timestamps are skipped;
 `INT64_MAX` means the end. `binlog_reader_header` then as after
 `binlog_reader_seek_seq`.
 */
binlog_result binlog_reader_seek_time(struct binlog_reader *r, int64_t ts_ns);

/*
 Restricts `binlog_reader_next` to records whose type is one of
 `types[0..count]` (UTF-8 byte strings); `count == 0` reads every type
 again. A sealed segment is read through its per-type index (unless the
 types hold over 8 M of its records: then it scans). A record
 `binlog_reader_next_batch` held back that the filter excludes is dropped
 (`binlog_reader_header` then describes the last returned record's
 segment again).
 */
binlog_result binlog_reader_filter_types(struct binlog_reader *r,
                                         const struct binlog_iovec *types,
                                         size_t count);

/*
 How the segment ended, once `binlog_reader_next` returned `BINLOG_END`.
 For a log reader, the segment `binlog_reader_header` describes, as it
 ended when the reader left it (e.g. `BINLOG_TAIL_SEALED`, not the next
 segment's `BINLOG_TAIL_UNSEALED`); without a header
 (`BINLOG_ERR_NOT_FOUND`), the segment it stands in (`BINLOG_TAIL_READING`
 if none). `BINLOG_TAIL_READING` while a record `binlog_reader_next_batch`
 held back is still to be returned.
 */
binlog_result binlog_reader_tail(struct binlog_reader *r, struct binlog_tail *out);

/*
 Releases the reader's file and mapping (and the descriptor of
 `binlog_reader_poll_fd`); later calls return `BINLOG_ERR_CLOSED`. Closing
 twice is OK; NULL is accepted; the handle stays until `binlog_reader_free`.
 */
binlog_result binlog_reader_close(struct binlog_reader *r);

/*
 Frees the handle (closing it if needed); NULL is accepted.
 */
void binlog_reader_free(struct binlog_reader *r);

/*
 With `skip` true, a damaged region in the middle of a segment (bytes that
 fail their checks while valid records follow) is skipped: the reader
 resumes at the next valid record and records the gap (see
 `binlog_reader_damages`). By default it stops there with
 `BINLOG_ERR_CORRUPT` naming the file and offset.
 */
binlog_result binlog_reader_skip_damaged(struct binlog_reader *r, bool skip);

/*
 How many threads a full scan of a compressed segment decompresses its
 next frames on, ahead of the reader (at most 4; 0 or 1: the reader's
 thread decompresses each frame as it reaches it); records, damage and
 errors are the same either way. Default: the cores (at most 4) for a
 remote object, 0 for a local file. The threads are the library's own,
 end when the reader is freed or leaves the segment, and do not exist in
 a child after fork() (its reader decompresses on its own thread).
 `BINLOG_ERR_NULL_POINTER` if `r` is NULL, `BINLOG_ERR_CLOSED` if closed.
 */
binlog_result binlog_reader_decode_threads(struct binlog_reader *r, uint32_t threads);

/*
 Copies up to `cap` of the damaged regions skipped so far into `out` (NULL
 when `cap` is 0) and writes their total number to `*count`. Without the
 file or object each is in: see `binlog_reader_damages2`.
 */
binlog_result binlog_reader_damages(struct binlog_reader *r,
                                    struct binlog_damage *out,
                                    size_t cap,
                                    size_t *count);

/*
 As `binlog_reader_damages`, in the order met, each with the segment file
 or `s3://` object URL it is in (`binlog_damage2`): a log reader's regions
 may be in several segments, local or in a bucket. Each `path` stays valid
 until the next call on the reader. `BINLOG_ERR_NULL_POINTER` if `r` or
 `count` is NULL (or `out` with `cap` > 0), `BINLOG_ERR_CLOSED` if closed.
 */
binlog_result binlog_reader_damages2(struct binlog_reader *r,
                                     struct binlog_damage2 *out,
                                     size_t cap,
                                     size_t *count);

/*
 Writes to `*fd` a descriptor for poll, select or epoll, readable when the
 segment or log the reader follows may have new records (inotify on the
 segment file or the log's directory), so an event loop needs no thread
 blocked in `binlog_reader_next_wait`. Once it polls readable, call
 `binlog_reader_poll_rearm`, then `binlog_reader_next` until `BINLOG_END`,
 then poll again: a record written after the re-arm makes it readable, so
 none waits unseen. It is readable at first, and also without a change:
 25 ms after one (a new segment is listed once the directory settles) and
 at least every 250 ms (10 ms on a network filesystem, where inotify
 misses other hosts' writes). The descriptor is the reader's: do not read
 or close it; it stays the same on later calls and `binlog_reader_close`
 closes it. A record `binlog_reader_next_batch` held back is returned
 whether or not it is readable: read until `BINLOG_END` before polling.
 */
binlog_result binlog_reader_poll_fd(struct binlog_reader *r, int *fd);

/*
 Takes the changes the descriptor of `binlog_reader_poll_fd` reported:
 it is not readable again until the next change or timed re-check. Call
 it before reading the new records (see `binlog_reader_poll_fd`).
 `BINLOG_ERR_INVALID_ARGUMENT` if no descriptor was asked for.
 */
binlog_result binlog_reader_poll_rearm(struct binlog_reader *r);

/*
 Opens a reader of the rolling log `name` in `dir` and of its segments
 shipped to `remote` (`s3://bucket/prefix`, as `binlog ship --to` put
 them) as one stream, as `binlog_reader_open_log` reads a log: a segment
 removed locally after its upload is read from the bucket (compressed ones
 with ranged GETs), not reported as a gap; one missing from both is a gap
 of reason `BINLOG_GAP_MISSING` naming the object's `s3://` URL; a damaged
 object, or one shorter than its metadata says, is `BINLOG_ERR_CORRUPT`
 naming its URL and offset (when skipping damage, its records before the
 cut are read and `binlog_reader_damages2` names the URL). The endpoint,
 region and credentials come from the environment (`AWS_ENDPOINT_URL`,
 `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 `AWS_SESSION_TOKEN`); read and list permissions suffice. After fork(), a
 child opens its own reader. `BINLOG_ERR_INVALID_ARGUMENT` in a library
 built without the archive tier (cargo feature "s3", `make lib ARCHIVE=0`).
 */
binlog_result binlog_reader_open_log_tiered(const char *dir,
                                            const char *name,
                                            const char *remote,
                                            struct binlog_reader **out);

/*
 As `binlog_reader_open_log_tiered`, with failed requests to the bucket
 retried for `retry_timeout_ms` milliseconds (the default, 180 000, is
 `binlog_reader_open_log_tiered`'s) before the open, or a later read,
 fails: a server that is down, refuses connections or stops answering
 is a `BINLOG_ERR_REMOTE` error in about this long, naming the server's
 URL and the cause. 0: no retries (a request then waits at most 60 s).
 */
binlog_result binlog_reader_open_log_tiered_timeout(const char *dir,
                                                    const char *name,
                                                    const char *remote,
                                                    uint64_t retry_timeout_ms,
                                                    struct binlog_reader **out);

/*
 Sets how much of the log the bucket keeps: at most `max_count`
 segment objects, `max_bytes` bytes of them, objects whose last record
 is at most `max_age_ns` old (wall clock); UINT64_MAX: no such limit
 (the default: none). With a limit set, each `binlog_shipper_ship_once`
 ends with a prune, and `binlog_remote_prune` applies them.
 */
binlog_result binlog_ship_options_set_remote_retention(struct binlog_ship_options *opts,
                                                       uint64_t max_count,
                                                       uint64_t max_bytes,
                                                       uint64_t max_age_ns);

/*
 Deletes the oldest segment objects of log `name` at the destination of
 `opts` (required, with one set) beyond its remote retention
 (`binlog_ship_options_set_remote_retention`), never the newest, first
 finishing a prune killed before; with `dry_run`, only says what would go.
 `*out` (required) receives the counts, on success only. Another pruner
 holding the log's claim is `BINLOG_ERR_LOCKED` naming it; a refused
 request (credentials that may not PUT or DELETE) is
 `BINLOG_ERR_PERMISSION_DENIED` naming the object, nothing after it
 deleted. Readers report pruned records as `BINLOG_GAP_RETENTION` gaps.
 `BINLOG_ERR_INVALID_ARGUMENT` in a library built without the archive
 tier (cargo feature "s3", `make lib ARCHIVE=0`).
 */
binlog_result binlog_remote_prune(const struct binlog_ship_options *opts,
                                  const char *name,
                                  bool dry_run,
                                  struct binlog_prune_report *out);

/*
 Writes to `*out` (required) the object an S3 Object Lock kept from the
 last `binlog_remote_prune` (dry or not) or `binlog_shipper_ship_once`
 (the prune of its remote retention) that succeeded on the calling
 thread: the oldest object the limits would have deleted but its lock
 keeps, which the prune stopped before, keeping every newer one too (how
 many more the limits would have deleted is not known). `out->key` is
 NULL if that call's lock kept none (or none ran on this thread). Per
 thread, like `binlog_last_error`: ask on the thread that called; the
 strings are the thread's, valid until its next `binlog_remote_prune` or
 `binlog_shipper_ship_once` that succeeds, or its end.
 */
binlog_result binlog_last_prune_lock(struct binlog_prune_lock *out);

/*
 Plans the repair of `path`: a segment file (plain or compressed), or a
 log directory, then of log `log_name` in it (NULL: of the one log whose
 files it holds), from its verification (as `binlog_verify_open`
 resolves it; the same errors). `salvage`: copy the records after
 corruption in the middle of a segment into new segments and cut before
 the damage (else such a segment is refused). `backup_dir`: where backup
 copies go (NULL: beside each file). Nothing is changed. `*out` is
 written only on success; free it with `binlog_repair_plan_free`.
 */
binlog_result binlog_repair_plan_open(const char *path,
                                      const char *log_name,
                                      bool salvage,
                                      const char *backup_dir,
                                      struct binlog_repair_plan **out);

/*
 How many segments the plan has (`*count`), in the log's order.
 */
binlog_result binlog_repair_plan_segments(const struct binlog_repair_plan *plan, size_t *count);

/*
 Fills `*out` with segment `index` of the plan;
 `BINLOG_ERR_INVALID_ARGUMENT` past the last.
 */
binlog_result binlog_repair_plan_segment(const struct binlog_repair_plan *plan,
                                         size_t index,
                                         struct binlog_repair_segment *out);

/*
 Fills `*out` with step `step` of segment `index` of the plan, in the
 order applying it takes them; `BINLOG_ERR_INVALID_ARGUMENT` past the
 last.
 */
binlog_result binlog_repair_plan_step(const struct binlog_repair_plan *plan,
                                      size_t index,
                                      size_t step,
                                      struct binlog_repair_step *out);

/*
 Applies the plan: for each segment that needs it, with its lock held
 and the file checked to be the one planned, a backup copy first, then
 the cut, salvage and reseal; a segment's failure does not stop the
 others (counted in `errors`). Apply a plan once; plan again to see the
 result. `*out` (may be NULL) gets the summary.
 */
binlog_result binlog_repair_apply(const struct binlog_repair_plan *plan,
                                  struct binlog_repair_summary *out);

/*
 Frees the plan and its strings; NULL is accepted.
 */
void binlog_repair_plan_free(struct binlog_repair_plan *plan);

/*
 Records that log `log_name`'s records `from_seq..=to_seq` in directory
 `dir` are known to be lost (the gap a salvage leaves), in the log's
 `<log>.accepted-gaps`, so that verification reports the gap as
 accepted, not as damage. `reason` (NULL: none) is kept with it. No
 segment changes. `BINLOG_ERR_INVALID_ARGUMENT` if `from_seq > to_seq`.
 */
binlog_result binlog_repair_accept_gap(const char *dir,
                                       const char *log_name,
                                       uint64_t from_seq,
                                       uint64_t to_seq,
                                       const char *reason);

/*
 The name of segment action `action` (e.g. "reseal"), a static
 NUL-terminated string; NULL for a number that is no action.
 */
const char *binlog_repair_segment_action_name(uint32_t action);

/*
 The name of step kind `kind` (e.g. "backup"), a static NUL-terminated
 string; NULL for a number that is no step kind.
 */
const char *binlog_repair_step_kind_name(uint32_t kind);

/*
 The name of result code `code` as the header spells it (e.g.
 "BINLOG_ERR_SEALED"), as a static NUL-terminated string; for a number
 that is no code, "BINLOG_UNKNOWN_RESULT". Never NULL; thread-safe.
 */
const char *binlog_result_name(uint32_t code);

/*
 A few words saying what result code `code` means (e.g. "handle is
 closed"), as a static NUL-terminated string; for a number that is no
 code, "BINLOG_UNKNOWN_RESULT". Never NULL; thread-safe. The message of
 a failed call (`binlog_last_error`) says more: the file, offset and
 cause.
 */
const char *binlog_result_description(uint32_t code);

/*
 Logs only: `until_shipped` true keeps every sealed segment a shipper
 (`binlog_shipper`) has not uploaded yet, as its journal `<name>.ship` in
 the log's directory says, whatever the other limits say; only the hard
 cap (`binlog_options_set_retention_hard_max_bytes`) deletes one. A build
 without the shipper refuses it with `BINLOG_ERR_INVALID_ARGUMENT` when
 the log opens.
 */
binlog_result binlog_options_set_retention_until_shipped(struct binlog_options *opts,
                                                         bool until_shipped);

/*
 Logs only: keep at most `max_bytes` bytes of sealed segments even if a
 shipper has not uploaded them yet (0 = no such limit); every segment it
 deletes that was not uploaded is counted
 (`binlog_writer_dropped_unshipped`).
 */
binlog_result binlog_options_set_retention_hard_max_bytes(struct binlog_options *opts,
                                                          uint64_t max_bytes);

/*
 How many sealed segments the hard byte cap deleted before a shipper had
 uploaded them (records neither local nor in the bucket any more). Works
 after close too; a segment writer is refused.
 */
binlog_result binlog_writer_dropped_unshipped(const struct binlog_writer *w, uint64_t *out);

/*
 Declares the schema of one type, recorded in the header of every new
 segment the writer creates (an existing segment keeps its header; a
 log's writer opened with other schemas than its newest segment's
 starts a new segment). Checked at once: `BINLOG_ERR_INVALID_SCHEMA`
 for an unknown encoding, a descriptor set that does not parse or lacks
 the message, or a second schema of the type;
 `BINLOG_ERR_SCHEMA_TOO_LARGE` when the header cannot hold the schemas
 (1 MiB in all; the message names the largest schema's type and size).
 The options keep copies of the bytes.
 */
binlog_result binlog_options_add_type_schema(struct binlog_options *opts,
                                             const struct binlog_type_schema *schema);

/*
 Fills `*out` with the schema of type `type_name` in the header of the
 segment the reader's last record came from (for a log reader; see
 `binlog_reader_header`): each record is described by its own
 segment's header. `BINLOG_ERR_NOT_FOUND` if that header has no schema
 for the type, or the reader has no segment to ask yet.
 */
binlog_result binlog_reader_type_schema(struct binlog_reader *r,
                                        const uint8_t *type_name,
                                        size_t type_len,
                                        struct binlog_type_schema *out);

/*
 `binlog_reader_type_schema` for the log the merged reader's last record
 came from.
 */
binlog_result binlog_merged_reader_type_schema(struct binlog_merged_reader *m,
                                               const uint8_t *type_name,
                                               size_t type_len,
                                               struct binlog_type_schema *out);

/*
 Lists the files of log `name` in `dir` in the order a log reader reads
 them (segments by number, each followed by its salvaged files), with
 state, segment number, first and last sequence number when known, and
 size (a segment without a seal is read to its end to tell ENDING from
 ACTIVE): a snapshot of a log that may roll meanwhile. `*out` is written
 only on success; free it with `binlog_segment_list_free`.
 */
binlog_result binlog_log_list_segments(const char *dir,
                                       const char *name,
                                       struct binlog_segment_list **out);

/*
 How many files the list holds.
 */
binlog_result binlog_segment_list_count(const struct binlog_segment_list *list, size_t *out);

/*
 Fills `*out` with file `index` of the list (0 is the oldest);
 `BINLOG_ERR_INVALID_ARGUMENT` if `index` is not below the count.
 */
binlog_result binlog_segment_list_get(const struct binlog_segment_list *list,
                                      size_t index,
                                      struct binlog_listed_segment *out);

/*
 Whether file `index` of the list is a compressed segment
 (`<segment>.binlog.zst`): `*compressed` true and `*original_bytes` the
 size of the segment it holds (its `bytes` being the compressed size) if
 its seek table could be read; false and 0 otherwise. Apart from
 `binlog_listed_segment`, whose layout stays as built against.
 `BINLOG_ERR_INVALID_ARGUMENT` if `index` is not below the count.
 */
binlog_result binlog_segment_list_get_compression(const struct binlog_segment_list *list,
                                                  size_t index,
                                                  bool *compressed,
                                                  uint64_t *original_bytes);

/*
 Frees the list and every path it gave out; NULL is accepted.
 */
void binlog_segment_list_free(struct binlog_segment_list *list);

/*
 Creates ship options with the defaults: no destination (one must be
 set), the endpoint, region and credentials of the environment
 (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, ...), path-style
 addressing, no local segment removed, multipart uploads above 64 MiB.
 Free with `binlog_ship_options_free`. `BINLOG_ERR_INVALID_ARGUMENT` in a
 library built without the archive tier (cargo feature "s3",
 `make lib ARCHIVE=0`), whose shipper functions all fail.
 */
binlog_result binlog_ship_options_new(struct binlog_ship_options **out);

/*
 Frees ship options; NULL is accepted.
 */
void binlog_ship_options_free(struct binlog_ship_options *opts);

/*
 Where the log goes: `url` is `s3://bucket[/prefix]` (NUL-terminated);
 its objects are named `<prefix>/<log name>/...`. A malformed URL is
 refused with `BINLOG_ERR_INVALID_ARGUMENT`.
 */
binlog_result binlog_ship_options_set_url(struct binlog_ship_options *opts, const char *url);

/*
 Where the log goes, as a bucket and a key prefix (NUL-terminated;
 `prefix` may be NULL or empty): the same as
 `binlog_ship_options_set_url` with `s3://<bucket>/<prefix>`.
 */
binlog_result binlog_ship_options_set_bucket(struct binlog_ship_options *opts,
                                             const char *bucket,
                                             const char *prefix);

/*
 The server's URL, for S3-compatible servers (`http://host:port`;
 NUL-terminated); unset: `AWS_ENDPOINT_URL`, or AWS's endpoint of the
 region.
 */
binlog_result binlog_ship_options_set_endpoint(struct binlog_ship_options *opts,
                                               const char *endpoint);

/*
 The bucket's region (NUL-terminated); unset: `AWS_REGION` or
 `AWS_DEFAULT_REGION`.
 */
binlog_result binlog_ship_options_set_region(struct binlog_ship_options *opts, const char *region);

/*
 The access key id and secret access key (NUL-terminated, both
 required); unset: `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`.
 */
binlog_result binlog_ship_options_set_credentials(struct binlog_ship_options *opts,
                                                  const char *access_key_id,
                                                  const char *secret_access_key);

/*
 Path-style addressing (`host/bucket/key`, the default) if true,
 virtual-hosted style (`bucket.host/key`) if false; unset:
 `AWS_VIRTUAL_HOSTED_STYLE_REQUEST`.
 */
binlog_result binlog_ship_options_set_path_style(struct binlog_ship_options *opts, bool path_style);

/*
 Removes a local segment once its verified copy is in the bucket,
 keeping the newest `keep` sealed segments; UINT64_MAX: removes none
 (the default).
 */
binlog_result binlog_ship_options_set_keep_local(struct binlog_ship_options *opts, uint64_t keep);

/*
 Removing local copies (`binlog_ship_options_set_keep_local`) and the
 bucket's retention wait for the log's consumers, as the log's retention
 does (`binlog_options_set_retention_wait_for_consumers`, the same
 bounds: 0 leaves one unset; both 0, the default, waits for none).
 */
binlog_result binlog_ship_options_set_wait_for_consumers(struct binlog_ship_options *opts,
                                                         uint64_t max_bytes,
                                                         uint64_t max_age_ms);

/*
 Segments larger than `bytes` go up as multipart uploads (default
 64 MiB; a single PUT is limited to 5 GiB by S3).
 */
binlog_result binlog_ship_options_set_multipart_threshold(struct binlog_ship_options *opts,
                                                          uint64_t bytes);

/*
 How long failed requests are retried, with backoff, before a call gives
 up, in milliseconds (default 180 000; the CLI's `--retry-timeout`): a
 server that is down, refuses connections or never answers fails the call
 in about this long with `BINLOG_ERR_REMOTE`, naming the server's URL and
 the cause. 0: no retries (a request then waits at most 60 s).
 */
binlog_result binlog_ship_options_set_retry_timeout(struct binlog_ship_options *opts,
                                                    uint64_t retry_timeout_ms);

/*
 Locks each segment object and signed head the shipper creates under
 S3 Object Lock (WORM): `mode` a `binlog_lock_mode`, for `days` (1 to
 36500) from its upload. `binlog_shipper_open` then fails with
 `BINLOG_ERR_INVALID_ARGUMENT`, saying so, if the bucket does not have
 Object Lock enabled; remote prune deletes no locked object. Another
 mode or a number of days outside those is refused with
 `BINLOG_ERR_INVALID_ARGUMENT`.
 */
binlog_result binlog_ship_options_set_object_lock(struct binlog_ship_options *opts,
                                                  uint32_t mode,
                                                  uint32_t days);

/*
 Starts shipping log `name` of `dir` to the destination of `opts`
 (required, with one set): takes the log's ship lock (`BINLOG_ERR_LOCKED`
 if another shipper holds it), claims the prefix for the log or checks its
 claim (`BINLOG_ERR_WRONG_LOG` if another log holds it), and compares the
 local segments with the journal `<dir>/<name>.ship` and a listing of the
 bucket: a copy whose size no longer matches the journal is read back; one
 damaged or truncated is `BINLOG_ERR_CORRUPT` naming the object, its
 segment kept. Nothing is uploaded yet. `*out` is written only on success;
 free it with `binlog_shipper_free`. `BINLOG_ERR_INVALID_ARGUMENT` in a
 library built without the archive tier (cargo feature "s3",
 `make lib ARCHIVE=0`), whatever the arguments.
 */
binlog_result binlog_shipper_open(const char *dir,
                                  const char *name,
                                  const struct binlog_ship_options *opts,
                                  struct binlog_shipper **out);

/*
 Uploads every sealed segment not yet in the bucket, in order, each
 verified by a HEAD after its create-only PUT, then removes the local
 copies the options allow (`binlog_ship_options_set_keep_local`); those
 after the first one not sealed wait for it. `*out` (required) receives
 the counts, on success only. A failure names the object or file and
 leaves the journal where the pass stopped (the next pass resumes); an
 object holding other bytes than its segment is
 `BINLOG_ERR_REMOTE_CONFLICT`, never overwritten. With a remote
 retention set, the pass ends with a prune: `binlog_last_prune_lock`
 then says what an Object Lock kept from it.
 */
binlog_result binlog_shipper_ship_once(struct binlog_shipper *s, struct binlog_ship_report *out);

/*
 Frees the shipper and releases the log's ship lock; NULL is accepted.
 */
void binlog_shipper_free(struct binlog_shipper *s);

/*
 Opens a verification of `path`: a segment file (plain or compressed), or
 a log directory, then of log `log_name` in it (NULL: of the one log whose
 files it holds), verified segment by segment as `binlog_verify_next`
 reaches them. `*out` is written only on success; free it with
 `binlog_verify_free`. `BINLOG_ERR_NOT_FOUND` for a path that does not
 exist, a directory with no log's segment files, or, `log_name` given,
 neither a segment file nor the manifest of that log;
 `BINLOG_ERR_INVALID_ARGUMENT` for one with several logs and no name.
 */
binlog_result binlog_verify_open(const char *path,
                                 const char *log_name,
                                 struct binlog_verify **out);

/*
 Verifies signed seals against the Ed25519 public key in the file at
 `key_path` (`binlog keys new` writes it): each sealed segment signed by
 it (else `BINLOG_FINDING_UNSIGNED`, `_OTHER_KEY` or `_BAD_SIGNATURE`),
 and a log's segments one chain (else `BINLOG_FINDING_CHAIN_GAP`,
 `_NOT_IN_CHAIN`, `_REORDERED` or `_DUPLICATE`). A log directory's
 newest segments are checked against its signed head `<log>.head` beside
 it by default (`BINLOG_FINDING_CUT_OFF` if it names a segment the log
 does not hold), unless `binlog_verify_head` names a kept copy. Called
 before the first `binlog_verify_next` (else
 `BINLOG_ERR_INVALID_ARGUMENT`, as for a file that is no public key, or a
 library built without signing).
 */
binlog_result binlog_verify_trust(struct binlog_verify *v, const char *key_path);

/*
 Checks a log's newest segments against its signed head in the file at
 `head_path` (a copy of `<log>.head` kept where the writer's host cannot
 change it): a head signed by another key is `BINLOG_FINDING_OTHER_KEY`,
 one whose signature does not verify `BINLOG_FINDING_BAD_SIGNATURE`, one
 naming a segment the log does not hold `BINLOG_FINDING_CUT_OFF`. Called
 after `binlog_verify_trust` and before the first `binlog_verify_next`
 (else `BINLOG_ERR_INVALID_ARGUMENT`, as for a file that is no signed
 head).
 */
binlog_result binlog_verify_head(struct binlog_verify *v, const char *head_path);

/*
 Fills `*out` with the next finding, in file order, segment by segment (at
 most `BINLOG_VERIFY_MAX_FINDINGS` of one, then a
 `BINLOG_FINDING_NOT_LISTED` counting the rest), then, for a log, one
 about its manifest if unusable (`BINLOG_FINDING_MANIFEST_DAMAGED`,
 `BINLOG_FINDING_MANIFEST_UNUSED` or `BINLOG_FINDING_UNREADABLE`);
 `BINLOG_END` (`*out` untouched) once all is verified. A clean sealed
 segment gives none.
 */
binlog_result binlog_verify_next(struct binlog_verify *v, struct binlog_finding *out);

/*
 The segments verified so far and the valid records they hold (after
 `BINLOG_END`: of the whole path; a log's manifest is no segment).
 Either output may be NULL.
 */
binlog_result binlog_verify_counts(struct binlog_verify *v, uint64_t *segments, uint64_t *records);

/*
 Frees the handle and the strings it gave out; NULL is accepted.
 */
void binlog_verify_free(struct binlog_verify *v);

/*
 The name of finding kind `kind` as `binlog verify` names it (e.g.
 "torn-tail"; the `kind` of a `--json` issue), a static NUL-terminated
 string; NULL for a number that is no finding kind. Thread-safe.
 */
const char *binlog_finding_kind_name(uint32_t kind);

/*
 The name of repair action `action` (e.g. "cut-torn-tail"), as a static
 NUL-terminated string; NULL for a number that is no repair action.
 Thread-safe.
 */
const char *binlog_repair_action_name(uint32_t action);

/*
 The library version as a NUL-terminated static string, e.g. "0.1.0".
 */
const char *binlog_version(void);

/*
 The loaded library's version as one number, MAJOR * 1000000 + MINOR * 1000
 + PATCH (`BINLOG_VERSION_NUMBER` of the library's own header).
 */
uint32_t binlog_version_number(void);

/*
 The calling thread's last error message (NUL-terminated, never NULL; empty
 if no call on this thread has failed). Valid until the next failing call
 on this thread; copy it to keep it.
 */
const char *binlog_last_error(void);

/*
 The file, log directory or `s3://` object URL the calling thread's last
 error names (NUL-terminated, never NULL; empty if it names none). Valid
 until the next failing call on this thread.
 */
const char *binlog_last_error_path(void);

/*
 Whether the calling thread's last error names a byte offset in its file
 or object; if so, and `offset_out` is not NULL, writes it there.

 # Safety
 `offset_out` is NULL or points to a writable `uint64_t`.
 */
bool binlog_last_error_offset(uint64_t *offset_out);

/*
 The operating system's error number (`errno`, e.g. `ENOENT`) of the
 failed system call behind the calling thread's last error; 0 if it had
 no such cause.
 */
int32_t binlog_last_error_os_code(void);

/*
 Opens (creating or reopening for append) the segment at `path`; `opts`
 may be NULL for defaults. On success `*out` owns a writer: release it
 with `binlog_writer_close`, then `binlog_writer_free`. Options only logs
 have (segment size, records, period, retention, background sealing,
 compression, segment callbacks, a clock) are
 `BINLOG_ERR_INVALID_ARGUMENT`. A sealed or ending segment of a rolling log
 is `BINLOG_ERR_SEALED`: open the log instead (`binlog_writer_open_log`).
 */
binlog_result binlog_writer_open(const char *path,
                                 const struct binlog_options *opts,
                                 struct binlog_writer **out);

/*
 Appends a record with the current time and no metadata; `*seq_out` (may
 be NULL) receives its sequence number. Under
 `BINLOG_DURABILITY_EVERY_RECORD` (and every Nth record under EVERY_N) it
 returns once the record is on stable storage. A record that reached the
 file is reported written, also when a log's roll failed to seal the
 segment while the call waited for its fdatasync (the log goes on in that
 segment): an error means the record was not written, unless the message
 says which were (see `binlog_writer_write_batch`). Only a failed
 fdatasync (`BINLOG_ERR_POISONED`) leaves a record written but not known
 durable.
 */
binlog_result binlog_writer_write(struct binlog_writer *w,
                                  const uint8_t *type_name,
                                  size_t type_len,
                                  const uint8_t *payload,
                                  size_t payload_len,
                                  uint64_t *seq_out);

/*
 Appends one record whose payload is gathered from `iov[0..iovcnt]`.
 */
binlog_result binlog_writer_writev(struct binlog_writer *w,
                                   const uint8_t *type_name,
                                   size_t type_len,
                                   const struct binlog_iovec *iov,
                                   size_t iovcnt,
                                   uint64_t *seq_out);

/*
 Appends one record with metadata and an explicit timestamp.
 */
binlog_result binlog_writer_write_entry(struct binlog_writer *w,
                                        const struct binlog_entry *entry,
                                        uint64_t *seq_out);

/*
 Appends `count` records under one lock, in as few system calls as the
 buffer allows; `*first_seq_out` (may be NULL) receives the first one's
 sequence number. Every entry is checked first: if any is invalid (a NULL
 pointer with a length, a name or metadata not UTF-8, a type name over
 4096 bytes, a record above the maximum record size; for a log, measured
 as the first of its type in a segment), nothing is written, no sequence
 number taken and a log does not roll; the message names the entry ("entry
 I of N: ...; no record of this call was written"). Only an I/O error
 stops a batch part way: the records before it that reached the file
 stay, and the message says how many were written, with their sequence
 numbers when a log's roll failed between two of them (see
 `binlog_writer_next_seq`).
 */
binlog_result binlog_writer_write_batch(struct binlog_writer *w,
                                        const struct binlog_entry *entries,
                                        size_t count,
                                        uint64_t *first_seq_out);

/*
 Hands buffered records to the OS; readers see them afterwards.
 */
binlog_result binlog_writer_flush(struct binlog_writer *w);

/*
 Flushes and fdatasyncs: every record written so far is on stable storage.
 */
binlog_result binlog_writer_sync(struct binlog_writer *w);

/*
 The sequence number the next record will get.
 */
binlog_result binlog_writer_next_seq(const struct binlog_writer *w, uint64_t *out);

/*
 Every record with a lower sequence number than `*out` is on stable
 storage: covered by an fdatasync. Under `BINLOG_DURABILITY_NONE` only
 `binlog_writer_sync` does that (for a log, also of the segments rolled
 away from), and records found by a reopen count only after it.
 */
binlog_result binlog_writer_durable_seq(const struct binlog_writer *w, uint64_t *out);

/*
 Flushes, seals and closes the segment and releases its lock (a log's
 current segment that holds no record is removed instead of sealed).
 Later calls on the writer return `BINLOG_ERR_CLOSED`; closing twice is
 OK; NULL is accepted. The handle stays allocated until
 `binlog_writer_free`.
 */
binlog_result binlog_writer_close(struct binlog_writer *w);

/*
 Closes the writer if needed and frees the handle; NULL is accepted.
 */
void binlog_writer_free(struct binlog_writer *w);

/*
 Opens the rolling log `name` in directory `dir` (created if missing) for
 appending: segments `<name>-<20-digit number>-<UTC start>.binlog`, rolled
 by the options' size, record and period limits and trimmed by their
 retention; every binlog_writer call works on it and close seals the
 current segment. One writer per log: it holds an flock on
 `<dir>/<name>.lock` until closed; another gets `BINLOG_ERR_LOCKED`. A file
 named as one of its segments whose header names another log is
 `BINLOG_ERR_WRONG_LOG`, changing nothing. Options with a segment number
 or creation time set, or naming another log, are
 `BINLOG_ERR_INVALID_ARGUMENT`; `binlog_options_set_first_seq` gives a new
 log's first sequence number.
 */
binlog_result binlog_writer_open_log(const char *dir,
                                     const char *name,
                                     const struct binlog_options *opts,
                                     struct binlog_writer **out);

/*
 Registers a callback for segment events of a log writer. `user` is
 passed back unchanged. Events before the registration (the opening of
 the first segment) are not replayed: to see them, give the callback in
 the options (`binlog_options_add_segment_callback`).
 */
binlog_result binlog_writer_on_segment(struct binlog_writer *w,
                                       binlog_segment_callback cb,
                                       void *user);

/*
 The oldest sealed segment not yet polled: `BINLOG_OK` and `*out` filled,
 or `BINLOG_END` if none; for callers that prefer not to be called back
 from another thread (JNI, cgo). Poll from one thread; also after close,
 for the segments the close sealed. At most 65,536 wait; beyond that the
 oldest leave this queue (the files stay).
 */
binlog_result binlog_writer_poll_sealed(struct binlog_writer *w, struct binlog_segment_info *out);

/*
 How many segment callbacks failed (returned non-zero or could not run),
 with the work of the log's own threads that failed (a manifest not
 replaced, a compression not finished on a full disk: see
 `LogWriter::callback_failures`). Works after close too.
 */
binlog_result binlog_writer_callback_failures(const struct binlog_writer *w, uint64_t *out);

/*
 Starts the next segment of a log now; returns once the current one is
 sealed (and any segment rolled away from before it).
 */
binlog_result binlog_writer_roll(struct binlog_writer *w);

/*
 Opens a merged reader of every log in `dir` (NULL: none) and directly
 under `remote` (`s3://bucket/prefix`, reached as
 `binlog_reader_open_log_tiered` says; NULL: none) whose name matches
 `pattern` (`*` any run, `?` one character; NULL: every log). Records come
 by timestamp, ties by log name, then sequence number, each log's in its
 own order. A log in both `dir` and the bucket is read as
 `binlog_reader_open_log_tiered` reads it. No log matching is
 `BINLOG_ERR_NOT_FOUND`; `dir` and `remote` both NULL is
 `BINLOG_ERR_INVALID_ARGUMENT`.
 */
binlog_result binlog_merged_reader_open(const char *dir,
                                        const char *remote,
                                        const char *pattern,
                                        struct binlog_merged_reader **out);

/*
 Reads only records with timestamps in `[from_ns, to_ns)` (`INT64_MIN`,
 `INT64_MAX`: that end open); a sealed segment whose seal says none of
 its records is in it is not read. Call before the first
 `binlog_merged_reader_next`.
 */
binlog_result binlog_merged_reader_time_window(struct binlog_merged_reader *r,
                                               int64_t from_ns,
                                               int64_t to_ns);

/*
 Fills `*out` with the next record in merged order and `*log`, `*log_len`
 with its log's name (not NUL-terminated): `BINLOG_OK`; `BINLOG_END` once
 every log is read to its end for now (a later call looks at every log
 again); or an error naming the log's file or object (that log is read no
 further; the next call goes on with the others).
 */
binlog_result binlog_merged_reader_next(struct binlog_merged_reader *r,
                                        struct binlog_record *out,
                                        const uint8_t **log,
                                        size_t *log_len);

/*
 Like `binlog_merged_reader_next`, but when no log has a record waits up
 to `timeout_ms` for one to be written to any log (or shipped to the
 bucket of a log read from there), following each log across its rolls;
 `BINLOG_END` on timeout. Each call looks again at every log at its end,
 then returns the smallest (timestamp, log name, seq) of the next records
 present: a slower log's record, written after later-stamped records of
 other logs were returned, comes as soon as it is found (each log's
 records still come in order, each once). The directory is watched as by
 `binlog_reader_next_wait`; a log read from a bucket alone is listed again
 with its follower's backoff.
 */
binlog_result binlog_merged_reader_next_wait(struct binlog_merged_reader *r,
                                             uint64_t timeout_ms,
                                             struct binlog_record *out,
                                             const uint8_t **log,
                                             size_t *log_len);

/*
 With `skip` true, every log's reader skips damaged regions in the middle
 of segments (as `binlog_reader_skip_damaged`) and goes on with the next
 valid record; the regions are reported by
 `binlog_merged_reader_damages`. By default a log's damage is an error
 naming its file and offset, and that log is read no further.
 */
binlog_result binlog_merged_reader_skip_damaged(struct binlog_merged_reader *r, bool skip);

/*
 Sets `*read` to the segments (files or objects) whose records were
 read so far and `*passed_over` to those the time window passed over
 unread, over every log.
 */
binlog_result binlog_merged_reader_segments(struct binlog_merged_reader *r,
                                            uint64_t *read,
                                            uint64_t *passed_over);

/*
 Frees the handle; NULL is accepted.
 */
void binlog_merged_reader_free(struct binlog_merged_reader *r);

/*
 Copies up to `cap` of the gaps every log met so far, by log name and each
 log's oldest first, into `out`, each as `binlog_reader_gaps` gives them,
 and their log names into `logs`, as `binlog_merged_reader_damages` does
 (the same lifetimes and NULL checks), and writes their total number to
 `*count`.
 */
binlog_result binlog_merged_reader_gaps(struct binlog_merged_reader *r,
                                        struct binlog_gap *out,
                                        struct binlog_iovec *logs,
                                        size_t cap,
                                        size_t *count);

/*
 Copies up to `cap` of the damaged regions every log skipped so far (see
 `binlog_merged_reader_skip_damaged`), by log name and each log's in the
 order met, into `out`, each as `binlog_reader_damages2` gives them, and
 their log names into `logs` (`logs[i]` names the log of `out[i]`; not
 NUL-terminated), and writes their total number to `*count`. Paths and
 names stay valid until the next call on the reader.
 `BINLOG_ERR_NULL_POINTER` if `r` or `count` is NULL, or `out` or `logs`
 with `cap` > 0.
 */
binlog_result binlog_merged_reader_damages(struct binlog_merged_reader *r,
                                           struct binlog_damage2 *out,
                                           struct binlog_iovec *logs,
                                           size_t cap,
                                           size_t *count);

/*
 Summarizes every record at `path`: a segment file (plain or compressed)
 or a directory that holds one log (`BINLOG_ERR_INVALID_ARGUMENT` for one
 with several: open a reader of one and call `binlog_summary_of_reader`;
 `BINLOG_ERR_NOT_FOUND` for one with none). A log with no segment (none
 written yet, or every one shipped or deleted) has every count 0. Memory
 grows with the number of types, not of records. Damage fails the call
 (`BINLOG_ERR_CORRUPT`, naming the file and offset). `*out` is written
 only on success; free it with `binlog_summary_free`. Thread-safe.
 */
binlog_result binlog_summary_open(const char *path, struct binlog_summary **out);

/*
 Reads `r` from where it stands to its end (`binlog_reader_next` until
 `BINLOG_END`, with its type filter, seeks and `skip_damaged` setting)
 and summarizes what it read: a segment's, a log's, a tiered or a
 consumer's reader. A record a batch read held back is counted first. An
 error of the read (damage) fails the call, and the records read before
 it are consumed. `*out` is written only on success. One thread at a
 time per reader, as for every reader call.
 */
binlog_result binlog_summary_of_reader(struct binlog_reader *r, struct binlog_summary **out);

/*
 `binlog_summary_of_reader` for a merged reader, in its order.
 */
binlog_result binlog_summary_of_merged(struct binlog_merged_reader *r, struct binlog_summary **out);

/*
 Fills `*out` with the totals of summary `s`.
 */
binlog_result binlog_summary_totals(const struct binlog_summary *s, struct binlog_totals *out);

/*
 Writes to `*out` how many types summary `s` holds.
 */
binlog_result binlog_summary_type_count(const struct binlog_summary *s, size_t *out);

/*
 Fills `*out` with type `index` of summary `s` (0 up to
 `binlog_summary_type_count`, in the order of each type's first record);
 `BINLOG_ERR_INVALID_ARGUMENT` past them.
 */
binlog_result binlog_summary_type(const struct binlog_summary *s,
                                  size_t index,
                                  struct binlog_type_summary *out);

/*
 Frees summary `s` and the names it gave out; NULL is accepted.
 */
void binlog_summary_free(struct binlog_summary *s);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* BINLOG_H */
