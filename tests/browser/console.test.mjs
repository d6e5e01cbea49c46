// The returning officer's console in a real headless Chromium: an officer enrols through the
// one-time link (password and authenticator code), uploads a register (a bad one first), opens,
// removes a member with the keyboard alone (the booth then turns that member away), extends and
// closes the election behind its confirmation pages, signs out and in again; every page is checked
// with axe-core and photographed at phone and desktop widths, and the sign-in page with the
// keyboard alone.
//
//   cd tests/browser && node --test --test-concurrency=1 console.test.mjs      (or ./run.sh)
//
// One election from examples/election.toml, made with `teller election create`; its officer is
// named with `teller officer add`. The one-time codes are RFC 6238's (HMAC-SHA1, 30-second steps,
// 6 digits), computed here from the key the enrolment page shows.
// Environment: as booth.test.mjs (TELLER_BIN, CHROMIUM, TELLER_BROWSER_OUT, TELLER_BROWSER_KEEP).

import { test, before, beforeEach, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { AXE_SOURCE, AXE_TAGS, CHROMIUM, KEEP, LAUNCH_ARGS, OUT, ROOT, TELLER } from './setup.mjs';
import { base32, freshCode, stepNow, totp } from './totp.mjs';

const ID = 'nec-2026';
const NEW_ID = 'branch-2026';
const TITLE = 'National Executive Committee elections 2026';
const EMAIL = 'officer@branch.example.org';
const PASSWORD = 'lantern orchard gravel ferry';
const COOKIE = '__Host-teller-console';
const TIMEOUT = 90_000;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

function teller(args) {
  const result = spawnSync(TELLER, args, { encoding: 'utf8', maxBuffer: 256 << 20 });
  if (result.error) throw result.error;
  assert.equal(result.status, 0, `teller ${args.join(' ')}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const sleep = (ms) => new Promise((r) => { setTimeout(r, ms); });

let dir;
let db;
let url;
let server;
let browser;
let enrolLink;
let secret;
let context;
let page;
let enrolled = false; // the later tests need the officer the first one enrols
let opened = false; // the removal test needs the election open
let removedCommitment; // the removed member's commitment, found on the board after the close
const problems = [];
const findings = []; // every axe violation of any impact, with its page
const reflow = []; // pages that scroll sideways at phone width
const visited = new Set();

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'teller-console-'));
  db = path.join(dir, 'teller.db');
  const at = ['--database', db];
  teller(['election', 'create', '--dealer', path.join(ROOT, 'examples/election.toml'), '--keys', path.join(dir, 'keys'), ...at]);
  // The officer may also create a second election from the form (the later link is the one that
  // works: naming an officer again before they enrol sends a new link).
  teller(['officer', 'add', NEW_ID, EMAIL, '--new', ...at]);
  const added = teller(['officer', 'add', ID, EMAIL, ...at]);
  const token = added.match(/\/console\/enrol\/([A-Za-z0-9_-]+)/);
  assert.ok(token, `officer add printed no enrolment link:\n${added}`);
  const log = path.join(dir, 'serve.log');
  const fd = fs.openSync(log, 'w');
  server = spawn(TELLER, ['serve', '--bind', '127.0.0.1:0', '--keys', path.join(dir, 'keyroot'), ...at], { stdio: ['ignore', fd, fd] });
  fs.closeSync(fd);
  for (let i = 0; !url; i += 1) {
    const found = fs.readFileSync(log, 'utf8').match(/serving on (http:\/\/\S+)/);
    if (found) url = found[1];
    else if (i > 400 || server.exitCode !== null) throw new Error(`teller serve did not start:\n${fs.readFileSync(log, 'utf8')}`);
    else await sleep(50);
  }
  enrolLink = `${url}/console/enrol/${token[1]}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
  context = await newContext();
  page = await context.newPage();
});

beforeEach(() => { problems.length = 0; });

after(async () => {
  if (browser) await browser.close();
  if (server) server.kill('SIGKILL');
  if (dir && !KEEP) fs.rmSync(dir, { recursive: true, force: true });
});

async function newContext() {
  const ctx = await browser.newContext({ viewport: DESKTOP });
  ctx.setDefaultTimeout(15_000);
  ctx.on('page', (p) => {
    p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    p.on('console', (m) => {
      // A form refused with 400 or 401 is a page the test expects; Chromium logs it as an error.
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[01] /.test(m.text())) {
        problems.push(`console (${p.url()}): ${m.text()}`);
      }
    });
  });
  return ctx;
}

// Every console page visited goes through here: axe at desktop width (all findings kept for the
// accessibility test), then a full-page screenshot at desktop and at phone width.
async function look(p, label) {
  visited.add(label);
  await p.setViewportSize(DESKTOP);
  await p.screenshot({ path: path.join(OUT, `console-${label}-desktop.png`), fullPage: true });
  await p.evaluate(AXE_SOURCE);
  const violations = await p.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.join(' '), html: n.html.slice(0, 160) })),
    }));
  }, AXE_TAGS);
  for (const v of violations) findings.push({ page: label, ...v });
  await p.setViewportSize(PHONE);
  await p.screenshot({ path: path.join(OUT, `console-${label}-phone.png`), fullPage: true });
  const { scroll, client } = await p.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  if (scroll > client) reflow.push(`${label}: ${scroll} > ${client} px`);
  await p.setViewportSize(DESKTOP);
}

