package io.otaproxy.proxy.internal;

import java.nio.file.FileSystemException;

/**
 * What a client is told of a failure inside the proxy. A failure of the cache's own files (a file removed or
 * unreadable) names paths of the gateway, which are no business of a client: it is told only that the cache
 * failed, and the log keeps the details.
 */
final class ClientMessages {

    private ClientMessages() {
    }

    static String of(final Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof FileSystemException) {
                return "the cache could not read its copy of the file";
            }
        }
        final String message = failure.getMessage();
        return message == null ? failure.getClass().getSimpleName() : message;
    }
}
