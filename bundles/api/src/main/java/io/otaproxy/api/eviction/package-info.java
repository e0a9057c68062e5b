/**
 * Eviction policies: which cache entries go first when space is short. A policy only ranks entries; the
 * cache store owns the files and decides when to evict.
 */
@Version("1.1.0")
@Export
package io.otaproxy.api.eviction;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