// The response to the form a click submits (status checked by the caller), with the page loaded.
async function submit(p, button) {
  const [response] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document'),
    button.click(),
  ]);
  await p.waitForLoadState();
  return response;
}

// The status a POST answered; on another, what the page said (its h1 and the paragraph after).
async function expectStatus(response, status, what) {
  if (response.status() === status) return;
  const body = await response.text().catch(() => '');
  const page1 = body.match(/<h1>(.*?)<\/h1>(?:<p>(.*?)<\/p>)?/);
  const said = page1 ? page1.slice(1).filter(Boolean).map((x) => x.replace(/<[^>]+>/g, '')).join(': ') : '';
  assert.fail(`${what}: ${response.request().method()} ${new URL(response.url()).pathname} answered ${response.status()}, not ${status}`
    + ` (${said || 'no page'}; request Origin: ${(await response.request().allHeaders()).origin})`);
}

const heading = (p, name) => p.getByRole('heading', { level: 1, name });

async function fact(p, name) {
  const dd = p.locator('dl.facts dt', { hasText: name }).locator('xpath=following-sibling::dd[1]');
  return (await dd.textContent()).trim();
}

const isFocused = (locator) => locator.evaluate((el) => el === document.activeElement);

async function focusedName(p) {
  return p.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return '';
    const label = el.labels && el.labels[0] ? el.labels[0].textContent : (el.getAttribute('aria-label') || el.textContent);
    return `${el.tagName.toLowerCase()}:${label.trim()}`;
  });
}

async function tabTo(p, locator, limit = 20) {
  for (let i = 0; i < limit && !(await isFocused(locator)); i += 1) await p.keyboard.press('Tab');
  assert.ok(await isFocused(locator), `Tab does not reach ${locator}`);
}

async function eventsBy(p) {
  const table = p.getByRole('table', { name: 'Events log' });
  return table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
}

test('console: enrol through the one-time link with the keyboard, and land on Your elections', { timeout: TIMEOUT }, async () => {
  const response = await page.goto(enrolLink);
  assert.equal(response.status(), 200);
  await heading(page, 'Set up your sign-in').waitFor();
  assert.ok((await page.textContent('main')).includes(EMAIL), 'the page names who is enrolling');
  await page.getByRole('img', { name: /QR code/ }).waitFor();
  assert.equal(await page.getByRole('img', { name: /QR code/ }).locator('svg').count(), 1, 'the QR code is an inline SVG');
  secret = await page.locator('input[type=hidden][name=secret]').inputValue();
  assert.match(secret, /^[A-Z2-7]+$/, 'the key is RFC 4648 base32 without padding');
  assert.ok(base32(secret).length >= 16, 'the key has at least 128 bits');
  const shown = (await page.locator('code.fingerprint').textContent()).trim();
  assert.equal(shown, secret.match(/.{1,4}/g).join(' '), 'the key is shown grouped in 4s');
  await look(page, 'enrol');

  // The keyboard alone: Tab from the top to the password, type, Tab, type, Tab, the code, Enter.
  await page.locator('body').focus();
  const password = page.getByLabel('Password', { exact: true });
  await tabTo(page, password);
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  assert.ok(await isFocused(page.getByLabel('Type the password again')), 'Tab goes to the confirmation');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Tab');
  assert.ok(await isFocused(page.getByLabel('Code the app shows now')), 'Tab goes to the code');
  await page.keyboard.type(await freshCode(secret, -1));
  await page.keyboard.press('Tab');
  assert.equal(await focusedName(page), 'button:Finish and sign in');
  const [posted] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.keyboard.press('Enter'),
  ]);
  await expectStatus(posted, 303, 'enrolment');
  assert.equal(posted.headers().location, '/console');
  enrolled = true;
  await heading(page, 'Your elections').waitFor();
  assert.equal(new URL(page.url()).pathname, '/console');
  await page.getByText(`Signed in as ${EMAIL}`).waitFor();
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  const cookies = await context.cookies(url);
  const session = cookies.find((c) => c.name === COOKIE);
  assert.ok(session, `Chromium kept no ${COOKIE} cookie (it has: ${cookies.map((c) => c.name).join(', ') || 'none'})`);
  assert.equal(session.httpOnly, true, 'HttpOnly');
  assert.equal(session.secure, true, 'Secure');
  assert.equal(session.sameSite, 'Strict', 'SameSite=Strict');
  assert.equal(session.path, '/');
  assert.ok(!session.domain.startsWith('.'), '__Host- cookies have no Domain');
  await page.getByRole('link', { name: TITLE }).waitFor();
  await look(page, 'elections');

  // The link worked once.
  const again = await (await browser.newContext()).newPage();
  const reopened = await again.goto(enrolLink);
  assert.ok(reopened.status() >= 400, `a used enrolment link answers ${reopened.status()}`);
  assert.equal(await again.locator('input[name=secret]').count(), 0, 'a used link shows no key');
  await again.context().close();
  assert.deepEqual(problems, []);
});

