#!/usr/bin/env bash
# Teller's booth in a real browser: the entry point CI calls after `cargo test --release` has built
# target/release/teller. Installs Debian's Chromium if it is missing, the pinned node packages
# (package-lock.json), then runs booth.test.mjs, public.test.mjs, console.test.mjs (the returning
# officer's console) and officer.test.mjs (an officer's whole election, with a mail server). Exits
# non-zero if any test fails.
#
# Environment: TELLER_BIN, CHROMIUM, TELLER_BROWSER_OUT (screenshots, downloads, bench.txt;
# default target/browser-test), TELLER_BROWSER_KEEP=1 (keep the elections' temporary directories).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"

teller="${TELLER_BIN:-${CARGO_TARGET_DIR:-$root/target}/release/teller}"
if [ ! -x "$teller" ]; then
  echo "run.sh: no teller binary at $teller: build it first (cargo build --release)" >&2
  exit 2
fi
# The tests run the binary checked here (with CARGO_TARGET_DIR set, not ../../target's).
export TELLER_BIN="$teller"

chromium="${CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  echo "run.sh: $chromium is missing: installing Debian's chromium" >&2
  if ! "${apt[@]}" install -y chromium; then
    "${apt[@]}" update
    "${apt[@]}" install -y chromium
  fi
fi

npm ci --no-audit --no-fund

out="${TELLER_BROWSER_OUT:-$root/target/browser-test}"
# The verifier page's test needs tampered records, made by the tamper suite's own tamperings
# (tests/tamper/main.rs); the test binary is the one `cargo test --release` built.
export TELLER_TAMPERED="$out/tampered"
rm -rf "$TELLER_TAMPERED"
(cd "$root" && TELLER_TAMPERED_OUT="$TELLER_TAMPERED" cargo test --release --test tamper --quiet -- \
  --ignored --exact write_the_tampered_records_for_the_browser_tests)

status=0
node --test --test-concurrency=1 booth.test.mjs public.test.mjs console.test.mjs officer.test.mjs || status=$?

# The benchmark line again, unprefixed, for whoever reads the CI log.
if [ -f "$out/bench.txt" ]; then cat "$out/bench.txt"; fi
if [ "$status" -ne 0 ]; then
  echo "run.sh: browser tests failed (exit $status); screenshots of every page are in $out" >&2
fi
exit "$status"
