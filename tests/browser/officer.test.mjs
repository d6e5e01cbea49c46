// A returning officer's whole election in a real headless Chromium, as issue 15 asks: named for an
// election not yet made (`teller officer add ID EMAIL --new`), the officer enrols, creates the
// election from the console's form, shows two trustees their shares, uploads a register with a
// bad row (shown, nothing stored) and then a good one with email addresses, sends the
// invitations by email to a mail server this test runs, and opens the election; a member opens
// the booth link from their mail (the member number filled in), types the mailed code and votes;
// the officer watches turnout, removes a member who has not voted (their login is refused) and
// the one who has (their ballot counts), closes, and runs the trustees' tally with the shares the
// page showed; `teller verify` passes on the published record and shows the two removals. Every
// console page visited is checked with axe-core and photographed.
//
//   cd tests/browser && node --test officer.test.mjs      (or ./run.sh)
//
// The mail server is smtp-server (nodemailer's), the mails are read with mailparser.
// Environment: as booth.test.mjs (TELLER_BIN, CHROMIUM, TELLER_BROWSER_OUT, TELLER_BROWSER_KEEP).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

import { AXE_SOURCE, AXE_TAGS, CHROMIUM, KEEP, LAUNCH_ARGS, OUT, ROOT, TELLER } from './setup.mjs';
import { freshCode } from './totp.mjs';

const ID = 'local-2026';
const TITLE = 'Branch officers 2026';
const EMAIL = 'secretary@branch.example.org';
const PASSWORD = 'quarry lantern meadow kettle';
const PUBLIC_URL = 'https://vote.example.org';
const MEMBERS = 6;
const TIMEOUT = 240_000;

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

function teller(args) {
  const result = spawnSync(TELLER, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (result.error) throw result.error;
  return result;
}

let dir;
let db;
let url;
let server;
let smtp;
let browser;
let enrolLink;
const mails = [];
const findings = [];

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teller-officer-'));
  db = path.join(dir, 'teller.db');
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, done) {
      simpleParser(stream).then((mail) => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        done();
      }, done);
    },
  });
  await new Promise((resolve) => { smtp.listen(0, '127.0.0.1', resolve); });
  const smtpPort = smtp.server.address().port;
  const added = teller(['officer', 'add', ID, EMAIL, '--new', '--database', db]);
  assert.equal(added.status, 0, added.stderr);
  assert.match(added.stdout, /may create election local-2026 from the console/);
  enrolLink = added.stdout.match(/(\/console\/enrol\/[A-Za-z0-9_-]+)/)[1];
  const log = path.join(dir, 'serve.log');
  const fd = fs.openSync(log, 'w');
  server = spawn(TELLER, ['serve', '--bind', '127.0.0.1:0', '--database', db, '--keys', path.join(dir, 'keys'),
    '--smtp', `smtp://127.0.0.1:${smtpPort}`, '--mail-from', 'Returning Officer <ro@branch.example.org>',
    '--public-url', PUBLIC_URL], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  for (let i = 0; !url; i += 1) {
    const found = fs.readFileSync(log, 'utf8').match(/serving on (http:\/\/\S+)/);
    if (found) url = found[1];
    else if (i > 400 || server.exitCode !== null) throw new Error(`teller serve did not start:\n${fs.readFileSync(log, 'utf8')}`);
    else await sleep(50);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
});

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGKILL');
  if (smtp) smtp.close();
  if (dir && !KEEP) fs.rmSync(dir, { recursive: true, force: true });
});

async function look(page, label) {
  await page.screenshot({ path: path.join(OUT, `officer-${label}-desktop.png`), fullPage: true });
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  }, AXE_TAGS);
  for (const v of violations) findings.push({ page: label, ...v });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(OUT, `officer-${label}-phone.png`), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
}

const heading = (page, name) => page.getByRole('heading', { level: 1, name });

// `YYYY-MM-DDTHH:MM` in UTC, as a datetime-local field takes it.
const utcMinute = (ms) => new Date(ms).toISOString().slice(0, 16);

async function fact(page, name) {
  const dd = page.locator('dl.facts dt', { hasText: name }).locator('xpath=following-sibling::dd[1]');
  return (await dd.textContent()).trim();
}

// Submits the form `button` is in and waits for the page the answer leads to.
async function press(page, button) {
  await Promise.all([page.waitForLoadState('load'), button.click()]);
  await page.waitForLoadState('load');
}

