package io.libbinlog;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Immutable writer options ({@code binlog_options}); build with {@link #builder()}. Unset values keep the library's
 * defaults (64 MiB maximum record size, 1 MiB buffer, durability NONE, ...).
 *
 * <p>{@link Builder#build()} checks the options with the library itself (a native {@code binlog_options} is
 * configured and freed), so a bad value fails there with {@link IllegalArgumentException}, not later at open. The
 * same object may be used for any number of opens and from any thread.
 */
public final class Options {
    static {
        Binlog.ensureLoaded();
    }

    /** What binlog_jni.c's set_option sets (ordinals: its OPT_*), in order: compression before its type copies. */
    private enum Opt {
        LOG_NAME, CONTENT_TYPE, PARAM, MAX_RECORD_SIZE, BUFFER_SIZE, DURABILITY, SYNC_WAIT_SPIN_US, FLUSH_DELAY_US,
        FIRST_SEQ, SEGMENT_NO, CREATED_NS, SPARSE_INTERVAL, MAX_SEGMENT_BYTES, MAX_SEGMENT_RECORDS, PERIOD, RETENTION,
        RETENTION_SHIPPED, SEAL_IN_BACKGROUND, COMPRESSION, TYPE_COPIES
    }

    /** {@link Builder#flushDelayUs}: records go to the OS only when the buffer fills (and on flush, sync, close). */
    public static final long FLUSH_WHEN_FULL = Long.MAX_VALUE;

    /** Log name, content type (null where unset), then each parameter's key and value. */
    private final List<String> strings;
    /** Each setting made, with its (up to three) values. */
    private final Map<Opt, long[]> settings;

    private Options(Builder b) {
        strings = Collections.unmodifiableList(new ArrayList<>(b.strings));
        settings = Collections.unmodifiableMap(new EnumMap<>(b.settings));
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Whether a write call may wait for an fdatasync (its own or another thread's): durability EVERY_RECORD or EVERY_N.
     */
    boolean writesMayWait() {
        long[] d = settings.get(Opt.DURABILITY);
        return d != null && (d[0] == Durability.EVERY_RECORD.ordinal() || d[0] == Durability.EVERY_N.ordinal());
    }

    /** A native {@code binlog_options} with these settings; the caller frees it with {@link #nativeFree}. */
    long toNative() throws IOException {
        List<String> s = new ArrayList<>(strings);
        s.replaceAll(x -> x == null ? "" : x); // an unset one gets no setting below
        Strings.Packed p = Strings.strings(s, i -> i == 0 ? "log name" : i == 1 ? "content type"
                : i % 2 == 0 ? "parameter key" : "parameter value");
        long[] v = new long[(s.size() + settings.size()) * 4];
        int at = 0;
        for (int i = 0; i < s.size(); i += i < 2 ? 1 : 2) { // the strings by their index in p
            Opt o = i == 0 ? Opt.LOG_NAME : i == 1 ? Opt.CONTENT_TYPE : Opt.PARAM;
            at = strings.get(i) == null ? at : put(v, at, o, i, i + 1);
        }
        for (Map.Entry<Opt, long[]> e : settings.entrySet()) {
            at = put(v, at, e.getKey(), e.getValue());
        }
        return nativeBuild(p.bytes(), p.lengths(), Arrays.copyOf(v, at));
    }

    /** {@code v}, unless negative: then IllegalArgumentException naming {@code what} (Shipper.Options's too). */
    static long unsigned(long v, String what) {
        if (v < 0) {
            throw new IllegalArgumentException(what + " must not be negative: " + v);
        }
        return v;
    }

    /** Puts setting {@code o} with its values at {@code v[at]}; returns where the next one goes. */
    private static int put(long[] v, int at, Opt o, long... values) {
        v[at] = o.ordinal();
        System.arraycopy(values, 0, v, at + 1, values.length);
        return at + 4;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("Options{logName=" + strings.get(0) + ", contentType=" + strings.get(1)
                + ", params=" + (strings.size() - 2) / 2);
        settings.forEach((k, v) -> {
            String name = Pattern.compile("_(.)").matcher(k.name().toLowerCase(Locale.ROOT)) // as the builder's
                    .replaceAll(m -> m.group(1).toUpperCase(Locale.ROOT));
            b.append(", ").append(name).append('=').append(k == Opt.SEAL_IN_BACKGROUND ? String.valueOf(v[0] != 0)
                    : v.length == 1 ? String.valueOf(v[0]) : Arrays.toString(v));
        });
        return b.append('}').toString();
    }

    /** Builder; not thread-safe. Negative values for unsigned settings fail at once with IllegalArgumentException. */
    public static final class Builder {
        private final List<String> strings = new ArrayList<>(Arrays.asList(null, null));
        private final Map<Opt, long[]> settings = new EnumMap<>(Opt.class);

        private Builder() {
        }

        private Builder set(Opt o, long... values) {
            settings.put(o, values);
            return this;
        }

        /** Log name recorded in a new segment's header. */
        public Builder logName(String name) {
            strings.set(0, Objects.requireNonNull(name, "name"));
            return this;
        }

        /** Content type recorded in a new segment's header (e.g. {@code application/json}). */
        public Builder contentType(String type) {
            strings.set(1, Objects.requireNonNull(type, "type"));
            return this;
        }

        /** Adds a key/value parameter to a new segment's header. */
        public Builder param(String key, String value) {
            strings.add(Objects.requireNonNull(key, "key"));
            strings.add(Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Largest encoded record accepted (64 bytes to 4 GiB + 7; default 64 MiB). */
        public Builder maxRecordSize(long bytes) {
            return set(Opt.MAX_RECORD_SIZE, unsigned(bytes, "maxRecordSize"));
        }

        /** Bytes buffered before records go to the OS (0 = every write call at once; default 1 MiB). */
        public Builder bufferSize(long bytes) {
            return set(Opt.BUFFER_SIZE, unsigned(bytes, "bufferSize"));
        }

        /** Durability policy; {@code param} is N for EVERY_N and milliseconds for INTERVAL_MS. */
        public Builder durability(Durability mode, long param) {
            Objects.requireNonNull(mode, "mode");
            return set(Opt.DURABILITY, mode.ordinal(), unsigned(param, "durability param"));
        }

        public Builder durability(Durability mode) {
            return durability(mode, 0);
        }

        /**
         * With durability EVERY_RECORD: microseconds a write waiting for another thread's fdatasync (group
         * commit) stays runnable, yielding its CPU, before it sleeps (default 0: sleep at once, no CPU used
         * while waiting). About one fdatasync's duration trades CPU time for throughput: every waiter sees
         * the sync end without a wakeup. At most 10000; {@link #build()} refuses more.
         */
        public Builder syncWaitSpinUs(long micros) {
            return set(Opt.SYNC_WAIT_SPIN_US, unsigned(micros, "syncWaitSpinUs"));
        }

        /**
         * Microseconds a record may wait in the buffer, after the write call that buffered it, before it is
         * handed to the OS, where readers in other processes see it and a crash of this process cannot lose
         * it (default 10000: 10 ms). 0: every write call hands its records over; {@link #FLUSH_WHEN_FULL}:
         * only when the buffer fills (and on flush, sync and close).
         */
        public Builder flushDelayUs(long micros) {
            return set(Opt.FLUSH_DELAY_US, unsigned(micros, "flushDelayUs"));
        }

        /** Sequence number of a new segment's first record (default 0). */
        public Builder firstSeq(long seq) {
            return set(Opt.FIRST_SEQ, unsigned(seq, "firstSeq"));
        }

        /** Segment number recorded in a new segment's header (default 0). */
        public Builder segmentNo(long n) {
            return set(Opt.SEGMENT_NO, unsigned(n, "segmentNo"));
        }

        /** Creation time (ns since the epoch) recorded in a new segment's header (default now). */
        public Builder createdNs(long ns) {
            return set(Opt.CREATED_NS, ns);
        }

        /** Bytes of records between entries of the sparse seq/time index (default 65536). */
        public Builder sparseInterval(long bytes) {
            if (bytes < 0 || bytes > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("sparseInterval outside 0..2^32-1: " + bytes);
            }
            return set(Opt.SPARSE_INTERVAL, bytes);
        }

        /** Logs only: roll before a record would take a segment past this size (0 = none; else at least 4096). */
        public Builder maxSegmentBytes(long bytes) {
            return set(Opt.MAX_SEGMENT_BYTES, unsigned(bytes, "maxSegmentBytes"));
        }

        /** Logs only: roll after this many records (0 = no limit). */
        public Builder maxSegmentRecords(long records) {
            return set(Opt.MAX_SEGMENT_RECORDS, unsigned(records, "maxSegmentRecords"));
        }

        /** Logs only: roll when a new UTC period starts, even while idle. */
        public Builder period(Period p) {
            return set(Opt.PERIOD, Objects.requireNonNull(p, "period").ordinal());
        }

        /**
         * Logs only: {@code untilShipped} keeps every sealed segment a {@link Shipper} has not uploaded yet (as its
         * journal says), whatever the other limits say; {@code hardMaxBytes} (0 = none) deletes sealed segments
         * past that many bytes even before they are uploaded, counted by {@link BinlogWriter#droppedUnshipped}.
         */
        public Builder retentionShipped(boolean untilShipped, long hardMaxBytes) {
            return set(Opt.RETENTION_SHIPPED, untilShipped ? 1 : 0, unsigned(hardMaxBytes, "retention hardMaxBytes"));
        }

        /** Logs only: keep at most this many sealed segments / bytes / milliseconds of age (0 = no such limit). */
        public Builder retention(long maxSegments, long maxBytes, long maxAgeMs) {
            return set(Opt.RETENTION, unsigned(maxSegments, "retention maxSegments"),
                    unsigned(maxBytes, "retention maxBytes"), unsigned(maxAgeMs, "retention maxAgeMs"));
        }

        /**
         * Logs only: {@code true} to seal the segment a log rolls away from on the log's background thread
         * (default false). The write that rolls then only ends the old segment's records and opens the next
         * one, so it does not wait for the seal (about 1 ms for a 64 MiB segment); the seal, retention and
         * the old segment's {@link BinlogWriter#pollSealed()} entry follow shortly after that write returns, not
         * before. {@link BinlogWriter#roll()} and {@link BinlogWriter#close()} still return with every segment sealed and
         * pollable. {@link BinlogWriter#openSegment(java.nio.file.Path, Options)} refuses options with it set
         * ({@link IllegalArgumentException}).
         */
        public Builder sealInBackground(boolean on) {
            return set(Opt.SEAL_IN_BACKGROUND, on ? 1 : 0);
        }

        /**
         * Logs only: compress each sealed segment into {@code <segment>.binlog.zst}, which every reader reads
         * as the segment, once {@code afterSegments} newer sealed segments exist (0: as soon as it is sealed),
         * on a low-priority thread of the log, never on the write path; closing the log compresses those
         * still due (its last segment too) on the closing thread. {@code level} is zstd's (0: its
         * default, 3; up to 22; negative is faster), {@code frameSize} the original bytes per frame (0: 1 MiB;
         * at most 1 GiB). Retention counts a compressed segment's compressed size. A level or frame size out
         * of range is refused ({@link IllegalArgumentException}), as is
         * {@link BinlogWriter#openSegment(java.nio.file.Path, Options)} with options that set it.
         */
        public Builder compression(long afterSegments, int level, long frameSize) {
            return set(Opt.COMPRESSION, unsigned(afterSegments, "compression afterSegments"), level,
                    unsigned(frameSize, "compression frameSize"));
        }

        /**
         * Logs only, with {@link #compression}: the share of each compressed segment's record bytes, in
         * thousandths, that second copies of its rare types may take, so that a filter over one of them
         * decompresses only its copy (docs/FORMAT.md 17.5); 50 (5%) unless set, 0 for none. Above 1000, or
         * without compression, is refused ({@link IllegalArgumentException}).
         */
        public Builder typeCopies(int perMille) {
            return set(Opt.TYPE_COPIES, perMille);
        }

        /**
         * Builds and validates the options through the library: bad settings throw {@link IllegalArgumentException}
         * with the library's message (its cause the {@link BinlogException}, code {@link ErrorCode#INVALID_ARGUMENT}).
         */
        public Options build() {
            Options o = new Options(this);
            try {
                nativeFree(o.toNative());
            } catch (IOException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            return o;
        }
    }

    private static native long nativeBuild(byte[] strBytes, int[] strLens, long[] settings) throws IOException;

    static native void nativeFree(long opts);
}
