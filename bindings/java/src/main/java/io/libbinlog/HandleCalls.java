package io.libbinlog;

import java.io.IOException;
import java.lang.ref.Reference;

/** Calls on a native handle under its owner's lock: what {@link BinlogReader} and {@link BinlogWriter} share. */
abstract class HandleCalls {
    /** A call on a live handle that may fail as the library does. */
    interface HandleFunction<T> {
        T apply(long handle) throws IOException;
    }

    /** A call on a live handle, with no result, that may fail as the library does. */
    interface HandleConsumer {
        void accept(long handle) throws IOException;
    }

    /** Takes the lock and returns the live handle; throws CLOSED (lock released) once closed. */
    abstract long enter() throws BinlogClosedException;

    /** Releases the lock {@link #enter} took. */
    abstract void exit();

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

    final void run(HandleConsumer c) throws IOException {
        call(h -> {
            c.accept(h);
            return null;
        });
    }
}
