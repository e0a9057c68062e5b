package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.stats.RequestOutcome;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a cached body to a client without holding a thread while it waits: the servlet's asynchronous output
 * (a {@link WriteListener}) for a slow client, a callback of the cache for a download that has not reached the
 * next byte yet, and a callback of the {@link BufferBudget} when every buffer is lent. Each wait leaves behind a
 * socket and at most the one buffer of a pending write; the work itself runs in short steps on the container's
 * threads.
 *
 * <p>A body is a list of parts, written in order: literal bytes (the heads of a multipart answer) and spans of
 * the source. A source that fails before anything was sent becomes a 502; after, the client connection is
 * aborted, so a short body never looks complete. One step runs at a time: wake-ups that come while a step runs
 * make it go round once more.
 *
 * <p>A long span of a complete file is written from a mapping of the file instead of a buffer (nginx uses
 * {@code sendfile} for the same reason; Jetty 12 has no way to it): one copy less per byte, and one step of ours
 * per few MiB instead of per buffer. The pages of a mapping that the kernel copied to the socket count in the
 * process's resident set until it is unmapped, however many mappings share them, so a mapping is counted in the
 * {@link BufferBudget} like a buffer, and taken only while half of the budget is free.
 */
final class AsyncBody implements WriteListener {

    private static final Logger LOG = LoggerFactory.getLogger(AsyncBody.class);

    /** {@code count} bytes of the source from {@code position}; MAX_VALUE: to the end, whatever it is. */
    record Span(long position, long count) {
    }

    /**
     * The end of the source at {@code position}: waits until a download in flight has verified that its body ends
     * there (an empty body has no held-back last byte that would wait for it), and fails if it does not.
     */
    record End(long position) {
    }

    /** A span of a complete file at least this long is written from a mapping of the file, not through a buffer. */
    static final long MAP_MIN_BYTES = 1024 * 1024;
    /**
     * The most bytes of a file mapped for one write: large enough that the container writes it in many socket
     * rounds without coming back to us (2 to 32 MiB measured alike), small enough that a stalled client's mapping
     * stays modest. Only the pages the kernel has copied to the socket become resident.
     */
    static final long MAP_BYTES = 4 * 1024 * 1024;

    private final HttpServletRequest request;
    private final String url; // taken at start: the container recycles the request once it completes
    private final HttpServletResponse response;
    private final AsyncContext context;
    private final ServletOutputStream out;
    private final BodySource source;
    private final List<Object> parts;
    private final BufferBudget budget;
    private final boolean direct;
    private final AtomicInteger work = new AtomicInteger();
    private final AtomicBoolean finished = new AtomicBoolean();
    private final AtomicReference<ByteBuffer> granted = new AtomicReference<>(); // handed over while we queued
    private volatile Throwable clientFailure;
    private final Runnable wake = this::dispatch;

    // touched only by the running step (one at a time, ordered through `work`)
    private int part;
    private long done; // bytes of the current span written
    private long written; // bytes of the body written in all
    private ByteBuffer buffer;
    private boolean writePending; // the buffer was handed to the container and may not be reused yet
    private ByteBuffer mapped; // the file region of the pending write, unmapped once the write completes
    private boolean unflushed;
    private boolean queued; // waiting for the budget to hand over a buffer

    private AsyncBody(final HttpServletRequest request, final HttpServletResponse response,
            final AsyncContext context, final BodySource source, final List<Object> parts, final BufferBudget budget)
            throws IOException {
        this.request = request;
        this.url = request.getRequestURL().toString();
        this.response = response;
        this.context = context;
        this.out = response.getOutputStream();
        this.source = source;
        this.parts = parts;
        this.budget = budget;
        this.direct = DirectOutput.supports(out);
    }

    /**
     * Puts the request into asynchronous mode and starts writing {@code parts}; returns at once. The source is
     * closed when the body ends, whichever way.
     */
    static void start(final HttpServletRequest request, final HttpServletResponse response, final BodySource source,
            final List<Object> parts, final BufferBudget budget) throws IOException {
        final AsyncContext context = request.isAsyncStarted() ? request.getAsyncContext() : request.startAsync();
        context.setTimeout(0); // a slow client is dropped by the connection's idle timeout, not by ours
        final AsyncBody body = new AsyncBody(request, response, context, source, parts, budget);
        body.out.setWriteListener(body); // the container calls onWritePossible when the output is ready
    }

