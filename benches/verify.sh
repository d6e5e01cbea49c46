#!/usr/bin/env bash
# The verification benchmark (docs/BENCHMARKS.md): simulates an election in which every one of
# MEMBERS members votes in all four contests (MEMBERS × 4 ballots), then runs
# `teller bench verify`, which measures the per-ballot primitive costs on this machine, the floor
# (their sum × ballots ÷ cores) and the wall time of the whole verification.
#
#   benches/verify.sh [MEMBERS]      default: 150000 (600,000 ballots; the simulation takes
#                                    about 15 minutes on 2 cores, the record is about 600 MB)
set -euo pipefail
cd "$(dirname "$0")/.."

members="${1:-150000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
teller=${CARGO_TARGET_DIR:-target}/release/teller
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
"$teller" simulate --members "$members" --seed bench --everyone-votes-everywhere \
    --out "$work/record" 2>/dev/null
du -sh "$work/record"
"$teller" bench verify "$work/record"
/usr/bin/time -f "teller verify: wall %e s, user %U s, max RSS %M KB" \
    "$teller" verify --quiet "$work/record" | tail -1
