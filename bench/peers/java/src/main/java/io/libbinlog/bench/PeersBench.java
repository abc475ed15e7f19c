package io.libbinlog.bench;

import java.nio.file.Path;

/**
 * libbinlog's Java binding against Chronicle Queue, interleaved pairs in one
 * JVM, one JSON line per row on stdout (read by bench/peers/run.py).
 * Chronicle Queue has no batch call and no per-write sync in its open-source
 * edition: the batched rows compare libbinlog's writeBatch with one document
 * per record, and there is no durable row.
 *
 * <p>Usage: PeersBench PAIRS RECORDS_600 RECORDS_32 RECORDS_DURABLE DIR
 * (RECORDS_DURABLE is accepted for the same command line as the other
 * suites, and unused).
 */
public final class PeersBench {
    static final int BATCH = 256;
    static final String PEER = "Chronicle Queue 2026.2";

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: PeersBench PAIRS RECORDS_600 RECORDS_32 RECORDS_DURABLE DIR");
            System.exit(2);
        }
        Pairs pairs = new Pairs(Integer.parseInt(args[0]), Path.of(args[4]));
        for (int size : new int[] {600, 32}) {
            int n = Integer.parseInt(size == 600 ? args[1] : args[2]);
            byte[] payload = payload(size);
            pairs.run(PEER, "append one call per record " + size + " B", n,
                    d -> LibbinlogSide.appendOne(d, payload, n),
                    d -> ChronicleSide.appendOne(d, payload, n));
            pairs.run(PEER, "append batched (" + BATCH + ") " + size + " B", n,
                    d -> LibbinlogSide.appendBatched(d, payload, n, BATCH),
                    d -> ChronicleSide.appendOne(d, payload, n));
            readRows(pairs, payload, n);
        }
    }

    static byte[] payload(int size) {
        byte[] payload = new byte[size];
        java.util.Arrays.fill(payload, (byte) 0x5a);
        return payload;
    }

    /** The full-scan read rows of n records of payload (also run alone by {@link ReadRows}). */
    static void readRows(Pairs pairs, byte[] payload, int n) throws Exception {
        int size = payload.length;
        pairs.run(PEER, "full-scan read " + size + " B", n,
                d -> LibbinlogSide.readAll(d, payload, n),
                d -> ChronicleSide.readAll(d, payload, n));
        pairs.run(PEER, "full-scan read, next() a record " + size + " B", n,
                d -> LibbinlogSide.readEach(d, payload, n),
                d -> ChronicleSide.readAll(d, payload, n));
        pairs.run(PEER, "full-scan read, visitNext() a record " + size + " B", n,
                d -> LibbinlogSide.readVisiting(d, payload, n),
                d -> ChronicleSide.readAll(d, payload, n));
    }
}
