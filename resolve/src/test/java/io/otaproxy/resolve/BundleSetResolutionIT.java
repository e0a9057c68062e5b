package io.otaproxy.resolve;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Collectors;

import org.junit.BeforeClass;
import org.junit.Test;
import org.osgi.service.resolver.ResolutionException;

import aQute.bnd.build.Workspace;
import aQute.bnd.build.model.clauses.HeaderClause;
import aQute.bnd.osgi.Constants;
import aQute.bnd.osgi.Processor;
import aQute.bnd.osgi.repository.SimpleIndexer;
import biz.aQute.resolve.Bndrun;
import biz.aQute.resolve.ResolveProcess;

/**
 * The resolution the build runs (felix.bndrun, equinox.bndrun), driven through bnd's resolver API: the whole bundle
 * set resolves, and resolves to what the runtime installs; the same bndrun with one bundle taken out of the index
 * fails and names what is missing. This shows that the check in the build can fail.
 */
public class BundleSetResolutionIT {

	private static final File BASE = new File(System.getProperty("basedir", "."));
	private static final File TARGET = new File(BASE, "target");
	private static final File BUNDLES = new File(TARGET, "bundles");

	/** the bundle set (target/bundles, copied from the features module's dependencies): symbolic name to jar */
	private static final TreeMap<String, File> SET = new TreeMap<>();

	@BeforeClass
	public static void readBundleSet() throws IOException {
		File[] jars = BUNDLES.listFiles((dir, name) -> name.endsWith(".jar"));
		assertTrue("no bundle set in " + BUNDLES + " (run mvn verify)", jars != null && jars.length > 0);
		for (File jar : jars) {
			try (JarFile jf = new JarFile(jar)) {
				String bsn = jf.getManifest().getMainAttributes().getValue("Bundle-SymbolicName");
				assertTrue(jar + " is not a bundle", bsn != null);
				SET.put(bsn.split(";")[0].trim(), jar);
			}
		}
	}

	@Test
	public void onFelixTheWholeSetResolvesAndEveryBundleIsUsed() throws Exception {
		assertEquals(SET.keySet(), resolve("felix", "felix.xml", index("bundles.xml")));
	}

	@Test
	public void onEquinoxTheSetResolvesAndTheFrameworkProvidesTheLogApi() throws Exception {
		// Equinox exports org.osgi.service.log 1.5 itself, so the log API bundle (which only the MetaType service
		// needs) has nothing to add there; everything else is used
		Set<String> expected = new TreeSet<>(SET.keySet());
		expected.remove("org.osgi.service.log");
		assertEquals(expected, resolve("equinox", "equinox.xml", index("bundles.xml")));
	}

	@Test
	public void withoutCommonsFileUploadFelixHttpDoesNotResolve() throws Exception {
		// Felix HTTP Jetty 12 imports org.apache.commons.fileupload, not optionally
		String failure = failsWithout("felix", "felix.xml", "org.apache.commons.commons-fileupload");
		assertTrue(failure, failure.contains("org.apache.felix.http.jetty12"));
		assertTrue(failure, failure.contains("osgi.wiring.package=org.apache.commons.fileupload"));
	}

	@Test
	public void withoutScrNoComponentBundleResolvesOnEquinox() throws Exception {
		// every component bundle requires the Declarative Services extender, which only SCR provides
		String failure = failsWithout("equinox", "equinox.xml", "org.apache.felix.scr");
		assertTrue(failure, failure.contains("osgi.extender=osgi.component"));
	}

	@Test
	public void withoutTheLogApiTheMetaTypeServiceResolvesOnlyOnEquinox() throws Exception {
		String failure = failsWithout("felix", "felix.xml", "org.osgi.service.log");
		assertTrue(failure, failure.contains("org.apache.felix.metatype"));
		assertTrue(failure, failure.contains("osgi.wiring.package=org.osgi.service.log"));

		Set<String> expected = new TreeSet<>(SET.keySet());
		expected.remove("org.osgi.service.log");
		assertEquals(expected, resolve("equinox", "equinox.xml", indexWithout("org.osgi.service.log")));
	}

	/** Resolves the named bndrun against the given index of the set and the framework's index, as the build does. */
	private static Set<String> resolve(String bndrun, String frameworkIndex, File setIndex) throws Exception {
		File runFile = new File(BASE, bndrun + ".bndrun");
		Processor repositories = new Processor();
		// the bndrun's own -standalone names target/index/bundles.xml; this workspace replaces only the set's index
		repositories.setProperty(Constants.STANDALONE,
			setIndex.toURI() + "," + new File(TARGET, "index/" + frameworkIndex).toURI());
		Workspace workspace = Workspace.createStandaloneWorkspace(repositories, runFile.toURI());
		try (Bndrun run = new Bndrun(workspace, runFile)) {
			// neither fails on a change of -runbundles nor writes them back: the bndrun file stays as it is
			run.resolve(false, false);
			assertTrue(run.getErrors().toString(), run.isOk());
			return run.getModel()
				.getRunBundles()
				.stream()
				.map(HeaderClause::getName)
				.collect(Collectors.toCollection(TreeSet::new));
		} finally {
			workspace.close();
		}
	}

	/** Resolves with one bundle left out of the set and returns bnd's description of the failure. */
	private static String failsWithout(String bndrun, String frameworkIndex, String bsn) throws Exception {
		try {
			Set<String> runbundles = resolve(bndrun, frameworkIndex, indexWithout(bsn));
			fail(bndrun + " resolved without " + bsn + ": " + runbundles);
			return null;
		} catch (ResolutionException e) {
			String failure = e.getMessage() + "\n" + ResolveProcess.format(e, false);
			System.out.println(bndrun + " without " + bsn + ":\n" + failure);
			return failure;
		}
	}

	private static File index(String name) {
		return new File(TARGET, "index/" + name);
	}

	/** An index of the bundle set less one bundle, written as the build writes the full one. */
	private static File indexWithout(String bsn) throws IOException {
		assertTrue(bsn + " is not in the bundle set " + SET.keySet(), SET.containsKey(bsn));
		List<File> jars = new ArrayList<>(SET.values());
		jars.remove(SET.get(bsn));
		File index = new File(TARGET, "index-without/" + bsn + ".xml");
		index.getParentFile().mkdirs();
		new SimpleIndexer().files(jars).base(BUNDLES.toURI()).name("bundle set without " + bsn).index(index);
		return index;
	}
}
