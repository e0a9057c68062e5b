package io.otaproxy.config.internal;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import org.junit.Test;
import org.osgi.service.cm.ConfigurationEvent;

public final class PublishedPidsListenerTest {

    @Test
    public void anUpdateOrADeletionOfAPidTheFileWritesAsksForAnotherPublish() {
        for (final String pid : new String[] {"io.otaproxy.proxy", "io.otaproxy.cache", "io.otaproxy.disk",
                "io.otaproxy.logging", "io.otaproxy.admin", "org.apache.felix.http~otaproxy",
                "org.apache.felix.http~otaproxy-admin"}) {
            assertTrue(pid, PublishedPidsListener.concerns(ConfigurationEvent.CM_UPDATED, pid));
            assertTrue(pid, PublishedPidsListener.concerns(ConfigurationEvent.CM_DELETED, pid));
            assertFalse(pid, PublishedPidsListener.concerns(ConfigurationEvent.CM_LOCATION_CHANGED, pid));
        }
    }

    @Test
    public void otherPidsAreNotTheBridgesConcern() {
        assertFalse(PublishedPidsListener.concerns(ConfigurationEvent.CM_UPDATED, "org.apache.felix.http"));
        assertFalse(PublishedPidsListener.concerns(ConfigurationEvent.CM_DELETED, "org.ops4j.pax.logging"));
        assertFalse(PublishedPidsListener.concerns(ConfigurationEvent.CM_UPDATED, "io.otaproxy.eviction"));
    }
}
