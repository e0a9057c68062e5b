package io.otaproxy.proxy.internal;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.stats.ActiveRequest;
import io.otaproxy.api.stats.ErrorRecord;
import io.otaproxy.api.stats.RequestOutcome;

import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's counters and its requests in flight. One per bundle: the servlet feeds it, the statistics service
 * reads it, and a new servlet instance after a configuration change keeps counting where the last one left off.
 * The hot path costs a few {@link LongAdder} increments and one set insert and removal per request.
 */
final class ProxyActivity {

    static final ProxyActivity INSTANCE = new ProxyActivity();

    /** Enough to see what went wrong lately without keeping a log in memory. */
    static final int RECENT_ERRORS = 20;

    private static final Logger LOG = LoggerFactory.getLogger(ProxyActivity.class);
    private static final boolean JETTY = jettyPresent();

    private final Map<RequestOutcome, LongAdder> requests = new EnumMap<>(RequestOutcome.class);
    private final LongAdder bytesServed = new LongAdder();
    private final LongAdder upstreamErrors = new LongAdder();
    private final Set<RequestRecord> active = ConcurrentHashMap.newKeySet();
    private final RecentErrors recentErrors = new RecentErrors(RECENT_ERRORS);
    private volatile boolean serving;

    ProxyActivity() {
        for (final RequestOutcome o : RequestOutcome.values()) {
            requests.put(o, new LongAdder());
        }
    }

    /** A request entered the servlet. */
    RequestRecord start(final HttpServletRequest request) {
        final RequestRecord record = new RequestRecord(request.getMethod(), request.getRequestURL().toString(),
                System.currentTimeMillis(), System.nanoTime());
        request.setAttribute(RequestRecord.ATTRIBUTE, record);
        active.add(record);
        return record;
    }

    /** The request left the servlet: counted once, with its outcome and the body bytes it was sent. */
    void finish(final RequestRecord record, final HttpServletResponse response) {
        active.remove(record);
        final RequestOutcome outcome = record.outcome();
        requests.get(outcome).increment();
        final long bytes = bodyBytesWritten(response);
        if (bytes > 0) {
            bytesServed.add(bytes);
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} {} {} -> {}, {} bytes in {} ms", outcome.name().toLowerCase(java.util.Locale.ROOT),
                    record.method(), record.url(), response.getStatus(), bytes,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - record.startedNanos()));
        }
    }

    /** The proxy servlet became active ({@code true}) or began to stop ({@code false}). */
    void serving(final boolean active) {
        serving = active;
    }

    boolean serving() {
        return serving;
    }

    /** Upstream failed for this request: counted, and kept for the status page. */
    void upstreamError(final String url, final String message) {
        upstreamErrors.increment();
        recentErrors.add(System.currentTimeMillis(), url + ": " + message);
    }

    long requests(final RequestOutcome outcome) {
        return requests.get(outcome).sum();
    }

    long bytesServed() {
        return bytesServed.sum();
    }

    long upstreamErrors() {
        return upstreamErrors.sum();
    }

    List<ActiveRequest> activeRequests() {
        final List<ActiveRequest> list = new ArrayList<>();
        for (final RequestRecord r : active) {
            list.add(r.snapshot());
        }
        return list;
    }

    List<ErrorRecord> recentErrors() {
        return recentErrors.list();
    }

    /**
     * Body bytes handed to the container, read from Jetty's output stream (which counts every path: writes and
     * sendContent alike), so the copy loops need no counting of their own. -1 when not running on Jetty.
     */
    private static long bodyBytesWritten(final HttpServletResponse response) {
        if (!JETTY) {
            return -1;
        }
        try {
            return response.getOutputStream() instanceof HttpOutput out ? out.getWritten() : -1;
        } catch (final IllegalStateException | java.io.IOException e) {
            return -1; // a writer was used instead; the proxy never does
        }
    }

    private static boolean jettyPresent() {
        try {
            Class.forName("org.eclipse.jetty.ee10.servlet.HttpOutput", false, ProxyActivity.class.getClassLoader());
            return true;
        } catch (final ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
