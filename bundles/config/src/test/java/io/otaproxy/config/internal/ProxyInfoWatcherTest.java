package io.otaproxy.config.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public final class ProxyInfoWatcherTest {

    private static final long POLL_MS = 50;
    private static final long DEADLINE_MS = 5_000;

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    private final List<ProxyInfo> published = new CopyOnWriteArrayList<>();
    private ProxyInfoWatcher watcher;

    @After
    public void stopWatcher() {
        if (watcher != null) {
            watcher.stop();
        }
    }

    private ProxyInfoWatcher start(final Path file, final Map<String, String> overrides) {
        watcher = new ProxyInfoWatcher(file, new ProxyInfoParser(tmp.getRoot().toPath()), overrides,
                published::add, POLL_MS);
        watcher.start();
        return watcher;
    }

    /** Replaces the file in one step, as a careful editor does; the watcher copes with in-place writes too. */
    private void write(final Path file, final String text) throws IOException {
        final Path next = file.resolveSibling(file.getFileName() + ".next");
        Files.write(next, text.getBytes(StandardCharsets.UTF_8));
        Files.move(next, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void await(final String what, final BooleanSupplier condition) throws InterruptedException {
        final long deadline = System.nanoTime() + DEADLINE_MS * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private ProxyInfo last() {
        return published.get(published.size() - 1);
    }

    @Test
    public void publishesSynchronouslyAtStart() throws Exception {
        final Path file = tmp.newFile("proxy_info.yml").toPath();
        write(file, "local_ota_proxy_listen_port: 9001\n");
        start(file, Map.of());
        assertEquals(1, published.size());
        assertEquals(9001, published.get(0).listenPort());
    }

    @Test
    public void republishHandsTheSameSettingsToTheSinkAgainAndOnlyOnce() throws Exception {
        final Path file = tmp.newFile("proxy_info.yml").toPath();
        write(file, "proxy_id: gw-1\n");
        start(file, Map.of());
        watcher.republish(0);
        await("the settings to be published again", () -> published.size() == 2);
        assertEquals(published.get(0), published.get(1));
        Thread.sleep(5 * POLL_MS);
        assertEquals("polls after it publish nothing new", 2, published.size());
    }

    @Test
    public void aDelayedRepublishWaitsForItsDelay() throws Exception {
        final Path file = tmp.newFile("proxy_info.yml").toPath();
        write(file, "proxy_id: gw-1\n");
        start(file, Map.of());
        final long asked = System.nanoTime();
        watcher.republish(10 * POLL_MS);
        await("the settings to be published again", () -> published.size() == 2);
        // a lower bound only: a busy machine publishes later, never sooner
        final long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
        assertTrue("published after " + waited + " ms, before the delay", waited >= 10 * POLL_MS);
    }

    @Test
    public void anEditReachesTheSinkAndABadEditIsRefusedWhole() throws Exception {
        final Path file = tmp.newFile("proxy_info.yml").toPath();
        write(file, "disk_use_limit_soft_p: 70\n");
        start(file, Map.of());
        assertEquals(1, published.size());

        write(file, "disk_use_limit_soft_p: 60\n");
        await("the edit to be published", () -> published.size() == 2);
        assertEquals(60, last().softLimitPercent());

        // a bad edit: valid port, but soft above hard; nothing of it may be published
        write(file, "local_ota_proxy_listen_port: 9000\ndisk_use_limit_soft_p: 90\ndisk_use_limit_hard_p: 80\n");
        await("the bad edit to be refused", () -> watcher.refusals() == 1);
        assertEquals(2, published.size());
        assertEquals(60, watcher.published().softLimitPercent());
        assertEquals(8082, watcher.published().listenPort());

        write(file, "disk_use_limit_soft_p: 50\nlocal_ota_proxy_listen_port: 9000\n");
        await("the next good edit to be published", () -> published.size() == 3);
        assertEquals(50, last().softLimitPercent());
        assertEquals(9000, last().listenPort());
        assertEquals(1, watcher.refusals());
    }

    @Test
    public void anInPlaceRewriteIsPickedUp() throws Exception {
        final Path file = tmp.newFile("proxy_info.yml").toPath();
        Files.writeString(file, "log_level: info\n");
        start(file, Map.of());
        Files.writeString(file, "log_level: warn\n");
        await("the edit to be published", () -> published.size() == 2);
        assertEquals("warn", last().logLevel());
    }

    @Test
    public void anInvalidFileAtStartPublishesDefaultsWithOverrides() throws Exception {
        final Path file = tmp.newFile("proxy_info.yml").toPath();
        write(file, "enable_https: [\n");
        start(file, Map.of("local_ota_proxy_listen_port", "9100"));
        assertEquals(1, published.size());
        assertEquals(9100, published.get(0).listenPort());
        assertEquals(1, watcher.refusals());

        write(file, "enable_https: true\n");
        await("the repaired file to be published", () -> published.size() == 2);
        assertTrue(last().httpsEnabled());
        assertEquals(9100, last().listenPort());
    }

    @Test
    public void aMissingFileIsPickedUpWhenItAppears() throws Exception {
        final Path file = tmp.getRoot().toPath().resolve("later.yml");
        start(file, Map.of());
        assertEquals(1, published.size());
        assertTrue(published.get(0).proxyEnabled());

        write(file, "enable_local_ota_proxy: false\n");
        await("the new file to be published", () -> published.size() == 2);
        assertFalse(last().proxyEnabled());
    }

    @Test
    public void aDeletedFileKeepsTheLastGoodSettings() throws Exception {
        final Path file = tmp.newFile("proxy_info.yml").toPath();
        write(file, "eviction_policy: fifo\n");
        start(file, Map.of());
        Files.delete(file);
        // the watcher judges a change after two polls; give it several before concluding nothing happened
        for (int i = 0; i < 5; i++) {
            watcher.poll();
        }
        assertEquals(1, published.size());
        assertEquals("fifo", watcher.published().evictionPolicy());
    }

    @Test
    public void badOverridesAreDroppedAndTheFileStillApplies() throws Exception {
        final Path file = tmp.newFile("proxy_info.yml").toPath();
        write(file, "local_ota_proxy_listen_port: 9200\n");
        start(file, Map.of("enable_https", "perhaps"));
        assertEquals(9200, published.get(0).listenPort());
        assertFalse(published.get(0).httpsEnabled());
    }

    @Test
    public void withoutAFileTheDefaultsAndOverridesArePublished() throws Exception {
        start(null, Map.of("upper_ota_proxy", "http://1.2.3.4:8082"));
        assertEquals(1, published.size());
        assertEquals("http://1.2.3.4:8082", published.get(0).upperProxy());
    }

    @Test
    public void aFailedPublishIsRetried() throws Exception {
        final int[] calls = {0};
        watcher = new ProxyInfoWatcher(null, new ProxyInfoParser(tmp.getRoot().toPath()), Map.of(), info -> {
            if (calls[0]++ == 0) {
                throw new IOException("ConfigAdmin is not ready");
            }
            published.add(info);
        }, POLL_MS);
        watcher.start();
        assertEquals(0, published.size());
        await("the retry to succeed", () -> published.size() == 1);
    }
}
