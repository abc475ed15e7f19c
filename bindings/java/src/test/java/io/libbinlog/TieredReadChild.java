package io.libbinlog;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The child JVM of {@code TieredReaderTest}: the tiered reader takes the bucket's endpoint and
 * credentials from the process environment, which a JVM cannot change for itself, so the test starts
 * this with them set. Arguments: DIR NAME REMOTE. Prints each record's payload (UTF-8) on a line
 * "record SEQ PAYLOAD", then "gaps N" and a line "gap REASON PATH FROM TO" for each; on a failure, "error
 * CODE MESSAGE".
 */
public final class TieredReadChild {
    private TieredReadChild() {}

    public static void main(String[] args) throws IOException {
        try (BinlogReader r = BinlogReader.openLogTiered(Path.of(args[0]), args[1], args[2])) {
            for (BinlogRecord rec = r.next(); rec != null; rec = r.next()) {
                System.out.println("record " + rec.seq() + " " + new String(rec.payload(), StandardCharsets.UTF_8));
            }
            System.out.println("gaps " + r.gapCount());
            for (Gap g : r.gaps()) {
                System.out.println("gap " + g.reason() + " " + g.path() + " " + g.fromSeq().getAsLong() + " "
                        + g.toSeq().getAsLong());
            }
        } catch (BinlogException e) {
            System.out.println("error " + e.code() + " " + e.getMessage());
        }
    }
}
