package io.libbinlog;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small timing harness (not a JUnit test; BatchReadTest runs a short
 * version): ns/record of reading one segment with each per-record read
 * ({@link BinlogReader#next()}, {@link BinlogReader#visitAll}, {@link BinlogReader#nextInto})
 * against {@link BinlogReader#nextBatch(RecordBatch)}. Each loop touches every
 * record's seq, type and last payload byte; the best of a few rounds counts.
 *
 * <pre>
 * cd bindings/java &amp;&amp; mvn -q test-compile &amp;&amp; java -cp target/classes:target/test-classes \
 *   io.libbinlog.ReadBench [records] [payloadBytes] [rounds]
 * </pre>
 */
public final class ReadBench {
    private static final String[] TYPES = {"order", "fill", "cancel"};

    private ReadBench() {
    }

    /** ns/record of each way of reading. */
    static final class Result {
        final int records;
        final int payloadBytes;
        double next;
        double visit;
        double into;
        double batch;
        double batchSlice;

        Result(int records, int payloadBytes) {
            this.records = records;
            this.payloadBytes = payloadBytes;
        }

        @Override
        public String toString() {
            return String.format("%d records x %d bytes, ns/record: next() %.1f, visitAll %.1f, nextInto %.1f,"
                    + " nextBatch %.1f (payload(i) slices: %.1f); next()/nextBatch = %.1fx",
                    records, payloadBytes, next, visit, into, batch, batchSlice, next / batch);
        }
    }

    /** Writes {@code records} records of {@code payloadBytes} bytes, three types in turn; returns the count. */
    static int write(Path file, int records, int payloadBytes) throws IOException {
        int chunk = 10_000;
        ByteBuffer data = ByteBuffer.allocateDirect(chunk * payloadBytes);
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            for (int start = 0; start < records; start += chunk) {
                int n = Math.min(chunk, records - start);
                String[] types = new String[n];
                int[] lengths = new int[n];
                data.clear();
                for (int i = 0; i < n; i++) {
                    types[i] = TYPES[(start + i) % TYPES.length];
                    lengths[i] = payloadBytes;
                    for (int k = 0; k < payloadBytes; k++) {
                        data.put((byte) (start + i + k));
                    }
                }
                data.flip();
                w.writeBatch(types, data, lengths, null);
            }
        }
        return records;
    }

    private static long sink;

    private static double nsPerRecord(long t0, long n) {
        return (System.nanoTime() - t0) / (double) n;
    }

    private static void expect(long want, long got, String what) {
        if (want != got) {
            throw new IllegalStateException(what + " read " + got + " records, not " + want);
        }
    }

    static double readNext(Path file, int records) throws IOException {
        long t0 = System.nanoTime();
        long n = 0;
        try (BinlogReader r = BinlogReader.open(file)) {
            BinlogRecord rec;
            while ((rec = r.next()) != null) {
                byte[] p = rec.payload();
                sink += rec.seq() + rec.type().length() + (p.length > 0 ? p[p.length - 1] : 0);
                n++;
            }
        }
        expect(records, n, "next");
        return nsPerRecord(t0, n);
    }

    static double readVisit(Path file, int records) throws IOException {
        long t0 = System.nanoTime();
        long n;
        try (BinlogReader r = BinlogReader.open(file)) {
            n = r.visitAll(v -> {
                ByteBuffer p = v.payload();
                int len = p.remaining();
                sink += v.seq() + v.type().length() + (len > 0 ? p.get(len - 1) : 0);
            });
        }
        expect(records, n, "visitAll");
        return nsPerRecord(t0, n);
    }

    static double readInto(Path file, int records, int payloadBytes) throws IOException {
        ByteBuffer dst = ByteBuffer.allocateDirect(Math.max(1, payloadBytes));
        long t0 = System.nanoTime();
        long n = 0;
        try (BinlogReader r = BinlogReader.open(file)) {
            RecordInfo info;
            while (true) {
                dst.clear();
                if ((info = r.nextInto(dst)) == null) {
                    break;
                }
                int len = info.payloadLength();
                sink += info.seq() + info.type().length() + (len > 0 ? dst.get(len - 1) : 0);
                n++;
            }
        }
        expect(records, n, "nextInto");
        return nsPerRecord(t0, n);
    }

    static double readBatch(Path file, int records, RecordBatch b, boolean slices) throws IOException {
        long t0 = System.nanoTime();
        long total = 0;
        try (BinlogReader r = BinlogReader.open(file)) {
            int n;
            while ((n = r.nextBatch(b)) > 0) {
                for (int i = 0; i < n; i++) {
                    int len = b.payloadLength(i);
                    byte last;
                    if (len == 0) {
                        last = 0;
                    } else if (slices) {
                        last = b.payload(i).get(len - 1);
                    } else {
                        last = b.payloadBuffer(i).get(b.payloadOffset(i) + len - 1);
                    }
                    sink += b.seq(i) + b.type(i).length() + last;
                }
                total += n;
            }
        }
        expect(records, total, "nextBatch");
        return nsPerRecord(t0, total);
    }

    /** Writes the segment at {@code file}, then times each read {@code rounds} times; keeps the best. */
    static Result run(Path file, int records, int payloadBytes, int rounds) throws IOException {
        write(file, records, payloadBytes);
        Result res = new Result(records, payloadBytes);
        res.next = res.visit = res.into = res.batch = res.batchSlice = Double.MAX_VALUE;
        RecordBatch b = new RecordBatch(1 << 20, 1024);
        for (int round = 0; round < Math.max(1, rounds); round++) {
            res.next = Math.min(res.next, readNext(file, records));
            res.visit = Math.min(res.visit, readVisit(file, records));
            res.into = Math.min(res.into, readInto(file, records, payloadBytes));
            res.batch = Math.min(res.batch, readBatch(file, records, b, false));
            res.batchSlice = Math.min(res.batchSlice, readBatch(file, records, b, true));
        }
        return res;
    }

    public static void main(String[] args) throws IOException {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int payloadBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path tmp = Files.createTempDirectory("binlog-readbench");
        Path file = tmp.resolve("bench.binlog");
        try {
            System.out.println(run(file, records, payloadBytes, rounds));
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(tmp);
        }
        if (sink == 42) {
            System.out.println();
        }
    }
}
