package io.otaproxy.runtime;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestOrigin;

/**
 * One round of the crash suite's cold download: several clients walk one data set through the proxy, each from
 * another starting point so that they share downloads, until the proxy is killed. Every answer is recorded and
 * classed; the check of what a crash may and may not do is left to the test.
 */
final class CrashRounds {

    /** Files above this size are paced, so the kill can land in the middle of their transfer. */
    static final long PACED_ABOVE = 256 * 1024;
    static final long PACE = 6L * 1024 * 1024;

    /** One file as the clients ask for it: files with an even index name their sha256, the others do not. */
    record Request(OtaDataSet.File file, String url, boolean withSha) {
        String[] headers() {
            return withSha ? new String[] {"OTA-File-Cache-Control: file_sha256=" + file.sha256()} : new String[0];
        }

        /** What the cache keys it by: the sha256 when the client names it, else the URL. */
        String identity() {
            return withSha ? "sha256:" + file.sha256() : "url:" + url;
        }

        boolean isRight(final RawHttpClient.Response r) {
            return r.status == 200 && r.complete && r.bodyLength == file.size() && r.sha256.equals(file.sha256());
        }
    }

    /** Totals of one round's download. */
    static final class Outcome {
        /** Complete and right answers, by request, with when (nanoTime) the last one arrived. */
        final Map<Request, Long> delivered = new ConcurrentHashMap<>();
        final List<String> wrong = Collections.synchronizedList(new ArrayList<>());
        final List<String> failedBeforeKill = Collections.synchronizedList(new ArrayList<>());
        volatile int right;
        volatile int cut;
        volatile long bytes;
        final long started = System.nanoTime();
        volatile long firstRightMillis = -1;

        synchronized void right(final Request q, final long n) {
            if (firstRightMillis < 0) {
                firstRightMillis = (System.nanoTime() - started) / 1_000_000;
            }
            delivered.put(q, System.nanoTime());
            right++;
            bytes += n;
        }

        synchronized void cut() {
            cut++;
        }
    }

    private CrashRounds() {
    }

    /** What the proxy answers to the same request now, for the message of a wrong answer. */
    private static String peek(final int port, final Request q) {
        try {
            final RawHttpClient.Response again = RawHttpClient.exchange(port, "GET", q.url(), true, q.headers());
            return ", asked again: " + again.status + " "
                    + new String(again.body, 0, Math.min(200, again.body.length), StandardCharsets.ISO_8859_1);
        } catch (final IOException e) {
            return "";
        }
    }

    /** Serves the data set, pacing the larger files, and returns the requests in data-set order. */
    static List<Request> serve(final TestOrigin origin, final OtaDataSet data) {
        data.serve(origin);
        final List<Request> requests = new ArrayList<>();
        int i = 0;
        for (final OtaDataSet.File f : data.files()) {
            if (f.seed() >= 0 && f.size() > PACED_ABOVE) {
                origin.put(OtaDataSet.wirePath(f), Behaviour.generated(f.size(), f.seed()).rateLimited(PACE));
            }
            requests.add(new Request(f, origin.url(OtaDataSet.wirePath(f)), i++ % 2 == 0));
        }
        return requests;
    }

    /**
     * Starts {@code clients} threads that download every request once, client {@code c} starting at its own
     * offset. They stop at the first failure after {@code killed} was set.
     */
    static List<Thread> download(final int port, final List<Request> requests, final int clients,
            final Outcome outcome, final AtomicBoolean killed) {
        final List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            final int offset = c * requests.size() / clients;
            final Thread t = new Thread(() -> {
                for (int i = 0; i < requests.size(); i++) {
                    final Request q = requests.get((offset + i) % requests.size());
                    RawHttpClient.Response r = null;
                    String error = null;
                    try {
                        r = RawHttpClient.exchange(port, "GET", q.url(), false, q.headers());
                    } catch (final IOException e) {
                        error = e.toString();
                    }
                    if (r != null && q.isRight(r)) {
                        outcome.right(q, r.bodyLength);
                        continue;
                    }
                    if (r != null && r.status == 200 && r.complete) {
                        outcome.wrong.add(q.url() + " (" + q.file().size() + " bytes" + (q.withSha() ? ", named" : "")
                                + (killed.get() ? ", after the kill" : "") + "): " + r.bodyLength + " bytes, sha256 "
                                + r.sha256 + ", headers " + r.headers + peek(port, q));
                    } else if (!killed.get()) {
                        outcome.failedBeforeKill.add(q.url() + ": " + (r == null ? error
                                : "status " + r.status + ", complete " + r.complete + ", " + r.bodyLength));
                    } else {
                        outcome.cut();
                    }
                    if (killed.get()) {
                        return;
                    }
                }
            }, "crash-client-" + c);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        return threads;
    }
}
