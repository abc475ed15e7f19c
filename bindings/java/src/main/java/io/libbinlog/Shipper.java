package io.libbinlog;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Ships a log's sealed segments to an S3-compatible bucket ({@code binlog_shipper}): each with a create-only PUT
 * checked by a HEAD, never overwriting an object, and removing a local copy only once its copy in the bucket is
 * verified. Thread-safe (calls take turns); {@link #close} waits for a call in progress (a {@link #shipOnce} may take
 * as long as its retries), releases the log's ship lock, and later calls throw {@link ErrorCode#CLOSED}. An unreachable, unclosed shipper is freed by a {@link java.lang.ref.Cleaner}.
 */
public final class Shipper extends HandleCalls implements AutoCloseable {
    /** What one {@link #shipOnce} did, in segments. */
    public record Report(long uploaded, long alreadyUploaded, long removedLocal) {}

    /**
     * What one {@link #pruneRemote} did (or, dry, would do): objects deleted (those a prune killed
     * before left included, {@code finished} of them), objects kept, and the segment every one up to
     * which is pruned (empty if none is).
     */
    public record PruneReport(long deleted, long finished, long kept, OptionalLong prunedThrough) {}

    /**
     * Where and how a log is shipped. Unset fields take the library's defaults: the endpoint, region and credentials of
     * the environment ({@code AWS_ENDPOINT_URL}, {@code AWS_REGION}, {@code AWS_ACCESS_KEY_ID}, {@code
     * AWS_SECRET_ACCESS_KEY}, ...), path-style addressing, no local segment removed, multipart uploads above 64 MiB.
     */
    public static final class Options {
        /** Url, endpoint, region, access key id, secret access key (binlog_jni.c's SHIP_*); null where unset. */
        private final String[] text = new String[5];
        private boolean virtualHostedStyle;
        private long keepLocal = -1;
        private long multipartThreshold;
        private long retryTimeoutMillis;
        /** Remote retention: max count, max bytes, max age in ns; -1 where unset. */
        private final long[] remoteRetention = {-1, -1, -1};

        /** Where the log goes: {@code s3://bucket[/prefix]} (required). */
        public Options url(String url) {
            text[0] = url;
            return this;
        }

        /** The server's URL, for S3-compatible servers ({@code http://host:port}). */
        public Options endpoint(String endpoint) {
            text[1] = endpoint;
            return this;
        }

        public Options region(String region) {
            text[2] = region;
            return this;
        }

        public Options credentials(String accessKeyId, String secretAccessKey) {
            text[3] = accessKeyId;
            text[4] = secretAccessKey;
            return this;
        }

        /** {@code bucket.host/key} instead of {@code host/bucket/key}. */
        public Options virtualHostedStyle(boolean on) {
            this.virtualHostedStyle = on;
            return this;
        }

        /** Removes a local segment once its copy is verified, keeping the newest {@code keep} (at least 0). */
        public Options keepLocal(long keep) {
            this.keepLocal = io.libbinlog.Options.unsigned(keep, "keepLocal");
            return this;
        }

        /** Segments larger than this go up as multipart uploads (0 = 64 MiB). */
        public Options multipartThreshold(long bytes) {
            this.multipartThreshold = io.libbinlog.Options.unsigned(bytes, "multipartThreshold");
            return this;
        }

        /**
         * How long failed requests are retried before a call gives up (default 3 minutes; whole
         * milliseconds, at least one): a server that is down, refuses connections or stops answering
         * fails {@link Shipper#open} or {@link Shipper#shipOnce} in about this long with {@link
         * ErrorCode#REMOTE}, the message naming the server's URL and the cause.
         */
        public Options retryTimeout(Duration timeout) {
            this.retryTimeoutMillis = BinlogReader.retryTimeoutMillis(timeout);
            return this;
        }

        /**
         * Keeps at most {@code count} segment objects of the log in the bucket: each {@link #shipOnce}
         * ends with a prune, and {@link #pruneRemote} applies it (oldest first, never the newest).
         */
        public Options remoteKeepCount(long count) {
            remoteRetention[0] = io.libbinlog.Options.unsigned(count, "remoteKeepCount");
            return this;
        }

