package org.proxtrace;

import java.util.UUID;

/**
 * A proxtrace tracer, for an Android foreground service: the app's BLE code hands it what it
 * hears and asks it what to broadcast. Mirrors the C ABI ({@code include/proxtrace.h}); time
 * is always passed in (unix seconds). Receptions return an event ({@link #EVENT_RECORDED},
 * {@link #EVENT_IGNORED}, {@link #EVENT_NEEDS_GATT_READ}) and never throw for ordinary radio
 * traffic. Failures throw {@link TracerException} (a {@link RuntimeException}) whose
 * {@code code} is the C result code and whose message starts with its name. Thread-safe:
 * calls are serialised. One open tracer per directory: a second one, in this process or
 * another, throws {@code PT_BUSY} until the first is closed.
 */
public final class Tracer implements AutoCloseable {
    static {
        System.loadLibrary("proxtrace_ffi");
    }

    /** No event ({@link #pollEvent} has nothing more). */
    public static final int EVENT_NONE = 0;
    /** A reception's identifier was recorded. */
    public static final int EVENT_RECORDED = 1;
    /** A reception was not recorded: another kind of device, malformed, a disabled scheme, or our own. */
    public static final int EVENT_IGNORED = 2;
    /** A Bluezone iOS phone: read its identifier over GATT, then {@link #handleGattIdentifier}. */
    public static final int EVENT_NEEDS_GATT_READ = 3;
    /** New keys started; the key store was saved. */
    public static final int EVENT_KEYS_ROLLED = 4;
    /** Data past the retention period was deleted. */
    public static final int EVENT_EXPIRED = 5;
    /** Events were dropped because nobody polled them. */
    public static final int EVENT_EVENTS_DROPPED = 6;
    /** The identifiers changed: call {@link #advertisement} and re-register every advertising set. */
    public static final int EVENT_ADVERTISE = 7;

    public static final int SCHEME_NONE = 0;
    public static final int SCHEME_GAEN = 1;
    public static final int SCHEME_BLUEZONE = 2;

    public static final int IGNORED_NONE = 0;
    public static final int IGNORED_NOT_PROXIMITY = 1;
    public static final int IGNORED_MALFORMED = 2;
    public static final int IGNORED_SCHEME_DISABLED = 3;
    public static final int IGNORED_OWN = 4;

    /** The {@code txPower} argument when the platform reported none (Android's {@code ScanResult.TX_POWER_NOT_PRESENT}). */
    public static final int TX_POWER_UNKNOWN = 127;

    /** The Bluezone iOS service, advertised by iOS Bluezone phones (read their ID over GATT). */
    public static final UUID BLUEZONE_IOS_SERVICE = UUID.fromString("00004e56-73f5-4bc4-a12f-17d1ad07a667");
    /** The Bluezone iOS identifier characteristic (12 bytes, readable). */
    public static final UUID BLUEZONE_IOS_ID_CHARACTERISTIC = UUID.fromString("00004e56-73f5-4bc4-a12f-17d1ad07a689");
    /** GAEN's service, 0xFD6F. */
    public static final UUID GAEN_SERVICE = UUID.fromString("0000fd6f-0000-1000-8000-00805f9b34fb");
    /** Bluezone's Android service, 0x4E56 (listed beside its manufacturer data). */
    public static final UUID BLUEZONE_SERVICE = UUID.fromString("00004e56-0000-1000-8000-00805f9b34fb");
    /** Bluezone's company identifier for manufacturer data. */
    public static final int BLUEZONE_COMPANY_ID = 0x22B5;

    /** What to broadcast until {@link #nextChange}: each non-null payload as its own legacy advertisement. */
    public static final class Advertisement {
        /** GAEN service data for UUID 0xFD6F (RPI ‖ AEM, 20 bytes), or null. */
        public final byte[] gaenServiceData;
        /** Bluezone manufacturer data for company 0x22B5 (the 12-byte ID), or null. Also the value to serve from the Bluezone iOS characteristic. */
        public final byte[] bluezoneManufacturerData;
        /** When to ask again (and re-register with a new random address), unix seconds. */
        public final long nextChange;

