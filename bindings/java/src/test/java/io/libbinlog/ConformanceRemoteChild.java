package io.libbinlog;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The child JVM of {@code ConformanceRemoteTest}: the tiered reader takes the bucket's endpoint and
 * credentials from the process environment, which a JVM cannot change for itself, so the test starts this
 * with them set (TestSupport.runWithS3Env). Arguments: DIR REMOTE MODE, repeated, each a shipped case of
 * log {@code conformance} to read with {@link BinlogReader#openLogTiered}, skipping damage for MODE {@code
 * remote-salvage}. Prints, for each, its columns records, end, damages and gaps as expected-remote.tsv
 * writes them (tests/conformance/README.md), tab-separated, on one line.
 */
public final class ConformanceRemoteChild {
    private static final Pattern URL = Pattern.compile("(s3://[^:]*): offset ");

    private ConformanceRemoteChild() {}

    /** error:NAME@OFFSET:OBJECT, OBJECT the one the message names before ": offset". */
    private static String remoteError(BinlogException e) {
        Matcher m = URL.matcher(e.nativeMessage());
        return ConformanceTest.error(e) + ":" + (m.find() ? ConformanceTest.baseName(m.group(1)) : "?");
    }

    /** REASON:OBJECT:FROM-TO, ? for a number not known. */
    private static String gap(Gap g) {
        String from = g.fromSeq().isPresent() ? Long.toString(g.fromSeq().getAsLong()) : "?";
        String to = g.toSeq().isPresent() ? Long.toString(g.toSeq().getAsLong()) : "?";
        return ConformanceTest.reason(g) + ":" + ConformanceTest.baseName(g.path()) + ":" + from + "-" + to;
    }

    /** The columns records, end, damages and gaps of the tiered read of one shipped case. */
    static List<String> read(Path dir, String remote, boolean salvage) throws IOException {
        try (BinlogReader r = BinlogReader.openLogTiered(dir, "conformance", remote)) {
            r.skipDamaged(salvage);
            List<String> cols = new ArrayList<>(ConformanceTest.readToEnd(r, ConformanceRemoteChild::remoteError, null));
            cols.add(ConformanceTest.joinOrDash(r.gaps().stream().map(ConformanceRemoteChild::gap)));
            return cols;
        }
    }

    public static void main(String[] args) throws IOException {
        for (int i = 0; i + 2 < args.length; i += 3) {
            List<String> cols = read(Path.of(args[i]), args[i + 1], args[i + 2].equals("remote-salvage"));
            System.out.println(String.join("\t", cols));
        }
    }
}
