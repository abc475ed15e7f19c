package io.libbinlog;

import java.io.IOException;
import java.util.OptionalLong;
import java.util.function.ToIntFunction;

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

    /** What a finding is: {@code binlog_finding_kind}, whose numbers are never reused. */
    public enum Kind {
        TORN_TAIL(1), CORRUPT(2), SEQUENCE_JUMP(3), SEAL_DAMAGED(4), ZERO_TAIL(5), UNSEALED(6),
        NOT_A_BINLOG(7), TRUNCATED(8), UNSUPPORTED_VERSION(9), CORRUPT_HEADER(10), MISSING_RECORDS(11),
        SEQUENCE_OVERLAP(12), WRONG_LOG(13), UNREADABLE(14), BEING_WRITTEN(15), ACCEPTED_GAP(16),
        NOT_YET_WRITTEN(17), FAILED_ROLL_LEFTOVER(18), NOT_SEALED(19), CORRUPT_FRAME(20),
        SEAL_INDEX_DAMAGED(21), MANIFEST_DAMAGED(22), MANIFEST_UNUSED(23), NOT_LISTED(24);

        private final int code;

        Kind(int code) {
            this.code = code;
        }

        /** The C value ({@code BINLOG_FINDING_*}). */
        public int code() {
            return code;
        }

        /** The library's name of the kind ({@code binlog_finding_kind_name}): "torn-tail", ... */
        public String label() {
            return Verify.nativeName(true, code);
        }

        static Kind of(long code) throws IOException {
            return byCode(values(), Kind::code, code, "finding kind");
        }
    }

    /** What {@code binlog repair} does about a finding: {@code binlog_repair_action}. */
    public enum Repair {
        /** Nothing (not damage, or nothing a repair can do). */
        NOTHING(0),
        /** Backs the segment up, cuts the torn tail and seals it. */
        CUT_TORN_TAIL(1),
        /** Backs the segment up and seals it again. */
        RESEAL(2),
        /** With {@code --salvage} only: keeps the valid records around the damage. */
        SALVAGE(3);

        private final int code;

        Repair(int code) {
            this.code = code;
        }

        /** The C value ({@code BINLOG_REPAIR_*}). */
        public int code() {
            return code;
        }

        /** The library's name of the action ({@code binlog_repair_action_name}): "reseal", ... */
        public String label() {
            return Verify.nativeName(false, code);
        }

        static Repair of(long code) throws IOException {
            return byCode(values(), Repair::code, code, "repair action");
        }
    }

    /** The constant whose C value is {@code code}; the library's are all known (its jar carries it). */
    private static <E extends Enum<E>> E byCode(E[] values, ToIntFunction<E> codeOf, long code, String what) throws IOException {
        for (E e : values) {
            if (codeOf.applyAsInt(e) == code) {
                return e;
            }
        }
        throw new BinlogException(ErrorCode.INVALID_ARGUMENT, "unknown " + what + " " + code);
    }

    @Override
    public String toString() {
        return kind.label() + ": " + message;
    }
}