    @Override
    public void onWritePossible() {
        run();
    }

    @Override
    public void onError(final Throwable t) {
        clientFailure = t; // finished by the next step, which owns the buffer
        run();
    }

    /** A wake-up from the cache or the budget: continue on a container thread, never on the caller's. */
    private void dispatch() {
        if (finished.get()) {
            return;
        }
        try {
            context.start(this::run);
        } catch (final IllegalStateException e) {
            finish(false); // the request has ended meanwhile (the client went away)
        }
    }

    private void run() {
        if (finished.get()) {
            return; // a late wake-up: the request may already be recycled
        }
        if (work.getAndIncrement() != 0) {
            return; // the running step goes round once more
        }
        do {
            try {
                step();
            } catch (final IOException | RuntimeException e) {
                LOG.debug("{}: writing to the client failed after {} bytes: {}", url, written,
                        e.toString());
                finish(false);
            }
        } while (work.decrementAndGet() != 0);
    }

    /** Writes as long as the client takes bytes and the source has them; returns when either must be waited for. */
    private void step() throws IOException {
        while (!finished.get()) {
            if (clientFailure != null) {
                LOG.debug("{}: client went away after {} bytes: {}", url, written,
                        clientFailure.toString());
                finish(false);
                return;
            }
            if (!out.isReady()) {
                return; // onWritePossible follows when the pending write is done
            }
            writePending = false; // the output is ready: an earlier write has completed
            if (mapped != null) {
                unmap();
            }
            if (part == parts.size()) {
                finish(true);
                return;
            }
            final Object p = parts.get(part);
            if (p instanceof byte[] literal) {
                out.write(literal);
                part++;
                unflushed = true;
                continue;
            }
            if (p instanceof End end) {
                final int n;
                try {
                    n = source.readNow(end.position(), ByteBuffer.allocate(1));
                } catch (final IOException e) {
                    sourceFailed(e);
                    return;
                }
                if (n == 0) {
                    if (flushBeforeWaiting()) {
                        continue;
                    }
                    source.whenReadable(end.position(), wake);
                    return;
                }
                if (n > 0) {
                    sourceFailed(new IOException("cached body is longer than the " + end.position()
                            + " bytes announced"));
                    return;
                }
                part++;
                continue;
            }
            final Span span = (Span) p;
            if (done == span.count()) {
                part++;
                done = 0;
                continue;
            }
            if (direct && span.count() - done >= MAP_MIN_BYTES && writeMapped(span)) {
                continue;
            }
            if (buffer == null && !acquireBuffer()) {
                if (!response.isCommitted()) {
                    out.flush(); // the client sees its response begin while it waits its turn
                }
                return; // queued for a buffer: the budget wakes us
            }
            final long position = span.position() + done;
            buffer.clear().limit((int) Math.min(buffer.capacity(), span.count() - done));
            final int n;
            try {
                n = source.readNow(position, buffer);
            } catch (final IOException e) {
                sourceFailed(e);
                return;
            }
            if (n < 0) {
                if (span.count() != Long.MAX_VALUE) {
                    // the store promised `count` bytes: never end a short body cleanly
                    sourceFailed(new IOException("cached body ended after " + done + " of " + span.count()));
                    return;
                }
                part++;
                done = 0;
                continue;
            }
            if (n == 0) {
                if (flushBeforeWaiting()) {
                    continue;
                }
                releaseBuffer(); // wait holding no buffer
                source.whenReadable(position, wake);
                return;
            }
            buffer.flip();
            writePending = true;
            if (direct) {
                DirectOutput.write(out, buffer);
            } else {
                out.write(buffer.array(), buffer.arrayOffset(), n);
            }
            unflushed = true;
            done += n;
            written += n;
        }
    }

