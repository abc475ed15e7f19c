package io.libbinlog;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The child process of {@code LogTest#aFailedBackgroundSealIsCountedNotThrown}: 1000 records of a log
 * rolling every 1000 (sealing in the background if the second argument is 1), then it reports where
 * the records end and waits while the parent sets its file size limit just past the roll's SEAL_BEGIN;
 * then 10 more records (the roll comes first), and what failed. Exits without closing: a close would
 * retry the seal.
 */
public final class SealFailChild {
    private SealFailChild() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        boolean bg = args[1].equals("1");
        BinlogWriter w = BinlogWriter.openLog(dir, "s",
                Options.builder().maxSegmentRecords(1000).sealInBackground(bg).build());
        byte[] payload = new byte[100];
        Arrays.fill(payload, (byte) 7);
        for (int i = 0; i < 1000; i++) {
            w.write("t", payload);
        }
        w.flush();
        List<Path> segs;
        try (Stream<Path> s = Files.list(dir)) {
            segs = s.filter(p -> p.getFileName().toString().endsWith(".binlog")).collect(Collectors.toList());
        }
        if (segs.size() != 1) {
            throw new IllegalStateException("segments " + segs);
        }
        System.out.println("records-end " + Files.size(segs.get(0)));
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        String error = "none";
        try {
            for (int i = 0; i < 10; i++) {
                w.write("t", payload);
            }
            w.flush();
        } catch (BinlogException e) {
            error = e.getMessage().replace('\n', ' ');
        }
        System.out.println("write-error " + error);
        // Two failures: the first seal and its retry a second later.
        long failures = 0;
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (bg && failures < 2 && System.nanoTime() - deadline < 0) {
            Thread.sleep(5);
            failures = w.callbackFailures();
        }
        System.out.println("failures " + failures);
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
