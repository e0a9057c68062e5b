package io.otaproxy.itests;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

/**
 * Clients that download through the proxy without pause and check every answer by sha256, for tests that change
 * the running proxy under them. Half of the requests go to a hot set (cached before the test starts), half go
 * to files never asked for before (two requests each), so misses, shared fills and hits are all in flight at any
 * moment. Every answer is classed as right (200, complete framing, right bytes), loud (any other status, an
 * incomplete body or a broken connection) or silent (complete framing, wrong bytes: the one outcome that must
 * never happen).
 */
final class ContinuousLoad implements AutoCloseable {

    /** One file; files with an even index are asked for with their file_sha256. */
    record File(String path, long size, long seed, String sha256, boolean withSha) {
        String[] headers(final boolean retryCaching) {
            if (!withSha) {
                return new String[0];
            }
            return new String[] {
                "OTA-File-Cache-Control: file_sha256=" + sha256 + (retryCaching ? ",retry_caching" : "")};
        }
    }

    /** Counts since the load started. */
    record Tally(long requests, long right, long loud, long silent, long bytes) {
        Tally minus(final Tally before) {
            return new Tally(requests - before.requests, right - before.right, loud - before.loud,
                    silent - before.silent, bytes - before.bytes);
        }

        long failed() {
            return loud + silent;
        }

        @Override
        public String toString() {
            return requests + " requests, " + right + " right, " + loud + " failed loudly, " + silent
                    + " wrong bytes delivered as complete, " + bytes + " bytes";
        }
    }

    private final int proxyPort;
    private final TestOrigin origin;
    private final List<File> hot;
    private final long seedBase;
    private final Map<Integer, File> cold = new ConcurrentHashMap<>();
    private final List<TestOrigin> servers = new CopyOnWriteArrayList<>();
    private final int clients;
    private final AtomicInteger coldCursor = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong right = new AtomicLong();
    private final AtomicLong loud = new AtomicLong();
    private final AtomicLong silent = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final List<String> failures = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, Integer> failureKinds = new TreeMap<>(); // guarded by itself
    private final List<Thread> threads = new ArrayList<>();
    private final Object pauseLock = new Object();
    private volatile boolean running;
    private volatile boolean paused;
    private int busy; // guarded by pauseLock

    /**
     * Serves {@code hotCount} hot files from the origin. Cold files are made up as the clients go, each asked for
     * by two requests in a row (so concurrent clients often share its download), never running out however long
     * the load runs; every fourth one is paced (about 1 MiB/s) so that transfers are always in flight.
     */
    ContinuousLoad(final int proxyPort, final TestOrigin origin, final int hotCount, final int clients,
            final long seedBase) {
        this.proxyPort = proxyPort;
        this.origin = origin;
        this.clients = clients;
        this.seedBase = seedBase;
        servers.add(origin);
        final List<File> h = new ArrayList<>();
        for (int i = 0; i < hotCount; i++) {
            h.add(newFile("/hot/", i, false));
        }
        hot = List.copyOf(h);
    }

    private File newFile(final String dir, final int i, final boolean paceable) {
        final long seed = seedBase + (paceable ? 1_000_000L : 0) + i;
        final long size = i % 7 == 0 ? 0 : 1 + Math.floorMod(seed * 2_654_435_761L, 1_000_000L);
        final File f = new File(dir + i + ".bin", size, seed, TestData.sha256(size, seed), i % 2 == 0);
        final Behaviour b = paceable && i % 4 == 1 ? Behaviour.generated(size, seed).rateLimited(1024 * 1024)
                : Behaviour.generated(size, seed);
        for (final TestOrigin server : servers) {
            server.put(server == origin ? f.path() : origin.url(f.path()), b);
        }
        return f;
    }

    private File nextCold() {
        return cold.computeIfAbsent(coldCursor.getAndIncrement() / 2, i -> newFile("/cold/", i, true));
    }

