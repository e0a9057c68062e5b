package io.otaproxy.config.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads proxy_info.yml, hands it to a {@link Sink}, and keeps polling the file: each valid edit is handed on, a
 * refused edit is logged once and the last good settings stay.
 */
final class ProxyInfoWatcher {

    /** Receives each new set of settings; the publisher into ConfigAdmin in production. */
    interface Sink {
        void publish(ProxyInfo info) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(ProxyInfoWatcher.class);

    // proxy_info.yml is a few hundred bytes; anything this large is not it, and is not read into memory.
    private static final long MAX_FILE_BYTES = 1 << 20;
    private static final long STOP_WAIT_MS = 5_000;

    private final Path file;
    private final ProxyInfoParser parser;
    private final Sink sink;
    private final long pollMs;
    private Map<String, String> overrides;
    private ScheduledExecutorService executor;

    // Touched by start() and then only by the single poll thread; synchronized for the hand-over and for tests.
    private byte[] judgedContent;
    private byte[] candidateContent;
    private String lastReadProblem;
    private ProxyInfo lastGood;
    private ProxyInfo published;
    private boolean publishFailing;
    // set when ConfigAdmin lost some of what was published: the same settings are published again
    private boolean stale;
    private int refusals;

    /**
     * @param file      proxy_info.yml, or null to run on the embedded defaults and overrides alone
     * @param overrides override strings keyed by YAML key
     * @param pollMs    how often to look at the file
     */
    ProxyInfoWatcher(final Path file, final ProxyInfoParser parser, final Map<String, String> overrides,
            final Sink sink, final long pollMs) {
        this.file = file;
        this.parser = parser;
        this.overrides = Map.copyOf(overrides);
        this.sink = sink;
        this.pollMs = pollMs;
    }

    /**
     * Loads and publishes the settings before returning, so that nothing listens before it is configured, then
     * starts polling.
     */
    synchronized void start() {
        overrides = checkedOverrides();
        lastGood = loadAtStart();
        publishIfChanged();
        executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            final Thread thread = new Thread(runnable, "otaproxy-config-watcher");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::pollSafely, pollMs, pollMs, TimeUnit.MILLISECONDS);
    }

    /** Stops polling; the published configurations stay, so the other bundles keep running as they are. */
    void stop() {
        final ScheduledExecutorService running;
        synchronized (this) {
            running = executor;
            executor = null;
        }
        if (running == null) {
            return;
        }
        running.shutdown();
        try {
            // let a poll in progress finish its ConfigAdmin update rather than interrupt it half-way
            if (!running.awaitTermination(STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
                running.shutdownNow();
            }
        } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Publishes the current settings again after {@code delayMillis}, on the poll thread, because a configuration
     * they were written into was changed or deleted by someone else. Does nothing before {@link #start()} or after
     * {@link #stop()}.
     */
    synchronized void republish(final long delayMillis) {
        if (executor != null) {
            executor.schedule(this::republishNow, delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    /** The settings last published successfully, or null before the first success. */
    synchronized ProxyInfo published() {
        return published;
    }

    /** How many versions of the file were refused; lets tests wait for a refusal instead of sleeping. */
    synchronized int refusals() {
        return refusals;
    }

    /** One look at the file: a new version is judged once it reads the same on two polls in a row. */
    synchronized void poll() {
        if (file != null) {
            try {
                final byte[] content = read();
                lastReadProblem = null;
                if (Arrays.equals(content, judgedContent)) {
                    candidateContent = null;
                } else if (!Arrays.equals(content, candidateContent)) {
                    // an editor may be half-way through writing (a truncated file is valid YAML): wait one poll
                    candidateContent = content;
                } else {
                    candidateContent = null;
                    judgedContent = content;
                    judge(content);
                }
            } catch (NoSuchFileException e) {
                readProblem(file + " is missing");
            } catch (IOException e) {
                readProblem("Cannot read " + file + ": " + e);
            }
        }
        publishIfChanged();
    }

    private void pollSafely() {
        try {
            poll();
        } catch (RuntimeException e) {
            // an escaped exception would cancel the schedule and silently end the watching
            LOG.error("Unexpected failure while watching {}", file, e);
        }
    }

    // marked stale only now, so that a poll in between does not publish before the delay is over
    private synchronized void republishNow() {
        stale = true;
        try {
            publishIfChanged();
        } catch (RuntimeException e) {
            LOG.error("Unexpected failure while publishing the settings of {} again", file, e);
        }
    }

    private Map<String, String> checkedOverrides() {
        try {
            parser.parse("", overrides);
            return overrides;
        } catch (InvalidProxyInfoException e) {
            LOG.error("Refusing the command-line overrides: {}; ignoring all overrides", e.getMessage());
            return Map.of();
        }
    }

    private ProxyInfo loadAtStart() {
        if (file == null) {
            LOG.info("No {} framework property: running on the embedded defaults and overrides",
                    ConfigKeys.FRAMEWORK_CONFIG_FILE);
            return defaultsWithOverrides();
        }
        try {
            final byte[] content = read();
            judgedContent = content;
            return parse(content);
        } catch (NoSuchFileException e) {
            lastReadProblem = file + " is missing";
            LOG.warn("{} does not exist: using the embedded defaults and overrides until it appears", file);
        } catch (IOException e) {
            lastReadProblem = "Cannot read " + file + ": " + e;
            LOG.error("Cannot read {}: {}; using the embedded defaults and overrides", file, e.toString());
        } catch (InvalidProxyInfoException e) {
            refusals++;
            LOG.error("Refusing {}: {}; using the embedded defaults and overrides instead", file, e.getMessage());
        }
        return defaultsWithOverrides();
    }

    private void judge(final byte[] content) {
        try {
            final ProxyInfo info = parse(content);
            if (!info.equals(lastGood)) {
                LOG.info("Loaded a new version of {}", file);
            }
            lastGood = info;
        } catch (InvalidProxyInfoException e) {
            refusals++;
            LOG.warn("Refusing {}: {}; keeping the last good configuration", file, e.getMessage());
        }
    }

    private void readProblem(final String problem) {
        candidateContent = null;
        // forget the content so that the file, once back, is judged again even if it is unchanged
        judgedContent = null;
        if (!problem.equals(lastReadProblem)) {
            LOG.warn("{}; keeping the last good configuration", problem);
            lastReadProblem = problem;
        }
    }

    private void publishIfChanged() {
        if (!stale && lastGood.equals(published)) {
            return;
        }
        try {
            sink.publish(lastGood);
            published = lastGood;
            stale = false;
            publishFailing = false;
        } catch (IOException | RuntimeException e) {
            // retried on every poll; logged once so that a broken ConfigAdmin does not flood the log
            if (!publishFailing) {
                LOG.error("Cannot publish the proxy_info settings to ConfigAdmin; retrying every {} ms", pollMs, e);
                publishFailing = true;
            }
        }
    }

    private ProxyInfo parse(final byte[] content) throws InvalidProxyInfoException {
        final String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(content)).toString();
        } catch (CharacterCodingException e) {
            throw new InvalidProxyInfoException("not valid UTF-8 text");
        }
        return parser.parse(text, overrides);
    }

    private ProxyInfo defaultsWithOverrides() {
        try {
            return parser.parse("", overrides);
        } catch (InvalidProxyInfoException e) {
            // checkedOverrides() already dropped overrides that fail on their own
            return parser.defaults();
        }
    }

    private byte[] read() throws IOException {
        if (Files.size(file) > MAX_FILE_BYTES) {
            throw new IOException("larger than " + MAX_FILE_BYTES + " bytes");
        }
        return Files.readAllBytes(file);
    }
}
