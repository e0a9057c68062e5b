package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import java.net.InetAddress;
import java.util.List;

import io.otaproxy.proxy.internal.upstream.UpstreamRefusedException;
import io.otaproxy.proxy.internal.upstream.UpstreamTarget;

import org.junit.Test;

public class ProxyGuardTest {

    private static ProxyGuard guard(final String... rules) {
        return new ProxyGuard(AllowedUpstreams.parse(List.of(rules)), new SelfAddress("0.0.0.0", 8082));
    }

    @Test
    public void targetsOutsideTheRulesAre403() {
        final ProxyGuard g = guard("ota.example", "10.0.0.0/8");
        assertNull(g.refusal("ota.example", 80, false));
        assertNull(g.refusal("10.1.1.1", 80, false));
        assertEquals(403, guard("ota.example").refusal("evil.example.net", 80, false).status());
        assertEquals(403, g.refusal("192.0.2.1", 80, false).status());
        final UpstreamRefusedException e = assertThrows(UpstreamRefusedException.class,
                () -> g.checkTarget(UpstreamTarget.of("http", "192.0.2.1:8080", "/x"), false));
        assertEquals(403, e.status());
    }

    @Test
    public void aNameLeftToTheAddressRulesIsCheckedOnItsAddress() throws Exception {
        final ProxyGuard g = guard("10.0.0.0/8");
        assertNull("decided once resolved", g.refusal("mirror.example", 80, false));
        g.checkAddress("mirror.example", InetAddress.getByName("10.2.3.4"), 80);
        assertEquals(403, assertThrows(UpstreamRefusedException.class,
                () -> g.checkAddress("mirror.example", InetAddress.getByName("192.0.2.9"), 80)).status());
        assertNotNull("an upper proxy resolves names itself: only name rules count",
                g.refusal("mirror.example", 80, true));
    }

    @Test
    public void theProxyItselfIsALoop() throws Exception {
        final ProxyGuard g = guard();
        assertEquals(508, assertThrows(UpstreamRefusedException.class,
                () -> g.checkAddress("alias.example", InetAddress.getByName("127.0.0.1"), 8082)).status());
        assertEquals(508, assertThrows(UpstreamRefusedException.class,
                () -> g.checkTarget(UpstreamTarget.of("http", "127.0.0.1:8082", "/"), false)).status());
        g.checkAddress("other-port.example", InetAddress.getByName("127.0.0.1"), 8083);
    }
}
