// One-time codes for the officers' sign-in in the browser tests: RFC 6238 (HMAC-SHA1, 30-second
// steps, 6 digits), computed from the key the console's enrolment page shows.

import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

// RFC 4648 base32 (no padding) to bytes.
export function base32(text) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bytes = [];
  let bits = 0;
  let value = 0;
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    const v = alphabet.indexOf(c);
    assert.ok(v >= 0, `not base32: ${text}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

// RFC 6238: HOTP (RFC 4226) over the 30-second step.
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

export const stepNow = () => Math.floor(Date.now() / 30_000);

// A code the server has not seen: each step works once per officer (and a server may refuse any
// step not after the last one used, so the steps used here only go up). `offset` is the step
// wanted relative to now (-1, 0 or +1); never within 3 s of a step's end, so that the server's
// clock is in the same step when the form arrives.
const usedSteps = [];
export async function freshCode(secret, offset) {
  for (;;) {
    const intoStep = (Date.now() % 30_000) / 1000;
    if (intoStep > 27) await sleep((30 - intoStep) * 1000 + 300);
    const now = stepNow();
    const step = Math.max(now + offset, (usedSteps.length ? Math.max(...usedSteps) : -Infinity) + 1);
    if (step <= now + 1) {
      usedSteps.push(step);
      return totp(secret, step);
    }
    await sleep(30_000 - (Date.now() % 30_000) + 300);
  }
}

