package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.stats.RequestOutcome;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy's own threads for talking to upstream: every exchange with upstream (connect, send, wait for the
 * head, read the body) runs here, one thread per exchange, never on the web server's threads, which only run
 * short steps. A thread reads upstream and pushes what it reads on: into the cache's fill, or into the queue of a
 * relayed body; the client's side is written asynchronously. At most {@link #maxThreads} run at once (the
 * upstream connections bound them anyway); more exchanges queue, holding no thread.
 *
 * <p>On stop, the exchanges still running are aborted: their upstream connections are closed, which fails their
 * fills and relayed bodies loudly; none is left to a bundle that has gone.
 */
final class Transfers {

    private static final Logger LOG = LoggerFactory.getLogger(Transfers.class);

    /** The work of one exchange, on a transfer thread. */
    @FunctionalInterface
    interface Task {
        /** @return whether the response was handed to an asynchronous writer, which completes the request */
        boolean run(Transfer transfer) throws IOException;
    }

    /** One running exchange: what closes its upstream connection when the proxy stops. */
    static final class Transfer {
        private volatile Runnable abort;
        private volatile boolean aborted;

        /** Sets what closes this exchange's upstream connection; runs it at once if the proxy stops meanwhile. */
        void onAbort(final Runnable action) {
            abort = action;
            if (aborted) {
                action.run();
            }
        }

        boolean aborted() {
            return aborted;
        }

        void abort() {
            aborted = true;
            final Runnable a = abort;
            if (a != null) {
                a.run();
            }
        }
    }

    private final ThreadPoolExecutor pool;
    private final Set<Transfer> running = ConcurrentHashMap.newKeySet();
    /** Exchanges handed to the pool and not finished: queued or running. */
    private final AtomicInteger pending = new AtomicInteger();

    Transfers(final int maxThreads) {
        final AtomicInteger n = new AtomicInteger();
        final ThreadFactory threads = r -> {
            final Thread t = new Thread(r, "ota-proxy-upstream-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        final WaitingExchanges queue = new WaitingExchanges();
        // No core threads: a thread is made only when no idle one can take the exchange (see WaitingExchanges), and
        // one idle for 30 s ends. A pool whose core size is its maximum would make a new thread for each of its
        // first few hundred exchanges, idle ones or not: hundreds of stacks and read buffers for a dozen clients.
        pool = new ThreadPoolExecutor(0, maxThreads, 30, TimeUnit.SECONDS, queue, threads, (r, p) -> {
            if (p.isShutdown()) {
                throw new RejectedExecutionException("the proxy is stopping");
            }
            queue.enqueue(r); // every thread busy at the most: the exchange waits for one
        }) {
            @Override
            protected void afterExecute(final Runnable r, final Throwable t) {
                pending.decrementAndGet();
            }
        };
        queue.pool = pool;
    }

    /**
     * The exchanges waiting for a transfer thread. An exchange is queued only when a thread is idle to take it or
     * the pool is at its most; otherwise the pool is told to make a thread for it.
     */
    private final class WaitingExchanges extends LinkedBlockingQueue<Runnable> {
        private static final long serialVersionUID = 1L;
        private transient ThreadPoolExecutor pool;

        @Override
        public boolean offer(final Runnable exchange) {
            final int threads = pool.getPoolSize();
            if (pending.get() > threads && threads < pool.getMaximumPoolSize()) {
                return false; // no thread is idle: make one
            }
            return super.offer(exchange);
        }

        void enqueue(final Runnable exchange) {
            super.offer(exchange);
        }
    }

    /** Changes the most threads; for a configuration change. */
    void maxThreads(final int max) {
        pool.setMaximumPoolSize(max);
    }

    int maxThreads() {
        return pool.getMaximumPoolSize();
    }

    /** Runs {@code exchange} on a transfer thread: an idle one, else a new one, else the next to free. */
    void execute(final Runnable exchange) {
        pending.incrementAndGet();
        try {
            pool.execute(exchange);
        } catch (final RejectedExecutionException e) {
            pending.decrementAndGet();
            throw e;
        }
    }

    /** Transfer threads alive now, idle ones included. */
    int threads() {
        return pool.getPoolSize();
    }

    /** Threads running exchanges now. */
    int active() {
        return pool.getActiveCount();
    }

    /**
     * Puts the request into asynchronous mode and runs {@code task} on a transfer thread; the request is completed
     * when the task returns, unless it handed the response to an asynchronous writer. A proxy that is stopping
     * answers 503.
     */
    void start(final HttpServletRequest request, final HttpServletResponse response, final String what,
            final Task task) throws IOException {
        final AsyncContext context = request.isAsyncStarted() ? request.getAsyncContext() : request.startAsync();
        context.setTimeout(0); // upstream's own timeouts bound the wait; the client's idle timeout bounds the rest
        final Transfer transfer = new Transfer();
        try {
            execute(() -> run(request, response, context, what, task, transfer));
        } catch (final RejectedExecutionException e) {
            RequestRecord.mark(request, RequestOutcome.ERROR);
            response.setHeader("Retry-After", "1");
            ProxyServlet.sendError(response, 503, "ota-proxy is stopping");
            ProxyServlet.complete(request, context);
        }
    }

    private void run(final HttpServletRequest request, final HttpServletResponse response,
            final AsyncContext context, final String what, final Task task, final Transfer transfer) {
        running.add(transfer);
        boolean handedOver = false;
        try {
            handedOver = task.run(transfer);
        } catch (final CachedResponse.ClientAbortedException e) {
            RequestRecord.mark(request, RequestOutcome.ERROR);
            LOG.debug("{}: {}", what, e.getMessage()); // the connection is already aborted
        } catch (final CachedResponse.ClientGoneException e) {
            LOG.debug("{}: {}", what, e.getMessage()); // the client has gone: not the proxy's failure
        } catch (final IOException | RuntimeException | LinkageError e) {
            // a LinkageError: a bundle this exchange used was updated under it. Whatever it was, the request must
            // not be completed as it stands, which would send a clean, empty 200
            failed(request, response, what, e);
        } catch (final Error e) {
            failed(request, response, what, e);
            throw e;
        } finally {
            running.remove(transfer);
            if (!handedOver) {
                ProxyServlet.complete(request, context);
            }
        }
    }

    /** Answers 502 when nothing was sent yet; otherwise aborts the client connection, so the body never looks whole. */
    private static void failed(final HttpServletRequest request, final HttpServletResponse response,
            final String what, final Throwable e) {
        RequestRecord.mark(request, RequestOutcome.ERROR);
        LOG.warn("{}: failed: {}", what, e.toString());
        try {
            if (response.isCommitted()) {
                ClientConnectionAbort.abort(request, e);
            } else {
                response.resetBuffer();
                ProxyServlet.sendError(response, 502, "Proxy error: " + ClientMessages.of(e));
            }
        } catch (final IOException | RuntimeException ignored) {
            // the client has gone
        }
    }

    /**
     * Stops taking exchanges and aborts those still running (their upstream connections are closed, so their
     * readers and fills fail at once), then waits up to {@code millis} for the threads to end.
     */
    void stop(final long millis) {
        pool.shutdown();
        final List<Transfer> left = List.copyOf(running);
        if (!left.isEmpty()) {
            LOG.warn("Aborting {} upstream transfer(s) still running as the proxy stops", left.size());
        }
        for (final Transfer t : left) {
            t.abort();
        }
        try {
            if (!pool.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
                pool.shutdownNow(); // a thread paced by its reader: the interrupt ends its wait
                pool.awaitTermination(millis, TimeUnit.MILLISECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
