package io.otaproxy.cache.internal;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

import io.otaproxy.api.cache.CacheMaintenance;
import io.otaproxy.api.cache.CacheStore;
import io.otaproxy.api.eviction.EvictionPolicy;
import io.otaproxy.api.space.CacheUsage;
import io.otaproxy.api.space.DiskMonitor;
import io.otaproxy.api.stats.CacheStatistics;
import io.otaproxy.support.internal.ClassPreload;

import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the cache store for the configured directory and offers it as {@link CacheStore} while caching is enabled.
 *
 * <p>The service is registered by hand rather than by DS: the component must stay active while caching is off (it
 * owns the directory and reacts to the next change), yet offer nothing then, so the proxy relays. Opening (which
 * reads the index) and closing (which waits up to the grace period for running fills) happen in order on one
 * lifecycle thread, so neither activation nor a configuration change blocks the framework, and two stores never
 * share a directory. A change of directory unregisters the old store, lets its fills finish for the grace
 * period (or fails them loudly), and then opens and registers the store on the new directory; the proxy relays
 * in between. The store is also registered as {@link CacheUsage}, so the disk monitor learns the cache's size
 * from the index instead of walking the directory.
 *
 * <p>Eviction policies are a multiple, dynamic reference: every installed policy is bound, and the one named by
 * {@code eviction.policy} is used (see {@link PolicySelector}). A change of that name, or a policy bundle coming
 * or going, swaps the store's policy in place: the index is replayed into the new one, nothing restarts.
 */
@Component(name = "io.otaproxy.cache", configurationPid = "io.otaproxy.cache", configurationPolicy = ConfigurationPolicy.REQUIRE,
        immediate = true, service = {})
@Designate(ocd = CacheStoreConfig.class)
public final class CacheStoreComponent {

    private static final Logger LOG = LoggerFactory.getLogger(CacheStoreComponent.class);

    /** How long a missing eviction policy may last before it is worth a warning. */
    static final long POLICY_WARNING_DELAY_MILLIS = 3_000;

    /** What a refused configuration leaves in force when no valid one came before it. */
    private static final String WAITING = "no cache store until a valid configuration arrives; the proxy relays";