    /**
     * Writes the next piece of a complete file's span straight from a mapping of the file: the kernel copies it
     * from the page cache to the socket, with no copy into a buffer of ours, and the container finishes the
     * write however many times the socket fills, without a step of ours in between. False when the source is not
     * a complete file (or mapping is not possible here): then the span goes through a buffer.
     */
    private boolean writeMapped(final Span span) throws IOException {
        if (!Unmapper.available()) {
            return false;
        }
        final long size = Math.min(MAP_BYTES, span.count() - done);
        if (!budget.tryReserveMapping(size)) {
            return false;
        }
        final ByteBuffer region;
        try {
            region = source.map(span.position() + done, size);
        } catch (final IOException e) {
            budget.releaseMapping(size);
            sourceFailed(e);
            return true;
        }
        if (region == null) {
            budget.releaseMapping(size);
            return false;
        }
        releaseBuffer(); // not needed while mapped; no write of it is pending (the output was ready)
        final int n = region.remaining();
        mapped = region;
        writePending = true;
        DirectOutput.write(out, region);
        unflushed = true;
        done += n;
        written += n;
        return true;
    }

    /** Unmaps the region of the write that has just completed and gives its share of the budget back. */
    private void unmap() {
        final int size = mapped.capacity();
        Unmapper.unmap(mapped);
        mapped = null;
        budget.releaseMapping(size);
    }

    /**
     * Caught up with the download: sends what the container holds before waiting for more, so the client has every
     * byte there is. Returns true if it flushed (go round again: the flush may not be done), false if there was
     * nothing to send and the step may wait.
     */
    private boolean flushBeforeWaiting() throws IOException {
        if (!unflushed) {
            return false;
        }
        unflushed = false;
        out.flush();
        return true;
    }

    /** Takes a buffer, or queues for one; false when queued. */
    private boolean acquireBuffer() {
        if (queued) {
            final ByteBuffer handed = granted.getAndSet(null);
            if (handed == null) {
                return false; // still waiting our turn
            }
            queued = false;
            buffer = handed;
            return true;
        }
        buffer = budget.tryAcquire();
        if (buffer != null) {
            return true;
        }
        queued = true;
        budget.whenAvailable(b -> {
            granted.set(b);
            if (finished.get()) {
                final ByteBuffer late = granted.getAndSet(null); // finish may have looked before we set it
                if (late != null) {
                    budget.release(late);
                }
                return;
            }
            dispatch();
        });
        return false;
    }

    private void releaseBuffer() {
        if (buffer != null) {
            budget.release(buffer);
            buffer = null;
        }
    }

    /** The cache could not give the body: a 502 if nothing was sent yet, else an aborted connection. */
    private void sourceFailed(final IOException failure) throws IOException {
        if (!response.isCommitted()) {
            LOG.warn("{}: download failed before the response started: {}", url,
                    failure.toString());
            RequestRecord.mark(request, RequestOutcome.ERROR);
            response.reset();
            ProxyServlet.sendError(response, 502, "Download failed: " + ClientMessages.of(failure));
            finish(true);
            return;
        }
        LOG.warn("{}: cached body failed after {} bytes, aborting the client connection: {}",
                url, written, failure.toString());
        RequestRecord.mark(request, RequestOutcome.ERROR);
        ClientConnectionAbort.abort(request, failure);
        finish(false);
    }

    /** Ends the response once: gives the buffer back, closes the source, completes the request. */
    private void finish(final boolean clean) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        final ByteBuffer b = buffer;
        buffer = null;
        if (b != null) {
            if (writePending && !clean) {
                budget.discard(b); // the connection may still hold it
            } else {
                budget.release(b);
            }
        }
        final ByteBuffer handed = granted.getAndSet(null);
        if (handed != null) {
            budget.release(handed);
        }
        if (mapped != null) {
            if (writePending) {
                // the connection may still hold it: the garbage collector unmaps it once it is unreachable
                budget.releaseMapping(mapped.capacity());
                mapped = null;
            } else {
                unmap();
            }
        }
        source.close();
        ProxyServlet.complete(request, context);
    }
}
