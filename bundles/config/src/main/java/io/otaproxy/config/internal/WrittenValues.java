package io.otaproxy.config.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the file bridge last wrote into each configuration property. A property that still holds that value is the
 * file's to change; one that holds anything else was set by someone else (a console, {@code config:edit}, a
 * {@code .cfg} file) and is left alone. Kept in the bundle's data area, so a restart of the framework on the same
 * storage or an update of this bundle still knows which values are the file's.
 *
 * <p>Values are kept as a typed rendering, never read back as values: a property written as the integer 8082 and
 * later replaced by the string "8082" counts as changed elsewhere, as it was.
 */
final class WrittenValues {

    private static final Logger LOG = LoggerFactory.getLogger(WrittenValues.class);

    private final Path file;
    private final Properties values = new Properties();
    private boolean dirty;

    private WrittenValues(final Path file) {
        this.file = file;
    }

    /** Kept in memory only: for tests, and for a framework that gives the bundle no data area. */
    static WrittenValues inMemory() {
        return new WrittenValues(null);
    }

    /** Loads the record from {@code file}; a missing or unreadable one is an empty record (nothing is the file's). */
    static WrittenValues load(final Path file) {
        final WrittenValues record = new WrittenValues(file);
        try (InputStream in = Files.newInputStream(file)) {
            record.values.load(in);
        } catch (NoSuchFileException e) {
            // first start on this storage
        } catch (IOException | IllegalArgumentException e) {
            // then every existing value counts as set elsewhere, unless it equals what the file says: safe side
            LOG.warn("Cannot read {} ({}); values in ConfigAdmin that differ from proxy_info.yml are kept", file,
                    e.toString());
            record.values.clear();
        }
        return record;
    }

    /** Whether {@code current}, the property's value in ConfigAdmin, is what the bridge wrote there last. */
    boolean isWritten(final String pid, final String key, final Object current) {
        return render(current).equals(values.getProperty(name(pid, key)));
    }

    void written(final String pid, final String key, final Object value) {
        final String rendered = render(value);
        if (!rendered.equals(values.setProperty(name(pid, key), rendered))) {
            dirty = true;
        }
    }

    /** Forgets every property of a configuration that was deleted. */
    void deleted(final String pid) {
        final String prefix = pid + " ";
        if (values.keySet().removeIf(k -> ((String) k).startsWith(prefix))) {
            dirty = true;
        }
    }

    /** Writes the record if it changed, atomically: a power cut leaves the old record or the new one. */
    void save() throws IOException {
        if (!dirty || file == null) {
            dirty = false;
            return;
        }
        Files.createDirectories(file.getParent());
        final Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            values.store(out, "what proxy_info.yml last wrote into ConfigAdmin");
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        dirty = false;
    }

    private static String name(final String pid, final String key) {
        return pid + " " + key;
    }

    /** A rendering that tells types apart and is unambiguous for arrays. */
    static String render(final Object value) {
        if (value == null) {
            return "-";
        }
        if (value instanceof Object[] array) {
            final StringBuilder b = new StringBuilder(array.getClass().getComponentType().getSimpleName())
                    .append("[]").append(array.length);
            for (final Object item : array) {
                final String r = render(item);
                b.append(':').append(r.length()).append(':').append(r);
            }
            return b.toString();
        }
        return value.getClass().getSimpleName() + ":" + value;
    }
}
