package io.otaproxy.proxy.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.CacheStore;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;
import io.otaproxy.api.stats.RequestOutcome;
import io.otaproxy.proxy.internal.upstream.UpstreamResponse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache path of a request: a hit is served from disk; a miss starts or joins the one fill of its key and is
 * served from it as bytes reach the disk; anything the cache cannot take is relayed. This class decides only
 * which of those applies; the store owns the fill, {@link Relay} talks to upstream. The leader of a fill fetches
 * on a transfer thread of the proxy and pushes the body into the store from there; the store runs none of it.
 */
final class CachingRelay {

    private static final Logger LOG = LoggerFactory.getLogger(CachingRelay.class);

    /**
     * How long a range may wait for the download to reach its start and still be served from it; a range starting
     * farther ahead is fetched from upstream on its own (Squid's {@code range_offset_limit}, in time rather than
     * bytes). Waiting is what a join costs: from its start on, the range comes at the download's pace, which is what a
     * connection of its own would get from an origin that paces each connection.
     */
    static final long NEAR_MILLIS = 100;
    /** The least distance counted as near, whatever the pace: a few round trips' worth. */
    static final long MIN_NEAR_BYTES = 64L << 10;
    /** The most: beyond this a range is fetched on its own even from a very fast download. */
    static final long MAX_NEAR_BYTES = 16L << 20;

    private final Relay relay;
    private final CacheStore store;
    private final BufferBudget budget;

    CachingRelay(final Relay relay, final CacheStore store) {
        this.relay = relay;
        this.store = store;
        this.budget = relay.budget();
    }

    void handle(final HttpServletRequest request, final HttpServletResponse response, final ProxyTarget target,
            final boolean head, final OtaCacheControl control) throws IOException {
        final boolean urlKeyed = control.fileSha256() == null;
        if (urlKeyed && request.getHeader("Authorization") != null) {
            // the answer to an authorised request is that client's own: never stored under a URL, nor served from one
            relay.relay(request, response, target, head);
            return;
        }
        String key = CacheKeys.keyFor(target, control);
        CacheEntry entry = null;
        if (!control.retryCaching()) {
            entry = store.find(key);
            if (entry != null && urlKeyed && !Variants.matches(entry.meta(), request)) {
                // the URL's responses vary and this request is of another variant: that one has its own key
                key = Variants.key(key, Variants.of(StoredHeaders.joined(entry.meta().headers(), "Vary"), request));
                entry = store.find(key);
                if (entry != null && !Variants.matches(entry.meta(), request)) {
                    entry = null; // stored when upstream varied on other headers: fetched anew, and replaced
                }
            }
        }
        RequestRecord.key(request, key);
        if (control.retryCaching()) {
            if (store.remove(key)) {
                LOG.info("{}: dropped cached entry {} (retry_caching)", target, key);
            }
        } else if (serve(request, response, target, entry, head, urlKeyed)
                || !urlKeyed && serve(request, response, target, store.findExternal(control.fileSha256()), head,
                        false)) {
            return;
        }
        if (head) {
            final EntryMeta downloading = control.retryCaching() ? null : store.inFlightMeta(key);
            if (downloading != null && Variants.matches(downloading, request)) {
                LOG.debug("{}: HEAD answered from the download in flight of {}", target, key);
                RequestRecord.mark(request, RequestOutcome.HIT);
                CachedResponse.send(request, response, downloading, EntryBody.NONE, true, budget,
                        relay.responseVia());
            } else {
                relay.relay(request, response, target, true); // a HEAD never starts a download
            }
            return;
        }
        final Fill fill = store.fill(key);
        if (fill == null) {
            relay.relay(request, response, target, false); // the store takes nothing new now
            return;
        }
        if (fill.isLeader() && !control.retryCaching()) {
            // The lookup above may have missed while an earlier download of this key was committing; if that one
            // became an entry and left before we asked to fill, we lead a second download of the same file.
            // The entry goes into the index before its download leaves, so one more lookup tells.
            final CacheEntry committed = store.find(key);
            if (committed != null && Variants.matches(committed.meta(), request)) {
                fill.abandon();
                LOG.debug("{}: {} was committed while we looked it up; serving the entry", target, key);
                if (!serve(request, response, target, committed, false, false)) {
                    relay.relay(request, response, target, false);
                }
                return;
            }
        }
        if (fill.isLeader()) {
            // a ranged miss too: the whole file is fetched for the cache, the client's range served from it or,
            // when far ahead, fetched on its own meanwhile (see serveFill)
            relay.transfers().start(request, response, target.toString(),
                    transfer -> lead(fill, request, response, target, control, transfer));
        } else if (fill.isBegun()) {
            RequestRecord.mark(request, RequestOutcome.SHARED);
            serveFill(fill, request, response, target, control);
        } else {
            awaitBegun(fill, request, response, target, control);
        }
    }

