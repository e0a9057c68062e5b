package io.otaproxy.admin.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import io.otaproxy.api.config.RefusedConfiguration;
import io.otaproxy.api.space.SpaceState;
import io.otaproxy.api.space.SpaceZone;
import io.otaproxy.api.stats.ActiveRequest;
import io.otaproxy.api.stats.CacheStatistics;
import io.otaproxy.api.stats.ErrorRecord;
import io.otaproxy.api.stats.FillProgress;
import io.otaproxy.api.stats.ProxyStatistics;
import io.otaproxy.api.stats.RequestOutcome;

import org.junit.Test;

/** The snapshot's merging of proxy and cache data, and its three renderings: Prometheus, JSON and shell text. */
public final class StatusFormatsTest {

    private static final String KEY_A = "a".repeat(64);
    private static final String KEY_B = "b".repeat(64);

    /** Values a proxy would report; the snapshot must carry each to the right place. */
    private static final class Proxy implements ProxyStatistics {
        final Map<RequestOutcome, Long> requests = new EnumMap<>(RequestOutcome.class);
        final List<ActiveRequest> active = new ArrayList<>();
        final List<ErrorRecord> errors = new ArrayList<>();
        boolean serving = true;

        @Override
        public boolean serving() {
            return serving;
        }

        @Override
        public long requests(final RequestOutcome outcome) {
            return requests.getOrDefault(outcome, 0L);
        }

        @Override
        public long bytesServed() {
            return 5_000;
        }

        @Override
        public long bytesFromUpstream() {
            return 7_000;
        }

        @Override
        public long upstreamErrors() {
            return 3;
        }

        @Override
        public List<ActiveRequest> activeRequests() {
            return active;
        }

        @Override
        public List<ErrorRecord> recentErrors() {
            return errors;
        }
    }

    private static final class Cache implements CacheStatistics {
        final List<FillProgress> fills = new ArrayList<>();
        final List<ErrorRecord> errors = new ArrayList<>();

        @Override
        public long entries() {
            return 12;
        }

        @Override
        public long usedBytes() {
            return 1_048_576;
        }

        @Override
        public List<FillProgress> fills() {
            return fills;
        }

        @Override
        public long evictedEntries() {
            return 4;
        }

        @Override
        public long evictedBytes() {
            return 4_096;
        }

        @Override
        public long integrityFailures() {
            return 2;
        }

        @Override
        public long upstreamFailures() {
            return 1;
        }

        @Override
        public List<ErrorRecord> recentErrors() {
            return errors;
        }
    }

    private final Proxy proxy = new Proxy();
    private final Cache cache = new Cache();
    private final SpaceState space = new SpaceState(SpaceZone.ABOVE_SOFT, 1_000_000, 250_000, 1_048_576, 70, 80, 0,
            42);

    private StatusReport report() {
        proxy.requests.put(RequestOutcome.HIT, 10L);
        proxy.requests.put(RequestOutcome.MISS, 6L);
        proxy.requests.put(RequestOutcome.ERROR, 1L);
        proxy.active.add(new ActiveRequest("http://origin/a.bin", KEY_A, 100));
        proxy.active.add(new ActiveRequest("http://origin/relayed", null, 101));
        proxy.errors.add(new ErrorRecord(300, "http://origin/x: upstream unreachable: refused"));
        cache.fills.add(new FillProgress(KEY_B, "downloading", 10, -1, 1, 200));
        cache.fills.add(new FillProgress(KEY_A, "downloading", 300, 1_000, 2, 150));
        cache.errors.add(new ErrorRecord(250, "download of " + KEY_B + " refused: wrong sha256"));
        return StatusReport.take(1_000, proxy, cache, space, false, List.of(
                new RefusedConfiguration("io.otaproxy.disk", "hard.limit.percent", -5, "a percentage from 1 to 100", 900)));
    }

