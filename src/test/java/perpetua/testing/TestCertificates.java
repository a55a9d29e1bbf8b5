package perpetua.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A certificate authority made in a test, and the certificates it signs for a broker on 127.0.0.1
 * and for clients, as PEM text that Kafka reads ({@code ssl.keystore.type=PEM}).
 */
public final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    /** A key and its certificate chain, as PEM. */
    public record Identity(String privateKeyPem, String certificateChainPem) {
        /** The key followed by the chain: a PEM key store file. */
        public String keyStorePem() {
            return privateKeyPem + certificateChainPem;
        }
    }

    private final KeyPair caKeys;
    private final X509Certificate ca;

    private TestCertificates(KeyPair caKeys, X509Certificate ca) {
        this.caKeys = caKeys;
        this.ca = ca;
    }

    /** A fresh authority, valid for a day. */
    public static TestCertificates authority(String name) throws Exception {
        KeyPair keys = keyPair();
        X500Name subject = new X500Name("CN=" + name);
        JcaX509v3CertificateBuilder b =
                new JcaX509v3CertificateBuilder(
                        subject,
                        BigInteger.valueOf(SERIAL.incrementAndGet()),
                        Date.from(Instant.now().minus(Duration.ofMinutes(5))),
                        Date.from(Instant.now().plus(Duration.ofDays(1))),
                        subject,
                        keys.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(
                Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        return new TestCertificates(keys, sign(b, keys));
    }

    /** The authority's certificate: what a trust store holds. */
    public String caPem() throws IOException {
        return pem(ca);
    }

    /** A certificate for {@code name}, valid for 127.0.0.1 and localhost, signed by this CA. */
    public Identity issue(String name) throws Exception {
        KeyPair keys = keyPair();
        JcaX509v3CertificateBuilder b =
                new JcaX509v3CertificateBuilder(
                        ca,
                        BigInteger.valueOf(SERIAL.incrementAndGet()),
                        Date.from(Instant.now().minus(Duration.ofMinutes(5))),
                        Date.from(Instant.now().plus(Duration.ofDays(1))),
                        new X500Name("CN=" + name),
                        keys.getPublic());
        b.addExtension(
                Extension.subjectAlternativeName,
                false,
                new GeneralNames(
                        new GeneralName[] {
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                            new GeneralName(GeneralName.dNSName, "localhost")
                        }));
        X509Certificate cert = sign(b, caKeys);
        StringWriter key = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(key)) {
            w.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
        }
        return new Identity(key.toString(), pem(cert) + pem(ca));
    }

    private static KeyPair keyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static X509Certificate sign(JcaX509v3CertificateBuilder b, KeyPair signer)
            throws Exception {
        return new JcaX509CertificateConverter()
                .getCertificate(
                        b.build(
                                new JcaContentSignerBuilder("SHA256withECDSA")
                                        .build(signer.getPrivate())));
    }

    private static String pem(Object o) throws IOException {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
            w.writeObject(o);
        }
        return s.toString();
    }
}
