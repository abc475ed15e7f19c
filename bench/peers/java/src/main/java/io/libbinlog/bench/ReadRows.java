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
        PeersBench.readRows(pairs, PeersBench.payload(600), Integer.parseInt(args[1]));
        PeersBench.readRows(pairs, PeersBench.payload(32), Integer.parseInt(args[2]));
    }
}