    @Test
    public void downloadsGetTheUrlOfARequestReadingThemAndComeOldestFirst() {
        final StatusReport r = report();
        assertEquals(2, r.downloads().size());
        final Download a = r.downloads().get(0);
        assertEquals(KEY_A, a.key());
        assertEquals("http://origin/a.bin", a.url());
        assertEquals(300, a.bytesReceived());
        assertEquals(1_000, a.expectedBytes());
        assertEquals(2, a.readers());
        assertNull("no request names the other key", r.downloads().get(1).url());
        assertEquals(2, r.activeRequests());
    }

    @Test
    public void errorsOfBothPartsAreMergedInTimeOrder() {
        final List<ReportedError> errors = report().recentErrors();
        assertEquals(2, errors.size());
        assertEquals("cache", errors.get(0).source());
        assertEquals("proxy", errors.get(1).source());
    }

    @Test
    public void aRefusedConfigurationIsShownWithItsKeyAndValue() {
        final StatusReport r = report();
        assertTrue(StatusJson.render(r).contains("\"refusedConfigurations\":[{\"time\":900,\"pid\":\"io.otaproxy.disk\","
                + "\"key\":\"hard.limit.percent\",\"value\":\"-5\""));
        assertTrue(StatusText.render(r).contains("refused configurations: 1\n"));
        assertTrue(StatusText.render(r).contains("io.otaproxy.disk: hard.limit.percent = -5 refused"));
    }

    @Test
    public void onlyTheNewestErrorsAreKept() {
        for (int i = 0; i < 30; i++) {
            proxy.errors.add(new ErrorRecord(1_000 + i, "error " + i));
        }
        final List<ReportedError> errors = report().recentErrors();
        assertEquals(StatusReport.MAX_ERRORS, errors.size());
        assertEquals("error 29", errors.get(errors.size() - 1).message());
    }

    @Test
    public void aProxyThatIsNotServingIsShownAsSuchEverywhere() {
        final StatusReport serving = report();
        assertTrue(serving.proxyServing());
        assertTrue(StatusText.render(serving).startsWith("proxy:     serving\n"));
        assertTrue(PrometheusText.render(serving).contains("otaproxy_proxy_serving 1\n"));
        assertTrue(StatusJson.render(serving).contains("\"serving\":true"));
        proxy.serving = false; // its statistics are there, the servlet is not (a refused configuration)
        final StatusReport away = report();
        assertFalse(away.proxyServing());
        assertTrue(StatusText.render(away).contains("proxy:     not serving"));
        assertTrue(PrometheusText.render(away).contains("otaproxy_proxy_serving 0\n"));
        assertTrue(StatusJson.render(away).contains("\"serving\":false"));
    }

    @Test
    public void missingServicesLeaveTheirPartsEmpty() {
        final StatusReport r = StatusReport.take(1, null, null, null, true, List.of());
        assertFalse(r.proxyServing());
        assertFalse(r.cachePresent());
        assertEquals(0, r.requests(RequestOutcome.HIT));
        assertTrue(r.downloads().isEmpty());
        assertEquals(-1, r.diskUsedBytes());
        assertTrue(PrometheusText.render(r).contains("otaproxy_cache_enabled 0\n"));
        assertFalse("no disk gauges without a measurement", PrometheusText.render(r).contains("otaproxy_disk_"));
        assertTrue(StatusJson.render(r).contains("\"disk\":null"));
        assertTrue(StatusText.render(r).contains("cache:     not running"));
        assertTrue(StatusText.render(r).contains("proxy:     not serving"));
        assertTrue(PrometheusText.render(r).contains("otaproxy_proxy_serving 0\n"));
        assertTrue(StatusJson.render(r).contains("\"serving\":false"));
    }

