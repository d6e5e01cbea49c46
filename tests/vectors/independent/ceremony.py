#!/usr/bin/env python3
"""Independent check of the "ceremony" test vector in tests/vectors/teller.json (run: python3 tests/vectors/independent/ceremony.py).

Uses only hashlib, hmac, base64/json (stdlib) and `cryptography` (Ed25519 signature checks);
all curve arithmetic below is plain big-integer Python.
"""
import base64
import hashlib
import hmac  # noqa: F401  (permitted; compare_digest used for byte comparisons)
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import os
VECTORS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "teller.json")

# ---------------------------------------------------------------- curve25519 arithmetic
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def inv(x):
    return pow(x, P - 2, P)


# Extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z.
IDENT = (0, 1, 1, 0)


def padd(p1, p2):
    X1, Y1, Z1, T1 = p1
    X2, Y2, Z2, T2 = p2
    A = (Y1 - X1) * (Y2 - X2) % P
    B = (Y1 + X1) * (Y2 + X2) % P
    C = 2 * T1 * T2 * D % P
    Dd = 2 * Z1 * Z2 % P
    E, F, G, H = B - A, Dd - C, Dd + C, B + A
    return (E * F % P, G * H % P, F * G % P, E * H % P)


def pneg(p):
    X, Y, Z, T = p
    return ((-X) % P, Y, Z, (-T) % P)


def pmul(k, p):
    q = IDENT
    while k > 0:
        if k & 1:
            q = padd(q, p)
        p = padd(p, p)
        k >>= 1
    return q


def peq(p1, p2):
    X1, Y1, Z1, _ = p1
    X2, Y2, Z2, _ = p2
    return (X1 * Z2 - X2 * Z1) % P == 0 and (Y1 * Z2 - Y2 * Z1) % P == 0


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * inv(D * y * y + 1) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def decompress(b):
    """Strict decompression: refuses y >= p and (x = 0, sign = 1)."""
    assert len(b) == 32
    y = int.from_bytes(b, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    x = recover_x(y, sign)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def compress(p):
    X, Y, Z, _ = p
    zi = inv(Z)
    x, y = X * zi % P, Y * zi % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


GY = 4 * inv(5) % P
B = (recover_x(GY, 0), GY, 1, recover_x(GY, 0) * GY % P)


def edwards_to_montgomery_u(p):
    """u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y)."""
    X, Y, Z, _ = p
    return ((Z + Y) * inv((Z - Y) % P) % P).to_bytes(32, "little")


def x25519_unclamped(k, u_bytes):
    """RFC 7748 Montgomery ladder, but over all 255 bits of k and WITHOUT clamping."""
    u = int.from_bytes(u_bytes, "little") & ((1 << 255) - 1)
    a24 = 121665
    x1, x2, z2, x3, z3, swap = u, 1, 0, u, 1, 0
    for t in reversed(range(255)):
        kt = (k >> t) & 1
        swap ^= kt
        if swap:
            x2, x3, z2, z3 = x3, x2, z3, z2
        swap = kt
        A = (x2 + z2) % P
        AA = A * A % P
        Bq = (x2 - z2) % P
        BB = Bq * Bq % P
        E = (AA - BB) % P
        C = (x3 + z3) % P
        Dq = (x3 - z3) % P
        DA = Dq * A % P
        CB = C * Bq % P
        x3 = (DA + CB) ** 2 % P
        z3 = x1 * (DA - CB) ** 2 % P
        x2 = AA * BB % P
        z2 = E * (AA + a24 * E) % P
    if swap:
        x2, x3, z2, z3 = x3, x2, z3, z2
    return (x2 * pow(z2, P - 2, P) % P).to_bytes(32, "little")


def is_small_order(p):
    return peq(pmul(8, p), IDENT)


def is_torsion_free(p):
    return peq(pmul(L, p), IDENT)


# ---------------------------------------------------------------- helpers
def b64u(s):
    if "=" in s:
        raise ValueError("padded base64url")
    raw = base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    # canonical: re-encoding must give back the same text (no stray trailing bits)
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != s:
        raise ValueError("non-canonical base64url")
    return raw


def le(b):
    return int.from_bytes(b, "little")


def u32be(n):
    return n.to_bytes(4, "big")


def transcript(tag):
    return tag.encode() + b"\x00"


def sha256(b):
    return hashlib.sha256(b).digest()


results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'OK  ' if ok else 'FAIL'} {name}{(' — ' + detail) if detail and not ok else ''}")


def same(a, b):
    return hmac.compare_digest(a, b)


