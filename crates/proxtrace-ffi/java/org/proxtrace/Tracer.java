package org.proxtrace;

/**
 * A proxtrace tracer, for an Android foreground service: the app's BLE code hands it what it
 * hears and asks it what to broadcast. Mirrors the C ABI ({@code include/proxtrace.h}); time
 * is always passed in (unix seconds). Failures throw {@link RuntimeException} whose message
 * starts with the {@code PT_*} result code. Thread-safe: calls are serialised.
 */
public final class Tracer implements AutoCloseable {
    static {
        System.loadLibrary("proxtrace_ffi");
    }

    /** What to broadcast until {@link #nextChange}. */
    public static final class Advertisement {
        /** GAEN service data for UUID 0xFD6F (RPI ‖ AEM), or null. */
        public final byte[] gaenServiceData;
        /** Bluezone manufacturer data for company 0x22B5 (the 12-byte ID), or null. */
        public final byte[] bluezoneManufacturerData;
        /** When to ask again (and re-register with a new random address), unix seconds. */
        public final long nextChange;

        Advertisement(byte[] gaen, byte[] bluezone, long nextChange) {
            this.gaenServiceData = gaen;
            this.bluezoneManufacturerData = bluezone;
            this.nextChange = nextChange;
        }
    }

    private long handle;

    /** Open (or create) the tracer in {@code dir}; {@code configJson} may be null for defaults. */
    public Tracer(String dir, String configJson) {
        handle = open(dir, configJson);
    }

    public synchronized Advertisement advertisement(long now) {
        byte[] raw = advertisement(live(), now);
        byte[] gaen = null, bluezone = null;
        int end = raw.length - 8;
        for (int i = 0; i + 2 <= end; i += 2 + (raw[i + 1] & 0xff)) {
            byte[] data = java.util.Arrays.copyOfRange(raw, i + 2, i + 2 + (raw[i + 1] & 0xff));
            if (raw[i] == 1) gaen = data; else if (raw[i] == 2) bluezone = data;
        }
        long next = 0;
        for (int k = 7; k >= 0; k--) next = (next << 8) | (raw[end + k] & 0xff);
        return new Advertisement(gaen, bluezone, next);
    }

    /** A received advertisement: {@code ScanRecord.getBytes()}, its RSSI, and when. */
    public synchronized void handleAdvertisement(byte[] scanRecord, int rssi, long now) {
        handleAdvertisement(live(), scanRecord, rssi, now);
    }

    /** Let time pass; returns when to call again (unix seconds). */
    public synchronized long handleTimeout(long now) {
        return handleTimeout(live(), now);
    }

    /** The keys to upload after a positive test, as JSON; the tracer re-keys at once. */
    public synchronized String diagnosisKeys(long from, long to) {
        return diagnosisKeys(live(), from, to);
    }

    /** Match a GAEN export zip; returns the result JSON ({@code exposed}, windows, summaries). */
    public synchronized String matchExport(byte[] zip, String configJson) {
        return matchExport(live(), zip, configJson);
    }

    /** Match a Bluezone F0 payload; returns the result JSON. */
    public synchronized String matchF0(String f0Json, String configJson) {
        return matchF0(live(), f0Json, configJson);
    }

    @Override
    public synchronized void close() {
        long h = handle;
        handle = 0;
        close(h);
    }

    private long live() {
        if (handle == 0) throw new IllegalStateException("PT_NULL_ARGUMENT: the tracer is closed");
        return handle;
    }

    private static native long open(String dir, String configJson);
    private static native void close(long handle);
    private static native byte[] advertisement(long handle, long now);
    private static native void handleAdvertisement(long handle, byte[] ad, int rssi, long now);
    private static native long handleTimeout(long handle, long now);
    private static native String diagnosisKeys(long handle, long from, long to);
    private static native String matchExport(long handle, byte[] zip, String configJson);
    private static native String matchF0(long handle, String f0Json, String configJson);
}
