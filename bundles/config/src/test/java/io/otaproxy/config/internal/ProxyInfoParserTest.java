package io.otaproxy.config.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

import org.junit.Test;

public final class ProxyInfoParserTest {

    private static final Path WORK = Paths.get("/srv/ota");
    private final ProxyInfoParser parser = new ProxyInfoParser(WORK);

    private ProxyInfo parse(final String yaml) throws InvalidProxyInfoException {
        return parser.parse(yaml, Map.of());
    }

    private InvalidProxyInfoException refused(final String yaml, final Map<String, String> overrides) {
        try {
            final ProxyInfo info = parser.parse(yaml, overrides);
            fail("accepted: " + info);
            return null;
        } catch (InvalidProxyInfoException e) {
            return e;
        }
    }

    private InvalidProxyInfoException refused(final String yaml) {
        return refused(yaml, Map.of());
    }

    private static String lines(final String... lines) {
        return String.join("\n", lines) + "\n";
    }

    @Test
    public void emptyDocumentGivesTheDefaults() throws Exception {
        final ProxyInfo info = parse("");
        assertTrue(info.proxyEnabled());
        assertEquals("0.0.0.0", info.listenAddr());
        assertEquals(8082, info.listenPort());
        assertTrue(info.cacheEnabled());
        assertEquals("", info.upperProxy());
        assertFalse(info.httpsEnabled());
        assertEquals("/srv/ota/ota-cache", info.cacheDir());
        assertFalse(info.initCache());
        assertEquals(List.of(), info.externalCacheDirs());
        assertEquals(70, info.softLimitPercent());
        assertEquals(80, info.hardLimitPercent());
        assertEquals(0, info.cacheMaxBytes());
        assertEquals("info", info.logLevel());
        assertEquals(10_000, info.connectTimeoutMs());
        assertEquals(16_000, info.readTimeoutMs());
        assertEquals(2_000, info.diskPollIntervalMs());
        assertEquals("lru", info.evictionPolicy());
        assertEquals(info, parser.defaults());
    }

    @Test
    public void commentOnlyAndNullDocumentsGiveTheDefaults() throws Exception {
        assertEquals(parser.defaults(), parse("# nothing here yet\n"));
        assertEquals(parser.defaults(), parse("~\n"));
        assertEquals(parser.defaults(), parse("---\n"));
    }

    @Test
    public void readsEveryKey() throws Exception {
        final ProxyInfo info = parse(lines(
                "enable_local_ota_proxy: true",
                "local_ota_proxy_listen_addr: 10.0.0.1",
                "local_ota_proxy_listen_port: 9090",
                "enable_local_ota_proxy_cache: false",
                "upper_ota_proxy: http://10.0.0.254:8082/",
                "external_nfs_cache_mnt_point: /mnt/nfs",
                "cache_dir: cache/../blobs",
                "init_cache: true",
                "cache_fill_always_finish: true",
                "enable_https: false",
                "disk_use_limit_soft_p: 60",
                "disk_use_limit_hard_p: 90",
                "cache_max_bytes: 1048576",
                "log_level: DEBUG",
                "upstream_connect_timeout_s: 2.5",
                "upstream_read_timeout_s: 30",
                "disk_poll_interval_s: 0.25",
                "eviction_policy: size-weighted",
                "external_cache_dirs: [/media/usb, relative/usb]"));
        assertTrue(info.proxyEnabled());
        assertEquals("10.0.0.1", info.listenAddr());
        assertEquals(9090, info.listenPort());
        assertFalse(info.cacheEnabled());
        assertEquals("http://10.0.0.254:8082", info.upperProxy());
        assertFalse(info.httpsEnabled());
        assertEquals("/srv/ota/blobs", info.cacheDir());
        assertTrue(info.initCache());
        assertTrue(info.fillAlwaysFinish());
        assertEquals(List.of("/media/usb", "/srv/ota/relative/usb", "/mnt/nfs"), info.externalCacheDirs());
        assertEquals(60, info.softLimitPercent());
        assertEquals(90, info.hardLimitPercent());
        assertEquals(1_048_576, info.cacheMaxBytes());
        assertEquals("debug", info.logLevel());
        assertEquals(2_500, info.connectTimeoutMs());
        assertEquals(30_000, info.readTimeoutMs());
        assertEquals(250, info.diskPollIntervalMs());
        assertEquals("size-weighted", info.evictionPolicy());
    }

