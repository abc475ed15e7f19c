package io.libbinlog.bench;

import io.libbinlog.BinlogReader;
import io.libbinlog.BinlogRecord;
import io.libbinlog.BinlogWriter;
import io.libbinlog.RecordBatch;
import java.io.IOException;
import java.nio.file.Path;

/** libbinlog's side of each row, through its JNI binding. */
final class LibbinlogSide {
    private static final String TYPE = "rec";

    private LibbinlogSide() {}

    private static Path segment(Path dir) {
        return dir.resolve("bench.binlog");
    }

    private static void writeAll(BinlogWriter w, byte[] payload, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            w.write(TYPE, payload);
        }
    }

    /** One write per record, then close (everything handed to the OS). */
    static double appendOne(Path dir, byte[] payload, int n) throws IOException {
        long start = Pairs.start();
        try (BinlogWriter w = BinlogWriter.openSegment(segment(dir))) {
            writeAll(w, payload, n);
        }
        return Pairs.timed(start);
    }

    /** writeBatch of batch records of one type at a time, payloads end to end. */
    static double appendBatched(Path dir, byte[] payload, int n, int batch) throws IOException {
        byte[] data = new byte[batch * payload.length];
        int[] lengths = new int[batch];
        for (int i = 0; i < batch; i++) {
            System.arraycopy(payload, 0, data, i * payload.length, payload.length);
            lengths[i] = payload.length;
        }
        long start = Pairs.start();
        try (BinlogWriter w = BinlogWriter.openSegment(segment(dir))) {
            for (int left = n; left > 0; left -= batch) {
                w.writeBatch(TYPE, data, lengths, Math.min(left, batch));
            }
        }
        return Pairs.timed(start);
    }

    /** Writes n records (not timed), then times opening and reading them all with nextBatch (payloads left in the mapping). */
    static double readAll(Path dir, byte[] payload, int n) throws IOException {
        try (BinlogWriter w = BinlogWriter.openSegment(segment(dir))) {
            writeAll(w, payload, n);
        }
        RecordBatch batch = new RecordBatch(1 << 20, 4096);
        long start = Pairs.start();
        long count = 0, bytes = 0;
        try (BinlogReader r = BinlogReader.open(segment(dir))) {
            for (int k; (k = r.nextBatch(batch)) > 0; count += k) {
                for (int i = 0; i < k; i++) {
                    bytes += batch.payloadLength(i);
                }
            }
        }
        return checked(Pairs.timed(start), count, bytes, payload, n);
    }

    /** Writes n records (not timed), then times opening and reading them all with next(), one call a record. */
    static double readEach(Path dir, byte[] payload, int n) throws IOException {
        try (BinlogWriter w = BinlogWriter.openSegment(segment(dir))) {
            writeAll(w, payload, n);
        }
        long start = Pairs.start();
        long count = 0, bytes = 0;
        try (BinlogReader r = BinlogReader.open(segment(dir))) {
            for (BinlogRecord rec; (rec = r.next()) != null; count++) {
                bytes += rec.payload().length;
            }
        }
        return checked(Pairs.timed(start), count, bytes, payload, n);
    }

    /**
     * Writes n records (not timed), then times opening and reading them all with visitNext(), one call a
     * record whose payload is seen in place: the shape of Chronicle's tailer.readingDocument(), whose bytes() is
     * one buffer moved to each document; here the view's payloadBuffer() at payloadOffset(), payloadLength()
     * bytes long (payload() would make a slice a record).
     */
    static double readVisiting(Path dir, byte[] payload, int n) throws IOException {
        try (BinlogWriter w = BinlogWriter.openSegment(segment(dir))) {
            writeAll(w, payload, n);
        }
        long start = Pairs.start();
        long[] seen = new long[2];
        try (BinlogReader r = BinlogReader.open(segment(dir))) {
            while (r.visitNext(v -> {
                seen[0]++;
                seen[1] += v.payloadLength();
            })) {
                // each call visits one record
            }
        }
        return checked(Pairs.timed(start), seen[0], seen[1], payload, n);
    }

    private static double checked(double secs, long count, long bytes, byte[] payload, int n) {
        if (count != n || bytes != (long) n * payload.length) {
            throw new IllegalStateException("libbinlog read " + count + " of " + n + " records");
        }
        return secs;
    }
}
