package io.libbinlog;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Finds and loads the JNI library, in this order:
 * <ol>
 * <li>the absolute path in the system property {@value #PATH_PROPERTY}, else in the environment variable {@value
 * #PATH_ENV}: a library of the user's own;</li>
 * <li>the library the jar carries for this platform ({@code io/libbinlog/native/<os>-<arch>/libbinlog_jni.so}), copied
 * once into the cache directory and loaded from there;</li>
 * <li>for a platform the jar carries nothing for: {@code System.loadLibrary("binlog_jni")} ({@code
 * java.library.path}).</li>
 * </ol>
 *
 * <p>The cache directory is the system property {@value #CACHE_PROPERTY}, else {@code $XDG_CACHE_HOME/libbinlog}, else
 * {@code ~/.cache/libbinlog}. The copy is named for the SHA-256 of its content, so libraries of different versions
 * never share a file, and it appears under that name only by an atomic rename of a complete copy: JVMs that start
 * together each write their own temporary file and load the same bytes, whichever rename lands last. A copy already
 * there is loaded only if it holds the jar's bytes. Each JVM holds a shared lock on the copy it loaded until it exits;
 * one that writes a new copy deletes the other versions' copies no process holds a lock on, so the cache keeps only the
 * versions in use. When the cache directory cannot be written (or the copy is being removed), the library goes to a
 * fresh temporary directory deleted at exit.
 */
final class NativeLoader {
    static final String PATH_PROPERTY = "io.libbinlog.jni.library";
    static final String PATH_ENV = "LIBBINLOG_JNI_LIBRARY";
    static final String CACHE_PROPERTY = "io.libbinlog.jni.cacheDir";
    static final String LIBRARY_FILE = "libbinlog_jni.so";

    private NativeLoader() {
    }

    static void load() {
        String own = System.getProperty(PATH_PROPERTY, "");
        own = own.isEmpty() ? Objects.requireNonNullElse(System.getenv(PATH_ENV), "") : own;
        if (!own.isEmpty()) {
            System.load(Path.of(own).toAbsolutePath().toString());
            return;
        }
        byte[] bundled = readResource("/io/libbinlog/native/" + platform() + "/" + LIBRARY_FILE);
        if (bundled == null) {
            System.loadLibrary("binlog_jni");
        } else {
            System.load(extract(bundled).toString());
        }
    }

    /** {@code linux-x86_64} and the like: the directory of the jar's library for this JVM. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return (os.startsWith("linux") ? "linux" : os) + "-" + switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch;
        };
    }

    private static byte[] readResource(String name) {
        try (InputStream in = NativeLoader.class.getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("libbinlog: cannot read the JNI library " + name + " from the jar", e);
        }
    }

    /** The path of a file holding {@code library}, written there if it was not already. */
    private static Path extract(byte[] library) {
        String name = fileName(library);
        try {
            return cached(cacheDir(), name, library);
        } catch (IOException | RuntimeException cacheFailure) {
            try {
                Path dir = Files.createTempDirectory("libbinlog-jni");
                Path file = Files.write(dir.resolve(name), library);
                file.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
                return file;
            } catch (IOException e) {
                e.addSuppressed(cacheFailure);
                throw new UncheckedIOException("libbinlog: cannot write the JNI library to a cache or temporary directory", e);
            }
        }
    }

    /** The name of the copy of {@code library}: 128 bits of its SHA-256. */
    static String fileName(byte[] library) {
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(library);
            return "libbinlog_jni-" + HexFormat.of().formatHex(sha, 0, 16) + ".so";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is a required JDK algorithm", e);
        }
    }

    static Path cacheDir() {
        String own = System.getProperty(CACHE_PROPERTY);
        if (own != null && !own.isEmpty()) {
            return Path.of(own);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && xdg.startsWith("/")) {
            return Path.of(xdg, "libbinlog");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "libbinlog");
    }

    /** The shared locks on the copies this JVM loaded, held for its lifetime (see {@link #cached}). */
    private static final Set<FileChannel> HELD = ConcurrentHashMap.newKeySet();
    private static final Pattern OUR_COPY = Pattern.compile("libbinlog_jni-[0-9a-f]{32}\\.so");

    /**
     * {@code dir/name} holding {@code library}, written (atomically) unless it already does, locked and the other
     * versions' copies cleaned as the class comment says.
     */
    static Path cached(Path dir, String name, byte[] library) throws IOException {
        Path file = dir.resolve(name);
        if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), library)) {
            return hold(file);
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, name + ".", ".tmp");
        try {
            Files.write(tmp, library);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        hold(file);
        removeOtherVersions(dir, name);
        return file;
    }

    /**
     * Takes a shared lock on {@code file} for the JVM's lifetime. A cleaner deletes only under an exclusive lock, so
     * once the shared one is granted the file is either still there (and stays) or already gone: then this throws, and
     * the caller loads from a temporary copy.
     */
    private static Path hold(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            if (ch.tryLock(0, Long.MAX_VALUE, true) == null || !Files.exists(file)) {
                throw new IOException("libbinlog: " + file + " is being removed");
            }
        } catch (OverlappingFileLockException alreadyHeld) {
            ch.close(); // this JVM holds it already
            return file;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        HELD.add(ch);
        return file;
    }

    /** Deletes the copies of other versions in {@code dir} that no process holds a lock on. */
    private static void removeOtherVersions(Path dir, String keep) throws IOException {
        try (DirectoryStream<Path> others = Files.newDirectoryStream(dir, p -> !p.endsWith(keep)
                && OUR_COPY.matcher(p.getFileName().toString()).matches())) {
            for (Path p : others) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                    if (ch.tryLock() != null) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException | OverlappingFileLockException inUseOrGone) {
                    // in use by this JVM, or gone already: keep it
                }
            }
        }
    }
}
