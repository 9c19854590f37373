#!/usr/bin/env bash
# Build the cdylib with the JNI layer and run org.proxtrace.Calibration's test on the host JVM.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
JAVA="$ROOT/crates/proxtrace-ffi/java"
cd "$ROOT"
T="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -p proxtrace-ffi --features jni --lib
OUT="$T/java-calibration"
rm -rf "$OUT" && mkdir -p "$OUT"
javac -Xlint:all -Werror -d "$OUT" "$JAVA/org/proxtrace/Calibration.java" "$JAVA/test/CalibrationTest.java"
java -Xcheck:jni -Djava.library.path="$T/debug" -cp "$OUT" CalibrationTest
