package io.otaproxy.runtime;

import java.io.IOException;

import io.otaproxy.testing.RawHttpClient;

/**
 * A client that behaves like otaclient's downloader: it names the expected sha256, checks what it gets, and on a
 * failure or mismatch retries with {@code retry_caching}, up to six attempts per file.
 */
final class OtaClient {

    static final int ATTEMPTS = 6;

    /** Totals of one pass. */
    record Result(int files, int retries, int failures, long bytes) {
    }

    private OtaClient() {
    }

    static Result download(final int proxyPort, final String originBase, final OtaDataSet data) {
        int retries = 0;
        int failures = 0;
        long bytes = 0;
        for (final OtaDataSet.File f : data.files()) {
            boolean ok = false;
            boolean retryCaching = false;
            for (int attempt = 0; attempt < ATTEMPTS && !ok; attempt++) {
                if (attempt > 0) {
                    retries++;
                }
                final String directives = "OTA-File-Cache-Control: file_sha256=" + f.sha256()
                        + (retryCaching ? ",retry_caching" : "");
                try {
                    final RawHttpClient.Response r = RawHttpClient.exchange(proxyPort, "GET",
                            originBase + OtaDataSet.wirePath(f), false, directives);
                    ok = r.status == 200 && r.complete && r.bodyLength == f.size() && r.sha256.equals(f.sha256());
                    if (ok) {
                        bytes += r.bodyLength;
                    }
                } catch (final IOException e) {
                    ok = false;
                }
                retryCaching = !ok;
            }
            if (!ok) {
                failures++;
            }
        }
        return new Result(data.files().size(), retries, failures, bytes);
    }
}