test('an officer runs a whole election from the browser: form, shares, register, invitations by email, a member votes from the mail, removals, close, tally, record', { timeout: TIMEOUT }, async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));

  // Enrol: password and the authenticator's code.
  await page.goto(`${url}${enrolLink}`);
  const secret = await page.locator('input[type=hidden][name=secret]').inputValue();
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Type the password again').fill(PASSWORD);
  await page.getByLabel('Code the app shows now').fill(await freshCode(secret, 0));
  await press(page, page.getByRole('button', { name: 'Finish and sign in' }));
  await heading(page, 'Your elections').waitFor();

  // Create the election from the form.
  await page.getByRole('link', { name: 'Create an election' }).click();
  await heading(page, 'Create an election').waitFor();
  await page.getByLabel('Title', { exact: true }).fill(TITLE);
  await page.getByLabel('Voting opens (UTC)').fill(utcMinute(Date.now() - 3_600_000));
  await page.getByLabel('Voting closes (UTC)').fill(utcMinute(Date.now() + 86_400_000));
  await page.getByLabel('Contest id').fill('secretary');
  await page.getByLabel('Title on the ballot').fill('Branch secretary');
  await page.getByLabel('Counting rule').selectOption('irv');
  await page.getByLabel('Candidates', { exact: true }).fill('name,gender,slate,statement\nAnn Arbuthnot,W,,"Shop steward for ten years, now for the branch."\nBen Bello,M,,\nCai Conti,M,,\n');
  await page.getByLabel('Joined before (the freeze date)').fill('2030-01-01');
  await page.getByLabel('Not members in arrears').uncheck();
  await press(page, page.getByRole('button', { name: 'Continue' }));
  await heading(page, 'Create this election?').waitFor();
  await press(page, page.getByRole('button', { name: 'Create the election' }));
  await heading(page, TITLE).waitFor();
  const fingerprint = (await page.locator('code.fingerprint').textContent()).trim();

  // Two trustees' shares, each shown once.
  const shares = [];
  await page.getByRole('link', { name: "The trustees' shares" }).click();
  for (const trustee of [1, 2]) {
    await press(page, page.getByRole('button', { name: `Show trustee ${trustee}'s share` }));
    shares.push((await page.locator('pre.share').textContent()).trim());
    await page.getByRole('link', { name: /back to the trustees' shares/ }).click();
  }
  assert.equal(fs.existsSync(path.join(dir, 'keys', ID, 'trustee-1.share')), false, 'a share shown is deleted');
  await page.getByRole('link', { name: 'Back to the election' }).click();

  // The register, each member with an address of their own.
  const rows = fs.readFileSync(path.join(ROOT, 'examples/members.csv'), 'utf8').trim().split('\n').slice(0, MEMBERS + 1);
  // Everyone joined before the freeze and arrears do not count here: those in good standing vote.
  const eligible = rows.slice(1).filter((row) => row.split(',')[2] === 'yes').length;
  const register = rows.map((row, i) => `${row},${i === 0 ? 'email' : `member${i}@members.example.org`}`).join('\n');
  await page.getByRole('link', { name: 'Upload the register' }).click();
  // A bad row first: shown with its line, nothing stored.
  await page.getByLabel('The register (CSV)').fill(`${register}\nM0099999,not-a-date,yes,no,1980-01-01,Wales,no,x@members.example.org\n`);
  await press(page, page.getByRole('button', { name: 'Check the register' }));
  const bad = await page.locator('ol.bad-rows li').allTextContents();
  assert.equal(bad.length, 1, bad.join('\n'));
  assert.match(bad[0], new RegExp(`line ${MEMBERS + 2}.*not-a-date`));
  await page.getByRole('link', { name: 'Back to the election' }).click();
  assert.equal(await fact(page, 'Members on the register'), '0', 'nothing was stored');
  await page.getByRole('link', { name: 'Upload the register' }).click();
  await page.getByLabel('The register (CSV)').fill(`${register}\n`);
  await press(page, page.getByRole('button', { name: 'Check the register' }));
  await press(page, page.getByRole('button', { name: 'Apply this register' }));
  await heading(page, TITLE).waitFor();
  assert.equal(await fact(page, 'Members on the register'), String(MEMBERS));

  // Invitations by email: progress until done, one mail per member.
  await page.getByRole('link', { name: 'Invitations: by email, and letters' }).click();
  await heading(page, 'Invitations').waitFor();
  await look(page, 'invitations');
  await press(page, page.getByRole('button', { name: `Email ${MEMBERS} member(s) who have no invitation yet` }));
  await page.getByText(/^Last mailing: /).waitFor({ timeout: 60_000 });
  await look(page, 'invitations-sent');
  assert.equal(mails.length, MEMBERS, `${mails.length} mails`);
  const invited = mails.map(({ to, mail }) => {
    const text = mail.text;
    const member = text.match(/Member number \/ Rhif aelodaeth:\s*(\S+)/)[1];
    const code = text.match(/Invitation code \/ Cod gwahoddiad:\s*(\S+)/)[1];
    const link = text.match(/Vote here \/ Pleidleisiwch yma:\s*(\S+)/)[1];
    assert.deepEqual(to, [`member${Number(member.slice(1))}@members.example.org`]);
    assert.ok(text.includes(fingerprint), 'the mail has the fingerprint');
    assert.ok(!link.includes(code), 'the code is never in the link');
    assert.ok(mail.html && mail.html.includes(member), 'an HTML part too');
    return { member, code, link };
  }).sort((a, b) => a.member.localeCompare(b.member));

  // Open.
  await page.getByRole('link', { name: 'Back to the election' }).click();
  await page.getByRole('link', { name: 'Open the election' }).click();
  await press(page, page.getByRole('button', { name: /^Open/ }));
  await heading(page, TITLE).waitFor();
  assert.equal(await fact(page, 'State'), 'Open');

  // A member votes from the mail's link: this server stands in for the public address.
  const voter = invited[0];
  assert.equal(voter.link, `${PUBLIC_URL}/e/${ID}/?member=${voter.member}`);
  const booth = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
  booth.on('pageerror', (e) => problems.push(`booth page error: ${e.message}`));
  await booth.goto(voter.link.replace(PUBLIC_URL, url));
  await booth.locator('#start').click();
  assert.equal(await booth.locator('#member').inputValue(), voter.member, 'the member number is filled in');
  await booth.locator('#code').fill(voter.code);
  await booth.locator('#log-in').click();
  await booth.waitForURL(/#\/contests$/, { timeout: 30_000 });
  await booth.evaluate(() => { window.location.hash = '#/rank/secretary'; });
  await booth.locator('#cand-1 button[data-act="add"]').click();
  await booth.locator('#to-review').click();
  await booth.locator('#cast').click();
  await booth.locator('.tracker-code').first().waitFor({ timeout: 30_000 });
  await booth.context().close();

  // Turnout shows the ballot (counts only).
  await page.reload();
  const turnout = page.getByRole('table', { name: 'Turnout by contest' });
  await turnout.waitFor();
  assert.match(await turnout.locator('tbody tr').first().innerText(), new RegExp(`^Branch secretary\\s+${eligible}\\s+1\\s+1$`));

  // Remove a member who has not voted, then the one who has.
  const away = invited[1];
  for (const [who, reason] of [[away, 'suspended'], [voter, 'expelled']]) {
    await page.goto(`${url}/console/e/${ID}/remove`);
    await page.getByLabel('Member number').fill(who.member);
    await page.getByLabel('Reason').fill(reason);
    await press(page, page.getByRole('button', { name: 'Continue' }));
    await press(page, page.getByRole('button', { name: 'Remove this member' }));
    await page.getByText('The member was removed.').waitFor();
  }
  const refused = await fetch(`${url}/api/elections/${ID}/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ member: away.member, code: away.code }),
  });
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).error.code, 'removed');

  // Close, then the trustees' tally with the two shares the page showed.
  await page.goto(`${url}/console/e/${ID}/close`);
  await press(page, page.getByRole('button', { name: 'Close voting now' }));
  await page.getByRole('link', { name: "The trustees' tally" }).click();
  await page.getByLabel('Share 1 of 2').fill(shares[0]);
  await page.getByLabel('Share 2 of 2').fill(shares[1]);
  await press(page, page.getByRole('button', { name: 'Run the tally' }));
  await page.getByText('the record verifies').waitFor({ timeout: 120_000 });
  await look(page, 'tallied');

  // The published record verifies, shows the two removals and counts the removed voter's ballot.
  const record = path.join(dir, 'record.tar');
  const download = await fetch(`${url}/api/elections/${ID}/record`);
  assert.equal(download.status, 200);
  fs.writeFileSync(record, Buffer.from(await download.arrayBuffer()));
  const verified = teller(['verify', record]);
  assert.equal(verified.status, 0, verified.stdout + verified.stderr);
  assert.match(verified.stdout, /verify: PASS/);
  assert.match(verified.stdout, /removals: secretary: 2 member\(s\) removed after opening, no pass issued to them after; 1 of them held a pass from before/);
  const row = verified.stdout.split('\n').find((l) => l.split(/\s+/)[0] === 'secretary').split(/\s+/);
  // contest eligible issued reissued cast counted valid invalid removed
  assert.deepEqual([row[1], row[4], row[5], row[8]], [String(eligible), '1', '1', '2'], verified.stdout);
  await context.close();
  assert.deepEqual(problems, []);
  const serious = findings.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.deepEqual(serious, [], 'axe: no serious or critical violation');
});
