package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The conformance corpus (tests/conformance/, README.md there) read through the Java binding: every
 * line of expected.tsv must give the records, the end, the damaged regions and the gaps it states, as
 * the Rust readers, the CLI, C, Go and Python do; and {@link Verify} on each file must say what
 * {@code binlog verify} says of it (cli/tests/it/conformance_verify.rs derives the same from expected.tsv).
 */
class ConformanceTest {
    static final Path CORPUS = Paths.get("../../tests/conformance");
    private static final Pattern OFFSET = Pattern.compile(": offset (\\d+)");

    static String error(BinlogException e) {
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

    static String joinOrDash(Stream<String> parts) {
        String s = parts.collect(Collectors.joining(","));
        return s.isEmpty() ? "-" : s;
    }

    private static BinlogReader open(String path, String mode) throws IOException {
        Path p = CORPUS.resolve(path);
        switch (mode) {
            case "log":
                return BinlogReader.openLog(p, "conformance");
            case "salvage":
                return BinlogReader.openSalvage(p);
            default:
                return BinlogReader.open(p);
        }
    }

    /** The columns records, end, damages and gaps of one read. */
    private static List<String> read(String path, String mode, String filter) throws IOException {
        BinlogReader r;
        try {
            r = open(path, mode);
        } catch (BinlogException e) {
            return List.of("-", error(e), "-", "-");
        }
        try (r) {
            if (!filter.equals("-")) {
                r.filterTypes(filter);
            }
            List<String> cols = new ArrayList<>(readToEnd(r, ConformanceTest::error, path));
            cols.add(joinOrDash(r.gaps().stream()
                    .map(g -> g.fromSeq().orElse(-1) + "-" + g.toSeq().orElse(-1) + ":" + reason(g))));
            return cols;
        }
    }

    /** A gap's reason as the corpus spells it: retention, missing, damage, seq-jump. */
    static String reason(Gap g) {
        return g.reason().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The last part of a path or URL. */
    static String baseName(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /**
     * OBJECT:OFFSET-RESUME:FROM-TO, OBJECT the name of the file or object the region is in, left out where it
     * is {@code file} (the one file a segment reader reads; null: always named).
     */
    private static String damage(Damage d, String file) {
        String region = d.offset() + "-" + d.resumeOffset() + ":" + d.fromSeq() + "-" + d.toSeq();
        String in = baseName(d.path());
        return file != null && in.equals(baseName(file)) ? region : in + ":" + region;
    }

    /**
     * The columns records, end and damages of {@code r} read to its end, an error's end named by {@code
     * errorName}; a damage named unless it is in {@code file}.
     */
    static List<String> readToEnd(BinlogReader r, Function<BinlogException, String> errorName, String file) throws IOException {
        List<Long> seqs = new ArrayList<>();
        String end;
        try {
            for (BinlogRecord rec = r.next(); rec != null; rec = r.next()) {
                seqs.add(rec.seq());
            }
            end = tail(r.tail());
        } catch (BinlogException e) {
            end = errorName.apply(e);
        }
        return List.of(runs(seqs), end, joinOrDash(r.damages().stream().map(d -> damage(d, file))));
    }

    /** Every line of the corpus's expectations file {@code name}, as its 8 columns. */
    static List<String[]> cases(String name) throws IOException {
        List<String[]> cases = new ArrayList<>();
        for (String line : Files.readAllLines(CORPUS.resolve(name))) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                String[] c = line.split("\t");
                assertEquals(8, c.length, line);
                cases.add(c);
            }
        }
        return cases;
    }

    @Test
    void theReaderClassifiesTheConformanceCorpusAsExpected() throws IOException {
        List<String[]> cases = cases("expected.tsv");
        for (String[] c : cases) {
            assertEquals(List.of(c[4], c[5], c[6], c[7]), read(c[1], c[2], c[3]), "case " + c[0] + " (" + c[2] + " " + c[1] + ")");
        }
        assertTrue(cases.size() > 20, "only " + cases.size() + " cases checked");
    }

    /**
     * What verify says of one file: status as {@code binlog verify}'s exit status (0 clean, 1 damaged, 2 not a
     * segment this library reads), the intact records, and the offset of the first damage (-1: none).
     */
    private record Verdict(int status, long records, long issue) {}

    /** How many sequence numbers runs "a-b,c-d" hold. */
    private static long count(String runs) {
        long n = 0;
        for (String run : runs.split(",")) {
            String[] ab = run.split("-");
            n += ab.length == 2 ? Long.parseLong(ab[1]) - Long.parseLong(ab[0]) + 1 : 0;
        }
        return n;
    }

    private static final Pattern LEADING = Pattern.compile("^(\\d+)");
    private static final Pattern AT = Pattern.compile("@(\\d+)");

    /** The first number {@code p} finds in s, or -1. */
    private static long number(Pattern p, String s) {
        Matcher m = p.matcher(s);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * What verify must say of a file, from its open line and its salvage line if any (whose records are the
     * intact ones), as cli/tests/it/conformance_verify.rs derives it: the first issue is where the first damaged
     * region starts, else where the end is damaged; damage to a compressed file's seek table is in no
     * original byte (no offset).
     */
    private static Verdict expected(String[] open, String[] salvage) {
        String[] read = salvage != null ? salvage : open;
        String e = open[5];
        long records = count(read[4]);
        if (e.equals("sealed") || e.equals("unsealed")) {
            return new Verdict(0, records, -1);
        }
        if (e.contains("NOT_A_BINLOG") || e.contains("UNSUPPORTED_VERSION")) {
            return new Verdict(2, records, -1);
        }
        if (e.contains("SEEK_TABLE") || e.contains("COMPRESSED_TRUNCATED")) {
            return new Verdict(1, records, -1);
        }
        long issue = number(LEADING, read[6]);
        issue = issue >= 0 ? issue : number(AT, read[5]);
        return new Verdict(1, records, issue >= 0 ? issue : number(AT, e));
    }

    /** What {@link Verify} says of a file: a finding of a file it cannot read is status 2, else any damage 1. */
    private static Verdict verify(String path) throws IOException {
        try (Verify v = Verify.open(CORPUS.resolve(path))) {
            List<Finding> findings = new ArrayList<>();
            v.forEach(findings::add);
            int status = 0;
            long issue = -1;
            boolean first = true;
            for (Finding f : findings) {
                switch (f.kind()) {
                    case NOT_A_BINLOG, UNSUPPORTED_VERSION, UNREADABLE -> status = 2;
                    default -> status = f.damage() && status == 0 ? 1 : status;
                }
                if (f.damage() && first) {
                    issue = f.offset().orElse(-1);
                    first = false;
                }
            }
            return new Verdict(status, v.counts().records(), issue);
        }
    }

    @Test
    void verifyClassifiesTheConformanceCorpusAsTheReadersDo() throws IOException {
        List<String[]> cases = cases("expected.tsv");
        int files = 0;
        for (String[] open : cases) {
            if (!open[2].equals("open") || !open[3].equals("-")) {
                continue;
            }
            String[] salvage = cases.stream()
                    .filter(c -> c[1].equals(open[1]) && c[2].equals("salvage") && c[3].equals("-"))
                    .findFirst().orElse(null);
            Verdict want = expected(open, salvage);
            Verdict got = verify(open[1]);
            if (want.issue() < 0 && got.status() != 0) {
                got = new Verdict(got.status(), got.records(), -1); // an offset none is derived for (a seek table's)
            }
            assertEquals(want, got, "verify " + open[1]);
            files++;
        }
        assertTrue(files > 20, "only " + files + " files checked");
    }
}
