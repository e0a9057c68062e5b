package io.otaproxy.config.internal;

/** Why a proxy_info.yml (with its overrides) was refused: the offending key, its value, and the reason. */
final class InvalidProxyInfoException extends Exception {

    private static final long serialVersionUID = 1L;

    // Long enough to recognise a value, short enough to keep the refusal on one readable log line.
    private static final int MAX_VALUE_CHARS = 120;

    private final String key;
    private final String value;
    private final String reason;

    /** A refusal of the document as a whole (not YAML, not a mapping, unreadable), not of one key. */
    InvalidProxyInfoException(final String reason) {
        this(null, null, reason);
    }

    InvalidProxyInfoException(final String key, final Object value, final String reason) {
        super(key == null ? reason : key + " = " + render(value) + " " + reason);
        this.key = key;
        this.value = key == null ? null : render(value);
        this.reason = reason;
    }

    /** The key as the operator wrote it (or the override's framework property), or null for the whole document. */
    String key() {
        return key;
    }

    /** The offending value as rendered in the message, or null for the whole document. */
    String value() {
        return value;
    }

    String reason() {
        return reason;
    }

    /** Renders a value for a log line: strings quoted, control characters escaped so a value cannot forge lines. */
    static String render(final Object value) {
        if (value == null) {
            return "null";
        }
        final String text = value instanceof String ? "\"" + value + "\"" : String.valueOf(value);
        final StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < text.length() && out.length() < MAX_VALUE_CHARS; i++) {
            final char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (i < text.length()) {
            out.append("...");
        }
        return out.toString();
    }
}
