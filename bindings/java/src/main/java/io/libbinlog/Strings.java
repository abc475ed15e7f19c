package io.libbinlog;

import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntFunction;

/** Encoding helpers: everything crosses JNI as bytes, never as modified UTF-8. */
final class Strings {
    /** How the JDK itself turns file names into bytes (java.io / sun.nio.fs). */
    static final Charset FILE_NAMES = fileNameCharset();

    private Strings() {
    }

    private static Charset fileNameCharset() {
        try {
            return Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return StandardCharsets.UTF_8;
        }
    }

    /**
     * The UTF-8 bytes of {@code s}. A String holding an unpaired surrogate has no UTF-8 form (getBytes would
     * silently put '?' in its place, naming another type, key or file): refused with INVALID_UTF8.
     */
    static byte[] utf8(String s, String what) throws BinlogException {
        Objects.requireNonNull(s, what);
        for (int i = 0, c; i < s.length(); i += Character.charCount(c)) {
            c = s.codePointAt(i); // an unpaired surrogate is a code point of its own
            if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
                throw new BinlogException(ErrorCode.INVALID_UTF8, String.format(
                        "%s is not valid Unicode (no UTF-8 form): unpaired surrogate U+%04X at index %d", what, c, i));
            }
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** UTF-8 bytes for a C string argument (C appends the NUL): refuses an embedded NUL. */
    static byte[] cstring(String s, String what) throws IOException {
        byte[] b = utf8(s, what);
        checkNoNul(b, what);
        return b;
    }

    /**
     * File-name bytes of a path for a C string argument. Only a path of the default file system names a file the
     * library can open; and only if its String gives back the same path: one listed from a directory whose name the
     * file-name charset cannot decode prints with U+FFFD in its place, and those bytes would name another file.
     */
    static byte[] path(Path p, String what) throws BinlogException {
        Objects.requireNonNull(p, what);
        FileSystem fs = p.getFileSystem();
        String s = p.toString();
        if (fs != FileSystems.getDefault()) {
            throw new ProviderMismatchException(what + " " + s + " is not on the default file system (it is on "
                    + fs.provider().getScheme() + ":): libbinlog opens local files only");
        }
        boolean same;
        try {
            same = fs.getPath(s).equals(p);
        } catch (InvalidPathException e) {
            same = false;
        }
        if (!same) {
            throw new BinlogException(ErrorCode.INVALID_ARGUMENT, what + " " + s
                    + " holds bytes that are not valid in the file-name encoding " + FILE_NAMES
                    + " (sun.jnu.encoding), so it cannot be passed on unchanged");
        }
        byte[] b = s.getBytes(FILE_NAMES);
        checkNoNul(b, what);
        return b;
    }

    /** How a file in {@code dir} named {@code name} (a log name or a pattern) prints, without parsing it as a Path. */
    static String describe(Path dir, String name) {
        String d = String.valueOf(dir);
        return d.endsWith("/") ? d + name : d + "/" + name;
    }

    static Path decodePath(byte[] b) {
        return Path.of(new String(b, FILE_NAMES));
    }

    private static void checkNoNul(byte[] b, String what) throws BinlogException {
        for (byte x : b) {
            if (x == 0) {
                throw new BinlogException(ErrorCode.INVALID_ARGUMENT, what + " contains a NUL character");
            }
        }
    }

    /** Several strings laid end to end: {@code bytes} and the length of each. */
    record Packed(byte[] bytes, int[] lengths) {
        static final Packed NONE = new Packed(null, null);
    }

    /** Metadata as key, value, key, value ... ({@link Packed#NONE} when empty). */
    static Packed metadata(Map<String, String> meta) throws IOException {
        if (meta == null || meta.isEmpty()) {
            return Packed.NONE;
        }
        List<String> kv = new ArrayList<>(meta.size() * 2);
        meta.forEach((k, v) -> {
            kv.add(k);
            kv.add(v);
        });
        return strings(kv, i -> i % 2 == 0 ? "metadata key" : "metadata value");
    }

    /** The UTF-8 of {@code items} packed; {@code what.apply(i)} names item i in an error. */
    static Packed strings(Collection<String> items, IntFunction<String> what) throws BinlogException {
        byte[][] parts = new byte[items.size()][];
        int i = 0;
        long total = 0;
        for (String s : items) {
            parts[i] = utf8(s, what.apply(i));
            total += parts[i++].length;
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new BinlogException(ErrorCode.INVALID_ARGUMENT, "strings too long: " + total + " bytes");
        }
        byte[] bytes = new byte[(int) total];
        int[] lengths = new int[parts.length];
        int off = 0;
        for (i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, bytes, off, parts[i].length);
            lengths[i] = parts[i].length;
            off += parts[i].length;
        }
        return new Packed(bytes, lengths);
    }
}
