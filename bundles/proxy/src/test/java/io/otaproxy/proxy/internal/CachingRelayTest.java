package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import io.otaproxy.api.cache.CacheEntry;
import io.otaproxy.api.cache.CacheStore;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.cache.Fill;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The cache path's decisions, with a scripted store in place of the disk cache. The upstream here is a port
 * nothing listens on: a test that reached it would answer 502.
 */
public class CachingRelayTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    /** Answers a method by name; anything not scripted returns the type's default. */
    @SuppressWarnings("unchecked")
    private static <T> T scripted(final Class<T> type, final Map<String, InvocationHandler> answers,
            final List<String> calls) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            calls.add(method.getName());
            final InvocationHandler answer = answers.get(method.getName());
            if (answer != null) {
                return answer.invoke(proxy, method, args);
            }
            final Class<?> r = method.getReturnType();
            if (r == boolean.class) {
                return false;
            }
            if (r == int.class) {
                return 0;
            }
            if (r == long.class) {
                return 0L;
            }
            return null;
        });
    }

    /** A response that keeps its status and body in memory (headers are accepted and dropped). */
    private static final class Captured {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        int status = 200;
        final HttpServletResponse response;

        Captured() {
            final ServletOutputStream out = new ServletOutputStream() {
                @Override
                public void write(final int b) {
                    body.write(b);
                }

                @Override
                public void write(final byte[] b, final int off, final int len) {
                    body.write(b, off, len);
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setWriteListener(final WriteListener listener) {
                    throw new UnsupportedOperationException();
                }
            };
            final Map<String, InvocationHandler> a = new HashMap<>();
            a.put("setStatus", (p, m, args) -> {
                status = (Integer) args[0];
                return null;
            });
            a.put("getStatus", (p, m, args) -> status);
            a.put("getOutputStream", (p, m, args) -> out);
            response = scripted(HttpServletResponse.class, a, new ArrayList<>());
        }
    }

    /** Counted down when the request's asynchronous response completes. */
    private final CountDownLatch completed = new CountDownLatch(1);

    private HttpServletRequest get(final String url) {
        final Map<String, Object> attributes = new HashMap<>();
        final Map<String, InvocationHandler> a = new HashMap<>();
        final Map<String, InvocationHandler> c = new HashMap<>();
        c.put("complete", (p, m, args) -> {
            completed.countDown();
            return null;
        });
        final AsyncContext context = scripted(AsyncContext.class, c, new ArrayList<>());
        final AtomicBoolean async = new AtomicBoolean();
        a.put("isAsyncStarted", (p, m, args) -> async.get());
        a.put("startAsync", (p, m, args) -> {
            async.set(true);
            return context;
        });
        a.put("getAsyncContext", (p, m, args) -> context);
        a.put("getMethod", (p, m, args) -> "GET");
        a.put("getProtocol", (p, m, args) -> "HTTP/1.1");
        a.put("getRequestURL", (p, m, args) -> new StringBuffer(url));
        a.put("getHeaders", (p, m, args) -> Collections.emptyEnumeration());
        a.put("getHeaderNames", (p, m, args) -> Collections.emptyEnumeration());
        a.put("getAttribute", (p, m, args) -> attributes.get((String) args[0]));
        a.put("setAttribute", (p, m, args) -> attributes.put((String) args[0], args[1]));
        return scripted(HttpServletRequest.class, a, new ArrayList<>());
    }

    private CacheEntry entry(final String key, final byte[] body) throws Exception {
        final Path file = tmp.newFile().toPath();
        Files.write(file, body);
        final Map<String, InvocationHandler> a = new HashMap<>();
        a.put("key", (p, m, args) -> key);
        a.put("meta", (p, m, args) -> new EntryMeta(body.length, "application/octet-stream", null, null, null));
        a.put("open", (p, m, args) -> FileChannel.open(file, StandardOpenOption.READ));
        return scripted(CacheEntry.class, a, new ArrayList<>());
    }

    private final Transfers transfers = new Transfers(4);

    @After
    public void stopTransfers() {
        transfers.stop(1_000);
    }

    private Relay unreachableUpstream() throws Exception {
        return new Relay(new ProxySettings("", false, "127.0.0.1", 1, 1_000, 1_000), transfers,
                new BufferBudget(1 << 20, false), new RelayedBody.Memory(1 << 20));
    }

    @Test
    public void aMissWhoseEarlierDownloadWasCommittedMeanwhileIsServedFromTheEntryNotFetchedAgain() throws Exception {
        final ProxyTarget target = ProxyTarget.of("http", "127.0.0.1:9", "/file.bin", null);
        final String key = CacheKeys.keyFor(target, OtaCacheControl.parse(List.of()));
        final byte[] body = "committed a moment ago".getBytes();
        final CacheEntry committed = entry(key, body);
        final AtomicInteger finds = new AtomicInteger();
        final List<String> fillCalls = new ArrayList<>();
        final Map<String, InvocationHandler> fillAnswers = new HashMap<>();
        fillAnswers.put("isLeader", (p, m, args) -> true);
        final Fill leader = scripted(Fill.class, fillAnswers, fillCalls);
        final Map<String, InvocationHandler> storeAnswers = new HashMap<>();
        // the first lookup misses (the earlier download is still committing); by the time this request leads a new
        // download, that one is an entry
        storeAnswers.put("find", (p, m, args) -> finds.incrementAndGet() == 1 ? null : committed);
        storeAnswers.put("fill", (p, m, args) -> leader);
        final List<String> storeCalls = new ArrayList<>();
        final CacheStore store = scripted(CacheStore.class, storeAnswers, storeCalls);

        final Captured out = new Captured();
        new CachingRelay(unreachableUpstream(), store).handle(
                get(target.toString()), out.response, target, false,
                OtaCacheControl.parse(List.of()));

        assertEquals(200, out.status);
        assertArrayEquals("served from the entry: the unreachable upstream was never asked", body,
                out.body.toByteArray());
        assertTrue("the new download was given up: " + fillCalls, fillCalls.contains("abandon"));
        assertTrue(!fillCalls.contains("begin"));
        assertEquals(2, finds.get());
    }

    @Test
    public void retryCachingNeverFallsBackToTheEntryItDropped() throws Exception {
        final ProxyTarget target = ProxyTarget.of("http", "127.0.0.1:9", "/file.bin", null);
        final OtaCacheControl retry = OtaCacheControl.parse(List.of("retry_caching"));
        final String key = CacheKeys.keyFor(target, retry);
        final CacheEntry stale = entry(key, "stale".getBytes());
        final List<String> fillCalls = new ArrayList<>();
        final Map<String, InvocationHandler> fillAnswers = new HashMap<>();
        fillAnswers.put("isLeader", (p, m, args) -> true);
        final Fill leader = scripted(Fill.class, fillAnswers, fillCalls);
        final Map<String, InvocationHandler> storeAnswers = new HashMap<>();
        storeAnswers.put("find", (p, m, args) -> stale);
        storeAnswers.put("fill", (p, m, args) -> leader);
        final CacheStore store = scripted(CacheStore.class, storeAnswers, new ArrayList<>());

        final Captured out = new Captured();
        new CachingRelay(unreachableUpstream(), store).handle(
                get(target.toString()), out.response, target, false,
                retry);
        assertTrue("the transfer completed the request", completed.await(10, TimeUnit.SECONDS));

        assertEquals("went upstream (unreachable here) instead of serving the dropped entry", 502, out.status);
        assertTrue(fillCalls.contains("abandon")); // the failed upstream request gave the download up
    }

    @Test
    public void aRangeIsNearWhenTheDownloadReachesItWithinATenthOfASecondAtItsPace() {
        // 4 MiB/s (an origin pacing each connection): 1 MiB after 250 ms; about 400 KiB come in the next 100 ms
        final long near = CachingRelay.nearBytes(1L << 20, 10_000, 10_250);
        assertEquals(419_430, near);
        // 100 MB/s: 10 MB ahead is near, 20 MB is not (capped at 16 MiB)
        assertEquals(10_000_000, CachingRelay.nearBytes(100_000_000, 10_000, 11_000));
        assertEquals(CachingRelay.MAX_NEAR_BYTES, CachingRelay.nearBytes(1_000_000_000, 10_000, 11_000));
        // just begun, or no arrival time: a few round trips' worth
        assertEquals(CachingRelay.MIN_NEAR_BYTES, CachingRelay.nearBytes(0, 10_000, 10_000));
        assertEquals(CachingRelay.MIN_NEAR_BYTES, CachingRelay.nearBytes(5_000, 0, 10_000));
        assertEquals(CachingRelay.MIN_NEAR_BYTES, CachingRelay.nearBytes(1_000, 10_000, 10_100));
    }
}
