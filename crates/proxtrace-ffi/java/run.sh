#!/usr/bin/env bash
# Build the cdylib with the JNI layer, compile org.proxtrace.Tracer and the test with the JDK,
# and run the test against the library on the host JVM. Runs from anywhere.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
JAVA="$ROOT/crates/proxtrace-ffi/java"
cd "$ROOT"
T="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -p proxtrace-ffi --features jni --lib
rm -rf "$T/java" && mkdir -p "$T/java"
javac -Xlint:all -Werror -d "$T/java" "$JAVA/org/proxtrace/Tracer.java" "$JAVA/test/TracerTest.java"
java -Xcheck:jni -Djava.library.path="$T/debug" -cp "$T/java" TracerTest
