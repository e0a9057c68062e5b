package io.otaproxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Scriptable HTTP/1.1 origin server on 127.0.0.1 for tests: serves {@link Behaviour}s by raw request-target,
 * records every request byte-exact, and can pose as an upper proxy (absolute-form targets).
 *
 * <p>Plain {@link ServerSocket}, one daemon thread per connection, keep-alive supported. Thread-safe.
 * Unknown targets get a 404. {@link #close()} ends every connection, stalled ones included, promptly.
 */
public final class TestOrigin implements AutoCloseable {

    private static final long CLOSE_WAIT_MILLIS = 2000;

    private final ServerSocket server;
    private final Thread acceptor;
    private final Map<String, Behaviour> routes = new ConcurrentHashMap<>();
    private final Map<String, Function<RecordedRequest, Behaviour>> answers = new ConcurrentHashMap<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Set<Thread> threads = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile boolean closed;

    private TestOrigin(ServerSocket server) {
        this.server = server;
        this.acceptor = new Thread(this::acceptLoop, "test-origin-" + server.getLocalPort() + "-accept");
        this.acceptor.setDaemon(true);
    }

    /** Starts an origin on 127.0.0.1 on a free port. */
    public static TestOrigin start() {
        ServerSocket server;
        try {
            server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot bind a test origin on 127.0.0.1", e);
        }
        TestOrigin origin = new TestOrigin(server);
        origin.acceptor.start();
        return origin;
    }

    /** The port it listens on. */
    public int port() {
        return server.getLocalPort();
    }

    /** Always {@code 127.0.0.1}. */
    public String host() {
        return "127.0.0.1";
    }

    /** {@code 127.0.0.1:PORT}, as it appears in URLs and Host headers. */
    public String authority() {
        return host() + ":" + port();
    }

    /** {@code http://127.0.0.1:PORT} followed by the raw path, unchanged. */
    public String url(String rawPath) {
        return "http://" + authority() + rawPath;
    }

    /** Serves 200 with this body and a Content-Length for exactly this raw request-target. */
    public void put(String rawPathAndQuery, byte[] body) {
        put(rawPathAndQuery, Behaviour.ok(body));
    }

    /** Serves 200 with this body, a Content-Length and the extra headers (in map order). */
    public void put(String rawPathAndQuery, byte[] body, Map<String, String> extraHeaders) {
        put(rawPathAndQuery, Behaviour.ok(body).headers(extraHeaders));
    }

    /**
     * Serves the behaviour for this raw request-target: origin-form ({@code /p?q}) or, to script a fake
     * upper proxy per absolute URL, absolute-form ({@code http://host/p}). Replaces an earlier entry.
     */
    public void put(String rawPathAndQuery, Behaviour behaviour) {
        routes.put(rawPathAndQuery, behaviour);
    }

    /** Forgets the scripted response of this target (it answers 404 again). */
    /**
     * Answers requests for the target by what {@code answer} makes of each request (e.g. 304 for a matching
     * If-None-Match, or a gzip body for Accept-Encoding: gzip); takes precedence over a fixed behaviour.
     */
    public void answer(String rawPathAndQuery, Function<RecordedRequest, Behaviour> answer) {
        answers.put(rawPathAndQuery, answer);
    }

    public void remove(String rawPathAndQuery) {
        answers.remove(rawPathAndQuery);
        routes.remove(rawPathAndQuery);
    }

    /** Snapshot of all requests received so far, in arrival order. */
    public List<RecordedRequest> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    /** The most recent request, or null if none arrived. */
    public RecordedRequest lastRequest() {
        synchronized (requests) {
            return requests.isEmpty() ? null : requests.get(requests.size() - 1);
        }
    }

    /** How many requests carried exactly this request-target (as received). */
    public int requestCount(String rawTarget) {
        int count = 0;
        for (RecordedRequest r : requests()) {
            if (r.target().equals(rawTarget)) {
                count++;
            }
        }
        return count;
    }

    /** Number of TCP connections accepted so far. */
    public int connectionCount() {
        return connections.get();
    }

    /** Waits until at least {@code count} requests arrived; returns false on timeout. */
    public boolean awaitRequests(int count, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        synchronized (requests) {
            while (requests.size() < count) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    return false;
                }
                requests.wait(left);
            }
            return true;
        }
    }

    /** Clears the request log and the connection counter; scripted responses stay. */
    public void clear() {
        synchronized (requests) {
            requests.clear();
        }
        connections.set(0);
    }

    /** Closes the listening socket (new connects are refused) but keeps serving open connections. */
    public void stopAccepting() {
        try {
            server.close();
        } catch (IOException e) {
            // closing a listener does not fail in a way a test could act on
        }
        // the JDK releases the listening socket only once the thread blocked in accept() has left it
        if (Thread.currentThread() != acceptor) {
            try {
                acceptor.join(CLOSE_WAIT_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops accepting, closes every connection (stalled ones too) and waits briefly for the threads to end. */
    @Override
    public void close() {
        closed = true;
        stopAccepting();
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        for (Thread t : threads) {
            t.interrupt();
        }
        long deadline = System.currentTimeMillis() + CLOSE_WAIT_MILLIS;
        List<Thread> toJoin = new ArrayList<>(threads);
        toJoin.add(acceptor);
        for (Thread t : toJoin) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                break;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- used by OriginConnection

    void record(RecordedRequest request) {
        synchronized (requests) {
            requests.add(request);
            requests.notifyAll();
        }
    }

    /** The behaviour for this request: a scripted answer, else the route of its target, else null. */
    Behaviour behaviourFor(RecordedRequest request) {
        String target = request.target();
        Function<RecordedRequest, Behaviour> answer = answers.get(target);
        if (answer == null && originForm(target) != null) {
            answer = answers.get(originForm(target));
        }
        return answer != null ? answer.apply(request) : lookup(target);
    }

    /** Exact target first; for an absolute-form target, then its origin-form part. */
    Behaviour lookup(String target) {
        Behaviour b = routes.get(target);
        if (b != null) {
            return b;
        }
        String originForm = originForm(target);
        return originForm == null ? null : routes.get(originForm);
    }

    void forget(Thread thread, Socket socket) {
        threads.remove(thread);
        sockets.remove(socket);
    }

    /** Path and query of an absolute URI as sent to a proxy ({@code http://h:1/p?q} gives {@code /p?q}), else null. */
    static String originForm(String target) {
        int schemeEnd = target.indexOf("://");
        if (schemeEnd <= 0) {
            return null;
        }
        String scheme = target.substring(0, schemeEnd).toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return null;
        }
        int authorityStart = schemeEnd + 3;
        int end = target.length();
        for (int i = authorityStart; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        String rest = target.substring(end);
        if (rest.isEmpty() || rest.charAt(0) != '/') {
            rest = "/" + rest;
        }
        return rest;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket socket;
            try {
                socket = server.accept();
            } catch (IOException e) {
                return; // listener closed by stopAccepting() or close()
            }
            int number = connections.incrementAndGet();
            Thread t = new Thread(new OriginConnection(this, socket, number), "test-origin-" + port() + "-conn-" + number);
            t.setDaemon(true);
            sockets.add(socket);
            threads.add(t);
            if (closed) {
                // close() may have iterated the sets before we added: do not leak this one
                closeQuietly(socket);
                threads.remove(t);
                sockets.remove(socket);
                return;
            }
            t.start();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already gone
        }
    }

    @Override
    public String toString() {
        return "TestOrigin[" + authority() + ", " + routes.size() + " routes]";
    }
}
