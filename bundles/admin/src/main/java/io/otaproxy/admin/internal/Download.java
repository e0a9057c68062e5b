package io.otaproxy.admin.internal;

/**
 * A download into the cache as the status page shows it: the cache's progress, and the URL of a request reading it
 * when one is known.
 *
 * @param url           the URL a client asked for, or null when no request for the key is being served
 * @param expectedBytes the announced length, or -1 when upstream sent none
 */
record Download(String key, String url, String state, long bytesReceived, long expectedBytes, int readers,
        long startedAtMillis) {
}
