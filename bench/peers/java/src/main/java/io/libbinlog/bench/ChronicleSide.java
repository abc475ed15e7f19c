package io.libbinlog.bench;

import java.nio.file.Path;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.BytesStore;
import net.openhft.chronicle.queue.ChronicleQueue;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.wire.DocumentContext;

/** Chronicle Queue's side: one document per record, read back with a tailer. */
final class ChronicleSide {
    private ChronicleSide() {}

    private static ChronicleQueue open(Path dir) {
        return ChronicleQueue.singleBuilder(dir.toFile()).build();
    }

    private static void writeAll(ChronicleQueue q, byte[] payload, int n) {
        BytesStore<?, ?> store = BytesStore.wrap(payload);
        try (ExcerptAppender a = q.createAppender()) {
            for (int i = 0; i < n; i++) {
                a.writeBytes(store);
            }
        }
    }

    /** One writeBytes per record, then close. */
    static double appendOne(Path dir, byte[] payload, int n) {
        long start = Pairs.start();
        try (ChronicleQueue q = open(dir)) {
            writeAll(q, payload, n);
        }
        return Pairs.timed(start);
    }

    /** Writes n records (not timed), then times opening and reading them all. */
    static double readAll(Path dir, byte[] payload, int n) {
        try (ChronicleQueue q = open(dir)) {
            writeAll(q, payload, n);
        }
        long start = Pairs.start();
        long count = 0, bytes = 0;
        try (ChronicleQueue q = open(dir); ExcerptTailer t = q.createTailer()) {
            while (true) {
                try (DocumentContext dc = t.readingDocument()) {
                    if (!dc.isPresent()) {
                        break;
                    }
                    Bytes<?> b = dc.wire().bytes();
                    bytes += b.readRemaining();
                    count++;
                }
            }
        }
        double secs = Pairs.timed(start);
        if (count != n || bytes != (long) n * payload.length) {
            throw new IllegalStateException("Chronicle Queue read " + count + " of " + n + " records");
        }
        return secs;
    }
}
