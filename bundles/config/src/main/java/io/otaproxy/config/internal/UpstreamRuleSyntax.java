package io.otaproxy.config.internal;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks one entry of {@code allowed_upstreams} before it is published: {@code HOST[:PORTS]}, where HOST is
 * {@code *}, a host name, {@code *.domain}, an IP address or an IP network in CIDR form (IPv6 in brackets when a
 * port follows), and PORTS is {@code *}, a port or a range {@code low-high}. The proxy bundle reads the same
 * syntax; this check only makes sure that a bad entry is refused with the key named instead of reaching it.
 */
final class UpstreamRuleSyntax {

    private static final Pattern NAME = Pattern.compile(
            "[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*\\.?");
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,5}");

    private UpstreamRuleSyntax() {
    }

    /** The reason the entry is not a rule, or null when it is one. */
    static String problem(final String entry) {
        final String e = entry.trim().toLowerCase(Locale.ROOT);
        if (e.isEmpty()) {
            return "is empty";
        }
        final String host;
        final String ports;
        if (e.startsWith("[")) {
            final int close = e.indexOf(']');
            if (close < 0) {
                return "has an unclosed [";
            }
            String rest = e.substring(close + 1);
            String prefix = "";
            if (rest.startsWith("/")) {
                final int colon = rest.indexOf(':');
                prefix = colon < 0 ? rest : rest.substring(0, colon);
                rest = colon < 0 ? "" : rest.substring(colon);
            }
            if (!rest.isEmpty() && !rest.startsWith(":")) {
                return "has text after ]";
            }
            final String v6 = e.substring(1, close);
            if (v6.indexOf(':') < 0) {
                return "has no IPv6 address in brackets";
            }
            host = v6 + prefix;
            ports = rest.isEmpty() ? null : rest.substring(1);
        } else if (e.indexOf(':') != e.lastIndexOf(':')) {
            host = e; // a bare IPv6 address or network: no port
            ports = null;
        } else {
            final int colon = e.indexOf(':');
            host = colon < 0 ? e : e.substring(0, colon);
            ports = colon < 0 ? null : e.substring(colon + 1);
        }
        final String hostProblem = hostProblem(host);
        if (hostProblem != null) {
            return hostProblem;
        }
        return ports == null ? null : portsProblem(ports);
    }

    private static String hostProblem(final String host) {
        if (host.equals("*")) {
            return null;
        }
        final int slash = host.indexOf('/');
        if (slash >= 0) {
            final String address = host.substring(0, slash);
            final String bits = host.substring(slash + 1);
            final int max = IPV4.matcher(address).matches() ? 32 : isIpv6(address) ? 128 : -1;
            if (max < 0) {
                return "is not a network: " + address + " is not an IP address";
            }
            if (!DIGITS.matcher(bits).matches() || Integer.parseInt(bits) > max) {
                return "has a prefix length that is not 0.." + max;
            }
            return null;
        }
        if (IPV4.matcher(host).matches() || isIpv6(host)) {
            return null;
        }
        final String name = host.startsWith("*.") ? host.substring(2) : host;
        if (name.length() > 253 || !NAME.matcher(name).matches()) {
            return "is not a host name, *.domain, IP address or network";
        }
        return null;
    }

    private static boolean isIpv6(final String text) {
        if (text.indexOf(':') < 0 || !IPV6.matcher(text).matches()) {
            return false;
        }
        try {
            // only hex digits, ':' and '.': parsed as a literal, never looked up
            return java.net.InetAddress.getByName(text) instanceof java.net.Inet6Address
                    || text.contains("::ffff:");
        } catch (final java.net.UnknownHostException ex) {
            return false;
        }
    }

    private static String portsProblem(final String ports) {
        if (ports.equals("*")) {
            return null;
        }
        final int dash = ports.indexOf('-');
        final String low = dash < 0 ? ports : ports.substring(0, dash);
        final String high = dash < 0 ? ports : ports.substring(dash + 1);
        if (!DIGITS.matcher(low).matches() || !DIGITS.matcher(high).matches()) {
            return "has a port that is not a number, a range low-high or *";
        }
        final int l = Integer.parseInt(low);
        final int h = Integer.parseInt(high);
        if (l < 1 || h > 65535 || l > h) {
            return "has a port range outside 1..65535";
        }
        return null;
    }
}
