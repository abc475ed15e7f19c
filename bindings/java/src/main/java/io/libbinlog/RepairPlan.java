package io.libbinlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A repair's plan for a segment file or a log directory ({@code binlog_repair_plan_*}): its {@link #segments()}, in
 * the log's order, each with what it needs and the steps that would do it. Planning changes nothing; {@link #apply()}
 * carries the plan out (backups first). Thread-safe (calls take turns); {@link #close()} is idempotent.
 */
public final class RepairPlan extends HandleCalls implements AutoCloseable {
    /** What a segment needs ({@code binlog_repair_segment_action}, in code order). */
    public enum Action {
        /** Sealed and intact, or open by a writer and intact. */
        NONE,
        /** Not readable as a segment ({@code why} says why). */
        UNREADABLE,
        /** Damaged and left as it is ({@code why} says why). */
        REFUSE,
        /** Backed up, its torn tail cut, sealed again. */
        RESEAL,
        /** Backed up, the records after mid-file damage copied into new segments, cut and sealed again. */
        SALVAGE
    }

    /** What a step does ({@code binlog_repair_step_kind}, in code order). */
    public enum StepKind {
        NOTE, BACKUP, CUT, RESEAL, SALVAGE, START_SEGMENT, GAP, LEAVE, CLEANUP, ERROR
    }

    /** One step: what applying the plan would do, in words naming the files. */
    public record Step(StepKind kind, String message) {}

    /** The plan for one segment; {@code damaged}: in its bytes or as a part of its log. */
    public record Segment(Path path, Action action, String why, boolean damaged, List<Step> steps) {}

    /** What applying a plan did. */
    public record Summary(long segments, long changed, long leftDamaged, long errors) {
        /** No damage is left and nothing failed. */
        public boolean clean() {
            return leftDamaged == 0 && errors == 0;
        }
    }

    private final List<Segment> segments;

    private RepairPlan(long handle, String description) throws IOException {
        super(handle, RepairPlan::nativeFree, "repair plan", description);
        try {
            segments = call(RepairPlan::read);
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Plans the repair of {@code path}, resolved as {@link Verify#open(Path, String)} resolves it. */
    public static RepairPlan open(Path path, String logName) throws IOException {
        return open(path, logName, false, null);
    }

    /**
     * Plans the repair of {@code path} (a segment file, or a log directory: log {@code logName} in it, or with
     * {@code null} the one log whose files it holds). {@code salvage}: copy the records after corruption in the
     * middle of a segment into new segments and cut before the damage (else such a segment is refused).
     * {@code backupDir}: where backup copies go ({@code null}: beside each file).
     */
    public static RepairPlan open(Path path, String logName, boolean salvage, Path backupDir) throws IOException {
        byte[] p = Strings.path(path, "path");
        byte[] n = logName == null ? null : Strings.cstring(logName, "log name");
        byte[] b = backupDir == null ? null : Strings.path(backupDir, "backup dir");
        return new RepairPlan(nativeOpen(p, n, salvage, b), path.toString());
    }

    private static List<Segment> read(long h) throws IOException {
        int count = nativeSegments(h);
        List<Segment> out = new ArrayList<>(count);
        long[] nums = new long[3];
        for (int i = 0; i < count; i++) {
            byte[][] s = nativeSegment(h, i, nums);
            List<Step> steps = new ArrayList<>();
            long[] kind = new long[1];
            for (int j = 0; j < nums[2]; j++) {
                byte[][] m = nativeStep(h, i, j, kind);
                steps.add(new Step(StepKind.values()[(int) kind[0]], new String(m[0], StandardCharsets.UTF_8)));
            }
            out.add(new Segment(Strings.decodePath(s[0]), Action.values()[(int) nums[0]],
                    new String(s[1], StandardCharsets.UTF_8), nums[1] != 0, List.copyOf(steps)));
        }
        return List.copyOf(out);
    }

    /** The segments planned, in the log's order. */
    public List<Segment> segments() {
        return segments;
    }

    /**
     * Carries the plan out: for each segment that needs it, with its lock held and the file checked to be the one
     * planned, a backup copy first, then the cut, salvage and reseal. A segment's failure does not stop the others
     * (counted in {@code errors}). Apply a plan once; plan again to see the result.
     */
    public Summary apply() throws IOException {
        long[] out = new long[4];
        run(h -> nativeApply(h, out));
        return new Summary(out[0], out[1], out[2], out[3]);
    }

    /**
     * Records that log {@code logName}'s records {@code from..to} (inclusive) in {@code dir} are known to be lost
     * (the gap a salvage leaves), so that verification reports the gap as accepted, not as damage.
     */
    public static void acceptGap(Path dir, String logName, long from, long to, String reason) throws IOException {
        nativeAcceptGap(Strings.path(dir, "dir"), Strings.cstring(logName, "log name"), from, to,
                Strings.cstring(reason, "reason"));
    }

    @Override
    public void close() {
        closeOnce(false, p -> {}); // the Cleaner's action frees the handle, once
    }

    private static native long nativeOpen(byte[] path, byte[] logName, boolean salvage, byte[] backupDir)
            throws IOException;

    private static native int nativeSegments(long h) throws IOException;

    private static native byte[][] nativeSegment(long h, int i, long[] nums) throws IOException;

    private static native byte[][] nativeStep(long h, int i, int j, long[] nums) throws IOException;

    private static native void nativeApply(long h, long[] out) throws IOException;

    private static native void nativeFree(long h);

    private static native void nativeAcceptGap(byte[] dir, byte[] logName, long from, long to, byte[] reason)
            throws IOException;
}
