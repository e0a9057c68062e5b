package io.otaproxy.config.internal;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One value as written in proxy_info.yml or in an override, read as the type its key demands. Override values are
 * strings from the command line, so they alone may spell booleans and numbers as text.
 */
final class RawValue {

    private static final Pattern DIGITS = Pattern.compile("[0-9]+");
    private static final Pattern BYTE_SIZE = Pattern.compile("([0-9]+)\\s*([KMGTkmgt])?");
    private static final Pattern IPV4 = Pattern.compile(
            "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    // Only these characters can form an IPv6 literal; anything else could send InetAddress to DNS.
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
    private static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");
    // Connect and read timeouts are handed on as int milliseconds.
    private static final BigDecimal MAX_MILLIS = BigDecimal.valueOf(Integer.MAX_VALUE);

    private final String label;
    private final Object value;
    private final boolean fromOverride;

    /**
     * @param label        the name to report: the YAML key, or the override's framework property
     * @param value        never null: a null value means "not set" and never reaches here
     * @param fromOverride true when {@code value} is a command-line string
     */
    RawValue(final String label, final Object value, final boolean fromOverride) {
        this.label = label;
        this.value = value;
        this.fromOverride = fromOverride;
    }

    boolean asBoolean() throws InvalidProxyInfoException {
        if (value instanceof Boolean) {
            return (Boolean) value;
        }
        if (fromOverride && value instanceof String) {
            final String text = ((String) value).trim();
            if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(text);
            }
        }
        throw invalid("is not a boolean (true or false)");
    }

    /** An integer in {@code [min, max]}; a string of digits is taken only when {@code digitsAllowed} or from an override. */
    int asInt(final int min, final int max, final boolean digitsAllowed) throws InvalidProxyInfoException {
        final BigInteger number;
        if (value instanceof Integer || value instanceof Long || value instanceof BigInteger) {
            number = new BigInteger(value.toString());
        } else if ((digitsAllowed || fromOverride) && value instanceof String
                && DIGITS.matcher(((String) value).trim()).matches()) {
            number = new BigInteger(((String) value).trim());
        } else {
            throw invalid("is not an integer");
        }
        if (number.compareTo(BigInteger.valueOf(min)) < 0 || number.compareTo(BigInteger.valueOf(max)) > 0) {
            throw invalid("is out of range " + min + ".." + max);
        }
        return number.intValue();
    }

    /** A TCP port; a string of digits is accepted from the file too, as the reference converts it with int(). */
    int asPort() throws InvalidProxyInfoException {
        return asInt(1, 65535, true);
    }

    /** {@link #asMillis()} within {@code minMillis} and {@code maxMillis}. */
    int asMillis(final int minMillis, final int maxMillis) throws InvalidProxyInfoException {
        final int millis = asMillis();
        if (millis < minMillis) {
            throw invalid("is below " + seconds(minMillis) + " s");
        }
        if (millis > maxMillis) {
            throw invalid("is above " + seconds(maxMillis) + " s");
        }
        return millis;
    }

    private static String seconds(final int millis) {
        return BigDecimal.valueOf(millis).movePointLeft(3).stripTrailingZeros().toPlainString();
    }

    /** A positive number of seconds, as whole milliseconds. */
    int asMillis() throws InvalidProxyInfoException {
        final BigDecimal seconds;
        try {
            if (value instanceof Number) {
                seconds = new BigDecimal(value.toString());
            } else if (fromOverride && value instanceof String) {
                seconds = new BigDecimal(((String) value).trim());
            } else {
                throw invalid("is not a number of seconds");
            }
        } catch (NumberFormatException e) {
            // also .nan and .inf, whose Double text BigDecimal does not take
            throw invalid("is not a number of seconds");
        }
        if (seconds.signum() <= 0) {
            throw invalid("is not above 0 seconds");
        }
        final BigDecimal millis = seconds.movePointRight(3);
        if (millis.compareTo(BigDecimal.ONE) < 0) {
            throw invalid("is below 1 millisecond");
        }
        if (millis.compareTo(MAX_MILLIS) > 0) {
            throw invalid("is too large");
        }
        return millis.intValue();
    }

