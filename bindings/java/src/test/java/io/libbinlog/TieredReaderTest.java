package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BinlogReader.openLogTiered: a log's segments shipped to the real S3-compatible server that {@code make
 * test-java} starts (tests/with_s3_server.sh, BINLOG_TEST_S3_*) and removed locally read back in order,
 * with the live local segment after them.
 */
class TieredReaderTest {
    @TempDir
    Path dir;

    private static String env(String name) {
        return TestSupport.s3Env(name);
    }

    /** What TieredReadChild printed for a tiered read of log name in dir from remote, with the server's credentials. */
    private static List<String> readInChild(Path dir, String name, String remote)
            throws IOException, InterruptedException {
        return TestSupport.runWithS3Env(TieredReadChild.class, List.of(dir.toString(), name, remote));
    }

    @Test
    void segmentsShippedAndRemovedLocallyReadBackInOrderFromTheBucket() throws Exception {
        String remote = "s3://" + env("BINLOG_TEST_S3_BUCKET") + "/java-tiered-" + dir.getFileName();
        List<String> want = new ArrayList<>();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(2).build())) {
            for (int i = 0; i < 7; i++) { // segments 0..2 sealed, 3 active
                String p = "payload-" + (char) ('a' + i);
                w.write("t", p.getBytes(StandardCharsets.UTF_8));
                want.add("record " + i + " " + p);
            }
            w.flush();
            Shipper.Options ship = TestSupport.shipTo(remote).keepLocal(0);
            try (Shipper s = Shipper.open(dir, "orders", ship)) {
                assertEquals(3, s.shipOnce().removedLocal());
            }
            assertEquals(1, LogSegment.list(dir, "orders").size(), "only the live segment is left locally");
            want.add("gaps 0");
            assertEquals(want, readInChild(dir, "orders", remote));
        }
        try (BinlogReader r = BinlogReader.openLog(dir, "orders")) {
            int n = 0;
            for (BinlogRecord rec = r.next(); rec != null; rec = r.next()) {
                n++;
            }
            assertEquals(1, n, "without the bucket only the live segment's record is read");
        }
    }

    /** An object deleted from the bucket is a gap naming its URL, the records lost and why. */
    @Test
    void anObjectDeletedFromTheBucketIsAMissingGapNamingItsURL() throws Exception {
        String prefix = "java-tiered-gap-" + dir.getFileName();
        String remote = "s3://" + env("BINLOG_TEST_S3_BUCKET") + "/" + prefix;
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(2).build())) {
            for (int i = 0; i < 7; i++) { // segments 0..2 sealed, 3 active
                w.write("t", ("payload-" + (char) ('a' + i)).getBytes(StandardCharsets.UTF_8));
            }
            w.flush();
            try (Shipper s = Shipper.open(dir, "orders", TestSupport.shipTo(remote).keepLocal(0))) {
                assertEquals(3, s.shipOnce().removedLocal());
            }
            String key = String.format("%020d-%020d.binlog", 1, 2);
            Files.delete(Path.of(env("BINLOG_TEST_S3_ROOT"), env("BINLOG_TEST_S3_BUCKET"), prefix, "orders", key));
            List<String> got = readInChild(dir, "orders", remote);
            List<String> want = List.of("record 0 payload-a", "record 1 payload-b", "record 4 payload-e",
                    "record 5 payload-f", "record 6 payload-g", "gaps 1",
                    "gap MISSING " + remote + "/orders/" + key + " 2 4");
            assertEquals(want, got);
        }
    }

    @Test
    void aRemoteThatIsNotAnS3URLIsRefused() throws Exception {
        BinlogException e = TestSupport.expect(ErrorCode.INVALID_ARGUMENT,
                () -> BinlogReader.openLogTiered(dir, "orders", "http://not-s3/x"));
        assertTrue(e.getMessage().length() > 0);
    }
}
