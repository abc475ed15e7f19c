package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.libbinlog.BinlogConsumer.Start;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link BinlogConsumer} and position tokens: a consumer goes on after its last commit and reads what it did not
 * commit again; commits of records not returned are refused; a name is held by one handle; a token seeks another
 * reader of the same log there and is refused by another log; a merged consumer resumes each log; the retention option
 * keeps what a consumer has not committed past; a consumer's file is removed.
 */
class ConsumerTest {
    @TempDir
    Path dir;

    /** Writes {@code n} records to log {@code name}, {@code per} a segment, record i stamped i * 1000 ns. */
    private void log(String name, int n, long per) throws IOException {
        try (BinlogWriter w = BinlogWriter.openLog(dir, name, Options.builder().maxSegmentRecords(per).build())) {
            for (int i = 0; i < n; i++) {
                w.write("t", (name + i).getBytes(StandardCharsets.UTF_8), Map.of(), i * 1000L);
            }
        }
    }

    private BinlogConsumer billing() throws IOException {
        return BinlogConsumer.open(dir, "orders", "billing", Start.FIRST);
    }

    private static long nextSeq(BinlogConsumer c) throws IOException {
        BinlogRecord r = c.next();
        assertTrue(r != null, "a record");
        return r.seq();
    }

    @Test
    void resumesAfterItsLastCommit() throws IOException {
        log("orders", 30, 7);
        try (BinlogConsumer c = billing()) {
            assertEquals(0, c.committed());
            for (int i = 0; i < 10; i++) {
                assertEquals(i, nextSeq(c));
            }
            c.commit();
            assertEquals(10, c.committed());
        }
        try (BinlogConsumer c = BinlogConsumer.open(dir, "orders", "billing", Start.END)) { // start: a new one's
            assertEquals(10, c.committed());
            assertEquals(10, nextSeq(c));
            assertEquals("orders11", new String(c.nextWait(Duration.ofMillis(10)).payload(), StandardCharsets.UTF_8));
            c.commit(10);
            assertEquals(11, c.committed());
        }
        try (BinlogConsumer c = billing()) {
            assertEquals(11, nextSeq(c));
        }
    }

    @Test
    void uncommittedRecordsAreReadAgain() throws IOException {
        log("orders", 30, 7);
        try (BinlogConsumer c = billing()) {
            for (int i = 0; i < 5; i++) {
                nextSeq(c);
            }
            c.commit();
            for (int i = 0; i < 8; i++) {
                nextSeq(c);
            }
        }
        try (BinlogConsumer c = billing()) {
            assertEquals(5, nextSeq(c));
            Iterator<BinlogRecord> it = c.iterator();
            assertTrue(it.hasNext()); // reads record 6 ahead: not returned, so not committed
            c.commit();
            assertEquals(6, c.committed());
            assertEquals(6, it.next().seq());
        }
        try (BinlogConsumer c = billing()) {
            assertEquals(6, nextSeq(c));
        }
    }

