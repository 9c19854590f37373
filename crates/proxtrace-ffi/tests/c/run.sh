#!/usr/bin/env bash
# Build the static library with the C ABI, check the committed header is what cbindgen
# generates, then compile the C programs in tests/c/ against both and run each under
# AddressSanitizer + UndefinedBehaviorSanitizer and under valgrind:
#   two_phones.c  the original API, kept as it was;
#   phones.c      62-byte scan records, decoded service data, a GATT identifier, events,
#                 close, a batch of signed exports (from the health_authority example);
#   btsnoop.c     real Android HCI logs (../shared/fielddata; skipped with a notice if absent).
# Runs from anywhere.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../../.." && pwd)"
CRATE="$ROOT/crates/proxtrace-ffi"
cd "$ROOT"
T="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -p proxtrace-ffi --lib
cargo build -p proxtrace-ffi --example health_authority
export PT_HEALTH_AUTHORITY="$T/debug/examples/health_authority"
# Real HCI logs (other people's data: read in place, converted under the target directory).
FIELD="${PROXTRACE_FIELDDATA_DIR:-$ROOT/../shared/fielddata}/dp3t-exp34/btsnoop"
if [ -f "$FIELD/01.btsnoop" ] && [ -f "$FIELD/02.btsnoop" ]; then
    cargo build -p proxtrace-ffi --example btsnoop_records
    "$T/debug/examples/btsnoop_records" "$T/btsnoop-records.txt" "$FIELD/01.btsnoop" "$FIELD/02.btsnoop"
    export PT_BTSNOOP_RECORDS="$T/btsnoop-records.txt"
else
    echo "skipping the btsnoop C test: $FIELD not found (set PROXTRACE_FIELDDATA_DIR to the fielddata folder)" >&2
    unset PT_BTSNOOP_RECORDS
fi
if ! command -v cbindgen >/dev/null 2>&1; then
    cargo install cbindgen --locked --version 0.29.4
fi
(cd "$CRATE" && cbindgen --config cbindgen.toml --output "$T/proxtrace.h.generated" 2>/dev/null)
if ! diff -u "$CRATE/include/proxtrace.h" "$T/proxtrace.h.generated"; then
    echo "crates/proxtrace-ffi/include/proxtrace.h is stale: run (cd crates/proxtrace-ffi && cbindgen --config cbindgen.toml --output include/proxtrace.h)" >&2
    exit 1
fi
LIBS="$T/debug/libproxtrace_ffi.a -lpthread -ldl -lm"
for prog in two_phones phones btsnoop; do
    gcc -std=c11 -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-sanitize-recover=all \
        -fno-omit-frame-pointer -I"$CRATE/include" "$CRATE/tests/c/$prog.c" $LIBS -o "$T/${prog}_asan"
    ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$T/${prog}_asan"
    gcc -std=c11 -Wall -Wextra -Werror -g -I"$CRATE/include" "$CRATE/tests/c/$prog.c" $LIBS -o "$T/$prog"
    valgrind -q --leak-check=full --errors-for-leak-kinds=definite --show-possibly-lost=no \
        --error-exitcode=1 "$T/$prog"
done
