package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;

import org.junit.Test;

public class SelfAddressTest {

    @Test
    public void loopbackAndLocalNamesOnTheListenPortAreSelf() throws Exception {
        final SelfAddress self = new SelfAddress("0.0.0.0", 8082);
        assertTrue(self.isSelf("127.0.0.1", 8082));
        assertTrue(self.isSelf("127.8.9.10", 8082));
        assertTrue(self.isSelf("localhost", 8082));
        assertTrue(self.isSelf("LOCALHOST", 8082));
        assertTrue(self.isSelf("[::1]", 8082));
        assertTrue(self.isSelf("0.0.0.0", 8082));
        assertTrue(self.isSelf(InetAddress.getLocalHost().getHostName(), 8082));
    }

    @Test
    public void anAddressOfThisMachineIsSelf() throws Exception {
        final String local = InetAddress.getLocalHost().getHostAddress();
        assertTrue(local, new SelfAddress("0.0.0.0", 8082).isSelf(local, 8082));
    }

    @Test
    public void otherPortsAndForeignHostsAreNot() {
        final SelfAddress self = new SelfAddress("0.0.0.0", 8082);
        assertFalse(self.isSelf("127.0.0.1", 8083));
        assertFalse(self.isSelf("192.0.2.77", 8082)); // TEST-NET-1: documentation range, never local
        assertFalse("names are not resolved on the request path", self.isSelf("updates.example.com", 8082));
    }
}
