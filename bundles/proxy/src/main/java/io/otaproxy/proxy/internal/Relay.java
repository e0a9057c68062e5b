package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.stats.RequestOutcome;
import io.otaproxy.proxy.internal.upstream.UpstreamClient;
import io.otaproxy.proxy.internal.upstream.UpstreamConnectException;
import io.otaproxy.proxy.internal.upstream.UpstreamException;
import io.otaproxy.proxy.internal.upstream.UpstreamRefusedException;
import io.otaproxy.proxy.internal.upstream.UpstreamRequest;
import io.otaproxy.proxy.internal.upstream.UpstreamResponse;
import io.otaproxy.proxy.internal.upstream.UpstreamSettings;
import io.otaproxy.proxy.internal.upstream.UpstreamTarget;
import io.otaproxy.proxy.internal.upstream.UpstreamTimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays one request to upstream and streams the answer back as it arrives. Owns the upstream client for one
 * configuration; a configuration change makes a new Relay and retires this one once its transfers end.
 */
final class Relay {

    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    /** Large enough that a fast upstream fills Jetty's 64 KiB output buffer in one write. */
    private static final int COPY_BUFFER = 64 * 1024;

    private final ProxySettings settings;
    private final SelfAddress selfAddress;
    private final ProxyGuard guard;
    private final UpstreamClient client;

    /** @throws IllegalArgumentException if a setting is unusable (e.g. an invalid upstream rule) */
    Relay(final ProxySettings settings) {
        this.settings = settings;
        this.selfAddress = new SelfAddress(settings.listenAddr(), settings.listenPort());
        this.guard = new ProxyGuard(AllowedUpstreams.parse(settings.allowedUpstreams()), selfAddress);
        this.client = new UpstreamClient(upstreamSettings(settings, guard));
    }

    private static UpstreamSettings upstreamSettings(final ProxySettings settings, final ProxyGuard guard) {
        return UpstreamSettings.builder()
                .upperProxy(settings.hasUpperProxy() ? settings.upperProxy() : null)
                .connectTimeoutMillis(settings.connectTimeoutMillis())
                .readTimeoutMillis(settings.readTimeoutMillis())
                .maxConnections(settings.maxUpstreamConnections())
                .guard(guard)
                .build();
    }

    ProxyGuard guard() {
        return guard;
    }

    ProxySettings settings() {
        return settings;
    }

    SelfAddress selfAddress() {
        return selfAddress;
    }

    /** Stops pooling connections; transfers in flight finish on the connections they hold. */
    void retire() {
        client.close();
    }

    void relay(final HttpServletRequest request, final HttpServletResponse response, final ProxyTarget target,
            final boolean head) throws IOException {
        final UpstreamResponse upstream = open(request, response, target, head, false);
        if (upstream != null) {
            relayResponse(upstream, request, response, target, head);
        }
    }

    /**
     * Sends the request upstream. On failure the client gets 502 or 504 (the response has not started) and the
     * result is null.
     *
     * @param whole ask for the whole, unconditional body (a cache fill), whatever the client asked for
     */
    UpstreamResponse open(final HttpServletRequest request, final HttpServletResponse response,
            final ProxyTarget target, final boolean head, final boolean whole) throws IOException {
        final ProxyTarget upstreamTarget = settings.upgradeToHttps() ? target.withScheme("https") : target;
        try {
            return client.send(new UpstreamRequest(head ? "HEAD" : "GET",
                    new UpstreamTarget(upstreamTarget.scheme(), upstreamTarget.host(), upstreamTarget.port(),
                            upstreamTarget.authority(), upstreamTarget.rawPathAndQuery()),
                    requestHeaders(request, whole)));
        } catch (final UpstreamRefusedException e) {
            LOG.debug("{}: refused: {}", target, e.getMessage());
            ProxyServlet.sendError(response, e.status(), e.getMessage());
        } catch (final UpstreamTimeoutException e) {
            LOG.debug("{}: upstream timed out: {}", target, e.getMessage());
            upstreamFailed(request, target, "upstream timed out: " + e.getMessage());
            ProxyServlet.sendError(response, 504, "Upstream timed out: " + e.getMessage());
        } catch (final UpstreamConnectException e) {
            LOG.debug("{}: upstream unreachable: {}", target, e.getMessage());
            upstreamFailed(request, target, "upstream unreachable: " + e.getMessage());
            ProxyServlet.sendError(response, 502, "Failed to connect to remote: " + e.getMessage());
        } catch (final UpstreamException e) {
            LOG.debug("{}: bad upstream response: {}", target, e.getMessage());
            upstreamFailed(request, target, "bad upstream response: " + e.getMessage());
            ProxyServlet.sendError(response, 502, "Bad response from remote: " + e.getMessage());
        } catch (final IllegalArgumentException e) {
            RequestRecord.mark(request, RequestOutcome.ERROR);
            ProxyServlet.sendError(response, 400, "Invalid request: " + e.getMessage());
        }
        return null;
    }

