package io.otaproxy.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The status page as a person sees it: the runnable jar serves a paced download, headless Chromium loads
 * {@code /status} from the admin port and runs its script, and the DOM it builds shows that download with its URL,
 * a progress bar part-way and its reader; once the download is done, the page shows it gone and counted.
 */
public class StatusPageE2EIT {

    private static final long SIZE = 4L * 1024 * 1024;
    // about 16 s for the whole body: long enough to load the page while it runs
    private static final long RATE = 256 * 1024;

    private static final Pattern DOWNLOAD_ROW = Pattern.compile("<tr class=\"download\" data-key=\"([0-9a-f]{64})\""
            + " data-received=\"(\\d+)\" data-expected=\"(-?\\d+)\" data-readers=\"(\\d+)\">"
            + "<td class=\"url\"[^>]*>([^<]*)</td><td><progress value=\"(\\d+)\" max=\"(\\d+)\"></progress></td>"
            + "<td class=\"num bytes\">([^<]*)</td>");
    private static final Pattern REQUESTS_ROW = Pattern.compile(
            "<tr id=\"requests\"><td class=\"num\">(\\d+)</td><td class=\"num\">(\\d+)</td>");

    private static HeadlessChromium chromium;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private TestOrigin origin;
    private ProxyProcess proxy;

    @BeforeClass
    public static void installChromium() throws Exception {
        chromium = HeadlessChromium.installed();
    }

    @Before
    public void startOrigin() {
        origin = TestOrigin.start();
    }

    @After
    public void stop() throws InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
        origin.close();
    }

    @Test
    public void aRunningDownloadAppearsWithItsProgressAndLeavesWhenDone() throws Exception {
        final int port = ProxyProcess.freePort();
        final int adminPort = ProxyProcess.freePort();
        proxy = ProxyProcess.start(tmp.getRoot().toPath(), List.of(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--admin-port", Integer.toString(adminPort), "--cache-dir",
                tmp.newFolder("cache").toString());
        origin.put("/firmware/ecu-7.img", Behaviour.generated(SIZE, 91).rateLimited(RATE));
        final String url = origin.url("/firmware/ecu-7.img");
        final CompletableFuture<RawHttpClient.Response> client = CompletableFuture.supplyAsync(() -> {
            try {
                return RawHttpClient.get(port, url);
            } catch (final IOException e) {
                throw new IllegalStateException(e);
            }
        });
        awaitDownloadInStatus(adminPort, url);

        final String statusUrl = "http://127.0.0.1:" + adminPort + "/status";
        final String during = chromium.dumpDom(statusUrl, 3_000, tmp.newFolder("profile-1").toPath());
        final Matcher row = DOWNLOAD_ROW.matcher(during);
        assertTrue("no download row in the page:\n" + during, row.find());
        assertEquals(url, row.group(5));
        final long received = Long.parseLong(row.group(2));
        assertTrue("part-way: " + received, received > 0 && received < SIZE);
        assertEquals(SIZE, Long.parseLong(row.group(3)));
        assertEquals("the client reading it", 1, Integer.parseInt(row.group(4)));
        assertEquals("the progress bar shows the bytes received", received, Long.parseLong(row.group(6)));
        assertEquals("of the whole length", SIZE, Long.parseLong(row.group(7)));
        assertTrue(row.group(8), row.group(8).contains(" of 4.0 MiB ("));
        assertFalse("one download only", row.find());

        final RawHttpClient.Response response = client.get(60, TimeUnit.SECONDS);
        assertEquals(200, response.status);
        assertEquals(TestData.sha256(SIZE, 91), response.sha256);

        final String after = chromium.dumpDom(statusUrl, 2_000, tmp.newFolder("profile-2").toPath());
        assertFalse("the finished download is gone:\n" + after, DOWNLOAD_ROW.matcher(after).find());
        final Matcher requests = REQUESTS_ROW.matcher(after);
        assertTrue("no request counters in the page:\n" + after, requests.find());
        assertEquals("hits", "0", requests.group(1));
        assertEquals("misses", "1", requests.group(2));
        assertTrue(after, after.contains("Cache: 1 entries, 4.0 MiB"));
        assertTrue(after, after.contains(">Proxy: serving.<"));
    }

    /** Waits until the proxy reports the download with some bytes, so the page is loaded while it runs. */
    private static void awaitDownloadInStatus(final int adminPort, final String url) throws Exception {
        final Pattern progress = Pattern.compile("\"url\":\"" + Pattern.quote(url) + "\",\"state\":\"downloading\","
                + "\"bytesReceived\":([1-9]\\d*)");
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        String last = "";
        while (System.nanoTime() < deadline) {
            final RawHttpClient.Response r = RawHttpClient.exchange(adminPort, "GET", "/api/status", true);
            last = r.bodyText();
            if (r.status == 200 && progress.matcher(last).find()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the download never showed in /api/status; last: " + last);
    }
}