    @Test
    public void readsTheAdminKeys() throws Exception {
        final ProxyInfo defaults = parse("");
        assertEquals("127.0.0.1", defaults.adminListenAddr());
        assertEquals(8099, defaults.adminListenPort());
        assertFalse(defaults.adminAllowDestructive());
        final ProxyInfo info = parse(lines("admin_listen_addr: 0.0.0.0", "admin_listen_port: \"9100\"",
                "admin_allow_destructive: true"));
        assertEquals("0.0.0.0", info.adminListenAddr());
        assertEquals(9100, info.adminListenPort());
        assertTrue(info.adminAllowDestructive());
        assertEquals(0, parse("admin_listen_port: 0\n").adminListenPort());
        assertEquals(9200, parser.parse("", Map.of("admin_listen_port", "9200")).adminListenPort());
    }

    @Test
    public void refusesBadAdminValuesNamingTheKey() {
        assertEquals("admin_listen_port", refused("admin_listen_port: 70000\n").key());
        assertEquals("admin_listen_port", refused("admin_listen_port: -1\n").key());
        assertEquals("admin_listen_addr", refused("admin_listen_addr: not-an-address\n").key());
        assertEquals("admin_allow_destructive", refused("admin_allow_destructive: \"yes\"\n").key());
    }

    @Test
    public void readsTheOldKeys() throws Exception {
        final ProxyInfo info = parse(lines(
                "gateway: true",
                "enable_ota_proxy: false",
                "local_server: [\"192.168.10.11\", 8083]"));
        assertTrue(info.httpsEnabled());
        assertFalse(info.proxyEnabled());
        assertEquals("192.168.10.11", info.listenAddr());
        assertEquals(8083, info.listenPort());
    }

    @Test
    public void newKeysBeatOldKeys() throws Exception {
        final ProxyInfo info = parse(lines(
                "gateway: true",
                "enable_https: false",
                "enable_ota_proxy: false",
                "enable_local_ota_proxy: true",
                "local_server: [192.168.10.11, 8083]",
                "local_ota_proxy_listen_port: 8090"));
        assertFalse(info.httpsEnabled());
        assertTrue(info.proxyEnabled());
        // each half of local_server gives way only to its own new key
        assertEquals("192.168.10.11", info.listenAddr());
        assertEquals(8090, info.listenPort());
    }

    @Test
    public void acceptsAFullOtaclientFile() throws Exception {
        final ProxyInfo info = parse(lines(
                "format_version: 1",
                "enable_local_ota_proxy: true",
                "upper_ota_proxy: \"http://10.0.0.1:8082\"",
                "local_ota_proxy_listen_addr: \"0.0.0.0\"",
                "local_ota_proxy_listen_port: 8082",
                "enable_local_ota_proxy_cache: true",
                "logging_server: \"http://10.0.0.1:8083\"",
                "logging_server_grpc: \"http://10.0.0.1:8084\"",
                "external_nfs_cache_mnt_point: null"));
        assertEquals("http://10.0.0.1:8082", info.upperProxy());
        assertEquals(List.of(), info.externalCacheDirs());
    }

    @Test
    public void enableOtaProxyWithGatewayFalseLoads() throws Exception {
        final ProxyInfo info = parse(lines("enable_ota_proxy: true", "gateway: false"));
        assertTrue(info.proxyEnabled());
        assertFalse(info.httpsEnabled());
    }

    @Test
    public void ignoresUnknownKeys() throws Exception {
        assertEquals(parser.defaults(), parse(lines("what_is_this: [1, 2]", "Enable_Https: true", "42: x")));
    }

    @Test
    public void refusesInvalidYaml() {
        assertNull(refused("enable_https: [true\n").key());
        assertTrue(refused("a:\n\tb: 1\n").getMessage().startsWith("not valid YAML"));
    }

