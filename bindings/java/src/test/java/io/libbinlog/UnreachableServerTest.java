package io.libbinlog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shipper and a tiered reader given a server that is down (a port with nothing listening) or that
 * accepts connections and never answers (a plain TCP listener of the test's own): each fails with {@link
 * ErrorCode#REMOTE} naming the endpoint and the cause within its retry timeout, plus slack (the bound,
 * 45 s, is far from tight: it only tells a wait bounded by the retry timeout from one of the 60 s request
 * timeout).
 */
class UnreachableServerTest {
    private static final Duration RETRY_TIMEOUT = Duration.ofMillis(1500);
    private static final long BOUND_MS = 45_000;

    @TempDir
    Path dir;

    /** An http:// URL where nothing listens (a port bound, then closed). */
    private static String deadEndpoint() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    /** A listener that accepts connections and never reads or answers; close it to end its thread. */
    private static final class Silent implements AutoCloseable {
        final ServerSocket server;
        final List<Socket> held = new ArrayList<>();
        final Thread acceptor;

        Silent() throws IOException {
            server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
            acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket c = server.accept();
                        synchronized (held) {
                            held.add(c);
                        }
                    }
                } catch (IOException closed) {
                    // the listener was closed: the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        String endpoint() {
            return "http://127.0.0.1:" + server.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            server.close();
            synchronized (held) {
                for (Socket c : held) {
                    c.close();
                }
            }
        }
    }

    private void writeLog() throws IOException {
        try (BinlogWriter w = BinlogWriter.openLog(dir, "orders", Options.builder().maxSegmentRecords(2).build())) {
            for (int i = 0; i < 5; i++) {
                w.write("t", "payload".getBytes(StandardCharsets.UTF_8));
            }
        }
    }

    private static void assertNamesEndpointAndCause(String what, String msg, String endpoint, String... causes) {
        assertTrue(msg.contains(endpoint), what + ": " + msg);
        boolean named = false;
        for (String c : causes) {
            named |= msg.contains(c);
        }
        assertTrue(named, what + ": " + msg);
    }

    private void check(String endpoint, String... causes) throws Exception {
        Shipper.Options o = new Shipper.Options().url("s3://logs/unreachable").endpoint(endpoint)
                .region("us-east-1").credentials("id", "secret").retryTimeout(RETRY_TIMEOUT);
        long start = System.nanoTime();
        BinlogException e = TestSupport.expect(ErrorCode.REMOTE, () -> {
            try (Shipper s = Shipper.open(dir, "orders", o)) {
                s.shipOnce();
            }
        });
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertNamesEndpointAndCause("shipper", e.getMessage(), endpoint, causes);
        assertTrue(tookMs < BOUND_MS, "shipper took " + tookMs + " ms");

        List<String> out = TestSupport.runWithEnv(UnreachableTieredChild.class,
                List.of(dir.toString(), "orders", "s3://logs/unreachable", "" + RETRY_TIMEOUT.toMillis()),
                Map.of("AWS_ENDPOINT_URL", endpoint, "AWS_REGION", "us-east-1", "AWS_ACCESS_KEY_ID", "id",
                        "AWS_SECRET_ACCESS_KEY", "secret"));
        assertEquals(2, out.size(), out.toString());
        assertTrue(out.get(0).startsWith("error REMOTE "), out.toString());
        assertNamesEndpointAndCause("tiered reader", out.get(0), endpoint, causes);
        long childMs = Long.parseLong(out.get(1).substring("took ".length()));
        assertTrue(childMs < BOUND_MS, "tiered reader took " + childMs + " ms");
    }

    @Test
    void aServerWithNothingListeningFailsWithinTheRetryTimeoutNamingEndpointAndCause() throws Exception {
        writeLog();
        check(deadEndpoint(), "Connection refused", "connection refused");
    }

    @Test
    void aServerThatNeverAnswersFailsWithinTheRetryTimeoutNamingEndpointAndCause() throws Exception {
        writeLog();
        try (Silent s = new Silent()) {
            check(s.endpoint(), "timed out", "timeout");
        }
    }
}
