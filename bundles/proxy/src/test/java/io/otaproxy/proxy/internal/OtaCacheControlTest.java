package io.otaproxy.proxy.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;

import org.junit.Test;

public class OtaCacheControlTest {

    private static final String SHA = "0123456789abcdef".repeat(4);

    @Test
    public void noHeaderMeansNoDirectives() throws Exception {
        final OtaCacheControl c = OtaCacheControl.parse(List.of());
        assertFalse(c.noCache());
        assertFalse(c.retryCaching());
        assertNull(c.fileSha256());
        assertFalse(OtaCacheControl.parse(List.of("  ,, ")).noCache());
    }

    @Test
    public void readsEveryDirectiveWithSpacesAndAnyCase() throws Exception {
        final OtaCacheControl c = OtaCacheControl.parse(
                List.of(" NO_CACHE , retry_caching,file_sha256=" + SHA.toUpperCase() + " , file_compression_alg=zst"));
        assertTrue(c.noCache());
        assertTrue(c.retryCaching());
        assertEquals("sha is normalised to lower case", SHA, c.fileSha256());
        assertEquals("zst", c.compressionAlg());
    }

    @Test
    public void severalHeaderLinesAreOneListAndLaterWins() throws Exception {
        final String other = "f".repeat(64);
        final OtaCacheControl c = OtaCacheControl.parse(List.of("file_sha256=" + SHA, "file_sha256=" + other));
        assertEquals(other, c.fileSha256());
    }

    @Test
    public void unknownDirectivesAreIgnored() throws Exception {
        final OtaCacheControl c = OtaCacheControl.parse(List.of("future_thing=1,another,file_sha256=" + SHA));
        assertEquals(SHA, c.fileSha256());
        assertFalse(c.noCache());
    }

    @Test
    public void compressionWithoutShaMeansNothing() throws Exception {
        assertNull(OtaCacheControl.parse(List.of("file_compression_alg=zst")).compressionAlg());
    }

    @Test
    public void aMalformedShaIsA400BecauseItWouldNameAFile() {
        for (final String bad : List.of("file_sha256", "file_sha256=", "file_sha256=abc",
                "file_sha256=../../etc/passwd", "file_sha256=" + "g".repeat(64), "file_sha256=" + SHA + "0")) {
            final BadRequestException e = assertThrows(bad, BadRequestException.class,
                    () -> OtaCacheControl.parse(List.of(bad)));
            assertEquals(400, e.status());
        }
    }

    @Test
    public void responseValueMatchesTheReference() {
        assertEquals("file_sha256=" + SHA, OtaCacheControl.responseValue(SHA, null));
        assertEquals("file_sha256=" + SHA + ",file_compression_alg=zst", OtaCacheControl.responseValue(SHA, "zst"));
        assertNull(OtaCacheControl.responseValue(null, "zst"));
    }
}