    /**
     * Serves the files on a stand-in upper proxy too, which gets them as absolute URLs of the origin; call before
     * {@link #start()}.
     */
    void serveAlsoOn(final TestOrigin upper) {
        servers.add(upper);
        for (final File f : hot) {
            upper.put(origin.url(f.path()), Behaviour.generated(f.size(), f.seed()));
        }
    }

    List<File> hot() {
        return hot;
    }

    /** Downloads every hot file once, so they are cached before the load starts; fails on any wrong answer. */
    void warm() throws IOException {
        for (final File f : hot) {
            final RawHttpClient.Response r = fetch(f, false);
            if (!isRight(f, r)) {
                throw new AssertionError("warming " + f.path() + " failed: " + describe(r));
            }
        }
    }

    void start() {
        running = true;
        for (int i = 0; i < clients; i++) {
            final Thread t = new Thread(this::clientLoop, "load-client-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private void clientLoop() {
        while (running) {
            synchronized (pauseLock) {
                while (paused && running) {
                    try {
                        pauseLock.wait();
                    } catch (final InterruptedException e) {
                        return;
                    }
                }
                busy++;
            }
            try {
                final File f = ThreadLocalRandom.current().nextBoolean() ? hot.get(ThreadLocalRandom.current()
                        .nextInt(hot.size())) : nextCold();
                one(f);
            } finally {
                synchronized (pauseLock) {
                    busy--;
                    pauseLock.notifyAll();
                }
            }
        }
    }

    private void one(final File f) {
        RawHttpClient.Response r = null;
        String error = null;
        try {
            r = fetch(f, false);
        } catch (final IOException e) {
            error = e.toString();
        }
        requests.incrementAndGet();
        if (r != null && isRight(f, r)) {
            right.incrementAndGet();
            bytes.addAndGet(r.bodyLength);
        } else if (r != null && r.status == 200 && r.complete) {
            silent.incrementAndGet();
            failures.add("WRONG BYTES " + f.path() + ": " + describe(r));
        } else {
            loud.incrementAndGet();
            failures.add(f.path() + ": " + (r == null ? error : describe(r)));
            final String kind = r == null ? "connection refused or reset before a status line"
                    : r.status == 200 ? "200 cut before its end" : "status " + r.status;
            synchronized (failureKinds) {
                failureKinds.merge(kind, 1, Integer::sum);
            }
        }
    }

    RawHttpClient.Response fetch(final File f, final boolean retryCaching) throws IOException {
        return RawHttpClient.exchange(proxyPort, "GET", origin.url(f.path()), false, f.headers(retryCaching));
    }

    static boolean isRight(final File f, final RawHttpClient.Response r) {
        return r.status == 200 && r.complete && r.bodyLength == f.size() && r.sha256.equals(f.sha256());
    }

    static String describe(final RawHttpClient.Response r) {
        return "status " + r.status + ", complete " + r.complete + ", " + r.bodyLength + " bytes";
    }

    Tally tally() {
        return new Tally(requests.get(), right.get(), loud.get(), silent.get(), bytes.get());
    }

    /** The failures seen so far, oldest first (for assertion messages). */
    List<String> failures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /** Loud failures so far by kind: a status, a body cut before its end, a connection that broke before. */
    Map<String, Integer> failureKinds() {
        synchronized (failureKinds) {
            return Map.copyOf(failureKinds);
        }
    }

    /** Lets the requests in flight finish and starts no new one until {@link #resume()}. */
    void pause() throws InterruptedException {
        synchronized (pauseLock) {
            paused = true;
            final long deadline = System.nanoTime() + 60_000_000_000L;
            while (busy > 0 && System.nanoTime() < deadline) {
                pauseLock.wait(100);
            }
            if (busy > 0) {
                throw new AssertionError(busy + " requests still running after 60 s");
            }
        }
    }

    void resume() {
        synchronized (pauseLock) {
            paused = false;
            pauseLock.notifyAll();
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        resume();
        for (final Thread t : threads) {
            t.join(90_000);
        }
    }
}
