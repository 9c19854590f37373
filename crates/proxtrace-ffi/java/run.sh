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
# Real HCI logs (other people's data: read in place, converted under the target directory).
FIELD="${PROXTRACE_FIELDDATA_DIR:-$ROOT/../shared/fielddata}/dp3t-exp34/btsnoop"
if [ -f "$FIELD/01.btsnoop" ] && [ -f "$FIELD/02.btsnoop" ]; then
    cargo build -p proxtrace-ffi --example btsnoop_records
    "$T/debug/examples/btsnoop_records" "$T/btsnoop-records.txt" "$FIELD/01.btsnoop" "$FIELD/02.btsnoop"
    export PT_BTSNOOP_RECORDS="$T/btsnoop-records.txt"
else
    unset PT_BTSNOOP_RECORDS
fi
rm -rf "$T/java" && mkdir -p "$T/java"
javac -Xlint:all -Werror -d "$T/java" "$JAVA"/org/proxtrace/*.java "$JAVA"/test/*.java
java -Xcheck:jni -Djava.library.path="$T/debug" -cp "$T/java" TracerTest
java -Xcheck:jni -Djava.library.path="$T/debug" -cp "$T/java" BtsnoopTest
