import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load generator of the benchmark: a plain HTTP/1.1 client over blocking NIO with a direct receive buffer, speaking
 * absolute-form to a forward proxy ({@code --via host:port}) or origin-form to the origin ({@code --direct}).
 * Every subcommand prints one line of {@code key=value} pairs that bench/run.sh records.
 *
 * <pre>
 *   get    --origin H:P (--via H:P | --direct) --path P [--repeat N] [--sha HEX]
 *   fanout --origin H:P --via H:P --path P --clients N --late K --late-start-ms T --late-step-ms S
 *   mirror --origin H:P (--via H:P | --direct) --manifest F --clients N --conns C [--sha-header] [--verify]
 *   slow   --origin H:P --via H:P --path P --clients N --rate BYTES_PER_S --secs S
 *   ecus   --origin H:P --via H:P --path BIG --hit-path SMALL --hit-size BYTES --clients N --stalled K
 *          --rate BYTES_PER_S --secs S [--pid P] [--rcvbuf B] [--chunk B] [--ramp-ms T] [--start-wait-s W]
 *          [--hit-interval-ms I] [--hit-timeout-ms T] [--hit-warmup N]
 * </pre>
 */
public final class BenchClient {

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: BenchClient get|fanout|mirror|slow [options]");
            System.exit(2);
        }
        Map<String, String> o = options(args);
        switch (args[0]) {
            case "get" -> get(o);
            case "fanout" -> fanout(o);
            case "mirror" -> mirror(o);
            case "slow" -> slow(o);
            case "ecus" -> ecus(o);
            default -> {
                System.err.println("unknown subcommand " + args[0]);
                System.exit(2);
            }
        }
    }

    static Map<String, String> options(String[] args) {
        Map<String, String> o = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument " + a);
            }
            boolean flag = i + 1 >= args.length || args[i + 1].startsWith("--");
            o.put(a.substring(2), flag ? "true" : args[++i]);
        }
        return o;
    }

    // ------------------------------------------------------------------ subcommands

    /** One client, sequential requests on one keep-alive connection; prints the last request's numbers. */
    static void get(Map<String, String> o) throws IOException {
        Endpoint ep = Endpoint.of(o);
        int repeat = Integer.parseInt(o.getOrDefault("repeat", "1"));
        String extra = o.containsKey("sha") ? "OTA-File-Cache-Control: file_sha256=" + o.get("sha") + "\r\n" : "";
        if (o.containsKey("no-cache")) {
            extra += "OTA-File-Cache-Control: no_cache\r\n";
        }
        Conn c = new Conn(ep, 1 << 20);
        Result r = null;
        for (int i = 0; i < repeat; i++) {
            r = c.fetch(o.get("path"), extra, null);
            if (!r.keepAlive) {
                c.close();
                c = new Conn(ep, 1 << 20);
            }
        }
        c.close();
        double secs = r.totalNanos / 1e9;
        System.out.printf(Locale.ROOT, "status=%d bytes=%d secs=%.4f mbps=%.1f ttfb_ms=%.2f%n", r.status, r.bytes, secs,
                r.bytes / secs / 1e6, r.ttfbNanos / 1e6);
    }

    /** N clients ask for one file; the last K join late, one every step ms from start ms on. */
    static void fanout(Map<String, String> o) throws Exception {
        Endpoint ep = Endpoint.of(o);
        int clients = Integer.parseInt(o.get("clients"));
        int late = Integer.parseInt(o.getOrDefault("late", "0"));
        long lateStart = Long.parseLong(o.getOrDefault("late-start-ms", "500"));
        long lateStep = Long.parseLong(o.getOrDefault("late-step-ms", "250"));
        String path = o.get("path");
        long t0 = System.nanoTime() + 200_000_000L; // every thread is ready before the start
        long[] ends = new long[clients];
        long[] starts = new long[clients];
        long[] ttfbs = new long[clients];
        long[] bytes = new long[clients];
        int[] status = new int[clients];
        Thread[] threads = new Thread[clients];
        for (int i = 0; i < clients; i++) {
            final int id = i;
            final long startAt = t0 + (i < clients - late ? 0 : (lateStart + (i - (clients - late)) * lateStep) * 1_000_000L);
            threads[i] = new Thread(() -> {
                sleepUntil(startAt);
                starts[id] = System.nanoTime();
                try (Conn c = new Conn(ep, 256 * 1024)) {
                    Result r = c.fetch(path, "", null);
                    status[id] = r.status;
                    bytes[id] = r.bytes;
                    ttfbs[id] = r.ttfbNanos;
                } catch (IOException e) {
                    status[id] = -1;
                }
                ends[id] = System.nanoTime();
            });
            threads[i].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        long slowest = 0;
        int errors = 0;
        long expected = Long.parseLong(o.getOrDefault("size", "-1"));
        for (int i = 0; i < clients; i++) {
            slowest = Math.max(slowest, ends[i] - t0);
            if (status[i] != 200 || expected >= 0 && bytes[i] != expected) {
                errors++;
            }
        }
        double[] lateTtfb = new double[late];
        for (int i = 0; i < late; i++) {
            lateTtfb[i] = ttfbs[clients - late + i] / 1e6;
        }
        double earlyTtfbMax = 0;
        for (int i = 0; i < clients - late; i++) {
            earlyTtfbMax = Math.max(earlyTtfbMax, ttfbs[i] / 1e6);
        }
        Arrays.sort(lateTtfb);
        System.out.printf(Locale.ROOT,
                "slowest_s=%.3f late_ttfb_med_ms=%.1f late_ttfb_max_ms=%.1f early_ttfb_max_ms=%.1f errors=%d%n",
                slowest / 1e9, late == 0 ? 0 : lateTtfb[late / 2], late == 0 ? 0 : lateTtfb[late - 1], earlyTtfbMax,
                errors);
    }

    /** N clients each fetch every file of the manifest over C keep-alive connections of their own. */
    static void mirror(Map<String, String> o) throws Exception {
        Endpoint ep = Endpoint.of(o);
        int clients = Integer.parseInt(o.get("clients"));
        int conns = Integer.parseInt(o.get("conns"));
        boolean shaHeader = o.containsKey("sha-header");
        boolean verify = o.containsKey("verify");
        List<String[]> files = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(o.get("manifest")))) {
            if (!line.isBlank()) {
                files.add(line.split(" "));
            }
        }
        String prefix = o.getOrDefault("prefix", "");
        AtomicLong errors = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        long[] clientNanos = new long[clients];
        long t0 = System.nanoTime();
        List<Thread> all = new ArrayList<>();
        for (int k = 0; k < clients; k++) {
            final int client = k;
            AtomicInteger next = new AtomicInteger();
            AtomicInteger running = new AtomicInteger(conns);
            for (int j = 0; j < conns; j++) {
                Thread t = new Thread(() -> {
                    MessageDigest md = verify ? sha256() : null;
                    Conn c = null;
                    try {
                        int i;
                        while ((i = next.getAndIncrement()) < files.size()) {
                            String[] f = files.get(i);
                            String extra = shaHeader ? "OTA-File-Cache-Control: file_sha256=" + f[2] + "\r\n" : "";
                            Result r = null;
                            for (int attempt = 0; attempt < 2 && r == null; attempt++) {
                                try {
                                    if (c == null) {
                                        c = new Conn(ep, 256 * 1024);
                                    }
                                    r = c.fetch(prefix + f[0], extra, md);
                                } catch (IOException e) {
                                    // a kept-alive connection the server closed: retry once on a new one
                                    if (c != null) {
                                        c.close();
                                    }
                                    c = null;
                                }
                            }
                            requests.incrementAndGet();
                            if (r == null || r.status != 200 || r.bytes != Long.parseLong(f[1])
                                    || md != null && !HexFormat.of().formatHex(md.digest()).equals(f[2])) {
                                if (errors.incrementAndGet() <= 5) {
                                    System.err.println("mirror: " + f[0] + " (" + f[1] + " bytes): "
                                            + (r == null ? "no response" : "status " + r.status + ", " + r.bytes + " bytes"));
                                }
                            }
                            if (r != null) {
                                bytes.addAndGet(r.bytes);
                                if (!r.keepAlive) {
                                    c.close();
                                    c = null;
                                }
                            }
                        }
                    } finally {
                        if (c != null) {
                            c.close();
                        }
                        if (running.decrementAndGet() == 0) {
                            clientNanos[client] = System.nanoTime() - t0;
                        }
                    }
                });
                all.add(t);
                t.start();
            }
        }
        for (Thread t : all) {
            t.join();
        }
        long wall = System.nanoTime() - t0;
        long min = Arrays.stream(clientNanos).min().getAsLong();
        System.out.printf(Locale.ROOT, "wall_s=%.3f client_min_s=%.3f requests=%d errors=%d mb=%.1f%n", wall / 1e9,
                min / 1e9, requests.get(), errors.get(), bytes.get() / 1e6);
    }

    /** N clients read one file slowly (small receive window, paced reads), then hang up after S seconds. */
    static void slow(Map<String, String> o) throws Exception {
        Endpoint ep = Endpoint.of(o);
        int clients = Integer.parseInt(o.get("clients"));
        long rate = Long.parseLong(o.get("rate"));
        long secs = Long.parseLong(o.get("secs"));
        String path = o.get("path");
        AtomicLong total = new AtomicLong();
        AtomicInteger ok = new AtomicInteger();
        long t0 = System.nanoTime();
        long stop = t0 + secs * 1_000_000_000L;
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> {
                try (SocketChannel ch = SocketChannel.open()) {
                    ch.setOption(StandardSocketOptions.SO_RCVBUF, 16 * 1024);
                    ch.connect(ep.address);
                    writeAll(ch, ep.request(path, ""));
                    ByteBuffer b = ByteBuffer.allocate(8 * 1024);
                    long got = 0;
                    long start = System.nanoTime();
                    boolean counted = false;
                    while (System.nanoTime() < stop) {
                        b.clear();
                        int n = ch.read(b);
                        if (n < 0) {
                            break;
                        }
                        got += n;
                        if (!counted && got > 0) {
                            counted = true;
                            String head = new String(b.array(), 0, Math.min(n, 12), StandardCharsets.ISO_8859_1);
                            if (head.startsWith("HTTP/1.1 200") || head.startsWith("HTTP/1.0 200")) {
                                ok.incrementAndGet();
                            }
                        }
                        sleepUntil(start + got * 1_000_000_000L / rate);
                    }
                    total.addAndGet(got);
                } catch (IOException e) {
                    // counted as not ok
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        System.out.printf(Locale.ROOT, "clients_ok=%d mb=%.1f secs=%.1f%n", ok.get(), total.get() / 1e6,
                (System.nanoTime() - t0) / 1e9);
    }

    /**
     * S6, many slow ECUs: N connections each read one cached file at about RATE bytes/s (small receive buffer,
     * CHUNK bytes per paced read); K of them stall (half send the request and never read, half read one chunk and
     * then stop), all keeping their connections open. After the ramp (every connection opened, every reading one
     * served, or START_WAIT seconds), one more client measures sequential hits of a small cached file on one
     * keep-alive connection for S seconds, one request every HIT_INTERVAL ms, each with a deadline of HIT_TIMEOUT
     * ms (connect included); a request that fails or misses its deadline is an error, and its connection is
     * replaced. With --pid, the threads and the RSS of that process and its descendants are sampled every 250 ms
     * from the ramp to the end.
     *
     * <p>One thread runs all the slow connections (non-blocking, polled on their schedule, no selector needed),
     * one the hits, one a watchdog for the hits' deadlines; the main thread opens the connections and samples.
     */
    static void ecus(Map<String, String> o) throws Exception {
        Endpoint ep = Endpoint.of(o);
        String path = o.get("path");
        String hitPath = o.get("hit-path");
        long hitSize = Long.parseLong(o.getOrDefault("hit-size", "4096"));
        int clients = Integer.parseInt(o.get("clients"));
        int stalled = Integer.parseInt(o.getOrDefault("stalled", "0"));
        long rate = Long.parseLong(o.getOrDefault("rate", String.valueOf(256 * 1024)));
        long secs = Long.parseLong(o.get("secs"));
        int rcvbuf = Integer.parseInt(o.getOrDefault("rcvbuf", String.valueOf(32 * 1024)));
        int chunk = Integer.parseInt(o.getOrDefault("chunk", String.valueOf(16 * 1024)));
        long rampMs = Long.parseLong(o.getOrDefault("ramp-ms", "3000"));
        long startWaitS = Long.parseLong(o.getOrDefault("start-wait-s", "10"));
        long hitIntervalMs = Long.parseLong(o.getOrDefault("hit-interval-ms", "10"));
        int hitTimeoutMs = Integer.parseInt(o.getOrDefault("hit-timeout-ms", "5000"));
        int hitWarmup = Integer.parseInt(o.getOrDefault("hit-warmup", "200"));
        long pid = Long.parseLong(o.getOrDefault("pid", "0"));
        long period = chunk * 1_000_000_000L / rate;

        // the hit client first warms itself (and the proxy's hit path) up, uncounted
        Hitter hitter = new Hitter(ep, hitPath, hitSize, hitTimeoutMs);
        for (int i = 0; i < hitWarmup && hitter.errors < 3; i++) {
            hitter.once();
        }
        hitter.latencies.clear();
        hitter.errors = 0;

        ProcSampler sampler = new ProcSampler(pid);
        sampler.sample();
        // stalled connections spread evenly among the readers: every (clients / stalled)-th one
        // (0: reads, 1: stalled without reading, 2: stalled after one chunk; the two kinds alternate)
        int[] kind = new int[clients];
        for (int k = 0; k < stalled; k++) {
            kind[(int) ((long) k * clients / stalled)] = 1 + k % 2;
        }
        java.util.concurrent.ConcurrentLinkedQueue<Slow> fresh = new java.util.concurrent.ConcurrentLinkedQueue<>();
        List<Slow> all = new ArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread reader = new Thread(() -> {
            ByteBuffer sink = ByteBuffer.allocateDirect(chunk);
            List<Slow> mine = new ArrayList<>();
            while (!stop.get()) {
                Slow s;
                while ((s = fresh.poll()) != null) {
                    mine.add(s);
                }
                long now = System.nanoTime();
                long next = now + 5_000_000L;
                for (Slow c : mine) {
                    if (c.closed) {
                        continue;
                    }
                    if (now >= c.nextAt) {
                        c.service(sink, chunk, now);
                        c.nextAt = Math.max(c.nextAt + period, now - period); // no catching up beyond one chunk
                    }
                    if (!c.closed && c.nextAt < next && !(c.stalled && (c.neverRead || c.got > 0))) {
                        next = c.nextAt;
                    }
                }
                sleepUntil(Math.max(next, System.nanoTime() + 200_000L));
            }
        }, "slow-readers");
        reader.setDaemon(true);
        reader.start();

        // the ramp: one connection every rampMs / clients, each sends its request at once
        long t0 = System.nanoTime();
        int connectErrors = 0;
        long nextSample = t0;
        for (int i = 0; i < clients; i++) {
            sleepUntil(t0 + rampMs * 1_000_000L * i / clients);
            Slow s = new Slow(kind[i] != 0, kind[i] == 1);
            try {
                s.ch = SocketChannel.open();
                s.ch.setOption(StandardSocketOptions.SO_RCVBUF, rcvbuf);
                s.ch.socket().connect(ep.address, 5000);
                writeAll(s.ch, ep.request(path, ""));
                s.ch.configureBlocking(false);
                s.startedAt = System.nanoTime();
                s.nextAt = s.startedAt + (long) (Math.random() * period);
                all.add(s);
                fresh.add(s);
            } catch (IOException e) {
                connectErrors++;
                if (s.ch != null) {
                    s.ch.close();
                }
            }
            if (System.nanoTime() >= nextSample) {
                sampler.sample();
                nextSample = System.nanoTime() + 250_000_000L;
            }
        }
        // the window starts once every reading connection got its first bytes, or after startWaitS
        long waitEnd = System.nanoTime() + startWaitS * 1_000_000_000L;
        while (System.nanoTime() < waitEnd && all.stream().anyMatch(s -> !s.stalled && s.got == 0 && !s.closed)) {
            sampler.sample();
            Thread.sleep(100);
        }
        long w0 = System.nanoTime();
        int served = (int) all.stream().filter(s -> !s.stalled && s.got > 0).count();
        long[] gotAtStart = new long[all.size()];
        for (int i = 0; i < all.size(); i++) {
            gotAtStart[i] = all.get(i).got;
        }
        long wEnd = w0 + secs * 1_000_000_000L;
        Thread hits = new Thread(() -> {
            // one request every interval; after a slow one, the next goes at once (missed slots are not made up)
            for (long at = w0; at < wEnd; at = Math.max(at + hitIntervalMs * 1_000_000L, System.nanoTime())) {
                sleepUntil(at);
                hitter.once();
            }
        }, "hits");
        hits.start();
        while (System.nanoTime() < wEnd) {
            sampler.sample();
            sleepUntil(Math.min(wEnd, System.nanoTime() + 250_000_000L));
        }
        long windowBytes = 0;
        int atRate = 0;
        int slowClosed = 0;
        int stalledOpen = 0;
        int ok = 0;
        for (int i = 0; i < all.size(); i++) {
            Slow s = all.get(i);
            long b = s.got - gotAtStart[i];
            if (s.stalled) {
                stalledOpen += s.closed ? 0 : 1;
                continue;
            }
            windowBytes += b;
            // at rate: at least half of what the pace allows in the window
            if (b >= rate * secs / 2) {
                atRate++;
            }
            slowClosed += s.closed ? 1 : 0;
            ok += s.ok ? 1 : 0;
        }
        hits.join(hitTimeoutMs + 1000L);
        stop.set(true);
        reader.join(2000);
        sampler.sample();
        long hwm = sampler.hwmKb();
        for (Slow s : all) {
            try {
                s.ch.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
        hitter.close();
        double[] lat = hitter.latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int readers = clients - stalled;
        System.out.printf(Locale.ROOT,
                "hits=%d hit_errors=%d hit_p50_ms=%s hit_p99_ms=%s hit_max_ms=%s slow_served=%d slow_at_rate=%d"
                        + " slow_ok=%d slow_closed=%d stalled_open=%d slow_mbps=%.1f expected_mbps=%.1f"
                        + " connect_errors=%d ramp_s=%.1f threads_max=%d rss_max_mb=%d hwm_mb=%d procs=%d%n",
                lat.length, hitter.errors, pct(lat, 0.50), pct(lat, 0.99), pct(lat, 1.0), served, atRate, ok,
                slowClosed, stalledOpen, windowBytes / (secs * 1e6), readers * (double) rate / 1e6, connectErrors,
                (w0 - t0) / 1e9, sampler.threadsMax, sampler.rssMaxKb / 1024, hwm / 1024, sampler.procsMax);
    }

    /** Percentile of sorted values, as text (nearest rank); "nan" when there is none. */
    private static String pct(double[] sorted, double p) {
        if (sorted.length == 0) {
            return "nan";
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return String.format(Locale.ROOT, "%.2f", sorted[Math.max(0, Math.min(sorted.length - 1, i))]);
    }

    /** One slow connection of S6; touched by the reader thread only once handed over. */
    static final class Slow {
        final boolean stalled;
        final boolean neverRead;
        SocketChannel ch;
        long startedAt;
        long nextAt;
        volatile long got;
        volatile boolean closed;
        volatile boolean ok;
        private final byte[] head = new byte[12];

        Slow(boolean stalled, boolean neverRead) {
            this.stalled = stalled;
            this.neverRead = neverRead;
        }

        /** One paced read of up to chunk bytes; a stalled connection reads nothing, or one chunk once. */
        void service(ByteBuffer sink, int chunk, long now) {
            if (stalled && (neverRead || got > 0)) {
                return;
            }
            try {
                long before = got;
                while (got - before < chunk) {
                    sink.clear();
                    sink.limit((int) Math.min(chunk, chunk - (got - before)));
                    int n = ch.read(sink);
                    if (n < 0) {
                        closed = true;
                        break;
                    }
                    if (n == 0) {
                        break;
                    }
                    if (got < head.length) {
                        sink.flip();
                        int take = (int) Math.min(n, head.length - got);
                        sink.get(head, (int) got, take);
                        if (got + take == head.length) {
                            String h = new String(head, StandardCharsets.ISO_8859_1);
                            ok = h.startsWith("HTTP/1.1 200") || h.startsWith("HTTP/1.0 200");
                        }
                    }
                    got += n;
                }
            } catch (IOException e) {
                closed = true;
            }
        }
    }

    /** S6's hit client: sequential GETs on one keep-alive connection, each with a deadline enforced by a watchdog. */
    static final class Hitter {
        private final Endpoint ep;
        private final String path;
        private final long size;
        private final int timeoutMs;
        private final java.util.concurrent.ScheduledExecutorService watchdog =
                java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "hit-watchdog");
                    t.setDaemon(true);
                    return t;
                });
        final List<Double> latencies = new ArrayList<>();
        int errors;
        private Conn conn;
        private int errorsShown;

        Hitter(Endpoint ep, String path, long size, int timeoutMs) {
            this.ep = ep;
            this.path = path;
            this.size = size;
            this.timeoutMs = timeoutMs;
        }

        /** One request; its latency (ms) is recorded when it succeeds, else it counts as an error. */
        void once() {
            long t = System.nanoTime();
            long deadline = t + timeoutMs * 1_000_000L;
            java.util.concurrent.atomic.AtomicBoolean timedOut = new java.util.concurrent.atomic.AtomicBoolean();
            Conn[] current = new Conn[1];
            Object lock = new Object();
            java.util.concurrent.ScheduledFuture<?> dog = watchdog.schedule(() -> {
                synchronized (lock) {
                    timedOut.set(true);
                    if (current[0] != null) {
                        current[0].close(); // the blocked read ends with an exception
                    }
                }
            }, timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
            String error = null;
            try {
                if (conn == null) {
                    conn = new Conn(ep, 64 * 1024, timeoutMs);
                }
                synchronized (lock) {
                    current[0] = conn;
                    if (timedOut.get()) {
                        conn.close();
                    }
                }
                Result r = conn.fetch(path, "", null);
                if (r.status != 200 || r.bytes != size) {
                    error = "status " + r.status + ", " + r.bytes + " bytes";
                }
                if (!r.keepAlive) {
                    conn.close();
                    conn = null;
                }
            } catch (IOException | RuntimeException e) {
                error = e.toString();
            } finally {
                synchronized (lock) {
                    dog.cancel(false);
                    current[0] = null;
                }
            }
            long end = System.nanoTime();
            if (error == null && !timedOut.get() && end <= deadline) {
                latencies.add((end - t) / 1e6);
                return;
            }
            errors++;
            if (errorsShown++ < 5) {
                System.err.println("ecus: hit failed after " + (end - t) / 1_000_000 + " ms: "
                        + (timedOut.get() ? "timeout" : error));
            }
            if (conn != null) {
                conn.close();
                conn = null;
            }
        }

        void close() {
            if (conn != null) {
                conn.close();
            }
            watchdog.shutdownNow();
        }
    }

    /**
     * Threads and memory of a process and all its descendants, from /proc: the most threads (entries of
     * /proc/P/task, summed) and the most RSS (VmRSS, summed) seen in any sample, and the summed VmHWM at the end.
     */
    static final class ProcSampler {
        private final long root;
        int threadsMax;
        long rssMaxKb;
        int procsMax;
        private List<Long> last = List.of();

        ProcSampler(long root) {
            this.root = root;
        }

        void sample() {
            if (root <= 0) {
                return;
            }
            List<Long> tree = tree();
            int threads = 0;
            long rss = 0;
            for (long p : tree) {
                String[] tasks = new java.io.File("/proc/" + p + "/task").list();
                threads += tasks == null ? 0 : tasks.length;
                rss += statusKb(p, "VmRSS:");
            }
            threadsMax = Math.max(threadsMax, threads);
            rssMaxKb = Math.max(rssMaxKb, rss);
            procsMax = Math.max(procsMax, tree.size());
            last = tree;
        }

        long hwmKb() {
            long sum = 0;
            for (long p : last) {
                sum += statusKb(p, "VmHWM:");
            }
            return sum;
        }

        private List<Long> tree() {
            Map<Long, List<Long>> children = new HashMap<>();
            String[] names = new java.io.File("/proc").list();
            for (String n : names == null ? new String[0] : names) {
                if (n.isEmpty() || !Character.isDigit(n.charAt(0))) {
                    continue;
                }
                try {
                    String stat = Files.readString(Path.of("/proc", n, "stat"));
                    // pid (comm) state ppid ...: comm may hold spaces and parentheses
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    children.computeIfAbsent(Long.parseLong(f[1]), k -> new ArrayList<>()).add(Long.parseLong(n));
                } catch (IOException | RuntimeException e) {
                    // the process is gone
                }
            }
            List<Long> out = new ArrayList<>();
            java.util.ArrayDeque<Long> todo = new java.util.ArrayDeque<>();
            todo.add(root);
            while (!todo.isEmpty()) {
                long p = todo.poll();
                out.add(p);
                todo.addAll(children.getOrDefault(p, List.of()));
            }
            return out;
        }

        private static long statusKb(long pid, String key) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                    if (line.startsWith(key)) {
                        return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // the process is gone
            }
            return 0;
        }
    }

    // ------------------------------------------------------------------ HTTP

    static final class Endpoint {
        final InetSocketAddress address;
        final String origin;
        final boolean direct;

        Endpoint(InetSocketAddress address, String origin, boolean direct) {
            this.address = address;
            this.origin = origin;
            this.direct = direct;
        }

        static Endpoint of(Map<String, String> o) {
            String origin = o.get("origin");
            boolean direct = o.containsKey("direct");
            String to = direct ? origin : o.get("via");
            int colon = to.lastIndexOf(':');
            return new Endpoint(new InetSocketAddress(to.substring(0, colon), Integer.parseInt(to.substring(colon + 1))),
                    origin, direct);
        }

        ByteBuffer request(String path, String extraHeaders) {
            String target = direct ? path : "http://" + origin + path;
            return ByteBuffer.wrap(("GET " + target + " HTTP/1.1\r\nHost: " + origin + "\r\nUser-Agent: ota-bench\r\n"
                    + extraHeaders + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        }
    }

    static final class Result {
        int status;
        long bytes;
        long ttfbNanos;
        long totalNanos;
        boolean keepAlive = true;
    }

    /** One keep-alive connection; not thread-safe. */
    static final class Conn implements AutoCloseable {
        private final Endpoint ep;
        private final SocketChannel ch;
        private final ByteBuffer buf;
        private long sentAt;
        private long firstByteAt;

        Conn(Endpoint ep, int bufferBytes) throws IOException {
            this(ep, bufferBytes, 0);
        }

        /** With a connect timeout in ms (0: none). */
        Conn(Endpoint ep, int bufferBytes, int connectTimeoutMs) throws IOException {
            this.ep = ep;
            this.ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (connectTimeoutMs > 0) {
                try {
                    ch.socket().connect(ep.address, connectTimeoutMs);
                } catch (IOException e) {
                    ch.close();
                    throw e;
                }
            } else {
                ch.connect(ep.address);
            }
            buf = ByteBuffer.allocateDirect(bufferBytes);
            buf.flip(); // read mode, empty
        }

        Result fetch(String path, String extraHeaders, MessageDigest md) throws IOException {
            Result r = new Result();
            sentAt = System.nanoTime();
            firstByteAt = 0;
            writeAll(ch, ep.request(path, extraHeaders));
            // status line and headers
            String status = readLine();
            if (status == null) {
                throw new IOException("connection closed before the response");
            }
            String[] sp = status.split(" ", 3);
            r.status = Integer.parseInt(sp[1]);
            if (sp[0].equals("HTTP/1.0")) {
                r.keepAlive = false;
            }
            long length = -1;
            boolean chunked = false;
            String line;
            while ((line = readLine()) != null && !line.isEmpty()) {
                int colon = line.indexOf(':');
                String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                if (name.equals("content-length")) {
                    length = Long.parseLong(value);
                } else if (name.equals("transfer-encoding") && value.toLowerCase(Locale.ROOT).contains("chunked")) {
                    chunked = true;
                } else if (name.equals("connection") && value.toLowerCase(Locale.ROOT).contains("close")) {
                    r.keepAlive = false;
                }
            }
            if (line == null) {
                throw new IOException("connection closed inside the response head");
            }
            long headAt = System.nanoTime();
            firstByteAt = buf.hasRemaining() ? headAt : 0;
            if (md != null) {
                md.reset();
            }
            if (chunked) {
                while (true) {
                    String size = readLine();
                    if (size == null) {
                        throw new IOException("chunked body truncated");
                    }
                    int semi = size.indexOf(';');
                    long n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                    if (n == 0) {
                        while ((line = readLine()) != null && !line.isEmpty()) {
                            // trailers
                        }
                        break;
                    }
                    r.bytes += skip(n, md);
                    readLine();
                }
            } else if (length >= 0) {
                r.bytes = skip(length, md);
                if (r.bytes < length) {
                    throw new IOException("body truncated after " + r.bytes + " of " + length);
                }
            } else {
                r.bytes = skip(Long.MAX_VALUE, md);
                r.keepAlive = false;
            }
            long end = System.nanoTime();
            r.ttfbNanos = (r.bytes == 0 || firstByteAt == 0 ? headAt : firstByteAt) - sentAt;
            r.totalNanos = end - sentAt;
            return r;
        }

        /** Makes bytes available in buf (read mode); false at end of stream. */
        private boolean fill() throws IOException {
            if (buf.hasRemaining()) {
                return true;
            }
            buf.clear();
            int n = ch.read(buf);
            buf.flip();
            if (n > 0 && firstByteAt == 0) {
                firstByteAt = System.nanoTime();
            }
            return n > 0;
        }

        private String readLine() throws IOException {
            StringBuilder sb = new StringBuilder();
            while (true) {
                if (!fill()) {
                    return sb.length() == 0 ? null : sb.toString();
                }
                byte b = buf.get();
                if (b == '\n') {
                    int len = sb.length();
                    if (len > 0 && sb.charAt(len - 1) == '\r') {
                        sb.setLength(len - 1);
                    }
                    return sb.toString();
                }
                sb.append((char) (b & 0xFF));
            }
        }

        /** Consumes up to n body bytes (to the end of stream for MAX_VALUE); returns how many. */
        private long skip(long n, MessageDigest md) throws IOException {
            long done = 0;
            while (done < n) {
                if (!buf.hasRemaining()) {
                    buf.clear();
                    int k = ch.read(buf);
                    buf.flip();
                    if (k < 0) {
                        break;
                    }
                    if (firstByteAt == 0 && k > 0) {
                        firstByteAt = System.nanoTime();
                    }
                }
                int take = (int) Math.min(buf.remaining(), n - done);
                if (md != null) {
                    ByteBuffer slice = buf.slice();
                    slice.limit(take);
                    md.update(slice);
                }
                buf.position(buf.position() + take);
                done += take;
            }
            return done;
        }

        @Override
        public void close() {
            try {
                ch.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    static void writeAll(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    static void sleepUntil(long nanoTime) {
        long wait;
        while ((wait = nanoTime - System.nanoTime()) > 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(wait);
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
