package io.otaproxy.config.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.nio.file.Paths;
import java.util.Dictionary;
import java.util.List;
import java.util.Map;

import org.junit.Test;

public final class ConfigurationPublisherTest {

    private static final String HTTP_PID = "org.apache.felix.http~otaproxy";
    private static final String ADMIN_HTTP_PID = "org.apache.felix.http~otaproxy-admin";

    private final ProxyInfoParser parser = new ProxyInfoParser(Paths.get("/srv/ota"));
    private final FakeConfigurationAdmin configAdmin = new FakeConfigurationAdmin();
    private final WrittenValues written = WrittenValues.inMemory();
    private final ConfigurationPublisher publisher =
            new ConfigurationPublisher(configAdmin, new ConfigurationMapping("launch-42"), written);

    private ProxyInfo parse(final String yaml) throws InvalidProxyInfoException {
        return parser.parse(yaml, Map.of());
    }

    @Test
    public void firstPublishCreatesAllSevenConfigurations() throws Exception {
        final ProxyInfo info = parse("upper_ota_proxy: http://10.0.0.1:8082\ninit_cache: true\n"
                + "external_cache_dirs: [/media/usb]\ncache_max_bytes: 1K\n");
        assertEquals(7, publisher.publish(info));
        assertEquals(7, configAdmin.pids().size());

        final Dictionary<String, Object> proxy = configAdmin.properties("io.otaproxy.proxy");
        assertEquals("http://10.0.0.1:8082", proxy.get("upper.proxy"));
        assertEquals(Boolean.FALSE, proxy.get("enable.https"));
        assertNull("caching on or off is the cache store's alone", proxy.get("enable.cache"));
        assertEquals("0.0.0.0", proxy.get("listen.addr"));
        assertEquals(8082, proxy.get("listen.port"));
        assertEquals(10_000, proxy.get("upstream.connect.timeout.ms"));
        assertEquals(16_000, proxy.get("upstream.read.timeout.ms"));
        assertArrayEquals(new String[0], (String[]) proxy.get("allowed.upstreams"));
        assertEquals("", proxy.get("proxy.id"));
        assertEquals(1024, proxy.get("max.concurrent.requests"));
        assertEquals(0, proxy.get("max.requests.per.client"));
        assertEquals(256, proxy.get("max.upstream.connections"));
        assertEquals(30_000, proxy.get("client.header.timeout.ms"));
        assertEquals(48L << 20, proxy.get("memory.budget.bytes")); // three quarters of the default 64 MiB

        final Dictionary<String, Object> cache = configAdmin.properties("io.otaproxy.cache");
        assertEquals("/srv/ota/ota-cache", cache.get("cache.dir"));
        assertEquals(Boolean.TRUE, cache.get("enable.cache"));
        assertEquals("launch-42", cache.get("init.cache.id"));
        assertArrayEquals(new String[] {"/media/usb"}, (String[]) cache.get("external.cache.dirs"));
        assertEquals(Boolean.FALSE, cache.get("fill.always.finish"));
        assertEquals("lru", cache.get("eviction.policy"));
        assertEquals(16L << 20, cache.get("relay.memory.bytes")); // the rest

        final Dictionary<String, Object> disk = configAdmin.properties("io.otaproxy.disk");
        assertNull("the cache store's key, read from there", disk.get("cache.dir"));
        assertEquals(70, disk.get("soft.limit.percent"));
        assertEquals(80, disk.get("hard.limit.percent"));
        assertEquals(1024L, disk.get("cache.max.bytes"));
        assertEquals(2_000L, disk.get("poll.interval.ms"));

        assertEquals("info", configAdmin.properties("io.otaproxy.logging").get("log.level"));

        final Dictionary<String, Object> http = configAdmin.properties(HTTP_PID);
        assertEquals("otaproxy", http.get("org.apache.felix.http.name"));
        assertEquals("0.0.0.0", http.get("org.apache.felix.http.host"));
        assertEquals(8082, http.get("org.osgi.service.http.port"));
        assertEquals(Boolean.TRUE, http.get("org.apache.felix.http.enable"));
        assertEquals(Boolean.FALSE, http.get("org.apache.felix.https.enable"));
        assertEquals("UNSAFE", http.get("org.eclipse.jetty.UriComplianceMode"));
        assertEquals(65_536, http.get("org.apache.felix.http.jetty.responseBufferSize"));
        assertEquals(Boolean.FALSE, http.get("org.apache.felix.http.jetty.sendServerHeader"));
        assertEquals(60_000, http.get("org.apache.felix.http.timeout"));
        assertEquals(16_384, http.get("org.apache.felix.http.jetty.headerBufferSize"));
        assertEquals(8_192, http.get("org.apache.felix.http.jetty.requestBufferSize"));
    }

