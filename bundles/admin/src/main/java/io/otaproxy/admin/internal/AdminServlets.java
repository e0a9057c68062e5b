package io.otaproxy.admin.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.http.HttpServletResponse;

/** What the admin servlets share: the listener they bind to, and how they write an answer. */
final class AdminServlets {

    /** The admin endpoint's own HTTP listener (a factory configuration of Felix HTTP written by the config bundle). */
    static final String TARGET = "(org.apache.felix.http.name=otaproxy-admin)";

    static final String JSON = "application/json; charset=utf-8";

    private AdminServlets() {
    }

    static void send(final HttpServletResponse response, final int status, final String contentType,
            final String body) throws IOException {
        final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType(contentType);
        // a snapshot is stale at once: never let a browser or a proxy keep one
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