    /** Streams an upstream response to the client as it arrives, and closes it. */
    void relayResponse(final UpstreamResponse upstream, final HttpServletRequest request,
            final HttpServletResponse response, final ProxyTarget target, final boolean head) throws IOException {
        try (upstream) {
            copyHead(upstream, response, !head && "HTTP/1.1".equals(request.getProtocol()));
            if (!head) {
                copyBody(upstream, request, response, target);
            }
        }
    }

    /** Counts an upstream failure of this request and marks the request as failed. */
    private static void upstreamFailed(final HttpServletRequest request, final ProxyTarget target,
            final String message) {
        RequestRecord.mark(request, RequestOutcome.ERROR);
        ProxyActivity.INSTANCE.upstreamError(target.toString(), message);
    }

    private List<Map.Entry<String, String>> requestHeaders(final HttpServletRequest request, final boolean whole) {
        final Set<String> connection = ProxyServlet.connectionTokens(request);
        final List<Map.Entry<String, String>> headers = new ArrayList<>();
        for (final String name : Collections.list(request.getHeaderNames())) {
            if (HeaderPolicy.forwardRequestHeader(name, connection, settings.hasUpperProxy())
                    && !(whole && HeaderPolicy.isPartialOrConditional(name))) {
                for (final String value : Collections.list(request.getHeaders(name))) {
                    headers.add(Map.entry(name, value));
                }
            }
        }
        // mark the request, so that it is recognised if it ever comes back through a chain of proxies
        headers.add(Map.entry(ViaHeader.NAME, ViaHeader.entry(request.getProtocol(), settings.proxyId())));
        return headers;
    }

    private static void copyHead(final UpstreamResponse upstream, final HttpServletResponse response,
            final boolean chunkable) {
        response.setStatus(upstream.status());
        final Set<String> connection = HeaderPolicy.connectionTokens(upstream.headers().values("Connection"));
        for (final Map.Entry<String, String> header : upstream.headers().all()) {
            if (HeaderPolicy.forwardResponseHeader(header.getKey(), connection)) {
                response.addHeader(header.getKey(), header.getValue());
            }
        }
        if (upstream.contentLength() >= 0) {
            response.setContentLengthLong(upstream.contentLength());
        } else if (chunkable) {
            // Without a length, a client that asked to close would get a body ended by the close, and an abort
            // would look like a clean end. Chunked framing keeps an abort visible: no terminating chunk.
            response.setHeader("Transfer-Encoding", "chunked");
        }
    }

    /**
     * Streams the body. A failure of upstream after the response has started must not look like a complete
     * response, so it is rethrown: the container then aborts the connection instead of ending the body cleanly.
     */
    private static void copyBody(final UpstreamResponse upstream, final HttpServletRequest request,
            final HttpServletResponse response, final ProxyTarget target) throws IOException {
        final InputStream in = upstream.body();
        final OutputStream out = response.getOutputStream();
        final byte[] buffer = new byte[COPY_BUFFER];
        long copied = 0;
        int n;
        while (true) {
            try {
                n = in.read(buffer);
            } catch (final IOException e) {
                upstream.abort();
                LOG.warn("{}: upstream failed after {} bytes, aborting the client connection: {}", target, copied,
                        e.toString());
                upstreamFailed(request, target, "upstream failed after " + copied + " bytes: " + e.getMessage());
                final UpstreamAbortedException failure = new UpstreamAbortedException(
                        target + ": upstream failed after " + copied + " bytes", e);
                if (ClientConnectionAbort.abort(request, failure)) {
                    return;
                }
                throw failure;
            }
            if (n < 0) {
                break;
            }
            try {
                out.write(buffer, 0, n);
                // send what we have when upstream pauses, so a slow download still streams
                if (in.available() == 0) {
                    out.flush();
                }
            } catch (final IOException e) {
                upstream.abort();
                LOG.debug("{}: client went away after {} bytes", target, copied);
                return;
            }
            copied += n;
        }
    }
}
