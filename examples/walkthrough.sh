#!/usr/bin/env bash
# The returning officer's whole flow, start to finish, on the example NEC election and its 5,000
# fictional members. Read it top to bottom; run it with `bash examples/walkthrough.sh`.
# It exits 0 only if the final `teller verify` passes.
#
# Everything happens in a scratch directory. Set DATABASE_URL=postgres://… beforehand to run it
# on PostgreSQL instead of the embedded SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
teller=${CARGO_TARGET_DIR:-$PWD/target}/release/teller
work=$(mktemp -d /tmp/teller-walkthrough.XXXXXX)
export DATABASE_URL=${DATABASE_URL:-$work/teller.db}
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }

step "1. Create the election: check the definition, generate keys, print the fingerprint"
# Secret keys go to $work/keys; each trustee's share is its own file there, to be handed over.
$teller election create --dealer examples/election.toml --keys "$work/keys" --out "$work/manifest.json" \
    | tee "$work/create.txt"
fingerprint=$(awk '/fingerprint/ {print $4}' "$work/create.txt")

step "2. Import the register the membership office exported (eligibility per contest)"
$teller register import nec-2026 examples/members.csv

step "3. Invitation codes for the mail merge (only argon2id hashes are stored)"
$teller invitations export nec-2026 --out "$work/invitations.csv"
head -3 "$work/invitations.csv"

step "4. Open the election: the register is frozen into the roster commitments"
$teller election open nec-2026

step "5. Serve the members' API"
$teller serve --bind 127.0.0.1:0 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    grep -q 'serving on' "$work/serve.log" && break
    sleep 0.1
done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.log")
echo "serving on $url"

step "6. Members vote (Teller's own HTTP client): 60% turnout, a few mistyped codes"
$teller vote-sim --server "$url" --election nec-2026 --invitations "$work/invitations.csv" \
    --turnout 0.6 --wrong-codes 20 --concurrency 8

step "7. Turnout while the election runs (never a running tally)"
$teller turnout nec-2026

step "8. Close the election"
$teller election close nec-2026
kill "$server"
wait "$server" 2>/dev/null || true
server=

step "9. Tally: two of the three trustees bring their shares"
$teller tally nec-2026 --share "$work/keys/trustee-1.share" --share "$work/keys/trustee-3.share"

step "10. Export the election record for the scrutineers"
$teller record export nec-2026 "$work/record"
# What the returning officer did, and when: the election's events log.
$teller election events nec-2026 | tee "$work/events.txt"
for kind in "register imported" opened closed tallied; do
    awk -F'\t' -v kind="$kind" '$2 == kind { found = 1 } END { exit !found }' "$work/events.txt" ||
        { echo "the events log lacks '$kind'" >&2; exit 1; }
done

step "11. A scrutineer verifies it, against the fingerprint on the notices"
$teller verify "$work/record" --fingerprint "$fingerprint" --quiet
