// Teller's public pages in a real headless Chromium: the bulletin board (open, then tallied), a
// log page with its tracker search, and every contest's results page, checked with axe-core, the
// keyboard and a phone-sized viewport, and against the record's own JSON.
//
//   cd tests/browser && node --test --test-concurrency=1 public.test.mjs      (or ./run.sh)
//
// One election from examples/election.toml, made with the returning officer's commands; members
// vote over HTTP with `teller vote-sim` (the booth's own tests drive the browser's voting).
// Environment: as booth.test.mjs (TELLER_BIN, CHROMIUM, TELLER_BROWSER_OUT, TELLER_BROWSER_KEEP).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { AXE_SOURCE, AXE_TAGS, CHROMIUM, KEEP, LAUNCH_ARGS, OUT, ROOT, TELLER } from './setup.mjs';

const ID = 'nec-2026';
const TIMEOUT = 180_000;

function teller(args) {
  const result = spawnSync(TELLER, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (result.error) throw result.error;
  assert.equal(result.status, 0, `teller ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

let dir;
let db;
let url;
let server;
let browser;
const base = () => `${url}/e/${ID}`;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teller-public-'));
  db = path.join(dir, 'teller.db');
  const members = fs.readFileSync(path.join(ROOT, 'examples/members.csv'), 'utf8').trim().split('\n');
  fs.writeFileSync(path.join(dir, 'members.csv'), `${members.slice(0, 401).join('\n')}\n`);
  const at = ['--database', db];
  teller(['election', 'create', '--dealer', path.join(ROOT, 'examples/election.toml'), '--keys', path.join(dir, 'keys'), ...at]);
  teller(['register', 'import', ID, path.join(dir, 'members.csv'), ...at]);
  teller(['invitations', 'export', ID, '--out', path.join(dir, 'invitations.csv'), ...at]);
  teller(['election', 'open', ID, ...at]);
  const log = path.join(dir, 'serve.log');
  const fd = fs.openSync(log, 'w');
  server = spawn(TELLER, ['serve', '--bind', '127.0.0.1:0', ...at], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  for (let i = 0; !url; i += 1) {
    const found = fs.readFileSync(log, 'utf8').match(/serving on (http:\/\/\S+)/);
    if (found) url = found[1];
    else if (i > 400 || server.exitCode !== null) throw new Error(`teller serve did not start:\n${fs.readFileSync(log, 'utf8')}`);
    else await new Promise((r) => { setTimeout(r, 50); });
  }
  teller(['vote-sim', '--server', url, '--election', ID, '--invitations', path.join(dir, 'invitations.csv'),
    '--turnout', '0.7', '--seed', 'public-pages', '--skip-receipt-checks']);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGKILL');
  if (dir && !KEEP) fs.rmSync(dir, { recursive: true, force: true });
});

async function newPage(problems, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, ...options });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  return page;
}

async function axe(page, label) {
  await page.screenshot({ path: path.join(OUT, `public-${label}.png`), fullPage: true });
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  }, AXE_TAGS);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `${label}: axe found serious or critical violations`);
  return violations;
}

async function noHorizontalScroll(page, label) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${label}: the page scrolls sideways (${scroll} > ${client} px)`);
}

// The RFC 6962 leaf hash's first five bytes, as a receipt shows them (docs/PROTOCOL.md §15).
function trackerOf(entry) {
  const hex = createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(entry)])).digest('hex').toUpperCase();
  return `${hex.slice(0, 5)}-${hex.slice(5, 10)}`;
}

test('the board while open: the manifest in words, turnout per contest, the latest checkpoints', { timeout: TIMEOUT }, async () => {
  const problems = [];
  const page = await newPage(problems);
  await page.goto(`${base()}/board`);
  await page.getByRole('heading', { level: 1, name: 'National Executive Committee elections 2026' }).waitFor();
  const manifest = await (await fetch(`${url}/api/elections/${ID}/manifest`)).text();
  const fingerprint = createHash('sha256').update(manifest).digest('hex');
  assert.ok((await page.textContent('main')).includes(fingerprint), 'the board shows the fingerprint');
  const turnout = page.getByRole('table', { name: 'Turnout by contest' });
  const rows = await turnout.locator('tbody tr').allTextContents();
  assert.equal(rows.length, 4, rows.join('\n'));
  // Ballots cast per contest equal the ballot log's entries of that contest.
  const log = await (await fetch(`${url}/api/elections/${ID}/logs/ballots/entries?start=0&end=1000`)).text();
  const perContest = {};
  for (const line of log.trim().split('\n')) {
    const entry = JSON.parse(line);
    if (entry.type === 'ballot') perContest[entry.contest] = (perContest[entry.contest] || 0) + 1;
  }
  const cast = await turnout.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.cells[tr.cells.length - 1].textContent)));
  assert.equal(cast.reduce((a, b) => a + b, 0), Object.values(perContest).reduce((a, b) => a + b, 0));
  assert.ok(!(await page.textContent('main')).includes('Download the record'), 'no record before the tally');
  const note = await page.getByLabel('Latest checkpoint of the ballot log').textContent();
  assert.match(note, new RegExp(`^teller/ballots/${fingerprint}\\n\\d+\\n`));
  await axe(page, 'board-open');
  await page.setViewportSize({ width: 360, height: 740 });
  await noHorizontalScroll(page, 'board at 360 px');
  assert.deepEqual(problems, []);
});

