package io.otaproxy.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import io.otaproxy.testing.Behaviour;
import io.otaproxy.testing.RawHttpClient;
import io.otaproxy.testing.TestData;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;

/**
 * Upstream faults against the caching proxy with several clients on one file at once: a reset, a stall beyond
 * the read timeout, a truncation, lying Content-Lengths, an empty body, bursts of 5xx. In every round no client
 * may get a body that looks complete but is not the file, and nothing the fault produced may be committed: once
 * upstream is healthy again, the next request goes upstream and gets the right bytes.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class UpstreamFaultIT extends ProxyTestSupport {

    private static final long SIZE = 600_000;
    private static final long FAULT_AT = 250_000;
    /** Slow enough that every client joins the download before the fault. */
    private static final long RATE = 2L * 1024 * 1024;

    /** Answers to one round: right, failed loudly, or complete-looking and wrong. */
    private static final class Count {
        int requests;
        int loud;
        int right;
        final List<String> wrong = new ArrayList<>();
    }

    private void rounds(final String fault, final boolean withSha, final IntFunction<Behaviour> faulty)
            throws Exception {
        rounds(fault, withSha, faulty, true);
    }

    /**
     * Each round: the fault on a fresh path, all clients at once, then upstream healthy and one more request.
     *
     * @param everyClientFails whether the fault leaves no way to deliver the file (else some may get it right)
     */
    private void rounds(final String fault, final boolean withSha, final IntFunction<Behaviour> faulty,
            final boolean everyClientFails) throws Exception {
        final int rounds = Reliability.rounds();
        final int clients = Reliability.clients();
        final Count total = new Count();
        for (int round = 0; round < rounds; round++) {
            final String path = "/" + fault.replace(' ', '-') + "/" + round + ".bin";
            final long seed = seedOf(fault, round);
            final String sha = TestData.sha256(SIZE, seed);
            final String[] headers = withSha ? new String[] {"OTA-File-Cache-Control: file_sha256=" + sha}
                    : new String[0];
            origin.put(path, faulty.apply(round));
            final Count count = burst(path, seed, headers, clients);
            total.requests += count.requests;
            total.loud += count.loud;
            total.right += count.right;
            total.wrong.addAll(count.wrong);
            assertEquals(fault + ", round " + round + ": complete-looking wrong bodies", List.of(), count.wrong);
            if (everyClientFails) {
                assertEquals(fault + ", round " + round + ": every client fails", clients, count.loud);
            }

            // upstream is healthy again: the file is fetched anew (nothing was committed) and arrives whole
            final int before = origin.requestCount(path);
            origin.put(path, Behaviour.generated(SIZE, seed));
            final RawHttpClient.Response again = RawHttpClient.exchange(proxyPort(), "GET", origin.url(path), false,
                    headers);
            assertTrue(fault + ", round " + round + ": " + again.status + " " + again.complete,
                    again.status == 200 && again.complete);
            assertEquals(fault + ", round " + round, sha, again.sha256);
            if (everyClientFails) {
                assertEquals(fault + ", round " + round + ": the fault left no entry", before + 1,
                        origin.requestCount(path));
            }
        }
        Reliability.report("upstream fault '" + fault + "'", rounds + " rounds x " + clients + " clients: "
                + total.requests + " requests, " + total.loud + " failed loudly, " + total.right + " right, "
                + total.wrong.size() + " short or wrong bodies delivered as complete, 0 bad entries committed");
    }

    /** All clients ask for the path at once; each answer is classed. */
    private Count burst(final String path, final long seed, final String[] headers, final int clients)
            throws Exception {
        final String sha = TestData.sha256(SIZE, seed);
        final CountDownLatch go = new CountDownLatch(1);
        final List<CompletableFuture<RawHttpClient.Response>> answers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            answers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return RawHttpClient.exchange(proxyPort(), "GET", origin.url(path), false, headers);
                } catch (final IOException e) {
                    return null; // a broken connection is a loud failure
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }));
        }
        go.countDown();
        final Count count = new Count();
        for (final CompletableFuture<RawHttpClient.Response> a : answers) {
            final RawHttpClient.Response r = a.get(60, TimeUnit.SECONDS);
            count.requests++;
            if (r == null || r.status != 200 || !r.complete) {
                count.loud++;
            } else if (r.bodyLength == SIZE && r.sha256.equals(sha)) {
                count.right++;
            } else {
                count.wrong.add(path + ": 200 complete with " + r.bodyLength + " bytes, sha256 " + r.sha256);
            }
        }
        return count;
    }

    private static Behaviour paced(final long seed) {
        return Behaviour.generated(SIZE, seed).rateLimited(RATE);
    }

    private static long seedOf(final String fault, final int round) {
        return fault.hashCode() * 31L + round;
    }

    @Test
    public void aResetMidBodyIsNeverDeliveredCompleteNorCached() throws Exception {
        rounds("reset", false, r -> paced(seedOf("reset", r)).resetAfter(FAULT_AT));
        rounds("reset with sha", true, r -> paced(seedOf("reset with sha", r)).resetAfter(FAULT_AT));
    }

    @Test
    public void aStallBeyondTheReadTimeoutIsNeverDeliveredCompleteNorCached() throws Exception {
        rounds("stall", false, r -> paced(seedOf("stall", r)).stallAfter(FAULT_AT));
    }

    @Test
    public void aTruncationIsNeverDeliveredCompleteNorCached() throws Exception {
        rounds("truncation", false, r -> paced(seedOf("truncation", r)).truncatedAfter(FAULT_AT));
        rounds("chunked truncation", true,
                r -> paced(seedOf("chunked truncation", r)).chunkedTruncatedAfter(FAULT_AT));
    }

    @Test
    public void aContentLengthLargerThanTheBodyIsNeverDeliveredCompleteNorCached() throws Exception {
        // the connection closes after the body: a truncation
        rounds("length too large then close", false, r -> paced(seedOf("length too large then close", r))
                .header("Content-Length", Long.toString(SIZE + 1000)).closeAfterResponse());
        // the connection stays open after the body: a stall
        rounds("length too large then silence", false, r -> paced(seedOf("length too large then silence", r))
                .header("Content-Length", Long.toString(SIZE + 1000)));
    }

    @Test
    public void aContentLengthSmallerThanTheBodyFailsTheShaAndLeavesNoPoisonedConnection() throws Exception {
        // what the length promises is a prefix of the file: only the client's sha256 can tell, and it must
        rounds("length too small", true, r -> paced(seedOf("length too small", r))
                .header("Content-Length", Long.toString(SIZE - 1000)));
        // the bytes upstream sent past its Content-Length never become the start of another answer
        origin.put("/after-the-liar", TestData.generate(1000, 5));
        for (int i = 0; i < 5; i++) {
            final RawHttpClient.Response r = RawHttpClient.get(proxyPort(), origin.url("/after-the-liar"),
                    "OTA-File-Cache-Control: no_cache");
            assertEquals(200, r.status);
            assertTrue(r.complete);
            assertEquals(TestData.sha256(1000, 5), r.sha256);
        }
    }

    @Test
    public void anEmptyBodyThatIsNotTheNamedFileIsNeverDeliveredComplete() throws Exception {
        rounds("empty body for a named file", true, r -> Behaviour.ok(new byte[0]));
    }

    @Test
    public void anEmptyFileIsCachedLikeAnyOther() throws Exception {
        final String empty = TestData.sha256(new byte[0]);
        origin.put("/empty/plain", new byte[0]);
        origin.put("/empty/named", new byte[0]);
        for (int i = 0; i < 3; i++) {
            final RawHttpClient.Response plain = RawHttpClient.get(proxyPort(), origin.url("/empty/plain"));
            assertEquals(200, plain.status);
            assertTrue(plain.complete);
            assertEquals(0, plain.bodyLength);
            final RawHttpClient.Response named = RawHttpClient.get(proxyPort(), origin.url("/empty/named"),
                    "OTA-File-Cache-Control: file_sha256=" + empty);
            assertEquals(200, named.status);
            assertTrue(named.complete);
        }
        assertEquals("an empty file is stored on its first download", 1, origin.requestCount("/empty/plain"));
        assertEquals("an empty named file too", 1, origin.requestCount("/empty/named"));
    }

    @Test
    public void burstsOf5xxAreRelayedAndNeverCached() throws Exception {
        for (final int status : new int[] {500, 502, 503, 504}) {
            // a 5xx body exactly as long as the file, so only the status tells it apart
            rounds("burst of " + status, false,
                    r -> Behaviour.status(status, TestData.generate(SIZE, seedOf("burst of " + status, r) + 1)));
        }
    }

    @Test
    public void aConnectionClosedBeforeAnyResponseIs502() throws Exception {
        rounds("closed before the response", true, r -> Behaviour.raw(new byte[0]));
        rounds("garbage instead of a response", false, r -> Behaviour.raw("NOT HTTP AT ALL\r\n\r\n"));
    }
}
