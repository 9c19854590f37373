package org.proxtrace;

/**
 * A failure of a {@link Tracer} call: the C ABI's result code ({@link #code}, one of the
 * {@code PT_*} constants here, the same values as {@code include/proxtrace.h}) and a message
 * that says what to do. Never thrown for ordinary radio traffic: a foreign beacon is an
 * {@link Tracer#EVENT_IGNORED} event.
 */
public final class TracerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public static final int PT_OK = 0;
    public static final int PT_NULL_ARGUMENT = 1;
    public static final int PT_INVALID_ARGUMENT = 2;
    public static final int PT_BUFFER_TOO_SMALL = 3;
    public static final int PT_BAD_CONFIG = 4;
    public static final int PT_IO = 5;
    public static final int PT_CORRUPT_STORE = 6;
    public static final int PT_NOT_AN_ADVERTISEMENT = 7;
    public static final int PT_BAD_EXPORT = 8;
    public static final int PT_BAD_SIGNATURE = 9;
    public static final int PT_BAD_F0 = 10;
    public static final int PT_PANIC = 11;
    public static final int PT_INTERNAL = 12;
    public static final int PT_BUSY = 13;
    public static final int PT_WRONG_KEY = 14;

    private static final String[] NAMES = {
        "PT_OK", "PT_NULL_ARGUMENT", "PT_INVALID_ARGUMENT", "PT_BUFFER_TOO_SMALL", "PT_BAD_CONFIG",
        "PT_IO", "PT_CORRUPT_STORE", "PT_NOT_AN_ADVERTISEMENT", "PT_BAD_EXPORT", "PT_BAD_SIGNATURE",
        "PT_BAD_F0", "PT_PANIC", "PT_INTERNAL", "PT_BUSY", "PT_WRONG_KEY",
    };

    /** The result code, a {@code PT_*} constant of this class. */
    public final int code;

    TracerException(int code, String message, Throwable cause) {
        super(message, cause);
        this.code = code;
    }

    /** The name of a code, such as {@code "PT_BUSY"}. */
    public static String name(int code) {
        return code >= 0 && code < NAMES.length ? NAMES[code] : "PT_UNKNOWN";
    }

    /** The native layer throws RuntimeException("… PT_NAME: message"); give it its code. */
    static TracerException from(RuntimeException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        int start = m.indexOf("PT_");
        if (start >= 0) {
            m = m.substring(start);
            int colon = m.indexOf(':');
            String head = colon > 0 ? m.substring(0, colon) : m;
            for (int c = 0; c < NAMES.length; c++) {
                if (NAMES[c].equals(head)) return new TracerException(c, m, e);
            }
        }
        return new TracerException(PT_INTERNAL, "PT_INTERNAL: " + m, e);
    }
}
