package io.libbinlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;

/** Calls on a native handle under its owner's lock: what readers, writers, {@link Verify} and {@link Shipper} share. */
abstract class HandleCalls {
    static { // before any subclass's natives (a superclass is initialized first)
        Binlog.ensureLoaded();
    }

    /** A call on a live handle that may fail as the library does. */
    interface HandleFunction<T> {
        T apply(long handle) throws IOException;
    }

    /** A call on a live handle with no result ({@link #run}), or what a close does with the pointer it took. */
    interface HandleConsumer<E extends Exception> {
        void accept(long handle) throws E;
    }

    /**
     * The Cleaner's action: a copy of the handle and its free function, never the owner itself.
     * {@link #take()} hands the pointer out once, to close() or to the Cleaner.
     */
    static final class NativeHandle implements Runnable {
        private final AtomicLong ptr;
        private final LongConsumer free;

        NativeHandle(long ptr, LongConsumer free) {
            this.ptr = new AtomicLong(ptr);
            this.free = free;
        }

        long take() {
            return ptr.getAndSet(0);
        }

        @Override
        public void run() {
            long p = take();
            if (p != 0) {
                free.accept(p);
            }
        }
    }

    private final NativeHandle owner;
    private final Cleaner.Cleanable cleanable;
    /** What the handle is ("reader", ...) and of what (a path), for messages. */
    private final String kind;
    final String description;
    /** The native handle, or 0 once closed; guarded by {@link #callLock()}. */
    long handle;
    /** Set when a close begins ({@link #beginClose}: a reader's calls that wait give up then). */
    volatile boolean closing;

    /** Registers {@code free} of {@code handle} with the Cleaner; on a failure here the handle is freed. */
    HandleCalls(long handle, LongConsumer free, String kind, String description) {
        this.handle = handle;
        this.kind = kind;
        this.description = description;
        owner = new NativeHandle(handle, free);
        try {
            cleanable = Binlog.CLEANER.register(this, owner);
        } catch (RuntimeException | Error e) {
            owner.run();
            throw e;
        }
    }

    /** The lock of every call, but a writer's (it has a read-write lock of its own). */
    final ReentrantLock lock = new ReentrantLock();

    /** The lock a call holds (close takes it, or a stronger one, to wait for calls in progress). */
    Lock callLock() {
        return lock;
    }

    /** Takes the lock and returns the live handle; throws CLOSED (lock released) once closed. */
    long enter() throws BinlogClosedException {
        callLock().lock();
        if (handle == 0 || closing) {
            callLock().unlock();
            throw closed();
        }
        return handle;
    }

    void exit() {
        callLock().unlock();
    }

    BinlogClosedException closed() {
        return new BinlogClosedException(kind + " is closed: " + description);
    }

    /** Runs {@code c} on the live handle, holding the lock. */
    final <T> T call(HandleFunction<T> c) throws IOException {
        long h = enter();
        try {
            return c.apply(h);
        } finally {
            exit();
            Reference.reachabilityFence(this);
        }
    }

    final void run(HandleConsumer<IOException> c) throws IOException {
        call(h -> {
            c.accept(h);
            return null;
        });
    }

    /** True once {@code close()} began. */
    public boolean isClosed() {
        return closing;
    }

    /** Marks a close begun (calls that wait give up) and returns the lock it takes to wait for a call in progress. */
    Lock beginClose() {
        closing = true;
        return lock;
    }

    /**
     * Closes once: {@link #beginClose}, then forgets the handle and calls {@code r} with the pointer taken from the
     * Cleaner's action ({@code take}: {@code r} frees it), else with 0 (the action frees it). A later close does
     * nothing.
     */
    final <E extends Exception> void closeOnce(boolean take, HandleConsumer<E> r) throws E {
        Lock l = beginClose();
        l.lock();
        try {
            if (handle == 0) {
                return;
            }
            handle = 0;
            closing = true;
            long p = take ? owner.take() : 0;
            cleanable.clean(); // deregisters; frees the pointer unless taken above
            r.accept(p);
        } finally {
            l.unlock();
            Reference.reachabilityFence(this);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "{" + description + (closing ? ", closed" : "") + "}";
    }

    /** {@code c}'s result, an IOException it throws wrapped in UncheckedIOException (for iterators). */
    static <T> T unchecked(Callable<T> c) {
        try {
            return c.call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e); // none: the calls given throw IOException at most
        }
    }