    @Test
    void aCommitOfARecordNotReturnedIsRefused() throws IOException {
        log("orders", 30, 7);
        try (BinlogConsumer c = billing()) {
            assertEquals(0, nextSeq(c));
            assertEquals(1, nextSeq(c));
            TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> c.commit(2));
            assertTrue(c.iterator().hasNext()); // record 2, read ahead, is still not returned
            BinlogException e = TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> c.commit(2));
            assertTrue(e.getMessage().contains("not returned"), e::getMessage);
            assertEquals(0, c.committed());
            c.commit(0);
            assertEquals(1, c.committed());
            assertEquals(2, nextSeq(c));
        }
    }

    @Test
    void aCommitBeforeTheLastCommitIsRefusedAndASeekThenCommitMovesBack() throws IOException {
        log("orders", 30, 7);
        try (BinlogConsumer c = billing()) {
            for (int i = 0; i < 10; i++) {
                nextSeq(c);
            }
            c.commit(7);
            BinlogException e = TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> c.commit(3));
            for (String part : List.of("billing.consumer", "record 3", "seek")) {
                assertTrue(e.getMessage().contains(part), e::getMessage);
            }
            assertEquals(8, c.committed());
            c.reader().seekSeq(2); // moving back on purpose
            c.commit();
            assertEquals(2, c.committed());
        }
    }

    @Test
    void aSecondOpenOfAHeldNameIsLocked() throws IOException {
        log("orders", 3, 7);
        try (BinlogConsumer c = billing()) {
            BinlogLockedException e = assertThrows(BinlogLockedException.class, this::billing);
            assertEquals(ErrorCode.LOCKED, e.code());
            assertTrue(e.getMessage().contains("billing.consumer"), e::getMessage);
            assertEquals(0, nextSeq(c)); // the holder reads on
        }
        try (BinlogConsumer c = billing()) { // released by close
            assertEquals(0, nextSeq(c));
        }
    }

    @Test
    void aTokenFromOneReaderSeeksAnotherToTheSameRecord() throws IOException {
        log("orders", 30, 7);
        String token;
        try (BinlogReader a = BinlogReader.openLog(dir, "orders")) {
            for (int i = 0; i < 17; i++) {
                a.next();
            }
            assertTrue(a.iterator().hasNext()); // record 17, read ahead, is after the token
            token = a.position();
            assertEquals(17, a.next().seq());
        }
        assertTrue(token.contains("orders@17"), token);
        try (BinlogReader b = BinlogReader.openLog(dir, "orders")) {
            b.seekPosition(token);
            assertEquals(17, b.next().seq());
            assertEquals(18, b.next().seq());
        }
        try (BinlogConsumer c = billing()) { // a consumer's reader takes tokens too
            c.reader().seekPosition(token);
            assertEquals(17, nextSeq(c));
        }
    }

    @Test
    void aTokenOfAnotherLogOrGarbageIsRefused() throws IOException {
        log("orders", 30, 7);
        log("payments", 3, 10);
        String token;
        try (BinlogReader a = BinlogReader.openLog(dir, "orders")) {
            a.next();
            token = a.position();
        }
        try (BinlogReader p = BinlogReader.openLog(dir, "payments")) {
            BinlogException e = TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> p.seekPosition(token));
            assertTrue(e.getMessage().contains("payments"), e::getMessage);
            TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> p.seekPosition("no token"));
            assertEquals(0, p.next().seq()); // not moved
        }
        try (BinlogReader one = BinlogReader.open(LogSegment.list(dir, "orders").get(0).path())) {
            TestSupport.expect(ErrorCode.INVALID_ARGUMENT, one::position); // a segment reader has no log position
        }
    }

    /** The next merged record as "log seq". */
    private static String merged(BinlogMergedReader m) throws IOException {
        BinlogMergedRecord r = m.next();
        return r == null ? null : r.log() + " " + r.record().seq();
    }

    @Test
    void aMergedConsumerResumesEachLog() throws IOException {
        log("orders", 10, 4);
        log("payments", 10, 4);
        String sixth;
        try (BinlogMergedReader m = BinlogMergedReader.open(dir, null, "*")) {
            for (int i = 0; i < 5; i++) {
                m.next();
            }
            sixth = merged(m);
            TestSupport.expect(ErrorCode.INVALID_ARGUMENT, m::commit); // no consumer
        }
        String token;
        try (BinlogMergedReader m = BinlogMergedReader.openConsumer(dir, "*", "merged", Start.FIRST)) {
            for (int i = 0; i < 5; i++) {
                m.next();
            }
            m.commit();
            token = m.position();
            assertTrue(m.iterator().hasNext());
            assertThrows(IllegalStateException.class, m::commit); // it would commit the record read ahead
            assertEquals(sixth, merged(m));
            merged(m); // not committed
            assertThrows(BinlogLockedException.class,
                    () -> BinlogMergedReader.openConsumer(dir, null, "merged", Start.FIRST));
        }
        assertTrue(token.contains("orders@") && token.contains("payments@"), token);
        try (BinlogMergedReader m = BinlogMergedReader.openConsumer(dir, null, "merged", Start.END)) {
            assertEquals(sixth, merged(m));
        }
        try (BinlogMergedReader m = BinlogMergedReader.open(dir, null, "*")) {
            m.seekPosition(token);
            assertEquals(sixth, merged(m));
        }
    }

    @Test
    void newConsumersStartWhereTheirStartSays() throws IOException {
        log("orders", 30, 7);
        try (BinlogConsumer c = BinlogConsumer.open(dir, "orders", "at", Start.seq(25))) {
            assertEquals(25, c.committed());
            assertEquals(25, nextSeq(c));
        }
        try (BinlogConsumer c = BinlogConsumer.open(dir, "orders", "late", Start.time(Instant.ofEpochSecond(0, 12_000)))) {
            assertEquals(12, nextSeq(c));
        }
        try (BinlogConsumer c = BinlogConsumer.open(dir, "orders", "end", Start.END)) {
            assertNull(c.next());
            assertEquals(30, c.committed());
        }
        TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> BinlogConsumer.open(dir, "orders", "a/b", Start.FIRST));
        assertThrows(IllegalArgumentException.class, () -> Start.seq(-1));
    }

    /** The first record of the log's oldest segment left, a consumer having stood at record 0 while it grew. */
    private long firstSeqKeptFor(String name, Options.Builder opts) throws IOException {
        try (BinlogWriter w = BinlogWriter.openLog(dir, name, opts.maxSegmentRecords(5).retention(1, 0, 0).build())) {
            w.write("t", new byte[1]);
            w.flush();
            try (BinlogConsumer c = BinlogConsumer.open(dir, name, "slow", Start.FIRST)) {
                for (int i = 0; i < 30; i++) {
                    w.write("t", new byte[1]);
                }
                w.flush();
                return LogSegment.list(dir, name).get(0).firstSeq().orElse(-1);
            }
        }
    }

    @Test
    void retentionWaitsForAConsumerWithTheOption() throws IOException {
        Options.Builder b = Options.builder().retentionWaitForConsumers(1 << 20, 0);
        assertTrue(b.build().toString().contains("retentionWaitForConsumers=[1048576, 0]"), b.build()::toString);
        assertEquals(0, firstSeqKeptFor("kept", b));
        assertNotEquals(0, firstSeqKeptFor("gone", Options.builder())); // without it, segment 0 goes
        assertThrows(IllegalArgumentException.class, () -> Options.builder().retentionWaitForConsumers(-1, 0));
    }

    @Test
    void removeDeletesTheConsumer() throws IOException {
        log("orders", 30, 7);
        try (BinlogConsumer c = billing()) {
            nextSeq(c);
            c.commit();
            TestSupport.expect(ErrorCode.LOCKED, () -> BinlogConsumer.remove(dir, "billing"));
        }
        assertTrue(Files.exists(dir.resolve("billing.consumer")));
        BinlogConsumer.remove(dir, "billing");
        assertFalse(Files.exists(dir.resolve("billing.consumer")));
        TestSupport.missingNaming("billing.consumer", () -> BinlogConsumer.remove(dir, "billing"));
        try (BinlogConsumer c = BinlogConsumer.open(dir, "orders", "billing", Start.END)) { // a new one
            assertNull(c.next());
            assertEquals(List.of(), c.reader().gaps());
        }
    }

    /** A position in segments shipped and removed locally goes on from the bucket (a child JVM: see TieredConsumeChild). */
    @Test
    void aTieredConsumerResumesFromTheBucket() throws Exception {
        String remote = "s3://" + TestSupport.s3Env("BINLOG_TEST_S3_BUCKET") + "/java-consumer-" + dir.getFileName();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(2).build())) {
            for (int i = 0; i < 7; i++) { // segments 0..2 sealed, 3 active
                w.write("t", new byte[] {(byte) i});
            }
            w.flush();
            try (Shipper s = Shipper.open(dir, "orders", TestSupport.shipTo(remote).keepLocal(0))) {
                assertEquals(3, s.shipOnce().removedLocal());
            }
            List<String> args = List.of(dir.toString(), "orders", "tiered", remote, "3");
            assertEquals(List.of("record 0", "record 1", "record 2", "gaps 0"),
                    TestSupport.runWithS3Env(TieredConsumeChild.class, args));
            args = List.of(dir.toString(), "orders", "tiered", remote, "100");
            assertEquals(List.of("record 3", "record 4", "record 5", "record 6", "gaps 0"),
                    TestSupport.runWithS3Env(TieredConsumeChild.class, args));
        }
    }
}