# ---------------------------------------------------------------- load
vec = json.load(open(VECTORS))["ceremony"]
cer = json.loads(vec["ceremony"])
setup = cer["setup"]
n = len(setup["trustees"])
t = setup["threshold"]
keys = [b64u(tr["key"]) for tr in setup["trustees"]]
check("ceremony JSON has exactly setup/round1/round2/accepted",
      sorted(cer) == ["accepted", "round1", "round2", "setup"])
check("embedded ceremony string is canonical (sorted keys, no whitespace)",
      json.dumps(cer, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == vec["ceremony"])

# extra (doc comment in tests/vectors.rs): identity keys come from seeds 0x11, 0x12, 0x13 × 32
for i, k in enumerate(keys):
    pk = Ed25519PrivateKey.from_private_bytes(bytes([0x11 + i]) * 32).public_key()
    check(f"identity key {i+1} ({setup['trustees'][i]['name']}) = Ed25519 key of seed {0x11+i:#x}×32",
          pk.public_bytes(Encoding.Raw, PublicFormat.Raw) == k)

# ---------------------------------------------------------------- 1. setup id
m = transcript("teller/ceremony/setup/v1")
e = setup["election"].encode()
m += u32be(len(e)) + e + bytes([t, n])
for tr in setup["trustees"]:
    nm = tr["name"].encode()
    m += u32be(len(nm)) + nm + b64u(tr["key"])
setup_id = sha256(m)
check("1. setup_id", setup_id.hex() == vec["setup_id"], setup_id.hex())

# ---------------------------------------------------------------- 2. messages
def round1_message(f):
    m = transcript("teller/ceremony/round1/v1") + setup_id
    m += bytes([f["trustee"], len(f["commitment"])])
    for c in f["commitment"]:
        m += b64u(c)
    return sha256(m + b64u(f["proof"]) + b64u(f["encryption"]))


def round2_message(f):
    m = transcript("teller/ceremony/round2/v1") + setup_id
    m += bytes([f["trustee"], len(f["shares"])])
    for s in f["shares"]:
        m += bytes([s["to"]]) + b64u(s["enc"]) + b64u(s["ct"])
    return sha256(m)


def acceptance_message(index, key):
    m = transcript("teller/ceremony/accept/v1") + setup_id + bytes([index])
    for f in cer["round1"]:
        m += round1_message(f)
    for f in cer["round2"]:
        m += round2_message(f)
    return sha256(m + key)


def share_info(frm, to):
    return transcript("teller/ceremony/share/v1") + setup_id + bytes([frm, to])


r1m = [round1_message(f) for f in cer["round1"]]
r2m = [round2_message(f) for f in cer["round2"]]
for i in range(n):
    check(f"2. round1 message {i+1}", r1m[i].hex() == vec["round1_messages"][i], r1m[i].hex())
for i in range(n):
    check(f"2. round2 message {i+1}", r2m[i].hex() == vec["round2_messages"][i], r2m[i].hex())
election_key = bytes.fromhex(vec["election_key"])
acc1 = acceptance_message(1, election_key)
check("2. acceptance_message_1", acc1.hex() == vec["acceptance_message_1"], acc1.hex())
si = share_info(1, 2)
check("2. share_info_1_to_2", si.hex() == vec["share_info_1_to_2"], si.hex())

# ---------------------------------------------------------------- 3. signatures
def verify_sig(index, msg, sig):
    key = keys[index - 1]
    try:
        Ed25519PublicKey.from_public_bytes(key).verify(sig, msg)
    except InvalidSignature:
        return False
    # what ed25519-dalek's verify_strict adds: canonical S, A and R not of small order
    R, A = decompress(sig[:32]), decompress(key)
    return (le(sig[32:]) < L and R is not None and A is not None
            and not is_small_order(R) and not is_small_order(A))


for pos, f in enumerate(cer["round1"]):
    check(f"3. round1 signature {pos+1} (trustee field = position)",
          f["trustee"] == pos + 1 and verify_sig(pos + 1, r1m[pos], b64u(f["signature"])))
for pos, f in enumerate(cer["round2"]):
    check(f"3. round2 signature {pos+1} (trustee field = position)",
          f["trustee"] == pos + 1 and verify_sig(pos + 1, r2m[pos], b64u(f["signature"])))
for pos, a in enumerate(cer["accepted"]):
    msg = acceptance_message(pos + 1, election_key)
    check(f"3. acceptance signature {pos+1} (key field = election_key)",
          a["trustee"] == pos + 1 and b64u(a["key"]) == election_key
          and verify_sig(pos + 1, msg, b64u(a["signature"])))
check("3. one file per trustee in each of round1/round2/accepted",
      len(cer["round1"]) == len(cer["round2"]) == len(cer["accepted"]) == n)

# ---------------------------------------------------------------- 4. proofs of knowledge
CONTEXT = b"FROST-ED25519-SHA512-v1"


def h_dkg(m):
    return le(hashlib.sha512(CONTEXT + b"dkg" + m).digest()) % L


commitments = []  # commitments[i][k] = C_{i+1,k} as points
for pos, f in enumerate(cer["round1"]):
    i = pos + 1
    cs = [decompress(b64u(c)) for c in f["commitment"]]
    valid = (len(cs) == t and all(c is not None for c in cs)
             and all(not peq(c, IDENT) and is_torsion_free(c) for c in cs))
    check(f"4. round1 {i}: {t} commitments, valid prime-order non-identity points", valid)
    commitments.append(cs)
    proof = b64u(f["proof"])
    Rb, z = proof[:32], le(proof[32:])
    R = decompress(Rb)
    ok = R is not None and z < L and is_torsion_free(R) and not peq(R, IDENT)
    if ok:
        ident = i.to_bytes(32, "little")  # Identifier::try_from(u16) = scalar i, serialized LE
        c = h_dkg(ident + b64u(f["commitment"][0]) + Rb)
        ok = peq(R, padd(pmul(z, B), pneg(pmul(c, cs[0]))))
    check(f"4. round1 {i}: proof of knowledge R == z·B − c·C_0", ok)

# ---------------------------------------------------------------- 5. group key, verifying shares
group = IDENT
for cs in commitments:
    group = padd(group, cs[0])
u_group = edwards_to_montgomery_u(group)
check("5. u(Σ C_i0) == election_key", u_group == election_key, u_group.hex())

Y = []
for j in range(1, n + 1):
    y = IDENT
    for cs in commitments:
        for k, ck in enumerate(cs):
            y = padd(y, pmul(pow(j, k, L), ck))
    Y.append(y)
    check(f"5. verifying share Y_{j}", compress(y).hex() == vec["verifying_shares"][j - 1],
          compress(y).hex())

# ---------------------------------------------------------------- 6. shares, reconstruction
shares = {}
for s in vec["shares"]:
    j, v = s["index"], le(bytes.fromhex(s["value"]))
    shares[j] = v
    check(f"6. share s_{j} canonical and s_{j}·B == Y_{j}", v < L and peq(pmul(v, B), Y[j - 1]))


def lagrange0(pts):
    acc = 0
    for xi, yi in pts.items():
        num, den = 1, 1
        for xj in pts:
            if xj != xi:
                num = num * xj % L
                den = den * (xj - xi) % L
        acc = (acc + yi * num * pow(den, L - 2, L)) % L
    return acc


key = lagrange0({1: shares[1], 3: shares[3]})
check("6. Lagrange(s_1, s_3) at 0 == key_from_1_and_3",
      key.to_bytes(32, "little").hex() == vec["key_from_1_and_3"], key.to_bytes(32, "little").hex())
check("6. every pair of shares gives the same key",
      lagrange0({1: shares[1], 2: shares[2]}) == key == lagrange0({2: shares[2], 3: shares[3]}))
check("6. u(key·B) via Edwards == election_key", edwards_to_montgomery_u(pmul(key, B)) == election_key)
u9 = (9).to_bytes(32, "little")
check("6. unclamped X25519 ladder key·u(9) == election_key", x25519_unclamped(key, u9) == election_key)

# ---------------------------------------------------------------- 7. round-2 layout
for pos, f in enumerate(cer["round2"]):
    i = pos + 1
    tos = [s["to"] for s in f["shares"]]
    ok = tos == [j for j in range(1, n + 1) if j != i] and all(
        len(b64u(s["enc"])) == 32 and len(b64u(s["ct"])) == 48 for s in f["shares"])
    check(f"7. round2 {i}: shares to {tos}, 32-byte enc, 48-byte ct", ok)
# encryption keys are 32-byte X25519 u-coordinates (< p after masking; HPKE accepts any 32 bytes)
check("7. round1 encryption keys are 32 bytes",
      all(len(b64u(f["encryption"])) == 32 for f in cer["round1"]))
print("7. (not done by design) opening trustee 1's share to 2: trustee 2's secret is not in the vector")

if all(results):
    print("ALL OK")
else:
    print(f"{results.count(False)} FAILED")
    sys.exit(1)