test('tallied: board, log search, and every results page agree with the record', { timeout: TIMEOUT }, async () => {
  teller(['election', 'close', ID, '--database', db]);
  teller(['tally', ID, '--share', path.join(dir, 'keys/trustee-1.share'), '--share', path.join(dir, 'keys/trustee-3.share'), '--database', db]);
  const recordDir = path.join(dir, 'record');
  teller(['record', 'export', ID, recordDir, '--database', db]);
  const problems = [];
  const page = await newPage(problems);
  await page.goto(`${base()}/board`);

  // The record's download, reached by keyboard, is the archive whose SHA-256 the board shows.
  const shown = (await page.locator('code.fingerprint').nth(1).textContent()).trim();
  const link = page.getByRole('link', { name: /Download the record/ });
  for (let i = 0; i < 40 && !(await link.evaluate((a) => a === document.activeElement)); i += 1) await page.keyboard.press('Tab');
  assert.ok(await link.evaluate((a) => a === document.activeElement), 'Tab reaches the record download');
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  const archive = path.join(OUT, `${ID}-record.tar`);
  await download.saveAs(archive);
  assert.equal(createHash('sha256').update(fs.readFileSync(archive)).digest('hex'), shown);
  const verify = spawnSync(TELLER, ['verify', archive, '--quiet'], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stdout);
  await axe(page, 'board-tallied');
  await page.setViewportSize({ width: 360, height: 740 });
  await noHorizontalScroll(page, 'tallied board at 360 px');
  await page.setViewportSize({ width: 1280, height: 900 });

  // The ballot log page finds an entry by the tracker a receipt shows.
  await page.getByRole('link', { name: 'Every entry of the ballot log' }).click();
  await page.getByRole('heading', { level: 1, name: /ballot log/ }).waitFor();
  await axe(page, 'ballot-log');
  const entries = fs.readFileSync(path.join(recordDir, 'log/entries.jsonl'), 'utf8').trim().split('\n');
  const seq = 7;
  const tracker = trackerOf(entries[seq]);
  await page.getByLabel('Find a tracker').fill(tracker.toLowerCase());
  await page.keyboard.press('Enter');
  await page.getByRole('status').filter({ hasText: tracker }).waitFor();
  const found = await page.getByRole('table', { name: /^Entries/ }).locator('tbody tr').allTextContents();
  assert.equal(found.length, 1, found.join('\n'));
  assert.match(found[0], new RegExp(`^${seq}ballot`));

  // Each contest's results page: its exact figures are the record's results JSON.
  const contests = JSON.parse(fs.readFileSync(path.join(recordDir, 'manifest.json'), 'utf8')).contests;
  for (const contest of contests) {
    const results = JSON.parse(fs.readFileSync(path.join(recordDir, `results/${contest.id}.json`), 'utf8')).report;
    await page.goto(`${base()}/results/${contest.id}?exact=1`);
    await page.getByRole('heading', { level: 1, name: contest.title }).waitFor();
    const elected = await page.locator('#result ol li').evaluateAll((lis) => lis.map((li) => li.firstChild.textContent.trim()));
    assert.deepEqual(elected, results.elected, `${contest.id}: elected`);
    const table = page.getByRole('table', { name: 'Votes by stage' });
    const shownVotes = await table.locator('tbody tr').evaluateAll((trs) => trs
      .filter((tr) => tr.querySelector('th[scope=row]') && tr.cells.length > 1 && !tr.classList.contains('sum'))
      .map((tr) => [tr.querySelector('th').firstChild.textContent.trim(),
        Array.from(tr.querySelectorAll('td')).map((td) => td.firstChild.textContent.trim())]));
    for (const [name, values] of shownVotes) {
      const c = results.candidates.findIndex((x) => x.name === name);
      assert.ok(c >= 0, `${contest.id}: ${name} is not a candidate of the record`);
      assert.deepEqual(values, results.rounds.map((r) => r.votes[c]), `${contest.id}: ${name}'s votes by stage`);
    }
    assert.equal(shownVotes.length, results.candidates.filter((x) => !x.withdrawn).length);
    // Each stage's chart names its quota, and there is one chart per stage.
    for (const round of results.rounds) {
      const name = new RegExp(`^Votes at the end of stage ${round.round} `);
      assert.equal(await page.getByRole('img', { name }).count(), 1, `${contest.id}: the chart of stage ${round.round}`);
    }
    // The rounded page (the default) says so, and links to the exact one.
    await page.goto(`${base()}/results/${contest.id}`);
    if (results.decimals > 2) {
      await page.getByRole('link', { name: 'Show the exact values' }).waitFor();
      const quota = Number(results.rounds[0].quota).toFixed(2);
      assert.ok((await page.textContent('header')).includes(quota), `${contest.id}: rounded quota ${quota}`);
    }
    if (contest.id === 'nec') {
      // Slates: the flow chart and its table; a Meek count says why its transfers have no slate.
      await page.getByRole('img', { name: /^Where each slate's voters went next/ }).waitFor();
      await page.getByRole('table', { name: /first preference outside/ }).waitFor();
      assert.ok(!(await page.textContent('#slates')).includes('No votes were transferred'));
      // The first stage that decided something: its bars against the quota, and its transfers.
      await page.locator('section.stage', { has: page.getByRole('heading', { name: 'Decisions' }) }).first()
        .screenshot({ path: path.join(OUT, 'public-results-bars.png') });
      await page.locator('#slate-voting').screenshot({ path: path.join(OUT, 'public-results-flow.png') });
    }
    await axe(page, `results-${contest.id}`);
    // Downloads: the BLT and results JSON are the record's bytes.
    for (const [file, recordPath] of [['ballots.blt', `blt/${contest.id}.blt`], ['results.json', `results/${contest.id}.json`]]) {
      const body = Buffer.from(await (await fetch(`${base()}/results/${contest.id}/${file}`)).arrayBuffer());
      assert.ok(body.equals(fs.readFileSync(path.join(recordDir, recordPath))), `${contest.id}: ${file}`);
    }
  }
  await page.setViewportSize({ width: 360, height: 740 });
  await noHorizontalScroll(page, 'results at 360 px');
  assert.deepEqual(problems, []);
});

// The verifier page runs `teller verify` in the browser: its report must be the CLI's, byte for
// byte (same checks, same failures, same totals, same verdict).
async function verifyInPage(page, archive) {
  if (archive) {
    await page.setInputFiles('#file', archive);
    assert.ok(await page.isChecked('#from-file'), 'choosing a file selects it');
  }
  await page.click('#start');
  await page.locator('#outcome:not([hidden])').waitFor({ timeout: 120_000 });
  return {
    verdict: (await page.textContent('#verdict')).trim(),
    report: await page.textContent('#report'),
    failed: await page.locator('#checks li.fail').evaluateAll((items) => items.map((li) => li.dataset.check)),
  };
}

function cliVerify(archive) {
  const result = spawnSync(TELLER, ['verify', archive, '--quiet'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.error) throw result.error;
  return result;
}

test('the verifier page checks the published record in the browser, as teller verify does', { timeout: TIMEOUT }, async () => {
  const problems = [];
  const page = await newPage(problems);
  await page.goto(`${base()}/board`);
  await page.getByRole('link', { name: 'Check the record in your browser' }).click();
  await page.getByRole('heading', { level: 1, name: 'Check the election record' }).waitFor();
  await axe(page, 'verify-before');

  // A malformed fingerprint is refused with a message, before anything runs.
  await page.fill('#fingerprint', 'not a fingerprint');
  await page.click('#start');
  await page.getByRole('alert').filter({ hasText: 'must be 64' }).waitFor();
  assert.equal(await page.getAttribute('#fingerprint', 'aria-invalid'), 'true');
  assert.ok(await page.isHidden('#outcome'));

  // The keyboard alone: the fingerprint from the record's manifest (as a scrutineer would paste
  // it, in groups), then Tab to the button and Enter.
  const archive = path.join(OUT, `${ID}-verify.tar`);
  fs.writeFileSync(archive, Buffer.from(await (await fetch(`${url}/api/elections/${ID}/record`)).arrayBuffer()));
  const cli = cliVerify(archive);
  assert.equal(cli.status, 0, cli.stdout);
  const fingerprint = cli.stdout.match(/fingerprint ([0-9a-f]{64})/)[1];
  await page.fill('#fingerprint', fingerprint.match(/.{4}/g).join(' '));
  await page.focus('#fingerprint');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'start');
  await page.keyboard.press('Enter');
  await page.locator('#outcome:not([hidden])').waitFor({ timeout: 120_000 });
  assert.equal((await page.textContent('#verdict')).trim(), 'PASS: all 23 checks passed');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'verdict', 'focus moves to the verdict');
  assert.equal(await page.textContent('#report'), cli.stdout);
  assert.equal(await page.locator('#checks li.pass').count(), 23);
  const sha = createHash('sha256').update(fs.readFileSync(archive)).digest('hex');
  assert.match(await page.textContent('#archive-facts'), new RegExp(`archive SHA-256 ${sha}`));
  // The totals table is the CLI's totals.
  const rows = await page.locator('#totals tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.replace(/,/g, ''))));
  for (const row of rows) {
    assert.ok(cli.stdout.split('\n').some((line) => line.split(/\s+/).join(' ') === row.join(' ')), `totals row ${row.join(' ')} is the CLI's`);
  }
  await axe(page, 'verify-pass');

  // Another election's fingerprint fails the manifest check, as with --fingerprint.
  await page.fill('#fingerprint', 'ab'.repeat(32));
  const other = await verifyInPage(page, null);
  assert.deepEqual(other.failed, ['manifest-fingerprint']);
  const cliOther = spawnSync(TELLER, ['verify', archive, '--quiet', '--fingerprint', 'ab'.repeat(32)], { encoding: 'utf8' });
  assert.equal(other.report, cliOther.stdout);
  assert.deepEqual(problems, []);
});

const TAMPERED = process.env.TELLER_TAMPERED;

test('the verifier page fails each tampered record on the same checks as teller verify', {
  timeout: TIMEOUT, skip: !TAMPERED && 'run through run.sh, which writes the tampered records (TELLER_TAMPERED)',
}, async () => {
  const problems = [];
  const page = await newPage(problems);
  await page.goto(`${base()}/verify`);
  const clean = await verifyInPage(page, path.join(TAMPERED, 'clean.tar'));
  assert.equal(clean.verdict, 'PASS: all 23 checks passed');
  assert.equal(clean.report, cliVerify(path.join(TAMPERED, 'clean.tar')).stdout);
  const cases = JSON.parse(fs.readFileSync(path.join(TAMPERED, 'cases.json'), 'utf8'));
  assert.ok(cases.length >= 5);
  for (const { name, fails } of cases) {
    const archive = path.join(TAMPERED, `${name}.tar`);
    const cli = cliVerify(archive);
    assert.equal(cli.status, 1, `${name}: teller verify must fail`);
    const found = await verifyInPage(page, archive);
    assert.match(found.verdict, /^FAIL: \d+ of 23 checks failed$/, name);
    assert.ok(found.failed.includes(fails), `${name}: ${fails} is not among the failed checks ${found.failed}`);
    const cliFailed = [...cli.stdout.matchAll(/^FAIL ([a-z-]+):/gm)].map((m) => m[1]);
    assert.deepEqual(found.failed, cliFailed, `${name}: the page and the CLI fail the same checks`);
    assert.equal(found.report, cli.stdout, `${name}: the page's report is the CLI's`);
    if (name === 'forked-checkpoint') {
      await axe(page, 'verify-fail');
      await page.setViewportSize({ width: 360, height: 740 });
      await noHorizontalScroll(page, 'verifier with failures at 360 px');
      await page.screenshot({ path: path.join(OUT, 'public-verify-fail-phone.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  }
  // What is not a record is said so, and nothing is shown as a verdict.
  const junk = path.join(OUT, 'not-a-record.tar');
  fs.writeFileSync(junk, 'this is not a tar file');
  await page.setInputFiles('#file', junk);
  await page.click('#start');
  await page.getByRole('alert').filter({ hasText: 'cannot be read' }).waitFor();
  assert.ok(await page.isHidden('#outcome'));
  assert.deepEqual(problems, []);
});