test('console: create a small election from the form with the keyboard alone, hand a trustee their share, edit it', { timeout: TIMEOUT }, async () => {
  assert.ok(enrolled, 'the officer did not enrol (see the first test)');
  await page.goto(`${url}/console`);
  await page.locator('body').focus();
  await tabTo(page, page.getByRole('link', { name: 'Create an election' }));
  await Promise.all([page.waitForURL(/\/console\/new$/), page.keyboard.press('Enter')]);
  await heading(page, 'Create an election').waitFor();
  assert.ok((await page.textContent('main')).includes(NEW_ID), 'the id the officer was named for is the form\'s');
  await look(page, 'new');

  // Continue with nothing typed: the problems are listed, each linking to its field.
  await tabTo(page, page.getByRole('button', { name: 'Continue' }), 80);
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.keyboard.press('Enter'),
  ]);
  await expectStatus(refused, 400, 'an empty form');
  await page.waitForLoadState();
  const summary = page.getByRole('alert');
  await summary.getByRole('heading', { name: 'There is a problem' }).waitFor();
  for (const [text, field] of [["Enter the election's title", 'title'], ['Contest 1: enter an id', 'c0-id'], ['Contest 1: enter a title', 'c0-title']]) {
    const link = summary.getByRole('link', { name: text });
    assert.equal(await link.getAttribute('href'), `#${field}`, text);
    assert.equal(await page.locator(`#${field}`).getAttribute('aria-invalid'), 'true', field);
  }
  await summary.getByRole('link', { name: /Contest 1: enter the candidates/ }).waitFor();
  await look(page, 'new-errors');

  // Fill it in with the keyboard: Tab from field to field, type.
  const typeInto = async (label, text, limit = 20) => {
    await tabTo(page, page.getByLabel(label, { exact: true }), limit);
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(text);
  };
  await page.locator('body').focus();
  await typeInto('Title', 'Branch secretary election 2026', 40);
  await typeInto('Contest id', 'secretary', 40);
  await typeInto('Title on the ballot', 'Branch secretary');
  await tabTo(page, page.getByLabel('Counting rule'));
  await page.keyboard.press('ArrowDown'); // Scottish STV → Meek
  await typeInto('Candidates', 'name,gender,slate,statement\nAnn Arbuthnot,W,,"Ten years a shop steward, now secretary."\nBen Bello,M,,\nCai Conti,M,,\n');
  await tabTo(page, page.getByRole('button', { name: 'Continue' }), 40);
  const [checked] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.keyboard.press('Enter'),
  ]);
  await expectStatus(checked, 200, 'the filled form');
  await heading(page, 'Create this election?').waitFor();
  const main = await page.locator('main').innerText();
  assert.match(main, /STV, Meek's method/);
  assert.match(main, /What creating fixes/);
  assert.deepEqual(await page.locator('main ol li').allTextContents(), ['Ann Arbuthnot', 'Ben Bello', 'Cai Conti']);
  await look(page, 'new-confirm');
  await page.locator('body').focus();
  await tabTo(page, page.getByRole('button', { name: 'Create the election' }), 40);
  const [made] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST'),
    page.keyboard.press('Enter'),
  ]);
  await expectStatus(made, 303, 'creating');
  await heading(page, 'Branch secretary election 2026').waitFor();
  await page.getByRole('status').getByText('The election is created.').waitFor();
  const fingerprint = (await page.locator('code.fingerprint').textContent()).trim();
  await look(page, 'overview-new');

  // Trustee 1's share, shown once.
  await page.getByRole('link', { name: "The trustees' shares" }).click();
  await heading(page, /^The trustees' shares/).waitFor();
  await look(page, 'shares');
  await submit(page, page.getByRole('button', { name: "Show trustee 1's share" }));
  await heading(page, "Trustee 1's share").waitFor();
  assert.match((await page.locator('pre.share').textContent()).trim(), /^1 [A-Za-z0-9_-]{43}$/);
  await look(page, 'share-shown');
  await page.getByRole('link', { name: /back to the trustees' shares/ }).click();
  await page.getByText('Trustee 1: handed over').waitFor();
  assert.equal(await page.getByRole('button', { name: "Show trustee 1's share" }).count(), 0);

  // Edit: the form comes back filled in; the title changes, and with it the fingerprint.
  await page.getByRole('link', { name: 'Back to the election' }).click();
  await page.getByRole('link', { name: /^Edit the election/ }).click();
  await heading(page, 'Edit Branch secretary election 2026').waitFor();
  assert.equal(await page.getByLabel('Title', { exact: true }).inputValue(), 'Branch secretary election 2026');
  assert.match(await page.getByLabel('Candidates', { exact: true }).inputValue(), /Ten years a shop steward, now secretary\./);
  await look(page, 'edit');
  await page.getByLabel('Title', { exact: true }).fill('Branch secretary election 2026–27');
  await submit(page, page.getByRole('button', { name: 'Continue' }));
  await heading(page, 'Save these changes?').waitFor();
  await look(page, 'edit-confirm');
  const saved = await submit(page, page.getByRole('button', { name: 'Save the changes' }));
  await expectStatus(saved, 303, 'saving the edit');
  await heading(page, 'Branch secretary election 2026–27').waitFor();
  await page.getByRole('status').getByText('The changes are saved.').waitFor();
  assert.notEqual((await page.locator('code.fingerprint').textContent()).trim(), fingerprint);
  const events = await eventsBy(page);
  assert.deepEqual(events.map((e) => [e[1], e[3]]), [['created', EMAIL], ['share handed over', EMAIL], ['edited', EMAIL]]);
  await page.goto(`${url}/console`);
  assert.deepEqual(problems, []);
});

test('console: a register with a bad row is refused with the row named; a good one is previewed and applied', { timeout: TIMEOUT }, async () => {
  assert.ok(enrolled, 'the officer did not enrol (see the first test)');
  const rows = fs.readFileSync(path.join(ROOT, 'examples/members.csv'), 'utf8').trim().split('\n');
  const good = rows.slice(0, 31); // the header and 30 members
  const bad = rows[31].split(',');
  bad[1] = 'not-a-date';
  await page.getByRole('link', { name: TITLE }).click();
  await heading(page, TITLE).waitFor();
  assert.equal(await fact(page, 'State'), 'Not open yet');
  assert.equal(await fact(page, 'Members on the register'), '0');
  const todo = page.getByRole('heading', { name: 'What you can do now' });
  await todo.waitFor();
  await page.getByRole('link', { name: 'Upload the register' }).waitFor();
  await page.getByRole('link', { name: 'Open the election' }).waitFor();
  assert.equal(await page.getByRole('table', { name: /^Turnout/ }).count(), 0, 'no turnout before opening');
  await look(page, 'overview-created');

  await page.getByRole('link', { name: 'Upload the register' }).click();
  await heading(page, 'Upload the register').waitFor();
  await look(page, 'register');
  const textarea = page.getByLabel('The register (CSV)');
  await textarea.fill(`${[...good, bad.join(',')].join('\n')}\n`);
  const refused = await submit(page, page.getByRole('button', { name: 'Check the register' }));
  await expectStatus(refused, 400, 'a register with a bad row');
  const summary = page.getByRole('alert');
  await summary.getByRole('heading', { name: 'There is a problem' }).waitFor();
  await page.getByRole('heading', { name: /^Rows to put right/ }).waitFor();
  const listed = await page.locator('ol.bad-rows li').allTextContents();
  assert.equal(listed.length, 1, listed.join('\n'));
  assert.match(listed[0], /line 32/);
  assert.match(listed[0], /joined/);
  assert.match(listed[0], /not-a-date/);
  await look(page, 'register-bad');

  await page.getByLabel('The register (CSV)').fill(`${good.join('\n')}\n`);
  const previewed = await submit(page, page.getByRole('button', { name: 'Check the register' }));
  await expectStatus(previewed, 200, 'a good register');
  await heading(page, 'Check the register before it is stored').waitFor();
  assert.match(await page.locator('main').innerText(), /\b30\s+members\b/);
  const eligible = page.getByRole('table', { name: 'Eligible members per contest' });
  assert.equal(await eligible.locator('tbody tr').count(), 4);
  await look(page, 'register-preview');
  const applied = await submit(page, page.getByRole('button', { name: 'Apply this register' }));
  await expectStatus(applied, 303, 'applying the register');
  await heading(page, TITLE).waitFor();
  assert.equal(new URL(page.url()).pathname, `/console/e/${ID}`);
  assert.equal(await fact(page, 'Members on the register'), '30');
  const imported = (await eventsBy(page)).find((r) => r[1] === 'register imported');
  assert.ok(imported, 'the events log has the import');
  assert.equal(imported[3], EMAIL);
  assert.deepEqual(problems, []);
});

test('console: open through its confirmation page; the invitations page offers letters', { timeout: TIMEOUT }, async () => {
  assert.ok(enrolled, 'the officer did not enrol (see the first test)');
  await page.getByRole('link', { name: 'Open the election' }).click();
  await heading(page, `Open the election: ${TITLE}`).waitFor();
  await page.getByText('This cannot be undone.').waitFor();
  assert.match(await page.locator('main').innerText(), /30 members/);
  await look(page, 'open-confirm');
  await expectStatus(await submit(page, page.getByRole('button', { name: 'Open the election' })), 303, 'opening');
  await heading(page, TITLE).waitFor();
  assert.equal(await fact(page, 'State'), 'Open');
  const byContest = page.getByRole('table', { name: 'Turnout by contest' });
  assert.equal(await byContest.locator('tbody tr').count(), 4);
  await page.getByRole('table', { name: 'Turnout by region' }).waitFor();
  await page.getByRole('link', { name: 'Extend the voting window' }).waitFor();
  await page.getByRole('link', { name: 'Close voting now' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'Upload the register' }).count(), 0, 'no register upload once open');
  await look(page, 'overview-open');

  // Invitations: this server has no mail server, so letters only (the e2e suite mails them).
  await page.getByRole('link', { name: 'Invitations: by email, and letters' }).click();
  await heading(page, 'Invitations').waitFor();
  await page.getByText('This server has no mail server set up').waitFor();
  await page.getByRole('button', { name: /Download letters for 30 member/ }).waitFor();
  await look(page, 'invitations');
  await page.getByRole('link', { name: 'Back to the election' }).click();
  await heading(page, TITLE).waitFor();
  opened = true;
  assert.deepEqual(problems, []);
});

