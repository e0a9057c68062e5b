package io.otaproxy.runtime;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Finds a program, installing its Debian package with apt-get when it is missing. A test that needs the program
 * fails with apt-get's output when that does not work: it never skips silently.
 */
final class DebianPackages {

    private static final long APT_TIMEOUT_S = 600;

    private DebianPackages() {
    }

    /** The program's path; installs {@code debianPackage} first when {@code program} is not found. */
    static synchronized Path require(final String program, final String debianPackage) {
        final Path found = find(program);
        if (found != null) {
            return found;
        }
        final StringBuilder log = new StringBuilder();
        final boolean updated = run(log, "apt-get", "update", "-q");
        final boolean installed = updated && run(log, "apt-get", "install", "-y", "-q", "--no-install-recommends",
                debianPackage);
        final Path after = find(program);
        if (!installed || after == null) {
            throw new AssertionError(program + " is missing and installing the Debian package " + debianPackage
                    + " did not provide it (run as root on Debian, or install it by hand):\n" + log);
        }
        return after;
    }

    private static Path find(final String program) {
        final List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        // a non-root PATH often lacks the sbin directories, where both squid and nginx live
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/local/sbin"));
        for (final String dir : dirs) {
            if (dir.isEmpty()) {
                continue;
            }
            final Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static boolean run(final StringBuilder log, final String... command) {
        log.append("$ ").append(String.join(" ", command)).append('\n');
        try {
            final Path output = Files.createTempFile("apt-get-", ".log");
            try {
                final ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                        .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
                final Process p = pb.start();
                final boolean ended = p.waitFor(APT_TIMEOUT_S, TimeUnit.SECONDS);
                if (!ended) {
                    p.destroyForcibly();
                }
                final String text = Files.readString(output, StandardCharsets.UTF_8);
                // keep the end, where apt says what went wrong
                log.append(text.length() > 4000 ? text.substring(text.length() - 4000) : text);
                if (!ended) {
                    log.append("(timed out after ").append(APT_TIMEOUT_S).append(" s)\n");
                    return false;
                }
                log.append("(exit ").append(p.exitValue()).append(")\n");
                return p.exitValue() == 0;
            } finally {
                Files.deleteIfExists(output);
            }
        } catch (final IOException e) {
            log.append(e).append('\n');
            return false;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            log.append("(interrupted)\n");
            return false;
        }
    }
}