    /**
     * A joiner whose leader has no response head yet: waits for it holding no thread, then reads the fill, or
     * fetches on its own when the leader gave the fill up.
     */
    private void awaitBegun(final Fill fill, final HttpServletRequest request, final HttpServletResponse response,
            final ProxyTarget target, final OtaCacheControl control) {
        final AsyncContext context = request.startAsync();
        context.setTimeout(0); // the store drops a fill whose leader never begins: the callback always comes
        fill.whenBegun(() -> startOrRelease(fill, request, context, () -> {
            boolean handedOver = false;
            try {
                if (fill.isBegun()) {
                    RequestRecord.mark(request, RequestOutcome.SHARED);
                    handedOver = serveFill(fill, request, response, target, control);
                } else {
                    relay.relay(request, response, target, false);
                    handedOver = true; // the transfer completes the request
                }
            } catch (final IOException | RuntimeException e) {
                RequestRecord.mark(request, RequestOutcome.ERROR);
                LOG.debug("{}: serving a joined download failed: {}", target, e.toString());
            } finally {
                if (!handedOver) {
                    ProxyServlet.complete(request, context);
                }
            }
        }));
    }

    /** Runs {@code task} on a container thread; if the container takes none any more, the request just ends. */
    private static void startOrRelease(final Fill fill, final HttpServletRequest request, final AsyncContext context,
            final Runnable task) {
        try {
            context.start(task);
        } catch (final RuntimeException e) {
            fill.release();
            ProxyServlet.complete(request, context);
        }
    }

    /**
     * Reads the begun fill to the client.
     *
     * @return whether the body was handed to an asynchronous writer, which completes the request
     */
    private boolean serveFill(final Fill fill, final HttpServletRequest request, final HttpServletResponse response,
            final ProxyTarget target, final OtaCacheControl control) throws IOException {
        try {
            return readFill(fill, request, response, target, control);
        } finally {
            fill.release(); // its reader is open, or it will never be: nothing more is kept for this caller
        }
    }

    private boolean readFill(final Fill fill, final HttpServletRequest request, final HttpServletResponse response,
            final ProxyTarget target, final OtaCacheControl control) throws IOException {
        final String key = fill.key();
        final EntryMeta begun = fill.meta();
        if (begun != null && !Variants.matches(begun, request)) {
            // upstream's answer varies, and this client's request is of another variant than the leader's
            return fetchVariant(key, begun, request, response, target, control);
        }
        if (begun != null && request.getHeader("Range") != null) {
            // a client asking for part of the file (a segment, a resume): the whole of it is kept for the cache even
            // when every reader of the download has gone
            fill.runToEnd();
        }
        if (begun != null && farAhead(request, begun, fill.bytesOnDisk(), System.currentTimeMillis(), control)) {
            // the range starts far beyond the bytes on disk: fetched on its own at once, so a client that splits a
            // file among connections keeps its parallelism, while the download goes on for the cache
            LOG.debug("{}: range far ahead of the download of {}; fetching it on its own", target, key);
            relay.relay(request, response, target, false);
            return true; // the transfer completes the request
        }
        final Fill.FillReader reader;
        try {
            reader = fill.newReader();
        } catch (final IOException e) {
            // the download failed before this client got a byte (upstream error, wrong sha256 or length)
            LOG.debug("{}: fill of {} failed before the response: {}", target, key, e.getMessage());
            RequestRecord.mark(request, RequestOutcome.ERROR);
            ProxyServlet.sendError(response, 502, "Download failed: " + ClientMessages.of(e));
            return false;
        }
        LOG.debug("{}: serving from the fill of {} ({})", target, key, fill.isLeader() ? "leader" : "joined");
        return CachedResponse.send(request, response, fill.meta(), EntryBody.of(reader), false, budget,
                relay.responseVia());
    }

