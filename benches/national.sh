#!/usr/bin/env bash
# The national ballot (docs/BENCHMARKS.md, issue 11 item 18): MEMBERS on the register (the example
# register of 5,000 repeated under new member numbers, so every contest's eligibility keeps its
# share), VOTERS of them voting in the four contests over real HTTP with `teller vote-sim` (logins
# and passes, then casts, timed apart), then close, tally with two of the three trustees' shares,
# export and verify. SQLite with one `teller serve`, or PostgreSQL with two `teller serve`
# processes on one database (DATABASE_URL=postgres://…, an empty database).
#
#   benches/national.sh [MEMBERS [VOTERS]]     default 500000 150000
#   WORKERS=1 benches/national.sh …            each server on one core (taskset) with one HTTP
#                                              worker, the load generator on the other: the
#                                              scaling run to compare with the default (2 workers,
#                                              no pinning)
#
# Every phase prints its wall time and peak memory; the HTTP phases their throughput and p50/p99.
set -euo pipefail
cd "$(dirname "$0")/.."

members=${1:-500000}
voters=${2:-150000}
workers=${WORKERS:-2}
work=$(mktemp -d)
export DATABASE_URL=${DATABASE_URL:-$work/teller.db}
servers=()
cleanup() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
teller=${CARGO_TARGET_DIR:-$PWD/target}/release/teller
election=nec-2026
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "database: ${DATABASE_URL%%://*}; $members members, $voters voting; $workers HTTP worker(s) a server"

# `phase NAME COMMAND…`: runs it, prints its wall time and peak resident memory.
phase() {
    local name=$1
    shift
    /usr/bin/time -f '%e %M' -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
        cat "$work/err" >&2
        exit 1
    }
    read -r wall rss <"$work/time"
    printf '%-22s wall %8.1f s   peak memory %6d MB\n' "$name" "$wall" $((rss / 1024))
}

# The register: the example members, repeated with new numbers.
awk -F, -v n="$members" 'NR == 1 { print; next } { row[NR - 1] = $0; rows = NR - 1 }
    END {
        for (i = 1; i <= n; i++) {
            r = row[(i - 1) % rows + 1]
            printf "N%08d%s\n", i, substr(r, index(r, ","))
        }
    }' examples/members.csv >"$work/members.csv"

phase "election create" $teller election create --dealer examples/election.toml --keys "$work/keys"
phase "register import" $teller register import $election "$work/members.csv"
phase "invitations export" $teller invitations export $election --out "$work/invitations.csv"
phase "election open" $teller election open $election

# One server on SQLite, two on PostgreSQL (members are spread over them).
count=1
[[ $DATABASE_URL == postgres* ]] && count=2
urls=()
for i in $(seq 1 $count); do
    pin=()
    [ "$workers" = 1 ] && pin=(taskset -c 0)
    "${pin[@]}" $teller serve --bind 127.0.0.1:0 --workers "$workers" >"$work/serve$i.log" 2>&1 &
    servers+=($!)
    until grep -q 'serving on' "$work/serve$i.log"; do sleep 0.1; done
    urls+=(--server "$(grep -o 'http://[0-9.:]*' "$work/serve$i.log")")
done

# Eight members in flight: the load comes from one address, and a server hashes at most eight
# codes from one address at once (more are answered 429 for a second, which would time the
# throttle, not the server). Eight keep both hashing threads busy.
client=()
[ "$workers" = 1 ] && client=(taskset -c 1)
turnout=$(awk -v v="$voters" -v m="$members" 'BEGIN { printf "%.6f", v / m }')
phase "voting (HTTP)" "${client[@]}" $teller vote-sim "${urls[@]}" --election $election \
    --invitations "$work/invitations.csv" --turnout "$turnout" --concurrency 8 --seed national \
    --no-probes --skip-receipt-checks
sed 's/^/    /' "$work/out"
for i in "${!servers[@]}"; do
    hwm=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/${servers[$i]}/status")
    echo "    teller serve $((i + 1)): peak memory $hwm MB"
    kill "${servers[$i]}"
done
servers=()

phase "election close" $teller election close $election
phase "tally (2 of 3 shares)" $teller tally $election \
    --share "$work/keys/trustee-1.share" --share "$work/keys/trustee-3.share"
phase "record export" $teller record export $election "$work/record"
phase "verify" $teller verify "$work/record" --quiet
tail -3 "$work/out" | sed 's/^/    /'

if [[ $DATABASE_URL == postgres* ]]; then
    size=$(/usr/lib/postgresql/*/bin/psql "$DATABASE_URL" -Atc 'SELECT pg_database_size(current_database())')
else
    size=$(du -cb "$DATABASE_URL"* | tail -1 | cut -f1)
fi
echo "database size: $((size / 1024 / 1024)) MB; record size: $(du -sm "$work/record" | cut -f1) MB"
