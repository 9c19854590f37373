#!/usr/bin/env bash
# Build the cdylib with the JNI layer and the health_authority example, compile the facade
# (org.proxtrace.Tracer, TracerException) and the tests with the JDK, and run them against the
# library on the host JVM under -Xcheck:jni. Runs from anywhere.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../.." && pwd)"
JAVA="$ROOT/crates/proxtrace-ffi/java"
cd "$ROOT"
T="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -p proxtrace-ffi --features jni --lib
cargo build -p proxtrace-ffi --example health_authority
export PT_HEALTH_AUTHORITY="$T/debug/examples/health_authority"
rm -rf "$T/java" && mkdir -p "$T/java"
javac -Xlint:all -Werror -d "$T/java" "$JAVA"/org/proxtrace/*.java "$JAVA"/test/*.java
java -Xcheck:jni -Djava.library.path="$T/debug" -cp "$T/java" TracerTest
