package io.otaproxy.runtime;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** The runnable jar as a real process: started, watched through its log, stopped by signal. */
final class ProxyProcess implements AutoCloseable {

    private final Process process;
    private final Thread reader;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch listening = new CountDownLatch(1);
    private final CountDownLatch adminUp = new CountDownLatch(1);

    private ProxyProcess(final Path workDir, final List<String> jvmOptions, final List<String> args)
            throws IOException {
        this(new ProcessBuilder(javaCommand(jvmOptions, args)).directory(workDir.toFile()));
    }

    private static List<String> javaCommand(final List<String> jvmOptions, final List<String> args)
            throws IOException {
        final List<String> command = new ArrayList<>();
        command.add(java());
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", System.getProperty("otaproxy.jar")));
        command.addAll(args);
        command.addAll(adminPortUnlessGiven(args));
        return command;
    }

    /** Many proxies run side by side in the tests: none may take the default admin port. */
    private static List<String> adminPortUnlessGiven(final List<String> args) throws IOException {
        if (args.contains("--admin-port") || args.contains("--help")) {
            return List.of();
        }
        return List.of("--admin-port", Integer.toString(freePort()));
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private ProxyProcess(final ProcessBuilder builder) throws IOException {
        process = builder.redirectErrorStream(true).start();
        reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    output.add(line);
                    if (line.contains("listening on")) {
                        listening.countDown();
                    }
                    if (line.contains("admin endpoint (metrics, status) on")) {
                        adminUp.countDown();
                    }
                }
            } catch (final IOException e) {
                // the process ended
            }
        }, "ota-proxy-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts the jar and waits for its "listening on" line, and its admin endpoint's unless that is off. */
    static ProxyProcess start(final Path workDir, final List<String> jvmOptions, final String... args)
            throws IOException, InterruptedException {
        return awaitListening(new ProxyProcess(workDir, jvmOptions, List.of(args)), adminOn(List.of(args)));
    }

    /** Whether the arguments leave the admin endpoint on (it is off only with {@code --admin-port 0}). */
    private static boolean adminOn(final List<String> args) {
        final int i = args.indexOf("--admin-port");
        return i < 0 || i + 1 >= args.size() || !args.get(i + 1).equals("0");
    }

    /** Starts the jar through the launcher script {@code bin/ota-proxy}, as an operator does, and waits. */
    static ProxyProcess startScript(final Path workDir, final String... args) throws IOException, InterruptedException {
        final List<String> command = new ArrayList<>(List.of("sh", System.getProperty("otaproxy.script")));
        command.addAll(List.of(args));
        command.addAll(adminPortUnlessGiven(List.of(args)));
        final ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile());
        builder.environment().put("OTA_PROXY_JAR", System.getProperty("otaproxy.jar"));
        builder.environment().put("JAVA", java());
        // the script's class data sharing archive stays in the test's directory, not in the home directory
        builder.environment().put("OTA_PROXY_CDS_DIR", workDir.resolve("cds").toString());
        return awaitListening(new ProxyProcess(builder), adminOn(List.of(args)));
    }

    /**
     * Waits for the proxy's listener and, when it is on, the admin endpoint's: the proxy's comes up first, and a
     * test that asks the admin endpoint right away must not find it still starting.
     */
    private static ProxyProcess awaitListening(final ProxyProcess p, final boolean admin) throws InterruptedException {
        if (!p.listening.await(60, TimeUnit.SECONDS)) {
            p.kill();
            throw new AssertionError("no 'listening on' line; output: " + p.output());
        }
        if (admin && !p.adminUp.await(60, TimeUnit.SECONDS)) {
            p.kill();
            throw new AssertionError("no 'admin endpoint' line; output: " + p.output());
        }
        return p;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    List<String> output() {
        synchronized (output) {
            return List.copyOf(output);
        }
    }

    boolean logged(final String fragment) {
        return output().stream().anyMatch(l -> l.contains(fragment));
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /**
     * SIGTERM, then waits for the exit and for the last log lines.
     *
     * @return the exit code
     */
    int terminate() throws InterruptedException {
        // through the handle: Process.destroy() would also close our end of its output pipe
        process.toHandle().destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError("no exit within 30 s of SIGTERM; output: " + output());
        }
        reader.join(10_000);
        return process.exitValue();
    }

    /** SIGKILL: the power-cut stand-in. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
        reader.join(10_000);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