        Advertisement(byte[] gaen, byte[] bluezone, long nextChange) {
            this.gaenServiceData = gaen;
            this.bluezoneManufacturerData = bluezone;
            this.nextChange = nextChange;
        }
    }

    /** A housekeeping event from {@link #pollEvent}. Fields that do not apply to its kind are 0. */
    public static final class Event {
        /** An {@code EVENT_*} constant. */
        public final int kind;
        /** A {@code SCHEME_*} constant. */
        public final int scheme;
        /** An {@code IGNORED_*} constant. */
        public final int ignored;
        /** {@link #EVENT_EXPIRED}: keys deleted. */
        public final long keys;
        /** {@link #EVENT_EXPIRED}: log pages zeroed. */
        public final long logPages;
        /** {@link #EVENT_EVENTS_DROPPED}: how many. */
        public final long dropped;

        Event(long[] v) {
            kind = (int) v[0];
            scheme = (int) v[1];
            ignored = (int) v[2];
            keys = v[3];
            logPages = v[4];
            dropped = v[5];
        }
    }

    private long handle;

    /**
     * Open (or create) the tracer in {@code dir}; {@code configJson} may be null for defaults
     * (see docs/embedding.md; {@code "storage_key"} seals the directory). Matching works at
     * once; nothing is written until the first call that carries the time.
     */
    public Tracer(String dir, String configJson) {
        try {
            handle = open(dir, configJson);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** What to broadcast at {@code now}: one legacy advertisement per non-null payload. */
    public synchronized Advertisement advertisement(long now) {
        byte[] raw;
        long h = live();
        try {
            raw = advertisement(h, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
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

    /** A received advertisement: {@code ScanRecord.getBytes()}, its RSSI, and when (kept; see {@link #handleAdvertisingData}). */
    public synchronized void handleAdvertisement(byte[] scanRecord, int rssi, long now) {
        long h = live();
        try {
            handleAdvertisement(h, scanRecord, rssi, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /**
     * Raw AD bytes: {@code ScanRecord.getBytes()} (62 bytes for a legacy scan), extended data
     * up to 254 bytes, or one advertisement. {@code txPower}: {@code ScanResult.getTxPower()}
     * or {@link #TX_POWER_UNKNOWN}. Returns the event.
     */
    public synchronized int handleAdvertisingData(byte[] data, int rssi, int txPower, long now) {
        long h = live();
        try {
            return handleAdvertisingData(h, data, rssi, txPower, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** Decoded service data: {@code ScanRecord.getServiceData()}'s entries ({@code parcelUuid.getUuid()}). Returns the event. */
    public synchronized int handleServiceData(UUID uuid, byte[] data, int rssi, int txPower, long now) {
        long h = live();
        try {
            return handleServiceData(h, uuid.getMostSignificantBits(), uuid.getLeastSignificantBits(), data, rssi, txPower, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** Decoded manufacturer data: {@code ScanRecord.getManufacturerSpecificData()}'s entries. Returns the event. */
    public synchronized int handleManufacturerData(int companyId, byte[] data, int rssi, int txPower, long now) {
        long h = live();
        try {
            return handleManufacturerData(h, companyId, data, rssi, txPower, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** One advertised service UUID without data; {@link #BLUEZONE_IOS_SERVICE} gives {@link #EVENT_NEEDS_GATT_READ}. */
    public synchronized int handleServiceUuid(UUID uuid, int rssi, long now) {
        long h = live();
        try {
            return handleServiceUuid(h, uuid.getMostSignificantBits(), uuid.getLeastSignificantBits(), rssi, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** The 12-byte value of {@link #BLUEZONE_IOS_ID_CHARACTERISTIC}, read over GATT. Returns the event. */
    public synchronized int handleGattIdentifier(byte[] id, int rssi, long now) {
        long h = live();
        try {
            return handleGattIdentifier(h, id, rssi, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** Let time pass; returns when to call again (unix seconds). */
    public synchronized long handleTimeout(long now) {
        long h = live();
        try {
            return handleTimeout(h, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** Close open scan instances into the log and make it durable (before the app is suspended). */
    public synchronized void flush(long now) {
        long h = live();
        try {
            flush(h, now);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** The next housekeeping event, or null when there is none. */
    public synchronized Event pollEvent() {
        long[] v;
        long h = live();
        try {
            v = pollEvent(h);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
        return v[0] == EVENT_NONE ? null : new Event(v);
    }

    /**
     * The keys to upload after a positive test, as JSON; the tracer re-keys at once. Asking
     * again with the same {@code from} and {@code to} returns the same keys. Needs the time
     * (right after open use {@link #diagnosisKeysAt}).
     */
    public synchronized String diagnosisKeys(long from, long to) {
        long h = live();
        try {
            return diagnosisKeys(h, from, to);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** {@link #diagnosisKeys} after handing in the current time {@code now}. */
    public synchronized String diagnosisKeysAt(long now, long from, long to) {
        long h = live();
        try {
            return diagnosisKeysAt(h, now, from, to);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** Match a GAEN export zip; returns the result JSON ({@code exposed}, windows, summaries). */
    public synchronized String matchExport(byte[] zip, String configJson) {
        long h = live();
        try {
            return matchExport(h, zip, configJson);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** Match a day's batch set of GAEN export zips in one pass (at most 1024); every file must verify. */
    public synchronized String matchExports(byte[][] zips, String configJson) {
        long h = live();
        try {
            return matchExports(h, zips, configJson);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** Match a Bluezone F0 payload; returns the result JSON. */
    public synchronized String matchF0(String f0Json, String configJson) {
        long h = live();
        try {
            return matchF0(h, f0Json, configJson);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /** The encounter log's figures as JSON ({@code records}, {@code encrypted}, …): what is durable. */
    public synchronized String logStats() {
        long h = live();
        try {
            return logStats(h);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    /**
     * Flush (every open scan instance goes into the log, made durable), then release the
     * tracer and its directory lock. Released even if the flush fails (which then throws).
     * Closing twice is a no-op.
     */
    @Override
    public synchronized void close() {
        long h = handle;
        handle = 0;
        try {
            close(h);
        } catch (RuntimeException e) {
            throw TracerException.from(e);
        }
    }

    private long live() {
        if (handle == 0) throw new IllegalStateException("PT_NULL_ARGUMENT: the tracer is closed");
        return handle;
    }

    private static native long open(String dir, String configJson);
    private static native void close(long handle);
    private static native byte[] advertisement(long handle, long now);
    private static native void handleAdvertisement(long handle, byte[] ad, int rssi, long now);
    private static native int handleAdvertisingData(long handle, byte[] ad, int rssi, int txPower, long now);
    private static native int handleServiceData(long handle, long uuidMsb, long uuidLsb, byte[] data, int rssi, int txPower, long now);
    private static native int handleManufacturerData(long handle, int companyId, byte[] data, int rssi, int txPower, long now);
    private static native int handleServiceUuid(long handle, long uuidMsb, long uuidLsb, int rssi, long now);
    private static native int handleGattIdentifier(long handle, byte[] id, int rssi, long now);
    private static native long handleTimeout(long handle, long now);
    private static native void flush(long handle, long now);
    private static native long[] pollEvent(long handle);
    private static native String diagnosisKeys(long handle, long from, long to);
    private static native String diagnosisKeysAt(long handle, long now, long from, long to);
    private static native String matchExport(long handle, byte[] zip, String configJson);
    private static native String matchExports(long handle, byte[][] zips, String configJson);
    private static native String matchF0(long handle, String f0Json, String configJson);
    private static native String logStats(long handle);
}
