package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A compressed segment (.binlog.zst) reads through the binding as the plain segment it came from:
 * the golden tests/vectors/sealed-basic.binlog.zst gives sealed-basic.binlog's records, all of
 * them, after a seek and through a type filter.
 */
class CompressedSegmentTest {
    private static final Path PLAIN = Paths.get("../../tests/vectors/sealed-basic.binlog");
    private static final Path COMPRESSED = Paths.get("../../tests/vectors/sealed-basic.binlog.zst");

    private static List<Record> readAll(Reader r) {
        List<Record> out = new ArrayList<>();
        for (Record rec = r.next(); rec != null; rec = r.next()) {
            out.add(rec);
        }
        return out;
    }

    private static void assertSame(List<Record> want, List<Record> got) {
        assertEquals(want.size(), got.size());
        for (int i = 0; i < want.size(); i++) {
            Record a = want.get(i), b = got.get(i);
            assertEquals(a.seq(), b.seq());
            assertEquals(a.timestampNs(), b.timestampNs());
            assertEquals(a.type(), b.type());
            assertEquals(a.offset(), b.offset());
            assertEquals(a.metadata(), b.metadata());
            assertArrayEquals(a.payload(), b.payload());
        }
    }

    @Test
    void aCompressedSegmentReadsAsThePlainOne() {
        List<Record> want;
        try (Reader r = Reader.open(PLAIN)) {
            want = readAll(r);
        }
        assertTrue(want.size() >= 4, want.size() + " records");
        try (Reader r = Reader.open(COMPRESSED)) {
            assertSame(want, readAll(r));
        }
        long mid = want.get(want.size() / 2).seq();
        try (Reader r = Reader.open(COMPRESSED)) {
            r.seekSeq(mid);
            assertSame(want.subList(want.size() / 2, want.size()), readAll(r));
        }
        String type = want.get(1).type();
        List<Record> ofType = new ArrayList<>();
        for (Record rec : want) {
            if (rec.type().equals(type)) {
                ofType.add(rec);
            }
        }
        assertTrue(ofType.size() < want.size());
        try (Reader r = Reader.open(COMPRESSED)) {
            r.filterTypes(type);
            assertSame(ofType, readAll(r));
        }
    }
}
