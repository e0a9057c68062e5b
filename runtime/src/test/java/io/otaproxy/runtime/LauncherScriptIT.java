package io.otaproxy.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** End-to-end: {@code bin/ota-proxy} starts the jar with the heap and collector chosen for a gateway. */
public class LauncherScriptIT {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final TestOrigin origin = TestOrigin.start();
    private ProxyProcess proxy;

    @After
    public void stop() throws InterruptedException {
        if (proxy != null) {
            proxy.close();
        }
        origin.close();
    }

    @Test
    public void theScriptBoundsTheHeapAndServes() throws Exception {
        final int port = ProxyProcess.freePort();
        final Path cache = tmp.newFolder("cache").toPath();
        proxy = ProxyProcess.startScript(tmp.getRoot().toPath(), "--host", "127.0.0.1", "--port",
                Integer.toString(port), "--cache-dir", cache.toString());
        final List<String> log = proxy.output();
        assertTrue("the heap chosen by the script: " + log, log.stream()
                .anyMatch(l -> l.contains("max heap 12") && l.contains("collectors Copy, MarkSweepCompact")));
        final byte[] body = TestData.generate(300_000, 5);
        origin.put("/f", body);
        final RawHttpClient.Response r = RawHttpClient.get(port, origin.url("/f"));
        assertEquals(200, r.status);
        assertArrayEquals(body, r.body);
        final int code = proxy.terminate();
        assertTrue("exit code " + code + " after SIGTERM", code == 0 || code == 143);
    }

    /**
     * The C heap is trimmed every second when the JDK takes the option, and the option is left out, never failing
     * the start, when it does not; the answer is asked once per JDK and kept. A stand-in {@code java} records the
     * options it is started with and says yes or no to the probe.
     */
    @Test
    public void theNativeHeapTrimIsUsedOnlyWhereTheJdkTakesIt() throws Exception {
        for (final boolean takes : new boolean[] {true, false}) {
            final Path dir = tmp.newFolder().toPath();
            final Path args = dir.resolve("args");
            final Path probes = dir.resolve("probes");
            final Path fakeJava = dir.resolve("java");
            Files.writeString(fakeJava, "#!/bin/sh\n"
                    + "case \"$*\" in *-version*) echo probe >> '" + probes + "'; "
                    + (takes ? "exit 0" : "echo 'Unrecognized VM option' >&2; exit 1") + ";; esac\n"
                    + "echo \"$*\" >> '" + args + "'\n");
            assertTrue(fakeJava.toFile().setExecutable(true));
            for (int start = 0; start < 2; start++) {
                final ProcessBuilder builder = new ProcessBuilder("sh", System.getProperty("otaproxy.script"));
                builder.environment().put("JAVA", fakeJava.toString());
                builder.environment().put("OTA_PROXY_JAR", System.getProperty("otaproxy.jar"));
                builder.environment().put("OTA_PROXY_CDS_DIR", dir.resolve("cds").toString());
                builder.redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile());
                assertEquals(0, builder.start().waitFor());
            }
            final List<String> starts = Files.readAllLines(args);
            assertEquals(2, starts.size());
            for (final String line : starts) {
                assertEquals(line, takes, line.contains("-XX:TrimNativeHeapInterval=1000"));
                assertTrue(line, line.contains("-Xmx128m")
                        && line.endsWith("-jar " + System.getProperty("otaproxy.jar")));
            }
            assertEquals("asked once, then remembered", 1, Files.readAllLines(probes).size());
        }
    }
}
