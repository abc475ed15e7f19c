package io.libbinlog;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Whether bytes are UTF-8 as Rust's {@code str::from_utf8} defines it (no
 * overlong forms, no surrogates, nothing above U+10FFFF): what the library's
 * reader requires of type names and metadata (docs/FORMAT.md section 1).
 */
final class Utf8Check {
    private Utf8Check() {}

    static boolean valid(ByteBuffer buf, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (buf.get(off + i) < 0) {
                return strictDecodes(buf.slice(off, len));
            }
        }
        return true;
    }

    private static boolean strictDecodes(ByteBuffer bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes);
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }
}