    @Test
    public void refusesADocumentThatIsNotAMapping() {
        assertTrue(refused("just a string\n").getMessage().contains("not a mapping"));
        assertTrue(refused("- a\n- b\n").getMessage().contains("a list"));
        assertTrue(refused("8082\n").getMessage().contains("a number"));
    }

    @Test
    public void refusesDuplicateKeys() {
        final InvalidProxyInfoException e = refused(lines("enable_https: true", "enable_https: false"));
        assertTrue(e.getMessage(), e.getMessage().contains("duplicate key enable_https"));
    }

    @Test
    public void refusesAWrongTypeNamingTheKey() {
        final InvalidProxyInfoException e = refused("enable_https: \"true\"\n");
        assertEquals("enable_https", e.key());
        assertEquals("enable_https = \"true\" is not a boolean (true or false)", e.getMessage());
        assertEquals("disk_use_limit_soft_p", refused("disk_use_limit_soft_p: \"60\"\n").key());
        assertEquals("cache_dir", refused("cache_dir: 12\n").key());
        assertEquals("external_cache_dirs[1]", refused("external_cache_dirs: [/a, 3]\n").key());
        assertEquals("upstream_read_timeout_s", refused("upstream_read_timeout_s: soon\n").key());
        assertEquals("log_level", refused("log_level: loud\n").key());
        assertEquals("local_ota_proxy_listen_addr", refused("local_ota_proxy_listen_addr: localhost\n").key());
        assertEquals("local_server", refused("local_server: [1.2.3.4]\n").key());
    }

    @Test
    public void refusesEvenASupersededKeyOfTheWrongType() {
        assertEquals("gateway", refused(lines("gateway: maybe", "enable_https: true")).key());
    }

    @Test
    public void refusesOutOfRangeNumbers() {
        assertEquals("local_ota_proxy_listen_port = 0 is out of range 1..65535",
                refused("local_ota_proxy_listen_port: 0\n").getMessage());
        assertEquals("local_ota_proxy_listen_port", refused("local_ota_proxy_listen_port: 65536\n").key());
        assertEquals("disk_use_limit_hard_p", refused("disk_use_limit_hard_p: 101\n").key());
        assertEquals("disk_use_limit_soft_p", refused("disk_use_limit_soft_p: 0\n").key());
        assertEquals("upstream_connect_timeout_s", refused("upstream_connect_timeout_s: 0\n").key());
        assertEquals("disk_poll_interval_s", refused("disk_poll_interval_s: -1\n").key());
        assertEquals("cache_max_bytes", refused("cache_max_bytes: -5\n").key());
    }

    @Test
    public void holdsTimeoutsAndThePollIntervalToTheComponentsRanges() throws Exception {
        // what the proxy and the disk monitor would refuse is refused here, so an edit never half applies
        assertEquals("upstream_read_timeout_s = 7200 is above 3600 s",
                refused("upstream_read_timeout_s: 7200\n").getMessage());
        assertEquals("upstream_connect_timeout_s", refused("upstream_connect_timeout_s: 3600.001\n").key());
        assertEquals("client_header_timeout_s", refused("client_header_timeout_s: 86400\n").key());
        assertEquals("disk_poll_interval_s = 0.005 is below 0.01 s",
                refused("disk_poll_interval_s: 0.005\n").getMessage());
        assertEquals("disk_poll_interval_s", refused("disk_poll_interval_s: 3601\n").key());
        final ProxyInfo edges = parse(lines("upstream_read_timeout_s: 3600", "disk_poll_interval_s: 0.01"));
        assertEquals(3_600_000, edges.readTimeoutMs());
        assertEquals(10L, edges.diskPollIntervalMs());
    }

    @Test
    public void refusesSoftAboveHardNamingBoth() {
        final InvalidProxyInfoException e = refused(lines("disk_use_limit_soft_p: 90", "disk_use_limit_hard_p: 80"));
        assertEquals("disk_use_limit_soft_p = 90 is above disk_use_limit_hard_p = 80", e.getMessage());
    }

