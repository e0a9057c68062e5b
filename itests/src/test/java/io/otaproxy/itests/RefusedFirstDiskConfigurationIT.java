package io.otaproxy.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;


import io.otaproxy.testing.RawHttpClient;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;

/**
 * The disk monitor's very first configuration is invalid: the disk bundle is installed but not started, a hard
 * limit of -5 % is written directly into {@code io.otaproxy.disk}, and only then does the bundle start. Nothing is
 * measured against that limit; {@code /api/status} names the refused key and value, the proxy serves, and the first
 * valid edit starts the measurements, which {@code /api/status} then shows.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class RefusedFirstDiskConfigurationIT extends ProxyTestSupport {

    private static final String DISK_PID = "io.otaproxy.disk";
    private static final String HARD_KEY = "hard.limit.percent";

    @Override
    protected boolean startedByTheTest(final String jarName) {
        return jarName.startsWith("ota-proxy-disk-");
    }

    @Test
    public void anInvalidFirstConfigurationMeasuresNothingAndTheFirstValidEditStartsTheMeasurements()
            throws Exception {
        final Bundle disk = installedBundle("io.otaproxy.disk");
        assertTrue("the disk bundle has not run yet",
                disk.getState() == Bundle.INSTALLED || disk.getState() == Bundle.RESOLVED);
        consoleEdit(DISK_PID, HARD_KEY, -5);
        disk.start();

        awaitStatus(t -> t.contains("\"pid\":\"" + DISK_PID + "\",\"key\":\"" + HARD_KEY + "\",\"value\":\"-5\"")
                && t.contains("\"disk\":null"));
        origin.put("/served", new byte[] {1, 2});
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url("/served")).status);

        consoleEdit(DISK_PID, HARD_KEY, 95);
        awaitStatus(t -> t.contains("\"refusedConfigurations\":[]") && t.contains("\"hardLimitPercent\":95"));
    }
}
