package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;

import io.otaproxy.api.stats.RequestOutcome;

import org.junit.Test;

/** How a request's outcome is decided from the marks the cache path and the relay leave on it. */
public class RequestRecordTest {

    private final RequestRecord record = new RequestRecord("GET", "http://origin/a", 1, 2);

    @Test
    public void unmarkedMeansRelayed() {
        assertEquals(RequestOutcome.RELAY, record.outcome());
    }

    @Test
    public void theLastMarkWins() {
        record.outcome(RequestOutcome.MISS);
        record.outcome(RequestOutcome.HIT);
        assertEquals(RequestOutcome.HIT, record.outcome());
    }

    @Test
    public void anErrorStaysAnError() {
        record.outcome(RequestOutcome.ERROR);
        record.outcome(RequestOutcome.SHARED);
        assertEquals(RequestOutcome.ERROR, record.outcome());
        assertEquals("http://origin/a", record.snapshot().url());
    }
}
