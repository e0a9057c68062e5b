package io.otaproxy.runtime;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Debian's chromium, run headless to load a page and print the DOM its scripts built. Installed with apt-get when
 * missing (the test machines are Debian, as root); if that fails the test fails: a page nobody can load was not
 * tested.
 */
final class HeadlessChromium {

    private static final String PACKAGE = "chromium";

    private final Path binary;

    private HeadlessChromium(final Path binary) {
        this.binary = binary;
    }

    /** Finds chromium on the PATH, installing Debian's package first when it is not there. */
    static HeadlessChromium installed() throws IOException, InterruptedException {
        Path found = onPath(PACKAGE);
        if (found == null) {
            final StringBuilder log = new StringBuilder();
            final boolean updated = run(log, 600, "apt-get", "update");
            final boolean installed = updated && run(log, 900, "apt-get", "install", "-y", PACKAGE);
            found = onPath(PACKAGE);
            if (found == null) {
                throw new AssertionError("chromium is missing and could not be installed (apt-get update "
                        + (updated ? "ok" : "failed") + ", install " + (installed ? "ok" : "failed") + "):\n"
                        + tail(log.toString(), 4000));
            }
        }
        return new HeadlessChromium(found);
    }

    /**
     * Loads {@code url} in a fresh profile, lets its scripts run for {@code budgetMillis} of page time, and returns
     * the serialized DOM.
     */
    String dumpDom(final String url, final long budgetMillis, final Path profileDir)
            throws IOException, InterruptedException {
        final Process p = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + profileDir, "--virtual-time-budget=" + budgetMillis,
                "--dump-dom", url)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        final CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("chromium did not finish loading " + url + " within 120 s");
        }
        final String dom = new String(out.join(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0 || dom.isBlank()) {
            throw new AssertionError("chromium exited with " + p.exitValue() + " and printed: " + tail(dom, 2000));
        }
        return dom;
    }

    private static byte[] readAll(final InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (final IOException e) {
            return new byte[0];
        }
    }

    private static Path onPath(final String name) {
        final String path = System.getenv("PATH");
        for (final String dir : (path == null ? "/usr/bin:/bin" : path).split(File.pathSeparator)) {
            final Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static boolean run(final StringBuilder log, final long timeoutSeconds, final String... command)
            throws IOException, InterruptedException {
        final List<String> cmd = new ArrayList<>(List.of(command));
        final ProcessBuilder builder = new ProcessBuilder(cmd).redirectErrorStream(true);
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        final Process p;
        try {
            p = builder.start();
        } catch (final IOException e) {
            log.append(String.join(" ", cmd)).append(": ").append(e).append('\n');
            return false;
        }
        final CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            log.append(String.join(" ", cmd)).append(": no end within ").append(timeoutSeconds).append(" s\n");
            return false;
        }
        log.append(new String(out.join(), StandardCharsets.UTF_8));
        return p.exitValue() == 0;
    }

    private static String tail(final String s, final int max) {
        return s.length() <= max ? s : s.substring(s.length() - max);
    }
}
