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
            this.ep = ep;
            this.ch = SocketChannel.open();
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.connect(ep.address);
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
