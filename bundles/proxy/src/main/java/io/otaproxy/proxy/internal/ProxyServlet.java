package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.cache.CacheStore;
import io.otaproxy.api.stats.RequestOutcome;
import io.otaproxy.proxy.internal.upstream.UpstreamRefusedException;
import io.otaproxy.support.internal.ClassPreload;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletAsyncSupported;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardServletPattern;
import org.osgi.service.servlet.whiteboard.propertytypes.HttpWhiteboardTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forward proxy: takes {@code GET http://host/path} from ECUs and answers it from upstream. It runs only on
 * ota-proxy's own HTTP server instance (the {@code otaproxy} factory configuration of the HTTP service), never on
 * the platform's web server, and only once configured, so no request is ever served with defaults.
 */
@Component(name = ProxyServlet.PID, service = Servlet.class, configurationPid = ProxyServlet.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ProxyServletConfig.class)
@HttpWhiteboardServletPattern("/*")
@HttpWhiteboardServletAsyncSupported
@HttpWhiteboardTarget("(org.apache.felix.http.name=otaproxy)")
public final class ProxyServlet extends HttpServlet {

    static final String PID = "io.otaproxy.proxy";

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ProxyServlet.class);
    private static final String ALLOW = "GET, HEAD";

    /** How long a stop waits for the requests in progress to end. */
    static final long DRAIN_MILLIS = 5_000;

    /** The disk cache; absent while the cache bundle is stopped or caching is off: then every request is relayed. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private transient volatile CacheStore cacheStore;

    /** Settings and the upstream client that goes with them; replaced whole on a configuration change. */
    private transient volatile Relay relay;

    /** Requests in progress, kept across configuration changes so that a new limit counts what already runs. */
    private final transient RequestLimiter limiter = new RequestLimiter(1024, 0);

    /**
     * Requests inside this servlet, counted before anything else is read: a stop waits for them. The limiter's
     * count is not enough, as a request may be past the check of {@code relay} and not yet admitted.
     */
    private final transient java.util.concurrent.atomic.AtomicInteger inside =
            new java.util.concurrent.atomic.AtomicInteger();

    /** The memory that bodies written to clients may hold, all responses together. */
    private final transient BufferBudget budget = new BufferBudget(DEFAULT_MEMORY_BUDGET_BYTES / 3 * 2,
            DirectOutput.available());

    /**
     * The proxy's memory budget unless configured: two thirds (32 MiB, 256 buffers of 128 KiB) for client writes,
     * one third (16 MiB) for the queues of bodies relayed without the cache.
     */
    static final long DEFAULT_MEMORY_BUDGET_BYTES = 48L << 20;
    /** Three quarters of the smallest memory_budget_mb (8 MiB): the proxy's share of any budget the file allows. */
    static final long MIN_MEMORY_BUDGET_BYTES = 6L << 20;

    /** Transfer threads when upstream connections are not limited. */
    static final int UNLIMITED_TRANSFER_THREADS = 256;

    /** Transfer threads beyond the upstream connections, for exchanges waiting for one. */
    static final int WAITING_TRANSFER_THREADS = 32;

    /** The bytes of relayed bodies on their way to clients. */
    private final transient RelayedBody.Memory relayMemory = new RelayedBody.Memory(DEFAULT_MEMORY_BUDGET_BYTES / 3);

    /** What a refused configuration leaves in force when no valid one came before it. */
    private static final String WAITING = "the proxy serves nothing (503) until a valid configuration arrives";

    /** The threads that talk to upstream; made with the first valid configuration, stopped at deactivation. */
    private transient volatile Transfers transfers;

    /**
     * Starts serving on a valid configuration. On a refused one the servlet is activated all the same but serves
     * nothing, answering 503 until {@link #modified} brings a valid configuration: failing the activation instead
     * would leave the proxy down for good, because the HTTP whiteboard asks for a servlet only when its service
     * appears or its whiteboard properties change, and SCR applies a later configuration of a component that has
     * no instance by updating its service properties, not by registering it anew.
     */
    @Activate
    void activate(final ProxyServletConfig config) {
        ClassPreload.all(ProxyServlet.class); // responses may outlive it
        if (ProxySettingsCheck.acceptable(config, WAITING)) {
            start(config);
        }
    }

    private void start(final ProxyServletConfig config) {
        final ProxySettings settings = ProxySettings.from(config);
        LOG.info("Activating proxy servlet: {}", settings);
        limiter.setLimits(settings.maxConcurrentRequests(), settings.maxRequestsPerClient());
        memory(config.memory_budget_bytes());
        transfers = new Transfers(transferThreads(settings));
        relay = new Relay(settings, transfers, budget, relayMemory);
        ProxyActivity.INSTANCE.serving(true);
    }

    @Modified
    void modified(final ProxyServletConfig config) {
        final boolean started = transfers != null;
        if (!ProxySettingsCheck.acceptable(config, started ? "keeping the configuration in force" : WAITING)) {
            return;
        }
        if (!started) {
            start(config);
            return;
        }
        memory(config.memory_budget_bytes());
        final ProxySettings settings = ProxySettings.from(config);
        final Relay old = relay;
        if (old != null && old.settings().equals(settings)) {
            return;
        }
        LOG.info("Modifying proxy servlet: {}", settings);
        final Relay replacement;
        try {
            replacement = new Relay(settings, transfers, budget, relayMemory);
        } catch (final IllegalArgumentException e) {
            LOG.error("Refusing the new proxy configuration, keeping the current one: {}", e.getMessage());
            return;
        }
        limiter.setLimits(settings.maxConcurrentRequests(), settings.maxRequestsPerClient());
        transfers.maxThreads(transferThreads(settings));
        relay = replacement;
        if (old != null) {
            old.retire(); // transfers in flight keep their connections and finish
        }
    }

    @Deactivate
    void deactivate() {
        LOG.info("Deactivating proxy servlet");
        ProxyActivity.INSTANCE.serving(false);
        final Relay old = relay;
        relay = null;
        if (old != null) {
            old.retire();
        }
        drain(DRAIN_MILLIS);
        final Transfers t = transfers;
        if (t != null) {
            t.stop(DRAIN_MILLIS); // what still runs is aborted: it must not outlive this bundle's classes
        }
    }

    /** Applies the memory budget live (checked already): two thirds to client write buffers, one to relayed bodies. */
    private void memory(final long bytes) {
        budget.resize(bytes / 3 * 2);
        relayMemory.limit(bytes / 3);
    }

    /**
     * One thread per upstream connection (every exchange holds one while it runs), and some more for exchanges
     * waiting for a connection to free, which get their 503 after the connect timeout.
     */
    private static int transferThreads(final ProxySettings settings) {
        final int connections = settings.maxUpstreamConnections();
        return (connections > 0 ? connections : UNLIMITED_TRANSFER_THREADS)
                + WAITING_TRANSFER_THREADS;
    }

    /**
     * Waits, at most {@code millis}, for the requests this servlet is serving to end. The HTTP whiteboard stopped
     * dispatching to it before deactivation, so none arrive meanwhile (the standby answers them). Letting them end
     * here, before the bundle stops, keeps a refresh that follows (an update) from pulling the classes from under a
     * request still being served. Transfers longer than that keep running on this instance, as they would anyway.
     */
    private void drain(final long millis) {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        int left;
        while ((left = inside.get()) > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (left > 0) {
            LOG.warn("{} request(s) still in progress after {} ms; they go on while the bundle stops", left, millis);
        }
    }

    @Override
    protected void service(final HttpServletRequest request, final HttpServletResponse response)
            throws IOException {
        inside.incrementAndGet(); // before relay is read: see drain
        final RequestRecord record = ProxyActivity.INSTANCE.start(request);
        final Completion completion = new Completion(record, response);
        request.setAttribute(Completion.ATTRIBUTE, completion);
        try {
            serve(request, response, completion);
        } catch (final IOException | RuntimeException e) {
            record.outcome(RequestOutcome.ERROR);
            throw e;
        } finally {
            if (request.isAsyncStarted()) {
                try {
                    request.getAsyncContext().addListener(completion); // the body goes on without this thread
                } catch (final IllegalStateException e) {
                    completion.run(); // completed already by another thread
                }
            } else {
                completion.run();
            }
        }
    }

    /**
     * Ends an asynchronous request: completes its context and runs what ends it here (limiter, record). Whoever
     * finishes an asynchronous response calls this rather than the context's {@code complete()}: the container
     * does not tell its listeners of every way a response ends (a client that reset its connection during a
     * write), so the end is not left to them.
     */
    static void complete(final HttpServletRequest request, final jakarta.servlet.AsyncContext context) {
        // taken first: the container may recycle the request as soon as it is complete
        final Object done = request.getAttribute(Completion.ATTRIBUTE);
        try {
            context.complete();
        } catch (final IllegalStateException e) {
            // completed already (the container ended the request after an error)
        }
        if (done instanceof Runnable completion) {
            completion.run();
        }
    }

    /**
     * What ends a request, once: it leaves the limiter and is recorded. Run when the servlet returns, or for a
     * request that went asynchronous, when its response completes.
     */
    private final class Completion implements AsyncListener, Runnable {

        static final String ATTRIBUTE = Completion.class.getName();

        private final RequestRecord record;
        private final HttpServletResponse response;
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile String client; // set once the request was admitted by the limiter

        Completion(final RequestRecord record, final HttpServletResponse response) {
            this.record = record;
            this.response = response;
        }

        void admitted(final String address) {
            client = address;
        }

        @Override
        public void run() {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            final String admitted = client;
            if (admitted != null) {
                limiter.leave(admitted);
            }
            ProxyActivity.INSTANCE.finish(record, response);
            inside.decrementAndGet();
        }

        @Override
        public void onComplete(final AsyncEvent event) {
            run();
        }

        @Override
        public void onTimeout(final AsyncEvent event) {
            // no timeout is set: the connection's idle timeout ends a stalled client, through onError
        }

        @Override
        public void onError(final AsyncEvent event) {
            record.outcome(RequestOutcome.ERROR);
            run();
        }

        @Override
        public void onStartAsync(final AsyncEvent event) {
            event.getAsyncContext().addListener(this); // listeners are dropped when async mode starts anew
        }
    }

    private void serve(final HttpServletRequest request, final HttpServletResponse response,
            final Completion completion) throws IOException {
        final Relay current = relay;
        if (current == null) {
            RequestRecord.mark(request, RequestOutcome.ERROR);
            response.setHeader("Retry-After", "1");
            sendError(response, 503, "ota-proxy is stopping or has no valid configuration");
            return;
        }
        final String method = request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            response.setHeader("Allow", ALLOW);
            RequestRecord.mark(request, RequestOutcome.ERROR);
            sendError(response, 405, "Method " + method + " is not supported by ota-proxy; use GET or HEAD.");
            return;
        }
        if (request.getHeader("Transfer-Encoding") != null || request.getContentLengthLong() > 0) {
            // A GET or HEAD has no use for a body, and one is never read: whether its framing holds cannot be known,
            // so the connection cannot be trusted for a next request either. Refused, and the connection closed.
            RequestRecord.mark(request, RequestOutcome.ERROR);
            response.setHeader("Connection", "close");
            sendError(response, 400, method + " requests carry no body; this one has "
                    + (request.getHeader("Transfer-Encoding") != null ? "Transfer-Encoding" : "Content-Length") + ".");
            return;
        }
        final ProxyTarget target;
        try {
            target = targetOf(request, current.selfAddress());
        } catch (final BadRequestException e) {
            RequestRecord.mark(request, RequestOutcome.ERROR);
            sendError(response, e.status(), e.getMessage());
            return;
        }
        if (ViaHeader.contains(Collections.list(request.getHeaders(ViaHeader.NAME)), current.settings().proxyId())) {
            LOG.warn("{}: refused, the request has already passed through this proxy (Via)", target);
            RequestRecord.mark(request, RequestOutcome.ERROR); // refused: counted with the errors
            sendError(response, ProxyGuard.LOOP_DETECTED, "Loop detected: this request has already passed through "
                    + current.settings().proxyId() + ".");
            return;
        }
        final UpstreamRefusedException refused = current.guard().refusal(target.host(), target.port(),
                current.settings().hasUpperProxy());
        if (refused != null) {
            LOG.debug("{}: refused: {}", target, refused.getMessage());
            RequestRecord.mark(request, RequestOutcome.ERROR); // refused: counted with the errors
            sendError(response, refused.status(), refused.getMessage());
            return;
        }
        final OtaCacheControl control;
        try {
            control = OtaCacheControl.parse(Collections.list(request.getHeaders(OtaCacheControl.HEADER)));
        } catch (final BadRequestException e) {
            RequestRecord.mark(request, RequestOutcome.ERROR);
            sendError(response, e.status(), e.getMessage());
            return;
        }
        final String client = request.getRemoteAddr();
        final String busy = limiter.tryEnter(client);
        if (busy != null) {
            RequestRecord.mark(request, RequestOutcome.ERROR); // refused: counted with the errors
            response.setHeader("Retry-After", "1");
            sendError(response, 429, busy);
            return;
        }
        completion.admitted(client); // it leaves the limiter when the response completes
        serve(request, response, current, target, control, method.equals("HEAD"));
    }

    private void serve(final HttpServletRequest request, final HttpServletResponse response, final Relay current,
            final ProxyTarget target, final OtaCacheControl control, final boolean head) throws IOException {
        final CacheStore store = cacheStore;
        try {
            if (store == null || control.noCache()) { // no store: caching is off, or the cache bundle is away
                current.relay(request, response, target, head);
            } else {
                try {
                    new CachingRelay(current, store).handle(request, response, target, head, control);
                } catch (final LinkageError e) {
                    // the cache bundle was updated under this request: never fail a client because of the cache
                    if (request.isAsyncStarted() || response.isCommitted()) {
                        throw e;
                    }
                    LOG.info("{}: the cache is being replaced ({}); relaying", target, e.toString());
                    response.reset();
                    current.relay(request, response, target, head);
                }
            }
        } catch (final CachedResponse.ClientAbortedException e) {
            RequestRecord.mark(request, RequestOutcome.ERROR);
            LOG.debug("{}: {}", target, e.getMessage()); // the connection is already aborted
        } catch (final CachedResponse.ClientGoneException e) {
            LOG.debug("{}: {}", target, e.getMessage()); // the client has gone: not the proxy's failure
        }
    }

    /**
     * Reads the request target. Jetty checks that Host equals the authority of an absolute-form target (400
     * otherwise) and fills the authority of an origin-form target from Host, so Host is the authority as sent.
     */
    static ProxyTarget targetOf(final HttpServletRequest request, final SelfAddress self)
            throws BadRequestException {
        String authority = request.getHeader("Host");
        if (authority == null || authority.isEmpty()) {
            final String url = request.getRequestURL().toString();
            final int start = url.indexOf("://") + 3;
            final int end = url.indexOf('/', start);
            authority = end < 0 ? url.substring(start) : url.substring(start, end);
        }
        final ProxyTarget target = ProxyTarget.of(request.getScheme(), authority, request.getRequestURI(),
                request.getQueryString());
        if (self.isSelf(target.host(), target.port())) {
            throw new BadRequestException(400, "We are not HTTP server but a proxy server.");
        }
        return target;
    }

    /** A short plain-text error, before anything of the response has been sent. */
    static void sendError(final HttpServletResponse response, final int status, final String message)
            throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(status);
        response.setContentType("text/plain;charset=utf-8");
        final byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    static Set<String> connectionTokens(final HttpServletRequest request) {
        return HeaderPolicy.connectionTokens(Collections.list(request.getHeaders("Connection")));
    }
}
