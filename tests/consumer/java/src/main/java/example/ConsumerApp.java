package example;

// Both wildcards, as a user may write them: java.io and java.lang also have
// a Reader, a Writer and a Record, so the binding's are imported by name
// (single-type imports shadow on-demand ones: bindings/java/README.md).
import io.libbinlog.*;
import io.libbinlog.Reader;
import io.libbinlog.Record;
import io.libbinlog.Writer;
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes three records, reads them back and checks them; prints the library's version. */
public final class ConsumerApp {
    public static void main(String[] args) throws IOException {
        Path dir = Files.createDirectories(Path.of(args[0]));
        Path path = Files.createTempFile(dir, "consumer", ".binlog");
        Files.delete(path);
        try (Writer w = Writer.openSegment(path, Options.builder().contentType("text/plain").build())) {
            for (int i = 0; i < 3; i++) {
                w.write("line", ("record " + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        int n = 0;
        try (Reader r = Reader.open(path)) {
            Record rec;
            while ((rec = r.next()) != null) {
                String text = new String(rec.payload(), StandardCharsets.UTF_8);
                if (rec.seq() != n || !rec.type().equals("line") || !text.equals("record " + n)) {
                    throw new IllegalStateException("record " + n + " read back as " + rec.seq() + " " + rec.type() + " " + text);
                }
                n++;
            }
        }
        if (n != 3) {
            throw new IllegalStateException("read " + n + " records back, wrote 3");
        }
        Files.delete(path);
        PrintStream out = System.out; // java.io, through the wildcard
        out.println("consumer ok: libbinlog " + Binlog.version());
    }
}
