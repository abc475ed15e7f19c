package io.libbinlog.bench;

import java.nio.file.Path;

/**
 * The full-scan read rows of {@link PeersBench} alone (the same pairs, the
 * same sides, one JSON line per row), to compare builds of the binding's
 * readers quickly: put a binding's classes before the jar on the class path.
 *
 * <p>Usage: ReadRows PAIRS RECORDS_600 RECORDS_32 DIR
 */
public final class ReadRows {
    private ReadRows() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: ReadRows PAIRS RECORDS_600 RECORDS_32 DIR");
            System.exit(2);
        }
        Pairs pairs = new Pairs(Integer.parseInt(args[0]), Path.of(args[3]));
        for (int size : new int[] {600, 32}) {
            int n = Integer.parseInt(size == 600 ? args[1] : args[2]);
            byte[] payload = new byte[size];
            java.util.Arrays.fill(payload, (byte) 0x5a);
            pairs.run(PeersBench.PEER, "full-scan read " + size + " B", n,
                    d -> LibbinlogSide.readAll(d, payload, n),
                    d -> ChronicleSide.readAll(d, payload, n));
            pairs.run(PeersBench.PEER, "full-scan read MappedReader " + size + " B", n,
                    d -> LibbinlogSide.readAllMapped(d, payload, n),
                    d -> ChronicleSide.readAll(d, payload, n));
        }
    }
}
