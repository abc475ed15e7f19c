package io.libbinlog;

import java.io.IOException;
import java.util.OptionalLong;

/**
 * One thing a verification found ({@code binlog_finding}, from {@link Verify}).
 *
 * @param kind what it is
 * @param location the segment's path (or object URL), or the log's manifest
 * @param offset where in the segment (its original bytes, for a compressed one); empty when the
 *     finding has no place in a file
 * @param len the bytes affected from {@code offset} (0 for a finding about one place); for {@link
 *     Kind#NOT_LISTED}, the number of findings not listed
 * @param fromSeq the first sequence number lost; empty (as {@code toSeq}) when not known
 * @param toSeq the sequence number after the last one lost ({@code fromSeq} when none is known lost)
 * @param repair what {@code binlog repair} does about it
 * @param damage false for a note (a writer at work, prepared space, an unsealed newest segment, an
 *     accepted gap...); a file is damaged when one of its findings is damage
 * @param message what it is in words, naming the location and the offset
 */
public record Finding(Kind kind, String location, OptionalLong offset, long len, OptionalLong fromSeq,
        OptionalLong toSeq, Repair repair, boolean damage, String message) {

    /** What a finding is: {@code binlog_finding_kind}, whose numbers are never reused (new ones come last). */
    public enum Kind {
        TORN_TAIL, CORRUPT, SEQUENCE_JUMP, SEAL_DAMAGED, ZERO_TAIL, UNSEALED, NOT_A_BINLOG, TRUNCATED,
        UNSUPPORTED_VERSION, CORRUPT_HEADER, MISSING_RECORDS, SEQUENCE_OVERLAP, WRONG_LOG, UNREADABLE, BEING_WRITTEN,
        ACCEPTED_GAP, NOT_YET_WRITTEN, FAILED_ROLL_LEFTOVER, NOT_SEALED, CORRUPT_FRAME, SEAL_INDEX_DAMAGED,
        MANIFEST_DAMAGED, MANIFEST_UNUSED, NOT_LISTED, RECORDS_CHANGED, BAD_SIGNATURE, OTHER_KEY, UNSIGNED, CHAIN_GAP,
        NOT_IN_CHAIN, REORDERED, DUPLICATE, CUT_OFF, OUT_OF_EPOCH;

        /** The C value ({@code BINLOG_FINDING_*}): its place in this list, from 1. */
        public int code() {
            return ordinal() + 1;
        }

        /** The library's name of the kind ({@code binlog_finding_kind_name}): "torn-tail", ... */
        public String label() {
            return Verify.nativeName(true, code());
        }
    }

    /** What {@code binlog repair} does about a finding: {@code binlog_repair_action}. */
    public enum Repair {
        /** Nothing (not damage, or nothing a repair can do). */
        NOTHING,
        /** Backs the segment up, cuts the torn tail and seals it. */
        CUT_TORN_TAIL,
        /** Backs the segment up and seals it again. */
        RESEAL,
        /** With {@code --salvage} only: keeps the valid records around the damage. */
        SALVAGE;

        /** The C value ({@code BINLOG_REPAIR_*}): its place in this list, from 0. */
        public int code() {
            return ordinal();
        }

        /** The library's name of the action ({@code binlog_repair_action_name}): "reseal", ... */
        public String label() {
            return Verify.nativeName(false, code());
        }
    }

    /** The constant of C value {@code code}, {@code first} for the first; the library's are all known. */
    static <E extends Enum<E>> E of(E[] values, long code, int first, String what) throws IOException {
        if (code < first || code - first >= values.length) {
            throw new BinlogException(ErrorCode.INVALID_ARGUMENT, "unknown " + what + " " + code);
        }
        return values[(int) (code - first)];
    }

    @Override
    public String toString() {
        return kind.label() + ": " + message;
    }
}
