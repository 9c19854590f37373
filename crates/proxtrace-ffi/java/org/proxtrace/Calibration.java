package org.proxtrace;

/**
 * Per-device radio calibration for a {@link Tracer}: look the phone up in a calibration table
 * (Google's EN calibration CSV, {@code oem,model,rssi correction,tx,has direct measurement},
 * from the health authority or the platform; proxtrace ships none) and apply it to a tracer
 * configuration. Unknown models fall back as GAEN does (model variant, manufacturer average,
 * table average, each with a lower calibration confidence).
 *
 * <pre>{@code
 * String config = Calibration.calibrate(null, tableBytes, Build.MANUFACTURER, Build.MODEL);
 * Tracer t = new Tracer(dir, config);
 * }</pre>
 */
public final class Calibration {
    static {
        System.loadLibrary("proxtrace_ffi");
    }

    private Calibration() {}

    /**
     * {@code configJson} (null or empty for the defaults) with the device's TX power, RSSI
     * correction and calibration confidence set; {@code table} null or empty means no table
     * (the uncalibrated defaults, −24 dBm and −3 dB). Throws {@link RuntimeException} whose
     * message names the {@code PT_*} code for an unreadable table or configuration.
     */
    public static native String calibrate(
            String configJson, byte[] table, String manufacturer, String model);
}
