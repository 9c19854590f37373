import java.io.BufferedReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;

import org.proxtrace.Tracer;

/**
 * Real radio bytes through the JNI facade: the GAEN reports Samsung phones logged in DP-3T
 * experiment 34, as the 62-byte ScanRecord.getBytes() records an Android app receives, one
 * tracer per receiving phone. Every report is EVENT_RECORDED and the recorded reports per
 * transmitter equal a plain second reading of the log. Reads the btsnoop_records example's
 * file (PT_BTSNOOP_RECORDS); without it, a notice and success.
 */
public final class BtsnoopTest {
    static int failures = 0;

    static void check(boolean ok, String what) {
        if (!ok) {
            System.err.println("FAIL: " + what);
            failures++;
        }
    }

    static byte[] unhex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        return out;
    }

    static final class Phone {
        final String name;
        final Path dir;
        final Tracer tracer;
        final Map<String, Long> recorded = new HashMap<>();
        long next, reports, transmitters, expected;

        Phone(String name) throws Exception {
            this.name = name;
            dir = Files.createTempDirectory("pt-java-btsnoop");
            tracer = new Tracer(dir.toString(), null);
        }

        void finish() {
            tracer.close();
            long total = recorded.values().stream().mapToLong(Long::longValue).sum();
            check(recorded.size() == transmitters, name + ": " + recorded.size() + " transmitters recorded, the plain reading finds " + transmitters);
            check(total == reports && expected == reports, name + ": " + total + " of " + reports + " recorded, " + expected + " expected");
            System.out.println("java btsnoop " + name + ": " + total + " GAEN scan records from " + transmitters + " transmitters, all recorded");
        }
    }

    public static void main(String[] args) throws Exception {
        String path = System.getenv("PT_BTSNOOP_RECORDS");
        if (path == null || !Files.exists(Paths.get(path))) {
            System.err.println("skipping: no btsnoop record file (../shared/fielddata/dp3t-exp34/btsnoop not found; set PROXTRACE_FIELDDATA_DIR to the fielddata folder)");
            return;
        }
        Phone p = null;
        int logs = 0;
        try (BufferedReader r = Files.newBufferedReader(Paths.get(path), StandardCharsets.US_ASCII)) {
            for (String line; (line = r.readLine()) != null; ) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "L":
                        if (p != null) p.finish();
                        p = new Phone(f[1]);
                        logs++;
                        break;
                    case "R": {
                        long now = Long.parseLong(f[1]);
                        int rssi = Integer.parseInt(f[2]);
                        if (now >= p.next) p.next = p.tracer.handleTimeout(now);
                        int e = p.tracer.handleAdvertisingData(unhex(f[4]), rssi, Tracer.TX_POWER_UNKNOWN, now);
                        p.reports++;
                        if (e == Tracer.EVENT_RECORDED) p.recorded.merge(f[3], 1L, Long::sum);
                        else check(false, p.name + ": report at " + now + " from " + f[3] + " not recorded: event " + e);
                        break;
                    }
                    case "E": {
                        long n = Long.parseLong(f[2]);
                        long got = p.recorded.getOrDefault(f[1], 0L);
                        check(got == n, p.name + ": transmitter " + f[1] + ": " + got + " recorded, the plain reading counts " + n);
                        p.transmitters++;
                        p.expected += n;
                        break;
                    }
                    default:
                        break;
                }
            }
        }
        if (p != null) p.finish();
        check(logs >= 2, logs + " logs; the test needs at least two");
        if (failures > 0) {
            System.err.println(failures + " check(s) failed");
            System.exit(1);
        }
        System.out.println("java btsnoop: all checks passed (" + logs + " logs)");
    }
}