// The election is open here and closed by the next test. The member's invitation code comes from
// `teller invitations export` (the console offers letters only without a mail server), exported
// now so that the invitations page above still offers letters for all 30.
test('console: remove a member with the keyboard alone: the errors, the confirmation page, done; the booth then turns them away', { timeout: TIMEOUT }, async () => {
  assert.ok(opened, 'the election did not open (see the test before)');
  const MEMBER = 'M0000003'; // eligible in nec
  const invitations = path.join(dir, 'invitations.csv');
  teller(['invitations', 'export', ID, '--out', invitations, '--database', db]);
  const codes = Object.fromEntries(fs.readFileSync(invitations, 'utf8').trim().split('\n').slice(1)
    .map((line) => line.split(',')));
  assert.ok(codes[MEMBER], `the invitations have no code for ${MEMBER}`);

  // From the overview: Tab to the link, Enter.
  await heading(page, TITLE).waitFor();
  await page.locator('body').focus();
  await tabTo(page, page.getByRole('link', { name: 'Remove a member (suspended, expelled, died)' }), 80);
  await page.keyboard.press('Enter');
  await heading(page, `Remove a member: ${TITLE}`).waitFor();
  assert.equal(new URL(page.url()).pathname, `/console/e/${ID}/remove`);
  assert.match(await page.locator('main').innerText(), /\b0 member\(s\) removed since the election opened\./);
  const member = page.getByLabel('Member number');
  const reason = page.getByLabel('Reason', { exact: true });
  assert.equal(await member.getAttribute('type'), 'text');
  assert.equal(await reason.getAttribute('type'), 'text');
  await look(page, 'remove');

  // Keys only: into the member number, Enter; the answer is a page, so wait for its POST.
  const enter = async (what, status) => {
    const [posted] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.request().resourceType() === 'document'),
      page.keyboard.press('Enter'),
    ]);
    await expectStatus(posted, status, what);
    await page.waitForLoadState();
    return posted;
  };
  // Select what a field holds and type over it (the refused form keeps what was typed).
  const typeOver = async (text) => {
    await page.keyboard.press('Control+A');
    await page.keyboard.type(text);
  };
  const problemsSaid = async () => {
    const summary = page.getByRole('alert');
    await summary.getByRole('heading', { name: 'There is a problem' }).waitFor();
    return (await summary.locator('li').allTextContents()).map((x) => x.trim());
  };

  // Nothing typed.
  await page.locator('body').focus();
  await tabTo(page, member);
  await enter('the empty removal form', 400);
  await heading(page, `Remove a member: ${TITLE}`).waitFor();
  assert.deepEqual(await problemsSaid(), ['Enter the member number', 'Enter the reason']);
  assert.equal(await member.getAttribute('aria-invalid'), 'true');
  assert.equal(await reason.getAttribute('aria-invalid'), 'true');
  await look(page, 'remove-errors');

  // A number not on the register, with a reason: only the number is wrong, and both are kept.
  await page.locator('body').focus();
  await tabTo(page, member);
  await typeOver('M9999999');
  await page.keyboard.press('Tab');
  assert.ok(await isFocused(reason), 'Tab goes from the member number to the reason');
  await typeOver('expelled');
  await enter('a member not on the register', 400);
  assert.deepEqual(await problemsSaid(), ['M9999999 is not on the register']);
  assert.equal(await member.getAttribute('aria-invalid'), 'true');
  assert.equal(await reason.getAttribute('aria-invalid'), null, 'the reason is not marked wrong');
  assert.equal(await member.inputValue(), 'M9999999');
  assert.equal(await reason.inputValue(), 'expelled');
  await look(page, 'remove-unknown');

  // A member on the register, Tab to Continue, Enter: the confirmation page.
  await page.locator('body').focus();
  await tabTo(page, member);
  await typeOver(MEMBER);
  await page.keyboard.press('Tab');
  await typeOver('expelled');
  await page.keyboard.press('Tab');
  assert.equal(await focusedName(page), 'button:Continue');
  await enter('a member to remove', 200);
  await heading(page, `Remove member ${MEMBER}?`).waitFor();
  await page.getByText('This cannot be undone.').waitFor();
  assert.equal(await fact(page, 'Member'), MEMBER);
  assert.equal(await fact(page, 'Reason'), 'expelled');
  assert.equal(await page.getByRole('alert').count(), 0, 'no error summary');
  await look(page, 'remove-confirm');

  const confirm = page.getByRole('button', { name: 'Remove this member' });
  assert.equal(await confirm.evaluate((b) => new URL(b.form.action).pathname), `/console/e/${ID}/remove/confirm`);
  await page.locator('body').focus();
  await tabTo(page, confirm);
  const removed = await enter('removing the member', 303);
  assert.equal(removed.headers().location, `/console/e/${ID}/remove?done=1`);
  await heading(page, `Remove a member: ${TITLE}`).waitFor();
  assert.equal(new URL(page.url()).search, '?done=1');
  const status = page.getByRole('status');
  await status.getByText('The member was removed.').waitFor();
  assert.match(await page.locator('main').innerText(), /\b1 member\(s\) removed since the election opened\./);
  assert.equal(await page.getByRole('alert').count(), 0, 'no error summary');
  await look(page, 'remove-done');

  // Once is enough: the same member again is refused.
  await member.fill(MEMBER);
  await reason.fill('expelled');
  await member.focus();
  await enter('a member removed already', 400);
  assert.deepEqual(await problemsSaid(), [`${MEMBER} was removed already`]);

  await page.getByRole('link', { name: 'Back to the election' }).click();
  await heading(page, TITLE).waitFor();
  const row = (await eventsBy(page)).find((r) => r[1] === 'member removed');
  assert.ok(row, `the events log has the removal:\n${(await eventsBy(page)).map((r) => r.join(' | ')).join('\n')}`);
  assert.equal(row[3], EMAIL, 'the removal is by the officer');
  assert.match(row[2], /expelled/, 'the events log has the reason');
  assert.ok(!row[2].includes(MEMBER), `the events log names no member: ${row[2]}`);

  // The booth: the API refuses the member's right code as removed, and the login form says so.
  const api = await fetch(`${url}/api/elections/${ID}/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ member: MEMBER, code: codes[MEMBER] }),
  });
  assert.equal(api.status, 403);
  const refusal = (await api.json()).error;
  assert.equal(refusal.code, 'removed');
  // Their roster commitments go with it, one per contest they were eligible for.
  const commitments = refusal.commitments || {};
  assert.ok(Object.keys(commitments).length >= 1, JSON.stringify(refusal));
  removedCommitment = Object.values(commitments)[0];
  const text = JSON.parse(fs.readFileSync(path.join(ROOT, 'booth/text.json'), 'utf8')).en;
  assert.match(text.removed, /^The returning officer has removed you from this election's register/);
  const ctx = await browser.newContext({ viewport: PHONE });
  const booth = await ctx.newPage();
  const boothProblems = [];
  booth.on('pageerror', (e) => boothProblems.push(`page error: ${e.message}`));
  booth.on('console', (m) => {
    // The refused login is a 403 the test expects; Chromium logs it as an error.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 403 /.test(m.text())) {
      boothProblems.push(`console (${booth.url()}): ${m.text()}`);
    }
  });
  await booth.goto(`${url}/e/${ID}/#/login`);
  await booth.locator('#member').fill(MEMBER);
  await booth.locator('#code').fill(codes[MEMBER]);
  await booth.locator('#code').press('Enter');
  const said = booth.locator('#login-messages');
  await said.getByText(text.removed).waitFor();
  assert.ok(await said.evaluate((m) => m.contains(document.activeElement)), 'the message takes the focus');
  await said.getByText(text.removed_check).waitFor();
  assert.deepEqual(await said.locator('code.commitment').allTextContents(), Object.values(commitments));
  const finds = said.getByRole('link', { name: text.removed_find });
  assert.equal(await finds.count(), Object.keys(commitments).length);
  await look(booth, 'booth-removed');
  // The removal is published with the issuance log's next batch, or at the close: not yet.
  await finds.first().click();
  await booth.getByText(`No removal entry names member commitment ${removedCommitment} yet.`).waitFor();
  await ctx.close();
  assert.deepEqual(boothProblems, []);
  assert.deepEqual(problems, []);
});

