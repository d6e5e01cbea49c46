#!/usr/bin/env bash
# The counting benchmark (docs/BENCHMARKS.md): generates a synthetic NEC-shaped election with
# `teller gen` and times `teller count` on it, parsing included, for Meek and Scottish STV.
#
#   benches/count.sh [BALLOTS] [RUNS]      defaults: 1000000 ballots, 5 runs per method
#
# Prints each run's wall time and peak resident memory, then the median per method.
set -euo pipefail
cd "$(dirname "$0")/.."

ballots="${1:-1000000}"
runs="${2:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
teller=${CARGO_TARGET_DIR:-target}/release/teller
"$teller" gen --ballots "$ballots" --candidates 18 --seats 9 --seed 1 --out "$work/bench.blt"
echo "file: $ballots ballots, 18 candidates, 9 seats, $(du -h "$work/bench.blt" | cut -f1)"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

if [ ! -x /usr/bin/time ]; then
    echo "GNU time (/usr/bin/time, Debian package 'time') is needed to measure peak memory" >&2
    exit 2
fi

for method in meek scottish; do
    : >"$work/times"
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %M" -o "$work/one" \
            "$teller" count "$work/bench.blt" --method "$method" --format json --out "$work/result.json"
        read -r wall kb <"$work/one"
        echo "$method: ${wall} s wall, $((kb / 1024)) MB peak"
        echo "$wall $kb" >>"$work/times"
    done
    median=$(sort -n "$work/times" | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}')
    read -r wall kb <<<"$median"
    echo "$method median: ${wall} s wall, $((kb / 1024)) MB peak; elected: $(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['elected'])" "$work/result.json" 2>/dev/null || echo '(python3 not found)')"
done
