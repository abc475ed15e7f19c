package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A salvaging read ({@link BinlogReader#openSalvage}, {@link BinlogReader#skipDamaged}) of a damaged segment returns the
 * records around the damage and names the damaged region ({@link BinlogReader#damages}).
 */
class SalvageTest {
    @TempDir
    Path dir;

    /** Every record r returns, to the end. */
    private static List<BinlogRecord> readAll(BinlogReader r) throws IOException {
        List<BinlogRecord> out = new ArrayList<>();
        for (BinlogRecord x = r.next(); x != null; x = r.next()) {
            out.add(x);
        }
        return out;
    }

    /** The records of a sealed segment at p of the payloads record-00 to record-(n-1). */
    private static List<BinlogRecord> sealed(Path p, int n) throws IOException {
        String[] payloads = new String[n];
        for (int i = 0; i < n; i++) {
            payloads[i] = String.format("record-%02d", i);
        }
        try (BinlogReader r = BinlogReader.open(TestSupport.segment(p, payloads))) {
            return readAll(r);
        }
    }

    private static List<Long> seqs(List<BinlogRecord> recs) {
        return recs.stream().map(BinlogRecord::seq).toList();
    }

    private static void flip(Path p, long at) throws IOException {
        byte[] b = Files.readAllBytes(p);
        b[(int) at] ^= (byte) 0xff;
        Files.write(p, b);
    }

    /**
     * A byte flipped inside the sixth record of a sealed segment: the salvaging open and a plain open
     * skipping damage both return the other nine records and name the file, the sixth's bytes and its number as
     * lost.
     */
    @Test
    void salvageSkipsACorruptRecordAndNamesIt() throws IOException {
        Path p = dir.resolve("flip.binlog");
        List<BinlogRecord> recs = sealed(p, 10);
        flip(p, (recs.get(5).offset() + recs.get(6).offset()) / 2); // inside the sixth record's frame
        Damage want = new Damage(recs.get(5).offset(), recs.get(6).offset(), recs.get(5).seq(), recs.get(6).seq(),
                p.toString());
        List<Long> wantSeqs = new ArrayList<>(seqs(recs));
        wantSeqs.remove(5);

        try (BinlogReader plain = BinlogReader.open(p)) {
            TestSupport.expect(ErrorCode.CORRUPT, () -> readAll(plain));
        }
        try (BinlogReader salvage = BinlogReader.openSalvage(p); BinlogReader skipping = BinlogReader.open(p)) {
            skipping.skipDamaged(true);
            for (BinlogReader r : List.of(salvage, skipping)) {
                assertEquals(wantSeqs, seqs(readAll(r)));
                assertEquals(List.of(want), r.damages());
            }
        }
    }

    /** A damaged header: a plain open fails, the salvaging open reads every record and names the header. */
    @Test
    void salvageReadsPastADamagedHeader() throws IOException {
        Path p = dir.resolve("header.binlog");
        List<BinlogRecord> recs = sealed(p, 5);
        flip(p, recs.get(0).offset() - 1); // the header's CRC, its last bytes
        TestSupport.expect(ErrorCode.CORRUPT_HEADER, () -> BinlogReader.open(p).close());
        try (BinlogReader r = BinlogReader.openSalvage(p)) {
            assertEquals(seqs(recs), seqs(readAll(r)));
            long first = recs.get(0).seq();
            assertEquals(List.of(new Damage(0, recs.get(0).offset(), first, first, p.toString())), r.damages());
        }
    }

    /** A sound segment read with salvage is read as with open: no damage; a missing file is NOT_FOUND. */
    @Test
    void salvageOfASoundSegmentSkipsNothing() throws Exception {
        Path p = dir.resolve("sound.binlog");
        List<BinlogRecord> recs = sealed(p, 3);
        try (BinlogReader r = BinlogReader.openSalvage(p)) {
            assertEquals(seqs(recs), seqs(readAll(r)));
            assertEquals(List.of(), r.damages());
        }
        TestSupport.missing(dir.resolve("absent.binlog"), () -> BinlogReader.openSalvage(dir.resolve("absent.binlog")));
    }
}