test('console: extend and close through their confirmation pages; the events log names the officer', { timeout: TIMEOUT }, async () => {
  assert.ok(enrolled, 'the officer did not enrol (see the first test)');
  await page.getByRole('link', { name: 'Extend the voting window' }).click();
  await heading(page, `Extend the voting window: ${TITLE}`).waitFor();
  await page.getByText('This cannot be undone.').waitFor();
  await look(page, 'extend-confirm');
  await page.getByLabel('New closing time').fill('now+20d');
  const extendedAt = Date.now();
  await expectStatus(await submit(page, page.getByRole('button', { name: 'Extend the window' })), 303, 'extending');
  await heading(page, TITLE).waitFor();
  const closes = await fact(page, 'Voting closes');
  assert.ok(Math.abs(Date.parse(closes.split(/\s/)[0]) - (extendedAt + 20 * 86_400_000)) < 120_000, `voting closes ${closes}, not now+20d`);

  await page.getByRole('link', { name: 'Close voting now' }).click();
  await heading(page, `Close voting now: ${TITLE}`).waitFor();
  await page.getByText('This cannot be undone.').waitFor();
  await look(page, 'close-confirm');
  await expectStatus(await submit(page, page.getByRole('button', { name: 'Close voting now' })), 303, 'closing');
  await heading(page, TITLE).waitFor();
  assert.notEqual(await fact(page, 'State'), 'Open');
  assert.equal(await page.getByRole('link', { name: 'Close voting now' }).count(), 0);
  await look(page, 'overview-closed');
  // The close published the removal: the removed member's link now finds it.
  if (removedCommitment) {
    const board = await context.newPage();
    await board.goto(`${url}/e/${ID}/board/issuance?member=${encodeURIComponent(removedCommitment)}`);
    await board.getByText(`Removal entries that name member commitment ${removedCommitment}:`).waitFor();
    assert.equal(await board.locator('tbody tr').count(), 1);
    assert.equal((await board.locator('tbody tr td').nth(1).textContent()).trim(), 'member removed');
    await board.close();
  }

  const events = await eventsBy(page);
  for (const what of ['opened', 'extended', 'closed']) {
    const row = events.find((r) => r[1] === what);
    assert.ok(row, `the events log has "${what}":\n${events.map((r) => r.join(' | ')).join('\n')}`);
    assert.equal(row[3], EMAIL, `"${what}" is by the officer`);
  }

  // The trustees' tally: two of the three dealt shares, pasted; the page reloads itself until it
  // is done, then links the results.
  await page.getByRole('link', { name: "The trustees' tally" }).click();
  await heading(page, "The trustees' tally").waitFor();
  await look(page, 'tally');
  for (const [i, trustee] of [[1, 1], [2, 3]]) {
    const share = fs.readFileSync(path.join(dir, 'keys', `trustee-${trustee}.share`), 'utf8').trim();
    await page.getByLabel(`Share ${i} of 2`).fill(share);
  }
  await expectStatus(await submit(page, page.getByRole('button', { name: 'Run the tally' })), 303, 'tallying');
  await page.getByText('the record verifies').waitFor({ timeout: 60_000 });
  await page.getByRole('link', { name: /^Results: / }).first().waitFor();
  await look(page, 'tallied');
  assert.deepEqual(problems, []);
});

