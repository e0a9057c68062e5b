package io.otaproxy.config.internal;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The known keys of one source of settings, the file or the overrides, each already checked against its type. Every
 * key present is checked, even one that another key supersedes, so that any mistake in the file refuses it.
 */
final class SettingSource {

    private final Map<String, Object> values;

    private SettingSource(final Map<String, Object> values) {
        this.values = values;
    }

    /** The settings of a parsed YAML mapping; a key with a null value counts as absent. */
    static SettingSource fromDocument(final Map<?, ?> document, final Path workingDir)
            throws InvalidProxyInfoException {
        final Map<String, Object> values = new HashMap<>();
        for (final String key : YamlKeys.ALL) {
            final Object raw = document.get(key);
            if (raw != null) {
                values.put(key, read(key, new RawValue(key, raw, false), workingDir));
            }
        }
        return new SettingSource(values);
    }

    /** The settings given as {@code otaproxy.override.<key>} strings, keyed by YAML key. */
    static SettingSource fromOverrides(final Map<String, String> overrides, final Path workingDir)
            throws InvalidProxyInfoException {
        final Map<String, Object> values = new HashMap<>();
        for (final String key : YamlKeys.ALL) {
            final String raw = overrides.get(key);
            if (raw != null) {
                final String label = ConfigKeys.FRAMEWORK_OVERRIDE_PREFIX + key;
                values.put(key, read(key, new RawValue(label, raw, true), workingDir));
            }
        }
        return new SettingSource(values);
    }

    /** The value of the first of {@code keys} that is present, or null. */
    <T> T first(final Class<T> type, final String... keys) {
        for (final String key : keys) {
            final Object value = values.get(key);
            if (value != null) {
                return type.cast(value);
            }
        }
        return null;
    }

    /** The listen address: the new key, else the old {@code local_server}'s first item, else null. */
    String listenAddr() {
        final String addr = first(String.class, YamlKeys.LISTEN_ADDR);
        final RawValue.ListenPair old = first(RawValue.ListenPair.class, YamlKeys.LOCAL_SERVER);
        return addr != null ? addr : old == null ? null : old.addr();
    }

    /** The listen port: the new key, else the old {@code local_server}'s second item, else null. */
    Integer listenPort() {
        final Integer port = first(Integer.class, YamlKeys.LISTEN_PORT);
        final RawValue.ListenPair old = first(RawValue.ListenPair.class, YamlKeys.LOCAL_SERVER);
        return port != null ? port : old == null ? null : old.port();
    }

    private static Object read(final String key, final RawValue value, final Path workingDir)
            throws InvalidProxyInfoException {
        switch (key) {
            case YamlKeys.GATEWAY:
            case YamlKeys.ENABLE_OTA_PROXY:
            case YamlKeys.ENABLE_LOCAL_OTA_PROXY:
            case YamlKeys.ENABLE_CACHE:
            case YamlKeys.INIT_CACHE:
            case YamlKeys.FILL_ALWAYS_FINISH:
            case YamlKeys.REVALIDATE:
            case YamlKeys.ENABLE_HTTPS:
            case YamlKeys.ADMIN_ALLOW_DESTRUCTIVE:
                return value.asBoolean();
            case YamlKeys.LOCAL_SERVER:
                return value.asListenPair();
            case YamlKeys.LISTEN_ADDR:
            case YamlKeys.ADMIN_LISTEN_ADDR:
                return value.asIpAddress();
            case YamlKeys.ADMIN_LISTEN_PORT:
                return value.asInt(0, 65535, true); // 0: no admin endpoint
            case YamlKeys.LISTEN_PORT:
                return value.asPort();
            case YamlKeys.UPPER_OTA_PROXY:
                return value.asUpperProxyUrl();
            case YamlKeys.EXTERNAL_NFS_CACHE_MNT_POINT:
                return value.asOptionalPath(workingDir);
            case YamlKeys.CACHE_DIR:
                return value.asPath(workingDir);
            case YamlKeys.SOFT_LIMIT:
            case YamlKeys.HARD_LIMIT:
                return value.asInt(1, 100, false);
            case YamlKeys.CACHE_MAX_BYTES:
                return value.asByteSize();
            case YamlKeys.LOG_LEVEL:
                return value.asLogLevel();
            case YamlKeys.CONNECT_TIMEOUT:
            case YamlKeys.READ_TIMEOUT:
                return value.asMillis(1, ProxyInfo.MAX_WAIT_MILLIS);
            case YamlKeys.DISK_POLL_INTERVAL:
                return value.asMillis(ProxyInfo.MIN_DISK_POLL_MILLIS, ProxyInfo.MAX_WAIT_MILLIS);
            case YamlKeys.EVICTION_POLICY:
                return value.asNonEmptyString();
            case YamlKeys.EXTERNAL_CACHE_DIRS:
                return value.asPathList(workingDir);
            case YamlKeys.ALLOWED_UPSTREAMS:
                return value.asUpstreamRules();
            case YamlKeys.PROXY_ID:
                return value.asProxyId();
            case YamlKeys.MAX_CONCURRENT_REQUESTS:
                return value.asInt(1, 1_000_000, false);
            case YamlKeys.MAX_REQUESTS_PER_CLIENT:
            case YamlKeys.MAX_UPSTREAM_CONNECTIONS:
                return value.asInt(0, 1_000_000, false);
            case YamlKeys.MEMORY_BUDGET_MB:
                return value.asInt(ProxyInfo.MIN_MEMORY_BUDGET_MB, ProxyInfo.MAX_MEMORY_BUDGET_MB, false);
            case YamlKeys.CLIENT_IDLE_TIMEOUT:
                return value.asMillis();
            case YamlKeys.CLIENT_HEADER_TIMEOUT:
                return value.asMillis(1, ProxyInfo.MAX_WAIT_MILLIS);
            default:
                throw new IllegalStateException("no type for key " + key);
        }
    }
}
