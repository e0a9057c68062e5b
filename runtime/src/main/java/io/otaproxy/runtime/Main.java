package io.otaproxy.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Entry point of the runnable jar: parses the command line, sets up logging and runs the embedded framework. */
public final class Main {

    private static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error");
    private static final Pattern LOG_LEVEL_LINE = Pattern.compile("^log_level\\s*:\\s*['\"]?(\\w+)['\"]?\\s*(#.*)?$",
            Pattern.MULTILINE);

    /** Held, because java.util.logging forgets the level of a logger nobody references. */
    private static final java.util.logging.Logger SPIFLY_LOG = java.util.logging.Logger.getLogger("org.apache.aries.spifly");

    private Main() {
    }

    public static void main(final String[] args) {
        final LaunchOptions options;
        try {
            options = LaunchOptions.parse(args);
        } catch (final IllegalArgumentException e) {
            System.err.println("ota-proxy: " + e.getMessage());
            System.err.println(LaunchOptions.USAGE);
            System.exit(2);
            return;
        }
        if (options.help()) {
            System.out.println(LaunchOptions.USAGE);
            return;
        }
        configureLogging(options);
        System.err.println("[ota-proxy] INFO " + jvmSummary());
        final EmbeddedFramework framework = new EmbeddedFramework(options);
        Runtime.getRuntime().addShutdownHook(new Thread(framework::stop, "ota-proxy-shutdown"));
        try {
            framework.start();
            framework.awaitStop();
        } catch (final Exception e) {
            System.err.println("ota-proxy: failed to start: " + e.getMessage());
            framework.stop();
            System.exit(1);
        }
    }

    /** The JVM settings that decide the memory footprint, for the operator who reads the start-up log. */
    static String jvmSummary() {
        final StringBuilder gcs = new StringBuilder();
        for (final java.lang.management.GarbageCollectorMXBean gc
                : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.append(gcs.length() == 0 ? "" : ", ").append(gc.getName());
        }
        return "Java " + Runtime.version() + ", max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024)
                + " MiB, collectors " + gcs;
    }

    /**
     * slf4j-simple reads its level once, when the first logger is made, so it has to be set before the framework
     * starts. The level comes from --log-level, else from the file's log_level, else info.
     */
    private static void configureLogging(final LaunchOptions options) {
        String level = options.logLevel();
        if (level == null && options.configFile() != null) {
            level = logLevelFromFile(Path.of(options.configFile()));
        }
        if (level == null || !LEVELS.contains(level.toLowerCase(Locale.ROOT))) {
            level = "info";
        }
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", level.toLowerCase(Locale.ROOT));
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
        // Jetty's own INFO lines say nothing an operator acts on; keep them quiet.
        setIfAbsent("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        // SPI Fly reports every service provider it wires through java.util.logging at INFO
        SPIFLY_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    private static String logLevelFromFile(final Path file) {
        try {
            final Matcher m = LOG_LEVEL_LINE.matcher(Files.readString(file, StandardCharsets.UTF_8));
            return m.find() ? m.group(1) : null;
        } catch (final IOException | RuntimeException e) {
            return null; // the configuration bundle reports an unreadable file
        }
    }

    private static void setIfAbsent(final String key, final String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
