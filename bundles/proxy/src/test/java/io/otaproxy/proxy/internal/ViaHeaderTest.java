package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

public class ViaHeaderTest {

    @Test
    public void theEntryCarriesTheProtocolVersionAndTheId() {
        assertEquals("1.1 gw-1", ViaHeader.entry("HTTP/1.1", "gw-1"));
        assertEquals("1.0 gw-1", ViaHeader.entry("HTTP/1.0", "gw-1"));
        assertEquals("1.1 gw-1", ViaHeader.entry(null, "gw-1"));
    }

    @Test
    public void theDefaultIdIsATokenThatDiffersPerInstance() {
        assertTrue(ViaHeader.DEFAULT_ID, ViaHeader.DEFAULT_ID.matches("ota-proxy-[0-9a-f]{10}"));
    }

    @Test
    public void findsItsOwnIdAnywhereInTheChain() {
        assertTrue(ViaHeader.contains(List.of("1.1 gw-1"), "gw-1"));
        assertTrue(ViaHeader.contains(List.of("1.0 squid (squid/6), 1.1 GW-1"), "gw-1"));
        assertTrue(ViaHeader.contains(List.of("1.1 child-a", "HTTP/1.1 gw-1:8082".replace(":8082", "")), "gw-1"));
        assertTrue(ViaHeader.contains(List.of("  1.1\tgw-1  ,1.1 other"), "gw-1"));
    }

    @Test
    public void otherIdsAndCommentsDoNotMatch() {
        assertFalse(ViaHeader.contains(List.of(), "gw-1"));
        assertFalse(ViaHeader.contains(List.of("1.1 gw-10"), "gw-1"));
        assertFalse(ViaHeader.contains(List.of("1.1 other (passed gw-1, 1.1 gw-1)"), "gw-1"));
        assertFalse(ViaHeader.contains(List.of("gw-1"), "gw-1"));
        assertNotEquals("1.1 gw-1", ViaHeader.entry("HTTP/1.1", "gw-2"));
    }
}