    /** A size in bytes: an integer, or digits with a K, M, G or T suffix (powers of 1024); "" means none (0). */
    long asByteSize() throws InvalidProxyInfoException {
        final BigInteger bytes;
        if (value instanceof Integer || value instanceof Long || value instanceof BigInteger) {
            bytes = new BigInteger(value.toString());
        } else if (value instanceof String) {
            final String text = ((String) value).trim();
            if (text.isEmpty()) {
                return 0;
            }
            final Matcher m = BYTE_SIZE.matcher(text);
            if (!m.matches()) {
                throw invalid("is not a size (an integer, or digits with a K, M, G or T suffix)");
            }
            final int shift = m.group(2) == null ? 0 : 10 * ("KMGT".indexOf(Character.toUpperCase(m.group(2).charAt(0))) + 1);
            bytes = new BigInteger(m.group(1)).shiftLeft(shift);
        } else {
            throw invalid("is not a size (an integer, or digits with a K, M, G or T suffix)");
        }
        if (bytes.signum() < 0) {
            throw invalid("is negative");
        }
        if (bytes.bitLength() > 63) {
            throw invalid("is too large");
        }
        return bytes.longValue();
    }

    /** A non-blank string, trimmed. */
    String asNonEmptyString() throws InvalidProxyInfoException {
        if (value instanceof String && !((String) value).isBlank()) {
            return ((String) value).trim();
        }
        throw invalid("is not a non-empty string");
    }

    /** One of trace, debug, info, warn, error, in lower case. */
    String asLogLevel() throws InvalidProxyInfoException {
        if (value instanceof String) {
            final String level = ((String) value).trim().toLowerCase(Locale.ROOT);
            if (LOG_LEVELS.contains(level)) {
                return level;
            }
        }
        throw invalid("is not one of trace, debug, info, warn, error");
    }

    /** A path resolved against {@code workingDir}, absolute and normalized. */
    String asPath(final Path workingDir) throws InvalidProxyInfoException {
        final String text = asNonEmptyString();
        try {
            return workingDir.resolve(text).toAbsolutePath().normalize().toString();
        } catch (InvalidPathException e) {
            throw invalid("is not a valid path");
        }
    }

    /** Like {@link #asPath} but "" means none, returned as "". */
    String asOptionalPath(final Path workingDir) throws InvalidProxyInfoException {
        if (value instanceof String && ((String) value).isBlank()) {
            return "";
        }
        return asPath(workingDir);
    }

