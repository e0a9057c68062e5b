package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.net.InetAddress;
import java.util.List;
import java.util.Random;

import io.otaproxy.proxy.internal.AllowedUpstreams.Decision;

import org.junit.Test;

public class AllowedUpstreamsTest {

    private static AllowedUpstreams rules(final String... entries) {
        return AllowedUpstreams.parse(List.of(entries));
    }

    @Test
    public void noRulesAllowEverything() throws Exception {
        final AllowedUpstreams any = rules();
        assertTrue(any.allowsAny());
        assertEquals(Decision.ALLOW, any.decide("anything.example", 1));
        assertTrue(any.allowsAddress(InetAddress.getByName("10.1.2.3"), 65535));
        assertEquals(Decision.ALLOW, rules("*").decide("x.y", 8080));
    }

    @Test
    public void namesMatchExactlyWithoutCaseOrTrailingDot() {
        final AllowedUpstreams r = rules("ota.example.com");
        assertEquals(Decision.ALLOW, r.decide("ota.example.com", 80));
        assertEquals(Decision.ALLOW, r.decide("OTA.Example.COM.", 443));
        assertEquals(Decision.DENY, r.decide("evil.ota.example.com", 80));
        assertEquals(Decision.DENY, r.decide("ota.example.com.evil", 80));
        assertEquals(Decision.DENY, r.decide("xota.example.com", 80));
    }

    @Test
    public void wildcardsMatchSubdomainsOnly() {
        final AllowedUpstreams r = rules("*.cdn.example");
        assertEquals(Decision.ALLOW, r.decide("a.cdn.example", 80));
        assertEquals(Decision.ALLOW, r.decide("a.b.cdn.example", 80));
        assertEquals(Decision.DENY, r.decide("cdn.example", 80));
        assertEquals(Decision.DENY, r.decide("evilcdn.example", 80));
    }

    @Test
    public void portsAndRanges() {
        final AllowedUpstreams r = rules("ota.example:443", "mirror.example:8000-8099", "*:9999");
        assertEquals(Decision.ALLOW, r.decide("ota.example", 443));
        assertEquals(Decision.DENY, r.decide("ota.example", 80));
        assertEquals(Decision.ALLOW, r.decide("mirror.example", 8000));
        assertEquals(Decision.ALLOW, r.decide("mirror.example", 8099));
        assertEquals(Decision.DENY, r.decide("mirror.example", 8100));
        assertEquals(Decision.ALLOW, r.decide("whatever.example", 9999));
        assertEquals(Decision.DENY, r.decide("whatever.example", 9998));
    }

    @Test
    public void ipLiteralsAndNetworks() throws Exception {
        final AllowedUpstreams r = rules("10.0.0.0/8", "192.168.1.7:80", "[fd00::]/8:443", "2001:db8::/32");
        assertEquals(Decision.ALLOW, r.decide("10.255.0.1", 1234));
        assertEquals(Decision.DENY, r.decide("11.0.0.1", 1234));
        assertEquals(Decision.ALLOW, r.decide("192.168.1.7", 80));
        assertEquals(Decision.DENY, r.decide("192.168.1.7", 81));
        assertEquals(Decision.DENY, r.decide("192.168.1.8", 80));
        assertEquals(Decision.ALLOW, r.decide("[fd12::1]", 443));
        assertEquals(Decision.DENY, r.decide("[fd12::1]", 80));
        assertEquals(Decision.ALLOW, r.decide("[2001:db8:ffff::1]", 80));
        assertEquals(Decision.DENY, r.decide("[2001:db9::1]", 80));
        // an IPv4-mapped IPv6 literal is the IPv4 address
        assertEquals(Decision.ALLOW, r.decide("[::ffff:10.1.1.1]", 80));
        assertEquals(Decision.DENY, r.decide("[::ffff:127.0.0.1]", 80));
        // a name is decided on its address once resolved
        assertEquals(Decision.BY_ADDRESS, r.decide("host.example", 80));
        assertTrue(r.allowsAddress(InetAddress.getByName("10.9.9.9"), 80));
        assertFalse(r.allowsAddress(InetAddress.getByName("127.0.0.1"), 80));
    }

    @Test
    public void oddNumericHostsAreNotTakenForAddresses() {
        final AllowedUpstreams names = rules("ota.example");
        final AllowedUpstreams addresses = rules("127.0.0.1");
        // 2130706433 and 0x7f.1 are 127.0.0.1 to some resolvers; here they are names, never taken for the literal
        for (final String odd : List.of("2130706433", "0x7f.1", "127.1", "0177.0.0.1", "127.0.0.1.nip.example")) {
            assertEquals(odd, Decision.DENY, names.decide(odd, 80));
            assertEquals("left to the resolved address: " + odd, Decision.BY_ADDRESS, addresses.decide(odd, 80));
        }
    }

    @Test
    public void badRulesAreRefusedWithTheEntryNamed() {
        for (final String bad : List.of("", " ", "host:0", "host:65536", "host:90-80", "host:x", "10.0.0.0/33",
                "[fd00::]/129", "[fd00::", "[fd00::]x", "10.0.0.0/8/8", "ho st", "-bad.example/8", "a..b",
                "*.", "**.example", "[10.0.0.1]")) {
            final IllegalArgumentException e = assertThrows(bad, IllegalArgumentException.class, () -> rules(bad));
            assertTrue(e.getMessage(), e.getMessage().contains("upstream rule"));
        }
    }

    /** Every network rule against random addresses, checked against plain integer arithmetic. */
    @Test
    public void randomIpv4NetworksMatchLikeIntegerMasks() throws Exception {
        final Random random = new Random(20261129L);
        for (int i = 0; i < 2_000; i++) {
            final int network = random.nextInt();
            final int bits = random.nextInt(33);
            final int mask = bits == 0 ? 0 : -1 << (32 - bits);
            final AllowedUpstreams r = rules(dotted(network) + "/" + bits);
            for (int j = 0; j < 20; j++) {
                // half the probes inside the network, half anywhere
                final int probe = j % 2 == 0 ? (network & mask) | (random.nextInt() & ~mask) : random.nextInt();
                final boolean expected = (probe & mask) == (network & mask);
                assertEquals(dotted(network) + "/" + bits + " vs " + dotted(probe), expected,
                        r.allowsAddress(InetAddress.getByName(dotted(probe)), 80));
                assertEquals(expected ? Decision.ALLOW : Decision.DENY, r.decide(dotted(probe), 80));
            }
        }
    }

    private static String dotted(final int a) {
        return (a >>> 24) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
    }
}
