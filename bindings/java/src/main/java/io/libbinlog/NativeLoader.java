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
import java.util.List;
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
 * <li>the library the jar carries for this platform ({@code io/libbinlog/native/<os>-<arch>/libbinlog_jni.so}, or
 * {@code .dylib} on macOS; {@link #platform(String, String)} names the directory), copied once into the cache
 * directory and loaded from there;</li>
 * <li>for a platform the jar carries nothing for: {@code System.loadLibrary("binlog_jni")} ({@code
 * java.library.path}), and when that fails too, an {@link UnsatisfiedLinkError} naming the platform, what was looked
 * for and the platforms the jar has.</li>
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
    /** The platforms a jar built with every native ({@code make java-all-natives}) carries a library for. */
    static final List<String> PLATFORMS = List.of("linux-x86_64", "linux-aarch64", "darwin-aarch64", "darwin-x86_64", "freebsd-x86_64");

    private NativeLoader() {
    }

    static void load() {
        String own = System.getProperty(PATH_PROPERTY, "");
        own = own.isEmpty() ? Objects.requireNonNullElse(System.getenv(PATH_ENV), "") : own;
        if (!own.isEmpty()) {
            System.load(Path.of(own).toAbsolutePath().toString());
            return;
        }
        loadBundled(platform());
    }

    /** Loads the jar's library for {@code platform}, else {@code binlog_jni} from {@code java.library.path}. */
    static void loadBundled(String platform) {
        byte[] bundled = readResource(resource(platform));
        if (bundled != null) {
            System.load(extract(bundled).toString());
            return;
        }
        try {
            System.loadLibrary("binlog_jni");
        } catch (UnsatisfiedLinkError e) { // neither the jar nor java.library.path has one: say what was looked for
            List<String> has = PLATFORMS.stream().filter(p -> NativeLoader.class.getResource(resource(p)) != null).toList();
            throw (UnsatisfiedLinkError) new UnsatisfiedLinkError("libbinlog has no native library for " + platform
                    + " in this jar (has: " + (has.isEmpty() ? "none" : String.join(", ", has)) + "; looked for "
                    + resource(platform).substring(1) + ", then " + System.mapLibraryName("binlog_jni")
                    + " on java.library.path): set -D" + PATH_PROPERTY + " or " + PATH_ENV
                    + " to a libbinlog_jni built for it (bindings/java/build-jni.sh)").initCause(e);
        }
    }

    /** {@code linux-x86_64} and the like: the directory of the jar's library for this JVM. */
    static String platform() {
        return platform(System.getProperty("os.name", ""), System.getProperty("os.arch", ""));
    }

    /**
     * The directory of the library for a JVM whose {@code os.name} and {@code os.arch} are given: {@code linux},
     * {@code darwin} (macOS: "Mac OS X", "Darwin"), {@code windows}, else the OS's name in lower case letters and
     * digits ({@code freebsd}); then {@code x86_64} ("amd64", "x86_64") or {@code aarch64} ("aarch64", "arm64"), else
     * the architecture's name likewise.
     */
    static String platform(String osName, String osArch) {
        String os = osName.toLowerCase(Locale.ROOT), arch = osArch.toLowerCase(Locale.ROOT);
        os = os.startsWith("linux") ? "linux"
                : os.startsWith("mac") || os.startsWith("darwin") ? "darwin"
                : os.startsWith("windows") ? "windows" : os.replaceAll("[^a-z0-9]", "");
        return os + "-" + switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "aarch64";
            default -> arch.replaceAll("[^a-z0-9_]", "");
        };
    }

    /** The jar's resource holding {@code platform}'s library, named as that platform's JVM names libraries. */
    static String resource(String platform) {
        String file = platform.startsWith("darwin-") ? "libbinlog_jni.dylib"
                : platform.startsWith("windows-") ? "binlog_jni.dll" : "libbinlog_jni.so";
        return "/io/libbinlog/native/" + platform + "/" + file;
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
            return System.mapLibraryName("binlog_jni-" + HexFormat.of().formatHex(sha, 0, 16));
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
    private static final Pattern OUR_COPY = Pattern.compile("libbinlog_jni-[0-9a-f]{32}\\.(so|dylib)");

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
