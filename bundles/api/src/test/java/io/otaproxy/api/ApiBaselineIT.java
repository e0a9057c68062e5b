package io.otaproxy.api;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import aQute.bnd.differ.Baseline;
import aQute.bnd.differ.DiffPluginImpl;
import aQute.bnd.osgi.Jar;
import aQute.bnd.osgi.Processor;
import aQute.bnd.version.Version;

import org.junit.Test;

/**
 * What the build's baseline check decides, shown on the API bundle as built: bnd's baseline (the library the
 * baseline plugin runs) passes the bundle against itself, and fails it against a deliberately broken successor, one
 * that drops a public type of an exported package without raising the package's major version. The plugin applies
 * the same comparison against the previous release.
 */
public class ApiBaselineIT {

    private static final String REMOVED = "io/otaproxy/api/space/CacheUsage.class";

    private static File apiJar() {
        final String path = System.getProperty("api.jar");
        assertNotNull("api.jar names the bundle built by this module", path);
        final File jar = new File(path);
        assertTrue(jar + " exists", jar.isFile());
        return jar;
    }

    /** Package name to its baseline result, {@code newer} against {@code older}. */
    private static Map<String, Baseline.Info> baseline(final Jar newer, final Jar older) throws Exception {
        try (Processor reporter = new Processor()) {
            final Set<Baseline.Info> infos = new Baseline(reporter, new DiffPluginImpl()).baseline(newer, older, null);
            final Map<String, Baseline.Info> byPackage = new TreeMap<>();
            for (final Baseline.Info info : infos) {
                byPackage.put(info.packageName, info);
            }
            assertTrue("no errors: " + reporter.getErrors(), reporter.getErrors().isEmpty());
            return byPackage;
        }
    }

    @Test
    public void theBundleAgainstItselfNeedsNoNewVersion() throws Exception {
        try (Jar newer = new Jar(apiJar()); Jar older = new Jar(apiJar())) {
            final Map<String, Baseline.Info> infos = baseline(newer, older);
            assertTrue(infos.keySet().toString(), infos.keySet().containsAll(Set.of("io.otaproxy.api.cache",
                    "io.otaproxy.api.config", "io.otaproxy.api.eviction", "io.otaproxy.api.space",
                    "io.otaproxy.api.stats")));
            for (final Baseline.Info info : infos.values()) {
                assertFalse(info.packageName + " " + info.reason, info.mismatch);
            }
        }
    }

    @Test
    public void droppingAPublicTypeWithoutAMajorVersionIsAMismatch() throws Exception {
        try (Jar newer = new Jar(apiJar()); Jar older = new Jar(apiJar())) {
            assertNotNull("the type to drop is in the bundle", newer.getResource(REMOVED));
            newer.remove(REMOVED);
            final Map<String, Baseline.Info> infos = baseline(newer, older);
            final Baseline.Info space = infos.get("io.otaproxy.api.space");
            assertTrue("a removed type must fail the baseline: " + space.reason, space.mismatch);
            assertEquals("the next major version is asked for", space.olderVersion.getMajor() + 1,
                    space.suggestedVersion.getMajor());
            assertFalse("the other packages are unchanged", infos.get("io.otaproxy.api.cache").mismatch);
            assertEquals(new Version(space.olderVersion.getMajor(), space.olderVersion.getMinor(),
                    space.olderVersion.getMicro()), space.newerVersion);
        }
    }
}
