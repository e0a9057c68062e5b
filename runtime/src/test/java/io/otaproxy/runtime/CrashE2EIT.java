package io.otaproxy.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * kill -9 of the proxy in the middle of fills, then a restart on the same cache: every byte served is right. One
 * round on a single fill, and a suite of rounds (a few in {@code mvn verify}, {@code -Dreliability.rounds=N} for
 * more) that each kill a cold multi-client download at a random moment.
 */
public class CrashE2EIT {

    /** How far a commit may lag behind the delivery of its verified body (fsync, rename, journal), under load. */
    private static final long COMMIT_LAG_NANOS = 3_000_000_000L;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private TestOrigin origin;
    private ProxyProcess proxy;

    @After
    public void stop() throws InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
        if (origin != null) {
            origin.close();
        }
    }

    private ProxyProcess start(final Path cache, final int port) throws Exception {
        return ProxyProcess.start(tmp.getRoot().toPath(), List.of(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--cache-dir", cache.toString());
    }

    @Test
    public void killDuringAFillLeavesOnlyCompleteEntries() throws Exception {
        origin = TestOrigin.start();
        final Path cache = tmp.newFolder("cache").toPath();
        final int port = ProxyProcess.freePort();
        proxy = start(cache, port);

        final byte[] small = TestData.generate(100_000, 41);
        origin.put("/committed", small);
        assertArrayEquals(small, RawHttpClient.get(port, origin.url("/committed")).body);

        final long size = 16L * 1024 * 1024;
        origin.put("/big.img", Behaviour.generated(size, 42).rateLimited(2L * 1024 * 1024));
        final CompletableFuture<RawHttpClient.Response> download = CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttpClient.exchange(port, "GET", origin.url("/big.img"), false);
            } catch (final IOException e) {
                return null; // a reset during the kill is a failed download, as it should be
            }
        });
        Thread.sleep(2500); // about 5 MiB of 16 are on disk
        proxy.kill();
        final RawHttpClient.Response cut = download.get(30, TimeUnit.SECONDS);
        assertTrue("the interrupted download is not complete", cut == null || !cut.complete);

        proxy = start(cache, port);
        assertNoTemporaryFiles(cache);
        final int bigBefore = origin.requestCount("/big.img");
        origin.put("/big.img", Behaviour.generated(size, 42)); // full speed now
        final RawHttpClient.Response again = RawHttpClient.exchange(port, "GET", origin.url("/big.img"), false);
        assertTrue(again.complete);
        assertEquals(TestData.sha256(size, 42), again.sha256);
        assertEquals("the half-written fill was not kept as an entry", bigBefore + 1, origin.requestCount("/big.img"));

        final RawHttpClient.Response kept = RawHttpClient.get(port, origin.url("/committed"));
        assertArrayEquals(small, kept.body);
        assertEquals("the entry committed before the kill survives it", 1, origin.requestCount("/committed"));
        assertFalse(proxy.logged("Exception in thread"));
    }

    /**
     * Each round: a fresh origin with a fresh data set, several clients downloading it cold, kill -9 at a random
     * moment, the origin gone, a restart on the same cache. Then: a complete answer before the kill had the right
     * bytes, a cut one looked cut; no temporary file is left; every file of every round so far that the proxy
     * still serves is byte-exact, every file some client received complete is still served, and the data
     * directory holds exactly the entries served (no orphan).
     */
    @Test
    public void killsAtRandomMomentsOfColdMultiClientDownloads() throws Exception {
        final int rounds = Integer.getInteger("reliability.rounds", 3);
        final int clients = Integer.getInteger("reliability.clients", 4);
        // small seeds: the data set derives its files' seeds from it, and they must stay positive
        final long seed = Long.getLong("reliability.seed", 1 + Math.floorMod(System.nanoTime(), 1_000_000L));
        final Random random = new Random(seed);
        final Path cache = tmp.newFolder("cache").toPath();
        final int port = ProxyProcess.freePort();
        proxy = start(cache, port);
        final List<CrashRounds.Request> everything = new ArrayList<>();
        long served = 0;
        long cutTotal = 0;
        long bytesTotal = 0;
        for (int round = 0; round < rounds; round++) {
            final String name = "round " + (round + 1) + " of " + rounds + " (seed " + seed + ")";
            origin = TestOrigin.start();
            final OtaDataSet data = OtaDataSet.generate(10, 60, 10, 1, seed * 1_000 + round);
            final List<CrashRounds.Request> requests = CrashRounds.serve(origin, data);
            final CrashRounds.Outcome outcome = new CrashRounds.Outcome();
            final AtomicBoolean killed = new AtomicBoolean();
            final List<Thread> threads = CrashRounds.download(port, requests, clients, outcome, killed);
            final long killAfter = 50 + random.nextInt(4_000);
            Thread.sleep(killAfter);
            killed.set(true);
            final long killNanos = System.nanoTime();
            proxy.kill();
            for (final Thread t : threads) {
                t.join(60_000);
            }
            origin.close(); // from now on only the cache can answer
            origin = null;
            everything.addAll(requests);
            assertEquals(name + ": complete answers with wrong bytes", List.of(), outcome.wrong);
            assertEquals(name + ": failures before the kill", List.of(), outcome.failedBeforeKill);

            proxy = start(cache, port);
            assertNoTemporaryFiles(cache);
            final Set<String> identities = new HashSet<>();
            int servedNow = 0;
            int lostInCommitWindow = 0;
            for (final CrashRounds.Request q : everything) {
                final RawHttpClient.Response r = RawHttpClient.exchange(port, "GET", q.url(), false, q.headers());
                if (r.status == 200 && r.complete) {
                    assertTrue(name + ": served after the restart with wrong bytes: " + q.url(), q.isRight(r));
                    identities.add(q.identity());
                    servedNow++;
                } else {
                    assertEquals(name + ": not cached, so upstream is asked and is gone: " + q.url(), 502, r.status);
                    // A client gets a verified body before it is durable (no client waits for fsync): what arrived
                    // in the last moments before the kill may be gone, but never what arrived well before it.
                    final Long deliveredAt = outcome.delivered.get(q);
                    assertTrue(name + ": received complete " + (deliveredAt == null ? 0
                            : (killNanos - deliveredAt) / 1_000_000) + " ms before the kill, lost after it: " + q.url(),
                            deliveredAt == null || killNanos - deliveredAt < COMMIT_LAG_NANOS);
                    if (deliveredAt != null) {
                        lostInCommitWindow++;
                    }
                }
            }
            assertEntriesOnDisk(name, cache, identities.size());
            System.out.println("RELIABILITY crash " + name + ": killed after " + killAfter + " ms; "
                    + lostInCommitWindow + " delivered within " + COMMIT_LAG_NANOS / 1_000_000
                    + " ms of the kill and not yet committed; "
                    + outcome.right + " complete and right (the first after " + outcome.firstRightMillis + " ms), "
                    + outcome.cut + " cut by the kill, 0 wrong; "
                    + servedNow + " of " + everything.size() + " files served after the restart, all byte-exact, "
                    + identities.size() + " entries on disk, no leftovers");
            served += servedNow;
            cutTotal += outcome.cut;
            bytesTotal += outcome.bytes;
        }
        System.out.println("RELIABILITY crash suite: " + rounds + " kill -9 rounds, " + clients + " clients, "
                + cutTotal + " transfers cut, " + bytesTotal + " bytes delivered before kills, " + served
                + " cached answers checked after restarts, 0 wrong bytes, 0 leftovers");
        assertFalse(proxy.logged("Exception in thread"));
    }

    /** Once the start-up check has run, the data directory holds exactly one file per entry served. */
    private static void assertEntriesOnDisk(final String name, final Path cache, final int expected)
            throws IOException, InterruptedException {
        final Path data = cache.resolve("v1").resolve("data");
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            final List<Path> files;
            try (Stream<Path> walk = Files.isDirectory(data) ? Files.walk(data) : Stream.empty()) {
                files = walk.filter(Files::isRegularFile).toList();
            }
            if (files.size() == expected) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(name + ": " + files.size() + " files in the data directory for " + expected
                        + " entries served");
            }
            Thread.sleep(100);
        }
    }

    private static void assertNoTemporaryFiles(final Path cache) throws IOException, InterruptedException {
        final Path tmpDir = cache.resolve("v1").resolve("tmp");
        final long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            final List<Path> left;
            try (Stream<Path> files = Files.isDirectory(tmpDir) ? Files.list(tmpDir) : Stream.empty()) {
                left = files.toList();
            }
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("temporary files left after restart: " + left);
            }
            Thread.sleep(100);
        }
    }
}