    /** A list of paths; an override gives it as one comma-separated string. */
    List<String> asPathList(final Path workingDir) throws InvalidProxyInfoException {
        final List<?> items;
        if (value instanceof List) {
            items = (List<?>) value;
        } else if (fromOverride && value instanceof String) {
            items = ((String) value).isBlank() ? List.of() : Arrays.asList(((String) value).split(","));
        } else {
            throw invalid("is not a list of paths");
        }
        final List<String> paths = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            final Object item = items.get(i);
            if (item == null) {
                throw new InvalidProxyInfoException(label + "[" + i + "]", null, "is not a path");
            }
            paths.add(new RawValue(label + "[" + i + "]", item, fromOverride).asPath(workingDir));
        }
        return paths;
    }

    /** {@code allowed_upstreams}: a list of rules; an override gives it as one comma-separated string. */
    List<String> asUpstreamRules() throws InvalidProxyInfoException {
        final List<?> items;
        if (value instanceof List) {
            items = (List<?>) value;
        } else if (fromOverride && value instanceof String) {
            items = ((String) value).isBlank() ? List.of() : Arrays.asList(((String) value).split(","));
        } else {
            throw invalid("is not a list of upstream rules (host[:port], *.domain, address/bits)");
        }
        final List<String> rules = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            final Object item = items.get(i);
            final String entryLabel = label + "[" + i + "]";
            if (!(item instanceof String)) {
                throw new InvalidProxyInfoException(entryLabel, item, "is not an upstream rule");
            }
            final String text = item.toString().trim();
            final String problem = UpstreamRuleSyntax.problem(text);
            if (problem != null) {
                throw new InvalidProxyInfoException(entryLabel, item, problem);
            }
            rules.add(text);
        }
        return rules;
    }

    /** A Via pseudonym: an HTTP token (letters, digits and {@code !#$%&'*+-.^_`|~}), at most 64 characters. */
    String asProxyId() throws InvalidProxyInfoException {
        if (!(value instanceof String)) {
            throw invalid("is not a string");
        }
        final String text = ((String) value).trim();
        if (text.length() > 64) {
            throw invalid("is longer than 64 characters");
        }
        for (int i = 0; i < text.length(); i++) {
            final char c = text.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)) {
                throw invalid("is not a single HTTP token (letters, digits, - . _ ~ and the like; no spaces)");
            }
        }
        return text;
    }

    /** An IP address literal (v4 or v6), never a host name: binding must not depend on DNS. */
    String asIpAddress() throws InvalidProxyInfoException {
        if (value instanceof String) {
            final String text = ((String) value).trim();
            if (IPV4.matcher(text).matches()) {
                return text;
            }
            if (text.indexOf(':') >= 0 && IPV6_CHARS.matcher(text).matches()) {
                try {
                    // a string with ':' is parsed as an IPv6 literal only, never looked up
                    InetAddress.getByName(text);
                    return text;
                } catch (UnknownHostException e) {
                    // fall through to the refusal
                }
            }
        }
        throw invalid("is not an IP address");
    }

    /** The old {@code local_server: [addr, port]}; an override gives it as "addr,port". */
    ListenPair asListenPair() throws InvalidProxyInfoException {
        final List<?> items;
        if (value instanceof List) {
            items = (List<?>) value;
        } else if (fromOverride && value instanceof String) {
            items = Arrays.asList(((String) value).split(",", -1));
        } else {
            throw invalid("is not a list [address, port]");
        }
        if (items.size() != 2 || items.get(0) == null || items.get(1) == null) {
            throw invalid("is not a list [address, port]");
        }
        final String addr = new RawValue(label + "[0]", items.get(0), fromOverride).asIpAddress();
        final int port = new RawValue(label + "[1]", items.get(1), fromOverride).asPort();
        return new ListenPair(addr, port);
    }

    /**
     * The upper proxy as {@code http://host[:port]}, or "" for none. An https upper proxy is refused: reaching it
     * would need TLS to the proxy itself, which neither the reference nor this proxy speaks.
     */
    String asUpperProxyUrl() throws InvalidProxyInfoException {
        if (!(value instanceof String)) {
            throw invalid("is not an http URL");
        }
        final String text = ((String) value).trim();
        if (text.isEmpty()) {
            return "";
        }
        final URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw invalid("is not an http URL");
        }
        final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme.equals("https")) {
            throw invalid("is an https URL; the upper proxy must be a plain http://host:port");
        }
        if (!scheme.equals("http") || uri.getHost() == null) {
            throw invalid("is not an http URL with a host");
        }
        if (uri.getRawUserInfo() != null) {
            throw invalid("carries credentials, which are not supported");
        }
        final String path = uri.getRawPath();
        if ((path != null && !path.isEmpty() && !path.equals("/")) || uri.getRawQuery() != null
                || uri.getRawFragment() != null) {
            throw invalid("has a path, query or fragment; an upper proxy is just http://host:port");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw invalid("has a port out of range 1..65535");
        }
        return "http://" + uri.getHost().toLowerCase(Locale.ROOT) + (uri.getPort() < 0 ? "" : ":" + uri.getPort());
    }

    private InvalidProxyInfoException invalid(final String reason) {
        return new InvalidProxyInfoException(label, value, reason);
    }

    /**
     * The address and port of the old {@code local_server} key. Not a record: records import java.lang.runtime,
     * which not every framework's system bundle exports.
     */
    static final class ListenPair {
        private final String addr;
        private final int port;

        ListenPair(final String addr, final int port) {
            this.addr = addr;
            this.port = port;
        }

        String addr() {
            return addr;
        }

        int port() {
            return port;
        }
    }
}
