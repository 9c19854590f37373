#!/usr/bin/env bash
# Build the cdylib with the JNI layer, compile org.proxtrace.Tracer and the test with the JDK,
# and run the test against the library on the host JVM. Run from the repo root.
set -euo pipefail
T="${CARGO_TARGET_DIR:-target}"
cargo build --features jni --lib
rm -rf "$T/java" && mkdir -p "$T/java"
javac -Xlint:all -Werror -d "$T/java" java/org/proxtrace/Tracer.java java/test/TracerTest.java
java -Xcheck:jni -Djava.library.path="$T/debug" -cp "$T/java" TracerTest
