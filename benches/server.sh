#!/usr/bin/env bash
# The ballot server benchmark (docs/BENCHMARKS.md), with `teller vote-sim` as the load generator on
# the same machine: an election with the 5,000 example members, every member voting; `vote-sim`
# logs everyone in and gets their passes first, then times the casting on its own (ballots/s and
# latency percentiles; without the refusal probes, which the tests cover). Then the login rate against the raw argon2id rate.
#
#   benches/server.sh [CONCURRENCY]        default 32; the database is SQLite unless
#                                          DATABASE_URL=postgres://… is set (an empty database)
set -euo pipefail
cd "$(dirname "$0")/.."

concurrency="${1:-32}"
work="$(mktemp -d)"
export DATABASE_URL=${DATABASE_URL:-$work/teller.db}
server=
trap '[ -n "$server" ] && kill $server; rm -rf "$work"' EXIT

cargo build --release --quiet
teller=${CARGO_TARGET_DIR:-$PWD/target}/release/teller
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "database: ${DATABASE_URL%%://*}"
$teller election create --dealer examples/election.toml --keys "$work/keys" >/dev/null
$teller register import nec-2026 examples/members.csv >/dev/null
$teller invitations export nec-2026 --out "$work/invitations.csv" 2>/dev/null >/dev/null
$teller election open nec-2026 >/dev/null
$teller serve --bind 127.0.0.1:0 >"$work/serve.log" 2>&1 &
server=$!
until grep -q 'serving on' "$work/serve.log"; do sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.log")

echo "== casting (passes issued first; only the casts are timed)"
$teller vote-sim --server "$url" --election nec-2026 --invitations "$work/invitations.csv" \
    --concurrency "$concurrency" --seed cast --no-probes 2>/dev/null

# The machine's speed drifts by several percent from minute to minute: the raw rate is measured
# just before and just after the logins, and the logins are compared with their mean.
echo "== login: the raw argon2id rate, logins over HTTP, the raw rate again"
$teller bench argon2 --checks 1000
$teller vote-sim --server "$url" --election nec-2026 --invitations "$work/invitations.csv" \
    --concurrency "$concurrency" --turnout 0.4 --logins-only --seed login 2>/dev/null | grep 'login'
$teller bench argon2 --checks 1000
