package io.libbinlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A libbinlog call failed: a checked {@link IOException} carrying the numeric {@code binlog_result} ({@link
 * #rawCode()}), its constant ({@link #code()}), the library's message ({@link #nativeMessage()}) and, where the library
 * names them, the file ({@link #path()}), the byte offset ({@link #offset()}) and the operating system's error number
 * ({@link #osCode()}), all read in C right after the failing call on the same thread.
 *
 * <p>Kinds a caller may handle apart have their own subclasses: {@link BinlogCorruptException} (damaged or cut-short
 * data), {@link BinlogLockedException} (another writer holds the file) and {@link BinlogClosedException} (the object
 * was closed). A file the operating system does not find, or refuses, or that is in the way, is not a {@code
 * BinlogException} but the {@link java.nio.file.FileSystemException} that {@code java.nio.file} throws for it, naming
 * the file ({@link java.nio.file.NoSuchFileException}, {@link java.nio.file.AccessDeniedException}, {@link
 * java.nio.file.FileAlreadyExistsException}: {@link #of}).
 */
public class BinlogException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int rawCode;
    private final transient ErrorCode code;
    private final String nativeMessage;
    private final String path;
    private final long offset;
    private final int osCode;

    public BinlogException(ErrorCode code, String message) {
        this(code.value(), message, null, -1, 0);
    }

    BinlogException(int rawCode, String nativeMessage, String path, long offset, int osCode) {
        super(ErrorCode.of(rawCode) + " (" + rawCode + ")"
                + (nativeMessage == null || nativeMessage.isEmpty() ? "" : ": " + nativeMessage));
        this.rawCode = rawCode;
        this.code = ErrorCode.of(rawCode);
        this.nativeMessage = nativeMessage == null ? "" : nativeMessage;
        this.path = path;
        this.offset = offset;
        this.osCode = osCode;
    }

    /**
     * The exception for a failed call, called from C: {@code message} and {@code path} are the UTF-8 bytes of {@code
     * binlog_last_error()} and {@code binlog_last_error_path()} (null: none; a file name in the file-name charset),
     * {@code offset} is {@code binlog_last_error_offset()} or -1, {@code osCode} is {@code binlog_last_error_os_code()}
     * (0: none). The OS's errors about a local file (not an {@code s3://} object) are the {@code java.nio.file}
     * exceptions for it; ALREADY_EXISTS, a local file in the way, is found by the library itself, with no os code.
     */
    static IOException of(int rawCode, byte[] message, byte[] path, long offset, int osCode) {
        String msg = message == null ? "" : new String(message, StandardCharsets.UTF_8);
        String file = path == null ? null : new String(path, Strings.FILE_NAMES);
        ErrorCode code = ErrorCode.of(rawCode);
        boolean localFile = file != null && !file.startsWith("s3://");
        // A FileSystemException's message is "FILE: REASON": its reason is the library's message without the
        // file it starts with, which would be named twice.
        String reason = localFile && msg.startsWith(file + ": ") ? msg.substring(file.length() + 2) : msg;
        if (localFile && osCode != 0 && code == ErrorCode.NOT_FOUND) {
            return new NoSuchFileException(file, null, reason);
        }
        if (localFile && osCode != 0 && code == ErrorCode.PERMISSION_DENIED) {
            return new AccessDeniedException(file, null, reason);
        }
        if (localFile && code == ErrorCode.ALREADY_EXISTS) {
            return new FileAlreadyExistsException(file, null, reason);
        }
        return switch (code) {
            case LOCKED -> new BinlogLockedException(rawCode, msg, file, offset, osCode);
            case CLOSED -> new BinlogClosedException(msg);
            case CORRUPT_HEADER, CORRUPT, TRUNCATED, CORRUPT_SEAL, COMPRESSED_TRUNCATED, CORRUPT_FRAME,
                    CORRUPT_SEEK_TABLE, FRAME_SIZE_MISMATCH ->
                    new BinlogCorruptException(rawCode, msg, file, offset, osCode);
            default -> new BinlogException(rawCode, msg, file, offset, osCode);
        };
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

    /** The file or {@code s3://} object the error is about, if the library named one. */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }

    /** The byte offset in {@link #path()} the error is at, if the library gave one. */
    public OptionalLong offset() {
        return offset < 0 ? OptionalLong.empty() : OptionalLong.of(offset);
    }

    /** The operating system's error number ({@code errno}) behind the error; 0 if none. */
    public int osCode() {
        return osCode;
    }
}
