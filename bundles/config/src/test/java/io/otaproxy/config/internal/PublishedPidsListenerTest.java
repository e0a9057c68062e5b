package io.otaproxy.config.internal;

import static org.junit.Assert.assertEquals;

import org.junit.Test;
import org.osgi.service.cm.ConfigurationEvent;

public final class PublishedPidsListenerTest {

    private final PublishedPidsListener listener = new PublishedPidsListener(delay -> { }, 700);

    @Test
    public void anUpdateOfAPidTheFileWritesAsksForAPublishAtOnceAndADeletionAfterThePause() {
        for (final String pid : new String[] {"io.otaproxy.proxy", "io.otaproxy.cache", "io.otaproxy.disk",
                "io.otaproxy.logging", "io.otaproxy.admin", "org.apache.felix.http~otaproxy",
                "org.apache.felix.http~otaproxy-admin"}) {
            assertEquals(pid, 0, listener.delayFor(ConfigurationEvent.CM_UPDATED, pid));
            assertEquals(pid, 700, listener.delayFor(ConfigurationEvent.CM_DELETED, pid));
            assertEquals(pid, -1, listener.delayFor(ConfigurationEvent.CM_LOCATION_CHANGED, pid));
        }
    }

    @Test
    public void otherPidsAreNotTheBridgesConcern() {
        assertEquals(-1, listener.delayFor(ConfigurationEvent.CM_UPDATED, "org.apache.felix.http"));
        assertEquals(-1, listener.delayFor(ConfigurationEvent.CM_DELETED, "org.ops4j.pax.logging"));
        assertEquals(-1, listener.delayFor(ConfigurationEvent.CM_UPDATED, "io.otaproxy.eviction"));
    }
}
