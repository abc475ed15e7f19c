package io.libbinlog;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Immutable writer options ({@code binlog_options}); build with
 * {@link #builder()}. Unset values keep the library's defaults (64 MiB
 * maximum record size, 1 MiB buffer, durability NONE, ...).
 *
 * <p>{@link Builder#build()} checks the options with the library itself
 * (a native {@code binlog_options} is configured and freed), so a bad value
 * fails there with {@link IllegalArgumentException}, not later at open.
 * The same object may be used for any number of opens and from any thread.
 */
public final class Options {
    static {
        Binlog.ensureLoaded();
    }

    // nativeSetBytes selectors
    private static final int LOG_NAME = 0;
    private static final int CONTENT_TYPE = 1;
    private static final int ADD_PARAM = 2;
    // nativeSetLong selectors
    private static final int MAX_RECORD_SIZE = 10;
    private static final int BUFFER_SIZE = 11;
    private static final int DURABILITY = 12;
    private static final int FIRST_SEQ = 13;
    private static final int SEGMENT_NO = 14;
    private static final int CREATED_NS = 15;
    private static final int SPARSE_INTERVAL = 16;
    private static final int MAX_SEGMENT_BYTES = 17;
    private static final int MAX_SEGMENT_RECORDS = 18;
    private static final int PERIOD = 19;
    private static final int RETENTION = 20;
    private static final int SYNC_WAIT_SPIN_US = 21;
    private static final int SEAL_IN_BACKGROUND = 22;
    private static final int FLUSH_DELAY_US = 23;
    private static final int COMPRESSION = 24;
    private static final int RETENTION_SHIPPED = 25;
    private static final int TYPE_COPIES = 26;

    /** {@link Builder#flushDelayUs}: records go to the OS only when the buffer fills (and on flush, sync, close). */
    public static final long FLUSH_WHEN_FULL = Long.MAX_VALUE;

    private final String logName;
    private final String contentType;
    private final List<String[]> params;
    private final Long maxRecordSize;
    private final Long bufferSize;
    private final Durability durability;
    private final long durabilityParam;
    private final Long syncWaitSpinUs;
    private final Long flushDelayUs;
    private final Long firstSeq;
    private final Long segmentNo;
    private final Long createdNs;
    private final Long sparseInterval;
    private final Long maxSegmentBytes;
    private final Long maxSegmentRecords;
    private final Period period;
    private final long[] retention;
    private final long[] retentionShipped;
    private final Boolean sealInBackground;
    private final long[] compression;
    private final Integer typeCopies;

    private Options(Builder b) {
        logName = b.logName;
        contentType = b.contentType;
        params = Collections.unmodifiableList(new ArrayList<>(b.params));
        maxRecordSize = b.maxRecordSize;
        bufferSize = b.bufferSize;
        durability = b.durability;
        durabilityParam = b.durabilityParam;
        syncWaitSpinUs = b.syncWaitSpinUs;
        flushDelayUs = b.flushDelayUs;
        firstSeq = b.firstSeq;
        segmentNo = b.segmentNo;
        createdNs = b.createdNs;
        sparseInterval = b.sparseInterval;
        maxSegmentBytes = b.maxSegmentBytes;
        maxSegmentRecords = b.maxSegmentRecords;
        period = b.period;
        retention = b.retention == null ? null : b.retention.clone();
        retentionShipped = b.retentionShipped == null ? null : b.retentionShipped.clone();
        sealInBackground = b.sealInBackground;
        compression = b.compression == null ? null : b.compression.clone();
        typeCopies = b.typeCopies;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A native {@code binlog_options} with these settings; the caller frees it with {@link #freeNative}. */
    /**
     * Whether a write call may wait for an fdatasync (its own or another
     * thread's): durability EVERY_RECORD or EVERY_N.
     */
    boolean writesMayWait() {
        return durability == Durability.EVERY_RECORD || durability == Durability.EVERY_N;
    }

    long toNative() throws IOException {
        long o = nativeNew();
        try {
            if (logName != null) {
                nativeSetBytes(o, LOG_NAME, Strings.utf8(logName, "log name"), null);
            }
            if (contentType != null) {
                nativeSetBytes(o, CONTENT_TYPE, Strings.utf8(contentType, "content type"), null);
            }
            for (String[] kv : params) {
                nativeSetBytes(o, ADD_PARAM, Strings.utf8(kv[0], "parameter key"),
                        Strings.utf8(kv[1], "parameter value"));
            }
            setIf(o, MAX_RECORD_SIZE, maxRecordSize);
            setIf(o, BUFFER_SIZE, bufferSize);
            if (durability != null) {
                nativeSetLong(o, DURABILITY, durability.value, durabilityParam, 0);
            }
            setIf(o, SYNC_WAIT_SPIN_US, syncWaitSpinUs);
            setIf(o, FLUSH_DELAY_US, flushDelayUs);
            setIf(o, FIRST_SEQ, firstSeq);
            setIf(o, SEGMENT_NO, segmentNo);
            setIf(o, CREATED_NS, createdNs);
            setIf(o, SPARSE_INTERVAL, sparseInterval);
            setIf(o, MAX_SEGMENT_BYTES, maxSegmentBytes);
            setIf(o, MAX_SEGMENT_RECORDS, maxSegmentRecords);
            if (period != null) {
                nativeSetLong(o, PERIOD, period.value, 0, 0);
            }
            if (retention != null) {
                nativeSetLong(o, RETENTION, retention[0], retention[1], retention[2]);
            }
            if (retentionShipped != null) {
                nativeSetLong(o, RETENTION_SHIPPED, retentionShipped[0], retentionShipped[1], 0);
            }
            if (sealInBackground != null) {
                nativeSetLong(o, SEAL_IN_BACKGROUND, sealInBackground ? 1 : 0, 0, 0);
            }
            if (compression != null) {
                nativeSetLong(o, COMPRESSION, compression[0], compression[1], compression[2]);
            }
            if (typeCopies != null) {
                nativeSetLong(o, TYPE_COPIES, typeCopies, 0, 0);
            }
            return o;
        } catch (RuntimeException | Error e) {
            nativeFree(o);
            throw e;
        }
    }

    private static void setIf(long o, int which, Long v) throws IOException {
        if (v != null) {
            nativeSetLong(o, which, v, 0, 0);
        }
    }

    static void freeNative(long o) {
        nativeFree(o);
    }

    @Override
    public String toString() {
        return "Options{logName=" + logName + ", contentType=" + contentType + ", params=" + params.size()
                + ", maxRecordSize=" + maxRecordSize + ", bufferSize=" + bufferSize + ", durability=" + durability
                + "(" + durabilityParam + "), maxSegmentBytes=" + maxSegmentBytes + ", maxSegmentRecords="
                + maxSegmentRecords + ", period=" + period + ", sealInBackground=" + sealInBackground
                + ", compression=" + (compression == null ? "off" : java.util.Arrays.toString(compression))
                + (typeCopies == null ? "" : ", typeCopies=" + typeCopies) + "}";
    }

    /** Builder; not thread-safe. Negative values for unsigned settings fail at once with IllegalArgumentException. */
    public static final class Builder {
        private String logName;
        private String contentType;
        private final List<String[]> params = new ArrayList<>();
        private Long maxRecordSize;
        private Long bufferSize;
        private Durability durability;
        private long durabilityParam;
        private Long syncWaitSpinUs;
        private Long flushDelayUs;
        private Long firstSeq;
        private Long segmentNo;
        private Long createdNs;
        private Long sparseInterval;
        private Long maxSegmentBytes;
        private Long maxSegmentRecords;
        private Period period;
        private long[] retention;
        private long[] retentionShipped;
        private Boolean sealInBackground;
        private long[] compression;
        private Integer typeCopies;

        private Builder() {
        }

        private static long unsigned(long v, String what) {
            if (v < 0) {
                throw new IllegalArgumentException(what + " must not be negative: " + v);
            }
            return v;
        }

        /** Log name recorded in a new segment's header. */
        public Builder logName(String name) {
            logName = Objects.requireNonNull(name, "name");
            return this;
        }

        /** Content type recorded in a new segment's header (e.g. {@code application/json}). */
        public Builder contentType(String type) {
            contentType = Objects.requireNonNull(type, "type");
            return this;
        }

        /** Adds a key/value parameter to a new segment's header. */
        public Builder param(String key, String value) {
            params.add(new String[] {Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value")});
            return this;
        }

        /** Largest encoded record accepted (64 bytes to 4 GiB + 7; default 64 MiB). */
        public Builder maxRecordSize(long bytes) {
            maxRecordSize = unsigned(bytes, "maxRecordSize");
            return this;
        }

        /** Bytes buffered before records go to the OS (0 = every write call at once; default 1 MiB). */
        public Builder bufferSize(long bytes) {
            bufferSize = unsigned(bytes, "bufferSize");
            return this;
        }

        /** Durability policy; {@code param} is N for EVERY_N and milliseconds for INTERVAL_MS. */
        public Builder durability(Durability mode, long param) {
            durability = Objects.requireNonNull(mode, "mode");
            durabilityParam = unsigned(param, "durability param");
            return this;
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
            syncWaitSpinUs = unsigned(micros, "syncWaitSpinUs");
            return this;
        }

        /**
         * Microseconds a record may wait in the buffer, after the write call that buffered it, before it is
         * handed to the OS, where readers in other processes see it and a crash of this process cannot lose
         * it (default 10000: 10 ms). 0: every write call hands its records over; {@link #FLUSH_WHEN_FULL}:
         * only when the buffer fills (and on flush, sync and close).
         */
        public Builder flushDelayUs(long micros) {
            flushDelayUs = unsigned(micros, "flushDelayUs");
            return this;
        }

        /** Sequence number of a new segment's first record (default 0). */
        public Builder firstSeq(long seq) {
            firstSeq = unsigned(seq, "firstSeq");
            return this;
        }

        /** Segment number recorded in a new segment's header (default 0). */
        public Builder segmentNo(long n) {
            segmentNo = unsigned(n, "segmentNo");
            return this;
        }

        /** Creation time (ns since the epoch) recorded in a new segment's header (default now). */
        public Builder createdNs(long ns) {
            createdNs = ns;
            return this;
        }

        /** Bytes of records between entries of the sparse seq/time index (default 65536). */
        public Builder sparseInterval(long bytes) {
            if (bytes < 0 || bytes > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("sparseInterval outside 0..2^32-1: " + bytes);
            }
            sparseInterval = bytes;
            return this;
        }

        /** Logs only: roll before a record would take a segment past this size (0 = none; else at least 4096). */
        public Builder maxSegmentBytes(long bytes) {
            maxSegmentBytes = unsigned(bytes, "maxSegmentBytes");
            return this;
        }

        /** Logs only: roll after this many records (0 = no limit). */
        public Builder maxSegmentRecords(long records) {
            maxSegmentRecords = unsigned(records, "maxSegmentRecords");
            return this;
        }

        /** Logs only: roll when a new UTC period starts, even while idle. */
        public Builder period(Period p) {
            period = Objects.requireNonNull(p, "period");
            return this;
        }

        /**
         * Logs only: {@code untilShipped} keeps every sealed segment a {@link Shipper} has not uploaded yet
         * (as its journal says), whatever the other limits say; {@code hardMaxBytes} (0 = none) deletes
         * sealed segments past that many bytes even before they are uploaded, counted by {@link
         * BinlogWriter#droppedUnshipped}.
         */
        public Builder retentionShipped(boolean untilShipped, long hardMaxBytes) {
            retentionShipped = new long[] {untilShipped ? 1 : 0, unsigned(hardMaxBytes, "retention hardMaxBytes")};
            return this;
        }

        /** Logs only: keep at most this many sealed segments / bytes / milliseconds of age (0 = no such limit). */
        public Builder retention(long maxSegments, long maxBytes, long maxAgeMs) {
            retention = new long[] {unsigned(maxSegments, "retention maxSegments"),
                unsigned(maxBytes, "retention maxBytes"), unsigned(maxAgeMs, "retention maxAgeMs")};
            return this;
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
            sealInBackground = on;
            return this;
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
            compression = new long[] {unsigned(afterSegments, "compression afterSegments"), level,
                unsigned(frameSize, "compression frameSize")};
            return this;
        }

        /**
         * Logs only, with {@link #compression}: the share of each compressed segment's record bytes, in
         * thousandths, that second copies of its rare types may take, so that a filter over one of them
         * decompresses only its copy (docs/FORMAT.md 17.5); 50 (5%) unless set, 0 for none. Above 1000, or
         * without compression, is refused ({@link IllegalArgumentException}).
         */
        public Builder typeCopies(int perMille) {
            typeCopies = perMille;
            return this;
        }

        /**
         * Builds and validates the options through the library: bad settings throw
         * {@link IllegalArgumentException} with the library's message (its cause the
         * {@link BinlogException}, code {@link ErrorCode#INVALID_ARGUMENT}).
         */
        public Options build() {
            Options o = new Options(this);
            try {
                freeNative(o.toNative());
            } catch (IOException e) {
                throw new IllegalArgumentException(e.getMessage(), e);
            }
            return o;
        }
    }

    private static native long nativeNew() throws IOException;

    private static native void nativeFree(long opts);

    private static native void nativeSetBytes(long opts, int which, byte[] a, byte[] b) throws IOException;

    private static native void nativeSetLong(long opts, int which, long a, long b, long c) throws IOException;
}
