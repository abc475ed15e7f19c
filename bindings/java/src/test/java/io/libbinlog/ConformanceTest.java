package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The conformance corpus (tests/conformance/, README.md there) read through the Java binding: every
 * line of expected.tsv it can read (a plain open or a log; it has no salvaging open) must give the
 * records and the end it states, as the Rust readers, the CLI, C, Go and Python do. A log's gaps
 * are told by their number only ({@link Reader#gapCount}).
 */
class ConformanceTest {
    private static final Path CORPUS = Paths.get("../../tests/conformance");
    private static final Pattern OFFSET = Pattern.compile(": offset (\\d+)");

    private static String error(BinlogException e) {
        String name = e.code() == null ? "result " + e.rawCode() : e.code().name();
        Matcher m = OFFSET.matcher(e.nativeMessage());
        return m.find() ? "error:" + name + "@" + m.group(1) : "error:" + name;
    }

    private static String runs(List<Long> seqs) {
        List<String> runs = new ArrayList<>();
        for (int i = 0; i < seqs.size(); ) {
            int j = i;
            while (j + 1 < seqs.size() && seqs.get(j + 1) == seqs.get(j) + 1) {
                j++;
            }
            runs.add(seqs.get(i) + "-" + seqs.get(j));
            i = j + 1;
        }
        return runs.isEmpty() ? "-" : String.join(",", runs);
    }

    private static String tail(Tail t) {
        switch (t.kind()) {
            case SEALED:
                return "sealed";
            case UNSEALED:
                return "unsealed";
            case SEAL_DAMAGED:
                return "seal-damaged@" + t.offset();
            case TORN:
                return "torn@" + t.offset() + "+" + t.len();
            default:
                return "reading";
        }
    }

    /** The columns records, end and gaps of one read. */
    private static List<String> read(String path, String mode, String filter) {
        Reader r;
        try {
            r = mode.equals("log") ? Reader.openLog(CORPUS.resolve(path), "conformance") : Reader.open(CORPUS.resolve(path));
        } catch (BinlogException e) {
            return List.of("-", error(e), "-");
        }
        try (r) {
            if (!filter.equals("-")) {
                r.filterTypes(filter);
            }
            List<Long> seqs = new ArrayList<>();
            String end;
            try {
                for (Record rec = r.next(); rec != null; rec = r.next()) {
                    seqs.add(rec.seq());
                }
                end = tail(r.tail());
            } catch (BinlogException e) {
                end = error(e);
            }
            long gaps = mode.equals("log") ? r.gapCount() : 0;
            return List.of(runs(seqs), end, gaps > 0 ? gaps + " gaps" : "-");
        }
    }

    @Test
    void theReaderClassifiesTheConformanceCorpusAsExpected() throws IOException {
        int checked = 0;
        for (String line : Files.readAllLines(CORPUS.resolve("expected.tsv"))) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] c = line.split("\t");
            assertEquals(8, c.length, line);
            if (c[2].equals("salvage")) {
                continue; // no salvaging open in this binding
            }
            String gaps = c[7].equals("-") ? "-" : c[7].split(",").length + " gaps";
            assertEquals(List.of(c[4], c[5], gaps), read(c[1], c[2], c[3]), "case " + c[0] + " (" + c[2] + " " + c[1] + ")");
            checked++;
        }
        assertTrue(checked > 10, "only " + checked + " cases checked");
    }
}
