package io.libbinlog;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Ships a log's sealed segments to an S3-compatible bucket ({@code binlog_shipper}): each with a
 * create-only PUT checked by a HEAD, never overwriting an object, and removing a local copy only
 * once its copy in the bucket is verified. Thread-safe (calls take turns); {@link #close} releases
 * the log's ship lock, and later calls throw {@link ErrorCode#CLOSED}.
 */
public final class Shipper implements AutoCloseable {
    static {
        Binlog.ensureLoaded();
    }

    /** What one {@link #shipOnce} did, in segments. */
    public record Report(long uploaded, long alreadyUploaded, long removedLocal) {}

    /**
     * Where and how a log is shipped. Unset fields take the library's defaults: the endpoint, region
     * and credentials of the environment ({@code AWS_ENDPOINT_URL}, {@code AWS_REGION},
     * {@code AWS_ACCESS_KEY_ID}, {@code AWS_SECRET_ACCESS_KEY}, ...), path-style addressing, no local
     * segment removed, multipart uploads above 64 MiB.
     */
    public static final class Options {
        private String url;
        private String endpoint;
        private String region;
        private String accessKeyId;
        private String secretAccessKey;
        private boolean virtualHostedStyle;
        private long keepLocal = -1;
        private long multipartThreshold;

        /** Where the log goes: {@code s3://bucket[/prefix]} (required). */
        public Options url(String url) {
            this.url = url;
            return this;
        }

        /** The server's URL, for S3-compatible servers ({@code http://host:port}). */
        public Options endpoint(String endpoint) {
            this.endpoint = endpoint;
            return this;
        }

        public Options region(String region) {
            this.region = region;
            return this;
        }

        public Options credentials(String accessKeyId, String secretAccessKey) {
            this.accessKeyId = accessKeyId;
            this.secretAccessKey = secretAccessKey;
            return this;
        }

        /** {@code bucket.host/key} instead of {@code host/bucket/key}. */
        public Options virtualHostedStyle(boolean on) {
            this.virtualHostedStyle = on;
            return this;
        }

        /** Removes a local segment once its copy is verified, keeping the newest {@code keep} (at least 0). */
        public Options keepLocal(long keep) {
            if (keep < 0) {
                throw new IllegalArgumentException("keepLocal " + keep + " is negative");
            }
            this.keepLocal = keep;
            return this;
        }

        /** Segments larger than this go up as multipart uploads (0 = 64 MiB). */
        public Options multipartThreshold(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("multipartThreshold " + bytes + " is negative");
            }
            this.multipartThreshold = bytes;
            return this;
        }

    }

    private final String description;
    private long handle; // 0 once closed; guarded by this

    private Shipper(long handle, String description) {
        this.handle = handle;
        this.description = description;
    }

    /**
     * Starts shipping log {@code name} of {@code dir}: takes the log's ship lock ({@link ErrorCode#LOCKED} if
     * another shipper holds it), claims the prefix for the log ({@link ErrorCode#WRONG_LOG} if another log holds
     * it), and compares the local segments with the journal and the bucket. Nothing is uploaded yet.
     */
    public static Shipper open(Path dir, String name, Options options) throws IOException {
        if (options == null) {
            throw new NullPointerException("options");
        }
        byte[] d = Strings.path(dir, "dir");
        byte[] n = Strings.cstring(name, "name");
        String description = Strings.describe(dir, name);
        long h = nativeOpen(d, n, cstring(options.url, "url"), cstring(options.endpoint, "endpoint"),
                cstring(options.region, "region"), cstring(options.accessKeyId, "access key id"),
                cstring(options.secretAccessKey, "secret access key"), options.virtualHostedStyle, options.keepLocal,
                options.multipartThreshold);
        return new Shipper(h, description);
    }

    /**
     * Uploads every sealed segment not yet in the bucket, in order, then removes the local copies the options
     * allow. An object holding other bytes than its segment is {@link ErrorCode#REMOTE_CONFLICT} (never
     * overwritten); a failure leaves the journal where the pass stopped.
     */
    public synchronized Report shipOnce() throws IOException {
        if (handle == 0) {
            throw new BinlogClosedException("shipper is closed: " + description);
        }
        long[] r = new long[3];
        nativeShipOnce(handle, r);
        return new Report(r[0], r[1], r[2]);
    }

    /** Frees the shipper and releases the log's ship lock; closing again does nothing. */
    @Override
    public synchronized void close() {
        long h = handle;
        handle = 0;
        nativeFree(h);
    }

    /** NUL-terminated UTF-8 of an option, null where unset. */
    private static byte[] cstring(String s, String what) throws IOException {
        return s == null ? null : Strings.cstring(s, what);
    }

    private static native long nativeOpen(byte[] dir, byte[] name, byte[] url, byte[] endpoint, byte[] region,
            byte[] accessKeyId, byte[] secretAccessKey, boolean virtualHosted, long keepLocal, long multipartThreshold)
            throws IOException;

    private static native void nativeShipOnce(long handle, long[] report) throws IOException;

    private static native void nativeFree(long handle);
}