    /**
     * Whether the request's range starts beyond what the download is expected to have on disk within
     * {@link #NEAR_MILLIS} (see {@link #nearBytes}). Never for a content address: its bytes come only from the
     * download that verifies them.
     */
    private static boolean farAhead(final HttpServletRequest request, final EntryMeta meta, final long onDisk,
            final long nowMillis, final OtaCacheControl control) {
        final String range = request.getHeader("Range");
        if (range == null || control.fileSha256() != null || meta.length() < 0
                || !Conditionals.rangeApplies(request, meta.headers())) {
            return false;
        }
        final ByteRanges.Result ranges = ByteRanges.parse(range, meta.length());
        if (ranges.whole() || ranges.unsatisfiable()) {
            return false;
        }
        long first = Long.MAX_VALUE;
        for (final ByteRanges.Range r : ranges.ranges()) {
            first = Math.min(first, r.first());
        }
        return first > onDisk + nearBytes(onDisk, meta.receivedMillis(), nowMillis);
    }

    /**
     * How many bytes beyond {@code onDisk} the download is expected to write within {@link #NEAR_MILLIS}, at its pace
     * since its response arrived; within {@link #MIN_NEAR_BYTES} and {@link #MAX_NEAR_BYTES}. (The arrival time is
     * upstream's {@code Age} earlier when an upper cache sent one: the pace then reads low, and more ranges are
     * fetched on their own, which costs upstream bytes, never time.)
     */
    static long nearBytes(final long onDisk, final long receivedMillis, final long nowMillis) {
        final long elapsed = nowMillis - receivedMillis;
        if (receivedMillis <= 0 || elapsed <= 0) {
            return MIN_NEAR_BYTES;
        }
        final double bytesPerMilli = (double) onDisk / elapsed;
        final long near = (long) Math.min(MAX_NEAR_BYTES, bytesPerMilli * NEAR_MILLIS);
        return Math.max(MIN_NEAR_BYTES, near);
    }

    /**
     * A joiner of a download that turned out to be another variant: leads or joins the download of its own
     * variant's key (one level down only; a variant's download of yet another variant is relayed).
     *
     * @return whether the response was handed over (to a transfer or an asynchronous writer)
     */
    private boolean fetchVariant(final String key, final EntryMeta other, final HttpServletRequest request,
            final HttpServletResponse response, final ProxyTarget target, final OtaCacheControl control)
            throws IOException {
        final String variant = Variants.of(StoredHeaders.joined(other.headers(), "Vary"), request);
        final String own = Variants.key(key, variant);
        final Fill fill = Variants.ANY.equals(variant) ? null : store.fill(own);
        if (fill != null && fill.isLeader()) {
            LOG.debug("{}: the download of {} is another variant; fetching ours as {}", target, key, own);
            relay.transfers().start(request, response, target.toString(),
                    transfer -> lead(fill, request, response, target, control, transfer));
            return true;
        }
        final EntryMeta begun = fill == null ? null : fill.meta();
        if (begun != null && Variants.matches(begun, request)) {
            return serveFill(fill, request, response, target, control);
        }
        if (fill != null) {
            fill.release(); // not begun yet, or yet another variant: not waited for
        }
        LOG.debug("{}: the download of {} is another variant; relaying ours", target, key);
        relay.relay(request, response, target, false);
        return true; // the transfer completes the request
    }

    /**
     * Serves a complete entry, after asking upstream whether it still holds when it must be revalidated; false when
     * there is none or its file has gone (then it is a miss).
     *
     * @param revalidatable whether the entry is URL-keyed (a verified content address never changes)
     */
    private boolean serve(final HttpServletRequest request, final HttpServletResponse response,
            final ProxyTarget target, final CacheEntry entry, final boolean head, final boolean revalidatable)
            throws IOException {
        if (entry == null) {
            return false;
        }
        if (revalidatable && !head && relay.settings().revalidate()
                && Freshness.needsRevalidation(request, entry.meta(), System.currentTimeMillis())) {
            relay.transfers().start(request, response, target.toString(),
                    transfer -> revalidate(entry, request, response, target, transfer));
            return true;
        }
        return sendEntry(request, response, entry, head) != null;
    }

    /**
     * Writes a complete entry to the client.
     *
     * @return null when its file has gone (nothing was sent), else whether the body was handed to an asynchronous
     *         writer, which completes the request
     */
    private Boolean sendEntry(final HttpServletRequest request, final HttpServletResponse response,
            final CacheEntry entry, final boolean head) throws IOException {
        final FileChannel file;
        try {
            file = entry.open();
        } catch (final IOException e) {
            LOG.warn("Cached entry {} cannot be opened, fetching again: {}", entry.key(), e.toString());
            return null;
        }
        LOG.debug("hit {}", entry.key());
        RequestRecord.mark(request, RequestOutcome.HIT);
        return CachedResponse.send(request, response, entry.meta(), EntryBody.of(file), head, budget,
                relay.responseVia());
    }

