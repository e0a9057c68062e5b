package io.otaproxy.config.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Turns the text of proxy_info.yml plus the command-line overrides into a {@link ProxyInfo}, or refuses the whole
 * thing. Refusing whole (as the reference has done since 2024-01) rather than falling back per key means a typo
 * can never half-apply an edit.
 */
final class ProxyInfoParser {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyInfoParser.class);

    private final Path workingDir;

    /** @param workingDir what relative paths in the file are resolved against */
    ProxyInfoParser(final Path workingDir) {
        this.workingDir = workingDir.toAbsolutePath();
    }

    /**
     * @param yamlText  the file's text; empty or comment-only means all defaults
     * @param overrides override strings keyed by YAML key; they beat the file's values
     */
    ProxyInfo parse(final String yamlText, final Map<String, String> overrides) throws InvalidProxyInfoException {
        final SettingSource file = SettingSource.fromDocument(load(yamlText), workingDir);
        final SettingSource cli = SettingSource.fromOverrides(overrides, workingDir);
        return resolve(cli, file);
    }

    /** The embedded defaults alone; they are valid by construction. */
    ProxyInfo defaults() {
        try {
            return parse("", Map.of());
        } catch (InvalidProxyInfoException e) {
            throw new IllegalStateException("embedded defaults refused: " + e.getMessage(), e);
        }
    }

    private static Map<?, ?> load(final String yamlText) throws InvalidProxyInfoException {
        final LoaderOptions options = new LoaderOptions();
        // a key written twice is most likely an edit gone wrong; SnakeYAML would silently keep the last one
        options.setAllowDuplicateKeys(false);
        final Object document;
        try {
            document = new Yaml(new SafeConstructor(options)).load(yamlText);
        } catch (MarkedYAMLException e) {
            final Mark mark = e.getProblemMark();
            throw new InvalidProxyInfoException("not valid YAML: " + e.getProblem()
                    + (mark == null ? "" : " at line " + (mark.getLine() + 1) + ", column " + (mark.getColumn() + 1)));
        } catch (RuntimeException e) {
            throw new InvalidProxyInfoException("not valid YAML: " + firstLine(e.getMessage()));
        }
        if (document == null) {
            return Map.of();
        }
        if (!(document instanceof Map)) {
            throw new InvalidProxyInfoException("the document is " + describe(document) + ", not a mapping of keys");
        }
        return (Map<?, ?>) document;
    }

    private ProxyInfo resolve(final SettingSource cli, final SettingSource file) throws InvalidProxyInfoException {
        final int soft = pick(cli, file, ProxyInfo.DEFAULT_SOFT_LIMIT_PERCENT,
                s -> s.first(Integer.class, YamlKeys.SOFT_LIMIT));
        final int hard = pick(cli, file, ProxyInfo.DEFAULT_HARD_LIMIT_PERCENT,
                s -> s.first(Integer.class, YamlKeys.HARD_LIMIT));
        if (soft > hard) {
            throw new InvalidProxyInfoException(YamlKeys.SOFT_LIMIT, soft,
                    "is above " + YamlKeys.HARD_LIMIT + " = " + hard);
        }
        final String upperProxy = pick(cli, file, "", s -> s.first(String.class, YamlKeys.UPPER_OTA_PROXY));
        boolean https = pick(cli, file, false, s -> s.first(Boolean.class, YamlKeys.ENABLE_HTTPS, YamlKeys.GATEWAY));
        if (https && !upperProxy.isEmpty()) {
            // https would mean a CONNECT tunnel through the upper proxy, which the proxy never does
            LOG.warn("Ignoring {} = true because {} = {} is set: upstream requests stay plain http",
                    YamlKeys.ENABLE_HTTPS, YamlKeys.UPPER_OTA_PROXY, upperProxy);
            https = false;
        }
        return ProxyInfo.builder()
                .proxyEnabled(pick(cli, file, ProxyInfo.DEFAULT_PROXY_ENABLED,
                        s -> s.first(Boolean.class, YamlKeys.ENABLE_LOCAL_OTA_PROXY, YamlKeys.ENABLE_OTA_PROXY)))
                .listenAddr(pick(cli, file, ProxyInfo.DEFAULT_LISTEN_ADDR, SettingSource::listenAddr))
                .listenPort(pick(cli, file, ProxyInfo.DEFAULT_LISTEN_PORT, SettingSource::listenPort))
                .cacheEnabled(pick(cli, file, ProxyInfo.DEFAULT_CACHE_ENABLED,
                        s -> s.first(Boolean.class, YamlKeys.ENABLE_CACHE)))
                .upperProxy(upperProxy)
                .httpsEnabled(https)
                .cacheDir(pick(cli, file, defaultCacheDir(), s -> s.first(String.class, YamlKeys.CACHE_DIR)))
                .initCache(pick(cli, file, false, s -> s.first(Boolean.class, YamlKeys.INIT_CACHE)))
                .fillAlwaysFinish(pick(cli, file, false, s -> s.first(Boolean.class, YamlKeys.FILL_ALWAYS_FINISH)))
                .revalidate(pick(cli, file, true, s -> s.first(Boolean.class, YamlKeys.REVALIDATE)))
                .externalCacheDirs(externalCacheDirs(cli, file))
                .softLimitPercent(soft)
                .hardLimitPercent(hard)
                .cacheMaxBytes(pick(cli, file, 0L, s -> s.first(Long.class, YamlKeys.CACHE_MAX_BYTES)))
                .logLevel(pick(cli, file, ProxyInfo.DEFAULT_LOG_LEVEL, s -> s.first(String.class, YamlKeys.LOG_LEVEL)))
                .connectTimeoutMs(pick(cli, file, ProxyInfo.DEFAULT_CONNECT_TIMEOUT_MS,
                        s -> s.first(Integer.class, YamlKeys.CONNECT_TIMEOUT)))
                .readTimeoutMs(pick(cli, file, ProxyInfo.DEFAULT_READ_TIMEOUT_MS,
                        s -> s.first(Integer.class, YamlKeys.READ_TIMEOUT)))
                .diskPollIntervalMs(pick(cli, file, (int) ProxyInfo.DEFAULT_DISK_POLL_INTERVAL_MS,
                        s -> s.first(Integer.class, YamlKeys.DISK_POLL_INTERVAL)))
                .evictionPolicy(pick(cli, file, ProxyInfo.DEFAULT_EVICTION_POLICY,
                        s -> s.first(String.class, YamlKeys.EVICTION_POLICY)))
                .adminListenAddr(pick(cli, file, ProxyInfo.DEFAULT_ADMIN_LISTEN_ADDR,
                        s -> s.first(String.class, YamlKeys.ADMIN_LISTEN_ADDR)))
                .adminListenPort(pick(cli, file, ProxyInfo.DEFAULT_ADMIN_LISTEN_PORT,
                        s -> s.first(Integer.class, YamlKeys.ADMIN_LISTEN_PORT)))
                .adminAllowDestructive(pick(cli, file, false,
                        s -> s.first(Boolean.class, YamlKeys.ADMIN_ALLOW_DESTRUCTIVE)))
                .allowedUpstreams(allowedUpstreams(cli, file))
                .proxyId(pick(cli, file, "", s -> s.first(String.class, YamlKeys.PROXY_ID)))
                .maxConcurrentRequests(pick(cli, file, ProxyInfo.DEFAULT_MAX_CONCURRENT_REQUESTS,
                        s -> s.first(Integer.class, YamlKeys.MAX_CONCURRENT_REQUESTS)))
                .maxRequestsPerClient(pick(cli, file, ProxyInfo.DEFAULT_MAX_REQUESTS_PER_CLIENT,
                        s -> s.first(Integer.class, YamlKeys.MAX_REQUESTS_PER_CLIENT)))
                .maxUpstreamConnections(pick(cli, file, ProxyInfo.DEFAULT_MAX_UPSTREAM_CONNECTIONS,
                        s -> s.first(Integer.class, YamlKeys.MAX_UPSTREAM_CONNECTIONS)))
                .memoryBudgetMb(pick(cli, file, ProxyInfo.DEFAULT_MEMORY_BUDGET_MB,
                        s -> s.first(Integer.class, YamlKeys.MEMORY_BUDGET_MB)))
                .clientIdleTimeoutMs(pick(cli, file, ProxyInfo.DEFAULT_CLIENT_IDLE_TIMEOUT_MS,
                        s -> s.first(Integer.class, YamlKeys.CLIENT_IDLE_TIMEOUT)))
                .clientHeaderTimeoutMs(pick(cli, file, ProxyInfo.DEFAULT_CLIENT_HEADER_TIMEOUT_MS,
                        s -> s.first(Integer.class, YamlKeys.CLIENT_HEADER_TIMEOUT)))
                .build();
    }

    @SuppressWarnings("unchecked")
    private static List<String> allowedUpstreams(final SettingSource cli, final SettingSource file) {
        return pick(cli, file, List.<String>of(), s -> (List<String>) s.first(List.class, YamlKeys.ALLOWED_UPSTREAMS));
    }

    /** The own list first, then the NFS mount point, each once. */
    private static List<String> externalCacheDirs(final SettingSource cli, final SettingSource file) {
        @SuppressWarnings("unchecked")
        final List<String> own = pick(cli, file, List.<String>of(),
                s -> (List<String>) s.first(List.class, YamlKeys.EXTERNAL_CACHE_DIRS));
        final String nfs = pick(cli, file, "", s -> s.first(String.class, YamlKeys.EXTERNAL_NFS_CACHE_MNT_POINT));
        final Set<String> dirs = new LinkedHashSet<>(own);
        if (!nfs.isEmpty()) {
            dirs.add(nfs);
        }
        return new ArrayList<>(dirs);
    }

    private String defaultCacheDir() {
        return workingDir.resolve(ProxyInfo.DEFAULT_CACHE_DIR).normalize().toString();
    }

    /** An override beats the file; within a source the lookup already prefers the new key over the old one. */
    private static <T> T pick(final SettingSource cli, final SettingSource file, final T fallback,
            final Function<SettingSource, T> lookup) {
        final T fromCli = lookup.apply(cli);
        if (fromCli != null) {
            return fromCli;
        }
        final T fromFile = lookup.apply(file);
        return fromFile != null ? fromFile : fallback;
    }

    private static String describe(final Object document) {
        if (document instanceof String) {
            return "a string";
        }
        if (document instanceof Number) {
            return "a number";
        }
        if (document instanceof Boolean) {
            return "a boolean";
        }
        if (document instanceof List) {
            return "a list";
        }
        return "a " + document.getClass().getSimpleName();
    }

    private static String firstLine(final String message) {
        if (message == null) {
            return "unreadable";
        }
        final int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
