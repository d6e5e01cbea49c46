#!/usr/bin/env bash
# The in-browser verification benchmark (docs/BENCHMARKS.md, issue 13): simulates an election of
# MEMBERS members, packs its record as an archive, and checks it three times with the native
# `teller verify` and three times on the verifier page (/verify) in headless Chromium, which runs
# the same core in WebAssembly with one worker per core. Prints each run and the ratio of the
# medians.
#
#   benches/verify-browser.sh [MEMBERS]      default: 20000 (about 17,000 ballots, a 20 MB record)
set -euo pipefail
cd "$(dirname "$0")/.."

members="${1:-20000}"
work="$(mktemp -d)"
server=""
trap '[ -n "$server" ] && kill "$server"; rm -rf "$work"' EXIT

cargo build --release --quiet
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$(pwd)/$target" ;; esac
teller="$target/release/teller"
(cd tests/browser && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund --silent)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$teller" simulate --members "$members" --seed bench-browser --out "$work/record" 2>/dev/null
tar -cf "$work/record.tar" -C "$work" record
echo "record: $(du -h "$work/record.tar" | cut -f1) archive"

median() { sort -n | sed -n '2p'; }
for run in 1 2 3; do
    start=$(date +%s.%N)
    "$teller" verify --quiet "$work/record.tar" | tail -1
    awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { printf "%.2f\n", a - b }' 
done > "$work/native.txt"
grep -v verify "$work/native.txt" | sed 's/^/native run: /;s/$/ s/'
native=$(grep -v verify "$work/native.txt" | median)

"$teller" serve --bind 127.0.0.1:0 --database "$work/empty.db" > "$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    url=$(grep -o 'serving on http://[^ ]*' "$work/serve.log" | cut -d' ' -f3 || true)
    [ -n "$url" ] && break
    sleep 0.1
done
(cd tests/browser && node bench-verify.mjs "$url" "$work/record.tar" 3) | tee "$work/browser.txt"
browser=$(sed -n 's/^browser run [0-9]*: \([0-9.]*\) s.*/\1/p' "$work/browser.txt" | median)
echo "median: browser $browser s, native $native s, ratio $(awk -v a="$browser" -v b="$native" 'BEGIN { printf "%.2f", a / b }') (goal <= 4)"
