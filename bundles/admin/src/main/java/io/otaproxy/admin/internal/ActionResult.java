package io.otaproxy.admin.internal;

/**
 * The answer to an operator action, the same for the API and the shell.
 *
 * @param status  the HTTP status the API answers with: 200 done, 400 bad argument, 403 not allowed, 503 no cache
 * @param message one line for a person
 * @param amount  what was done: entries purged, or bytes evicted; 0 when refused
 */
record ActionResult(int status, String message, long amount) {

    static final String DISABLED = "destructive operations are disabled: set admin_allow_destructive: true in"
            + " proxy_info.yml to allow purge and evict";

    static ActionResult refused() {
        return new ActionResult(403, DISABLED, 0);
    }

    static ActionResult noCache() {
        return new ActionResult(503, "no cache store is running (caching is disabled or the cache is restarting)", 0);
    }

    boolean ok() {
        return status == 200;
    }
}
