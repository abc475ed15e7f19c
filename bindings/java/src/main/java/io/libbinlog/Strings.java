package io.libbinlog;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;

/** Encoding helpers: everything crosses JNI as bytes, never as modified UTF-8. */
final class Strings {
    /** How the JDK itself turns file names into bytes (java.io / sun.nio.fs). */
    static final Charset FILE_NAMES = fileNameCharset();

    private Strings() {
    }

    private static Charset fileNameCharset() {
        try {
            String name = System.getProperty("sun.jnu.encoding");
            if (name != null) {
                return Charset.forName(name);
            }
        } catch (RuntimeException e) {
            // fall through
        }
        return StandardCharsets.UTF_8;
    }

    static byte[] utf8(String s, String what) {
        if (s == null) {
            throw new NullPointerException(what);
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** UTF-8 bytes for a C string argument (C appends the NUL): refuses an embedded NUL. */
    static byte[] cstring(String s, String what) {
        byte[] b = utf8(s, what);
        checkNoNul(b, what);
        return b;
    }

    /** File-name bytes of a path for a C string argument. */
    static byte[] path(Path p, String what) {
        if (p == null) {
            throw new NullPointerException(what);
        }
        byte[] b = p.toString().getBytes(FILE_NAMES);
        checkNoNul(b, what);
        return b;
    }

    static Path decodePath(byte[] b) {
        return Path.of(new String(b, FILE_NAMES));
    }

    private static void checkNoNul(byte[] b, String what) {
        for (byte x : b) {
            if (x == 0) {
                throw new BinlogException(ErrorCode.INVALID_ARGUMENT, what + " contains a NUL character");
            }
        }
    }

    /** Several strings laid end to end: {@code bytes} and the length of each. */
    static final class Packed {
        static final Packed NONE = new Packed(null, null);
        final byte[] bytes;
        final int[] lengths;

        Packed(byte[] bytes, int[] lengths) {
            this.bytes = bytes;
            this.lengths = lengths;
        }
    }

    /** Metadata as key, value, key, value ... (null arrays when empty). */
    static Packed metadata(Map<String, String> meta) {
        if (meta == null || meta.isEmpty()) {
            return Packed.NONE;
        }
        byte[][] parts = new byte[meta.size() * 2][];
        int i = 0;
        long total = 0;
        for (Map.Entry<String, String> e : meta.entrySet()) {
            parts[i] = utf8(e.getKey(), "metadata key");
            parts[i + 1] = utf8(e.getValue(), "metadata value");
            total += parts[i].length + (long) parts[i + 1].length;
            i += 2;
        }
        return pack(parts, total);
    }

    static Packed strings(Collection<String> items, String what) {
        byte[][] parts = new byte[items.size()][];
        int i = 0;
        long total = 0;
        for (String s : items) {
            parts[i] = utf8(s, what);
            total += parts[i].length;
            i++;
        }
        return pack(parts, total);
    }

    private static Packed pack(byte[][] parts, long total) {
        if (total > Integer.MAX_VALUE - 8) {
            throw new BinlogException(ErrorCode.INVALID_ARGUMENT, "strings too long: " + total + " bytes");
        }
        byte[] bytes = new byte[(int) total];
        int[] lengths = new int[parts.length];
        int off = 0;
        for (int i = 0; i < parts.length; i++) {
            System.arraycopy(parts[i], 0, bytes, off, parts[i].length);
            lengths[i] = parts[i].length;
            off += parts[i].length;
        }
        return new Packed(bytes, lengths);
    }
}
