package io.otaproxy.proxy.internal;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The proxy's mark in {@code Via} (RFC 9110 §7.6.3): {@code <protocol-version> <proxy id>} on every request it sends
 * upstream, so that a request coming back through any chain of proxies is recognised by its own id and refused.
 */
final class ViaHeader {

    static final String NAME = "Via";

    /** This instance's id when none is configured: random, so that two proxies never share one by accident. */
    static final String DEFAULT_ID = "ota-proxy-" + HexFormat.of().formatHex(randomBytes(5));

    private ViaHeader() {
    }

    /** The value this proxy adds, e.g. {@code 1.1 ota-proxy-0a1b2c3d4e}. */
    static String entry(final String protocol, final String proxyId) {
        String version = protocol != null && protocol.startsWith("HTTP/") ? protocol.substring(5) : "1.1";
        if (version.isEmpty() || version.length() > 8) {
            version = "1.1";
        }
        return version + " " + proxyId;
    }

    /**
     * Whether any Via value names {@code proxyId} as the receiving proxy (compared without case). Comments in
     * parentheses are skipped, so a comment cannot fake or hide an entry.
     */
    static boolean contains(final Iterable<String> values, final String proxyId) {
        for (final String value : values) {
            if (value != null && containsIn(value, proxyId)) {
                return true;
            }
        }
        return false;
    }

    private static boolean containsIn(final String value, final String proxyId) {
        final StringBuilder element = new StringBuilder();
        int depth = 0;
        for (int i = 0; i <= value.length(); i++) {
            final char c = i < value.length() ? value.charAt(i) : ',';
            if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth == 0) {
                if (c == ',') {
                    if (receivedBy(element.toString()).equalsIgnoreCase(proxyId)) {
                        return true;
                    }
                    element.setLength(0);
                } else {
                    element.append(c);
                }
            }
        }
        return false;
    }

    /** The second word of a Via element ({@code [protocol-name/]version received-by}), or "". */
    private static String receivedBy(final String element) {
        final String[] words = element.trim().split("[ \\t]+");
        return words.length >= 2 ? words[1] : "";
    }

    private static byte[] randomBytes(final int n) {
        final byte[] bytes = new byte[n];
        new SecureRandom().nextBytes(bytes);
        return bytes;
    }
}
