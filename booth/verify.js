// The verifier page (/e/{election}/verify, src/server/pages.rs): every check of `teller verify`,
// run here by Teller's core in WebAssembly, on the record this server publishes or on a file the
// reader picks. This file is glue: it fetches or reads the archive, shares the per-ballot checks
// out over one worker per core (booth/verify-worker.js), hands their parts to one worker that
// runs the whole verification (src/core/verify/browser.rs lays the requests out), and shows the
// progress and the answer. It decides nothing: the verdict, the totals and the report are the
// core's, the same bytes `teller verify` prints.
'use strict';

(() => {
  const form = document.getElementById('verify');
  const $ = (id) => document.getElementById(id);
  const number = new Intl.NumberFormat('en-GB');
  // At most this many workers: past it, copying the record to each costs more than it saves.
  const MAX_WORKERS = 8;
  const STAGES = {
    'reading entries': 'Reading the ballot log',
    'checking checkpoints': 'Checking the checkpoints',
    'checking ballots': 'Checking every ballot (pass, signature, opening)',
    recounting: 'Counting the contests again',
    downloading: 'Downloading the record (bytes)',
  };

  function say(text) {
    $('status').textContent = text;
  }

  function showError(text) {
    $('form-error').textContent = text;
    $('start').disabled = false;
  }

  // Progress: the bar follows every step; the status (read out by screen readers) at most once a
  // second and at each new stage.
  let lastSaid = { stage: '', at: 0 };
  function progress(stage, done, total) {
    const bar = $('bar');
    bar.value = total > 0 ? Math.round((100 * done) / total) : 100;
    const now = Date.now();
    if (stage !== lastSaid.stage || now - lastSaid.at > 1000 || done === total) {
      const what = STAGES[stage] || stage;
      say(total > 1 ? `${what}: ${number.format(done)} of ${number.format(total)}` : `${what}…`);
      lastSaid = { stage, at: now };
    }
  }

  function fingerprint() {
    const text = $('fingerprint').value.replace(/\s+/g, '').toLowerCase();
    if (text === '') return null;
    if (!/^[0-9a-f]{64}$/.test(text)) return undefined;
    return Uint8Array.from(text.match(/../g), (pair) => parseInt(pair, 16));
  }

  async function download(url) {
    const response = await fetch(url, { credentials: 'omit', cache: 'no-store' });
    if (!response.ok) throw new Error(`the server answered ${response.status} for the record`);
    const size = Number(response.headers.get('Content-Length')) || 0;
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      progress('downloading', received, size || received);
    }
    return concat(chunks);
  }

  function concat(pieces) {
    const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const piece of pieces) {
      out.set(piece, at);
      at += piece.length;
    }
    return out;
  }

  function u32(n) {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setUint32(0, n, true);
    return bytes;
  }

  // One request in one worker; `onProgress` gets the core's progress calls.
  function run(module, op, request, onProgress) {
    return new Promise((resolve, reject) => {
      const worker = new Worker(form.dataset.worker);
      worker.onmessage = ({ data }) => {
        if (data.progress) {
          onProgress(data.progress);
          return;
        }
        worker.terminate();
        if (data.error) reject(new Error(data.error));
        else resolve(data.answer);
      };
      worker.onerror = (event) => {
        worker.terminate();
        reject(new Error(event.message || 'the verifier stopped'));
      };
      worker.postMessage({ module, op, request }, [request.buffer]);
    });
  }

  async function verify(archive, expected) {
    const module = await WebAssembly.compileStreaming(
      fetch(form.dataset.wasm, { integrity: form.dataset.wasmIntegrity }),
    );
    const workers = Math.min(Math.max(navigator.hardwareConcurrency || 1, 1), MAX_WORKERS);
    let parts = [];
    if (workers > 1) {
      // Each worker checks every n-th chunk of ballots; the progress shown is their sum.
      const seen = new Array(workers).fill(null).map(() => ({ done: 0, total: 0 }));
      parts = await Promise.all(
        seen.map((mine, k) => run(module, 'part', concat([u32(k), u32(workers), archive]), (p) => {
          Object.assign(mine, p);
          const sum = (key) => seen.reduce((n, s) => n + s[key], 0);
          progress(p.stage, sum('done'), sum('total'));
        })),
      );
    }
    const head = expected ? concat([Uint8Array.of(1), expected]) : Uint8Array.of(0);
    const request = concat([
      head, u32(archive.length), archive, ...parts.flatMap((part) => [u32(part.length), part]),
    ]);
    const answer = await run(module, 'verify', request, (p) => progress(p.stage, p.done, p.total));
    return JSON.parse(new TextDecoder().decode(answer));
  }

  async function sha256(bytes) {
    if (!crypto.subtle) return null;
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  function show(ok, sha, seconds) {
    for (const check of ok.checks) {
      const item = document.querySelector(`#checks li[data-check="${check.name}"]`);
      if (!item) continue;
      item.classList.toggle('pass', !check.failure);
      item.classList.toggle('fail', Boolean(check.failure));
      item.querySelector('.result').textContent = check.failure ? 'FAIL' : 'PASS';
      item.querySelector('.failure').textContent = check.failure || '';
    }
    const rows = ok.totals.map((t) => {
      const row = document.createElement('tr');
      const head = document.createElement('th');
      head.scope = 'row';
      head.textContent = t.contest;
      row.append(head);
      for (const key of ['eligible', 'issued', 'reissued', 'cast', 'counted', 'valid', 'invalid', 'removed']) {
        const cell = document.createElement('td');
        cell.className = 'num';
        cell.textContent = number.format(t[key]);
        row.append(cell);
      }
      return row;
    });
    $('totals').tBodies[0].replaceChildren(...rows);
    $('report').textContent = ok.report;
    $('totals-section').hidden = false;
    const verdict = $('verdict');
    verdict.className = ok.passed ? 'pass' : 'fail';
    verdict.textContent = ok.passed
      ? `PASS: all ${ok.checks.length} checks passed`
      : `FAIL: ${ok.failed} of ${ok.checks.length} checks failed`;
    const facts = [`Record ${ok.archive}: ${number.format(ok.files)} files, ${number.format(ok.bytes)} bytes`];
    if (ok.fingerprint) facts.push(`election ${ok.election}, fingerprint ${ok.fingerprint}`);
    if (sha) facts.push(`archive SHA-256 ${sha}`);
    facts.push(`checked in ${seconds.toFixed(1)} s`);
    $('archive-facts').textContent = `${facts.join('; ')}.`;
    $('outcome').hidden = false;
    say(ok.passed ? 'Done: every check passed.' : 'Done: some checks failed.');
    verdict.focus();
  }

  // Choosing a file means checking it.
  $('file').addEventListener('change', () => {
    if ($('file').files.length > 0) $('from-file').checked = true;
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    $('form-error').textContent = '';
    const expected = fingerprint();
    const input = $('fingerprint');
    input.removeAttribute('aria-invalid');
    if (expected === undefined) {
      input.setAttribute('aria-invalid', 'true');
      showError('The fingerprint must be 64 letters a–f and digits (spaces are ignored). Leave it empty to check without one.');
      input.focus();
      return;
    }
    const fromFile = $('from-file').checked;
    const file = $('file').files[0];
    if (fromFile && !file) {
      showError('Choose the record file to check, or check the record this server publishes.');
      $('file').focus();
      return;
    }
    $('start').disabled = true;
    $('outcome').hidden = true;
    $('progress-section').hidden = false;
    for (const item of document.querySelectorAll('#checks li')) {
      item.classList.remove('pass', 'fail');
      item.querySelector('.result').textContent = 'Waiting';
      item.querySelector('.failure').textContent = '';
    }
    const started = performance.now();
    try {
      say(fromFile ? `Reading ${file.name}…` : 'Downloading the record…');
      const archive = fromFile ? new Uint8Array(await file.arrayBuffer()) : await download(form.dataset.record);
      const sha = await sha256(archive);
      const answer = await verify(archive, expected);
      if (answer.error) {
        say('Stopped.');
        showError(answer.error.message);
        return;
      }
      show(answer.ok, sha, (performance.now() - started) / 1000);
    } catch (e) {
      say('Stopped.');
      showError(`The check could not run: ${e.message}`);
      return;
    }
    $('start').disabled = false;
  });
})();