    /**
     * On a transfer thread: asks upstream, with the entry's validators, whether the entry still holds. A 304 keeps
     * it (its headers refreshed) and serves it; a 200 replaces it (this response becomes the key's new download);
     * an unreachable or failing upstream leaves the cached copy served, so a car offline keeps working; any other
     * answer (404, ...) is upstream's word and is passed on.
     *
     * @return whether the response was handed to an asynchronous writer, which completes the request
     */
    private boolean revalidate(final CacheEntry entry, final HttpServletRequest request,
            final HttpServletResponse response, final ProxyTarget target, final Transfers.Transfer transfer)
            throws IOException {
        final EntryMeta meta = entry.meta();
        final List<Map.Entry<String, String>> validators = new ArrayList<>(2);
        final String etag = StoredHeaders.first(meta.headers(), "ETag");
        if (etag != null) {
            validators.add(Map.entry("If-None-Match", etag));
        }
        final String modified = StoredHeaders.first(meta.headers(), "Last-Modified");
        if (modified != null) {
            validators.add(Map.entry("If-Modified-Since", modified));
        }
        final UpstreamResponse upstream;
        try {
            upstream = relay.send(request, target, false, true, validators);
        } catch (final IOException | IllegalArgumentException e) {
            LOG.info("{}: cannot revalidate {} ({}); serving the cached copy", target, entry.key(), e.getMessage());
            return sendCached(entry, request, response, target, transfer);
        }
        final int status = upstream.status();
        if (status == 304) {
            upstream.close();
            final CacheEntry refreshed = store.refresh(entry.key(), meta.withHeaders(
                    StoredHeaders.merge(meta.headers(), StoredHeaders.of(upstream.headers())), receivedMillis(upstream)));
            LOG.debug("{}: {} revalidated (304)", target, entry.key());
            return sendCached(refreshed != null ? refreshed : entry, request, response, target, transfer);
        }
        if (status == 200) {
            final Fill fill = store.fill(entry.key());
            if (fill != null && fill.isLeader()) {
                LOG.debug("{}: {} changed upstream; replacing it", target, entry.key());
                return fillFrom(fill, upstream, request, response, target, OtaCacheControl.NONE, transfer);
            }
            if (fill != null) {
                fill.release(); // another download of the key runs already; this answer is relayed
            }
            return relay.relayResponse(upstream, request, response, target, false, transfer);
        }
        if (status >= 500) {
            upstream.abort();
            LOG.info("{}: upstream answered {} to a revalidation of {}; serving the cached copy", target, status,
                    entry.key());
            return sendCached(entry, request, response, target, transfer);
        }
        return relay.relayResponse(upstream, request, response, target, false, transfer);
    }

    /** Serves the entry from a transfer thread; relays when its file has gone meanwhile. */
    private boolean sendCached(final CacheEntry entry, final HttpServletRequest request,
            final HttpServletResponse response, final ProxyTarget target, final Transfers.Transfer transfer)
            throws IOException {
        final Boolean handedOver = sendEntry(request, response, entry, false);
        if (handedOver != null) {
            return handedOver;
        }
        final UpstreamResponse upstream = relay.open(request, response, target, false, false);
        return upstream != null && relay.relayResponse(upstream, request, response, target, false, transfer);
    }

    /** When a response was received, less the time upstream's caches held it ({@code Age}). */
    private static long receivedMillis(final UpstreamResponse upstream) {
        final long now = System.currentTimeMillis();
        final String age = upstream.headers().first("Age");
        if (age != null) {
            try {
                return now - Math.min(Long.parseLong(age.strip()), now / 1000 / 2) * 1000;
            } catch (final NumberFormatException e) {
                return now;
            }
        }
        return now;
    }

    /**
     * On a transfer thread: fetches the response head and, for a 200, begins the fill, hands this client to a
     * reader of it, and pushes the body into the store until it ends. Anything else is not cacheable: the fill is
     * abandoned (joiners fetch on their own) and this client gets upstream's answer.
     *
     * @return whether the response was handed to an asynchronous writer, which completes the request
     */
    private boolean lead(final Fill fill, final HttpServletRequest request, final HttpServletResponse response,
            final ProxyTarget target, final OtaCacheControl control, final Transfers.Transfer transfer)
            throws IOException {
        final UpstreamResponse upstream;
        try {
            upstream = relay.open(request, response, target, false, true);
        } catch (final IOException | RuntimeException e) {
            fill.abandon();
            throw e;
        }
        if (upstream == null) {
            fill.abandon(); // the client already has its 502/504
            return false;
        }
        return fillFrom(fill, upstream, request, response, target, control, transfer);
    }

