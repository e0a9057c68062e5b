package io.otaproxy.proxy.internal;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** HTTP dates (RFC 9110 §5.6.7) as epoch seconds. Only the preferred IMF-fixdate form is read; others are ignored. */
final class HttpDates {

    static final long NONE = Long.MIN_VALUE;

    private HttpDates() {
    }

    /** The date in epoch seconds, or {@link #NONE} when absent or not a date this reads. */
    static long seconds(final String value) {
        if (value == null) {
            return NONE;
        }
        try {
            return ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toEpochSecond();
        } catch (final DateTimeParseException e) {
            return NONE;
        }
    }
}
