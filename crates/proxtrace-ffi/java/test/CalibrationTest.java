import java.nio.charset.StandardCharsets;

import org.proxtrace.Calibration;

/** The calibration lookup through JNI, on the host JVM, with a table the test makes itself. */
public final class CalibrationTest {
    public static void main(String[] args) {
        byte[] table = ("oem,model,rssi correction,tx,has direct measurement\n"
                + "Samsung,SM-G981B,5,-25,yes\n").getBytes(StandardCharsets.UTF_8);
        String c = Calibration.calibrate(null, table, "samsung", "SM-G981B/DS");
        int failures = 0;
        if (!c.contains("\"tx_power_dbm\":-25") || !c.contains("\"rssi_correction_db\":5")
                || !c.contains("\"calibration_confidence\":\"high\"")) {
            System.err.println("FAIL: calibrated config " + c);
            failures++;
        }
        String none = Calibration.calibrate("{\"rotation_secs\":900}", null, "Acme", "X1");
        if (!none.contains("\"tx_power_dbm\":-24") || !none.contains("\"calibration_confidence\":\"lowest\"")) {
            System.err.println("FAIL: uncalibrated config " + none);
            failures++;
        }
        try {
            Calibration.calibrate(null, "not a table".getBytes(StandardCharsets.UTF_8), "a", "b");
            System.err.println("FAIL: a bad table was accepted");
            failures++;
        } catch (RuntimeException e) {
            if (!e.getMessage().contains("PT_INVALID_ARGUMENT")) {
                System.err.println("FAIL: message " + e.getMessage());
                failures++;
            }
        }
        if (failures > 0) {
            System.exit(1);
        }
        System.out.println("CalibrationTest: 3 passed, 0 failed");
    }
}