    /**
     * The items there are now: {@code hasNext()} asks {@code ahead} to read the next one and keep it back in the
     * owner (so none is lost when a loop stops early; the next read returns it first), {@code next()} returns it
     * through {@code next}. A read that fails throws {@link UncheckedIOException} wrapping the IOException.
     */
    static <T> Iterator<T> iterator(Callable<Boolean> ahead, Callable<T> next) {
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                return unchecked(ahead);
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("none for now");
                }
                return unchecked(next);
            }
        };
    }

    /** One row of a native {long[] nums, byte[][] paths[, byte[][] logs]} answer: numbers from v[at], strings. */
    interface Row<T> {
        T of(long[] v, int at, byte[] path, byte[] log);
    }

    /** The rows of {@code got} (binlog_jni.c's nums_and_paths), {@code width} numbers each. */
    static <T> List<T> rows(Object[] got, int width, Row<T> row) {
        long[] v = (long[]) got[0];
        byte[][] paths = (byte[][]) got[1];
        byte[][] logs = (byte[][]) got[2];
        List<T> list = new ArrayList<>(paths.length);
        for (int i = 0; i < paths.length; i++) {
            list.add(row.of(v, i * width, paths[i], logs != null ? logs[i] : null));
        }
        return list;
    }

    /**
     * The gaps or damaged regions a reader met, {@link Gap#NUMS} or {@link Damage#NUMS} numbers each; {@code merged}
     * says the handle is a merged reader's (the C call differs).
     */
    final <T> List<T> problems(boolean merged, boolean damages, Row<T> row) throws IOException {
        Object[] got = call(h -> nativeProblems(h, merged, damages));
        return rows(got, damages ? Damage.NUMS : Gap.NUMS, row);
    }

    /** {long[] nums, byte[][] paths[, byte[][] logs]}: a (merged) reader's gaps or damaged regions (binlog_jni.c). */
    private static native Object[] nativeProblems(long h, boolean merged, boolean damages) throws IOException;

    /** BinlogReader's and BinlogMergedReader's typeSchema; {@code handle} checks the handle before the call. */
    final Optional<TypeSchema> typeSchema(String type, boolean merged, HandleFunction<Long> handle) throws IOException {
        byte[] name = Strings.utf8(type, "type");
        byte[][] b = call(h -> nativeTypeSchema(handle.apply(h), merged, name));
        return Optional.ofNullable(b).map(s -> new TypeSchema(utf8(s[0]), utf8(s[1]), utf8(s[2]), utf8(s[3]), s[4]));
    }

    /** {type, encoding, schema encoding, schema name, schema}, or null when there is none (binlog_jni.c). */
    private static native byte[][] nativeTypeSchema(long h, boolean merged, byte[] type) throws IOException;

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** Longest single native wait, so close() and interrupts are seen promptly. */
    static final long SLICE_MS = 50;

    /**
     * Calls {@code attempt} (one native wait of at most the slice given; null when nothing came) in slices of at
     * most {@link #SLICE_MS} until it returns non-null, the timeout passes (null) or the thread is interrupted
     * (null, status kept). Each slice enters and exits the handle, so that close never waits long for a call.
     */
    final <T> T waitSliced(long timeoutMs, LongFunction<HandleFunction<T>> attempt) throws IOException {
        if (timeoutMs < 0) {
            throw new IllegalArgumentException("negative timeout " + timeoutMs);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.min(timeoutMs, Long.MAX_VALUE / 2_000_000));
        while (true) {
            long remaining = Math.max(0, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime() + 999_999));
            long slice = Math.min(remaining, SLICE_MS);
            T got = call(attempt.apply(slice));
            if (got != null || slice >= remaining || Thread.currentThread().isInterrupted()) {
                return got;
            }
        }
    }
}
