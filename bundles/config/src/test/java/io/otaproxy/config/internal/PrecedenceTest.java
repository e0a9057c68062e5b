package io.otaproxy.config.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Dictionary;
import java.util.Hashtable;
import java.util.Map;

import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The precedence between proxy_info.yml and direct ConfigAdmin edits: a property is the file's while it holds what
 * the file last wrote there; a value set elsewhere stays through edits of the file, restarts and updates.
 */
public final class PrecedenceTest {

    private static final String PROXY = "io.otaproxy.proxy";

    @Rule
    public final TemporaryFolder tmp = new TemporaryFolder();

    private final ProxyInfoParser parser = new ProxyInfoParser(Paths.get("/srv/ota"));
    private final FakeConfigurationAdmin configAdmin = new FakeConfigurationAdmin();

    private ConfigurationPublisher publisher(final Path record) {
        return new ConfigurationPublisher(configAdmin, new ConfigurationMapping("launch-1"),
                WrittenValues.load(record));
    }

    private ProxyInfo parse(final String yaml) throws InvalidProxyInfoException {
        return parser.parse(yaml, Map.of());
    }

    /** What a console does: read the configuration, change one property, write it back. */
    private void consoleEdit(final String pid, final String key, final Object value) throws Exception {
        final Dictionary<String, Object> props = configAdmin.properties(pid);
        if (value == null) {
            props.remove(key);
        } else {
            props.put(key, value);
        }
        configAdmin.getConfiguration(pid, "?").update(props);
    }

    private Object proxyValue(final String key) {
        return configAdmin.properties(PROXY).get(key);
    }

    @Test
    public void aDirectEditSurvivesAnUnrelatedEditOfTheFile() throws Exception {
        final ConfigurationPublisher publisher = publisher(tmp.getRoot().toPath().resolve("record"));
        publisher.publish(parse(""));
        consoleEdit(PROXY, "allowed.upstreams", new String[] {"10.9.9.9"});
        publisher.publish(parse("log_level: debug\nmax_concurrent_requests: 64\n"));
        assertArrayEquals(new String[] {"10.9.9.9"}, (String[]) proxyValue("allowed.upstreams"));
        assertEquals("the file's other keys still apply", 64, proxyValue("max.concurrent.requests"));
        assertEquals("debug", configAdmin.properties("io.otaproxy.logging").get("log.level"));
    }

    @Test
    public void aDirectEditWinsOverAnEditOfTheSameKeyInTheFile() throws Exception {
        final ConfigurationPublisher publisher = publisher(tmp.getRoot().toPath().resolve("record"));
        publisher.publish(parse("allowed_upstreams: [ota.example.com]\n"));
        consoleEdit(PROXY, "allowed.upstreams", new String[] {"10.9.9.9"});
        assertEquals(0, publisher.publish(parse("allowed_upstreams: [other.example.com]\n")));
        assertArrayEquals(new String[] {"10.9.9.9"}, (String[]) proxyValue("allowed.upstreams"));
    }

    @Test
    public void aDirectEditSurvivesARestartOrAnUpdateOfTheBridge() throws Exception {
        final Path record = tmp.getRoot().toPath().resolve("data/record");
        publisher(record).publish(parse("max_concurrent_requests: 64\n"));
        consoleEdit(PROXY, "max.concurrent.requests", 5);
        final int before = configAdmin.totalUpdates();
        // a new bridge on the same storage, as after a restart of the framework or an update of the bundle
        assertEquals(0, publisher(record).publish(parse("max_concurrent_requests: 64\n")));
        assertEquals(before, configAdmin.totalUpdates());
        assertEquals(5, proxyValue("max.concurrent.requests"));
        // and it still owns what it wrote
        publisher(record).publish(parse("max_concurrent_requests: 64\nproxy_id: gw-1\n"));
        assertEquals("gw-1", proxyValue("proxy.id"));
        assertEquals(5, proxyValue("max.concurrent.requests"));
    }

    @Test
    public void deletingTheDirectValueHandsTheKeyBackToTheFile() throws Exception {
        final ConfigurationPublisher publisher = publisher(tmp.getRoot().toPath().resolve("record"));
        publisher.publish(parse(""));
        consoleEdit(PROXY, "proxy.id", "console-id");
        publisher.publish(parse("proxy_id: file-id\n"));
        assertEquals("console-id", proxyValue("proxy.id"));
        consoleEdit(PROXY, "proxy.id", null);
        publisher.publish(parse("proxy_id: file-id\nlog_level: warn\n"));
        assertEquals("file-id", proxyValue("proxy.id"));
        publisher.publish(parse("proxy_id: next-id\nlog_level: warn\n"));
        assertEquals("next-id", proxyValue("proxy.id"));
    }

    @Test
    public void aDirectValueEqualToTheFilesBecomesTheFiles() throws Exception {
        final ConfigurationPublisher publisher = publisher(tmp.getRoot().toPath().resolve("record"));
        publisher.publish(parse(""));
        consoleEdit(PROXY, "proxy.id", "gw-2");
        publisher.publish(parse("proxy_id: gw-2\n"));
        publisher.publish(parse("proxy_id: gw-3\n"));
        assertEquals("gw-3", proxyValue("proxy.id"));
    }

