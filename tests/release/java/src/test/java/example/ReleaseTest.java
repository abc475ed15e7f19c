package example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.libbinlog.Binlog;
import io.libbinlog.BinlogReader;
import io.libbinlog.BinlogRecord;
import io.libbinlog.BinlogWriter;
import io.libbinlog.Options;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The released jar, as a user's build gets it: its native library loads, a log is written and read back. */
class ReleaseTest {
    @Test
    void writesAndReadsALog(@TempDir Path dir) throws Exception {
        Path path = dir.resolve("release.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(path, Options.builder().build())) {
            for (int i = 0; i < 3; i++) {
                w.write("line", ("record " + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        int n = 0;
        try (BinlogReader r = BinlogReader.open(path)) {
            for (BinlogRecord rec; (rec = r.next()) != null; n++) {
                assertEquals(n, rec.seq());
                assertEquals("record " + n, new String(rec.payload(), StandardCharsets.UTF_8));
            }
        }
        assertEquals(3, n);
        assertEquals(System.getProperty("libbinlog.version"), Binlog.version());
    }
}