test('console: sign out, a wrong code is refused, the right one signs in again', { timeout: TIMEOUT }, async () => {
  assert.ok(enrolled, 'the officer did not enrol (see the first test)');
  const before = (await context.cookies(url)).find((c) => c.name === COOKIE);
  await expectStatus(await submit(page, page.getByRole('button', { name: 'Sign out' })), 303, 'signing out');
  await page.goto(`${url}/console`);
  await heading(page, 'Sign in to run your elections').waitFor();
  assert.equal(new URL(page.url()).pathname, '/console/sign-in');
  // The old session is over on the server, not only forgotten by the browser.
  const old = await fetch(`${url}/console`, { headers: { cookie: `${COOKIE}=${before.value}` }, redirect: 'manual' });
  assert.ok(old.status === 303 || old.status === 401 || old.status === 403, `the old session answers ${old.status}`);
  await look(page, 'sign-in');

  await page.getByLabel('Email address').fill(EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Code from your authenticator app').fill(totp(secret, stepNow() - 10));
  const refused = await submit(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  await expectStatus(refused, 401, 'a wrong code');
  await page.getByRole('alert').getByRole('heading', { name: 'There is a problem' }).waitFor();
  assert.equal(await page.getByLabel('Email address').inputValue(), EMAIL, 'the email is kept');
  assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not sent back');
  await look(page, 'sign-in-error');

  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Code from your authenticator app').fill(await freshCode(secret, +1));
  const accepted = await submit(page, page.getByRole('button', { name: 'Sign in', exact: true }));
  await expectStatus(accepted, 303, 'signing in');
  await heading(page, 'Your elections').waitFor();
  await page.getByText(`Signed in as ${EMAIL}`).waitFor();
  const after = (await context.cookies(url)).find((c) => c.name === COOKIE);
  assert.ok(after && after.value !== before.value, 'a new session, not the old one');
  assert.deepEqual(problems, []);
});

test('console: the sign-in page with the keyboard: Tab order, and Enter in the code field submits', { timeout: TIMEOUT }, async () => {
  const ctx = await newContext();
  const p = await ctx.newPage();
  await p.goto(`${url}/console/sign-in`);
  await heading(p, 'Sign in to run your elections').waitFor();
  await p.locator('body').focus();
  const order = [];
  const typed = { 'input:Email address': EMAIL, 'input:Password': PASSWORD };
  for (let i = 0; i < 15 && order[order.length - 1] !== 'button:Sign in'; i += 1) {
    await p.keyboard.press('Tab');
    const name = await focusedName(p);
    order.push(name);
    if (typed[name]) await p.keyboard.type(typed[name]);
  }
  const fields = order.filter((n) => /^(input|button|textarea|select):/.test(n));
  assert.deepEqual(fields, ['input:Email address', 'input:Password', 'input:Code from your authenticator app', 'button:Sign in'],
    `focus order: ${order.join(' → ')}`);
  await p.keyboard.press('Shift+Tab');
  assert.equal(await focusedName(p), 'input:Code from your authenticator app');
  assert.ok(enrolled, 'the officer did not enrol (see the first test), so no code can sign in');
  await p.keyboard.type(await freshCode(secret, 0));
  const [posted] = await Promise.all([
    p.waitForResponse((r) => r.request().method() === 'POST'),
    p.keyboard.press('Enter'),
  ]);
  await expectStatus(posted, 303, 'Enter in the code field');
  await heading(p, 'Your elections').waitFor();
  await ctx.close();
  assert.deepEqual(problems, []);
});

test('console: an officer adds a passkey and signs in with it (a virtual authenticator over CDP)', { timeout: TIMEOUT }, async () => {
  // WebAuthn takes no IP address as the relying party: this test reaches the server as localhost.
  const local = url.replace('127.0.0.1', 'localhost');
  const KEYS = 'keys@branch.example.org';
  const added = teller(['officer', 'add', ID, KEYS, '--database', db]);
  const token = added.match(/\/console\/enrol\/([A-Za-z0-9_-]+)/)[1];
  const ctx = await newContext();
  const p = await ctx.newPage();
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const cdp = await ctx.newCDPSession(p);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await p.goto(`${local}/console/enrol/${token}`);
  const key = await p.locator('input[name=secret]').getAttribute('value');
  await p.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await p.getByLabel('Type the password again').fill(PASSWORD);
  await p.getByLabel('Code the app shows now').fill(totp(key, stepNow() - 1));
  await p.getByRole('button', { name: 'Finish and sign in' }).click();
  await heading(p, 'Your elections').waitFor();

  await p.getByRole('link', { name: 'Passkeys' }).click();
  await heading(p, 'Passkeys').waitFor();
  await look(p, 'passkeys');
  await p.getByRole('button', { name: 'Add a passkey' }).click();
  await p.getByText('The passkey is added').waitFor();
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  assert.equal(credentials.length, 1, 'the authenticator holds one passkey');
  assert.equal(credentials[0].rpId, 'localhost');

  await p.getByRole('button', { name: 'Sign out' }).click();
  await heading(p, 'Sign in to run your elections').waitFor();
  // No passkey for another email: said, and no session.
  await p.getByLabel('Email address').fill(EMAIL);
  await p.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await p.getByText('there is no passkey for this email').waitFor();
  // The officer's own: signed in without password or code.
  await p.getByLabel('Email address').fill(KEYS);
  await p.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await heading(p, 'Your elections').waitFor();
  await p.getByText(`Signed in as ${KEYS}`).waitFor();
  const session = (await ctx.cookies(local)).find((c) => c.name === COOKIE);
  assert.ok(session && session.httpOnly && session.secure && session.sameSite === 'Strict', 'the passkey session has the same cookie');
  // Without the authenticator (another browser), the passkey cannot be used.
  await cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  await ctx.close();
  assert.deepEqual(problems, []);
});

test('console: axe finds nothing serious on any page, and every page was photographed at both widths', async () => {
  const wanted = ['enrol', 'sign-in', 'sign-in-error', 'elections', 'overview-created', 'overview-open', 'invitations', 'register',
    'register-bad', 'register-preview', 'open-confirm', 'extend-confirm', 'close-confirm',
    'tally', 'tallied', 'remove', 'remove-errors', 'remove-unknown', 'remove-confirm', 'remove-done', 'booth-removed',
    'new', 'new-errors', 'new-confirm', 'overview-new', 'shares', 'share-shown', 'edit', 'edit-confirm'];
  assert.deepEqual(wanted.filter((w) => !visited.has(w)), [], 'pages not visited (an earlier test failed?)');
  const text = (list) => list.map((v) => `${v.page}: [${v.impact}] ${v.id} (${v.help})\n`
    + v.nodes.map((n) => `    ${n.target}  ${n.html}`).join('\n')).join('\n');
  fs.writeFileSync(path.join(OUT, 'console-axe.txt'), findings.length ? `${text(findings)}\n` : 'none\n');
  const lesser = findings.filter((v) => !['serious', 'critical'].includes(v.impact));
  if (lesser.length) console.log(`axe: ${lesser.length} moderate or minor finding(s), not failing:\n${text(lesser)}`);
  if (reflow.length) console.log(`pages that scroll sideways at ${PHONE.width} px:\n  ${reflow.join('\n  ')}`);
  const serious = findings.filter((v) => ['serious', 'critical'].includes(v.impact));
  assert.equal(serious.length, 0, `axe found serious or critical violations:\n${text(serious)}`);
  for (const label of visited) {
    for (const width of ['phone', 'desktop']) {
      assert.ok(fs.existsSync(path.join(OUT, `console-${label}-${width}.png`)), `console-${label}-${width}.png`);
    }
  }
});
