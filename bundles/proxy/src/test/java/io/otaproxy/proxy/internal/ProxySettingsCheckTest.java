package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.lang.annotation.Annotation;
import java.util.Map;

import io.otaproxy.api.config.RefusedConfiguration;

import org.junit.Test;

public final class ProxySettingsCheckTest {

    /** The defaults, with the given properties changed. */
    private static ProxyServletConfig config(final Map<String, Object> changed) {
        return new ProxyServletConfig() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return ProxyServletConfig.class;
            }

            private <T> T get(final String key, final T otherwise) {
                @SuppressWarnings("unchecked")
                final T value = (T) changed.getOrDefault(key, otherwise);
                return value;
            }

            @Override
            public String upper_proxy() {
                return get("upper.proxy", "");
            }

            @Override
            public boolean enable_https() {
                return false;
            }

            @Override
            public boolean revalidate() {
                return true;
            }


            @Override
            public String listen_addr() {
                return get("listen.addr", "0.0.0.0");
            }

            @Override
            public int listen_port() {
                return get("listen.port", 8082);
            }

            @Override
            public int upstream_connect_timeout_ms() {
                return get("upstream.connect.timeout.ms", 10_000);
            }

            @Override
            public int upstream_read_timeout_ms() {
                return get("upstream.read.timeout.ms", 16_000);
            }

            @Override
            public String[] allowed_upstreams() {
                return get("allowed.upstreams", new String[0]);
            }

            @Override
            public String proxy_id() {
                return get("proxy.id", "");
            }

            @Override
            public int max_concurrent_requests() {
                return get("max.concurrent.requests", 1024);
            }

            @Override
            public int max_requests_per_client() {
                return get("max.requests.per.client", 0);
            }

            @Override
            public int max_upstream_connections() {
                return get("max.upstream.connections", 256);
            }

            @Override
            public int client_header_timeout_ms() {
                return get("client.header.timeout.ms", 30_000);
            }

            @Override
            public long memory_budget_bytes() {
                return get("memory.budget.bytes", ProxyServlet.DEFAULT_MEMORY_BUDGET_BYTES);
            }
        };
    }

    private static void assertRefused(final String key, final Object value) {
        final RefusedConfiguration refusal = ProxySettingsCheck.problem(config(Map.of(key, value)), 7);
        assertEquals(key + " = " + value, key, refusal == null ? null : refusal.key());
        assertEquals("io.otaproxy.proxy", refusal.pid());
    }

    @Test
    public void theDefaultsAndTheLimitsOfEachRangePass() {
        assertNull(ProxySettingsCheck.problem(config(Map.of()), 7));
        assertNull(ProxySettingsCheck.problem(config(Map.of("listen.port", 65_535, "max.concurrent.requests", 1,
                "max.upstream.connections", 0, "client.header.timeout.ms", 0, "upper.proxy", "http://10.0.0.1:8082",
                "allowed.upstreams", new String[] {"*.example.com:443", "10.0.0.0/8"}, "proxy.id", "gw-7")), 7));
    }

    @Test
    public void eachInvalidValueIsRefusedByItsKey() {
        assertRefused("upper.proxy", "ftp://10.0.0.1");
        assertRefused("listen.addr", " ");
        assertRefused("listen.port", 0);
        assertRefused("listen.port", 70_000);
        assertRefused("upstream.connect.timeout.ms", 0);
        assertRefused("upstream.read.timeout.ms", -1);
        assertRefused("allowed.upstreams", new String[] {"10.0.0.0/33"});
        assertRefused("proxy.id", "two words");
        assertRefused("max.concurrent.requests", 0);
        assertRefused("max.requests.per.client", -1);
        assertRefused("max.upstream.connections", 2_000_000);
        assertRefused("client.header.timeout.ms", -5);
        assertRefused("memory.budget.bytes", 1L << 20);
    }

    @Test
    public void theRefusalShowsTheValueAsWritten() {
        final RefusedConfiguration refusal = ProxySettingsCheck.problem(
                config(Map.of("allowed.upstreams", new String[] {"ok.example.com", "bad rule"})), 7);
        assertEquals("[ok.example.com, bad rule]", refusal.value());
        assertEquals(7, refusal.atMillis());
    }
}