    @Test
    public void prometheusTextHasEveryMetricWithItsTypeAndValue() {
        final String text = PrometheusText.render(report());
        for (final String line : List.of(
                "# TYPE otaproxy_requests_total counter",
                "otaproxy_requests_total{outcome=\"hit\"} 10",
                "otaproxy_requests_total{outcome=\"miss\"} 6",
                "otaproxy_requests_total{outcome=\"shared\"} 0",
                "otaproxy_requests_total{outcome=\"relay\"} 0",
                "otaproxy_requests_total{outcome=\"error\"} 1",
                "otaproxy_served_bytes_total 5000",
                "otaproxy_upstream_bytes_total 7000",
                "otaproxy_upstream_errors_total{stage=\"request\"} 3",
                "otaproxy_upstream_errors_total{stage=\"fill\"} 1",
                "# TYPE otaproxy_fills_in_flight gauge",
                "otaproxy_fills_in_flight 2",
                "otaproxy_fill_readers 3",
                "otaproxy_cache_size_bytes 1048576",
                "otaproxy_cache_entries 12",
                "otaproxy_evictions_total 4",
                "otaproxy_evicted_bytes_total 4096",
                "otaproxy_integrity_failures_total 2",
                "otaproxy_disk_used_bytes 750000",
                "otaproxy_disk_free_bytes 250000",
                "otaproxy_disk_soft_limit_bytes 700000",
                "otaproxy_disk_hard_limit_bytes 800000",
                "otaproxy_space_state{state=\"above_soft\"} 1",
                "otaproxy_space_state{state=\"below_soft\"} 0")) {
            assertTrue("missing line: " + line + "\n" + text, text.contains(line + "\n"));
        }
        for (final String line : text.split("\n")) {
            assertTrue("not an exposition line: " + line,
                    line.startsWith("# HELP ") || line.startsWith("# TYPE ") || line.matches("otaproxy_[a-z_]+(\\{[a-z]+=\"[a-z_]+\"\\})? -?\\d+"));
        }
    }

    @Test
    public void statusJsonCarriesTheDownloadsAndTheDisk() {
        final String json = StatusJson.render(report());
        assertTrue(json, json.contains("\"requests\":{\"hit\":10,\"miss\":6,\"shared\":0,\"relay\":0,\"error\":1}"));
        assertTrue(json, json.contains("{\"key\":\"" + KEY_A + "\",\"url\":\"http://origin/a.bin\",\"state\":"
                + "\"downloading\",\"bytesReceived\":300,\"expectedBytes\":1000,\"readers\":2,\"startedAt\":150}"));
        assertTrue(json, json.contains("\"url\":null"));
        assertTrue(json, json.contains("\"disk\":{\"state\":\"above_soft\",\"totalBytes\":1000000,\"usedBytes\":750000,"
                + "\"freeBytes\":250000,\"usedPercent\":75.0,\"softLimitPercent\":70,\"hardLimitPercent\":80"));
        assertTrue(json, json.contains("\"destructiveAllowed\":false,"));
    }

    @Test
    public void jsonEscapesWhatWouldBreakAStringOrAPage() {
        final String json = new Json().beginObject().member("m", "a\"b\\c\n</script>\u0001").endObject().toString();
        assertEquals("{\"m\":\"a\\\"b\\\\c\\n\\u003c/script>\\u0001\"}", json);
        assertEquals("[1,true,null,{}]", new Json().beginArray().value(1).value(true).nullValue().beginObject()
                .endObject().endArray().toString());
    }

    @Test
    public void shellTextNamesDownloadsAndErrors() {
        final String text = StatusText.render(report());
        assertTrue(text, text.contains("http://origin/a.bin 300 B of 1000 B, 2 readers, downloading"));
        assertTrue(text, text.contains("12 entries, 1.0 MiB"));
        assertTrue(text, text.contains("above_soft, 75.0 % used"));
        assertTrue(text, text.contains("purge and evict: disabled"));
        assertEquals("1.5 KiB", StatusText.bytes(1536));
        assertEquals("1023 B", StatusText.bytes(1023));
        assertEquals("2.0 GiB", StatusText.bytes(2L << 30));
    }
}