    /**
     * Begins the fill with upstream's answer, when it may be stored, and pushes the body into it; otherwise
     * abandons the fill (joiners fetch on their own) and relays the answer.
     *
     * @return whether the response was handed to an asynchronous writer, which completes the request
     */
    private boolean fillFrom(final Fill fill, final UpstreamResponse upstream, final HttpServletRequest request,
            final HttpServletResponse response, final ProxyTarget target, final OtaCacheControl control,
            final Transfers.Transfer transfer) throws IOException {
        final boolean urlKeyed = control.fileSha256() == null;
        final String variant = urlKeyed ? Variants.of(String.join(", ", upstream.headers().values("Vary")), request)
                : null;
        if (upstream.status() != 200 || unverifiableUnderContentAddress(upstream, control)
                || urlKeyed && !storableUnderUrl(upstream, variant)) {
            fill.abandon();
            if (upstream.status() == 200 && request.getHeader("Range") != null) {
                upstream.abort(); // the whole body, not to be stored: the client's range is fetched as asked
                relay.relay(request, response, target, false);
                return true;
            }
            return relay.relayResponse(upstream, request, response, target, false, transfer);
        }
        final EntryMeta meta = new EntryMeta(upstream.contentLength(), upstream.headers().first("Content-Type"),
                upstream.headers().first("Content-Encoding"), control.fileSha256(), control.compressionAlg(),
                StoredHeaders.of(upstream.headers()), receivedMillis(upstream), variant);
        final Fill.Writer writer = fill.begin(meta, upstream::abort);
        if (fill.meta() == null) {
            // the store dropped the fill before we came back with the body (it was closing: caching turned off,
            // the cache bundle stopping or updated): relay the body we hold
            LOG.debug("{}: fill of {} was dropped by the store before it began; relaying", target, fill.key());
            return relay.relayResponse(upstream, request, response, target, false, transfer);
        }
        transfer.onAbort(upstream::abort);
        if (request.getHeader("Range") != null) {
            fill.runToEnd(); // its client asked for part of the file: the whole of it is fetched for the cache
        }
        RequestRecord.mark(request, RequestOutcome.MISS);
        boolean handedOver = false;
        try {
            handedOver = serveFill(fill, request, response, target, control);
        } finally {
            // the body goes on for the fill's other readers whatever became of this client
            push(upstream, writer, target);
        }
        return handedOver;
    }

    /**
     * Whether a response may be stored under its URL: not when upstream forbids it ({@code no-store}), keeps it for
     * one client ({@code private}), or varies on everything ({@code Vary: *}).
     */
    private static boolean storableUnderUrl(final UpstreamResponse upstream, final String variant) {
        final Directives control = Directives.parse(String.join(", ", upstream.headers().values("Cache-Control")));
        return !control.has("no-store") && !control.has("private") && !Variants.ANY.equals(variant);
    }

    /**
     * Whether the body would be stored under the client's {@code file_sha256} without being verified against it:
     * upstream encoded it ({@code Content-Encoding}), so its bytes are not the file the sha256 names. Such a body
     * is relayed, not cached: a content address only ever holds verified bytes.
     */
    private static boolean unverifiableUnderContentAddress(final UpstreamResponse upstream,
            final OtaCacheControl control) {
        final String encoding = upstream.headers().first("Content-Encoding");
        return control.fileSha256() != null && control.compressionAlg() == null && encoding != null
                && !"identity".equalsIgnoreCase(encoding.trim());
    }

    /**
     * Reads the upstream body into the fill to its end. The connection goes back to the pool when the body was
     * whole, before the store's fsync; it is dropped otherwise.
     */
    private static void push(final UpstreamResponse upstream, final Fill.Writer writer, final ProxyTarget target) {
        final InputStream in = upstream.body();
        final byte[] buffer = Relay.readBuffer();
        boolean ended = false;
        try {
            while (true) {
                final int n;
                try {
                    n = in.read(buffer);
                } catch (final IOException e) {
                    upstream.abort();
                    ended = true;
                    writer.fail(e);
                    return;
                }
                if (n < 0) {
                    upstream.close();
                    ended = true;
                    writer.complete();
                    return;
                }
                if (!writer.append(buffer, 0, n)) {
                    LOG.debug("{}: the cache took no more of the body; closing upstream", target);
                    upstream.abort();
                    ended = true;
                    return;
                }
            }
        } finally {
            if (!ended) {
                // whatever ended the push unexpectedly ends the fill too, so no reader waits for it
                upstream.abort();
                writer.fail(new IOException("the transfer thread failed"));
            }
        }
    }
}
