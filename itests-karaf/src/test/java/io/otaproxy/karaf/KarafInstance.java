package io.otaproxy.karaf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A Karaf distribution unpacked into a fresh directory, configured the way an operator would (by editing files
 * under {@code etc/}), and run as a process with {@code bin/karaf server}.
 */
final class KarafInstance implements AutoCloseable {

    private final Path home;
    private final Path consoleOutput;
    private Process process;

    private KarafInstance(final Path home, final Path consoleOutput) {
        this.home = home;
        this.consoleOutput = consoleOutput;
    }

    /** Unpacks the distribution (a {@code .tar.gz}) into an empty {@code workDir} with the system's tar. */
    static KarafInstance unpack(final Path distribution, final Path workDir) throws IOException, InterruptedException {
        if (!Files.isRegularFile(distribution)) {
            throw new IOException("Karaf distribution missing: " + distribution);
        }
        Files.createDirectories(workDir);
        // tar keeps the executable bits of bin/; an archive library in the test would not
        final Process tar = new ProcessBuilder("tar", "-xzf", distribution.toString(), "-C", workDir.toString())
                .redirectErrorStream(true).start();
        final String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
            throw new IOException("unpacking " + distribution + " failed: " + output);
        }
        final Path home;
        try (Stream<Path> dirs = Files.list(workDir)) {
            final List<Path> found = dirs.filter(d -> Files.isRegularFile(d.resolve("bin/karaf"))).toList();
            if (found.size() != 1) {
                throw new IOException("expected one Karaf home in " + workDir + ", found " + found);
            }
            home = found.get(0);
        }
        return new KarafInstance(home, workDir.resolve("karaf-console.out"));
    }

    Path home() {
        return home;
    }

    /** Adds a feature repository and a feature to what Karaf installs at boot. */
    void bootFeature(final String repositoryUrl, final String feature) throws IOException {
        final Path cfg = home.resolve("etc/org.apache.karaf.features.cfg");
        String text = Files.readString(cfg, StandardCharsets.UTF_8);
        text = prependToList(text, "featuresRepositories", repositoryUrl);
        text = prependToList(text, "featuresBoot", feature);
        Files.writeString(cfg, text, StandardCharsets.UTF_8);
    }

    /** The file's list value starts on the line after "key = \": put the new element first. */
    private static String prependToList(final String text, final String key, final String element) throws IOException {
        final Matcher m = Pattern.compile("(?m)^" + Pattern.quote(key) + "\\s*=\\s*\\\\\\n").matcher(text);
        if (!m.find()) {
            throw new IOException("no multi-line '" + key + "' list in org.apache.karaf.features.cfg");
        }
        return text.substring(0, m.end()) + "    " + element + ", \\\n" + text.substring(m.end());
    }

    /**
     * Makes this directory Karaf's local Maven repository and removes the remote ones, so every mvn: URL the
     * features name resolves from Karaf's system folder or from here, never from the network.
     */
    void offlineMavenRepository(final Path repository) throws IOException {
        appendToConfig("etc/org.ops4j.pax.url.mvn.cfg",
                "org.ops4j.pax.url.mvn.localRepository = " + repository.toAbsolutePath(),
                "org.ops4j.pax.url.mvn.repositories = ",
                "org.ops4j.pax.url.mvn.offline = true");
    }

    /** Moves the SSH console and the JMX connector to these ports on 127.0.0.1, away from the default ones. */
    void consolePorts(final int sshPort, final int rmiRegistryPort, final int rmiServerPort) throws IOException {
        appendToConfig("etc/org.apache.karaf.shell.cfg", "sshHost = 127.0.0.1", "sshPort = " + sshPort);
        appendToConfig("etc/org.apache.karaf.management.cfg",
                "rmiRegistryHost = 127.0.0.1", "rmiRegistryPort = " + rmiRegistryPort,
                "rmiServerHost = 127.0.0.1", "rmiServerPort = " + rmiServerPort);
    }

    /** Adds a line to {@code etc/system.properties}, as the README tells an operator to. */
    void systemProperty(final String key, final String value) throws IOException {
        appendToConfig("etc/system.properties", key + " = " + value);
    }

    // Karaf reads these files with later keys overriding earlier ones, so appending is enough.
    private void appendToConfig(final String file, final String... lines) throws IOException {
        Files.writeString(home.resolve(file), "\n" + String.join("\n", lines) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.APPEND);
    }

    /** Starts {@code bin/karaf server} (no console) on the JDK running the test. */
    void start() throws IOException {
        final ProcessBuilder pb = new ProcessBuilder("sh", "bin/karaf", "server").directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(consoleOutput.toFile());
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().remove("KARAF_DEBUG");
        process = pb.start();
    }

    boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Karaf's own log, {@code data/log/karaf.log}, or what there is of it. */
    String log() {
        try {
            return Files.readString(home.resolve("data/log/karaf.log"), StandardCharsets.UTF_8);
        } catch (final IOException e) {
            return "(no karaf.log: " + e.getMessage() + ")";
        }
    }

    /** The last lines of the console output and of karaf.log, for failure messages. */
    String diagnostics() {
        String console;
        try {
            console = Files.readString(consoleOutput, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            console = "(none)";
        }
        return "\n--- console (tail) ---\n" + tail(console, 40) + "\n--- karaf.log (tail) ---\n" + tail(log(), 80);
    }

    private static String tail(final String text, final int lines) {
        final String[] all = text.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(all, Math.max(0, all.length - lines), all.length));
    }

    /**
     * Stops Karaf: SIGTERM to the script and the JVM it started (Karaf's shutdown hook stops the framework, so
     * the bundles deactivate), SIGKILL for whatever is left after 30 s.
     */
    @Override
    public void close() throws InterruptedException {
        if (process == null) {
            return;
        }
        final List<ProcessHandle> tree = Stream.concat(process.descendants(), Stream.of(process.toHandle())).toList();
        tree.forEach(ProcessHandle::destroy);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (final ProcessHandle p : tree) {
            while (p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
        }
        tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
        process.waitFor(10, TimeUnit.SECONDS);
    }
}
