#!/usr/bin/env bash
# The trustees' key ceremony, start to finish: five trustees make the election key together so
# that nobody — not the returning officer, not any one trustee, not the server — ever holds it.
# Any three of them decrypt after the close. Read it top to bottom; run it with
# `bash examples/ceremony.sh`. It exits 0 only if the final `teller verify` passes.
#
# Each trustee is a separate `teller` process with its own folder (in real life: their own
# laptop, offline if they wish). They exchange files through one folder, $work/exchange (in real
# life: a shared drive, a USB stick passed round, or email). Only public files go there.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
teller=${CARGO_TARGET_DIR:-$PWD/target}/release/teller
work=$(mktemp -d /tmp/teller-ceremony.XXXXXX)
export DATABASE_URL=${DATABASE_URL:-$work/teller.db}
server=
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
exchange=$work/exchange
trustees="1 2 3 4 5"

step "1. Each trustee makes their trustee key and sends the printed line to the returning officer"
for i in $trustees; do
    mkdir "$work/trustee-$i"
    $teller trustee keygen --name "Trustee $i" --out "$work/trustee-$i/trustee.key" \
        >"$work/trustee-$i/public.txt"
    cat "$work/trustee-$i/public.txt"
done

step "2. The returning officer writes the setup: the election, 3 of 5 needed, the trustees in order"
args=()
for i in $trustees; do
    args+=(--trustee "$(cat "$work/trustee-$i/public.txt")")
done
$teller trustee setup --dir "$exchange" --election nec-2026 --threshold 3 "${args[@]}"

# A trustee's step, run as that trustee, with their own key and state file.
as_trustee() {
    local i=$1 what=$2
    shift 2
    $teller trustee "$what" --dir "$exchange" --key "$work/trustee-$i/trustee.key" \
        --state "$work/trustee-$i/state.json" "$@"
}

step "3. Round 1: each trustee publishes commitments to a secret polynomial (five processes at once)"
for i in $trustees; do as_trustee "$i" round1 >"$work/trustee-$i/round1.txt" & done
wait
cat "$work/trustee-1/round1.txt"

step "4. Round 2: each checks everyone's round 1 and seals a share for each other trustee"
for i in $trustees; do as_trustee "$i" round2 & done
wait

step "5. Finish: each opens the shares sealed to them, checks them, keeps their share of the key"
for i in $trustees; do
    as_trustee "$i" finish --share "$work/trustee-$i/share.txt" >"$work/trustee-$i/finish.txt" &
done
wait
cat "$work/trustee-1/finish.txt"

step "6. Anyone can check the exchange folder: every file, every proof, every acceptance"
$teller trustee status --dir "$exchange"

step "7. The returning officer creates the election from the ceremony (no key is made here)"
sed -e 's/^threshold = 2 .*/threshold = 3/' -e 's/^count = 3$/count = 5/' examples/election.toml \
    >"$work/election.toml"
$teller election create "$work/election.toml" --ceremony "$exchange" --keys "$work/keys" \
    --out "$work/manifest.json" | tee "$work/create.txt"
fingerprint=$(awk '/fingerprint/ {print $4}' "$work/create.txt")

step "8. Each trustee checks the manifest holds the key their ceremony made"
for i in $trustees; do
    $teller trustee check "$work/manifest.json" --key "$work/trustee-$i/trustee.key" \
        --share "$work/trustee-$i/share.txt"
done

step "9. Register, invitations, open, serve; members vote over HTTP"
head -n 1001 examples/members.csv >"$work/members.csv"   # the first 1,000 members
$teller register import nec-2026 "$work/members.csv" | tail -1
$teller invitations export nec-2026 --out "$work/invitations.csv" 2>/dev/null
$teller election open nec-2026
$teller serve --bind 127.0.0.1:0 >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    grep -q 'serving on' "$work/serve.log" && break
    sleep 0.1
done
url=$(grep -o 'http://[0-9.:]*' "$work/serve.log")
$teller vote-sim --server "$url" --election nec-2026 --invitations "$work/invitations.csv" \
    --turnout 0.2 --concurrency 8

step "10. Close"
$teller election close nec-2026
kill "$server"
wait "$server" 2>/dev/null || true
server=

step "11. Tally: trustees 1, 3 and 5 bring their shares (two would not be enough)"
if $teller tally nec-2026 --share "$work/trustee-1/share.txt" \
    --share "$work/trustee-3/share.txt" 2>"$work/two.txt"; then
    echo "two shares decrypted: they must not" >&2
    exit 1
fi
cat "$work/two.txt"
$teller tally nec-2026 --share "$work/trustee-1/share.txt" --share "$work/trustee-3/share.txt" \
    --share "$work/trustee-5/share.txt"

step "12. A scrutineer verifies the record, against the fingerprint on the notices"
$teller record export nec-2026 "$work/record"
$teller verify "$work/record" --fingerprint "$fingerprint" --quiet
