package io.libbinlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;

/**
 * A window of a segment file's bytes for {@link MappedReader}, moved on
 * demand ({@link #cover}).
 *
 * <p>A sealed segment ({@code end >= 0}: its records lie in
 * {@code [header_len, records_end)}, bytes no writer changes again) is mapped
 * read-only, up to {@link #MAP_WINDOW} bytes at a time. An unsealed one is
 * copied with pread, as the native reader does: a writer reopening it may cut
 * a torn tail off, and touching a mapped page past the end of the file
 * raises SIGBUS (which would kill the JVM inside the CRC intrinsic). Each
 * copy goes to a new heap buffer, so records already returned keep their
 * bytes.
 */
final class SegmentWindow {
    static final int MAP_WINDOW = 1 << 30;
    static final int COPY_CHUNK = 1 << 20;

    private final FileChannel channel;
    private final String name;
    /** Where the records end for a mapped (sealed) segment; -1: unsealed, copied. */
    private final long end;
    private ByteBuffer buf = ByteBuffer.allocate(0);
    /**
     * A read-only view of buf for callers, never buf itself: a heap copy stays writable inside (CRC32
     * reads its array), and the parser's byte order must not change under it.
     */
    private ByteBuffer view = buf;
    private long base;

    SegmentWindow(FileChannel channel, String name, long end) {
        this.channel = channel;
        this.name = name;
        this.end = end;
    }

    boolean mapped() {
        return end >= 0;
    }

    /** The window's bytes (little-endian; index 0 is file offset {@link #base()}); never handed out. */
    ByteBuffer buffer() {
        return buf;
    }

    /** The same bytes, read-only, for records' payloads. */
    ByteBuffer view() {
        return view;
    }

    long base() {
        return base;
    }

    /** Bytes of the file at {@code pos} and after that the window holds. */
    int available(long pos) {
        long n = base + buf.limit() - pos;
        return n < 0 ? 0 : (int) Math.min(n, Integer.MAX_VALUE);
    }

    /**
     * Moves the window so that it holds {@code [pos, pos + len)}, if the
     * records' data does (a sealed segment's records end, an unsealed
     * segment's current size); false if not.
     */
    boolean cover(long pos, long len) {
        if (pos >= base && pos + len <= base + buf.limit()) {
            return true;
        }
        long limit = mapped() ? end : size();
        if (pos + len > limit || len > MAP_WINDOW) {
            return false;
        }
        try {
            if (mapped()) {
                long n = Math.min(limit - pos, Math.max(MAP_WINDOW, len));
                buf = channel.map(FileChannel.MapMode.READ_ONLY, pos, n);
            } else {
                buf = copy(pos, (int) Math.min(limit - pos, Math.max(COPY_CHUNK, len)), len);
            }
        } catch (IOException e) {
            throw failure(e, ": reading at offset " + pos);
        }
        buf.order(ByteOrder.LITTLE_ENDIAN);
        // Another object than buf even when buf is read-only: a caller may change its byte order.
        view = buf.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        base = pos;
        return buf.limit() >= len;
    }

    /** Up to n bytes at pos (at least need unless the file shrank). */
    private ByteBuffer copy(long pos, int n, long need) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b, pos + b.position()) <= 0) {
                break;
            }
        }
        b.flip();
        return b.limit() >= need ? b : ByteBuffer.allocate(0);
    }

    /** Forgets the window's bytes: the next {@link #cover} reads (or maps) them again. */
    void drop() {
        buf = ByteBuffer.allocate(0);
        view = buf;
        base = 0;
    }

    /** The file's size now. */
    long size() {
        try {
            return channel.size();
        } catch (IOException e) {
            throw failure(e, ": size");
        }
    }

    /** CLOSED when the reader was closed meanwhile (from another thread), else the I/O error. */
    private RuntimeException failure(IOException e, String what) {
        if (e instanceof ClosedChannelException) {
            return new BinlogException(ErrorCode.CLOSED, "reader is closed: " + name);
        }
        return new UncheckedIOException(name + what, e);
    }
}
