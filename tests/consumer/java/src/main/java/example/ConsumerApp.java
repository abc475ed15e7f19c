package example;

// Both wildcards, as a user may write them: the binding's class names
// (BinlogReader, BinlogWriter, BinlogRecord) clash with none of java.io's or
// java.lang's, so on-demand imports of both packages compile.
import io.libbinlog.*;
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
        try (BinlogWriter w = BinlogWriter.openSegment(path, Options.builder().contentType("text/plain").build())) {
            for (int i = 0; i < 3; i++) {
                w.write("line", ("record " + i).getBytes(StandardCharsets.UTF_8));
            }
        }
        int n = 0;
        try (BinlogReader r = BinlogReader.open(path)) {
            BinlogRecord rec;
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