    @Test
    public void aConfigurationThatExistedBeforeTheFirstPublishKeepsItsValuesAndGetsTheMissingOnes()
            throws Exception {
        // a .cfg file installed before the bridge ever ran: its values are strings, as a file installer writes them
        final Hashtable<String, Object> cfg = new Hashtable<>();
        cfg.put("soft.limit.percent", "50");
        cfg.put("felix.fileinstall.filename", "file:/etc/io.otaproxy.disk.cfg");
        configAdmin.getConfiguration("io.otaproxy.disk", "?").update(cfg);
        publisher(tmp.getRoot().toPath().resolve("record")).publish(parse("disk_use_limit_soft_p: 60\n"));
        final Dictionary<String, Object> disk = configAdmin.properties("io.otaproxy.disk");
        assertEquals("50", disk.get("soft.limit.percent"));
        assertEquals(80, disk.get("hard.limit.percent"));
        assertEquals("file:/etc/io.otaproxy.disk.cfg", disk.get("felix.fileinstall.filename"));
    }

    @Test
    public void anUnreadableRecordOwnsNothingButValuesEqualToTheFile() throws Exception {
        final Path record = tmp.getRoot().toPath().resolve("record");
        publisher(record).publish(parse("proxy_id: a\n"));
        consoleEdit(PROXY, "max.concurrent.requests", 7);
        Files.write(record, new byte[] {'\\', 'u', 'z', 'z'}); // a malformed escape: Properties refuses it
        publisher(record).publish(parse("proxy_id: b\nmax_concurrent_requests: 8\n"));
        assertEquals("equal to the file before, so the file's", "a", proxyValue("proxy.id"));
        assertEquals(7, proxyValue("max.concurrent.requests"));
    }

    @Test
    public void aDeletedListenerIsRecreatedFromTheFile() throws Exception {
        final ConfigurationPublisher publisher = publisher(tmp.getRoot().toPath().resolve("record"));
        publisher.publish(parse(""));
        publisher.publish(parse("enable_local_ota_proxy: false\n"));
        assertNull(configAdmin.properties("org.apache.felix.http~otaproxy"));
        publisher.publish(parse("enable_local_ota_proxy: true\nlocal_ota_proxy_listen_port: 9001\n"));
        assertEquals(9001, configAdmin.properties("org.apache.felix.http~otaproxy").get("org.osgi.service.http.port"));
    }

    /** What Karaf's FileInstall does with {@code etc/io.otaproxy.proxy.cfg}: the file's keys, as strings, only. */
    private void fileInstallerReplaces(final String pid, final String key, final String value) throws Exception {
        final Hashtable<String, Object> cfg = new Hashtable<>();
        cfg.put(key, value);
        cfg.put("felix.fileinstall.filename", "file:/etc/" + pid + ".cfg");
        configAdmin.getConfiguration(pid, "?").update(cfg);
    }

    @Test
    public void publishingAgainAfterAFileInstallerReplacedTheConfigurationRestoresTheFilesKeysOnly()
            throws Exception {
        final ConfigurationPublisher publisher = publisher(tmp.getRoot().toPath().resolve("record"));
        final ProxyInfo info = parse("proxy_id: gw-1\nmax_concurrent_requests: 64\n");
        publisher.publish(info);
        fileInstallerReplaces(PROXY, "allowed.upstreams", "10.9.9.9");
        assertNull("the replacement dropped what the file wrote", proxyValue("proxy.id"));

        // what the bridge does when ConfigAdmin reports the update: the same settings, published again
        assertEquals(1, publisher.publish(info));
        assertEquals("gw-1", proxyValue("proxy.id"));
        assertEquals(64, proxyValue("max.concurrent.requests"));
        assertEquals("the .cfg's value wins", "10.9.9.9", proxyValue("allowed.upstreams"));
        assertEquals("the .cfg stays linked", "file:/etc/io.otaproxy.proxy.cfg",
                proxyValue("felix.fileinstall.filename"));
        final int updates = configAdmin.totalUpdates();
        assertEquals("the update this caused comes back and changes nothing", 0, publisher.publish(info));
        assertEquals(updates, configAdmin.totalUpdates());

        // a later edit of the file still reaches its keys, not the .cfg's
        publisher.publish(parse("proxy_id: gw-2\nmax_concurrent_requests: 64\nallowed_upstreams: [a.example]\n"));
        assertEquals("gw-2", proxyValue("proxy.id"));
        assertEquals("10.9.9.9", proxyValue("allowed.upstreams"));
    }

    @Test
    public void publishingAgainAfterTheConfigurationWasDeletedRecreatesItFromTheFile() throws Exception {
        final ConfigurationPublisher publisher = publisher(tmp.getRoot().toPath().resolve("record"));
        final ProxyInfo info = parse("proxy_id: gw-1\n");
        publisher.publish(info);
        fileInstallerReplaces(PROXY, "allowed.upstreams", "10.9.9.9");
        publisher.publish(info);
        // the .cfg file deleted: the file installer deletes the whole configuration
        configAdmin.getConfiguration(PROXY, "?").delete();
        assertNull(configAdmin.properties(PROXY));

        assertEquals(1, publisher.publish(info));
        assertEquals("gw-1", proxyValue("proxy.id"));
        assertArrayEquals("the file's value again", new String[0], (String[]) proxyValue("allowed.upstreams"));
        assertNull(proxyValue("felix.fileinstall.filename"));
    }

    @Test
    public void renderingTellsTypesAndArrayBoundariesApart() {
        assertEquals("Integer:8082", WrittenValues.render(8082));
        assertEquals("String:8082", WrittenValues.render("8082"));
        final String ab = WrittenValues.render(new String[] {"a:1", "b"});
        final String a1b = WrittenValues.render(new String[] {"a", "1:b"});
        assertEquals(false, ab.equals(a1b));
    }
}
