package io.libbinlog;

import java.nio.ByteBuffer;

/**
 * A thread's own native memory, where a small write puts its type name and
 * payload end to end, so that its JNI call carries numbers alone (the
 * writer, this memory's address, two lengths, a timestamp) and calls
 * nothing of the JVM's: no array or direct-buffer function, each of which
 * is a transition into the VM and back.
 *
 * <p>One per thread that writes a small record ({@link ThreadLocal}); it
 * serves every {@link Writer}. A write never calls back into Java, so a
 * thread's buffer serves one call at a time. The memory starts at {@link
 * #INITIAL} bytes and grows to the largest small write the thread made, up to
 * {@link #CAPACITY}; it is freed with the thread (the direct buffer's
 * cleaner). The address stays valid while the buffer is reachable, which the
 * thread's {@link ThreadLocal} entry keeps it for the thread's life.
 */
final class StagingBuffer {
    static {
        Binlog.ensureLoaded();
    }

    /** The most bytes (type name and payload) a write copies here; larger ones take the other paths. */
    static final int CAPACITY = 16 * 1024;
    /** The first allocation: records of up to about 500 B never grow it. */
    static final int INITIAL = 512;

    private static final ThreadLocal<StagingBuffer> OF_THREAD = new ThreadLocal<>();

    private final ByteBuffer memory;
    /** The native address of {@link #memory}'s first byte. */
    final long address;

    private StagingBuffer(int size) {
        memory = ByteBuffer.allocateDirect(size);
        address = nativeAddress(memory);
    }

    /** Whether a record of this type name and payload length goes through a staging buffer. */
    static boolean fits(int typeLen, int len) {
        return len <= CAPACITY - typeLen;
    }

    /** This thread's buffer, holding at least {@code size <= CAPACITY} bytes. */
    static StagingBuffer ofThisThread(int size) {
        StagingBuffer b = OF_THREAD.get();
        if (b == null || b.memory.capacity() < size) {
            b = new StagingBuffer(grown(b == null ? 0 : b.memory.capacity(), size));
            OF_THREAD.set(b);
        }
        return b;
    }

    private static int grown(int old, int size) {
        int n = Math.max(INITIAL, old);
        while (n < size) {
            n *= 2;
        }
        return Math.min(n, CAPACITY);
    }

    /** Copies the type name, then {@code payload[off, off+len)}, to the start of the memory. */
    void put(byte[] type, byte[] payload, int off, int len) {
        memory.put(0, type);
        memory.put(type.length, payload, off, len);
    }

    /** Copies the type name, then {@code len} bytes of {@code payload} (direct or heap) from index {@code pos}. */
    void put(byte[] type, ByteBuffer payload, int pos, int len) {
        memory.put(0, type);
        memory.put(type.length, payload, pos, len);
    }

    /** GetDirectBufferAddress, once per buffer. */
    private static native long nativeAddress(ByteBuffer memory);
}
