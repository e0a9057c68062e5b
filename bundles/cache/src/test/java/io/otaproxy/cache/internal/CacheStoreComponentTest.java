package io.otaproxy.cache.internal;

import static io.otaproxy.cache.internal.FileCacheStoreTest.commit;
import static io.otaproxy.cache.internal.TestData.bytes;
import static io.otaproxy.cache.internal.TestData.key;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Dictionary;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.otaproxy.api.cache.CacheMaintenance;
import io.otaproxy.api.cache.CacheStore;
import io.otaproxy.api.cache.EntryMeta;
import io.otaproxy.api.space.CacheUsage;
import io.otaproxy.api.stats.CacheStatistics;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;
import org.osgi.framework.BundleContext;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceRegistration;

public class CacheStoreComponentTest {

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final FakeContext context = new FakeContext();
    private final CacheStoreComponent component = new CacheStoreComponent(TestData.FAST, System::currentTimeMillis);
    private Path dir;
    private boolean active;

    @Before
    public void setUp() throws Exception {
        dir = tmp.newFolder("cache").toPath();
    }

    @After
    public void tearDown() {
        if (active) {
            component.deactivate();
        }
    }

    /** A stub of the configuration annotation: the given values, defaults for the rest. */
    static CacheStoreConfig config(final Object... keyValues) {
        final Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            values.put((String) keyValues[i], keyValues[i + 1]);
        }
        return (CacheStoreConfig) Proxy.newProxyInstance(CacheStoreConfig.class.getClassLoader(),
                new Class<?>[] {CacheStoreConfig.class}, (proxy, method, args) -> {
                    if (method.getName().equals("annotationType")) {
                        return CacheStoreConfig.class;
                    }
                    return values.containsKey(method.getName()) ? values.get(method.getName())
                            : method.getDefaultValue();
                });
    }

    private void activate(final CacheStoreConfig config) throws Exception {
        component.activate(context.proxy(), config);
        active = true;
        component.awaitApplied(10_000);
    }

    private void modify(final CacheStoreConfig config) throws Exception {
        component.modified(config);
        component.awaitApplied(10_000);
    }

    @Test
    public void registersTheStoreOnlyWhileCachingIsEnabled() throws Exception {
        activate(config("cache_dir", dir.toString()));
        final CacheStore first = context.registered();
        assertNotNull(first);
        assertEquals(dir.toAbsolutePath().normalize().toString(), context.properties().get("cache.dir"));

        modify(config("cache_dir", dir.toString(), "enable_cache", false));
        assertNull("disabled: nothing registered, the proxy relays", context.registered());
        assertNull(component.currentStore());

        modify(config("cache_dir", dir.toString(), "enable_cache", true));
        assertNotNull(context.registered());
        assertNotSame(first, context.registered());

        component.deactivate();
        active = false;
        assertNull(context.registered());
    }

    @Test
    public void aRefusedFirstConfigurationOpensNothingAndTheFirstValidOneOpensTheStore() throws Exception {
        component.activate(context.proxy(), config("cache_dir", dir.toString(), "relay_memory_bytes", 1024L));
        active = true;
        assertNull(component.currentStore());
        assertEquals(0, context.registrations);

        modify(config("cache_dir", dir.toString(), "relay_memory_bytes", 2048L));
        assertNull("still refused", component.currentStore());

        modify(config("cache_dir", dir.toString()));
        assertNotNull(context.registered());
        assertEquals(dir, component.currentStore().directory());
    }

    @Test
    public void aComponentThatNeverStartedDeactivatesQuietly() {
        component.activate(context.proxy(), config("cache_dir", dir.toString(), "relay_memory_bytes", 1024L));
        component.deactivate();
        assertEquals(0, context.registrations);
    }

    @Test
    public void disabledFromTheStartRegistersNothing() throws Exception {
        activate(config("cache_dir", dir.toString(), "enable_cache", false));
        assertNull(context.registered());
        assertEquals(0, context.registrations);
    }

    @Test
    public void aNewDirectoryReopensTheStoreThereAndOtherChangesApplyInPlace() throws Exception {
        activate(config("cache_dir", dir.toString()));
        final FileCacheStore first = component.currentStore();
        commit(first, key(1), bytes(10, 1), new EntryMeta(10, null, null, null, null));

        modify(config("cache_dir", dir.toString(), "fill_always_finish", true, "external_cache_dirs",
                new String[] {"/mnt"}));
        assertSame("no re-open for other settings", first, component.currentStore());
        assertEquals(1, context.registrations);

        final Path other = tmp.newFolder("other").toPath();
        modify(config("cache_dir", other.toString()));
        final FileCacheStore second = component.currentStore();
        assertNotSame(first, second);
        assertSame(second, context.registered());
        assertEquals(other, second.directory());
        assertNull(second.find(key(1)));

        modify(config("cache_dir", dir.toString()));
        assertNotNull("back on the first directory, its entries are there", component.currentStore().find(key(1)));
    }

    @Test
    public void initCacheIdWipesOncePerId() throws Exception {
        activate(config("cache_dir", dir.toString(), "init_cache_id", "launch-1"));
        commit(component.currentStore(), key(1), bytes(10, 1), new EntryMeta(10, null, null, null, null));
        component.deactivate();

        final CacheStoreComponent again = new CacheStoreComponent(TestData.FAST, System::currentTimeMillis);
        again.activate(context.proxy(), config("cache_dir", dir.toString(), "init_cache_id", "launch-1"));
        again.awaitApplied(10_000);
        assertNotNull("a bundle update in the same launch keeps the cache", again.currentStore().find(key(1)));

        again.modified(config("cache_dir", dir.toString(), "init_cache_id", "launch-2"));
        again.awaitApplied(10_000);
        assertNull("a new launch with init_cache wipes", again.currentStore().find(key(1)));
        again.deactivate();
        active = false;
    }

    @Test
    public void evictionPolicyBoundLaterGetsTheIndexReplayed() throws Exception {
        activate(config("cache_dir", dir.toString()));
        commit(component.currentStore(), key(1), bytes(10, 1), new EntryMeta(10, null, null, null, null));
        final FileCacheStoreTest.RecordingPolicy policy = new FileCacheStoreTest.RecordingPolicy();
        component.bindEvictionPolicy(policy, Map.of("policy", "lru"));
        assertEquals(Map.of(key(1), 10L), policy.sizes);
        component.unbindEvictionPolicy(policy, Map.of("policy", "lru"));
        assertTrue("the policy left is told to forget the cache", policy.sizes.isEmpty());
        final int removals = policy.removals.get();
        commit(component.currentStore(), key(2), bytes(10, 2), new EntryMeta(10, null, null, null, null));
        assertFalse(policy.sizes.containsKey(key(2)));
        assertTrue(component.currentStore().remove(key(1)));
        assertEquals("an unbound policy hears nothing", removals, policy.removals.get());
    }

    @Test
    public void theConfiguredPolicyIsUsedAndSwappedLiveWithoutReopeningTheStore() throws Exception {
        final TestSpace.OrderPolicy lru = TestSpace.OrderPolicy.lru();
        final TestSpace.OrderPolicy gdsf = TestSpace.OrderPolicy.largestFirst();
        component.bindEvictionPolicy(lru, Map.of("policy", "lru", Constants.SERVICE_ID, 1L));
        component.bindEvictionPolicy(gdsf, Map.of("policy", "gdsf", Constants.SERVICE_ID, 2L));
        activate(config("cache_dir", dir.toString()));
        final FileCacheStore store = component.currentStore();
        assertSame("lru by default", lru, store.evictionPolicy());
        commit(store, key(1), bytes(10, 1), new EntryMeta(10, null, null, null, null));
        commit(store, key(2), bytes(20, 2), new EntryMeta(20, null, null, null, null));
        assertEquals(2, lru.size());

        modify(config("cache_dir", dir.toString(), "eviction_policy", "gdsf"));
        assertSame("no restart", store, component.currentStore());
        assertEquals(1, context.registrations);
        assertSame(gdsf, store.evictionPolicy());
        assertEquals("the index was replayed into it", 2, gdsf.size());
        assertEquals(0, lru.size());

        modify(config("cache_dir", dir.toString(), "eviction_policy", " lru "));
        assertSame(lru, store.evictionPolicy());
        assertEquals(2, lru.size());
    }

    @Test
    public void installingTheConfiguredPolicyLaterSwapsToItAndRemovingItFallsBack() throws Exception {
        final TestSpace.OrderPolicy lru = TestSpace.OrderPolicy.lru();
        final TestSpace.OrderPolicy gdsf = TestSpace.OrderPolicy.largestFirst();
        component.bindEvictionPolicy(lru, Map.of("policy", "lru", Constants.SERVICE_ID, 1L));
        activate(config("cache_dir", dir.toString(), "eviction_policy", "gdsf"));
        final FileCacheStore store = component.currentStore();
        assertSame("the wanted one is missing: another keeps space managed", lru, store.evictionPolicy());
        commit(store, key(1), bytes(10, 1), new EntryMeta(10, null, null, null, null));

        component.bindEvictionPolicy(gdsf, Map.of("policy", "gdsf", Constants.SERVICE_ID, 2L)); // a new bundle
        assertSame(gdsf, store.evictionPolicy());
        assertEquals(1, gdsf.size());
        component.unbindEvictionPolicy(gdsf, Map.of("policy", "gdsf", Constants.SERVICE_ID, 2L));
        assertSame(lru, store.evictionPolicy());
        assertEquals(1, lru.size());
        component.unbindEvictionPolicy(lru, Map.of("policy", "lru", Constants.SERVICE_ID, 1L));
        assertNull("none left: the store evicts on its own", store.evictionPolicy());
        assertNull(component.chosenPolicy());
        assertSame(store, component.currentStore());
    }

    @Test
    public void aMissingPolicyIsWarnedAboutOnlyIfItStaysMissing() throws Exception {
        final TestSpace.OrderPolicy lru = TestSpace.OrderPolicy.lru();
        final TestSpace.OrderPolicy gdsf = TestSpace.OrderPolicy.largestFirst();
        // long while the store opens (a busy machine must not turn start-up's short gap into a warning), short for
        // the policy that goes away for good
        component.policyWarningDelay(60_000);
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        final PrintStream stderr = System.err;
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8)); // the test logger writes there
        try {
            // start-up: the other policy is bound first, the wanted one a moment later
            component.bindEvictionPolicy(gdsf, Map.of("policy", "gdsf", Constants.SERVICE_ID, 2L));
            activate(config("cache_dir", dir.toString(), "eviction_policy", "lru"));
            component.bindEvictionPolicy(lru, Map.of("policy", "lru", Constants.SERVICE_ID, 1L));
            Thread.sleep(600);
            assertFalse(log.toString(StandardCharsets.UTF_8), log.toString(StandardCharsets.UTF_8).contains("WARN"));

            // the wanted policy's bundle goes away for good
            component.policyWarningDelay(300);
            component.unbindEvictionPolicy(lru, Map.of("policy", "lru", Constants.SERVICE_ID, 1L));
            final long deadline = System.nanoTime() + 5_000_000_000L;
            while (!log.toString(StandardCharsets.UTF_8).contains("WARN") && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(log.toString(StandardCharsets.UTF_8), log.toString(StandardCharsets.UTF_8)
                    .contains("Eviction policy 'lru' is not installed; using 'gdsf' until it is"));

            // shut-down: policies unbound just before the store deactivates are not worth a warning
            log.reset();
            component.unbindEvictionPolicy(gdsf, Map.of("policy", "gdsf", Constants.SERVICE_ID, 2L));
            component.deactivate();
            active = false;
            Thread.sleep(600);
            assertFalse(log.toString(StandardCharsets.UTF_8), log.toString(StandardCharsets.UTF_8).contains("WARN"));
        } finally {
            System.setErr(stderr);
        }
    }

    @Test
    public void theStoreIsOfferedAsCacheUsageToo() throws Exception {
        activate(config("cache_dir", dir.toString()));
        assertEquals(List.of(CacheStore.class.getName(), CacheUsage.class.getName()), context.classes());
        final CacheUsage usage = (CacheUsage) context.registered();
        commit(component.currentStore(), key(1), bytes(10, 1), new EntryMeta(10, null, null, null, null));
        assertEquals(10, usage.usedBytes());
    }

    @Test
    public void statisticsAndMaintenanceComeAndGoWithTheStore() throws Exception {
        activate(config("cache_dir", dir.toString()));
        assertEquals(List.of(CacheStatistics.class.getName(), CacheMaintenance.class.getName()),
                context.otherClasses());
        final CacheStatistics stats = context.registeredAs(CacheStatistics.class);
        assertNotNull(stats);
        commit(component.currentStore(), key(1), bytes(10, 1), new EntryMeta(10, null, null, null, null));
        assertEquals(1, stats.entries());
        assertTrue(((CacheMaintenance) stats).purge(key(1)));
        assertEquals(0, stats.entries());
        modify(config("cache_dir", dir.toString(), "enable_cache", false));
        assertNull("caching off: no statistics either", context.registeredAs(CacheStatistics.class));
    }

    /** Just enough of a BundleContext to watch the component register and unregister its service. */
    static final class FakeContext {
        private final List<Object> live = new ArrayList<>();
        private Dictionary<?, ?> lastProperties;
        private List<String> lastClasses;
        private List<String> otherClasses;
        private int registrations;

        synchronized CacheStore registered() {
            for (int i = live.size() - 1; i >= 0; i--) {
                if (live.get(i) instanceof CacheStore store) {
                    return store;
                }
            }
            return null;
        }

        /** The live service registered besides the store under {@code type} (its statistics), or null. */
        synchronized <T> T registeredAs(final Class<T> type) {
            for (final Object service : live) {
                if (!(service instanceof CacheStore) && type.isInstance(service)) {
                    return type.cast(service);
                }
            }
            return null;
        }

        synchronized Dictionary<?, ?> properties() {
            return lastProperties;
        }

        synchronized List<String> classes() {
            return lastClasses;
        }

        synchronized List<String> otherClasses() {
            return otherClasses;
        }

        BundleContext proxy() {
            return (BundleContext) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {BundleContext.class}, (p, method, args) -> {
                        if (!method.getName().equals("registerService")) {
                            throw new UnsupportedOperationException(method.getName());
                        }
                        final List<String> classes = args[0] instanceof String[] names ? List.of(names)
                                : List.of(((Class<?>) args[0]).getName());
                        if (args[1] instanceof CacheStore) {
                            lastClasses = classes;
                        } else {
                            otherClasses = classes;
                        }
                        return register(args[1], (Dictionary<?, ?>) args[2]);
                    });
        }

        private synchronized ServiceRegistration<?> register(final Object service, final Dictionary<?, ?> props) {
            if (service instanceof CacheStore) {
                assertTrue("one store registration at a time", registered() == null);
                lastProperties = props;
                registrations++;
            }
            live.add(service);
            return (ServiceRegistration<?>) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] {ServiceRegistration.class}, (p, method, args) -> {
                        if (!method.getName().equals("unregister")) {
                            throw new UnsupportedOperationException(method.getName());
                        }
                        synchronized (FakeContext.this) {
                            if (!live.remove(service)) {
                                throw new IllegalStateException("already unregistered");
                            }
                        }
                        return null;
                    });
        }
    }
}
