package io.libbinlog;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.ByteBuffer;

/**
 * A platform thread's own native memory, where a small write puts its type name and payload end to end, so that its
 * JNI call carries numbers alone (see {@link BinlogWriter}'s "Payloads"). One per platform thread ({@link
 * ThreadLocal}), for every {@link BinlogWriter}: a write never calls back into Java, so it serves one call at a
 * time; it grows from {@link #INITIAL} to at most {@link #CAPACITY} bytes, goes with the thread (the direct
 * buffer's cleaner), and its address stays valid while the thread's entry holds it, that is for the thread's life.
 * Virtual threads (Java 21 on) get none: one that writes once would pay an allocation for one write.
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
    /** {@code Thread.isVirtual()} (Java 21 on), or null where every thread is a platform thread. */
    private static final MethodHandle IS_VIRTUAL = isVirtualMethod();

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

    /** This platform thread's buffer, holding at least {@code size <= CAPACITY} bytes; null on a virtual thread. */
    static StagingBuffer ofThisThread(int size) {
        if (onVirtualThread()) {
            return null; // first: a ThreadLocal's get would give the thread a map of its own
        }
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

    private static MethodHandle isVirtualMethod() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null; // before Java 21
        }
    }

    private static boolean onVirtualThread() {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable e) {
            throw new IllegalStateException("Thread.isVirtual failed", e);
        }
    }

    /** Copies the type name, then {@code len} bytes of {@code payload} (a byte[] or a ByteBuffer) from {@code off}. */
    void put(byte[] type, Object payload, int off, int len) {
        memory.put(0, type);
        if (payload instanceof byte[] a) {
            memory.put(type.length, a, off, len);
        } else {
            memory.put(type.length, (ByteBuffer) payload, off, len);
        }
    }

    /** GetDirectBufferAddress, once per buffer. */
    private static native long nativeAddress(ByteBuffer memory);
}
