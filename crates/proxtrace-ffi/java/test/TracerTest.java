import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.UUID;

import org.proxtrace.Tracer;
import org.proxtrace.TracerException;

/**
 * Phones through the JNI facade on the host JVM — the same code an Android app loads, written
 * from Tracer.java and docs/embedding.md. Alice and bob (Android) meet for 40 minutes: bob
 * hears alice as 62-byte ScanRecord.getBytes() records, alice hears bob as decoded service
 * and manufacturer data, bob reads dave's (iOS Bluezone) identifier over GATT. Then flush,
 * alice reports, a health authority (the health_authority example, in PT_HEALTH_AUTHORITY)
 * publishes a batch of three signed files, bob matches the batch and is exposed, carol is
 * not; close flushes and a reopened tracer matches at once.
 */
public final class TracerTest {
    static final long START = 20759L * 86400 + 9 * 3600;
    static int failures = 0;

    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("FAIL: " + what);
            failures++;
        }
    }

    /** Android's ScanRecord.getBytes(): advertising data, then scan response, zero-padded to 62 bytes. */
    static byte[] scanRecord(byte[] adv, byte[] rsp) {
        byte[] out = new byte[62];
        System.arraycopy(adv, 0, out, 0, adv.length);
        System.arraycopy(rsp, 0, out, adv.length, rsp.length);
        return out;
    }

    static byte[] gaenRecord(byte[] payload) {
        byte[] adv = new byte[31];
        byte[] head = {2, 0x01, 0x1a, 3, 0x03, 0x6f, (byte) 0xfd, 23, 0x16, 0x6f, (byte) 0xfd};
        System.arraycopy(head, 0, adv, 0, head.length);
        System.arraycopy(payload, 0, adv, head.length, 20);
        return scanRecord(adv, new byte[0]);
    }

    static byte[] bluezoneRecord(byte[] id) {
        byte[] adv = new byte[23];
        byte[] head = {2, 0x01, 0x1a, 3, 0x03, 0x56, 0x4e, 15, (byte) 0xff, (byte) 0xb5, 0x22};
        System.arraycopy(head, 0, adv, 0, head.length);
        System.arraycopy(id, 0, adv, head.length, 12);
        byte[] rsp = {7, 0x09, 'G', 'a', 'l', 'a', 'x', 'y'};
        return scanRecord(adv, rsp);
    }

    /** The old facade's raw legacy advertisement (kept working). */
    static byte[] bluezoneAd(byte[] id) {
        byte[] ad = new byte[3 + 4 + 4 + id.length];
        int k = 0;
        ad[k++] = 2; ad[k++] = 0x01; ad[k++] = 0x1a;
        ad[k++] = 3; ad[k++] = 0x03; ad[k++] = 0x56; ad[k++] = 0x4e;
        ad[k++] = (byte) (3 + id.length); ad[k++] = (byte) 0xff; ad[k++] = (byte) 0xb5; ad[k++] = 0x22;
        System.arraycopy(id, 0, ad, k, id.length);
        return ad;
    }

    static boolean sawEvent(Tracer t, int kind) {
        boolean seen = false;
        for (Tracer.Event e; (e = t.pollEvent()) != null; ) seen |= e.kind == kind;
        return seen;
    }

    static int code(Runnable r) {
        try {
            r.run();
            return TracerException.PT_OK;
        } catch (TracerException e) {
            return e.code;
        }
    }

    @SuppressWarnings("try")
    public static void main(String[] args) throws Exception {
        String authority = System.getenv("PT_HEALTH_AUTHORITY");
        check(authority != null, "PT_HEALTH_AUTHORITY is not set (run java/run.sh)");
        if (authority == null) System.exit(1);
        String both = "{\"schemes\":{\"gaen\":true,\"bluezone\":true}}";
        String ios = "{\"schemes\":{\"gaen\":false,\"bluezone\":true}}";
        Path a = Files.createTempDirectory("pt-java-a"), b = Files.createTempDirectory("pt-java-b"),
             c = Files.createTempDirectory("pt-java-c"), d = Files.createTempDirectory("pt-java-d");
        long end = START + 40 * 60;
        String trust;
        byte[][] batch = new byte[3][];
        try (Tracer alice = new Tracer(a.toString(), both);
             Tracer bob = new Tracer(b.toString(), both);
             Tracer carol = new Tracer(c.toString(), both);
             Tracer dave = new Tracer(d.toString(), ios)) {
            // Matching right after open works.
            check(carol.matchF0("{\"data\":[]}", null).contains("\"exposed\":false"), "match at once");
            byte[] daveId = null;
            long daveUntil = 0;
            int recorded = 0, gattReads = 0;
            for (long s = 0; s < 40 * 60; s += 60) {
                long now = START + s;
                for (Tracer t : new Tracer[] {alice, bob, carol, dave}) t.handleTimeout(now);
                Tracer.Advertisement adv = alice.advertisement(now);
                check(adv.gaenServiceData != null && adv.bluezoneManufacturerData != null && adv.nextChange > now, "alice's payloads");
                recorded += bob.handleAdvertisingData(gaenRecord(adv.gaenServiceData), -61, Tracer.TX_POWER_UNKNOWN, now) == Tracer.EVENT_RECORDED ? 1 : 0;
                recorded += bob.handleAdvertisingData(bluezoneRecord(adv.bluezoneManufacturerData), -63, Tracer.TX_POWER_UNKNOWN, now + 1) == Tracer.EVENT_RECORDED ? 1 : 0;
                Tracer.Advertisement bobs = bob.advertisement(now);
                recorded += alice.handleServiceData(Tracer.GAEN_SERVICE, bobs.gaenServiceData, -60, -8, now + 2) == Tracer.EVENT_RECORDED ? 1 : 0;
                recorded += alice.handleManufacturerData(Tracer.BLUEZONE_COMPANY_ID, bobs.bluezoneManufacturerData, -60, Tracer.TX_POWER_UNKNOWN, now + 2) == Tracer.EVENT_RECORDED ? 1 : 0;
                check(bob.handleServiceUuid(Tracer.BLUEZONE_IOS_SERVICE, -66, now + 3) == Tracer.EVENT_NEEDS_GATT_READ, "ios service");
                if (now >= daveUntil) { // one GATT read per device per slot
                    Tracer.Advertisement dv = dave.advertisement(now);
                    check(dv.gaenServiceData == null && dv.bluezoneManufacturerData != null, "dave serves a Bluezone ID");
                    daveId = dv.bluezoneManufacturerData;
                    daveUntil = dv.nextChange;
                    gattReads++;
                }
                recorded += bob.handleGattIdentifier(daveId, -66, now + 4) == Tracer.EVENT_RECORDED ? 1 : 0;
            }
            check(recorded == 40 * 5, "recorded " + recorded);
            check(gattReads >= 3 && gattReads <= 5, "gatt reads " + gattReads);
            // Ordinary radio traffic is an event, never an exception.
            byte[] battery = {2, 0x01, 0x06, 3, 0x03, 0x0f, 0x18};
            check(bob.handleAdvertisingData(battery, -50, Tracer.TX_POWER_UNKNOWN, end) == Tracer.EVENT_IGNORED, "foreign beacon");
            check(bob.handleServiceData(UUID.fromString("0000180f-0000-1000-8000-00805f9b34fb"), new byte[] {99}, -50, Tracer.TX_POWER_UNKNOWN, end) == Tracer.EVENT_IGNORED, "foreign service data");
            check(bob.handleServiceData(Tracer.GAEN_SERVICE, new byte[5], -50, Tracer.TX_POWER_UNKNOWN, end) == Tracer.EVENT_IGNORED, "short GAEN payload");
            check(bob.handleManufacturerData(0x004c, new byte[] {2, 21}, -50, Tracer.TX_POWER_UNKNOWN, end) == Tracer.EVENT_IGNORED, "an iBeacon");
            check(bob.handleGattIdentifier(new byte[3], 300, end) == Tracer.EVENT_IGNORED, "short GATT value, odd RSSI");
            check(dave.handleAdvertisingData(gaenRecord(alice.advertisement(end).gaenServiceData), -50, Tracer.TX_POWER_UNKNOWN, end) == Tracer.EVENT_IGNORED, "GAEN on a Bluezone-only phone");
            bob.handleAdvertisement(new byte[] {2, 1, 6}, -50, end); // the old entry point, no exception
            check(sawEvent(alice, Tracer.EVENT_KEYS_ROLLED), "keys rolled event");
            for (Tracer t : new Tracer[] {alice, bob, carol, dave}) t.flush(end);

            // Alice reports; time moves; the retry "up to now" returns the same keys.
            long report = START + 3 * 3600;
            alice.handleTimeout(report);
            String keys = alice.diagnosisKeys(0, report);
            check(sawEvent(alice, Tracer.EVENT_ADVERTISE), "a report rotates the advertisement");
            alice.handleTimeout(report + 7200);
            check(keys.equals(alice.diagnosisKeys(0, report + 7200)), "retry returns the report");
            Path keysFile = c.resolve("alice-keys.json"), published = c.resolve("published");
            Files.write(keysFile, keys.getBytes(StandardCharsets.UTF_8));
            Process p = new ProcessBuilder(authority, keysFile.toString(), published.toString(), "3").inheritIO().start();
            check(p.waitFor() == 0, "health authority");
            for (int i = 0; i < 3; i++) batch[i] = Files.readAllBytes(published.resolve("export-" + (i + 1) + ".zip"));
            trust = new String(Files.readAllBytes(published.resolve("match-config.json")), StandardCharsets.UTF_8);
            String r = bob.matchExports(batch, trust);
            check(r.contains("\"exposed\":true"), "bob exposed by the batch: " + r);
            check(carol.matchExports(batch, trust).contains("\"exposed\":false"), "carol not exposed");
            check(code(() -> bob.matchExports(batch, null)) == TracerException.PT_BAD_SIGNATURE, "untrusted batch");
            byte[][] damaged = batch.clone();
            damaged[1] = Arrays.copyOf(batch[1], batch[1].length);
            damaged[1][damaged[1].length / 2] ^= 0x55;
            try {
                bob.matchExports(damaged, trust);
                check(false, "damaged batch accepted");
            } catch (TracerException e) {
                check(e.getMessage().contains("export file 2 of 3"), "names the file: " + e.getMessage());
            }
            // Dave (iOS) reports through the call that takes the time; his F0 exposes bob.
            String dk = dave.diagnosisKeysAt(report, 0, Long.MAX_VALUE);
            String f0 = dk.substring(dk.indexOf("\"f0\":") + 5, dk.length() - 1);
            check(bob.matchF0(f0, null).contains("\"exposed\":true"), "bob exposed by dave (GATT)");
            check(carol.matchF0(f0, null).contains("\"exposed\":false"), "carol not exposed by dave");

            // The old checks, still true.
            try {
                bob.matchExport(new byte[] {'P', 'K', 3, 4, 0}, "{\"allow_unsigned\":true}");
                check(false, "bad zip accepted");
            } catch (RuntimeException e) {
                check(e.getMessage().contains("PT_BAD_EXPORT"), "bad zip: " + e.getMessage());
            }
            try {
                new Tracer(Files.createTempDirectory("pt-java-x").toString(), "{\"no_such_field\":1}");
                check(false, "bad config accepted");
            } catch (TracerException e) {
                check(e.code == TracerException.PT_BAD_CONFIG && e.getMessage().contains("no_such_field"), "bad config: " + e.getMessage());
            }
            check(code(() -> bob.handleTimeout(end * 1000)) == TracerException.PT_INVALID_ARGUMENT, "milliseconds refused");
            check(code(() -> new Tracer("/dev/null/proxtrace", null)) == TracerException.PT_IO, "PT_IO");
            carol.close();
            carol.close(); // twice: a no-op
            try {
                carol.handleTimeout(end);
                check(false, "closed tracer used");
            } catch (IllegalStateException e) {
                check(true, "closed");
            }
        }
        // Closed (and flushed) by try-with-resources; reopened, bob matches at once.
        try (Tracer bob = new Tracer(b.toString(), both)) {
            check(bob.matchExports(batch, trust).contains("\"exposed\":true"), "bob after reopen");
            try {
                new Tracer(b.toString(), both).close();
                check(false, "a second tracer on an open directory");
            } catch (TracerException ex) {
                check(ex.code == TracerException.PT_BUSY && ex.getMessage().contains(b.toString()), "busy: " + ex.getMessage());
            }
            check(code(() -> bob.diagnosisKeys(0, Long.MAX_VALUE)) == TracerException.PT_INVALID_ARGUMENT, "report needs the time");
        }
        // Ten minutes of sightings, then close: the records are in the log (the old close lost them).
        Path e = Files.createTempDirectory("pt-java-e");
        byte[] id = new byte[12];
        Arrays.fill(id, (byte) 7);
        try (Tracer eve = new Tracer(e.toString(), "{\"schemes\":{\"gaen\":false,\"bluezone\":true}}")) {
            for (long s = 0; s < 600; s += 10) eve.handleAdvertisement(bluezoneAd(id), -58, START + s);
        }
        try (Tracer eve = new Tracer(e.toString(), "{\"schemes\":{\"gaen\":false,\"bluezone\":true}}")) {
            String stats = eve.logStats();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"records\":(\\d+)").matcher(stats);
            check(m.find() && Long.parseLong(m.group(1)) >= 2, "close flushed ten minutes of sightings: " + stats);
        }
        if (failures > 0) {
            System.err.println(failures + " check(s) failed");
            System.exit(1);
        }
        System.out.println("java jni: all checks passed");
    }
}