    @Test
    public void accessControlKeysReachTheProxyAndTheIdleTimeoutTheListener() throws Exception {
        final ProxyInfo info = parse("allowed_upstreams: [ota.example.com, '10.0.0.0/8:80']\nproxy_id: gw-7\n"
                + "max_concurrent_requests: 64\nmax_requests_per_client: 8\nmax_upstream_connections: 32\n"
                + "client_idle_timeout_s: 15\nclient_header_timeout_s: 5\n");
        publisher.publish(info);
        final Dictionary<String, Object> proxy = configAdmin.properties("io.otaproxy.proxy");
        assertArrayEquals(new String[] {"ota.example.com", "10.0.0.0/8:80"}, (String[]) proxy.get("allowed.upstreams"));
        assertEquals("gw-7", proxy.get("proxy.id"));
        assertEquals(64, proxy.get("max.concurrent.requests"));
        assertEquals(8, proxy.get("max.requests.per.client"));
        assertEquals(32, proxy.get("max.upstream.connections"));
        assertEquals(5_000, proxy.get("client.header.timeout.ms"));
        assertEquals(15_000, configAdmin.properties(HTTP_PID).get("org.apache.felix.http.timeout"));
    }

    @Test
    public void theMemoryBudgetIsSharedBetweenTheProxyAndTheCacheStore() throws Exception {
        publisher.publish(parse("memory_budget_mb: 32\n"));
        assertEquals(24L << 20, configAdmin.properties("io.otaproxy.proxy").get("memory.budget.bytes"));
        assertEquals(8L << 20, configAdmin.properties("io.otaproxy.cache").get("relay.memory.bytes"));
    }

    @Test
    public void initCacheOffGivesNoLaunchId() throws Exception {
        publisher.publish(parse(""));
        assertEquals("", configAdmin.properties("io.otaproxy.cache").get("init.cache.id"));
    }

    @Test
    public void anIdenticalPublishUpdatesNothing() throws Exception {
        publisher.publish(parse("external_cache_dirs: [/a, /b]\n"));
        final int before = configAdmin.totalUpdates();
        assertEquals(0, publisher.publish(parse("external_cache_dirs: [/a, /b]\n")));
        assertEquals(before, configAdmin.totalUpdates());
    }

    @Test
    public void anIdenticalPublishByANewPublisherUpdatesNothing() throws Exception {
        // a restarted config bundle finds its configurations already in place and must not restart Jetty
        publisher.publish(parse("cache_max_bytes: 2G\n"));
        final int before = configAdmin.totalUpdates();
        final ConfigurationPublisher restarted =
                new ConfigurationPublisher(configAdmin, new ConfigurationMapping("launch-42"), written);
        assertEquals(0, restarted.publish(parse("cache_max_bytes: 2G\n")));
        assertEquals(before, configAdmin.totalUpdates());
    }

    @Test
    public void aSoftLimitChangeUpdatesOnlyTheDiskConfiguration() throws Exception {
        publisher.publish(parse("disk_use_limit_soft_p: 70\n"));
        assertEquals(1, publisher.publish(parse("disk_use_limit_soft_p: 60\n")));
        assertEquals(2, configAdmin.updates("io.otaproxy.disk"));
        assertEquals(60, configAdmin.properties("io.otaproxy.disk").get("soft.limit.percent"));
        for (final String pid : List.of("io.otaproxy.proxy", "io.otaproxy.cache", "io.otaproxy.logging",
                "io.otaproxy.admin", HTTP_PID)) {
            assertEquals(pid, 1, configAdmin.updates(pid));
        }
    }

    @Test
    public void aPortChangeUpdatesTheListener() throws Exception {
        publisher.publish(parse(""));
        publisher.publish(parse("local_ota_proxy_listen_port: 9000\n"));
        assertEquals(2, configAdmin.updates(HTTP_PID));
        assertEquals(9000, configAdmin.properties(HTTP_PID).get("org.osgi.service.http.port"));
        assertEquals(9000, configAdmin.properties("io.otaproxy.proxy").get("listen.port"));
    }

    @Test
    public void theAdminEndpointGetsItsOwnListenerOnLoopbackByDefault() throws Exception {
        publisher.publish(parse(""));
        final Dictionary<String, Object> admin = configAdmin.properties(ADMIN_HTTP_PID);
        assertEquals("otaproxy-admin", admin.get("org.apache.felix.http.name"));
        assertEquals("127.0.0.1", admin.get("org.apache.felix.http.host"));
        assertEquals(8099, admin.get("org.osgi.service.http.port"));
        assertEquals(Boolean.FALSE, configAdmin.properties("io.otaproxy.admin").get("allow.destructive"));
    }

    @Test
    public void adminKeysMoveTheAdminListenerWithoutTouchingTheProxyListener() throws Exception {
        publisher.publish(parse(""));
        assertEquals(2, publisher.publish(parse(
                "admin_listen_addr: 0.0.0.0\nadmin_listen_port: 9100\nadmin_allow_destructive: true\n")));
        assertEquals(9100, configAdmin.properties(ADMIN_HTTP_PID).get("org.osgi.service.http.port"));
        assertEquals("0.0.0.0", configAdmin.properties(ADMIN_HTTP_PID).get("org.apache.felix.http.host"));
        assertEquals(Boolean.TRUE, configAdmin.properties("io.otaproxy.admin").get("allow.destructive"));
        assertEquals("the proxy's Jetty is not restarted", 1, configAdmin.updates(HTTP_PID));
    }

