package io.otaproxy.runtime;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line of the runnable jar. Flags are named like the reference proxy's CLI and override the values
 * of the configuration file; they reach the configuration bundle as {@code otaproxy.override.<yaml key>}
 * framework properties, so that the file and the flags go through one validation.
 */
final class LaunchOptions {

    static final String USAGE = String.join(System.lineSeparator(),
            "Usage: java -jar ota-proxy.jar [options]",
            "  --config FILE         proxy_info.yml to load and watch (default: none, embedded defaults)",
            "  --host ADDR           listen address (default 0.0.0.0)",
            "  --port PORT           listen port (default 8082)",
            "  --upper-proxy URL     send upstream requests through this HTTP proxy",
            "  --enable-cache        cache downloads on disk (the default)",
            "  --disable-cache       relay only, never touch the cache",
            "  --enable-https        fetch upstream over https (ignored with an upper proxy)",
            "  --init-cache          wipe the cache directory at start",
            "  --cache-dir DIR       cache directory (default ./ota-cache)",
            "  --log-level LEVEL     trace, debug, info, warn or error (default info)",
            "  --admin-port PORT     port of the admin endpoint: metrics, status page, API (default 8099, 0: off)",
            "  --data-dir DIR        keep the OSGi framework and its configuration here across restarts, and apply",
            "                        bundle updates dropped into DIR/deploy (default: none, a fresh start each time)",
            "  --update-signers FILE apply only updates signed by a certificate in FILE (PEM or DER)",
            "  --help                print this text");

    private final String configFile;
    private final Map<String, String> overrides;
    private final String logLevel;
    private final boolean help;
    private final Path dataDir;
    private final Path updateSigners;

    private LaunchOptions(final String configFile, final Map<String, String> overrides, final String logLevel,
            final boolean help, final Path dataDir, final Path updateSigners) {
        this.dataDir = dataDir;
        this.updateSigners = updateSigners;
        this.configFile = configFile;
        this.overrides = Map.copyOf(overrides);
        this.logLevel = logLevel;
        this.help = help;
    }

    /** Parses the arguments; throws IllegalArgumentException naming the offending argument. */
    static LaunchOptions parse(final String... args) {
        String config = null;
        String logLevel = null;
        boolean help = false;
        Path dataDir = null;
        Path signers = null;
        final Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            switch (arg) {
                case "--config" -> config = value(args, ++i, arg);
                case "--host" -> overrides.put("local_ota_proxy_listen_addr", value(args, ++i, arg));
                case "--port" -> overrides.put("local_ota_proxy_listen_port", value(args, ++i, arg));
                case "--upper-proxy" -> overrides.put("upper_ota_proxy", value(args, ++i, arg));
                case "--enable-cache" -> overrides.put("enable_local_ota_proxy_cache", "true");
                case "--disable-cache" -> overrides.put("enable_local_ota_proxy_cache", "false");
                case "--enable-https" -> overrides.put("enable_https", "true");
                case "--init-cache" -> overrides.put("init_cache", "true");
                case "--cache-dir" -> overrides.put("cache_dir", value(args, ++i, arg));
                case "--admin-port" -> overrides.put("admin_listen_port", value(args, ++i, arg));
                case "--log-level" -> {
                    logLevel = value(args, ++i, arg);
                    overrides.put("log_level", logLevel);
                }
                case "--data-dir" -> dataDir = Path.of(value(args, ++i, arg)).toAbsolutePath().normalize();
                case "--update-signers" -> signers = Path.of(value(args, ++i, arg)).toAbsolutePath().normalize();
                case "--help", "-h" -> help = true;
                default -> throw new IllegalArgumentException("unknown option " + arg);
            }
        }
        if (signers != null && dataDir == null) {
            throw new IllegalArgumentException("--update-signers needs --data-dir (updates are applied from there)");
        }
        return new LaunchOptions(config, overrides, logLevel, help, dataDir, signers);
    }

    private static String value(final String[] args, final int index, final String option) {
        if (index >= args.length || args[index].startsWith("--")) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }

    /** The configuration file, or null when none was given. */
    String configFile() {
        return configFile;
    }

    /** proxy_info.yml keys set on the command line, as strings. */
    Map<String, String> overrides() {
        return overrides;
    }

    /** The log level given on the command line, or null. */
    String logLevel() {
        return logLevel;
    }

    /** The data directory, or null for a temporary framework storage. */
    Path dataDir() {
        return dataDir;
    }

    /** The certificates updates must be signed with, or null when unsigned updates are taken. */
    Path updateSigners() {
        return updateSigners;
    }

    boolean help() {
        return help;
    }
}
