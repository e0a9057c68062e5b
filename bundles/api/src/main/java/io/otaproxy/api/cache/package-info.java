/**
 * The disk cache as the proxy servlet sees it: complete entries to serve, and fills in flight to start or join.
 * One place owns an in-flight download: a fill belongs to the cache store from the moment it begins, and every
 * client, the first one included, is a reader that follows it.
 */
@Version("2.1.0")
@Export
package io.otaproxy.api.cache;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
