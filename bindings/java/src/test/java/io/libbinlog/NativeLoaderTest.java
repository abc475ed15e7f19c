package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLoaderTest {
    @TempDir
    Path dir;

    @Test
    void theBundledLibraryIsLoadedFromACopyInTheCacheDirectory() throws Exception {
        assertTrue(Binlog.version().matches("\\d+\\.\\d+\\.\\d+.*"), Binlog.version());
        byte[] bundled;
        try (var in = NativeLoader.class.getResourceAsStream(NativeLoader.resource(NativeLoader.platform()))) {
            bundled = in.readAllBytes();
        }
        Path copy = NativeLoader.cacheDir().resolve(NativeLoader.fileName(bundled));
        assertArrayEquals(bundled, Files.readAllBytes(copy), copy.toString());
    }

    @Test
    void platformsAreNamedForTheJvmsOsAndArchitecture() {
        assertEquals("linux-x86_64", NativeLoader.platform("Linux", "amd64"));
        assertEquals("linux-aarch64", NativeLoader.platform("Linux", "aarch64"));
        assertEquals("darwin-aarch64", NativeLoader.platform("Mac OS X", "aarch64"));
        assertEquals("darwin-x86_64", NativeLoader.platform("Mac OS X", "x86_64"));
        assertEquals("darwin-aarch64", NativeLoader.platform("Darwin", "arm64"));
        assertEquals("freebsd-x86_64", NativeLoader.platform("FreeBSD", "amd64"));
        assertEquals("windows-x86_64", NativeLoader.platform("Windows 11", "amd64"));
        assertEquals("sunos-sparcv9", NativeLoader.platform("SunOS", "sparcv9"));
    }

    @Test
    void eachPlatformsLibraryHasTheNameItsJvmGivesLibraries() {
        assertEquals("/io/libbinlog/native/linux-aarch64/libbinlog_jni.so", NativeLoader.resource("linux-aarch64"));
        assertEquals("/io/libbinlog/native/darwin-aarch64/libbinlog_jni.dylib", NativeLoader.resource("darwin-aarch64"));
        assertEquals("/io/libbinlog/native/darwin-x86_64/libbinlog_jni.dylib", NativeLoader.resource("darwin-x86_64"));
        assertEquals("/io/libbinlog/native/" + NativeLoader.platform() + "/" + System.mapLibraryName("binlog_jni"),
                NativeLoader.resource(NativeLoader.platform()), "this JVM's own name for the library");
    }

    /** A platform the jar has no library for, and java.library.path none either: the error says what is missing. */
    @Test
    void aPlatformWithoutALibraryFailsNamingItWhatWasLookedForAndWhatTheJarHas() {
        UnsatisfiedLinkError e = assertThrows(UnsatisfiedLinkError.class, () -> NativeLoader.loadBundled("netbsd-x86_64"));
        String message = e.getMessage();
        assertTrue(message.startsWith("libbinlog has no native library for netbsd-x86_64 in this jar (has: "), message);
        assertTrue(message.contains("looked for io/libbinlog/native/netbsd-x86_64/libbinlog_jni.so, then "
                + System.mapLibraryName("binlog_jni") + " on java.library.path"), message);
        String has = message.substring(message.indexOf("(has: ") + 6, message.indexOf(';'));
        assertTrue(List.of(has.split(", ")).contains(NativeLoader.platform()), "the jar has this JVM's platform: " + message);
        for (String p : has.split(", ")) {
            assertNotNull(NativeLoader.class.getResource(NativeLoader.resource(p)), p + " listed but absent: " + message);
        }
        assertTrue(message.contains(NativeLoader.PATH_PROPERTY) && message.contains(NativeLoader.PATH_ENV), message);
        assertTrue(e.getCause() instanceof UnsatisfiedLinkError, "java.library.path's failure is the cause");
    }

    /**
     * Writing a new copy deletes an older version's copy no process holds, keeps one another
     * process holds a lock on (as a JVM that loaded it does) and leaves files not ours alone.
     */
    @Test
    void aNewCopyRemovesOtherVersionsCopiesNotInUse() throws Exception {
        Path cache = dir.resolve("cleanup");
        Files.createDirectories(cache);
        Path old = Files.write(cache.resolve("libbinlog_jni-" + "0".repeat(32) + ".so"), new byte[] {1});
        Path inUse = Files.write(cache.resolve("libbinlog_jni-" + "1".repeat(32) + ".so"), new byte[] {2});
        Path notOurs = Files.write(cache.resolve("libother.so"), new byte[] {3});
        // a real other process holding a shared POSIX (fcntl) lock on inUse, as FileChannel.lock takes
        Process holder = new ProcessBuilder("python3", "-c",
                "import fcntl,sys; f=open(sys.argv[1],'rb'); fcntl.lockf(f, fcntl.LOCK_SH); print('locked', flush=True);"
                        + " sys.stdin.read()", inUse.toString()).redirectErrorStream(true).start();
        try {
            assertEquals("locked", new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream())).readLine());
            byte[] library = {9, 9, 9};
            Path copy = NativeLoader.cached(cache, NativeLoader.fileName(library), library);
            assertArrayEquals(library, Files.readAllBytes(copy));
            assertTrue(Files.notExists(old), "an unused older copy is removed");
            assertTrue(Files.exists(inUse), "a copy another process holds stays");
            assertTrue(Files.exists(notOurs), "a file not ours stays");
        } finally {
            holder.getOutputStream().close();
            holder.waitFor();
        }
    }

    @Test
    void copiesOfDifferentLibrariesHaveDifferentNames() throws Exception {
        assertNotEquals(NativeLoader.fileName(new byte[] {1}), NativeLoader.fileName(new byte[] {2}));
        assertEquals(NativeLoader.fileName(new byte[] {1}), NativeLoader.fileName(new byte[] {1}));
    }

    @Test
    void aCopyWhoseContentIsNotTheLibrarysIsReplaced() throws Exception {
        byte[] library = {1, 2, 3, 4};
        String name = NativeLoader.fileName(library);
        Files.write(dir.resolve(name), new byte[] {1, 2}); // a copy cut short
        Path copy = NativeLoader.cached(dir, name, library);
        assertArrayEquals(library, Files.readAllBytes(copy));
    }

    @Test
    void concurrentFirstUsesLeaveOneCompleteCopyAndNoTemporaryFile() throws Exception {
        byte[] library = new byte[1 << 20];
        new java.util.Random(7).nextBytes(library);
        String name = NativeLoader.fileName(library);
        Path cache = dir.resolve("cache");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Path>> copies = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                copies.add(pool.submit(() -> {
                    Path copy = NativeLoader.cached(cache, name, library);
                    assertArrayEquals(library, Files.readAllBytes(copy)); // complete whenever it is seen
                    return copy;
                }));
            }
            for (Future<Path> f : copies) {
                assertEquals(cache.resolve(name), f.get());
            }
        } finally {
            pool.shutdown();
        }
        try (Stream<Path> files = Files.list(cache)) {
            assertEquals(List.of(cache.resolve(name)), files.toList());
        }
    }
}