    @Test
    public void adminPortZeroDeletesTheAdminListener() throws Exception {
        publisher.publish(parse(""));
        assertEquals(1, publisher.publish(parse("admin_listen_port: 0\n")));
        assertEquals(1, configAdmin.deletions(ADMIN_HTTP_PID));
        assertNull(configAdmin.properties(ADMIN_HTTP_PID));
        assertEquals(8082, configAdmin.properties(HTTP_PID).get("org.osgi.service.http.port"));
    }

    @Test
    public void disablingTheProxyDeletesTheListener() throws Exception {
        publisher.publish(parse(""));
        assertEquals(1, publisher.publish(parse("enable_local_ota_proxy: false\n")));
        assertEquals(1, configAdmin.deletions(HTTP_PID));
        assertNull(configAdmin.properties(HTTP_PID));
        assertEquals(6, configAdmin.pids().size());
        // staying disabled deletes nothing more
        assertEquals(0, publisher.publish(parse("enable_local_ota_proxy: false\n")));
        assertEquals(1, configAdmin.deletions(HTTP_PID));
        // enabling again brings the listener back
        publisher.publish(parse("enable_local_ota_proxy: true\n"));
        assertEquals(8082, configAdmin.properties(HTTP_PID).get("org.osgi.service.http.port"));
    }

    @Test
    public void aForeignKeyIsKeptAndChangesNothing() throws Exception {
        publisher.publish(parse(""));
        final Dictionary<String, Object> props = configAdmin.properties("io.otaproxy.logging");
        props.put("felix.fileinstall.filename", "file:/etc/io.otaproxy.logging.cfg");
        props.put("stray", "x");
        configAdmin.getConfiguration("io.otaproxy.logging", "?").update(props);
        assertEquals(0, publisher.publish(parse("")));
        assertEquals(1, publisher.publish(parse("log_level: debug\n")));
        final Dictionary<String, Object> after = configAdmin.properties("io.otaproxy.logging");
        assertEquals("debug", after.get("log.level"));
        assertEquals("x", after.get("stray"));
        assertEquals("the file installer's link stays", "file:/etc/io.otaproxy.logging.cfg",
                after.get("felix.fileinstall.filename"));
    }

    @Test
    public void theListenerFollowsTheProxysListenAddressWhoeverSetIt() throws Exception {
        publisher.publish(parse(""));
        // a console edit of the proxy's configuration, then the bridge's next publish (its listener asks for one)
        final Dictionary<String, Object> proxy = configAdmin.properties("io.otaproxy.proxy");
        proxy.put("listen.addr", "127.0.0.1");
        proxy.put("listen.port", "9300"); // as a .cfg file gives it: text
        configAdmin.getConfiguration("io.otaproxy.proxy", "?").update(proxy);
        assertEquals(1, publisher.publish(parse("")));
        assertEquals("127.0.0.1", configAdmin.properties(HTTP_PID).get("org.apache.felix.http.host"));
        assertEquals(9300, configAdmin.properties(HTTP_PID).get("org.osgi.service.http.port"));
        assertEquals("the console's value is kept in the proxy's configuration", "9300",
                configAdmin.properties("io.otaproxy.proxy").get("listen.port"));
    }

    @Test
    public void theListenersPortSetOnItsOwnGoesBackToTheProxys() throws Exception {
        publisher.publish(parse("local_ota_proxy_listen_port: 9000\n"));
        final Dictionary<String, Object> http = configAdmin.properties(HTTP_PID);
        http.put("org.osgi.service.http.port", 9555);
        http.put("org.apache.felix.http.jetty.threadpool.max", 64); // another key set there is kept
        configAdmin.getFactoryConfiguration("org.apache.felix.http", "otaproxy", "?").update(http);
        assertEquals(1, publisher.publish(parse("local_ota_proxy_listen_port: 9000\n")));
        assertEquals(9000, configAdmin.properties(HTTP_PID).get("org.osgi.service.http.port"));
        assertEquals(64, configAdmin.properties(HTTP_PID).get("org.apache.felix.http.jetty.threadpool.max"));
    }

    @Test
    public void aPortTheProxyWouldRefuseMovesNoListener() throws Exception {
        publisher.publish(parse("local_ota_proxy_listen_port: 9000\n"));
        final Dictionary<String, Object> proxy = configAdmin.properties("io.otaproxy.proxy");
        proxy.put("listen.port", 70_000);
        configAdmin.getConfiguration("io.otaproxy.proxy", "?").update(proxy);
        assertEquals(0, publisher.publish(parse("local_ota_proxy_listen_port: 9000\n")));
        assertEquals(9000, configAdmin.properties(HTTP_PID).get("org.osgi.service.http.port"));
        assertEquals(1, configAdmin.updates(HTTP_PID));
    }
}
