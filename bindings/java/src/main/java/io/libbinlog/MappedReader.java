package io.libbinlog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A reader of one segment file that decodes its frames in Java, over a
 * read-only mapping of a sealed segment (or a pread copy of an unsealed
 * one), checking every record's CRC-32 — no JNI crossing per record.
 *
 * <p>It returns exactly the records, in the order and with the errors, that
 * {@link Reader#open} would: it opens a native {@link Reader} on the same
 * file (which checks the header, so a file the native reader refuses is
 * refused alike) and hands every frame it does not accept as an intact next
 * record (docs/FORMAT.md section 10.1 item 2) to that reader, positioned at
 * the same sequence number: damage, a torn or growing tail, the seal, a
 * compressed ({@code .binlog.zst}) segment. The native reader then returns
 * the record, {@code null}, or throws its exception ({@code CORRUPT} naming
 * the file and offset); after a record it returns, the Java decoding takes
 * over again. Damage is never skipped (there is no {@code skipDamaged}).
 *
 * <p>{@link #next()} returns the same {@link MappedRecord} each time, refilled.
 *
 * <p>Not thread-safe: use a reader from one thread at a time.
 * {@link #close()} is idempotent and may be called from any thread; later
 * calls throw {@code CLOSED}. An unreachable, unclosed reader's file and
 * native reader are released by a {@link Cleaner}. A mapping is released by
 * the garbage collector once no buffer of it is reachable, so payload
 * buffers stay safe to read after close.
 */
public final class MappedReader implements AutoCloseable {
    private static final byte[] MAGIC = {(byte) 0x89, 'B', 'L', 'G', '\r', '\n', 0x1a, '\n'};
    private static final int HEADER_FIXED = 44;
    private static final int MAJOR = 1;

    private final Reader fallback;
    private final SegmentHeader header;
    private final String description;
    /** Null when the native reader reads every record (a file the Java decoding does not take). */
    private final SegmentWindow window;
    private final FrameParser parser;
    private final FrameRunCheck runs = new FrameRunCheck();
    private final Cleaner.Cleanable cleanable;
    private final MappedRecord record = new MappedRecord();
    private long pos;
    private long nextSeq;
    /** Whether the native reader holds the position (the Java decoding handed it a frame). */
    private boolean delegated;
    /** The position whose pread copy was dropped and read again after a frame failed in it, or -1. */
    private long recopiedAt = -1;
    /**
     * The run of frames {@link FrameRunCheck} checked last: it lies in
     * {@code runIn} (a window's buffer; null: none) up to index
     * {@code runEnd}, and {@code runIntact} says whether its CRCs all matched.
     * It is used only while the decoding walks its frames in order from its
     * start, and is forgotten when the native reader takes over.
     */
    private ByteBuffer runIn;
    private int runEnd;
    private boolean runIntact;
    private volatile boolean closed;

    private MappedReader(Reader fallback, FileChannel ch, String description) throws IOException {
        this.fallback = fallback;
        this.description = description;
        this.header = fallback.header();
        this.cleanable = Binlog.CLEANER.register(this, new ChannelCloser(ch));
        long headerLen = headerLen(ch, header);
        SealBounds seal = headerLen < 0 ? null : SealBounds.read(ch, headerLen);
        this.window = seal == null ? null : new SegmentWindow(ch, description, seal.recordsEnd);
        this.parser = seal == null ? null : new FrameParser(seal.typeNames);
        this.pos = headerLen;
        this.nextSeq = header.firstSeq();
        this.delegated = window == null;
    }

    /** Opens a segment file (read permission suffices; no lock is taken). */
    public static MappedReader open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            // The native open names the error as Reader.open does (NOT_FOUND, ...).
            Reader.open(path).close();
            throw new UncheckedIOException(path + ": open", e);
        }
        Reader r = null;
        try {
            r = Reader.open(path);
            return new MappedReader(r, ch, path.toString());
        } catch (IOException e) {
            release(ch, r);
            throw new UncheckedIOException(path + ": open", e);
        } catch (RuntimeException | Error e) {
            release(ch, r);
            throw e;
        }
    }

    private static void release(FileChannel ch, Reader r) {
        closeQuietly(ch);
        if (r != null) {
            r.close();
        }
    }

    /**
     * The header length of the file the channel reads if its header is a
     * version-1 header naming the native reader's first sequence number and
     * segment number (so both read the same file); else -1.
     */
    private static long headerLen(FileChannel ch, SegmentHeader h) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(HEADER_FIXED).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, b.position()) <= 0) {
                return -1;
            }
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b.get(i) != MAGIC[i]) {
                return -1;
            }
        }
        boolean same = b.getShort(8) == MAJOR && b.getLong(16) == h.createdNs() && b.getLong(24) == h.segmentNo()
                && b.getLong(32) == h.firstSeq();
        return same ? Integer.toUnsignedLong(b.getInt(12)) : -1;
    }

    /** The segment's header (read once at open). */
    public SegmentHeader header() {
        return header;
    }

    /**
     * The next record, or null when there is none for now (the end of a
     * sealed segment; an unsealed one may grow, so call again later). The
     * returned object is this reader's one {@link MappedRecord}, refilled by
     * each call.
     *
     * @throws BinlogException what {@link Reader#next()} would throw here
     *         ({@code CORRUPT} naming the file and offset, ...); {@code CLOSED}
     *         once closed
     */
    public MappedRecord next() {
        if (closed) {
            throw new BinlogException(ErrorCode.CLOSED, "reader is closed: " + description);
        }
        if (!delegated) {
            ByteBuffer buf = window.buffer();
            int p = (int) (pos - window.base());
            int n = parser.parse(buf, window.view(), window.base(), p, buf.limit(), nextSeq, crcChecked(buf, p), record);
            if (n > 0) {
                pos += n;
                nextSeq++;
                return record;
            }
            if (n == FrameParser.INCOMPLETE && moveWindow()) {
                return next();
            }
            if (n == FrameParser.INCOMPLETE && atCleanEnd()) {
                return null;
            }
            if (n == FrameParser.OTHER && recopy()) {
                return next();
            }
            delegate();
        }
        return nextNative();
    }

    /**
     * Whether the CRC of the frame at index p of buf is known to match: it
     * lies in an intact run. Past the last run, checks the run starting at p.
     */
    private boolean crcChecked(ByteBuffer buf, int p) {
        if (runIn != buf || p >= runEnd) {
            runEnd = runs.check(buf, p, buf.limit());
            runIntact = runs.intact();
            runIn = buf;
        }
        return runIntact && p < runEnd;
    }

    /** Moves the window to hold the frame at pos whole; false if the data does not hold it. */
    private boolean moveWindow() {
        return window.available(pos) < parser.needed && window.cover(pos, parser.needed);
    }

    /** Whether an unsealed segment ends exactly at pos (after a whole record): no record for now. */
    private boolean atCleanEnd() {
        return !window.mapped() && window.size() == pos;
    }

    /**
     * Drops a pread copy that a frame at pos failed in, once per position: it
     * may have caught a write in progress. False for a mapping, or if the
     * copy was made for this position already.
     */
    private boolean recopy() {
        if (window.mapped() || recopiedAt == pos) {
            return false;
        }
        recopiedAt = pos;
        window.drop();
        return true;
    }

    /** Hands the position to the native reader (forward from where it is; at most the whole file once). */
    private void delegate() {
        delegated = true;
        runIn = null;
        fallback.seekSeq(nextSeq);
    }

    /** The native reader's next record; after one, the Java decoding takes over again if it accepts that frame. */
    private MappedRecord nextNative() {
        Record r = fallback.next();
        if (r == null) {
            return null;
        }
        record.setNative(r);
        if (window != null && r.seq() == nextSeq) {
            resume(r);
        }
        return record;
    }

    /** Resumes Java decoding after r, if it accepts r's frame (learning a type it defines); else stays native. */
    private void resume(Record r) {
        MappedRecord scratch = new MappedRecord();
        if (!window.mapped()) {
            window.drop(); // the copy may predate the bytes the native reader just read
        }
        if (!window.cover(r.offset(), FrameParser.FRAME_HEAD)) {
            return;
        }
        int p = (int) (r.offset() - window.base());
        long len = FrameParser.FRAME_HEAD + Integer.toUnsignedLong(window.buffer().getInt(p));
        if (!window.cover(r.offset(), len)) {
            return;
        }
        p = (int) (r.offset() - window.base());
        ByteBuffer buf = window.buffer();
        if (parser.parse(buf, window.view(), window.base(), p, buf.limit(), r.seq(), false, scratch) == len) {
            pos = r.offset() + len;
            nextSeq = r.seq() + 1;
            delegated = false;
        }
    }

    /** Whether the Java decoding reads a mapping (a sealed segment) rather than pread copies (for tests). */
    boolean mapsFile() {
        return window != null && window.mapped();
    }

    /** Whether the last record came from the Java decoding (for tests). */
    boolean decodingInJava() {
        return !delegated;
    }

    public boolean isClosed() {
        return closed;
    }

    /** Closes the file and frees the native reader. Idempotent. */
    @Override
    public void close() {
        closed = true;
        fallback.close();
        cleanable.clean();
    }

    @Override
    public String toString() {
        return "MappedReader{" + description + (closed ? ", closed" : "") + "}";
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // nothing was read
        }
    }

    /** Closes the file; holds no reference to the reader. */
    private static final class ChannelCloser implements Runnable {
        private final FileChannel ch;

        ChannelCloser(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public void run() {
            closeQuietly(ch);
        }
    }
}
