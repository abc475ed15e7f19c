package io.libbinlog;

import java.nio.charset.StandardCharsets;

/**
 * A libbinlog call failed. Carries the numeric {@code binlog_result}
 * ({@link #rawCode()}), its constant ({@link #code()}) and the message of
 * {@code binlog_last_error()}, read in C right after the failing call on the
 * same thread (it names the file and byte offset where there is one).
 *
 * <p>Unchecked on purpose: most codes report misuse or state
 * ({@code INVALID_ARGUMENT}, {@code CLOSED}, {@code RECORD_TOO_LARGE},
 * {@code LOCKED}, {@code INVALID_UTF8}) rather than recoverable I/O, writes
 * are commonly issued from lambdas and executor tasks where checked
 * exceptions only get wrapped, and zstd-jni's {@code ZstdException} does the
 * same. Callers that want to treat storage failures specially catch this
 * type and switch on {@link #code()} ({@code IO}, {@code DISK_FULL},
 * {@code POISONED}, ...).
 */
public class BinlogException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int rawCode;
    private final transient ErrorCode code;
    private final String nativeMessage;

    /** Called from C with the result code and the UTF-8 bytes of binlog_last_error(). */
    BinlogException(int rawCode, byte[] utf8Message) {
        this(rawCode, utf8Message == null ? "" : new String(utf8Message, StandardCharsets.UTF_8));
    }

    BinlogException(int rawCode, String nativeMessage) {
        super(ErrorCode.of(rawCode) + " (" + rawCode + ")"
                + (nativeMessage == null || nativeMessage.isEmpty() ? "" : ": " + nativeMessage));
        this.rawCode = rawCode;
        this.code = ErrorCode.of(rawCode);
        this.nativeMessage = nativeMessage == null ? "" : nativeMessage;
    }

    public BinlogException(ErrorCode code, String message) {
        this(code.value(), message);
    }

    /** The error as an enum constant ({@link ErrorCode#UNKNOWN} for a code newer than this binding). */
    public ErrorCode code() {
        return code;
    }

    /** The numeric {@code binlog_result}. */
    public int rawCode() {
        return rawCode;
    }

    /** The library's own message, without the code prefix. */
    public String nativeMessage() {
        return nativeMessage;
    }
}
