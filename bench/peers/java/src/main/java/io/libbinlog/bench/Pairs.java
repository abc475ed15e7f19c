package io.libbinlog.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Interleaved pairs: libbinlog and the peer once each per pair, in alternating order, each in a fresh
 * directory, after one pair not counted (the JIT).
 */
final class Pairs {
    /** One side of a row: returns the seconds of what it measured. */
    interface Side {
        double run(Path dir) throws Exception;
    }

    private final int pairs;
    private final Path dir;

    Pairs(int pairs, Path dir) {
        this.pairs = pairs;
        this.dir = dir;
    }

    void run(String peer, String row, int records, Side lib, Side other) throws Exception {
        if (!selected(row)) {
            return;
        }
        List<Double> libRate = new ArrayList<>(), peerRate = new ArrayList<>();
        List<Double> libFolios = new ArrayList<>(), peerFolios = new ArrayList<>();
        // A first pair, not counted, so that both sides run compiled code.
        for (Side side : new Side[] {lib, other}) {
            Path d = freshDir();
            side.run(d);
            delete(d);
        }
        for (int i = 0; i < pairs; i++) {
            boolean peerFirst = i % 2 == 1;
            for (int k = 0; k < 2; k++) {
                boolean isLib = (k == 0) != peerFirst;
                idle();
                Path d = freshDir();
                double secs = (isLib ? lib : other).run(d);
                (isLib ? libRate : peerRate).add(records / secs);
                (isLib ? libFolios : peerFolios).add(shareIn2MibFolios(d));
                delete(d);
            }
        }
        System.out.println("{\"suite\":\"java\",\"peer\":\"" + peer + "\",\"row\":\"" + row + "\",\"records\":" + records
                + ",\"lib_per_s\":" + json(libRate) + ",\"peer_per_s\":" + json(peerRate)
                + ",\"lib_2mib_folios\":" + json(libFolios) + ",\"peer_2mib_folios\":" + json(peerFolios) + "}");
    }

    /**
     * The share of the bytes of the files under {@code d} (what a side wrote and read) in 2 MiB folios, which a full
     * scan's speed follows (docs/PERFORMANCE.md, e): bench/folios.py --share, run from the repository's root as root;
     * -1 where it cannot tell.
     */
    private static double shareIn2MibFolios(Path d) {
        try (Stream<Path> s = Files.walk(d)) {
            List<String> cmd = new ArrayList<>(List.of("python3", "bench/folios.py", "--share"));
            s.filter(Files::isRegularFile).forEach(p -> cmd.add(p.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Double.parseDouble(out) : -1;
        } catch (IOException | InterruptedException | NumberFormatException e) {
            return -1;
        }
    }

    /** BENCH_PEERS_ROWS: comma-separated parts of the row names to run (all if unset), as in the Rust suite. */
    private static boolean selected(String row) {
        String rows = System.getenv("BENCH_PEERS_ROWS");
        return rows == null || rows.isEmpty() || java.util.Arrays.stream(rows.split(",")).anyMatch(row::contains);
    }

    /** BENCH_PEERS_IDLE_S: seconds idle before each run, for the host to take freed memory back (a VM's fresh memory). */
    private static void idle() throws InterruptedException {
        String s = System.getenv("BENCH_PEERS_IDLE_S");
        if (s != null && !s.isEmpty()) {
            Thread.sleep((long) (Double.parseDouble(s) * 1000));
        }
    }

    /**
     * BENCH_PEERS_CPU=1: {@link #start} and {@link #timed} count the calling thread's CPU time, not the wall clock (for
     * a single-threaded row on a loaded machine: the time other processes take the core, and the JVM's own threads,
     * the garbage collector's too, are not counted), as in the Rust suite.
     */
    private static final boolean CPU = "1".equals(System.getenv("BENCH_PEERS_CPU"));

    /** Now, on the clock {@link #timed} reads. */
    static long start() {
        return CPU ? ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() : System.nanoTime();
    }

    /** Seconds since {@code start} (from {@link #start}). */
    static double timed(long start) {
        return (start() - start) / 1e9;
    }

    private static String json(List<Double> xs) {
        return xs.stream().map(String::valueOf).collect(Collectors.joining(",", "[", "]"));
    }

    private Path freshDir() throws IOException {
        Path d = dir.resolve("run");
        delete(d);
        return Files.createDirectories(d);
    }

    private static void delete(Path d) throws IOException {
        if (!Files.exists(d)) {
            return;
        }
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.delete(p);
            }
        }
    }
}
