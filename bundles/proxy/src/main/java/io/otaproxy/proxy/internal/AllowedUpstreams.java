package io.otaproxy.proxy.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code allowed_upstreams} rules: which hosts and ports the proxy may fetch from. Each rule is
 * {@code HOST[:PORTS]}: HOST is {@code *}, a host name, {@code *.domain} (any name below the domain, not the domain
 * itself), an IP address, or a network {@code address/bits} (an IPv6 one in brackets when a port follows); PORTS is
 * {@code *}, a port, or a range {@code low-high}; without PORTS any port matches. No rules means any upstream.
 * <p>
 * Names are compared as written, without DNS, so the request path never waits for a lookup. A name that no name
 * rule allows is left to the address rules, which the upstream client applies to the resolved address just before
 * it connects.
 */
final class AllowedUpstreams {

    /** What the rules say about a host and port before any DNS lookup. */
    enum Decision {
        ALLOW,
        DENY,
        /** A host name that only an address rule could allow: decided on the resolved address. */
        BY_ADDRESS
    }

    static final AllowedUpstreams ANY = new AllowedUpstreams(List.of());

    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9a-f:.]+(%[0-9a-z_.-]+)?");
    private static final Pattern NAME = Pattern.compile(
            "[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*");
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,5}");

    private final List<Rule> rules;

    private AllowedUpstreams(final List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /**
     * @throws IllegalArgumentException naming the first entry that is not a rule
     */
    static AllowedUpstreams parse(final Collection<String> entries) {
        final List<Rule> rules = new ArrayList<>();
        for (final String entry : entries) {
            rules.add(Rule.parse(entry));
        }
        return rules.isEmpty() ? ANY : new AllowedUpstreams(rules);
    }

    boolean allowsAny() {
        return rules.isEmpty();
    }

    /**
     * @param host as in the URL: a name, an IPv4 address, or an IPv6 address in brackets
     */
    Decision decide(final String host, final int port) {
        if (rules.isEmpty()) {
            return Decision.ALLOW;
        }
        final String h = normalize(host);
        final InetAddress literal = literal(h);
        if (literal != null) {
            return allowsAddress(literal, port) ? Decision.ALLOW : Decision.DENY;
        }
        boolean byAddress = false;
        for (final Rule rule : rules) {
            if (rule.coversPort(port)) {
                if (rule.matchesName(h)) {
                    return Decision.ALLOW;
                }
                byAddress |= rule.network != null;
            }
        }
        return byAddress ? Decision.BY_ADDRESS : Decision.DENY;
    }

    /** Whether an address rule (or {@code *}) allows this address and port. */
    boolean allowsAddress(final InetAddress address, final int port) {
        if (rules.isEmpty()) {
            return true;
        }
        final byte[] bytes = address.getAddress();
        for (final Rule rule : rules) {
            if (rule.coversPort(port) && (rule.any || rule.network != null && rule.inNetwork(bytes))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return rules.isEmpty() ? "any" : rules.toString();
    }

    /** Lower case, no brackets, no trailing dot of a fully qualified name. */
    private static String normalize(final String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        if (h.endsWith(".") && h.length() > 1) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    /** The address of a strict IP literal, or null for anything else; never looks anything up. */
    static InetAddress literal(final String host) {
        final boolean v4 = IPV4.matcher(host).matches();
        final boolean v6 = !v4 && host.indexOf(':') >= 0 && IPV6.matcher(host).matches();
        if (!v4 && !v6) {
            return null;
        }
        try {
            return InetAddress.getByName(host); // a literal: parsed, not resolved
        } catch (final UnknownHostException e) {
            return null;
        }
    }

    /** One rule: a host pattern and a port range. */
    private static final class Rule {
        private final String text;
        private final boolean any;
        private final String name;
        private final String suffix;
        private final byte[] network;
        private final int bits;
        private final int lowPort;
        private final int highPort;

        private Rule(final String text, final boolean any, final String name, final String suffix,
                final byte[] network, final int bits, final int lowPort, final int highPort) {
            this.text = text;
            this.any = any;
            this.name = name;
            this.suffix = suffix;
            this.network = network;
            this.bits = bits;
            this.lowPort = lowPort;
            this.highPort = highPort;
        }

        static Rule parse(final String entry) {
            final String e = entry == null ? "" : entry.trim().toLowerCase(Locale.ROOT);
            if (e.isEmpty()) {
                throw new IllegalArgumentException("empty upstream rule");
            }
            String host;
            String ports = null;
            if (e.startsWith("[")) {
                final int close = e.indexOf(']');
                if (close < 0) {
                    throw bad(entry, "unclosed [");
                }
                String rest = e.substring(close + 1);
                String prefix = "";
                if (rest.startsWith("/")) {
                    final int colon = rest.indexOf(':');
                    prefix = colon < 0 ? rest : rest.substring(0, colon);
                    rest = colon < 0 ? "" : rest.substring(colon);
                }
                if (!rest.isEmpty()) {
                    if (!rest.startsWith(":")) {
                        throw bad(entry, "text after ]");
                    }
                    ports = rest.substring(1);
                }
                host = e.substring(1, close) + prefix;
                if (host.indexOf(':') < 0) {
                    throw bad(entry, "no IPv6 address in brackets");
                }
            } else if (e.indexOf(':') != e.lastIndexOf(':')) {
                host = e;
            } else {
                final int colon = e.indexOf(':');
                host = colon < 0 ? e : e.substring(0, colon);
                ports = colon < 0 ? null : e.substring(colon + 1);
            }
            int low = 1;
            int high = 65535;
            if (ports != null && !ports.equals("*")) {
                final int dash = ports.indexOf('-');
                final String l = dash < 0 ? ports : ports.substring(0, dash);
                final String h = dash < 0 ? ports : ports.substring(dash + 1);
                if (!DIGITS.matcher(l).matches() || !DIGITS.matcher(h).matches()) {
                    throw bad(entry, "port is not a number, a range low-high or *");
                }
                low = Integer.parseInt(l);
                high = Integer.parseInt(h);
                if (low < 1 || high > 65535 || low > high) {
                    throw bad(entry, "port range outside 1..65535");
                }
            }
            if (host.equals("*")) {
                return new Rule(entry.trim(), true, null, null, null, 0, low, high);
            }
            final int slash = host.indexOf('/');
            if (slash >= 0) {
                final InetAddress address = literal(host.substring(0, slash));
                final String bitsText = host.substring(slash + 1);
                if (address == null) {
                    throw bad(entry, "network address is not an IP address");
                }
                final int max = address.getAddress().length * 8;
                if (!DIGITS.matcher(bitsText).matches() || Integer.parseInt(bitsText) > max) {
                    throw bad(entry, "prefix length is not 0.." + max);
                }
                return new Rule(entry.trim(), false, null, null, address.getAddress(), Integer.parseInt(bitsText),
                        low, high);
            }
            final InetAddress address = literal(host);
            if (address != null) {
                final int all = address.getAddress().length * 8;
                return new Rule(entry.trim(), false, null, null, address.getAddress(), all, low, high);
            }
            final boolean wildcard = host.startsWith("*.");
            String n = wildcard ? host.substring(2) : host;
            if (n.endsWith(".")) {
                n = n.substring(0, n.length() - 1);
            }
            if (n.length() > 253 || !NAME.matcher(n).matches()) {
                throw bad(entry, "not a host name, *.domain, IP address or network");
            }
            return wildcard ? new Rule(entry.trim(), false, null, "." + n, null, 0, low, high)
                    : new Rule(entry.trim(), false, n, null, null, 0, low, high);
        }

        boolean coversPort(final int port) {
            return port >= lowPort && port <= highPort;
        }

        boolean matchesName(final String host) {
            return any || name != null && name.equals(host) || suffix != null && host.endsWith(suffix);
        }

        boolean inNetwork(final byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            final int whole = bits / 8;
            for (int i = 0; i < whole; i++) {
                if (address[i] != network[i]) {
                    return false;
                }
            }
            final int rest = bits % 8;
            if (rest == 0) {
                return true;
            }
            final int mask = (0xff << (8 - rest)) & 0xff;
            return (address[whole] & mask) == (network[whole] & mask);
        }

        private static IllegalArgumentException bad(final String entry, final String why) {
            return new IllegalArgumentException("invalid upstream rule '" + entry + "': " + why);
        }

        @Override
        public String toString() {
            return text;
        }
    }

}
