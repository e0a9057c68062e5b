import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

import io.otaproxy.testing.TestData;

/**
 * Benchmark origin on 127.0.0.1: serves the files of a generated data set with sendfile, cacheable headers, and an
 * optional aggregate rate limit shared by all connections (a WAN link). Counts requests and body bytes per path.
 *
 * <pre>
 *   BenchOrigin gen DIR BIG_BYTES FAN_BYTES SMALL_COUNT OTA_COUNT   generate the data set (skipped if up to date)
 *   BenchOrigin serve DIR PORT_FILE                                  serve DIR, write the bound port to PORT_FILE
 *   BenchOrigin file FILE BYTES SEED                                 generate one file (skipped if of that size)
 * </pre>
 *
 * Control paths (never counted): {@code /__ping}, {@code /__stats}, {@code /__reset}, {@code /__rate/<bytes per s>}
 * (0 = unlimited). A path may carry a cache-busting prefix {@code /v<digits>/} that is stripped before lookup, so
 * a cold miss needs no proxy restart.
 */
public final class BenchOrigin {

    private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};
    private static final String CACHEABLE = "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
            + "Cache-Control: public, max-age=86400\r\nContent-Type: application/octet-stream\r\n";

    /** Bytes per sendfile call when unpaced (BENCH_SENDFILE_CHUNK); nginx's sendfile_max_chunk is 2m. */
    private static final long SENDFILE_CHUNK = Long.parseLong(System.getenv().getOrDefault("BENCH_SENDFILE_CHUNK",
            String.valueOf(2 << 20)));

    private final Path root;
    private final Map<String, LongAdder> perPath = new ConcurrentHashMap<>();
    private final LongAdder requests = new LongAdder();
    private final LongAdder bodyBytes = new LongAdder();
    private final AtomicLong connections = new AtomicLong();
    private final Pacer pacer = new Pacer();

    private BenchOrigin(Path root) {
        this.root = root;
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 6 && args[0].equals("gen")) {
            generate(Path.of(args[1]), Long.parseLong(args[2]), Long.parseLong(args[3]), Integer.parseInt(args[4]),
                    Integer.parseInt(args[5]));
        } else if (args.length >= 4 && args[0].equals("file")) {
            Path file = Path.of(args[1]);
            long size = Long.parseLong(args[2]);
            if (!Files.isRegularFile(file) || Files.size(file) != size) {
                writeGenerated(file, size, Long.parseLong(args[3]));
            }
        } else if (args.length >= 3 && args[0].equals("serve")) {
            new BenchOrigin(Path.of(args[1])).serve(Path.of(args[2]));
        } else {
            System.err.println("usage: BenchOrigin gen DIR BIG FAN SMALL_COUNT OTA_COUNT | serve DIR PORT_FILE"
                    + " | file FILE BYTES SEED");
            System.exit(2);
        }
    }

    // ------------------------------------------------------------------ data set

    /**
     * Writes big/1g, fan/256m, small/fNNNN (4 KiB each) and ota/dNN/fNNNNN with ota-manifest.txt (path size
     * sha256). The OTA mix is rootfs-like: most files under 4 KiB (some empty), a tail up to 8 MiB, and four
     * files of tens of MiB. Deterministic: the same parameters give the same bytes.
     */
    static void generate(Path dir, long big, long fan, int smallCount, int otaCount) throws Exception {
        String stamp = "v2 " + big + " " + fan + " " + smallCount + " " + otaCount;
        Path stampFile = dir.resolve("STAMP");
        if (Files.exists(stampFile) && Files.readString(stampFile).strip().equals(stamp)) {
            System.out.println("data set up to date in " + dir);
            return;
        }
        long t0 = System.nanoTime();
        Files.createDirectories(dir);
        Files.deleteIfExists(stampFile);
        writeGenerated(dir.resolve("big/1g"), big, 1);
        writeGenerated(dir.resolve("fan/256m"), fan, 2);
        for (int i = 0; i < smallCount; i++) {
            writeGenerated(dir.resolve(String.format("small/f%04d", i)), 4096, 1000 + i);
        }
        List<String> manifest = new ArrayList<>();
        Random rnd = new Random(42);
        long total = 0;
        for (int i = 0; i < otaCount; i++) {
            long size = otaSize(rnd, i, otaCount);
            String rel = String.format("ota/d%02d/f%05d", i / 1000, i);
            String sha = writeGenerated(dir.resolve(rel), size, 100_000 + i);
            manifest.add("/" + rel + " " + size + " " + sha);
            total += size;
        }
        Files.write(dir.resolve("ota-manifest.txt"), manifest);
        Files.writeString(stampFile, stamp + "\n");
        System.out.printf("data set generated in %s in %.1f s (ota: %d files, %d bytes)%n", dir,
                (System.nanoTime() - t0) / 1e9, otaCount, total);
    }

    private static long otaSize(Random rnd, int i, int count) {
        // four large images spread through the list, scaled down with the count for smoke runs
        long scale = Math.max(1, 20_000 / Math.max(1, count));
        if (count >= 8 && i % (count / 4) == count / 8) {
            long[] bigs = {16L << 20, 24L << 20, 32L << 20, 48L << 20};
            return bigs[(i / (count / 4)) % 4] / scale;
        }
        double r = rnd.nextDouble();
        if (r < 0.04) {
            return 0;
        }
        if (r < 0.70) {
            return 1 + rnd.nextInt(4095);
        }
        if (r < 0.95) {
            return logUniform(rnd, 4096, 64 * 1024);
        }
        if (r < 0.997) {
            return logUniform(rnd, 64 * 1024, 1 << 20);
        }
        return logUniform(rnd, 1 << 20, 8 << 20) / scale;
    }

    private static long logUniform(Random rnd, long lo, long hi) {
        return (long) Math.exp(Math.log(lo) + rnd.nextDouble() * (Math.log(hi) - Math.log(lo)));
    }

    private static String writeGenerated(Path file, long size, long seed) throws Exception {
        Files.createDirectories(file.getParent());
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (var in = TestData.stream(size, seed);
                FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                        StandardOpenOption.TRUNCATE_EXISTING)) {
            int n;
            while ((n = in.read(buf, 0, buf.length)) > 0) {
                md.update(buf, 0, n);
                ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                while (bb.hasRemaining()) {
                    out.write(bb);
                }
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    // ------------------------------------------------------------------ server

    private void serve(Path portFile) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1024);
        int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
        Path tmp = portFile.resolveSibling(portFile.getFileName() + ".tmp");
        Files.writeString(tmp, port + "\n");
        Files.move(tmp, portFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        System.out.println("origin listening on 127.0.0.1:" + port + " serving " + root);
        while (true) {
            SocketChannel ch = server.accept();
            connections.incrementAndGet();
            Thread t = new Thread(() -> connection(ch), "conn");
            t.setDaemon(true);
            t.start();
        }
    }

    private void connection(SocketChannel ch) {
        try (ch) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer in = ByteBuffer.allocate(16 * 1024);
            while (true) {
                int end;
                while ((end = headEnd(in)) < 0) {
                    if (!in.hasRemaining() || ch.read(in) < 0) {
                        return;
                    }
                }
                String head = new String(in.array(), 0, end, StandardCharsets.ISO_8859_1);
                // keep what follows the head (a pipelined request) for the next round
                int after = end + HEAD_END.length;
                System.arraycopy(in.array(), after, in.array(), 0, in.position() - after);
                in.position(in.position() - after);
                if (!answer(ch, head)) {
                    return;
                }
            }
        } catch (IOException e) {
            // the client went away
        }
    }

    private static int headEnd(ByteBuffer in) {
        byte[] a = in.array();
        for (int i = 0; i + 3 < in.position(); i++) {
            if (a[i] == '\r' && a[i + 1] == '\n' && a[i + 2] == '\r' && a[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** Answers one request; false when the connection must close. */
    private boolean answer(SocketChannel ch, String head) throws IOException {
        int lineEnd = head.indexOf("\r\n");
        String line = lineEnd < 0 ? head : head.substring(0, lineEnd);
        String[] parts = line.split(" ");
        if (parts.length != 3) {
            write(ch, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return false;
        }
        String method = parts[0];
        String target = parts[1];
        boolean close = head.toLowerCase().contains("\r\nconnection: close") || parts[2].equals("HTTP/1.0");
        String connHeader = close ? "Connection: close\r\n" : "";
        if (target.startsWith("http://")) {
            int slash = target.indexOf('/', 7);
            target = slash < 0 ? "/" : target.substring(slash);
        }
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        if (path.startsWith("/__")) {
            String body = control(path);
            write(ch, "HTTP/1.1 200 OK\r\nContent-Length: " + body.length()
                    + "\r\nCache-Control: no-store\r\nContent-Type: text/plain\r\n" + connHeader + "\r\n" + body);
            return !close;
        }
        if (path.startsWith("/v")) {
            int slash = path.indexOf('/', 2);
            if (slash > 2 && path.substring(2, slash).chars().allMatch(Character::isDigit)) {
                path = path.substring(slash);
            }
        }
        if (path.contains("..") || !(method.equals("GET") || method.equals("HEAD"))) {
            write(ch, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return false;
        }
        requests.increment();
        perPath.computeIfAbsent(path, k -> new LongAdder()).increment();
        FileChannel file;
        try {
            file = FileChannel.open(root.resolve(path.substring(1)), StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            write(ch, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n" + connHeader + "\r\n");
            return !close;
        }
        try (file) {
            long size = file.size();
            write(ch, "HTTP/1.1 200 OK\r\nContent-Length: " + size + "\r\n" + CACHEABLE + "ETag: \"" + size + "-"
                    + Integer.toHexString(path.hashCode()) + "\"\r\n" + connHeader + "\r\n");
            if (method.equals("GET")) {
                sendBody(ch, file, size);
            }
        }
        return !close;
    }

    private void sendBody(SocketChannel ch, FileChannel file, long size) throws IOException {
        long pos = 0;
        while (pos < size) {
            long rate = pacer.rate;
            long slice = rate > 0 ? Math.max(4096, Math.min(64 * 1024, rate / 100)) : SENDFILE_CHUNK;
            long n = Math.min(slice, size - pos);
            if (rate > 0) {
                pacer.acquire(n, rate);
            }
            long sent = 0;
            while (sent < n) {
                long k = file.transferTo(pos + sent, n - sent, ch);
                if (k <= 0 && !ch.isOpen()) {
                    throw new IOException("closed");
                }
                sent += k;
            }
            pos += n;
            bodyBytes.add(n);
        }
    }

    private static void write(SocketChannel ch, String s) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private String control(String path) {
        if (path.equals("/__reset")) {
            requests.reset();
            bodyBytes.reset();
            perPath.clear();
            return "ok\n";
        }
        if (path.startsWith("/__rate/")) {
            pacer.rate = Long.parseLong(path.substring("/__rate/".length()));
            return "rate " + pacer.rate + "\n";
        }
        if (path.equals("/__stats")) {
            long dup = 0;
            long max = 0;
            for (LongAdder a : perPath.values()) {
                long c = a.sum();
                max = Math.max(max, c);
                if (c > 1) {
                    dup++;
                }
            }
            return "requests=" + requests.sum() + " bytes=" + bodyBytes.sum() + " paths=" + perPath.size()
                    + " dup_paths=" + dup + " max_per_path=" + max + " connections=" + connections.get() + "\n";
        }
        return "pong\n";
    }

    /** One virtual clock for all connections: each slice books the link for size/rate seconds, no idle credit. */
    static final class Pacer {
        volatile long rate;
        private long nextFreeNanos;

        void acquire(long bytes, long bytesPerSecond) {
            long start;
            synchronized (this) {
                long now = System.nanoTime();
                start = Math.max(now, nextFreeNanos);
                nextFreeNanos = start + bytes * 1_000_000_000L / bytesPerSecond;
            }
            long wait;
            while ((wait = start - System.nanoTime()) > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }
}
