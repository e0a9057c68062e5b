/**
 * Disk space state: how full the file system holding the cache is, and the cache's own size, against the
 * configured soft and hard limits.
 */
@Version("1.0.0")
@Export
package io.otaproxy.api.space;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
