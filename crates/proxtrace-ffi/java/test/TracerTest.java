import java.nio.file.Files;
import java.nio.file.Path;

import org.proxtrace.Tracer;

/** Two phones through the JNI facade, on the host JVM: the same code an Android app loads. */
public final class TracerTest {
    static final long START = 20759L * 86400 + 9 * 3600;
    static int failures = 0;

    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("FAIL: " + what);
            failures++;
        }
    }

    /** A raw legacy advertisement as an Android ScanRecord would give it. */
    static byte[] bluezoneAd(byte[] id) {
        byte[] ad = new byte[3 + 4 + 4 + id.length];
        int k = 0;
        ad[k++] = 2; ad[k++] = 0x01; ad[k++] = 0x1a;
        ad[k++] = 3; ad[k++] = 0x03; ad[k++] = 0x56; ad[k++] = 0x4e;
        ad[k++] = (byte) (3 + id.length); ad[k++] = (byte) 0xff; ad[k++] = (byte) 0xb5; ad[k++] = 0x22;
        System.arraycopy(id, 0, ad, k, id.length);
        return ad;
    }

    @SuppressWarnings("try")
    public static void main(String[] args) throws Exception {
        String config = "{\"schemes\":{\"gaen\":false,\"bluezone\":true}}";
        Path a = Files.createTempDirectory("pt-java-a"), b = Files.createTempDirectory("pt-java-b"),
             c = Files.createTempDirectory("pt-java-c");
        try (Tracer alice = new Tracer(a.toString(), config);
             Tracer bob = new Tracer(b.toString(), config);
             Tracer carol = new Tracer(c.toString(), config)) {
            for (long s = 0; s < 40 * 60; s += 60) {
                long now = START + s;
                alice.handleTimeout(now);
                bob.handleTimeout(now);
                carol.handleTimeout(now);
                Tracer.Advertisement adv = alice.advertisement(now);
                check(adv.bluezoneManufacturerData != null && adv.bluezoneManufacturerData.length == 12, "bluezone payload");
                check(adv.gaenServiceData == null, "no GAEN payload");
                check(adv.nextChange > now, "next change");
                for (int p = 0; p < 3; p++) bob.handleAdvertisement(bluezoneAd(adv.bluezoneManufacturerData), -58, now + p);
            }
            long end = START + 3 * 3600;
            check(bob.handleTimeout(end) >= end, "handleTimeout returns the next deadline");
            String keys = alice.diagnosisKeys(START - 9 * 3600, end);
            int f0 = keys.indexOf("\"f0\":");
            check(f0 > 0, "f0 in " + keys);
            String payload = keys.substring(f0 + 5, keys.length() - 1);
            String r = bob.matchF0(payload, null);
            check(r.contains("\"exposed\":true"), "bob exposed: " + r);
            r = carol.matchF0(payload, null);
            check(r.contains("\"exposed\":false"), "carol not exposed: " + r);
            try {
                bob.matchExport(new byte[] {'P', 'K', 3, 4, 0}, "{\"allow_unsigned\":true}");
                check(false, "bad zip accepted");
            } catch (RuntimeException e) {
                check(e.getMessage().contains("PT_BAD_EXPORT"), "bad zip: " + e.getMessage());
            }
            // A foreign beacon is ordinary radio traffic: no exception.
            bob.handleAdvertisement(new byte[] {2, 1, 6}, -50, end);
            try {
                new Tracer(a.toString(), "{\"no_such_field\":1}");
                check(false, "bad config accepted");
            } catch (RuntimeException e) {
                check(e.getMessage().contains("PT_BAD_CONFIG"), "bad config: " + e.getMessage());
            }
            carol.close();
            try {
                carol.handleTimeout(end);
                check(false, "closed tracer used");
            } catch (IllegalStateException e) {
                check(true, "closed");
            }
        }
        if (failures > 0) {
            System.err.println(failures + " check(s) failed");
            System.exit(1);
        }
        System.out.println("java jni: all checks passed");
    }
}
