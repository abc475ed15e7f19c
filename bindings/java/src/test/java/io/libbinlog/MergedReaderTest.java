package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BinlogMergedReader}: many logs as one stream by (timestamp, log name, seq), each record naming its log;
 * gaps and damaged regions named with their log; following live logs ({@link BinlogMergedReader#nextWait}) and
 * its timeout; close idempotent.
 */
class MergedReaderTest {
    @TempDir
    Path dir;

    private BinlogWriter openLog(String name, long per) throws IOException {
        return BinlogWriter.openLog(dir, name, Options.builder().maxSegmentRecords(per).build());
    }

    /** One record at {@code ts}, its payload the log's name. */
    private static void put(BinlogWriter w, String name, long ts) throws IOException {
        w.write("event", name.getBytes(StandardCharsets.UTF_8), Map.of(), ts);
    }

    private void log(String name, long per, long... times) throws IOException {
        try (BinlogWriter w = openLog(name, per)) {
            for (long ts : times) {
                put(w, name, ts);
            }
        }
    }

    private static String seen(BinlogMergedRecord m) {
        assertEquals(m.log(), new String(m.record().payload(), StandardCharsets.UTF_8));
        return m.record().timestampNs() + " " + m.log() + " " + m.record().seq();
    }

    private static long[] range(int n) {
        long[] t = new long[n];
        for (int i = 0; i < n; i++) {
            t[i] = i;
        }
        return t;
    }

    @Test
    void recordsComeByTimeThenLogNameThenSeq() throws IOException {
        log("web-b", 100, 5, 5, 7);
        log("web-a", 100, 5, 7);
        log("db", 100, 1);
        List<String> got = new ArrayList<>();
        try (BinlogMergedReader r = BinlogMergedReader.open(dir, null, "web-*")) {
            for (BinlogMergedRecord m : r) {
                got.add(seen(m));
            }
        }
        assertEquals(List.of("5 web-a 0", "5 web-b 0", "5 web-b 1", "7 web-a 1", "7 web-b 2"), got);
    }

    @Test
    void gapsAndDamageNameTheirLog() throws IOException {
        log("g-a", 10, range(20));
        log("g-b", 10, range(30));
        log("g-c", 100, range(20));
        Files.delete(LogSegment.list(dir, "g-b").get(1).path());
        Path damaged = LogSegment.list(dir, "g-c").get(0).path();
        List<Long> offsets = new ArrayList<>();
        try (BinlogReader one = BinlogReader.open(damaged)) {
            one.forEach(rec -> offsets.add(rec.offset()));
        }
        byte[] b = Files.readAllBytes(damaged);
        b[(int) (offsets.get(6) - 2)] ^= 0x5a;
        Files.write(damaged, b);

        try (BinlogMergedReader r = BinlogMergedReader.open(dir, null, "g-*")) {
            r.skipDamaged(true);
            int n = 0;
            for (BinlogMergedRecord m : r) {
                seen(m);
                n++;
            }
            assertEquals(20 + 20 + 19, n);
            List<BinlogMergedReader.LogGap> gaps = r.gaps();
            assertEquals(1, gaps.size(), gaps::toString);
            assertEquals("g-b", gaps.get(0).log());
            Gap g = gaps.get(0).gap();
            assertEquals(Gap.Reason.MISSING, g.reason());
            assertEquals(OptionalLong.of(10), g.fromSeq());
            assertEquals(OptionalLong.of(20), g.toSeq());
            assertEquals(List.of(new BinlogMergedReader.LogDamage("g-c",
                    new Damage(offsets.get(5), offsets.get(6), 5, 6, damaged.toString()))), r.damages());
        }
    }

    @Test
    void nextWaitSeesAppendsToTwoLogsAndTimesOut() throws Exception {
        try (BinlogWriter a = openLog("f-a", 2); BinlogWriter b = openLog("f-b", 2)) {
            put(a, "f-a", 1);
            put(b, "f-b", 2);
            a.flush();
            b.flush();
            try (BinlogMergedReader r = BinlogMergedReader.open(dir, null, "f-*")) {
                assertEquals("1 f-a 0", seen(r.nextWait(30_000)));
                assertEquals("2 f-b 0", seen(r.nextWait(30_000)));
                assertNull(r.nextWait(50), "nothing written: null at the timeout");
                // Written while the reader waits (or before: it must see them either way), across a roll.
                CompletableFuture<Void> writes = CompletableFuture.runAsync(TestSupport.unchecked(() -> {
                    java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L);
                    for (long ts = 10; ts < 13; ts++) {
                        put(a, "f-a", ts);
                        put(b, "f-b", ts + 100);
                        a.flush();
                        b.flush();
                    }
                }));
                List<String> got = new ArrayList<>();
                while (got.size() < 6) {
                    BinlogMergedRecord m = r.nextWait(30_000);
                    assertNotNull(m, "a record within 30 s");
                    got.add(m.log() + " " + m.record().seq());
                }
                writes.get();
                for (String log : List.of("f-a", "f-b")) {
                    assertEquals(List.of(log + " 1", log + " 2", log + " 3"),
                            got.stream().filter(s -> s.startsWith(log + " ")).toList(), got::toString);
                }
            }
        }
    }

    @Test
    void closeIsIdempotentAndLaterCallsThrowClosed() throws IOException {
        log("a", 10, 1);
        BinlogMergedReader r = BinlogMergedReader.open(dir, null, null);
        assertFalse(r.isClosed());
        r.close();
        r.close();
        assertTrue(r.isClosed());
        TestSupport.expect(ErrorCode.CLOSED, r::next);
        TestSupport.expect(ErrorCode.NOT_FOUND, () -> BinlogMergedReader.open(dir, null, "web-*"));
    }
}
