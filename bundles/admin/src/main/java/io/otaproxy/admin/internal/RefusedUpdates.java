package io.otaproxy.admin.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Bundle updates the runnable jar refused and rolled back: it moves each refused jar to
 * {@code <data-dir>/deploy/failed} with a {@code .reason} file beside it, and names its data directory in the
 * framework property {@value #DATA_DIR}. In another OSGi runtime the property is absent and there is nothing to show.
 */
final class RefusedUpdates {

    static final String DATA_DIR = "otaproxy.data.dir";
    private static final String SUFFIX = ".reason";

    private RefusedUpdates() {
    }

    /** The refusals recorded under {@code dataDir} (null: none), as errors of the source "update". */
    static List<ReportedError> in(final String dataDir) {
        final List<ReportedError> refused = new ArrayList<>();
        if (dataDir == null || dataDir.isEmpty()) {
            return refused;
        }
        final Path failed = Path.of(dataDir, "deploy", "failed");
        if (!Files.isDirectory(failed)) {
            return refused;
        }
        try (DirectoryStream<Path> reasons = Files.newDirectoryStream(failed, "*" + SUFFIX)) {
            for (final Path reason : reasons) {
                final String jar = reason.getFileName().toString();
                refused.add(new ReportedError(Files.getLastModifiedTime(reason).toMillis(), "update",
                        "bundle update " + jar.substring(0, jar.length() - SUFFIX.length())
                                + " refused and rolled back: " + Files.readString(reason, StandardCharsets.UTF_8).strip()));
            }
        } catch (final IOException e) {
            refused.add(new ReportedError(System.currentTimeMillis(), "update",
                    "the refused bundle updates in " + failed + " cannot be read: " + e.getMessage()));
        }
        return refused;
    }
}
