package io.otaproxy.proxy.internal;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code Range: bytes=…} request header resolved against a body length (RFC 9110 §14). A header that cannot
 * be parsed, or asks for too many pieces, is ignored (the whole body is sent, which is always correct); one
 * whose ranges all lie past the end is unsatisfiable (416).
 */
final class ByteRanges {

    /** More pieces than this is not a real client (SWUpdate asks for tens): answer with the whole body. */
    static final int MAX_RANGES = 64;

    /** One inclusive range {@code [first, last]}. */
    record Range(long first, long last) {
        long length() {
            return last - first + 1;
        }
    }

    /** The outcome: the ranges to send, none (send the whole body), or unsatisfiable. */
    static final class Result {
        private final List<Range> ranges;
        private final boolean unsatisfiable;

        private Result(final List<Range> ranges, final boolean unsatisfiable) {
            this.ranges = ranges;
            this.unsatisfiable = unsatisfiable;
        }

        /** The ranges to send; empty when the whole body is to be sent or nothing can be. */
        List<Range> ranges() {
            return ranges;
        }

        boolean unsatisfiable() {
            return unsatisfiable;
        }

        boolean whole() {
            return ranges.isEmpty() && !unsatisfiable;
        }
    }

    private static final Result WHOLE = new Result(List.of(), false);
    private static final Result UNSATISFIABLE = new Result(List.of(), true);

    private ByteRanges() {
    }

    static Result parse(final String header, final long length) {
        if (header == null) {
            return WHOLE;
        }
        final String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6)) {
            return WHOLE;
        }
        final String[] specs = h.substring(6).split(",");
        if (specs.length > MAX_RANGES) {
            return WHOLE;
        }
        final List<Range> ranges = new ArrayList<>();
        for (final String raw : specs) {
            final String spec = raw.trim();
            final int dash = spec.indexOf('-');
            if (dash < 0) {
                return WHOLE;
            }
            final String a = spec.substring(0, dash).trim();
            final String b = spec.substring(dash + 1).trim();
            try {
                if (a.isEmpty()) {
                    if (b.isEmpty()) {
                        return WHOLE;
                    }
                    final long suffix = Long.parseLong(b);
                    if (suffix < 0) {
                        return WHOLE;
                    }
                    if (suffix > 0 && length > 0) {
                        ranges.add(new Range(Math.max(0, length - suffix), length - 1));
                    }
                } else {
                    final long first = Long.parseLong(a);
                    final long last = b.isEmpty() ? Long.MAX_VALUE : Long.parseLong(b);
                    if (first < 0 || last < first) {
                        return WHOLE; // syntactically invalid: ignore the header
                    }
                    if (first < length) {
                        ranges.add(new Range(first, Math.min(last, length - 1)));
                    }
                }
            } catch (final NumberFormatException e) {
                return WHOLE;
            }
        }
        return ranges.isEmpty() ? UNSATISFIABLE : new Result(coalesced(ranges), false);
    }

    /**
     * The ranges as asked when none overlaps or touches another; otherwise sorted and merged (RFC 9110 §14.2 lets a
     * server coalesce), so that a body is never larger than the entry however many times a byte is asked for.
     */
    static List<Range> coalesced(final List<Range> ranges) {
        final List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort(java.util.Comparator.comparingLong(Range::first));
        final List<Range> merged = new ArrayList<>(sorted.size());
        for (final Range r : sorted) {
            final Range last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && r.first() <= last.last() + 1) {
                merged.set(merged.size() - 1, new Range(last.first(), Math.max(last.last(), r.last())));
            } else {
                merged.add(r);
            }
        }
        return List.copyOf(merged.size() == ranges.size() ? ranges : merged);
    }
}
