#!/usr/bin/env bash
# Build the cdylib with the JNI layer, compile org.proxtrace.Tracer and the test with the JDK,
# and run the test against the library on the host JVM. Run from the repo root.
set -euo pipefail
cargo build --features jni --lib
rm -rf target/java && mkdir -p target/java
javac -Xlint:all -Werror -d target/java java/org/proxtrace/Tracer.java java/test/TracerTest.java
java -Xcheck:jni -Djava.library.path=target/debug -cp target/java TracerTest
