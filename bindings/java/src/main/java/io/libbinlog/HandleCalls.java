package io.libbinlog;

import java.lang.ref.Reference;
import java.util.function.LongConsumer;
import java.util.function.LongFunction;

/** Calls on a native handle under its owner's lock: what {@link Reader} and {@link Writer} share. */
abstract class HandleCalls {
    /** Takes the lock and returns the live handle; throws CLOSED (lock released) once closed. */
    abstract long enter();

    /** Releases the lock {@link #enter} took. */
    abstract void exit();

    /** Runs {@code c} on the live handle, holding the lock. */
    final <T> T call(LongFunction<T> c) {
        long h = enter();
        try {
            return c.apply(h);
        } finally {
            exit();
            Reference.reachabilityFence(this);
        }
    }

    final void run(LongConsumer c) {
        call(h -> {
            c.accept(h);
            return null;
        });
    }
}
