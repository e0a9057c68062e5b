package io.otaproxy.proxy.internal;

import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

import io.otaproxy.api.config.RefusedConfiguration;
import io.otaproxy.proxy.internal.upstream.UpstreamSettings;
import io.otaproxy.support.internal.Refusals;

/**
 * The checks a proxy configuration must pass before it replaces the one in force, whoever wrote it: the same ranges
 * proxy_info.yml is held to, so that a console or a {@code .cfg} file cannot set what the file could not.
 */
final class ProxySettingsCheck {

    static final String PID = ProxyServlet.PID;
    static final int MAX_LIMIT = 1_000_000;
    // An hour: longer than any sensible wait for upstream or a client, short enough to catch a unit mistake.
    static final int MAX_TIMEOUT_MS = 3_600_000;
    // RFC 9110 token characters, at most 64 of them: the id travels in a Via header.
    private static final Pattern PROXY_ID = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{0,64}");

    private ProxySettingsCheck() {
    }

    /**
     * Whether the configuration may be applied. A refusal is logged as one ERROR line and shown by the admin endpoint
     * until the next valid configuration; {@code keeping} says what stays in force meanwhile.
     */
    static boolean acceptable(final ProxyServletConfig config, final String keeping) {
        final RefusedConfiguration refusal = problem(config, System.currentTimeMillis());
        if (refusal == null) {
            Refusals.accepted(PID);
            return true;
        }
        Refusals.refused(refusal, keeping);
        return false;
    }

    /** The first problem of the configuration, or null when it is valid. */
    static RefusedConfiguration problem(final ProxyServletConfig c, final long now) {
        try {
            UpstreamSettings.builder().upperProxy(c.upper_proxy());
        } catch (final IllegalArgumentException e) {
            return new RefusedConfiguration(PID, "upper.proxy", c.upper_proxy(), "not http://host[:port]", now);
        }
        if (c.listen_addr() == null || c.listen_addr().isBlank()) {
            return new RefusedConfiguration(PID, "listen.addr", c.listen_addr(), "an IP address", now);
        }
        if (c.listen_port() < 1 || c.listen_port() > 65_535) {
            return new RefusedConfiguration(PID, "listen.port", c.listen_port(), "a port from 1 to 65535", now);
        }
        if (c.upstream_connect_timeout_ms() < 1 || c.upstream_connect_timeout_ms() > MAX_TIMEOUT_MS) {
            return new RefusedConfiguration(PID, "upstream.connect.timeout.ms", c.upstream_connect_timeout_ms(),
                    "from 1 to " + MAX_TIMEOUT_MS + " ms", now);
        }
        if (c.upstream_read_timeout_ms() < 1 || c.upstream_read_timeout_ms() > MAX_TIMEOUT_MS) {
            return new RefusedConfiguration(PID, "upstream.read.timeout.ms", c.upstream_read_timeout_ms(),
                    "from 1 to " + MAX_TIMEOUT_MS + " ms", now);
        }
        final List<String> rules = c.allowed_upstreams() == null ? List.of() : Arrays.asList(c.allowed_upstreams());
        try {
            AllowedUpstreams.parse(rules);
        } catch (final IllegalArgumentException e) {
            return new RefusedConfiguration(PID, "allowed.upstreams", c.allowed_upstreams(), e.getMessage(), now);
        }
        if (c.proxy_id() != null && !PROXY_ID.matcher(c.proxy_id().trim()).matches()) {
            return new RefusedConfiguration(PID, "proxy.id", c.proxy_id(),
                    "an HTTP token of at most 64 characters, or empty", now);
        }
        if (c.max_concurrent_requests() < 1 || c.max_concurrent_requests() > MAX_LIMIT) {
            return new RefusedConfiguration(PID, "max.concurrent.requests", c.max_concurrent_requests(),
                    "from 1 to " + MAX_LIMIT, now);
        }
        if (c.max_requests_per_client() < 0 || c.max_requests_per_client() > MAX_LIMIT) {
            return new RefusedConfiguration(PID, "max.requests.per.client", c.max_requests_per_client(),
                    "from 0 (no limit) to " + MAX_LIMIT, now);
        }
        if (c.max_upstream_connections() < 0 || c.max_upstream_connections() > MAX_LIMIT) {
            return new RefusedConfiguration(PID, "max.upstream.connections", c.max_upstream_connections(),
                    "from 0 (no limit) to " + MAX_LIMIT, now);
        }
        if (c.client_header_timeout_ms() < 0 || c.client_header_timeout_ms() > MAX_TIMEOUT_MS) {
            return new RefusedConfiguration(PID, "client.header.timeout.ms", c.client_header_timeout_ms(),
                    "from 0 (none) to " + MAX_TIMEOUT_MS + " ms", now);
        }
        if (c.memory_budget_bytes() < ProxyServlet.MIN_MEMORY_BUDGET_BYTES) {
            return new RefusedConfiguration(PID, "memory.budget.bytes", c.memory_budget_bytes(),
                    "at least " + ProxyServlet.MIN_MEMORY_BUDGET_BYTES + " bytes", now);
        }
        return null;
    }
}
