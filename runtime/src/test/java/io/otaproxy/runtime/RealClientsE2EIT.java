package io.otaproxy.runtime;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.RecordedRequest;
import io.otaproxy.testing.TestData;
import io.otaproxy.testing.TestOrigin;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Real clients with the runnable jar as their HTTP proxy: apt-get, wget, curl and aria2c fetch from an origin on
 * 127.0.0.1 cold (nothing cached), warm (from the cache) and, where a client can do without upstream, with the
 * origin stopped. Every file a client saves is compared by sha256 with the origin's bytes. The origin serves files
 * as a static web server does: {@code ETag} and {@code Last-Modified}, {@code 304} for a conditional request that
 * matches, {@code 206} for one {@code Range}, {@code If-Range} honoured.
 */
public class RealClientsE2EIT {

    /** HTTP-date (RFC 9110 §5.6.7): the day always has two digits, which RFC_1123_DATE_TIME does not print. */
    private static final DateTimeFormatter HTTP_DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US).withZone(ZoneOffset.UTC);
    /** In the past, as apt wants a Release's Date. */
    private static final Instant MODIFIED = Instant.parse("2024-01-01T00:00:00Z");
    private static final long CLIENT_TIMEOUT_S = 120;
    private static final int ARIA2_SIZE = 16 * 1024 * 1024 + 5;
    /** Per connection: aria2c's eight connections get eight times as much. */
    private static final long ARIA2_PACE = 4L * 1024 * 1024;
    private static final Pattern FILLS_IN_FLIGHT =
            Pattern.compile("^otaproxy_fills_in_flight (\\S+)$", Pattern.MULTILINE);

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private TestOrigin origin;
    private ProxyProcess proxy;
    private int proxyPort;
    private int adminPort;
    private Path gnupgHome;

    @Before
    public void start() throws Exception {
        origin = TestOrigin.start();
        proxyPort = ProxyProcess.freePort();
        adminPort = ProxyProcess.freePort();
        proxy = ProxyProcess.start(tmp.getRoot().toPath(), List.of("-Xmx256m"), "--host", "127.0.0.1", "--port",
                Integer.toString(proxyPort), "--cache-dir", tmp.newFolder("proxy-cache").toString(), "--admin-port",
                Integer.toString(adminPort));
    }

    @After
    public void stop() throws Exception {
        try {
            if (gnupgHome != null) {
                // gpg started an agent for this home: end it with the home
                run(tmp.getRoot().toPath(), Map.of("GNUPGHOME", gnupgHome.toString()), "gpgconf", "--kill",
                        "gpg-agent");
            }
        } finally {
            if (proxy != null) {
                proxy.close();
            }
            origin.close();
        }
    }

    // ---------------------------------------------------------------- apt

    /**
     * apt-get update through the proxy, twice: the second is a {@code Hit} and fetches nothing (apt asks with
     * {@code Cache-Control: max-age=0} and {@code If-Modified-Since}; the proxy revalidates with the origin, which
     * answers {@code 304}). apt-get download gets exact packages, cold and warm. When the repository changes, the
     * next update through the proxy gets the new InRelease and Packages.
     */
    @Test
    public void aptUpdateHitsTheCacheDownloadsExactPackagesAndSeesTheRepositoryChange() throws Exception {
        final AptRepository repo = new AptRepository();
        final Package hello = new Package("hello-ota", "1.0", TestData.generate(48 * 1024 + 7, 21));
        repo.publish(MODIFIED, hello);
        final Apt apt = new Apt("car", repo);

        final Run cold = apt.get(apt.root, "update");
        assertEquals(cold.toString(), List.of(repo.get(1, "InRelease", repo.inRelease.length),
                repo.get(2, "Packages", repo.packages.length)), acquireLines(cold));
        assertArrayEquals("apt's InRelease is the origin's", repo.inRelease, Files.readAllBytes(apt.list("InRelease")));
        assertArrayEquals("apt's Packages is the origin's", repo.packages, Files.readAllBytes(apt.list("Packages")));

        final Run warm = apt.get(apt.root, "update");
        assertEquals("a Hit and no Get: " + warm, List.of(repo.hit(1, "InRelease")), acquireLines(warm));
        assertEquals("the proxy revalidated InRelease with the origin", List.of("200", "304"),
                repo.served("InRelease").answers());
        assertEquals("Packages came from the origin once", List.of("200"), repo.served("Packages").answers());

        final Path first = tmp.newFolder("apt-download-cold").toPath();
        final Run download = apt.get(first, "download", "hello-ota");
        assertEquals(download.toString(), List.of(repo.get(1, hello)), acquireLines(download));
        assertEquals(hello.sha256(), TestData.sha256(first.resolve(hello.fileName())));
        final Path second = tmp.newFolder("apt-download-warm").toPath();
        final Run again = apt.get(second, "download", "hello-ota");
        assertEquals(again.toString(), List.of(repo.get(1, hello)), acquireLines(again));
        assertEquals(hello.sha256(), TestData.sha256(second.resolve(hello.fileName())));
        assertEquals("the package came from the origin once", List.of("200"), repo.served(hello.fileName()).answers());

        final Package tools = new Package("ota-tools", "2.0", TestData.generate(2 * 1024 * 1024 + 3, 22));
        repo.publish(MODIFIED.plus(Duration.ofDays(1)), hello, tools);
        final Run changed = apt.get(apt.root, "update");
        assertEquals(changed.toString(), List.of(repo.get(1, "InRelease", repo.inRelease.length),
                repo.get(2, "Packages", repo.packages.length)), acquireLines(changed));
        assertArrayEquals(repo.inRelease, Files.readAllBytes(apt.list("InRelease")));
        assertArrayEquals(repo.packages, Files.readAllBytes(apt.list("Packages")));
        final Run show = apt.cache("show", "ota-tools");
        assertEquals(show.toString(), 0, show.exit());
        assertTrue(show.toString(), show.lines().containsAll(List.of("Package: ota-tools", "Version: 2.0")));
        final Path third = tmp.newFolder("apt-download-new").toPath();
        final Run newPackage = apt.get(third, "download", "ota-tools");
        assertEquals(newPackage.toString(), List.of(repo.get(1, tools)), acquireLines(newPackage));
        assertEquals(tools.sha256(), TestData.sha256(third.resolve(tools.fileName())));
        assertCameThroughTheProxy("/repo/");
    }

    /**
     * With the origin stopped, apt-get update still succeeds from the proxy's cache: a car that updated before gets
     * its {@code Hit}, a car that never did gets the whole index, and both download exact packages. This needs a
     * signed InRelease: a 404 is not stored, so with the origin away the proxy answers a repository without
     * InRelease {@code 502} for it, and apt reports {@code Err:1 … InRelease 502 Bad Gateway} and keeps its old
     * lists; an unsigned InRelease apt fetches and ignores ({@code Ign:1}), then asks for Release and for
     * Release.gpg, a 404 again.
     */
    @Test
    public void aptUpdatesAndDownloadsFromTheCacheWithTheOriginStopped() throws Exception {
        final AptRepository repo = new AptRepository();
        final Package hello = new Package("hello-ota", "1.0", TestData.generate(48 * 1024 + 7, 23));
        final Package tools = new Package("ota-tools", "2.0", TestData.generate(2 * 1024 * 1024 + 3, 24));
        repo.publish(MODIFIED, hello, tools);
        final Apt carA = new Apt("car-a", repo);
        final Run cold = carA.get(carA.root, "update");
        assertEquals(cold.toString(), List.of(repo.get(1, "InRelease", repo.inRelease.length),
                repo.get(2, "Packages", repo.packages.length)), acquireLines(cold));
        final Path downloads = tmp.newFolder("car-a-downloads").toPath();
        assertEquals(0, carA.get(downloads, "download", "hello-ota", "ota-tools").exit());
        assertEquals(hello.sha256(), TestData.sha256(downloads.resolve(hello.fileName())));
        assertEquals(tools.sha256(), TestData.sha256(downloads.resolve(tools.fileName())));

        origin.close();
        // so that the proxy does try the origin for apt's max-age=0, and falls back to its copy
        final Run offline = carA.get(carA.root, "update");
        assertEquals("a Hit from the cache: " + offline, List.of(repo.hit(1, "InRelease")), acquireLines(offline));

        final Apt carB = new Apt("car-b", repo);
        final Run fresh = carB.get(carB.root, "update");
        assertEquals("a car that never updated gets the whole index from the cache: " + fresh,
                List.of(repo.get(1, "InRelease", repo.inRelease.length), repo.get(2, "Packages", repo.packages.length)),
                acquireLines(fresh));
        assertArrayEquals(repo.inRelease, Files.readAllBytes(carB.list("InRelease")));
        assertArrayEquals(repo.packages, Files.readAllBytes(carB.list("Packages")));
        final Run show = carB.cache("show", "hello-ota");
        assertEquals(show.toString(), 0, show.exit());
        final Path offlineDownloads = tmp.newFolder("car-b-downloads").toPath();
        final Run download = carB.get(offlineDownloads, "download", "hello-ota", "ota-tools");
        assertEquals(download.toString(), List.of(repo.get(1, hello), repo.get(2, tools)), acquireLines(download));
        assertEquals(hello.sha256(), TestData.sha256(offlineDownloads.resolve(hello.fileName())));
        assertEquals(tools.sha256(), TestData.sha256(offlineDownloads.resolve(tools.fileName())));
        assertCameThroughTheProxy("/repo/");
    }

    /**
     * apt-get update right after an update, the repository changed in between, sees the change. apt asks for
     * InRelease with {@code Cache-Control: max-age=0}, which the README lists among the requests that make the proxy
     * revalidate; the proxy counts an entry's age in whole seconds, so within the second it stored InRelease it
     * takes the request's {@code max-age=0} as met (fails today: apt gets a 304 for the old InRelease and the
     * {@code Hit} line, and the new package is not known).
     */
    @Test
    public void aptUpdateRightAfterAnUpdateSeesTheRepositoryChange() throws Exception {
        final AptRepository repo = new AptRepository();
        final Package hello = new Package("hello-ota", "1.0", TestData.generate(48 * 1024 + 7, 25));
        final Package tools = new Package("ota-tools", "2.0", TestData.generate(64 * 1024 + 1, 26));
        repo.publish(MODIFIED, hello);
        final Apt apt = new Apt("car", repo);
        assertEquals(List.of(repo.get(1, "InRelease", repo.inRelease.length),
                repo.get(2, "Packages", repo.packages.length)), acquireLines(apt.get(apt.root, "update")));
        final long updated = System.nanoTime();

        repo.publish(MODIFIED.plus(Duration.ofDays(1)), hello, tools);
        final Run changed = apt.get(apt.root, "update");
        final long gap = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - updated);
        assertEquals("an update at most " + gap + " ms after the last one; the origin's answers for the new InRelease "
                + repo.served("InRelease").answers() + ": " + changed, List.of(repo.get(1, "InRelease",
                repo.inRelease.length), repo.get(2, "Packages", repo.packages.length)), acquireLines(changed));
        final Run show = apt.cache("show", "ota-tools");
        assertEquals(show.toString(), 0, show.exit());
        assertCameThroughTheProxy("/repo/");
    }

    /** The lines in which apt reports each item it acquires, and its warnings and errors. */
    private static List<String> acquireLines(final Run run) {
        assertEquals(run.toString(), 0, run.exit());
        return run.lines().stream().filter(l -> l.startsWith("Get:") || l.startsWith("Hit:") || l.startsWith("Ign:")
                || l.startsWith("Err:") || l.startsWith("W:") || l.startsWith("E:")).toList();
    }

    /** A size as apt prints it (apt-pkg's SizeToStr), in powers of 1000: {@code 427 B}, {@code 49.2 kB}. */
    private static String aptSize(final long bytes) {
        final String[] units = {"", "k", "M", "G", "T"};
        double size = bytes;
        for (int i = 0; i < units.length; i++) {
            if (size < 100 && i != 0) {
                return String.format(Locale.ROOT, "%.1f %sB", size, units[i]);
            }
            if (size < 10_000) {
                return String.format(Locale.ROOT, "%.0f %sB", size, units[i]);
            }
            size /= 1000.0;
        }
        throw new IllegalArgumentException("too large for apt: " + bytes);
    }

    /** A .deb as the repository lists it; its bytes need not be a real package for apt-get download. */
    private record Package(String name, String version, byte[] bytes) {
        String fileName() {
            return name + "_" + version + "_all.deb";
        }

        String sha256() {
            return TestData.sha256(bytes);
        }

        String stanza() {
            return "Package: " + name + "\nVersion: " + version + "\nArchitecture: all\n"
                    + "Maintainer: ota-proxy tests <tests@example.invalid>\nSection: misc\nPriority: optional\n"
                    + "Filename: ./" + fileName() + "\nSize: " + bytes.length + "\nSHA256: " + sha256() + "\n"
                    + "Description: a file for apt to fetch through ota-proxy\n";
        }
    }

    /**
     * A flat repository ({@code deb URI ./}) on the origin under {@code /repo/}: Packages, a Release listing its
     * sha256, and InRelease, the Release clear-signed with a key made for the test. apt asks for
     * {@code /repo/./InRelease}, the dot kept, and the proxy passes the target on as it is.
     */
    private final class AptRepository {

        final Path dir;
        final Path key;
        final Map<String, ServedFile> files = new ConcurrentHashMap<>();
        byte[] packages;
        byte[] inRelease;

        AptRepository() throws Exception {
            DebianPackages.require("gpg", "gpg");
            DebianPackages.require("gpgconf", "gpgconf");
            dir = tmp.newFolder("repo").toPath();
            gnupgHome = tmp.newFolder("gnupg").toPath();
            Files.setPosixFilePermissions(gnupgHome, PosixFilePermissions.fromString("rwx------"));
            gpg("--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key",
                    "ota-proxy test repository <repo@example.invalid>", "ed25519", "sign", "never");
            key = dir.resolve("repo.gpg");
            gpg("--export", "--output", key.toString());
        }

        String base() {
            return origin.url("/repo");
        }

        String target(final String file) {
            return "/repo/./" + file;
        }

        /** Serves these packages, a Packages listing them, a Release and InRelease, all modified at {@code at}. */
        void publish(final Instant at, final Package... list) throws Exception {
            final StringBuilder index = new StringBuilder();
            for (final Package p : list) {
                index.append(p.stanza()).append('\n');
                serve(p.fileName(), p.bytes(), at);
            }
            final byte[] newPackages = index.toString().getBytes(StandardCharsets.UTF_8);
            final String release = "Origin: ota-proxy-test\nLabel: ota-proxy-test\nDate: " + HTTP_DATE.format(at)
                    + "\nSHA256:\n " + TestData.sha256(newPackages) + " " + newPackages.length + " Packages\n";
            final Path releaseFile = dir.resolve("Release");
            Files.writeString(releaseFile, release, StandardCharsets.UTF_8);
            final Path signed = dir.resolve("InRelease");
            gpg("--yes", "--digest-algo", "SHA256", "--clearsign", "--output", signed.toString(),
                    releaseFile.toString());
            final byte[] newInRelease = Files.readAllBytes(signed);
            serve("Packages", newPackages, at);
            serve("Release", release.getBytes(StandardCharsets.UTF_8), at);
            serve("InRelease", newInRelease, at);
            packages = newPackages;
            inRelease = newInRelease;
        }

        private void serve(final String file, final byte[] bytes, final Instant at) {
            final ServedFile existing = files.get(file);
            if (existing != null && Arrays.equals(existing.body, bytes)) {
                return; // unchanged files keep their validators and their record
            }
            final ServedFile served = new ServedFile(bytes, at, 0);
            files.put(file, served);
            origin.answer(target(file), served);
        }

        ServedFile served(final String file) {
            return files.get(file);
        }

        /** apt's line for an index it fetched: {@code Get:1 http://127.0.0.1:PORT/repo ./ InRelease [427 B]}. */
        String get(final int n, final String index, final int length) {
            return "Get:" + n + " " + base() + " ./ " + index + " [" + aptSize(length) + "]";
        }

        /** apt's line for a downloaded package: {@code Get:1 http://127.0.0.1:PORT/repo ./ hello-ota 1.0 [49.2 kB]}. */
        String get(final int n, final Package p) {
            return "Get:" + n + " " + base() + " ./ " + p.name() + " " + p.version() + " [" + aptSize(p.bytes().length)
                    + "]";
        }

        /** apt's line for an index that had not changed: {@code Hit:1 http://127.0.0.1:PORT/repo ./ InRelease}. */
        String hit(final int n, final String index) {
            return "Hit:" + n + " " + base() + " ./ " + index;
        }

        private void gpg(final String... args) throws Exception {
            final List<String> command = new ArrayList<>(List.of("gpg", "--batch", "--quiet"));
            command.addAll(List.of(args));
            final Run r = run(dir, Map.of("GNUPGHOME", gnupgHome.toString()), command.toArray(new String[0]));
            assertEquals(r.toString(), 0, r.exit());
        }
    }

    /**
     * apt-get and apt-cache with a state, cache and configuration of their own: nothing is read from /etc/apt
     * ({@code APT_CONFIG} names an empty apt.conf.d before the system's is read), nothing of the system's is written.
     */
    private final class Apt {

        final Path root;
        private final Path config;
        private final List<String> options;

        Apt(final String name, final AptRepository repo) throws IOException {
            root = tmp.newFolder("apt-" + name).toPath();
            final Path etc = Files.createDirectories(root.resolve("etc"));
            final Path state = Files.createDirectories(root.resolve("state"));
            Files.createDirectories(state.resolve("lists/partial"));
            Files.createDirectories(root.resolve("cache/archives/partial"));
            final Path status = Files.createFile(state.resolve("status"));
            final Path sources = etc.resolve("sources.list");
            Files.writeString(sources, "deb [signed-by=" + repo.key + "] " + repo.base() + " ./\n");
            config = etc.resolve("apt.conf");
            Files.writeString(config, "Dir::Etc::Parts \"" + Files.createDirectories(etc.resolve("apt.conf.d"))
                    + "\";\nDir::Etc::Main \"" + etc.resolve("no-apt.conf") + "\";\n");
            options = List.of(
                    "-o", "Dir::Etc::SourceList=" + sources,
                    "-o", "Dir::Etc::SourceParts=" + Files.createDirectories(etc.resolve("sources.list.d")),
                    "-o", "Dir::Etc::Preferences=" + etc.resolve("preferences"),
                    "-o", "Dir::Etc::PreferencesParts=" + Files.createDirectories(etc.resolve("preferences.d")),
                    "-o", "Dir::Etc::Trusted=" + etc.resolve("trusted.gpg"),
                    "-o", "Dir::Etc::TrustedParts=" + Files.createDirectories(etc.resolve("trusted.gpg.d")),
                    "-o", "Dir::State=" + state,
                    "-o", "Dir::State::status=" + status,
                    "-o", "Dir::Cache=" + root.resolve("cache"),
                    "-o", "Debug::NoLocking=1",
                    "-o", "APT::Sandbox::User=root",
                    "-o", "Acquire::http::Proxy=http://127.0.0.1:" + proxyPort,
                    "-o", "Acquire::Languages=none",
                    // a failure shows at once, not after apt's retries
                    "-o", "Acquire::Retries=0");
        }

        Run get(final Path cwd, final String... args) throws Exception {
            return apt("apt-get", cwd, args);
        }

        Run cache(final String... args) throws Exception {
            return apt("apt-cache", root, args);
        }

        private Run apt(final String program, final Path cwd, final String... args) throws Exception {
            final List<String> command = new ArrayList<>(List.of(program));
            command.addAll(options);
            command.addAll(List.of(args));
            return run(cwd, Map.of("APT_CONFIG", config.toString()), command.toArray(new String[0]));
        }

        /** The list file apt keeps for an index of the repository (plain: no apt.conf.d asks for GzipIndexes). */
        Path list(final String index) throws IOException {
            try (Stream<Path> files = Files.list(root.resolve("state/lists"))) {
                final List<Path> found = files.filter(f -> f.getFileName().toString().endsWith("_" + index)).toList();
                assertEquals("one list file for " + index + ": " + found, 1, found.size());
                return found.get(0);
            }
        }
    }

    // ---------------------------------------------------------------- wget

    /**
     * {@code wget -c} resumes a partial file: cold (the resumed range lies more than 1 MiB ahead, so the proxy
     * fetches it on its own while the whole file is downloaded for the cache), warm, and with the origin stopped.
     */
    @Test
    public void wgetResumesPartialFilesColdWarmAndWithTheOriginStopped() throws Exception {
        final byte[] body = TestData.generate(4 * 1024 * 1024 + 11, 31);
        final String path = "/files/wget-resume.img";
        final ServedFile served = serve(path, body);

        wgetResume("wget-cold", path, body, 3 * 1024 * 1024 + 5);
        awaitNoDownloadInFlight();
        final int seen = origin.requestCount(path);
        wgetResume("wget-warm", path, body, 1234);
        assertEquals("warm: the origin saw nothing more " + served.answers(), seen, origin.requestCount(path));
        origin.close();
        wgetResume("wget-origin-stopped", path, body, 2 * 1024 * 1024);
        assertCameThroughTheProxy(path);
    }

    private void wgetResume(final String name, final String path, final byte[] body, final int partial)
            throws Exception {
        final Path dir = tmp.newFolder(name).toPath();
        final Path file = dir.resolve(Path.of(path).getFileName().toString());
        Files.write(file, Arrays.copyOf(body, partial));
        final Run r = run(dir, Map.of(), DebianPackages.require("wget", "wget").toString(), "-c", "-e",
                "use_proxy=yes", "-e", "http_proxy=127.0.0.1:" + proxyPort,
                origin.url(path));
        assertEquals(name + ": " + r, 0, r.exit());
        assertTrue(name + ": " + r, r.output().contains("206 Partial Content"));
        assertEquals(name + ": the whole file, exact", TestData.sha256(body), TestData.sha256(file));
    }

    /**
     * {@code wget -N} a second time sends {@code If-Modified-Since}, gets {@code 304} from the proxy and keeps its
     * file; the origin saw a single download. With the origin stopped the answer is the same.
     */
    @Test
    public void wgetTimestampingGets304FromTheProxy() throws Exception {
        final byte[] body = TestData.generate(300 * 1024 + 1, 32);
        final String path = "/files/wget-n.bin";
        final ServedFile served = serve(path, body);
        final Path dir = tmp.newFolder("wget-n").toPath();
        final Path file = dir.resolve("wget-n.bin");
        final String[] wget = {DebianPackages.require("wget", "wget").toString(), "-N", "-e", "use_proxy=yes",
            "-e", "http_proxy=127.0.0.1:" + proxyPort,
            origin.url(path)};

        final Run first = run(dir, Map.of(), wget);
        assertEquals(first.toString(), 0, first.exit());
        assertTrue(first.toString(), first.output().contains("200 OK"));
        assertEquals(TestData.sha256(body), TestData.sha256(file));
        assertEquals("wget dated the file by Last-Modified", MODIFIED, Files.getLastModifiedTime(file).toInstant());

        final Run second = run(dir, Map.of(), wget);
        assertNotRetrieved(second);
        assertEquals("the origin saw one download, and nothing more", List.of("200"), served.answers());
        assertEquals(1, origin.requestCount(path));
        assertEquals(TestData.sha256(body), TestData.sha256(file));

        origin.close();
        assertNotRetrieved(run(dir, Map.of(), wget));
        assertEquals(TestData.sha256(body), TestData.sha256(file));
        assertCameThroughTheProxy(path);
    }

    private static void assertNotRetrieved(final Run r) {
        assertEquals(r.toString(), 0, r.exit());
        assertTrue(r.toString(), r.output().contains("awaiting response... 304 Not Modified"));
        assertTrue(r.toString(), r.output().contains("File 'wget-n.bin' not modified on server. Omitting download."));
        assertTrue(r.toString(), !r.output().contains("saved ["));
    }

    // ---------------------------------------------------------------- curl

    /** {@code curl -x … -C - -o file} resumes a partial file: cold, warm, and with the origin stopped. */
    @Test
    public void curlResumesPartialFilesColdWarmAndWithTheOriginStopped() throws Exception {
        final byte[] body = TestData.generate(3 * 1024 * 1024 + 17, 33);
        final String path = "/files/curl-resume.img";
        final ServedFile served = serve(path, body);

        curlResume("curl-cold", path, body, 100 * 1024);
        awaitNoDownloadInFlight();
        final int seen = origin.requestCount(path);
        curlResume("curl-warm", path, body, 2 * 1024 * 1024 + 1);
        assertEquals("warm: the origin saw nothing more " + served.answers(), seen, origin.requestCount(path));
        origin.close();
        curlResume("curl-origin-stopped", path, body, 1);
        assertCameThroughTheProxy(path);
    }

    private void curlResume(final String name, final String path, final byte[] body, final int partial)
            throws Exception {
        final Path dir = tmp.newFolder(name).toPath();
        final Path file = dir.resolve("curl-resume.img");
        Files.write(file, Arrays.copyOf(body, partial));
        final Run r = run(dir, Map.of(), DebianPackages.require("curl", "curl").toString(), "-sS", "-f", "-x",
                "http://127.0.0.1:" + proxyPort, "-C", "-", "-o",
                file.getFileName().toString(), "-w", "status %{http_code}\n", origin.url(path));
        assertEquals(name + ": " + r, 0, r.exit());
        assertEquals(name + ": " + r, List.of("status 206"), r.lines());
        assertEquals(name + ": the whole file, exact", TestData.sha256(body), TestData.sha256(file));
    }

    // ---------------------------------------------------------------- aria2c

    /**
     * {@code aria2c -x8 -s8} through the proxy, cold, against an origin that serves ranges and paces each
     * connection: the exact file. The times through the proxy and directly are printed for information only.
     */
    @Test
    public void aria2cWithEightConnectionsGetsTheExactFileCold() throws Exception {
        final Path aria2c = DebianPackages.require("aria2c", "aria2");
        final byte[] body = TestData.generate(ARIA2_SIZE, 34);
        final ServedFile direct = serve("/files/aria2-direct.img", body, ARIA2_PACE);
        final ServedFile served = serve("/files/aria2.img", body, ARIA2_PACE);

        final long directMillis = aria2c(aria2c, "aria2-direct", "/files/aria2-direct.img", body, false);
        final long coldMillis = aria2c(aria2c, "aria2-cold", "/files/aria2.img", body, true);
        System.out.printf("aria2c -x8 -s8, %d MiB, origin paced at %d MiB/s per connection: direct %d ms"
                + " (origin answered %s), cold through the proxy %d ms (origin answered %s)%n", ARIA2_SIZE >> 20,
                ARIA2_PACE >> 20, directMillis, direct.answers(), coldMillis, served.answers());
        assertCameThroughTheProxy("/files/aria2.img");
    }

    /**
     * After a cold {@code aria2c -x8 -s8} through the proxy the file is cached: a warm run and a run with the origin
     * stopped get it from the proxy. aria2c's first connection is a plain GET, which starts the download of the
     * whole file and which aria2c leaves once it has its segment; its seven ranged requests join that download
     * (their ranges, far ahead, fetched from the origin on their own), so it must run to its end for the cache as a
     * ranged miss's download does.
     */
    @Test
    public void aria2cIsServedFromTheCacheWarmAndWithTheOriginStopped() throws Exception {
        final Path aria2c = DebianPackages.require("aria2c", "aria2");
        final byte[] body = TestData.generate(ARIA2_SIZE, 35);
        final String path = "/files/aria2-cached.img";
        final ServedFile served = serve(path, body, ARIA2_PACE);

        aria2c(aria2c, "aria2-cold", path, body, true);
        awaitNoDownloadInFlight();
        final int seen = origin.requestCount(path);
        aria2c(aria2c, "aria2-warm", path, body, true);
        assertEquals("warm: the origin saw nothing more " + served.answers(), seen, origin.requestCount(path));
        origin.close();
        aria2c(aria2c, "aria2-origin-stopped", path, body, true);
        assertCameThroughTheProxy(path);
    }

    /** Runs aria2c with eight connections into a new folder, checks the file, returns the time it took. */
    private long aria2c(final Path aria2c, final String name, final String path, final byte[] body,
            final boolean throughProxy) throws Exception {
        final Path dir = tmp.newFolder(name).toPath();
        final List<String> command = new ArrayList<>(List.of(aria2c.toString(), "-x8", "-s8", "--min-split-size=1M",
                "--max-tries=1", "--file-allocation=none", "--console-log-level=warn", "--summary-interval=0",
                "--dir", dir.toString(), "--out", "file.img"));
        if (throughProxy) {
            command.add("--all-proxy=http://127.0.0.1:" + proxyPort);
        }
        command.add(origin.url(path));
        final long start = System.nanoTime();
        final Run r = run(dir, Map.of(), command.toArray(new String[0]));
        final long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(name + ": " + r, 0, r.exit());
        assertEquals(name + ": the whole file, exact", TestData.sha256(body), TestData.sha256(dir.resolve("file.img")));
        return millis;
    }

    // ---------------------------------------------------------------- the origin, the proxy, the clients

    private ServedFile serve(final String path, final byte[] body) {
        return serve(path, body, 0);
    }

    private ServedFile serve(final String path, final byte[] body, final long bytesPerSecond) {
        final ServedFile served = new ServedFile(body, MODIFIED, bytesPerSecond);
        origin.answer(path, served);
        return served;
    }

    /** Every request of these targets reached the origin through the proxy, which marks each with its Via. */
    private void assertCameThroughTheProxy(final String targetPrefix) {
        final List<RecordedRequest> seen = origin.requests().stream()
                .filter(r -> r.target().startsWith(targetPrefix)).toList();
        assertTrue("the origin saw requests for " + targetPrefix, !seen.isEmpty());
        for (final RecordedRequest r : seen) {
            final String via = r.header("Via");
            assertTrue(r + " came through the proxy: Via " + via, via != null && via.contains(" ota-proxy-"));
        }
    }

    /**
     * A file as a static web server serves it: {@code ETag} and {@code Last-Modified} on every answer, {@code 304}
     * when {@code If-None-Match} (else {@code If-Modified-Since}) matches, {@code 206} for one satisfiable
     * {@code Range} unless an {@code If-Range} names another version, {@code 416} for an unsatisfiable one. Records
     * what it answered.
     */
    private static final class ServedFile implements Function<RecordedRequest, Behaviour> {

        final byte[] body;
        private final Instant modified;
        private final String etag;
        private final String lastModified;
        private final long bytesPerSecond;
        private final List<String> answers = Collections.synchronizedList(new ArrayList<>());

        ServedFile(final byte[] body, final Instant modified, final long bytesPerSecond) {
            this.body = body;
            this.modified = modified;
            this.etag = "\"" + TestData.sha256(body).substring(0, 16) + "\"";
            this.lastModified = HTTP_DATE.format(modified);
            this.bytesPerSecond = bytesPerSecond;
        }

        /** What it answered, in order: {@code 200}, {@code 304}, {@code 206 bytes a-b/n}, {@code 416}. */
        List<String> answers() {
            synchronized (answers) {
                return List.copyOf(answers);
            }
        }

        @Override
        public Behaviour apply(final RecordedRequest request) {
            if (notModified(request)) {
                answers.add("304");
                return Behaviour.status(304).header("ETag", etag).header("Last-Modified", lastModified);
            }
            final String range = request.header("Range");
            final long[] span = range == null || !"GET".equals(request.method()) || !ifRangeHolds(request)
                    ? null : span(range, body.length);
            Behaviour answer;
            if (span == null) {
                answers.add("200");
                answer = Behaviour.ok(body);
            } else if (span.length == 0) {
                answers.add("416");
                return Behaviour.status(416).header("Content-Range", "bytes */" + body.length);
            } else {
                final String contentRange = "bytes " + span[0] + "-" + span[1] + "/" + body.length;
                answers.add("206 " + contentRange);
                answer = Behaviour.status(206, Arrays.copyOfRange(body, (int) span[0], (int) span[1] + 1))
                        .header("Content-Range", contentRange);
            }
            answer = answer.header("ETag", etag).header("Last-Modified", lastModified).header("Accept-Ranges", "bytes")
                    .header("Content-Type", "application/octet-stream");
            return bytesPerSecond > 0 ? answer.rateLimited(bytesPerSecond) : answer;
        }

        private boolean notModified(final RecordedRequest request) {
            final String noneMatch = request.header("If-None-Match");
            if (noneMatch != null) {
                for (final String tag : noneMatch.split(",")) {
                    final String t = tag.trim();
                    if (t.equals("*") || weak(t).equals(weak(etag))) {
                        return true;
                    }
                }
                return false;
            }
            final String since = request.header("If-Modified-Since");
            if (since == null) {
                return false;
            }
            try {
                return !modified.isAfter(ZonedDateTime.parse(since, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (final DateTimeParseException e) {
                return false;
            }
        }

        private static String weak(final String tag) {
            return tag.startsWith("W/") ? tag.substring(2) : tag;
        }

        /** An If-Range lets the Range apply only when it names this version by its strong ETag or exact date. */
        private boolean ifRangeHolds(final RecordedRequest request) {
            final String ifRange = request.header("If-Range");
            return ifRange == null || ifRange.equals(etag) || ifRange.equals(lastModified);
        }

        /** {first, last} of one byte range; an empty array when unsatisfiable; null when to be ignored. */
        private static long[] span(final String range, final long length) {
            if (!range.startsWith("bytes=") || range.contains(",")) {
                return null;
            }
            final String spec = range.substring("bytes=".length()).trim();
            final int dash = spec.indexOf('-');
            if (dash < 0) {
                return null;
            }
            try {
                final String from = spec.substring(0, dash).trim();
                final String to = spec.substring(dash + 1).trim();
                if (from.isEmpty()) {
                    final long suffix = Long.parseLong(to);
                    return suffix == 0 ? new long[0] : new long[] {Math.max(0, length - suffix), length - 1};
                }
                final long first = Long.parseLong(from);
                if (first >= length) {
                    return new long[0];
                }
                final long last = to.isEmpty() ? length - 1 : Math.min(Long.parseLong(to), length - 1);
                return last < first ? null : new long[] {first, last};
            } catch (final NumberFormatException e) {
                return null;
            }
        }
    }

    /**
     * Waits until the proxy has no download into the cache running, so a warm pass reads a complete entry (a ranged
     * client's download runs on for the cache after the client has its bytes).
     */
    private void awaitNoDownloadInFlight() throws Exception {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        while (System.nanoTime() < deadline) {
            final RawHttpClient.Response r = RawHttpClient.exchange(adminPort, "GET", "/metrics", true);
            last = r.bodyText();
            final Matcher m = FILLS_IN_FLIGHT.matcher(last);
            if (r.status == 200 && m.find() && Double.parseDouble(m.group(1)) == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("downloads still in flight after 60 s: " + last);
    }

    /** What a client printed (stdout and stderr together) and how it exited. */
    private record Run(String command, int exit, String output) {
        List<String> lines() {
            return output.lines().toList();
        }

        @Override
        public String toString() {
            return "\n$ " + command + "\n" + output + "(exit " + exit + ")";
        }
    }

    /**
     * Runs a client in {@code dir} with the C locale and no proxy from the environment (each client is pointed at
     * the proxy by its own options), input from /dev/null, and waits for it.
     */
    private Run run(final Path dir, final Map<String, String> env, final String... command) throws Exception {
        final Path output = Files.createTempFile(tmp.getRoot().toPath(), "client-", ".log");
        final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().keySet().removeIf(k -> k.toLowerCase(Locale.ROOT).endsWith("_proxy"));
        builder.environment().put("LC_ALL", "C");
        builder.environment().put("HOME", tmp.getRoot().toString());
        builder.environment().putAll(env);
        final Process p = builder.start();
        if (!p.waitFor(CLIENT_TIMEOUT_S, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError(String.join(" ", command) + ": no end within " + CLIENT_TIMEOUT_S + " s:\n"
                    + Files.readString(output, StandardCharsets.UTF_8));
        }
        return new Run(String.join(" ", command), p.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }
}
