package io.otaproxy.proxy.internal.upstream;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Response header fields in the order received; names keep their case, look-ups ignore it. */
public final class UpstreamHeaders {

    private final List<Map.Entry<String, String>> fields;

    UpstreamHeaders(final List<Map.Entry<String, String>> fields) {
        this.fields = Collections.unmodifiableList(new ArrayList<>(fields));
    }

    /** Fields as given, e.g. for a response head made up by a test. */
    public static UpstreamHeaders of(final List<Map.Entry<String, String>> fields) {
        return new UpstreamHeaders(fields);
    }

    /** All fields, in order, duplicates kept (immutable). */
    public List<Map.Entry<String, String>> all() {
        return fields;
    }

    /** Value of the first field with this name, or null. */
    public String first(final String name) {
        for (final Map.Entry<String, String> f : fields) {
            if (f.getKey().equalsIgnoreCase(name)) {
                return f.getValue();
            }
        }
        return null;
    }

    /** Values of all fields with this name, in order. */
    public List<String> values(final String name) {
        final List<String> values = new ArrayList<>(2);
        for (final Map.Entry<String, String> f : fields) {
            if (f.getKey().equalsIgnoreCase(name)) {
                values.add(f.getValue());
            }
        }
        return values;
    }

    public boolean contains(final String name) {
        return first(name) != null;
    }

    /** Whether a comma-separated list header (e.g. Connection) contains this token, ignoring case. */
    boolean hasToken(final String name, final String token) {
        for (final String value : values(name)) {
            for (final String part : value.split(",")) {
                if (part.strip().toLowerCase(Locale.ROOT).equals(token)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The last token of a list header, lower case, or null: the final transfer coding decides the framing. */
    String lastToken(final String name) {
        String last = null;
        for (final String value : values(name)) {
            for (final String part : value.split(",")) {
                final String t = part.strip();
                if (!t.isEmpty()) {
                    last = t.toLowerCase(Locale.ROOT);
                }
            }
        }
        return last;
    }

    public int size() {
        return fields.size();
    }

    @Override
    public String toString() {
        return fields.toString();
    }
}
