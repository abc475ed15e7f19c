package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Verify: files written by the binding's writer, damaged on disk (a torn tail, a flipped byte, a
 * deleted middle segment), give the library's findings, with the kind, the file, the offset and the
 * records lost, at the places the reader reports; clean files give no damage.
 */
class VerifyTest {
    @TempDir
    Path dir;

    private static byte[] payload(int i) {
        return String.format("record-%02d", i).getBytes(StandardCharsets.UTF_8);
    }

    /** n records in a sealed segment at p, read back (with their offsets). */
    private static List<BinlogRecord> sealed(Path p, int n) throws IOException {
        try (BinlogWriter w = BinlogWriter.openSegment(p)) {
            for (int i = 0; i < n; i++) {
                w.write("e", payload(i));
            }
        }
        List<BinlogRecord> out = new ArrayList<>();
        try (BinlogReader r = BinlogReader.open(p)) {
            for (BinlogRecord x = r.next(); x != null; x = r.next()) {
                out.add(x);
            }
        }
        return out;
    }

    private record Result(List<Finding> findings, Verify.Counts counts) {}

    private static Result verify(Path p, String logName) throws IOException {
        try (Verify v = Verify.open(p, logName)) {
            List<Finding> fs = new ArrayList<>();
            v.forEach(fs::add);
            return new Result(fs, v.counts());
        }
    }

    /** The one damage finding among fs. */
    private static Finding onlyDamage(List<Finding> fs) {
        List<Finding> d = fs.stream().filter(Finding::damage).toList();
        assertEquals(1, d.size(), fs::toString);
        return d.get(0);
    }

    private static void assertFinding(Finding f, Finding.Kind kind, Path location, long offset, long fromSeq,
            long toSeq) {
        assertEquals(kind, f.kind(), f::toString);
        assertEquals(location.toString(), f.location(), f::toString);
        assertEquals(OptionalLong.of(offset), f.offset(), f::toString);
        assertEquals(OptionalLong.of(fromSeq), f.fromSeq(), f::toString);
        assertEquals(OptionalLong.of(toSeq), f.toSeq(), f::toString);
        assertTrue(f.message().contains(location.toString()), f::toString);
    }

