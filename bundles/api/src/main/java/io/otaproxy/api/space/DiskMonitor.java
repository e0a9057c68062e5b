package io.otaproxy.api.space;

import org.osgi.annotation.versioning.ProviderType;

/**
 * Measures the file system that holds the cache directory and tells where it stands against the limits.
 * Readers call {@link #current()} as often as they like: it returns the last measurement and does no I/O.
 */
@ProviderType
public interface DiskMonitor {

    /** The latest measurement; never null. */
    SpaceState current();
}
