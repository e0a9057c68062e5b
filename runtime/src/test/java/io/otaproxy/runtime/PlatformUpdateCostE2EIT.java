package io.otaproxy.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What an update of a platform bundle costs the clients of a running proxy. The runnable jar runs with
 * {@code --data-dir}; three clients ask for small cached files without pause and a fourth downloads a larger cached
 * file at a slow pace, so that a transfer is always in flight. Each of Felix HTTP (Jetty 12), Felix SCR, Felix
 * ConfigAdmin, the slf4j API and its provider (slf4j-simple) is then delivered again into {@code deploy/}, the very
 * jar the runnable jar embeds, and applied while the load runs.
 *
 * <p>Asserted, for every update: it is applied and the proxy serves again within the health gate's bound; every
 * answer is a complete and correct body, the standby's {@code 503} with {@code Retry-After}, a refused or reset
 * connection, or a body visibly cut short (fewer bytes than its length) — never wrong bytes under a complete framing,
 * never an answer that does not come — and no cache entry is lost (with the load stopped, every file cached before is
 * served again without asking the origin). One exception is measured, not hidden: when an update stops the standby's
 * bundle (a refresh of SCR, whose component it is) or Felix HTTP (whose new listener is up before its whiteboard has
 * taken the servlets again), Felix HTTP answers {@code 404} itself for a moment; such a 404 is counted, and a 404 in
 * an update that stopped neither fails the test.
 * Printed, not asserted: how long the proxy did not serve, the answers by kind, whether transfers in flight were cut,
 * and which bundles the update stopped and refreshed, and why (the jar's log lines).
 */
public class PlatformUpdateCostE2EIT {

    private static final int SMALL_FILES = 20;
    private static final int SMALL_SIZE = 24_000;
    private static final int LARGE_SIZE = 6_000_000;
    /** The slow client reads the large file at this pace: one transfer lasts about 2 s. */
    private static final long LARGE_PACE = 3_000_000;
    private static final int SMALL_CLIENTS = 3;
    private static final long LOAD_AROUND_MILLIS = 1_500;
    /** A request without an answer (or a body that stops moving) for this long is one that hangs. */
    private static final int HANG_MILLIS = 15_000;

    /** Symbolic name and file name prefix, in the runnable jar's bundles/, of each platform bundle updated. */
    private static final String[][] PLATFORM = {
        {"org.apache.felix.http.jetty12", "org.apache.felix.http.jetty12-"},
        {"org.apache.felix.scr", "org.apache.felix.scr-"},
        {"org.apache.felix.configadmin", "org.apache.felix.configadmin-"},
        {"slf4j.api", "slf4j-api-"},
        {"slf4j.simple", "slf4j-simple-"},
    };

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private ProxyProcess proxy;
    private TestOrigin origin;

    @After
    public void stopAll() throws InterruptedException {
        if (proxy != null) {
            // what the jar said about the updates, for whoever reads the figures
            proxy.output().stream().filter(l -> l.contains("[ota-proxy]") && !l.contains("bundle set:"))
                    .forEach(l -> System.out.println("[log] " + l));
            proxy.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    /** What one request got. */
    enum Kind {
        /** 200, the whole body, the right bytes. */
        GOOD,
        /** the standby's 503 with Retry-After */
        STANDBY,
        /** the connection was refused */
        REFUSED,
        /** the connection ended or was reset before a status line */
        RESET,
        /** 200, but the body ended before its framing said it would */
        CUT,
        /**
         * 404 from Felix HTTP itself: its whiteboard had neither the proxy servlet nor the standby. Counted, and
         * allowed only while the update had the standby's bundle stopped (see the class comment).
         */
        NO_SERVLET,
        /** no answer, no end within {@link #HANG_MILLIS} */
        HUNG,
        /** anything else: another status, a 503 without Retry-After, wrong bytes under a complete framing */
        WRONG
    }

    record Answer(String path, long start, long end, Kind kind, String detail) {
    }

    @Test
    public void updatingEachPlatformBundleUnderLoad() throws Exception {
        origin = TestOrigin.start();
        final Map<String, String> sha = new TreeMap<>();
        for (int i = 0; i < SMALL_FILES; i++) {
            final byte[] body = TestData.generate(SMALL_SIZE, 100 + i);
            origin.put("/small/" + i + ".bin", body);
            sha.put("/small/" + i + ".bin", TestData.sha256(body));
        }
        final byte[] large = TestData.generate(LARGE_SIZE, 7);
        origin.put("/large.bin", large);
        sha.put("/large.bin", TestData.sha256(large));

        final Path data = tmp.newFolder("data").toPath();
        final int port = ProxyProcess.freePort();
        proxy = ProxyProcess.start(tmp.getRoot().toPath(), List.of("-Xmx128m"), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--cache-dir", tmp.newFolder("cache").toString(), "--data-dir",
                data.toString());
        final Path deploy = data.resolve("deploy");
        BundleUpdateE2EIT.await("the deploy directory is watched", () -> Files.isDirectory(deploy.resolve("applied")));
        for (final String path : sha.keySet()) { // cached before any update
            final RawHttpClient.Response r = RawHttpClient.exchange(port, "GET", origin.url(path), false);
            assertEquals(path, 200, r.status);
            assertEquals(path, sha.get(path), r.sha256);
        }
        assertEquals(sha.size(), origin.requests().size());

        final List<String> table = new ArrayList<>();
        final List<String> problems = new ArrayList<>();
        for (final String[] bundle : PLATFORM) {
            table.add(updateUnderLoad(port, deploy, bundle[0], bundle[1], sha, problems));
        }
        System.out.println("[cost] bundle | not serving (ms) | update to applied (ms) | answers | transfers in flight"
                + " cut | stopped, refreshed | why (not) refreshed");
        table.forEach(System.out::println);
        assertTrue("answers no update may give: " + problems, problems.isEmpty());
    }

    /** One update under load: what it cost, as a line of the printed table. */
    private String updateUnderLoad(final int port, final Path deploy, final String name, final String prefix,
            final Map<String, String> sha, final List<String> problems) throws Exception {
        final String file = embeddedName(prefix);
        final List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
        final List<Thread> clients = new ArrayList<>();
        final java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        for (int i = 0; i < SMALL_CLIENTS; i++) {
            clients.add(client("small-" + i, stop::get, () -> {
                final String path = "/small/" + ThreadLocalRandom.current().nextInt(SMALL_FILES) + ".bin";
                answers.add(request(port, path, sha.get(path), 0));
                Thread.sleep(5);
            }));
        }
        clients.add(client("large", stop::get, () -> answers.add(request(port, "/large.bin", sha.get("/large.bin"),
                LARGE_PACE))));
        clients.forEach(Thread::start);
        Thread.sleep(LOAD_AROUND_MILLIS);

        final int logged = proxy.output().size();
        final long drop = System.nanoTime();
        BundleUpdateE2EIT.write(embeddedBytes(file), deploy.resolve(file));
        final Path applied = deploy.resolve("applied").resolve(file);
        final Path failed = deploy.resolve("failed").resolve(file);
        final long bound = TimeUnit.MILLISECONDS.toNanos(2 * BundleUpdates.POLL_MILLIS + BundleUpdates.HEALTH_MILLIS
                + 5_000);
        long begun = 0; // when the jar began the update (it takes a file once its size stays the same)
        while (!Files.exists(applied)) {
            if (begun == 0 && proxy.output().stream().skip(logged).anyMatch(l -> l.contains("updating " + name + " "))) {
                begun = System.nanoTime();
            }
            assertFalse(name + " refused: " + proxy.output(), Files.exists(failed));
            assertTrue(name + " not applied within the gate's bound", System.nanoTime() - drop < bound);
            Thread.sleep(20);
        }
        final long appliedAt = System.nanoTime();
        final long updateStart = begun == 0 ? appliedAt : begun;
        // serving again: a good answer to a request that began once the update was applied
        while (snapshot(answers).stream().noneMatch(a -> a.kind() == Kind.GOOD && a.start() >= appliedAt)) {
            assertTrue(name + ": the proxy does not serve again", System.nanoTime() - drop < bound);
            Thread.sleep(20);
        }
        Thread.sleep(LOAD_AROUND_MILLIS);
        stop.set(true);
        for (final Thread t : clients) {
            t.join(30_000);
            assertFalse(t.getName() + " still running", t.isAlive());
        }

        final List<Answer> all = snapshot(answers);
        // A restart that a slow machine had not finished when the load stopped (the load's last answers failed) is
        // waited for, within the gate's bound, rather than taken to fit in the load's window; the probes' answers
        // count like the load's.
        final long probeUntil = System.nanoTime() + bound;
        while (!servesAfterLastFailure(all)) {
            assertTrue(name + ": the proxy does not serve again after its last failure: " + all.get(all.size() - 1),
                    System.nanoTime() < probeUntil);
            all.add(request(port, "/small/0.bin", sha.get("/small/0.bin"), 0));
            Thread.sleep(20); // spaced, so that the probes take no CPU from the restart they wait for
        }
        final String line = proxy.output().subList(logged, proxy.output().size()).stream()
                .filter(l -> l.contains("update of " + name + " stopped")).findFirst().orElse(null);
        assertNotNull("the jar names what the update stopped: " + proxy.output(), line);
        final String stopped = line.substring(0, line.indexOf(", refreshed"));
        final boolean standbyStopped = stopped.contains("io.otaproxy.standby")
                || stopped.contains("org.apache.felix.http.jetty12");
        final String refresh = proxy.output().subList(logged, proxy.output().size()).stream()
                .filter(l -> l.contains("no refresh needed for " + name) || l.contains("refreshing " + name))
                .map(l -> l.contains("no refresh") ? "no refresh" : l.substring(l.indexOf(": ") + 2)).findFirst()
                .orElse("?");
        final Map<String, Integer> byKind = new TreeMap<>();
        int wrong = 0;
        for (final Answer a : all) {
            byKind.merge(a.kind() == Kind.GOOD ? "200" : a.kind() == Kind.STANDBY ? "503"
                    : a.kind() == Kind.NO_SERVLET ? "404" : a.kind().name().toLowerCase(java.util.Locale.ROOT), 1,
                    Integer::sum);
            final boolean allowed = a.kind() != Kind.WRONG && a.kind() != Kind.HUNG
                    && (a.kind() != Kind.NO_SERVLET || standbyStopped);
            if (!allowed && wrong++ < 3) { // the count is in the table
                problems.add(name + ": " + a.path() + " " + a.detail());
            }
        }
        final long firstBad = all.stream().filter(a -> a.kind() != Kind.GOOD).mapToLong(Answer::end).min()
                .orElse(-1);
        final long lastBad = lastFailureEnd(all);
        final long notServing = firstBad < 0 ? 0 : all.stream()
                .filter(a -> a.kind() == Kind.GOOD && a.end() > lastBad).mapToLong(Answer::end).min()
                .orElseThrow(() -> new AssertionError(name + ": no good answer after the last failure")) - firstBad;
        final long inFlight = all.stream().filter(a -> a.start() < updateStart && a.end() > updateStart).count();
        final long cut = all.stream().filter(a -> a.start() < updateStart && a.end() > updateStart
                && (a.kind() == Kind.CUT || a.kind() == Kind.RESET)).count();

        // no entry lost: with the load stopped, every file cached before comes without asking the origin
        final int asked = origin.requests().size();
        for (final String path : sha.keySet()) {
            final RawHttpClient.Response r = RawHttpClient.exchange(port, "GET", origin.url(path), false);
            assertEquals(name + ": " + path, 200, r.status);
            assertEquals(name + ": " + path, sha.get(path), r.sha256);
        }
        assertEquals(name + ": files cached before were fetched from the origin again", asked,
                origin.requests().size());

        final String restarts = line.substring(line.indexOf(" stopped ") + 1);
        System.out.println("[cost] " + name + ": " + all.size() + " requests in the window, not serving "
                + TimeUnit.NANOSECONDS.toMillis(notServing) + " ms");
        return "[cost] " + name + " | " + TimeUnit.NANOSECONDS.toMillis(notServing) + " | "
                + TimeUnit.NANOSECONDS.toMillis(appliedAt - updateStart) + " | " + byKind + " | " + cut + " of " + inFlight
                + " | " + restarts + " | " + refresh;
    }

    /** When the last answer that was not good ended, or -1 when every answer was good. */
    private static long lastFailureEnd(final List<Answer> all) {
        return all.stream().filter(a -> a.kind() != Kind.GOOD).mapToLong(Answer::end).max().orElse(-1);
    }

    /** Whether a good answer ended after the last answer that was not good (or every answer was good). */
    private static boolean servesAfterLastFailure(final List<Answer> all) {
        final long lastBad = lastFailureEnd(all);
        return lastBad < 0 || all.stream().anyMatch(a -> a.kind() == Kind.GOOD && a.end() > lastBad);
    }

    private static List<Answer> snapshot(final List<Answer> answers) {
        synchronized (answers) {
            return new ArrayList<>(answers);
        }
    }

    interface Step {
        void run() throws Exception;
    }

    private static Thread client(final String name, final java.util.function.BooleanSupplier stop, final Step step) {
        final Thread t = new Thread(() -> {
            while (!stop.getAsBoolean()) {
                try {
                    step.run();
                } catch (final Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }, "cost-client-" + name);
        t.setDaemon(true);
        return t;
    }

    /**
     * A request for a cached file, read at {@code pace} bytes a second (0: at once). An answer that does not come
     * within {@link #HANG_MILLIS} is {@link Kind#HUNG}.
     */
    private Answer request(final int port, final String path, final String sha256, final long pace)
            throws InterruptedException {
        final long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            socket.setSoTimeout(HANG_MILLIS);
            final OutputStream out = socket.getOutputStream();
            out.write(("GET " + origin.url(path) + " HTTP/1.1\r\nHost: " + origin.authority()
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            final InputStream in = pace > 0 ? new Paced(socket.getInputStream(), pace) : socket.getInputStream();
            return answer(path, start, RawHttpClient.read(in, false, false), sha256);
        } catch (final ConnectException e) {
            Thread.sleep(20);
            return new Answer(path, start, System.nanoTime(), Kind.REFUSED, e.getMessage());
        } catch (final java.net.SocketTimeoutException e) {
            return new Answer(path, start, System.nanoTime(), Kind.HUNG, e.toString());
        } catch (final IOException e) {
            return new Answer(path, start, System.nanoTime(), Kind.RESET, e.toString());
        }
    }

    private static Answer answer(final String path, final long start, final RawHttpClient.Response r,
            final String sha256) {
        final long end = System.nanoTime();
        final String detail = r.status + " " + r.bodyLength + " bytes" + (r.complete ? "" : " (incomplete)");
        if (r.status == 200) {
            if (!r.complete) {
                return new Answer(path, start, end, Kind.CUT, detail);
            }
            return new Answer(path, start, end, sha256.equals(r.sha256) ? Kind.GOOD : Kind.WRONG, detail);
        }
        if (r.status == 503 && r.header("Retry-After") != null) {
            return new Answer(path, start, end, Kind.STANDBY, detail);
        }
        if (r.status == 404 && r.complete && String.valueOf(r.header("Content-Type")).startsWith("text/html")) {
            return new Answer(path, start, end, Kind.NO_SERVLET, detail);
        }
        return new Answer(path, start, end, Kind.WRONG, detail + " " + r.headers);
    }

    /** Reads no faster than {@code pace} bytes a second. */
    private static final class Paced extends FilterInputStream {
        private final long pace;
        private final long begin = System.nanoTime();
        private long read;

        Paced(final InputStream in, final long pace) {
            super(in);
            this.pace = pace;
        }

        @Override
        public int read(final byte[] b, final int off, final int len) throws IOException {
            final int n = super.read(b, off, Math.min(len, 16 * 1024));
            if (n > 0) {
                read += n;
                final long due = begin + read * 1_000_000_000L / pace;
                final long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        TimeUnit.NANOSECONDS.sleep(wait);
                    } catch (final InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted", e);
                    }
                }
            }
            return n;
        }
    }

    /** The file name of the embedded bundle whose name starts with {@code prefix}. */
    private static String embeddedName(final String prefix) throws IOException {
        try (JarFile runnable = new JarFile(System.getProperty("otaproxy.jar"))) {
            return runnable.stream().map(JarEntry::getName)
                    .filter(n -> n.startsWith("bundles/" + prefix) && n.endsWith(".jar"))
                    .map(n -> n.substring("bundles/".length())).findFirst()
                    .orElseThrow(() -> new AssertionError("no embedded bundle " + prefix));
        }
    }

    /** The very bytes the runnable jar embeds: the same version delivered again. */
    private static byte[] embeddedBytes(final String file) throws IOException {
        try (JarFile runnable = new JarFile(System.getProperty("otaproxy.jar"))) {
            try (InputStream in = runnable.getInputStream(runnable.getJarEntry("bundles/" + file))) {
                return in.readAllBytes();
            }
        }
    }
}
