#!/usr/bin/env bash
# The checkpoint benchmark (docs/BENCHMARKS.md, issue 11 item 10): `teller verify` must stay linear
# in entries + checkpoints. A server signs up to one checkpoint a second, so a three-week election
# can publish hundreds of thousands. Simulates one election of MEMBERS × 4 ballots with CHECKPOINTS
# ballot-log checkpoints, copies the record keeping only 10 of them (the first nine and the final
# one: still a complete record), and times `teller verify` on both, alternating, RUNS times each.
#
#   benches/checkpoints.sh [MEMBERS] [CHECKPOINTS] [RUNS]   default: 37500 (150,000 ballots),
#                                                           100000, 3
set -euo pipefail
cd "$(dirname "$0")/.."

members="${1:-37500}"
checkpoints="${2:-100000}"
runs="${3:-3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
teller="$(realpath "${CARGO_TARGET_DIR:-target}")/release/teller"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
start=$(date +%s)
"$teller" simulate --members "$members" --seed checkpoints --everyone-votes-everywhere \
    --checkpoints "$checkpoints" --out "$work/many" 2>/dev/null
echo "simulated in $(( $(date +%s) - start )) s: $(wc -l <"$work/many/log/entries.jsonl") entries," \
    "$(ls "$work/many/log/checkpoints" | wc -l) ballot-log checkpoints," \
    "$(ls "$work/many/issuance/checkpoints" | wc -l) issuance-log checkpoints, $(du -sh "$work/many" | cut -f1)"

cp -r "$work/many" "$work/few"
ls "$work/few/log/checkpoints" | sort -n | head -n -1 | tail -n +10 \
    | sed "s|^|$work/few/log/checkpoints/|" | xargs rm
echo "copy with $(ls "$work/few/log/checkpoints" | wc -l) ballot-log checkpoints"

for run in $(seq "$runs"); do
    for record in few many; do
        /usr/bin/time -f "$record run $run: wall %e s, user %U s, max RSS %M KB" \
            "$teller" verify --quiet "$work/$record" 2>&1 >/dev/null | tail -1
    done
done