    /** The BINLOG_FINDING_* and BINLOG_REPAIR_* numbers of include/binlog.h, by name. */
    private static Map<String, Integer> headerEnum(String prefix) throws IOException {
        String header = System.getProperty("binlog.header");
        assertNotNull(header, "surefire passes -Dbinlog.header");
        Matcher m = Pattern.compile(prefix + "([A-Z0-9_]+) = (\\d+)").matcher(Files.readString(Path.of(header)));
        Map<String, Integer> out = new HashMap<>();
        while (m.find()) {
            out.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return out;
    }

    @Test
    void kindsAndRepairsMirrorTheHeader() throws IOException {
        Map<String, Integer> kinds = new HashMap<>();
        for (Finding.Kind k : Finding.Kind.values()) {
            kinds.put(k.name(), k.code());
        }
        assertEquals(headerEnum("BINLOG_FINDING_"), kinds);
        Map<String, Integer> repairs = new HashMap<>();
        for (Finding.Repair r : Finding.Repair.values()) {
            repairs.put(r.name(), r.code());
        }
        assertEquals(headerEnum("BINLOG_REPAIR_"), repairs);
    }

    @Test
    void kindsAndRepairsHaveTheLibrarysNames() throws Exception {
        assertEquals("torn-tail", Finding.Kind.TORN_TAIL.label());
        assertEquals("sequence", Finding.Kind.SEQUENCE_JUMP.label());
        assertEquals("manifest-damaged", Finding.Kind.MANIFEST_DAMAGED.label());
        assertEquals("not-listed", Finding.Kind.NOT_LISTED.label());
        assertEquals("cut-torn-tail", Finding.Repair.CUT_TORN_TAIL.label());
        assertEquals("salvage", Finding.Repair.SALVAGE.label());
        for (Finding.Kind k : Finding.Kind.values()) {
            assertTrue(k.label() != null && !k.label().isEmpty(), k::name);
        }
    }

    @Test
    void cleanSegmentHasNoDamage() throws Exception {
        Path p = dir.resolve("clean.binlog");
        sealed(p, 10);
        Result r = verify(p, null);
        assertEquals(List.of(), r.findings().stream().filter(Finding::damage).toList());
        assertEquals(new Verify.Counts(1, 10), r.counts());
        try (Verify v = Verify.open(p)) {
            for (int i = 0; i < 3; i++) { // the end, and again after it
                assertNull(v.next());
            }
        }
    }

    @Test
    void tornTailIsFoundWhereTheReaderEnds() throws Exception {
        Path live = dir.resolve("live.binlog");
        Path torn = dir.resolve("torn.binlog");
        byte[] unsealed;
        try (BinlogWriter w = BinlogWriter.openSegment(live)) {
            for (int i = 0; i < 5; i++) {
                w.write("e", payload(i));
            }
            w.flush();
            unsealed = Files.readAllBytes(live); // as a crashed writer leaves it
        }
        Files.write(torn, Arrays.copyOf(unsealed, unsealed.length - 3));
        Tail tail;
        try (BinlogReader r = BinlogReader.open(torn)) {
            while (r.next() != null) {
                // to the end
            }
            tail = r.tail();
        }
        Result r = verify(torn, null);
        Finding f = onlyDamage(r.findings());
        assertEquals(Tail.Kind.TORN, tail.kind());
        assertFinding(f, Finding.Kind.TORN_TAIL, torn, tail.offset(), 4, 4);
        assertEquals(tail.len(), f.len());
        assertEquals(Finding.Repair.CUT_TORN_TAIL, f.repair());
        assertEquals(new Verify.Counts(1, 4), r.counts());
    }

    /** hasNext keeps the finding it read in the Verify: the next call of next() returns it, and none is lost. */
    @Test
    void hasNextKeepsTheFindingForNext() throws Exception {
        Path p = dir.resolve("unsealed.binlog");
        try (BinlogWriter w = BinlogWriter.openSegment(p)) {
            w.write("e", payload(0));
            w.flush();
            Files.write(dir.resolve("copy.binlog"), Files.readAllBytes(p)); // no seal: a note
        }
        List<Finding> all = verify(dir.resolve("copy.binlog"), null).findings();
        assertTrue(!all.isEmpty(), "an unsealed segment gives a finding");
        try (Verify v = Verify.open(dir.resolve("copy.binlog"))) {
            Iterator<Finding> it = v.iterator();
            assertTrue(it.hasNext());
            assertTrue(it.hasNext()); // reads nothing more
            assertEquals(all.get(0), v.next());
            List<Finding> rest = new ArrayList<>();
            it.forEachRemaining(rest::add);
            assertEquals(all.subList(1, all.size()), rest);
            assertNull(v.next());
        }
    }

    @Test
    void flippedByteMidFileIsCorruptionAtThatRecord() throws Exception {
        Path p = dir.resolve("flip.binlog");
        List<BinlogRecord> recs = sealed(p, 10);
        byte[] b = Files.readAllBytes(p);
        int at = indexOf(b, payload(5));
        assertTrue(at > recs.get(5).offset());
        b[at + 7] ^= (byte) 0xff;
        Files.write(p, b);
        Result r = verify(p, null);
        assertFinding(onlyDamage(r.findings()), Finding.Kind.CORRUPT, p, recs.get(5).offset(), 5, 6);
        assertEquals(new Verify.Counts(1, 9), r.counts());
    }

    @Test
    void deletedMiddleSegmentIsRecordsMissing() throws Exception {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(3).build())) {
            for (int i = 0; i < 9; i++) {
                w.write("e", payload(i));
            }
        }
        List<LogSegment> segs = LogSegment.list(dir, "orders");
        assertEquals(3, segs.size());
        assertEquals(List.of(), verify(dir, null).findings().stream().filter(Finding::damage).toList());
        Files.delete(segs.get(1).path());
        Result r = verify(dir, "orders");
        Finding f = onlyDamage(r.findings());
        assertEquals(Finding.Kind.MISSING_RECORDS, f.kind(), f::toString);
        assertEquals(segs.get(2).path().toString(), f.location());
        assertEquals(OptionalLong.of(3), f.fromSeq());
        assertEquals(OptionalLong.of(6), f.toSeq());
        assertTrue(f.offset().isPresent(), f::toString);
        assertEquals(new Verify.Counts(2, 6), r.counts());
    }

    @Test
    void directoryWithoutALogIsNotFound() throws Exception {
        BinlogException e = TestSupport.expect(ErrorCode.NOT_FOUND, () -> Verify.open(dir));
        assertTrue(e.getMessage().contains(dir.toString()), e::getMessage);
    }

    /** A segment file that does not exist is a NoSuchFileException naming it, as a reader's open says. */
    @Test
    void missingFileIsNotFound() throws Exception {
        Path p = dir.resolve("absent.binlog");
        TestSupport.missing(p, () -> Verify.open(p));
    }

    /** close from one thread while others call next and counts: each call ends with a finding, null or CLOSED. */
    @Test
    void closeWhileOtherThreadsCallEndsTheirCallsWithClosed() throws Exception {
        Path p = dir.resolve("s.binlog");
        Files.write(p, "not a segment".getBytes(StandardCharsets.UTF_8));
        Verify v = Verify.open(p);
        List<Throwable> thrown = TestSupport.inThreads(5, id -> {
            if (id == 0) {
                v.close();
                return;
            }
            while (true) {
                v.next();
                v.counts();
            }
        });
        assertEquals(4, thrown.size(), thrown::toString);
        for (Throwable e : thrown) {
            assertEquals(ErrorCode.CLOSED, ((BinlogException) e).code(), e::toString);
        }
    }

    @Test
    void callsAfterCloseThrowClosed() throws Exception {
        Path p = dir.resolve("c.binlog");
        sealed(p, 2);
        Verify v = Verify.open(p);
        Iterator<Finding> it = v.iterator();
        v.close();
        v.close();
        BinlogException e = TestSupport.expect(ErrorCode.CLOSED, v::next);
        assertTrue(e.getMessage().contains(p.toString()), e::getMessage);
        TestSupport.expect(ErrorCode.CLOSED, v::counts);
        java.io.UncheckedIOException u = org.junit.jupiter.api.Assertions.assertThrows(java.io.UncheckedIOException.class, it::hasNext);
        assertTrue(u.getCause() instanceof BinlogClosedException, u::getMessage);
        assertNotNull(v.toString());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Key files as {@code binlog keys new} wrote them: a secret key, its public key, another key's public key. */
    private static final String SECRET_KEY =
            "binlog-secret-key-ed25519 4dce59af616fa335443736365736b61318ff9c642cb6f0b9e2d9c37af7844617\n";
    private static final String PUBLIC_KEY =
            "binlog-public-key-ed25519 55f8f2cec48dd5c899ca4fa3f6326ba33fabb7a75d37f008ae04b3399a69c48e\n";
    private static final String ANOTHER_PUBLIC_KEY =
            "binlog-public-key-ed25519 5bc79df1147713d584014da3b3f7360cbec4f6cde5cc1dc43eb4a7702fb2676e\n";

    /**
     * A forward-secure key file as {@code binlog keys epochs} wrote it (one epoch, 1970 to 2069) and the public key of
     * the master key that certified it.
     */
    private static final String EPOCH_KEYS =
            "binlog-epoch-keys-ed25519 bce5c1917cf57f98c5fa19ea3842227b0f861ce5be12596e490c344f0bc06e0a 0 3153600000000000000\n"
            + "0 5ac25cced169220469401f38b2cd60d2b5de6c5779c1cbef61982a187398c7c0 "
            + "ecc1b6ce14b5cde1c952ca5d61c6b97a9d89fb5d302ebb74dd3d9a451918696b"
            + "2d0233bd9e5c403bc62eb034cfe67a475ebaf9b28cf1a5bbba64f839ba354f08\n";
    private static final String MASTER_PUBLIC_KEY =
            "binlog-public-key-ed25519 bce5c1917cf57f98c5fa19ea3842227b0f861ce5be12596e490c344f0bc06e0a\n";

    /** Writes key file {@code path}, readable by its owner only (a secret key file others may read is refused). */
    private static Path keyFile(Path path, String text) throws IOException {
        return Files.setPosixFilePermissions(Files.writeString(path, text), PosixFilePermissions.fromString("rw-------"));
    }

    /** A log written with forward-secure epoch keys verifies clean trusting the master key, and is OTHER_KEY against another. */
    @Test
    void logSignedWithEpochKeysVerifiesAgainstTheMasterKey() throws Exception {
        Path keys = Files.createDirectory(dir.resolve("keys"));
        Path epochs = keyFile(keys.resolve("e"), EPOCH_KEYS);
        Path master = Files.writeString(keys.resolve("master.pub"), MASTER_PUBLIC_KEY);
        Path another = Files.writeString(keys.resolve("other.pub"), ANOTHER_PUBLIC_KEY);
        Options o = Options.builder().maxSegmentRecords(3).signingKey(epochs).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", o)) {
            for (int i = 0; i < 6; i++) {
                w.write("e", payload(i));
            }
        }
        List<String> at = LogSegment.list(dir, "orders").stream().map(s -> " at " + s.path()).toList();
        assertEquals(2, at.size());
        assertEquals(List.of(), trustedFindings(master));
        // Each seal, and the signed head beside the log.
        List<String> other = new ArrayList<>(at);
        other.add(" at " + dir.resolve("orders.head"));
        assertEquals(other.stream().map(a -> "OTHER_KEY" + a).toList(), trustedFindings(another));
    }

    /** The findings of log "orders" in dir, verified trusting key file {@code key}: each as "kind at file". */
    private List<String> trustedFindings(Path key) throws IOException {
        return trustedFindings(key, null);
    }

    /** {@link #trustedFindings(Path)}, checked against the signed head file {@code head} unless null. */
    private List<String> trustedFindings(Path key, Path head) throws IOException {
        try (Verify v = Verify.open(dir, "orders", key, head)) {
            List<String> out = new ArrayList<>();
            for (Finding f : v) {
                out.add(f.kind() + " at " + f.location());
                assertTrue(f.damage() && f.toString().startsWith(f.kind().label() + ": "), f::toString);
            }
            return out;
        }
    }

    /**
     * A log written with a signing key verifies clean trusting its public key and against a kept copy of its signed
     * head; trusting another key, after a record changed under a recomputed CRC, after its middle segment was deleted,
     * and after its newest segment and manifest were deleted (the kept head tells), it gives the library's findings.
     */
    @Test
    void signedLogVerifiesAgainstItsKeyAndTellsChanges() throws Exception {
        Path keys = Files.createDirectory(dir.resolve("keys"));
        Path secret = keyFile(keys.resolve("k"), SECRET_KEY);
        Path pub = Files.writeString(keys.resolve("k.pub"), PUBLIC_KEY);
        Path another = Files.writeString(keys.resolve("other.pub"), ANOTHER_PUBLIC_KEY);
        Options o = Options.builder().maxSegmentRecords(3).signingKey(secret).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", o)) {
            for (int i = 0; i < 9; i++) {
                w.write("e", payload(i));
            }
        }
        List<LogSegment> segs = LogSegment.list(dir, "orders");
        assertEquals(3, segs.size());
        List<String> at = segs.stream().map(s -> " at " + s.path()).toList();

        assertEquals(List.of(), trustedFindings(pub));
        // The signed head the writer keeps in the log's directory, copied away from it.
        Path kept = Files.copy(dir.resolve("orders.head"), keys.resolve("orders.head"));
        assertEquals(List.of(), trustedFindings(pub, kept));
        Path ownHead = dir.resolve("orders.head");
        List<String> other = new ArrayList<>(at);
        other.add(" at " + ownHead);
        assertEquals(other.stream().map(a -> "OTHER_KEY" + a).toList(), trustedFindings(another));

        // A payload byte of record 1 changed, its frame's CRC recomputed: only the seal's digest tells.
        Path first = segs.get(0).path();
        byte[] original = Files.readAllBytes(first);
        int off;
        try (BinlogReader r = BinlogReader.open(first)) {
            r.next();
            off = (int) r.next().offset();
        }
        ByteBuffer frame = ByteBuffer.wrap(original.clone()).order(ByteOrder.LITTLE_ENDIAN);
        int len = frame.getInt(off);
        int p = indexOf(original, payload(1));
        assertTrue(p > off + 8 && p < off + 8 + len, "record 1's payload in its frame");
        frame.put(p + 7, (byte) (original[p + 7] ^ 1));
        CRC32 crc = new CRC32();
        crc.update(frame.array(), off + 8, len);
        frame.putInt(off + 4, (int) crc.getValue());
        Files.write(first, frame.array());
        assertEquals(List.of("RECORDS_CHANGED" + at.get(0)), trustedFindings(pub));
        Files.write(first, original);

        Files.delete(segs.get(1).path());
        List<String> found = new ArrayList<>(trustedFindings(pub));
        found.sort(null);
        assertEquals(List.of("CHAIN_GAP" + at.get(2), "MISSING_RECORDS" + at.get(2)), found);
        assertEquals("chain-gap", Finding.Kind.CHAIN_GAP.label());
        assertEquals("records-changed", Finding.Kind.RECORDS_CHANGED.label());

        // The newest segment and the manifest deleted: the chain and the records left are whole, the head beside the
        // log tells; deleted with them, only the kept head does.
        Files.delete(segs.get(2).path());
        Files.delete(dir.resolve("orders.manifest"));
        assertEquals(List.of("CUT_OFF at " + ownHead), trustedFindings(pub));
        Files.delete(ownHead);
        assertEquals(List.of(), trustedFindings(pub));
        assertEquals(List.of("CUT_OFF at " + kept), trustedFindings(pub, kept));
        assertEquals("cut-off", Finding.Kind.CUT_OFF.label());
    }

    /** With checkpointRecords(3), the head covers the first 3 records once written, the writer still open. */
    @Test
    void checkpointComesEveryNRecords() throws Exception {
        Path secret = keyFile(Files.createDirectory(dir.resolve("keys")).resolve("k"), SECRET_KEY);
        Options o = Options.builder().signingKey(secret).checkpointRecords(3).build();
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", o)) {
            for (int i = 0; i < 3; i++) {
                w.write("e", payload(i));
            }
            // binlog-head-1 <log> <next seq> ...: the 3 records are covered.
            String head = Files.readAllLines(dir.resolve("orders.head")).get(0);
            assertTrue(head.startsWith("binlog-head-1 orders 3 "), head);
        }
    }

    /**
     * A file that is no key of its kind is refused, naming it: a public key to sign with, a secret one to trust; so is
     * a head that is no signed head, and a head without a trusted key.
     */
    @Test
    void signingKeyAndTrustRefuseOtherFiles() throws Exception {
        Path secret = keyFile(dir.resolve("k"), SECRET_KEY);
        Path pub = Files.writeString(dir.resolve("k.pub"), PUBLIC_KEY);
        BinlogException e = TestSupport.expect(ErrorCode.INVALID_ARGUMENT,
                () -> Options.builder().signingKey(pub).build());
        assertTrue(e.getMessage().contains(pub.toString()), e::getMessage);
        Path p = dir.resolve("s.binlog");
        BinlogWriter.openSegment(p, Options.builder().signingKey(secret).build()).close();
        e = TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> Verify.open(p, null, secret));
        assertTrue(e.getMessage().contains(secret.toString()), e::getMessage);
        e = TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> Verify.open(p, null, null, pub));
        assertTrue(e.getMessage().contains("trusted key"), e::getMessage);
        e = TestSupport.expect(ErrorCode.INVALID_ARGUMENT, () -> Verify.open(p, null, pub, pub));
        assertTrue(e.getMessage().contains(pub.toString()), e::getMessage);
        assertEquals(List.of(), verify(p, null).findings());
        try (Verify v = Verify.open(p, null, pub)) {
            assertNull(v.next());
            assertEquals(new Verify.Counts(1, 0), v.counts());
        }
    }
}
