package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
        try (var in = NativeLoader.class.getResourceAsStream(
                "/io/libbinlog/native/" + NativeLoader.platform() + "/" + NativeLoader.LIBRARY_FILE)) {
            bundled = in.readAllBytes();
        }
        Path copy = NativeLoader.cacheDir().resolve(NativeLoader.fileName(bundled));
        assertArrayEquals(bundled, Files.readAllBytes(copy), copy.toString());
    }

    @Test
    void copiesOfDifferentLibrariesHaveDifferentNames() {
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
