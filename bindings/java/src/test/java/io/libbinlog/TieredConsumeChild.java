package io.libbinlog;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The child JVM of {@code ConsumerTest}'s tiered test (the bucket's credentials come from the process
 * environment, which a JVM cannot set for itself). Arguments: DIR LOG NAME REMOTE N. Reads up to N records
 * as consumer NAME of LOG (with the bucket), printing "record SEQ" for each, commits, and prints "gaps N".
 */
public final class TieredConsumeChild {
    private TieredConsumeChild() {}

    public static void main(String[] args) throws IOException {
        int n = Integer.parseInt(args[4]);
        try (BinlogConsumer c = BinlogConsumer.openTiered(Path.of(args[0]), args[1], args[2], args[3],
                BinlogConsumer.Start.FIRST)) {
            for (BinlogRecord rec = n > 0 ? c.next() : null; rec != null; rec = --n > 0 ? c.next() : null) {
                System.out.println("record " + rec.seq());
            }
            c.commit();
            System.out.println("gaps " + c.reader().gapCount());
        } catch (BinlogException e) {
            System.out.println("error " + e.code() + " " + e.getMessage());
        }
    }
}
