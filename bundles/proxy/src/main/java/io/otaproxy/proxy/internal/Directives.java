package io.otaproxy.proxy.internal;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The directives of a {@code Cache-Control} value (RFC 9111 §5.2): lower-case names, each with its argument
 * unquoted, or "" when it has none. Unknown directives are kept and ignored by the callers.
 */
final class Directives {

    private static final Directives NONE = new Directives(Map.of());

    private final Map<String, String> directives;

    private Directives(final Map<String, String> directives) {
        this.directives = directives;
    }

    static Directives parse(final String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        final Map<String, String> parsed = new HashMap<>();
        int i = 0;
        final int n = value.length();
        while (i < n) {
            int end = i;
            boolean quoted = false;
            while (end < n && (quoted || value.charAt(end) != ',')) {
                if (value.charAt(end) == '"') {
                    quoted = !quoted;
                }
                end++;
            }
            final String item = value.substring(i, end).strip();
            if (!item.isEmpty()) {
                final int eq = item.indexOf('=');
                final String name = (eq < 0 ? item : item.substring(0, eq)).strip().toLowerCase(Locale.ROOT);
                String arg = eq < 0 ? "" : item.substring(eq + 1).strip();
                if (arg.length() >= 2 && arg.startsWith("\"") && arg.endsWith("\"")) {
                    arg = arg.substring(1, arg.length() - 1);
                }
                parsed.putIfAbsent(name, arg);
            }
            i = end + 1;
        }
        return new Directives(parsed);
    }

    boolean has(final String name) {
        return directives.containsKey(name);
    }

    /** A delta-seconds argument (e.g. {@code max-age}); -1 when absent or not a number. */
    long seconds(final String name) {
        final String arg = directives.get(name);
        if (arg == null || arg.isEmpty()) {
            return -1;
        }
        try {
            final long s = Long.parseLong(arg);
            return s < 0 ? -1 : s;
        } catch (final NumberFormatException e) {
            return arg.chars().allMatch(Character::isDigit) ? Long.MAX_VALUE / 1000 : -1; // too large: "forever"
        }
    }
}