        /** Keeps at most {@code bytes} bytes of segment objects in the bucket (as {@link #remoteKeepCount}). */
        public Options remoteKeepBytes(long bytes) {
            remoteRetention[1] = io.libbinlog.Options.unsigned(bytes, "remoteKeepBytes");
            return this;
        }

        /** Deletes objects whose last record is older than {@code age} (as {@link #remoteKeepCount}). */
        public Options remoteKeepAge(Duration age) {
            remoteRetention[2] = io.libbinlog.Options.unsigned(age.toNanos(), "remoteKeepAge");
            return this;
        }

        /** The {@link #text} as UTF-8 for C strings, null where unset, as the natives take them. */
        private byte[][] strings() throws IOException {
            String[] what = {"url", "endpoint", "region", "access key id", "secret access key"};
            byte[][] out = new byte[text.length][];
            for (int i = 0; i < text.length; i++) {
                out[i] = text[i] == null ? null : Strings.cstring(text[i], what[i]);
            }
            return out;
        }

        /** The numbers as the natives take them (binlog_jni.c's SHIP_*); a prune's leave what it does not use. */
        private long[] nums(boolean ship) {
            return new long[] {virtualHostedStyle ? 1 : 0, ship ? keepLocal : -1, ship ? multipartThreshold : 0,
                retryTimeoutMillis, remoteRetention[0], remoteRetention[1], remoteRetention[2]};
        }
    }

    private Shipper(long handle, String description) {
        super(handle, Shipper::nativeFree, "shipper", description);
    }

    /**
     * Starts shipping log {@code name} of {@code dir}: takes the log's ship lock ({@link ErrorCode#LOCKED} if another
     * shipper holds it), claims the prefix for the log ({@link ErrorCode#WRONG_LOG} if another log holds it), and
     * compares the local segments with the journal and the bucket. Nothing is uploaded yet.
     */
    public static Shipper open(Path dir, String name, Options options) throws IOException {
        Objects.requireNonNull(options, "options");
        byte[] d = Strings.path(dir, "dir");
        byte[] n = Strings.cstring(name, "name");
        String description = Strings.describe(dir, name);
        return new Shipper(nativeOpen(d, n, options.strings(), options.nums(true)), description);
    }

    /**
     * Uploads every sealed segment not yet in the bucket, in order, then removes the local copies the options allow. An
     * object holding other bytes than its segment is {@link ErrorCode#REMOTE_CONFLICT} (never overwritten); a failure
     * leaves the journal where the pass stopped.
     */
    public Report shipOnce() throws IOException {
        long[] r = new long[3];
        run(h -> nativeShipOnce(h, r));
        return new Report(r[0], r[1], r[2]);
    }

    /**
     * Deletes the oldest segment objects of log {@code name} at the options' URL beyond their remote retention ({@code
     * binlog_remote_prune}): oldest first, never the newest, a prune killed before finished first; with {@code dryRun}
     * only says what would go. Another pruner holding the claim is {@link ErrorCode#LOCKED}; credentials that may not
     * delete, {@link ErrorCode#PERMISSION_DENIED} naming the object. Readers report the pruned records as gaps of
     * reason retention.
     */
    public static PruneReport pruneRemote(String name, Options options, boolean dryRun) throws IOException {
        Objects.requireNonNull(options, "options");
        byte[] n = Strings.cstring(name, "name");
        long[] r = new long[4];
        nativePrune(n, options.strings(), options.nums(false), dryRun, r);
        return new PruneReport(r[0], r[1], r[2], r[3] == -1 ? OptionalLong.empty() : OptionalLong.of(r[3]));
    }

    /** Frees the shipper and releases the log's ship lock; closing again does nothing. */
    @Override
    public void close() {
        closeOnce(false, p -> { }); // the Cleaner's action frees the handle, once
    }

    /** {@code binlog_shipper_open} with the options' {@link Options#strings} and {@link Options#nums}. */
    private static native long nativeOpen(byte[] dir, byte[] name, byte[][] strings, long[] nums) throws IOException;

    private static native void nativePrune(byte[] name, byte[][] strings, long[] nums, boolean dryRun, long[] report)
            throws IOException;

    private static native void nativeShipOnce(long handle, long[] report) throws IOException;

    private static native void nativeFree(long handle);
}
