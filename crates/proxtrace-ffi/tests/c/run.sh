#!/usr/bin/env bash
# Build the static library with the C ABI, check the committed header is what cbindgen
# generates, then compile tests/c/two_phones.c against both and run it under
# AddressSanitizer + UndefinedBehaviorSanitizer and under valgrind. Runs from anywhere.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../../../.." && pwd)"
CRATE="$ROOT/crates/proxtrace-ffi"
cd "$ROOT"
T="${CARGO_TARGET_DIR:-$ROOT/target}"
cargo build -p proxtrace-ffi --lib
if ! command -v cbindgen >/dev/null 2>&1; then
    cargo install cbindgen --locked --version 0.29.4
fi
(cd "$CRATE" && cbindgen --config cbindgen.toml --output "$T/proxtrace.h.generated" 2>/dev/null)
if ! diff -u "$CRATE/include/proxtrace.h" "$T/proxtrace.h.generated"; then
    echo "crates/proxtrace-ffi/include/proxtrace.h is stale: run (cd crates/proxtrace-ffi && cbindgen --config cbindgen.toml --output include/proxtrace.h)" >&2
    exit 1
fi
LIBS="$T/debug/libproxtrace_ffi.a -lpthread -ldl -lm"
gcc -std=c11 -Wall -Wextra -Werror -g -fsanitize=address,undefined -fno-sanitize-recover=all \
    -fno-omit-frame-pointer -I"$CRATE/include" "$CRATE/tests/c/two_phones.c" $LIBS -o "$T/two_phones_asan"
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$T/two_phones_asan"
gcc -std=c11 -Wall -Wextra -Werror -g -I"$CRATE/include" "$CRATE/tests/c/two_phones.c" $LIBS -o "$T/two_phones"
valgrind -q --leak-check=full --errors-for-leak-kinds=definite --show-possibly-lost=no \
    --error-exitcode=1 "$T/two_phones"
