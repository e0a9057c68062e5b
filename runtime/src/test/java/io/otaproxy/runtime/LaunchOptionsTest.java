package io.otaproxy.runtime;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.Map;

import org.junit.Test;

public class LaunchOptionsTest {

    @Test
    public void flagsBecomeProxyInfoOverrides() {
        final LaunchOptions o = LaunchOptions.parse("--config", "/etc/proxy_info.yml", "--host", "127.0.0.1",
                "--port", "9000", "--upper-proxy", "http://10.0.0.1:8082", "--enable-cache", "--enable-https",
                "--init-cache", "--cache-dir", "/var/cache/ota", "--log-level", "debug");
        assertEquals("/etc/proxy_info.yml", o.configFile());
        assertEquals("debug", o.logLevel());
        assertEquals(Map.of("local_ota_proxy_listen_addr", "127.0.0.1", "local_ota_proxy_listen_port", "9000",
                "upper_ota_proxy", "http://10.0.0.1:8082", "enable_local_ota_proxy_cache", "true",
                "enable_https", "true", "init_cache", "true", "cache_dir", "/var/cache/ota", "log_level", "debug"),
                o.overrides());
    }

    @Test
    public void noArgumentsMeansEmbeddedDefaults() {
        final LaunchOptions o = LaunchOptions.parse();
        assertNull(o.configFile());
        assertTrue(o.overrides().isEmpty());
    }

    @Test
    public void adminPortBecomesTheAdminListenPortKey() {
        assertEquals(Map.of("admin_listen_port", "9100"), LaunchOptions.parse("--admin-port", "9100").overrides());
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--admin-port"));
    }

    @Test
    public void theDataDirectoryAndUpdateSignersAreLauncherOptionsNotProxyInfoKeys() {
        final LaunchOptions o = LaunchOptions.parse("--data-dir", "/var/lib/ota-proxy", "--update-signers",
                "/etc/ota-proxy/vendor.pem");
        assertEquals(java.nio.file.Path.of("/var/lib/ota-proxy"), o.dataDir());
        assertEquals(java.nio.file.Path.of("/etc/ota-proxy/vendor.pem"), o.updateSigners());
        assertTrue(o.overrides().isEmpty());
        assertNull(LaunchOptions.parse().dataDir());
        final IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LaunchOptions.parse("--update-signers", "/etc/ota-proxy/vendor.pem"));
        assertTrue(e.getMessage(), e.getMessage().contains("--data-dir"));
    }

    @Test
    public void disableCacheOverridesTheFile() {
        assertEquals("false", LaunchOptions.parse("--disable-cache").overrides().get("enable_local_ota_proxy_cache"));
    }

    @Test
    public void unknownOptionsAndMissingValuesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--prot", "1"));
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--port"));
        assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--cache-dir", "--init-cache"));
    }

    @Test
    public void loggingAndConfigurationStartInTheRightLevels() {
        assertEquals(1, EmbeddedFramework.startLevel("org.apache.aries.spifly.dynamic.bundle"));
        assertEquals(1, EmbeddedFramework.startLevel("org.objectweb.asm.commons"));
        assertEquals(2, EmbeddedFramework.startLevel("slf4j.api"));
        assertEquals(5, EmbeddedFramework.startLevel("org.apache.felix.configadmin"));
        assertEquals(10, EmbeddedFramework.startLevel("io.otaproxy.proxy"));
    }
}
