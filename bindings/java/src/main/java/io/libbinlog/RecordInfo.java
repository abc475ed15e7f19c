package io.libbinlog;

import java.util.Map;

/**
 * What {@link BinlogReader#nextInto} returns: a record's fields except the payload,
 * which went into the caller's buffer, or did not fit (see {@link #copied()}).
 *
 * @param seq the sequence number
 * @param timestampNs nanoseconds since the Unix epoch
 * @param type the type, or null when the payload was not copied
 * @param metadata metadata, or an empty map when the payload was not copied
 * @param offset file offset of the record in its segment
 * @param payloadLength payload length in bytes (also when it did not fit)
 * @param copied true when the payload was copied into the buffer (whose position moved past it); false
 *     when the buffer had too little room: nothing was copied and the reader keeps the record, so the next
 *     read call returns it again; retry with at least {@link #payloadLength()} bytes remaining
 */
public record RecordInfo(long seq, long timestampNs, String type, Map<String, String> metadata, long offset,
        int payloadLength, boolean copied) {}
