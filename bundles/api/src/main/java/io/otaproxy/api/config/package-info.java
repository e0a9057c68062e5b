/**
 * Configurations a component refused. A component that finds its configuration invalid, whoever wrote it, keeps
 * its last good one and registers a {@link io.otaproxy.api.config.RefusedConfiguration} service until a valid
 * one arrives, so that the admin endpoint can show what was refused and why.
 */
@Version("1.0.0")
@Export
package io.otaproxy.api.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
