/**
 * Disk space state: how full the file system holding the cache is, and the cache's own size (as its store reports
 * it through {@link io.otaproxy.api.space.CacheUsage}), against the configured soft and hard limits and the cap.
 */
@Version("1.1.0")
@Export
package io.otaproxy.api.space;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