    private final StoreTunables tunables;
    private final LongSupplier clock;
    private final Object storeLock = new Object();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC,
            policyOption = ReferencePolicyOption.GREEDY)
    private volatile DiskMonitor diskMonitor;

    private final PolicySelector policies = new PolicySelector(); // guarded by storeLock
    private String wantedPolicy = StoreOptions.DEFAULT_POLICY; // guarded by storeLock
    private EvictionPolicy evictionPolicy; // guarded by storeLock: the one in use
    private FileCacheStore store; // guarded by storeLock
    private boolean active; // guarded by storeLock: between activate and deactivate
    private volatile long policyWarningDelayMillis = POLICY_WARNING_DELAY_MILLIS;

    private ExecutorService lifecycle; // made with the first valid configuration
    private BundleContext context;
    private StoreOptions options; // lifecycle thread only
    private ServiceRegistration<?> registration; // lifecycle thread only
    private ServiceRegistration<?> operations; // lifecycle thread only: statistics and maintenance of the store

    public CacheStoreComponent() {
        this(StoreTunables.DEFAULTS, System::currentTimeMillis);
    }

    CacheStoreComponent(final StoreTunables tunables, final LongSupplier clock) {
        this.tunables = tunables;
        this.clock = clock;
    }

    /**
     * Opens the store on a valid configuration. On a refused one the component is activated all the same but opens
     * nothing until {@link #modified} brings a valid configuration: failing the activation instead would leave the
     * store closed for good, because SCR applies a later configuration of a component that has no instance without
     * activating it again.
     */
    @Activate
    void activate(final BundleContext bundleContext, final CacheStoreConfig config) {
        ClassPreload.all(CacheStoreComponent.class); // fills may outlive it
        context = bundleContext;
        if (CacheSettingsCheck.acceptable(config, WAITING)) {
            start(config);
        }
    }

    private void start(final CacheStoreConfig config) {
        final StoreOptions next = StoreOptions.of(config);
        LOG.info("Activating cache store in {} (cache {}, always finish fills: {})", next.directory(),
                next.enabled() ? "enabled" : "disabled", next.alwaysFinish());
        synchronized (storeLock) {
            active = true;
        }
        lifecycle = Executors.newSingleThreadExecutor(new DaemonThreads("ota-proxy-cache-lifecycle"));
        lifecycle.execute(() -> apply(next));
    }

    @Modified
    void modified(final CacheStoreConfig config) {
        final boolean started = lifecycle != null;
        if (!CacheSettingsCheck.acceptable(config, started ? "keeping the configuration in force" : WAITING)) {
            return;
        }
        if (!started) {
            start(config);
            return;
        }
        final StoreOptions next = StoreOptions.of(config);
        LOG.info("Modifying cache store: directory {}, cache {}, wipe id '{}', always finish fills: {},"
                + " eviction policy {}", next.directory(), next.enabled() ? "enabled" : "disabled", next.wipeId(),
                next.alwaysFinish(), next.evictionPolicy());
        lifecycle.execute(() -> apply(next));
    }

    @Deactivate
    void deactivate() {
        LOG.info("Deactivating cache store");
        if (lifecycle == null) {
            return; // never started: every configuration it was given was refused
        }
        synchronized (storeLock) {
            active = false;
        }
        lifecycle.execute(this::closeStore);
        lifecycle.shutdown();
        try {
            if (!lifecycle.awaitTermination(tunables.graceMillis() + 15_000, TimeUnit.MILLISECONDS)) {
                LOG.error("Cache store did not close in time; the next start-up will clean up");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    void bindEvictionPolicy(final EvictionPolicy policy, final Map<String, Object> properties) {
        synchronized (storeLock) {
            policies.add(policy, properties);
            choosePolicy();
        }
    }

    void unbindEvictionPolicy(final EvictionPolicy policy, final Map<String, Object> properties) {
        synchronized (storeLock) {
            policies.remove(policy);
            choosePolicy();
        }
    }

    /** Uses the policy the configuration wants, or the best stand-in; swaps it into the store if it changed. */
    private void choosePolicy() {
        final PolicySelector.Candidate chosen = policies.choose(wantedPolicy);
        final EvictionPolicy next = chosen == null ? null : chosen.policy();
        if (next == evictionPolicy) {
            return;
        }
        evictionPolicy = next;
        if (chosen != null && chosen.name().equals(wantedPolicy)) {
            LOG.info("Eviction policy: {}", chosen.name());
        } else {
            LOG.debug("Eviction policy '{}' is not bound; using {}", wantedPolicy,
                    chosen == null ? "none" : "'" + chosen.name() + "'");
            warnIfItLasts(chosen, wantedPolicy);
        }
        if (store != null) {
            store.useEvictionPolicy(next);
        }
    }

    /**
     * Warns about a missing policy only if it is still missing a moment later: while the bundles start, stop or
     * are updated, policies come and go in some order, and a warning for each of those moments would cry wolf.
     */
    private void warnIfItLasts(final PolicySelector.Candidate standIn, final String wanted) {
        final EvictionPolicy using = standIn == null ? null : standIn.policy();
        CompletableFuture.delayedExecutor(policyWarningDelayMillis, TimeUnit.MILLISECONDS).execute(() -> {
            synchronized (storeLock) {
                if (!active || evictionPolicy != using || !wanted.equals(wantedPolicy)) {
                    return; // stopped, or the policy in use changed since: that change decides what to say
                }
                if (standIn == null) {
                    LOG.warn("No eviction policy is installed; the cache store evicts by last access on its own");
                } else {
                    LOG.warn("Eviction policy '{}' is not installed; using '{}' until it is", wanted, standIn.name());
                }
            }
        });
    }

    private void apply(final StoreOptions next) {
        final StoreOptions current = options;
        options = next;
        synchronized (storeLock) {
            wantedPolicy = next.evictionPolicy();
            choosePolicy();
            // a store that failed to open is retried on any change; a running one is re-opened only if needed
            if (current != null && !current.needsReopen(next) && (store != null || !next.enabled())) {
                if (store != null) {
                    store.alwaysFinish(next.alwaysFinish());
                    store.relayBudget().capacity(next.relayMemoryBytes());
                    store.externalCaches(next.external());
                }
                return;
            }
        }
        closeStore();
        if (!next.enabled()) {
            LOG.info("Caching is disabled: no cache store is offered and requests are relayed");
            return;
        }
        final FileCacheStore opened;
        try {
            if (new CacheDirectory(next.directory()).prepare(next.wipeId())) {
                LOG.info("Wiped the cache in {} (init_cache, id {})", next.directory(), next.wipeId());
            }
            opened = FileCacheStore.open(next.directory(), tunables, next.alwaysFinish(), () -> diskMonitor, clock);
        } catch (final IOException | RuntimeException e) {
            // never fail the proxy because of the cache: without the service it relays
            LOG.error("Cannot open the cache in {}: {}; requests are relayed", next.directory(), e.toString());
            return;
        }
        synchronized (storeLock) {
            store = opened;
            opened.useEvictionPolicy(evictionPolicy);
            opened.externalCaches(next.external());
            opened.relayBudget().capacity(next.relayMemoryBytes());
        }
        registration = context.registerService(new String[] {CacheStore.class.getName(), CacheUsage.class.getName()},
                opened, FrameworkUtil.asDictionary(Map.of("cache.dir", next.directory().toString())));
        operations = context.registerService(
                new String[] {CacheStatistics.class.getName(), CacheMaintenance.class.getName()},
                new StoreOperations(opened), FrameworkUtil.asDictionary(Map.of("cache.dir", next.directory().toString())));
    }

    private void closeStore() {
        if (operations != null) {
            try {
                operations.unregister();
            } catch (final IllegalStateException e) {
                // already gone with the bundle
            }
            operations = null;
        }
        if (registration != null) {
            try {
                registration.unregister();
            } catch (final IllegalStateException e) {
                // already gone with the bundle
            }
            registration = null;
        }
        final FileCacheStore old;
        synchronized (storeLock) {
            old = store;
            store = null;
        }
        if (old != null) {
            old.close();
        }
    }

    /** Waits until configuration changes submitted so far have been applied; for tests. */
    void awaitApplied(final long timeoutMillis) throws InterruptedException, ExecutionException, TimeoutException {
        if (lifecycle == null) {
            return; // not started: nothing was submitted
        }
        lifecycle.submit(() -> { }).get(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    /** Shortens the grace before a missing policy is warned about; for tests. */
    void policyWarningDelay(final long millis) {
        policyWarningDelayMillis = millis;
    }

    /** The policy chosen for the store, or null; for tests. */
    EvictionPolicy chosenPolicy() {
        synchronized (storeLock) {
            return evictionPolicy;
        }
    }

    /** The open store, or null; for tests. */
    FileCacheStore currentStore() {
        synchronized (storeLock) {
            return store;
        }
    }
}
