/**
 * What the running proxy can tell an operator: counters of requests by outcome and of bytes, the requests and
 * downloads in flight, and recent errors. The proxy servlet and the cache store each offer their part as a
 * service; the admin endpoint reads them. Every method is cheap and safe to call from any thread.
 */
@Version("1.1.0")
@Export
package io.otaproxy.api.stats;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
