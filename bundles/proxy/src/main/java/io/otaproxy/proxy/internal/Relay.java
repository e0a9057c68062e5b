package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.io.InputStream;
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
 * configuration; a configuration change makes a new Relay and retires this one once its transfers end. The
 * exchange with upstream runs on a transfer thread ({@link Transfers}), which reads upstream into a short queue
 * ({@link RelayedBody}); the client is written asynchronously from it, so a slow client paces upstream and holds
 * no thread of the web server.
 */
final class Relay {

    private static final Logger LOG = LoggerFactory.getLogger(Relay.class);

    /** Bytes read from upstream per step; large, so a fast upstream costs few system calls. */
    static final int READ_BUFFER = 128 * 1024;

    /** One read buffer per transfer thread, kept while the thread lives. */
    private static final ThreadLocal<byte[]> BUFFERS = ThreadLocal.withInitial(() -> new byte[READ_BUFFER]);

    private final ProxySettings settings;
    private final SelfAddress selfAddress;
    private final ProxyGuard guard;
    private final UpstreamClient client;
    private final Transfers transfers;
    private final BufferBudget budget;
    private final RelayedBody.Memory memory;

    /** @throws IllegalArgumentException if a setting is unusable (e.g. an invalid upstream rule) */
    Relay(final ProxySettings settings, final Transfers transfers, final BufferBudget budget,
            final RelayedBody.Memory memory) {
        this.settings = settings;
        this.transfers = transfers;
        this.budget = budget;
        this.memory = memory;
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

    Transfers transfers() {
        return transfers;
    }

    BufferBudget budget() {
        return budget;
    }

    /** The read buffer of the calling transfer thread. */
    static byte[] readBuffer() {
        return BUFFERS.get();
    }

    /**
     * Relays the request on a transfer thread; returns at once. The request is asynchronous from here on and is
     * completed by the transfer.
     */
    void relay(final HttpServletRequest request, final HttpServletResponse response, final ProxyTarget target,
            final boolean head) throws IOException {
        transfers.start(request, response, target.toString(), transfer -> {
            final UpstreamResponse upstream = open(request, response, target, head, false);
            return upstream != null && relayResponse(upstream, request, response, target, head, transfer);
        });
    }

    /**
     * Sends the request upstream. On failure the client gets 502 or 504 (the response has not started) and the
     * result is null.
     *
     * @param whole ask for the whole, unconditional body (a cache fill), whatever the client asked for
     */
    UpstreamResponse open(final HttpServletRequest request, final HttpServletResponse response,
            final ProxyTarget target, final boolean head, final boolean whole) throws IOException {
        try {
            return send(request, target, head, whole, List.of());
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

    /**
     * Sends the request upstream and returns the response head; failures are thrown, nothing is sent to the client.
     *
     * @param whole the whole, unconditional body is asked for (a cache fill or revalidation): the client's Range and
     *              conditional headers are left out
     * @param extra headers added to the request (a revalidation's validators)
     */
    UpstreamResponse send(final HttpServletRequest request, final ProxyTarget target, final boolean head,
            final boolean whole, final List<Map.Entry<String, String>> extra) throws IOException {
        final ProxyTarget upstreamTarget = settings.upgradeToHttps() ? target.withScheme("https") : target;
        final List<Map.Entry<String, String>> headers = requestHeaders(request, whole);
        headers.addAll(extra);
        return client.send(new UpstreamRequest(head ? "HEAD" : "GET",
                new UpstreamTarget(upstreamTarget.scheme(), upstreamTarget.host(), upstreamTarget.port(),
                        upstreamTarget.authority(), upstreamTarget.rawPathAndQuery()),
                headers));
    }

    /** This proxy's Via element on a response it passes on: received from upstream over HTTP/1.1. */
    String responseVia() {
        return ViaHeader.entry("HTTP/1.1", settings.proxyId());
    }

    /**
     * Sends an upstream response's head to the client and streams its body as it arrives (on the calling transfer
     * thread, paced by the client), and closes it.
     *
     * @return whether the body was handed to an asynchronous writer, which completes the request
     */
    boolean relayResponse(final UpstreamResponse upstream, final HttpServletRequest request,
            final HttpServletResponse response, final ProxyTarget target, final boolean head,
            final Transfers.Transfer transfer) throws IOException {
        try (upstream) {
            transfer.onAbort(upstream::abort);
            copyHead(upstream, response, !head && "HTTP/1.1".equals(request.getProtocol()));
            response.addHeader(ViaHeader.NAME, responseVia());
            if (head) {
                return false;
            }
            final RelayedBody body = new RelayedBody(memory);
            final long length = upstream.contentLength();
            AsyncBody.start(request, response, body,
                    List.of(new AsyncBody.Span(0, length >= 0 ? length : Long.MAX_VALUE)), budget);
            pump(upstream, body, request, target);
            return true;
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
            if (!HeaderPolicy.forwardResponseHeader(header.getKey(), connection)) {
                continue;
            }
            if (header.getKey().equalsIgnoreCase("Date")) {
                response.setHeader("Date", header.getValue()); // upstream's, in place of the server's own
            } else {
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
     * Reads the body into the queue the client is written from. A failure of upstream after the response has
     * started must not look like a complete response: the body fails, and the client connection is aborted
     * instead of ending cleanly.
     */
    private static void pump(final UpstreamResponse upstream, final RelayedBody body,
            final HttpServletRequest request, final ProxyTarget target) {
        final InputStream in = upstream.body();
        final byte[] buffer = readBuffer();
        long copied = 0;
        try {
            while (true) {
                final int n;
                try {
                    n = in.read(buffer);
                } catch (final IOException e) {
                    upstream.abort();
                    LOG.warn("{}: upstream failed after {} bytes, aborting the client connection: {}", target, copied,
                            e.toString());
                    upstreamFailed(request, target, "upstream failed after " + copied + " bytes: " + e.getMessage());
                    body.fail(new UpstreamAbortedException(target + ": upstream failed after " + copied + " bytes",
                            e));
                    return;
                }
                if (n < 0) {
                    body.end();
                    return;
                }
                if (!body.offer(buffer, 0, n)) {
                    upstream.abort();
                    LOG.debug("{}: client went away after {} bytes", target, copied);
                    return;
                }
                copied += n;
            }
        } catch (final InterruptedException e) {
            upstream.abort(); // the proxy is stopping
            body.fail(new UpstreamAbortedException(target + ": the proxy stopped after " + copied + " bytes", e));
        }
    }
}
