package io.otaproxy.admin.internal;

/** An error on the status page: when, which part of the proxy reported it, and what happened. */
record ReportedError(long atMillis, String source, String message) {
}
