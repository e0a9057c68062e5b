package io.otaproxy.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSigner;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Locale;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Who may sign a bundle update: the certificates of a PEM or DER file given with {@code --update-signers}. A jar is
 * accepted only when every entry outside {@code META-INF/} is signed (jarsigner's format) by a signer whose
 * certificate chain contains one of them, and when every entry's bytes match the signature: an unsigned jar, one
 * signed by someone else, one with an entry added or changed after signing is refused.
 */
final class UpdateSigners {

    private final List<Certificate> trusted;

    private UpdateSigners(final List<Certificate> trusted) {
        this.trusted = List.copyOf(trusted);
    }

    /** Reads the certificates (one or more, PEM or DER) of {@code file}. */
    static UpdateSigners load(final Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            final List<Certificate> certificates = new ArrayList<>(
                    CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (certificates.isEmpty()) {
                throw new IOException("no certificate in " + file);
            }
            return new UpdateSigners(certificates);
        } catch (final CertificateException e) {
            throw new IOException("cannot read the certificates in " + file + ": " + e.getMessage(), e);
        }
    }

    int size() {
        return trusted.size();
    }

    /** Null when the jar is wholly signed by a trusted signer and untouched since; else why it is refused. */
    String refusal(final Path jar) {
        try (JarFile file = new JarFile(jar.toFile(), true)) {
            final byte[] buffer = new byte[8192];
            int signedEntries = 0;
            final Enumeration<JarEntry> entries = file.entries();
            while (entries.hasMoreElements()) {
                final JarEntry entry = entries.nextElement();
                if (entry.isDirectory()) {
                    continue;
                }
                try (InputStream in = file.getInputStream(entry)) {
                    while (in.read(buffer) >= 0) {
                        // reading to the end checks the entry against its digest in the signature
                    }
                }
                if (entry.getName().toUpperCase(Locale.ROOT).startsWith("META-INF/")) {
                    continue;
                }
                final CodeSigner[] signers = entry.getCodeSigners();
                if (signers == null) {
                    return "entry " + entry.getName() + " is not signed";
                }
                if (!trustedAmong(signers)) {
                    return "entry " + entry.getName() + " is not signed by a trusted signer";
                }
                signedEntries++;
            }
            return signedEntries == 0 ? "nothing in it is signed" : null;
        } catch (final SecurityException e) {
            return "its signature does not match its content: " + e.getMessage();
        } catch (final IOException e) {
            return "it cannot be read as a signed jar: " + e.getMessage();
        }
    }

    private boolean trustedAmong(final CodeSigner[] signers) {
        for (final CodeSigner signer : signers) {
            for (final Certificate certificate : signer.getSignerCertPath().getCertificates()) {
                if (trusted.contains(certificate)) {
                    return true;
                }
            }
        }
        return false;
    }
}
