package io.otaproxy.support.internal;

import io.otaproxy.api.config.RefusedConfiguration;

import org.junit.Test;

/** Unit tests of the bundles run these classes outside a framework, where there is no bundle to act for. */
public final class SupportOutsideAFrameworkTest {

    @Test
    public void aRefusalIsLoggedAndWithdrawnWithoutABundle() {
        Refusals.refused(new RefusedConfiguration("io.otaproxy.test", "key", "bad", "a reason", 1L), "keeping none");
        Refusals.accepted("io.otaproxy.test");
        Refusals.accepted("io.otaproxy.never-refused");
    }

    @Test
    public void preloadingWithoutABundleDoesNothing() {
        ClassPreload.all(SupportOutsideAFrameworkTest.class);
    }
}