    @Test
    public void refusesAnHttpsUpperProxy() {
        final InvalidProxyInfoException e = refused("upper_ota_proxy: https://10.0.0.1:8443\n");
        assertEquals("upper_ota_proxy", e.key());
        assertTrue(e.getMessage().contains("https"));
        assertEquals("upper_ota_proxy", refused("upper_ota_proxy: ftp://10.0.0.1\n").key());
        assertEquals("upper_ota_proxy", refused("upper_ota_proxy: http://10.0.0.1:8082/path\n").key());
    }

    @Test
    public void anUpperProxyTurnsHttpsOff() throws Exception {
        final ProxyInfo info = parse(lines("enable_https: true", "upper_ota_proxy: http://10.0.0.1:8082"));
        assertFalse(info.httpsEnabled());
        assertTrue(parse(lines("enable_https: true", "upper_ota_proxy: \"\"")).httpsEnabled());
    }

    @Test
    public void readsCacheMaxBytesSuffixes() throws Exception {
        assertEquals(20L << 30, parse("cache_max_bytes: 20G\n").cacheMaxBytes());
        assertEquals(512L << 10, parse("cache_max_bytes: \"512K\"\n").cacheMaxBytes());
        assertEquals(3L << 20, parse("cache_max_bytes: 3m\n").cacheMaxBytes());
        assertEquals(2L << 40, parse("cache_max_bytes: 2T\n").cacheMaxBytes());
        assertEquals(0, parse("cache_max_bytes: 0\n").cacheMaxBytes());
        assertEquals(0, parse("cache_max_bytes: null\n").cacheMaxBytes());
        assertEquals("cache_max_bytes", refused("cache_max_bytes: 20X\n").key());
        assertEquals("cache_max_bytes", refused("cache_max_bytes: 99999999999T\n").key());
    }

    @Test
    public void acceptsThePortAsADigitString() throws Exception {
        assertEquals(9000, parse("local_ota_proxy_listen_port: \"9000\"\n").listenPort());
        assertEquals("local_ota_proxy_listen_port", refused("local_ota_proxy_listen_port: \"90x\"\n").key());
    }

    @Test
    public void acceptsIpv6ListenAddresses() throws Exception {
        assertEquals("::", parse("local_ota_proxy_listen_addr: \"::\"\n").listenAddr());
        assertEquals("fe80::1", parse("local_ota_proxy_listen_addr: fe80::1\n").listenAddr());
        assertEquals("local_ota_proxy_listen_addr", refused("local_ota_proxy_listen_addr: \"1.2.3.256\"\n").key());
    }

    @Test
    public void overridesBeatTheFile() throws Exception {
        final ProxyInfo info = parser.parse(lines(
                "local_ota_proxy_listen_port: 8082",
                "upper_ota_proxy: http://10.0.0.1:8082",
                "enable_local_ota_proxy_cache: true",
                "enable_local_ota_proxy: true",
                "external_cache_dirs: [/a]"),
                Map.of("local_ota_proxy_listen_port", "9000",
                        "upper_ota_proxy", "",
                        "enable_local_ota_proxy_cache", "false",
                        "enable_ota_proxy", "FALSE",
                        "disk_use_limit_soft_p", "50",
                        "upstream_read_timeout_s", "1.5",
                        "external_cache_dirs", "/x,/y"));
        assertEquals(9000, info.listenPort());
        assertEquals("", info.upperProxy());
        assertFalse(info.cacheEnabled());
        // an override of the old key still beats the file's new key: the command line is the operator's last word
        assertFalse(info.proxyEnabled());
        assertEquals(50, info.softLimitPercent());
        assertEquals(1_500, info.readTimeoutMs());
        assertEquals(List.of("/x", "/y"), info.externalCacheDirs());
    }

    @Test
    public void aBadOverrideIsNamedAsTheFrameworkProperty() {
        final InvalidProxyInfoException e = refused("", Map.of("enable_https", "yes"));
        assertEquals("otaproxy.override.enable_https", e.key());
    }

