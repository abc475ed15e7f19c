package io.libbinlog;

import java.nio.ByteBuffer;
import java.util.zip.CRC32;

/**
 * The CRC-32 (IEEE, docs/FORMAT.md section 1) of a range of a buffer, heap
 * or direct, copying nothing and leaving the buffer's position and limit as
 * they are (it reads through a duplicate, made once per buffer).
 */
final class BufferCrc32 {
    private final CRC32 crc = new CRC32();
    private ByteBuffer of;
    private ByteBuffer view;

    /** The CRC-32 of buf[from, to). */
    int of(ByteBuffer buf, int from, int to) {
        if (of != buf) {
            of = buf;
            view = buf.duplicate();
        }
        view.limit(to).position(from);
        crc.reset();
        crc.update(view);
        return (int) crc.getValue();
    }
}
