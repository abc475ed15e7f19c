package io.libbinlog;

import static io.libbinlog.TestSupport.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shipper: a log's sealed segments shipped to the real S3-compatible server that {@code make
 * test-java} starts around the tests (tests/with_s3_server.sh, which says where in
 * BINLOG_TEST_S3_*; the tests fail without it).
 */
class ShipperTest {
    @TempDir
    Path dir;

    private static String env(String name) {
        return TestSupport.s3Env(name);
    }

    private static Shipper.Options options(String prefix) {
        return TestSupport.shipTo("s3://" + env("BINLOG_TEST_S3_BUCKET") + "/" + prefix);
    }

    /** The segment objects of {@code log} under {@code prefix}, as the server keeps them. */
    private static long objects(String prefix, String log) throws IOException {
        Path d = Path.of(env("BINLOG_TEST_S3_ROOT"), env("BINLOG_TEST_S3_BUCKET"), prefix, log);
        try (Stream<Path> s = Files.list(d)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".binlog")).count();
        }
    }

    @Test
    void aPassUploadsEachSealedSegmentOnceAndRemovesPastKeepLocal() throws IOException {
        String prefix = "java-" + dir.getFileName();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(2).build())) {
            for (int i = 0; i < 7; i++) { // segments 0..2 sealed, 3 active
                w.write("t", new byte[] {1, 2, 3});
            }
            w.flush();
            try (Shipper s = Shipper.open(dir, "orders", options(prefix).keepLocal(1))) {
                assertEquals(new Shipper.Report(3, 0, 2, Optional.empty()), s.shipOnce());
                assertEquals(3, objects(prefix, "orders"));
                List<LogSegment> local = LogSegment.list(dir, "orders");
                assertEquals(2, local.size(), local.toString());
                assertEquals(2, local.get(0).segmentNo(), local.toString());
                assertEquals(new Shipper.Report(0, 0, 0, Optional.empty()), s.shipOnce());
                BinlogException e = expect(ErrorCode.LOCKED, () -> Shipper.open(dir, "orders", options(prefix)));
                assertTrue(e.getMessage().contains("orders.ship.lock"), e.getMessage());
                s.close();
                expect(ErrorCode.CLOSED, s::shipOnce);
            }
        }
    }

    @Test
    void wrongCredentialsAndAMissingURLAreRefused() throws Exception {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(2).build())) {
            w.write("t", new byte[] {1});
        }
        Shipper.Options denied = options("java-denied-" + dir.getFileName())
                .credentials(env("BINLOG_TEST_S3_ACCESS_KEY"), "wrong-secret");
        BinlogException e = expect(ErrorCode.PERMISSION_DENIED, () -> Shipper.open(dir, "orders", denied));
        assertTrue(e.getMessage().contains("s3://"), e.getMessage());
        e = expect(ErrorCode.INVALID_ARGUMENT, () -> Shipper.open(dir, "orders", new Shipper.Options()));
        assertTrue(e.getMessage().contains("no destination"), e.getMessage());
    }

    @Test
    void anObjectLockIsRefusedWhereTheBucketHasNoneAndClearedLetsTheShipperOpen() throws IOException {
        String prefix = "java-lock-" + dir.getFileName();
        writeLog(dir, "orders", 2, 5); // segments 0..2 sealed
        // The test bucket has no Object Lock: a shipper asked to lock does not open.
        Shipper.Options o = options(prefix).objectLock(Shipper.LockMode.GOVERNANCE, 30);
        BinlogException e = expect(ErrorCode.INVALID_ARGUMENT, () -> Shipper.open(dir, "orders", o));
        assertTrue(e.getMessage().contains("objects cannot be locked in this bucket"), e.getMessage());
        assertTrue(e.getMessage().contains("Object Lock"), e.getMessage());
        o.objectLock(Shipper.LockMode.COMPLIANCE, 0);
        e = expect(ErrorCode.INVALID_ARGUMENT, () -> Shipper.open(dir, "orders", o));
        assertTrue(e.getMessage().contains("object lock of 0 days"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> o.objectLock(Shipper.LockMode.GOVERNANCE, -1));
        assertThrows(NullPointerException.class, () -> o.objectLock(null, 30));
        // Set, then taken back: the shipper locks nothing and ships.
        o.objectLock(Shipper.LockMode.GOVERNANCE, 30).objectLock(Shipper.LockMode.NONE, 0);
        try (Shipper s = Shipper.open(dir, "orders", o)) {
            assertEquals(3, s.shipOnce().uploaded());
        }
    }

    /** Writes {@code n} records to log {@code name} in {@code d}, {@code perSegment} a segment, and closes it. */
    private static void writeLog(Path d, String name, long perSegment, int n) throws IOException {
        try (BinlogWriter w = BinlogWriter.openLog(d, name, Options.builder().maxSegmentRecords(perSegment).build())) {
            for (int i = 0; i < n; i++) {
                w.write("t", new byte[] {1});
            }
        }
    }

    @Test
    void shippingAnotherLogToAClaimedPrefixIsRefusedAndUploadsNothing() throws IOException {
        String prefix = "java-claim-" + dir.getFileName();
        Path first = dir.resolve("first");
        Path second = dir.resolve("second");
        writeLog(first, "orders", 2, 5); // segments 0..2 sealed
        try (Shipper s = Shipper.open(first, "orders", options(prefix))) {
            assertEquals(3, s.shipOnce().uploaded());
        }
        writeLog(second, "orders", 1, 6); // another log of the same name, its segments named otherwise
        BinlogException e = expect(ErrorCode.WRONG_LOG, () -> Shipper.open(second, "orders", options(prefix)));
        String claim = "s3://" + env("BINLOG_TEST_S3_BUCKET") + "/" + prefix + "/orders/claim";
        assertTrue(e.getMessage().contains(claim), e.getMessage());
        assertTrue(e.getMessage().contains("claimed by another log"), e.getMessage());
        assertEquals(3, objects(prefix, "orders"), "the other log's segments went up");
        writeLog(first, "orders", 2, 2); // the claim stays the first log's: it ships on
        try (Shipper s = Shipper.open(first, "orders", options(prefix))) {
            assertTrue(s.shipOnce().uploaded() > 0);
        }
    }

    @Test
    void aShippedLogKeepsItsSegmentsUntilUploadedAndItsHardCapCounts() throws Exception {
        Options keep = Options.builder().maxSegmentRecords(2).retention(1, 0, 0).retentionShipped(true, 0).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", keep)) {
            for (int i = 0; i < 7; i++) { // segments 0..2 sealed, 3 active
                w.write("t", new byte[] {1});
            }
            assertEquals(4, LogSegment.list(dir, "orders").size());
            try (Shipper s = Shipper.open(dir, "orders", options("java-kept-" + dir.getFileName()))) {
                assertEquals(3, s.shipOnce().uploaded());
            }
            for (int i = 0; i < 2; i++) { // seals 3: 0..2 are uploaded and go
                w.write("t", new byte[] {1});
            }
            List<LogSegment> left = LogSegment.list(dir, "orders");
            assertEquals(2, left.size(), left.toString());
            assertEquals(3, left.get(0).segmentNo(), left.toString());
            assertEquals(0, w.droppedUnshipped());
        }
        Options capped = Options.builder().maxSegmentRecords(2).retentionShipped(true, 1).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "capped", capped)) {
            for (int i = 0; i < 7; i++) {
                w.write("t", new byte[] {1});
            }
            assertEquals(3, w.droppedUnshipped());
        }
    }

    @Test
    void droppedUnshippedCountsWhatCloseDroppedAndReadsAfterClose() throws Exception {
        writeLog(dir, "sizes", 2, 3); // segment 0 holds 2 records, as each full one below
        long full = LogSegment.list(dir, "sizes").get(0).bytes();
        // Room for one full sealed segment: each seal drops the one before.
        Options capped = Options.builder().maxSegmentRecords(2).retentionShipped(true, full + 1).build();
        BinlogWriter w = BinlogWriter.openLog(dir, "orders", capped);
        for (int i = 0; i < 7; i++) { // seals 0..2: 0 and 1 dropped
            w.write("t", new byte[] {1});
        }
        assertEquals(2, w.droppedUnshipped());
        w.close(); // seals 3: 2 dropped
        assertEquals(3, w.droppedUnshipped());
        List<LogSegment> left = LogSegment.list(dir, "orders");
        assertEquals(1, left.size(), left.toString());
        assertEquals(3, left.get(0).segmentNo(), left.toString());
        BinlogWriter seg = BinlogWriter.openSegment(dir.resolve("one.binlog"));
        seg.close();
        expect(ErrorCode.CLOSED, seg::droppedUnshipped);
    }

    @Test
    void pruneRemoteDeletesTheOldestObjectsAndKeepsTheNewest() throws IOException {
        String prefix = "java-prune-" + dir.getFileName();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(2).build())) {
            for (int i = 0; i < 8; i++) { // segments 0..3, sealed by the close
                w.write("t", new byte[] {1, 2, 3});
            }
        }
        try (Shipper s = Shipper.open(dir, "orders", options(prefix))) {
            assertEquals(4, s.shipOnce().uploaded());
        }
        Shipper.Options o = options(prefix).remoteKeepCount(1);
        Shipper.PruneReport want = new Shipper.PruneReport(3, 0, 1, OptionalLong.of(2), Optional.empty());
        assertEquals(want, Shipper.pruneRemote("orders", o, true));
        assertEquals(4, objects(prefix, "orders"), "a dry run deletes nothing");
        assertEquals(want, Shipper.pruneRemote("orders", o, false));
        assertEquals(1, objects(prefix, "orders"));
        expect(ErrorCode.INVALID_ARGUMENT, () -> Shipper.pruneRemote("", o, false));
    }

    @Test
    void aPruneStoppedByAnObjectLockReportsTheLockedObject() throws IOException {
        String prefix = "java-worm-" + dir.getFileName();
        writeLog(dir, "orders", 2, 4); // segments 0 and 1, sealed by the close
        Shipper.Options o = TestSupport.shipTo("s3://" + env("BINLOG_TEST_S3_LOCKED_BUCKET") + "/" + prefix)
                .objectLock(Shipper.LockMode.GOVERNANCE, 1);
        try (Shipper s = Shipper.open(dir, "orders", o)) {
            assertEquals(new Shipper.Report(2, 0, 0, Optional.empty()), s.shipOnce());
        }
        // Keeping one object would delete segment 0's, which its lock keeps.
        o.remoteKeepCount(1);
        Shipper.PruneReport r = Shipper.pruneRemote("orders", o, false);
        String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
        assertEquals(0, r.deleted(), r.toString());
        assertEquals(2, r.kept(), r.toString());
        Shipper.PruneLock lock = r.locked().orElseThrow();
        assertEquals(String.format("%s/orders/%020d-%020d.binlog", prefix, 0, 0), lock.key());
        assertEquals(0, lock.segment());
        assertEquals(false, lock.legalHold());
        String until = lock.retainUntil().orElseThrow();
        assertTrue(until.compareTo(now) > 0, until + ": a retention date after " + now);
        // The prune of the shipper's remote retention stops at the same object.
        try (Shipper s = Shipper.open(dir, "orders", o)) {
            assertEquals(Optional.of(lock), s.shipOnce().pruneLocked());
        }
    }
}