    @Test
    public void refusalMessagesStayOnOneLine() {
        final InvalidProxyInfoException e = refused("eviction_policy: \"\\n\"\n");
        assertFalse(e.getMessage(), e.getMessage().contains("\n"));
        final InvalidProxyInfoException bad = refused("log_level: \"info\\nFAKE LOG LINE\"\n");
        assertFalse(bad.getMessage(), bad.getMessage().contains("\n"));
    }

    @Test
    public void readsTheAccessControlKeys() throws Exception {
        final ProxyInfo info = parse(lines(
                "allowed_upstreams:",
                "  - ota.example.com",
                "  - '*.cdn.example:443'",
                "  - 10.0.0.0/8",
                "  - '[fd00::]/8:8000-8099'",
                "  - 2001:db8::/32",
                "  - '*:8080'",
                "proxy_id: gateway-1",
                "max_concurrent_requests: 100",
                "max_requests_per_client: 10",
                "max_upstream_connections: 0",
                "client_idle_timeout_s: 2.5",
                "client_header_timeout_s: 4"));
        assertEquals(List.of("ota.example.com", "*.cdn.example:443", "10.0.0.0/8", "[fd00::]/8:8000-8099",
                "2001:db8::/32", "*:8080"), info.allowedUpstreams());
        assertEquals("gateway-1", info.proxyId());
        assertEquals(100, info.maxConcurrentRequests());
        assertEquals(10, info.maxRequestsPerClient());
        assertEquals(0, info.maxUpstreamConnections());
        assertEquals(2_500, info.clientIdleTimeoutMs());
        assertEquals(4_000, info.clientHeaderTimeoutMs());
    }

    @Test
    public void accessControlDefaultsAllowAnyUpstream() throws Exception {
        final ProxyInfo info = parse("");
        assertEquals(List.of(), info.allowedUpstreams());
        assertEquals("", info.proxyId());
        assertEquals(1024, info.maxConcurrentRequests());
        assertEquals(0, info.maxRequestsPerClient());
        assertEquals(256, info.maxUpstreamConnections());
        assertEquals(60_000, info.clientIdleTimeoutMs());
        assertEquals(30_000, info.clientHeaderTimeoutMs());
    }

    @Test
    public void refusesBadAccessControlValuesNamingTheKey() {
        for (final String[] bad : new String[][] {
            {"allowed_upstreams: ota.example.com", "allowed_upstreams"},
            {"allowed_upstreams: ['ota.example.com:99999']", "allowed_upstreams[0]"},
            {"allowed_upstreams: [ok.example, '10.0.0.0/40']", "allowed_upstreams[1]"},
            {"allowed_upstreams: ['bad host']", "allowed_upstreams[0]"},
            {"allowed_upstreams: ['[fd00::']", "allowed_upstreams[0]"},
            {"allowed_upstreams: [8080]", "allowed_upstreams[0]"},
            {"allowed_upstreams: ['']", "allowed_upstreams[0]"},
            {"proxy_id: 'two words'", "proxy_id"},
            {"proxy_id: 'a,b'", "proxy_id"},
            {"proxy_id: 12", "proxy_id"},
            {"max_concurrent_requests: 0", "max_concurrent_requests"},
            {"max_requests_per_client: -1", "max_requests_per_client"},
            {"max_upstream_connections: many", "max_upstream_connections"},
            {"client_idle_timeout_s: 0", "client_idle_timeout_s"},
            {"client_header_timeout_s: -3", "client_header_timeout_s"},
            {"memory_budget_mb: 4", "memory_budget_mb"},
            {"memory_budget_mb: lots", "memory_budget_mb"}}) {
            final InvalidProxyInfoException e = refused(bad[0] + "\n");
            assertEquals(bad[0], bad[1], e.key());
        }
    }

    @Test
    public void upstreamRulesComeFromAnOverrideAsOneCommaSeparatedString() throws Exception {
        final ProxyInfo info = parser.parse("", Map.of("allowed_upstreams", "a.example, 10.0.0.0/8:80"));
        assertEquals(List.of("a.example", "10.0.0.0/8:80"), info.allowedUpstreams());
    }
}
