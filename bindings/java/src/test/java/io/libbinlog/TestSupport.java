package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.function.Executable;

/** Helpers the test classes share. */
final class TestSupport {
    private TestSupport() {}

    /** Runs {@code call}, which must throw a BinlogException with {@code code} and a message; returns it. */
    /** A call that may fail as the library does. */
    interface IoRunnable {
        void run() throws IOException;
    }

    /** {@code r} as a Runnable (a thread's body), its IOException rethrown unchecked. */
    static Runnable unchecked(IoRunnable r) {
        return () -> {
            try {
                r.run();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
    }

    /** {@code call} throws NoSuchFileException naming {@code file} once, with the library's message. */
    static java.nio.file.NoSuchFileException missing(Path file, Executable call) {
        java.nio.file.NoSuchFileException e = assertThrows(java.nio.file.NoSuchFileException.class, call);
        assertEquals(file.toString(), e.getFile());
        assertNotNull(e.getReason());
        assertEquals(e.getMessage().indexOf(file.toString()), e.getMessage().lastIndexOf(file.toString()),
                () -> "names the file once: " + e.getMessage());
        return e;
    }

    /** A setting {@code call} makes is refused before the library sees it: IllegalArgumentException with a message. */
    static IllegalArgumentException badOption(Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertNotNull(e.getMessage());
        return e;
    }

    /** {@code call} throws NoSuchFileException whose file or message contains {@code needle}. */
    static java.nio.file.NoSuchFileException missingNaming(String needle, Executable call) {
        java.nio.file.NoSuchFileException e = assertThrows(java.nio.file.NoSuchFileException.class, call);
        assertTrue(String.valueOf(e.getFile()).contains(needle) || e.getMessage().contains(needle), e::getMessage);
        return e;
    }

    static BinlogException expect(ErrorCode code, Executable call) {
        BinlogException e = assertThrows(BinlogException.class, call);
        assertEquals(code, e.code(), e::getMessage);
        assertEquals(code.value(), e.rawCode());
        assertNotNull(e.getMessage());
        return e;
    }

    /**
     * The whole number in environment variable {@code name} (a test's size knob, which {@code make torture}
     * raises), or {@code def} when it is unset or empty.
     */
    static int envInt(String name, int def) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            return def;
        }
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(name + "=\"" + v + "\": want a whole number above 0");
    }

    /**
     * Environment variable {@code name} of tests/with_s3_server.sh (BINLOG_TEST_S3_*): where the
     * S3-compatible server {@code make test-java} starts is; fails the test when it is not set.
     */
    static String s3Env(String name) {
        String v = System.getenv(name);
        if (v == null || v.isEmpty()) {
            fail(name + " is not set: run the tests under tests/with_s3_server.sh (make test-java)");
        }
        return v;
    }

    /**
     * What a child JVM running {@code main} with {@code args} printed, less the JVM's WARNING lines; it runs
     * with the test server's endpoint, region and credentials in its environment (AWS_*), where a tiered
     * reader takes them from, which a JVM cannot change for itself. Fails the test unless it exits with 0.
     */
    static List<String> runWithS3Env(Class<?> main, List<String> args) throws IOException, InterruptedException {
        return runWithEnv(main, args, Map.of(
                "AWS_ENDPOINT_URL", s3Env("BINLOG_TEST_S3_ENDPOINT"),
                "AWS_REGION", s3Env("BINLOG_TEST_S3_REGION"),
                "AWS_ACCESS_KEY_ID", s3Env("BINLOG_TEST_S3_ACCESS_KEY"),
                "AWS_SECRET_ACCESS_KEY", s3Env("BINLOG_TEST_S3_SECRET_KEY")));
    }

    /** As {@link #runWithS3Env}, with {@code env} added to the child's environment. */
    static List<String> runWithEnv(Class<?> main, List<String> args, Map<String, String> env)
            throws IOException, InterruptedException {
        ProcessBuilder pb = childJvm(List.of(), main, args);
        pb.environment().putAll(env);
        return output(pb);
    }

    /**
     * What a child JVM running {@code main} with {@code args} printed, less the JVM's WARNING lines, when
     * started through {@code launcher} (a command and its arguments that runs the rest, or none). Fails the
     * test unless it exits with 0.
     */
    static List<String> runChild(List<String> launcher, Class<?> main, List<String> args)
            throws IOException, InterruptedException {
        return output(childJvm(launcher, main, args));
    }

    /** A child JVM with this one's class path and library cache, running {@code main} through {@code launcher}. */
    private static ProcessBuilder childJvm(List<String> launcher, Class<?> main, List<String> args) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(launcher);
        command.addAll(List.of(java, "-Xcheck:jni", "-cp", System.getProperty("java.class.path"),
                "-Dio.libbinlog.jni.cacheDir=" + NativeLoader.cacheDir(), main.getName()));
        command.addAll(args);
        return new ProcessBuilder(command).redirectErrorStream(true);
    }

    private static List<String> output(ProcessBuilder pb) throws IOException, InterruptedException {
        Process child = pb.start();
        String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(child.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, child.exitValue(), out);
        return out.lines().filter(l -> !l.startsWith("WARNING")).collect(Collectors.toList());
    }

    /** Shipper options for {@code url} on the test server, with its region and credentials. */
    static Shipper.Options shipTo(String url) {
        return new Shipper.Options()
                .url(url)
                .endpoint(s3Env("BINLOG_TEST_S3_ENDPOINT"))
                .region(s3Env("BINLOG_TEST_S3_REGION"))
                .credentials(s3Env("BINLOG_TEST_S3_ACCESS_KEY"), s3Env("BINLOG_TEST_S3_SECRET_KEY"));
    }

    /** Writes a sealed segment at {@code file}: one record of type "t" per payload (UTF-8); returns file. */
    static Path segment(Path file, String... payloads) throws IOException {
        try (BinlogWriter w = BinlogWriter.openSegment(file)) {
            for (String s : payloads) {
                w.write("t", s.getBytes(StandardCharsets.UTF_8));
            }
        }
        return file;
    }

    /** How many of {@code segs} are compressed ({@code <segment>.binlog.zst}). */
    static int compressedSegments(List<LogSegment> segs) {
        int n = 0;
        for (LogSegment s : segs) {
            if (s.path().getFileName().toString().endsWith(".binlog.zst")) {
                n++;
            }
        }
        return n;
    }

    /** The body of one of {@link #inThreads}'s threads, given its number. */
    interface ThreadBody {
        void run(int id) throws Exception;
    }

    /**
     * Runs {@code body} on {@code threads} threads released together, waits for all, and returns what they
     * threw (a failed assertion in a thread other than the test's would otherwise go unseen).
     */
    static List<Throwable> inThreads(int threads, ThreadBody body) throws InterruptedException {
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    body.run(id);
                } catch (Throwable e) {
                    errors.add(e);
                }
            });
            th.start();
            ts.add(th);
        }
        start.countDown();
        for (Thread th : ts) {
            th.join();
        }
        return new ArrayList<>(errors);
    }
}
