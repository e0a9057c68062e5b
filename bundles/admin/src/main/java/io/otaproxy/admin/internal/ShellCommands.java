package io.otaproxy.admin.internal;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * Gogo shell commands {@code otaproxy:status}, {@code otaproxy:purge <key>|all} and {@code otaproxy:evict}. A
 * plain service with the command properties: the shell finds it when one is installed, and nothing here depends
 * on the shell.
 */
@Component(service = ShellCommands.class, property = {"osgi.command.scope=otaproxy",
        "osgi.command.function=status", "osgi.command.function=purge", "osgi.command.function=evict"})
public final class ShellCommands {

    @Reference
    private Operations operations;

    /** The status page as text. */
    public String status() {
        return StatusText.render(operations.status());
    }

    /** Removes one cache entry by key, or every entry with {@code all}. */
    public String purge(final String keyOrAll) {
        return operations.purge(keyOrAll).message();
    }

    /** Runs an eviction check now. */
    public String evict() {
        return operations.evict().message();
    }
}
