package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RepairPlan: a sealed segment cut short is planned as a reseal with a backup first; applying the plan leaves it
 * sealed with every record readable and the backup beside it; planning again finds nothing to do.
 */
class RepairPlanTest {
    @TempDir
    Path dir;

    private long backups() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("cut.binlog.backup-")).count();
        }
    }

    @Test
    void aCutSealIsPlannedAndRepaired() throws IOException {
        Path p = dir.resolve("cut.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(p)) {
            for (int i = 0; i < 5; i++) {
                w.write("e", ("record-" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(f.length() - 3);
        }
        RepairPlan.Summary sum;
        try (RepairPlan plan = RepairPlan.open(p, null)) {
            List<RepairPlan.Segment> segs = plan.segments();
            assertEquals(1, segs.size());
            RepairPlan.Segment s = segs.get(0);
            assertEquals(p, s.path());
            assertEquals(RepairPlan.Action.RESEAL, s.action());
            assertTrue(s.damaged());
            assertEquals(RepairPlan.StepKind.BACKUP, s.steps().get(0).kind(), s.steps()::toString);
            assertTrue(s.steps().get(0).message().contains("would back up"));
            assertEquals(0, backups());
            sum = plan.apply();
            plan.close();
            assertThrows(BinlogClosedException.class, plan::apply);
        }
        assertEquals(new RepairPlan.Summary(1, 1, 0, 0), sum);
        assertTrue(sum.clean());
        assertEquals(1, backups());
        try (Verify v = Verify.open(p)) {
            assertFalse(v.iterator().hasNext());
            assertEquals(5, v.counts().records());
        }
        try (RepairPlan again = RepairPlan.open(p, null)) {
            assertEquals(RepairPlan.Action.NONE, again.segments().get(0).action());
            assertTrue(again.segments().get(0).steps().isEmpty());
        }
        assertThrows(BinlogException.class, () -> RepairPlan.acceptGap(dir, "log", 5, 3, ""));
    }
}
