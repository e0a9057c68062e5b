package io.otaproxy.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.otaproxy.testing.FreePorts;
import io.otaproxy.testing.RawHttpClient;

/**
 * A standard caching forward proxy, Squid or nginx, run as a process on 127.0.0.1 with a configuration of its own
 * in a private directory: the depot or CDN tier above the cars' ota-proxy. The program is installed from Debian
 * packages when missing.
 */
final class UpperCache implements AutoCloseable {

    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));

    private final String name;
    private final Path dir;
    private final int port;
    private final Process process;

    private UpperCache(final String name, final Path dir, final int port, final Process process) {
        this.name = name;
        this.dir = dir;
        this.port = port;
        this.process = process;
    }

    /** Starts the named cache ("squid" or "nginx") and waits until it relays {@code readyUrl} with a 200. */
    static UpperCache start(final String name, final String readyUrl) throws IOException, InterruptedException {
        final Path dir = Files.createTempDirectory("ota-upper-" + name + "-");
        // Squid drops root for its cache user, which must be able to enter the directory
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        final int port = FreePorts.find();
        final UpperCache cache = switch (name) {
            case "squid" -> squid(dir, port);
            case "nginx" -> nginx(dir, port);
            default -> throw new IllegalArgumentException("no upper cache named " + name);
        };
        try {
            cache.awaitReady(readyUrl);
        } catch (final AssertionError | IOException e) {
            cache.close();
            throw e;
        }
        return cache;
    }

    private static UpperCache squid(final Path dir, final int port) throws IOException, InterruptedException {
        final Path squid = DebianPackages.require("squid", "squid");
        final Path conf = dir.resolve("squid.conf");
        Files.createDirectories(dir.resolve("cache"));
        Files.writeString(conf, String.join("\n",
                "http_port 127.0.0.1:" + port,
                "visible_hostname ota-upper-test",
                "pid_filename " + dir.resolve("squid.pid"),
                ROOT ? "cache_effective_user proxy" : "",
                "cache_log " + dir.resolve("cache.log"),
                "access_log stdio:" + dir.resolve("access.log"),
                "cache_store_log none",
                "coredump_dir " + dir,
                "pinger_enable off",
                "http_access allow localhost",
                "http_access deny all",
                "cache_dir ufs " + dir.resolve("cache") + " 256 16 256",
                "maximum_object_size 256 MB",
                "cache_mem 8 MB",
                // OTA files come without validators or expiry: keep them a day, as a depot would
                "refresh_pattern . 1440 100% 10080 override-expire ignore-reload",
                "shutdown_lifetime 1 seconds",
                ""), StandardCharsets.UTF_8);
        if (ROOT) {
            runToEnd(dir, "chown", "-R", "proxy:proxy", dir.toString());
        }
        runToEnd(dir, squid.toString(), "-z", "-N", "-f", conf.toString());
        final Process p = new ProcessBuilder(squid.toString(), "-N", "-f", conf.toString()).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("squid.out").toFile()).start();
        return new UpperCache("squid", dir, port, p);
    }

    private static UpperCache nginx(final Path dir, final int port) throws IOException {
        final Path nginx = DebianPackages.require("nginx", "nginx");
        final Path conf = dir.resolve("nginx.conf");
        Files.createDirectories(dir.resolve("cache"));
        Files.createDirectories(dir.resolve("tmp"));
        final String d = dir.toString();
        Files.writeString(conf, String.join("\n",
                "daemon off;",
                "worker_processes 1;",
                ROOT ? "user root;" : "",
                "pid " + d + "/nginx.pid;",
                "error_log " + d + "/error.log warn;",
                "events { worker_connections 256; }",
                "http {",
                "    log_format upper '$upstream_cache_status \"$request\"';",
                "    access_log " + d + "/access.log upper;",
                "    client_body_temp_path " + d + "/tmp/body;",
                "    proxy_temp_path " + d + "/tmp/proxy;",
                "    fastcgi_temp_path " + d + "/tmp/fastcgi;",
                "    uwsgi_temp_path " + d + "/tmp/uwsgi;",
                "    scgi_temp_path " + d + "/tmp/scgi;",
                "    proxy_cache_path " + d + "/cache levels=1:2 keys_zone=upper:8m max_size=1g inactive=1d use_temp_path=off;",
                "    server {",
                "        listen 127.0.0.1:" + port + ";",
                "        location / {",
                // a forward proxy: the request line names the target; with no URI part here nginx passes the
                // client's request-target on unchanged
                "            proxy_pass http://$http_host;",
                "            proxy_http_version 1.1;",
                "            proxy_set_header Connection \"\";",
                "            proxy_cache upper;",
                "            proxy_cache_valid 200 1d;",
                "            proxy_cache_lock on;",
                "        }",
                "    }",
                "}",
                ""), StandardCharsets.UTF_8);
        final Process p = new ProcessBuilder(nginx.toString(), "-p", d, "-c", conf.toString()).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        return new UpperCache("nginx", dir, port, p);
    }

    private static void runToEnd(final Path dir, final String... command) throws IOException, InterruptedException {
        final Path out = dir.resolve("setup.out");
        final Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(out.toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " failed: " + Files.readString(out));
        }
    }

    private void awaitReady(final String readyUrl) throws IOException, InterruptedException {
        final long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError(name + " exited at start:" + diagnostics());
            }
            try {
                if (RawHttpClient.get(port, readyUrl).status == 200) {
                    return;
                }
            } catch (final IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError(name + " did not relay " + readyUrl + " within 60 s:" + diagnostics());
    }

    String name() {
        return name;
    }

    int port() {
        return port;
    }

    /** {@code http://127.0.0.1:PORT}, as ota-proxy's {@code upper_ota_proxy}. */
    String url() {
        return "http://127.0.0.1:" + port;
    }

    /**
     * How many requests for a URL containing {@code fragment} the cache says it answered from its store, read
     * from its access log (Squid: {@code TCP_HIT/200}, {@code TCP_MEM_HIT/200}...; nginx here logs
     * {@code $upstream_cache_status}). Squid logs URLs without their query, so pass a fragment without one.
     */
    long hits(final String fragment) throws IOException {
        final Path log = dir.resolve("access.log");
        if (!Files.exists(log)) {
            return 0;
        }
        try (Stream<String> lines = Files.lines(log, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.contains(fragment))
                    .filter(l -> name.equals("squid") ? l.matches(".*\\bTCP_[A-Z_]*HIT/200\\b.*") : l.startsWith("HIT "))
                    .count();
        }
    }

    /** The cache's own logs, for failure messages. */
    String diagnostics() {
        final StringBuilder sb = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (final Path f : files.filter(f -> f.toString().endsWith(".log") || f.toString().endsWith(".out"))
                    .sorted().toList()) {
                final String text = Files.readString(f, StandardCharsets.UTF_8);
                sb.append("\n--- ").append(f.getFileName()).append(" ---\n")
                        .append(text.length() > 3000 ? text.substring(text.length() - 3000) : text);
            }
        } catch (final IOException e) {
            sb.append("\n(logs unreadable: ").append(e).append(')');
        }
        return sb.toString();
    }

    /** SIGTERM to the cache and its helpers, SIGKILL after 15 s, then removes its directory. */
    @Override
    public void close() throws InterruptedException {
        final List<ProcessHandle> tree = Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
        tree.forEach(ProcessHandle::destroy);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        for (final ProcessHandle p : tree) {
            while (p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        process.waitFor(10, TimeUnit.SECONDS);
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (final IOException e) {
            // a temp directory left behind is harmless
        }
    }
}
