// Teller's voting booth: glue only. Every protocol step (pass requests, finalising and checking
// passes, sealing, signing, checking promises, proofs and audits) is Teller's Rust core compiled
// to WebAssembly (wasm/, src/core/booth/), called through `core.call`. This file fetches,
// draws randomness with crypto.getRandomValues, keeps state in sessionStorage and draws the
// pages. docs/design/booth.md describes the journey; docs/API.md the calls.
'use strict';

(() => {
  const body = document.body;
  const main = document.getElementById('main');
  const announcer = document.getElementById('announce');

  // ---------------------------------------------------------------- text catalogue
  let CATALOGUE = null;
  let lang = 'en';

  function chooseLanguage() {
    const saved = localStorage.getItem('teller:lang');
    if (saved && CATALOGUE[saved]) return saved;
    return (navigator.language || '').toLowerCase().startsWith('cy') ? 'cy' : 'en';
  }

  function setLanguage(next) {
    lang = next;
    localStorage.setItem('teller:lang', next);
    document.documentElement.lang = next;
    const skip = document.querySelector('.skip');
    if (skip) skip.textContent = t('skip');
  }

  // `{name}` and `{n, plural, one {…} other {…}}` (with `#` for the number).
  function t(key, vars = {}) {
    const table = CATALOGUE[lang] && CATALOGUE[lang][key] !== undefined ? CATALOGUE[lang] : CATALOGUE.en;
    let text = table[key];
    if (text === undefined) return key;
    text = text.replace(/\{(\w+), plural,((?:\s*\w+\s*\{[^{}]*\})+)\s*\}/g, (_, name, branches) => {
      const n = Number(vars[name]);
      const forms = {};
      branches.replace(/(\w+)\s*\{([^{}]*)\}/g, (__, category, form) => { forms[category] = form; });
      const category = new Intl.PluralRules(lang === 'cy' ? 'cy' : 'en').select(n);
      return (forms[category] ?? forms.other ?? '').replace(/#/g, String(n));
    });
    return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  }

  // ---------------------------------------------------------------- the core, in WebAssembly
  let core = null;

  async function loadCore() {
    const response = await fetch(body.dataset.wasm, { integrity: body.dataset.wasmIntegrity });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { instance } = await WebAssembly.instantiateStreaming(response, {});
    const wasm = instance.exports;
    const encoder = new TextEncoder();
    const decoder = new TextDecoder();
    return {
      // One JSON request in, one JSON answer out: `{ok}` or `{error: {code, message}}`.
      call(op, args) {
        const request = encoder.encode(JSON.stringify({ op, ...args }));
        const ptr = wasm.booth_alloc(request.length);
        new Uint8Array(wasm.memory.buffer, ptr, request.length).set(request);
        const packed = wasm.booth_call(ptr, request.length);
        const at = Number(packed >> 32n);
        const length = Number(packed & 0xffffffffn);
        const answer = JSON.parse(decoder.decode(new Uint8Array(wasm.memory.buffer, at, length)));
        wasm.booth_free(at, length);
        if (answer.error) {
          const error = new Error(answer.error.message);
          error.code = answer.error.code;
          throw error;
        }
        return answer.ok;
      },
    };
  }

  function randomBase64url(length) {
    const bytes = new Uint8Array(length);
    crypto.getRandomValues(bytes);
    let binary = '';
    bytes.forEach((b) => { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  // ---------------------------------------------------------------- the server
  class Unreachable extends Error {}

  // A busy server (its login queue full: 503; too many of this address's logins being checked at
  // once: 429 for a second or two) says when to come back: wait and send the same request again,
  // a few times, before showing the member anything. Every call is safe to repeat (PROTOCOL §14).
  async function api(path, options = {}) {
    for (let tries = 1; ; tries++) {
      const answer = await apiOnce(path, options);
      const busy = answer.status === 503 || (answer.status === 429 && answer.retryAfter > 0 && answer.retryAfter <= 2);
      if (!busy || tries >= 5) return answer;
      await new Promise((done) => setTimeout(done, Math.min(Math.max(answer.retryAfter, 1), 5) * 1000));
    }
  }

  // `token` only for the issuer's calls; a cast never carries one (nor any cookie).
  async function apiOnce(path, { method = 'GET', json, token, text = false } = {}) {
    const headers = {};
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    let response;
    try {
      response = await fetch(path, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch (e) {
      throw new Unreachable(String(e));
    }
    const raw = await response.text().catch(() => '');
    let data = null;
    if (!text) {
      try { data = JSON.parse(raw); } catch (e) { data = null; }
    }
    return {
      status: response.status,
      ok: response.ok,
      data,
      raw,
      retryAfter: Number(response.headers.get('Retry-After') || 0),
      code: data && data.error ? data.error.code : null,
      message: data && data.error ? data.error.message : null,
    };
  }

  // ---------------------------------------------------------------- state
  const electionId = decodeURIComponent((location.pathname.match(/^\/e\/([^/]+)/) || [])[1] || '');
  const storeKey = `teller:${electionId}`;
  let election = null; // {summary, manifestText, manifest, fingerprint}
  let state = load();

  function load() {
    try { return JSON.parse(sessionStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function save() { sessionStorage.setItem(storeKey, JSON.stringify(state)); }
  function contestOf(id) { return election.manifest.contests.find((c) => c.id === id); }

  // ---------------------------------------------------------------- drawing
  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = value;
      else if (name === 'on') Object.entries(value).forEach(([ev, fn]) => node.addEventListener(ev, fn));
      else if (name === 'class') node.className = value;
      else node.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Replaces the page's content and moves focus to its heading, so a screen reader hears the
  // new step and keyboard users continue from the top of it.
  function show(title, ...content) {
    const heading = el('h1', { tabindex: '-1', id: 'page-title', text: title });
    main.replaceChildren(heading, ...content);
    document.title = election && title !== election.summary.title ? `${title} — ${election.summary.title}` : title;
    heading.focus();
  }

  function notice(kind, text) {
    return el('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
  }

  // A message that takes focus, so a keyboard or screen-reader user lands on what went wrong.
  function focusable(node) {
    node.tabIndex = -1;
    return node;
  }

  function announce(text) {
    announcer.textContent = '';
    // A fresh text node after a tick, so the same message twice is still announced.
    setTimeout(() => { announcer.textContent = text; }, 50);
  }

  function button(label, onClick, attrs = {}) {
    return el('button', { type: 'button', ...attrs, on: { click: onClick } }, label);
  }

  function link(label, hash, attrs = {}) {
    return el('a', { href: hash, ...attrs }, label);
  }

  function waitText(seconds) {
    return seconds >= 90 ? t('wait_minutes', { n: Math.ceil(seconds / 60) }) : t('wait_seconds', { n: Math.max(1, seconds) });
  }

  function groupHex(hex) { return hex.replace(/(.{4})/g, '$1 ').trim(); }

  function formatTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    return new Intl.DateTimeFormat(lang === 'cy' ? 'cy-GB' : 'en-GB', {
      weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short',
    }).format(date);
  }

  function download(name, data) {
    const blob = new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' });
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // ---------------------------------------------------------------- the pages
  function route() {
    const hash = location.hash.replace(/^#\/?/, '');
    if (!electionId) return pageList();
    if (!election) return;
    const [view, arg] = hash.split('/');
    const needsPasses = ['contests', 'rank', 'review', 'cast', 'audit'];
    if (needsPasses.includes(view) && !state.passes) return go('login');
    switch (view) {
      case 'login': return pageLogin();
      case 'contests': return pageContests();
      case 'rank': return pageRank(decodeURIComponent(arg || ''));
      case 'review': return pageReview();
      case 'cast': return pageCast();
      case 'audit': return pageAudit();
      case 'receipt': return pageReceipt();
      case 'check': return pageCheck();
      default: return pageStart();
    }
  }

  function go(view) {
    const next = `#/${view}`;
    if (location.hash === next) route();
    else location.hash = next;
  }

  function languageSwitch() {
    return el('nav', { class: 'languages', 'aria-label': t('language') },
      Object.keys(CATALOGUE).map((code) => button(CATALOGUE[code].lang_name, () => { setLanguage(code); route(); }, {
        lang: code, 'aria-pressed': String(code === lang),
      })));
  }

  async function pageList() {
    const answer = await api('/api/elections').catch(() => null);
    const list = answer && answer.ok ? answer.data : [];
    show(t('elections_title'), languageSwitch(),
      list.length === 0 ? el('p', {}, t('no_elections')) : el('ul', { class: 'elections' },
        list.map((e) => el('li', {}, el('a', { href: `/e/${encodeURIComponent(e.id)}/` }, e.title),
          ' — ', t(`state_${e.state}`), ' · ', el('a', { href: `/e/${encodeURIComponent(e.id)}/board` }, t('board'))))));
  }

  function pageStart() {
    const { summary, manifest } = election;
    // Open and inside the window (the box refuses passes outside it); `closes` is the closing
    // time in force, later than the manifest's if the returning officer extended it.
    const open = summary.voting;
    const parts = [
      languageSwitch(),
      el('dl', { class: 'facts' },
        el('dt', {}, t('state')), el('dd', { id: 'election-state' }, t(`state_${summary.state === 'open' && !open ? 'created' : summary.state}`)),
        el('dt', {}, t('fingerprint')), el('dd', {}, el('code', { class: 'fingerprint', id: 'fingerprint' }, groupHex(election.fingerprint)))),
      el('p', { class: 'help' }, t('fingerprint_help')),
      el('p', {}, t('window', { opens: formatTime(manifest.window.opens), closes: formatTime(summary.closes) })),
      el('p', {}, t(`revote_${manifest.revote}`)),
    ];
    if (open) parts.push(el('p', {}, link(t('start_voting'), '#/login', { class: 'button primary', id: 'start' })));
    else parts.push(notice('info', summary.state === 'created' || Date.parse(manifest.window.opens) > Date.now() ? t('not_open_yet') : t('closed')));
    parts.push(
      el('h2', {}, t('how_title')),
      el('ul', {}, el('li', {}, t('how_1')), el('li', {}, t('how_2')), el('li', {}, t('how_3'))),
      el('p', {}, link(t('check_receipt'), '#/check')),
      el('p', {}, el('a', { href: `/e/${encodeURIComponent(summary.id)}/board`, id: 'board-link' }, t('board'))),
      el('p', {}, el('a', { href: '/' }, t('all_elections'))),
      el('details', { class: 'scrutineers' }, el('summary', {}, t('code_hash')),
        el('code', { class: 'hash', id: 'code-hash' }, body.dataset.codeHash)),
    );
    show(summary.title, ...parts);
  }

  function pageLogin() {
    if (!election.summary.voting) return pageStart();
    const messages = el('div', { id: 'login-messages' });
    const member = el('input', { id: 'member', name: 'member', autocomplete: 'username', required: true, spellcheck: 'false', autocapitalize: 'characters' });
    const code = el('input', { id: 'code', name: 'code', autocomplete: 'one-time-code', required: true, spellcheck: 'false', autocapitalize: 'characters', 'aria-describedby': 'code-hint' });
    const prefill = new URLSearchParams(location.search).get('member');
    if (prefill) member.value = prefill;
    const submit = el('button', { type: 'submit', class: 'primary', id: 'log-in' }, t('log_in'));
    const form = el('form', { novalidate: true, on: { submit: (e) => { e.preventDefault(); login(member.value, code.value, messages, submit); } } },
      el('p', {}, t('login_intro')),
      el('div', { class: 'field' }, el('label', { for: 'member' }, t('member_number')), member),
      el('div', { class: 'field' }, el('label', { for: 'code' }, t('invitation_code')), code,
        el('p', { class: 'help', id: 'code-hint' }, t('code_hint'))),
      submit);
    const file = el('input', { type: 'file', id: 'receipt-file', accept: '.json,application/json', on: { change: () => loadReceiptFile(file, messages) } });
    show(t('login_title'), messages, form,
      el('details', { class: 'returning' }, el('summary', {}, t('load_receipt_title')),
        el('p', {}, t('load_receipt_help')),
        el('div', { class: 'field' }, el('label', { for: 'receipt-file' }, t('load_receipt')), file)),
      el('p', {}, link(t('home'), '#/')));
  }

  async function readReceipt(text) {
    const receipt = JSON.parse(text);
    if (receipt.receipt !== 'teller-receipt-v1' || !Array.isArray(receipt.ballots)) throw new Error(t('receipt_unreadable'));
    if (receipt.fingerprint !== election.fingerprint) throw new Error(t('receipt_wrong_election'));
    return receipt;
  }

  async function loadReceiptFile(input, messages) {
    try {
      const receipt = await readReceipt(await input.files[0].text());
      state.secret = receipt.secret;
      state.last = Object.fromEntries(receipt.ballots.map((b) => [b.contest, b.seq]));
      state.receipts = Object.fromEntries(receipt.ballots.map((b) => [b.contest, b]));
      save();
      messages.replaceChildren(notice('ok', t('receipt_loaded')));
    } catch (e) {
      messages.replaceChildren(notice('error', e instanceof SyntaxError ? t('receipt_unreadable') : e.message));
    }
  }

  async function login(member, code, messages, submit) {
    submit.disabled = true;
    messages.replaceChildren(notice('info', t('logging_in')));
    try {
      const answer = await api(`/api/elections/${encodeURIComponent(electionId)}/login`, {
        method: 'POST', json: { member: member.trim(), code: code.trim() },
      });
      if (!answer.ok) {
        messages.replaceChildren(focusable(notice('error', loginError(answer))));
        if (answer.code === 'removed') messages.append(...removalCheck(answer.data.error.commitments || {}));
        messages.firstChild.focus();
        return;
      }
      // Another member in the same tab starts afresh: nothing of the last member's secret,
      // passes, rankings or receipts carries over. A receipt file loaded before this login (no
      // member yet) is kept.
      const who = member.trim().toUpperCase();
      if (state.member && state.member !== who) state = {};
      state.member = who;
      state.token = answer.data.token;
      state.expires = answer.data.expires;
      state.contests = answer.data.contests;
      state.refusedContests = [];
      if (!state.secret) state.secret = randomBase64url(16);
      save();
      if (state.contests.length === 0) {
        show(t('contests_title'), notice('info', t('no_contests')), el('p', {}, link(t('home'), '#/')));
        return;
      }
      messages.replaceChildren(notice('info', t('getting_passes')));
      await fetchPasses();
      go('contests');
    } catch (e) {
      if (e instanceof IssuedBefore) {
        pageIssuedBefore(e);
        return;
      }
      messages.replaceChildren(focusable(notice('error', e instanceof Unreachable ? t('unreachable') : e.message)));
      messages.firstChild.focus();
    } finally {
      submit.disabled = false;
    }
  }

  // A removed member's own removal entries: the server gives their roster commitment in each
  // contest (only to the holder of their code), and the board lists the removals that name it.
  function removalCheck(commitments) {
    const contests = Object.keys(commitments);
    if (!contests.length) return [];
    const board = `/e/${encodeURIComponent(electionId)}/board/issuance`;
    return [
      el('p', {}, t('removed_check')),
      el('ul', {}, ...contests.map((c) => el('li', {},
        `${(contestOf(c) || { title: c }).title}: `,
        el('code', { class: 'commitment' }, commitments[c]), ' ',
        el('a', { href: `${board}?member=${encodeURIComponent(commitments[c])}` }, t('removed_find'))))),
    ];
  }

  function loginError(answer) {
    switch (answer.code) {
      case 'bad_login': return t('bad_login');
      case 'throttled': return t('throttled', { wait: waitText(answer.retryAfter) });
      case 'not_open': return t('not_open');
      case 'removed': return t('removed');
      default: return t('server_error', { code: answer.code || answer.status });
    }
  }

  // Passes for every contest, right after login and before ranking, so that getting a pass and
  // casting are not back to back (DESIGN.md's timing link). A contest whose pass was issued
  // before (another device, or a secret this browser no longer has) is `already_issued`: the
  // member is told so and, as the manifest's `reissue` policy allows, offered a new pass.
  async function fetchPasses() {
    const requests = core.call('pass_requests', { manifest: election.manifestText, secret: state.secret, contests: state.contests });
    const answers = [];
    const issuedBefore = [];
    for (const request of requests) {
      const answer = await requestPass(request);
      if (answer.code === 'already_issued') issuedBefore.push(request);
      else answers.push(answer.data);
    }
    if (issuedBefore.length) throw new IssuedBefore(issuedBefore, answers);
    keepPasses(answers);
  }

  // A re-issue the issuer refused for one contest: the member may still get the others.
  class ReissueRefused extends Error {}

  class IssuedBefore extends Error {
    constructor(requests, answers) {
      super('already_issued');
      this.requests = requests;
      this.answers = answers;
    }
  }

  // One pass request; `already_issued` is returned to the caller, every other refusal thrown
  // with the member's words for it.
  async function requestPass(request) {
    const answer = await api(`/api/elections/${encodeURIComponent(electionId)}/passes`, {
      method: 'POST', json: request, token: state.token,
    });
    if (answer.ok || answer.code === 'already_issued') return answer;
    const contest = contestOf(request.contest).title;
    if (answer.code === 'unauthorized') throw new Error(t('session_expired'));
    if (answer.code === 'not_open') throw new Error(t('not_open'));
    if (answer.code === 'removed') throw new Error(t('removed'));
    // Under `by: member` the only refusal the booth can meet is the limit; under `officer` it may
    // also be a missing grant, which the member cannot tell apart from here.
    if (answer.code === 'no_reissue') {
      throw new ReissueRefused(t(election.manifest.reissue.by === 'officer' ? 'reissue_not_granted' : 'reissue_refused', { contest }));
    }
    throw new Error(t('server_error', { code: answer.code || answer.status }));
  }

  function keepPasses(answers) {
    const passes = core.call('finalize_passes', { manifest: election.manifestText, secret: state.secret, answers });
    state.passes = Object.fromEntries(passes.map((p) => [p.contest, p.pass]));
    state.rankings = state.rankings || {};
    state.abstain = state.abstain || {};
    save();
  }

  // The member already had a pass for some contests (PROTOCOL §5, §8: re-issue). Say so plainly,
  // and offer a new pass where the policy lets the member ask (`by: member`), or where the
  // returning officer may have granted one (`by: officer`; the issuer refuses without a grant).
  function pageIssuedBefore(issued) {
    const policy = election.manifest.reissue || { by: 'officer', limit: 0 };
    const contests = issued.requests.map((r) => contestOf(r.contest).title).join(', ');
    const messages = el('div', { id: 'reissue-messages' });
    const parts = [notice('info', t('issued_elsewhere', { contests }))];
    if (policy.limit > 0) {
      parts.push(el('p', {}, t(policy.by === 'member' ? 'reissue_member_help' : 'reissue_officer_help')));
      const again = button(t('get_new_pass'), async () => {
        again.disabled = true;
        messages.replaceChildren(notice('info', t('getting_new_pass')));
        try {
          // Each contest on its own: an officer may grant a new pass for some contests only, and
          // a refusal in one must not cost the member the others.
          const more = [];
          const refused = [];
          for (const request of issued.requests) {
            try {
              more.push((await requestPass({ ...request, reissue: true })).data);
            } catch (e) {
              if (!(e instanceof ReissueRefused)) throw e;
              refused.push(e.message);
            }
          }
          if (!more.length) {
            messages.replaceChildren(...refused.map((text) => notice('error', text)));
            focusable(messages.firstChild).focus();
            return;
          }
          keepPasses([...issued.answers, ...more]);
          // Only the contests this browser holds a pass for can be ranked and cast here.
          state.contests = state.contests.filter((id) => state.passes[id]);
          state.refusedContests = refused;
          save();
          go('contests');
        } catch (e) {
          messages.replaceChildren(focusable(notice('error', e instanceof Unreachable ? t('unreachable') : e.message)));
          messages.firstChild.focus();
        } finally {
          again.disabled = false;
        }
      }, { class: policy.by === 'member' ? 'primary' : '', id: 'get-new-pass' });
      parts.push(messages, again);
    } else {
      parts.push(el('p', {}, t('reissue_none')));
    }
    show(t('issued_elsewhere_title'), ...parts, el('p', {}, link(t('home'), '#/')));
  }

  function rankingState(id) {
    const ranking = (state.rankings && state.rankings[id]) || [];
    if (ranking.length) return t('contest_ranked', { n: ranking.length });
    if (state.abstain && state.abstain[id]) return t('contest_abstain');
    return t('contest_untouched');
  }

  function pageContests() {
    const items = state.contests.map((id) => {
      const contest = contestOf(id);
      return el('li', { class: 'contest' },
        el('a', { href: `#/rank/${encodeURIComponent(id)}` }, contest.title),
        el('span', { class: 'state' }, ` — ${rankingState(id)}`));
    });
    const refused = (state.refusedContests || []).map((text) => notice('error', text));
    show(t('contests_title'),
      ...refused,
      el('p', {}, t('contests_intro', { count: state.contests.length })),
      el('ul', { class: 'contests' }, items),
      el('p', {}, link(t('review_and_cast'), '#/review', { class: 'button primary', id: 'to-review' })));
  }

  function ruleSentences(contest) {
    const sentences = [contest.seats === 1 ? t('rule_one') : t('rule_many', { seats: contest.seats })];
    if (contest.minimum) {
      sentences.push(t('rule_minimum', { seats: contest.minimum.seats, attribute: contest.minimum.attribute, value: contest.minimum.value }));
    }
    return sentences.join(' ');
  }

  function pageRank(id) {
    const contest = contestOf(id);
    if (!contest || !state.contests.includes(id)) return go('contests');
    const total = contest.candidates.length;
    const ranking = () => state.rankings[id] || [];
    const name = (c) => contest.candidates[c].name;
    const status = el('p', { class: 'status', id: 'rank-status', role: 'status' });
    const ordered = el('div', { id: 'ranking' });
    const list = el('ul', { class: 'candidates', 'aria-labelledby': 'candidates-heading' });
    const abstainNote = el('div');

    function setRanking(next, focusAfter, message) {
      state.rankings[id] = next;
      if (next.length) delete state.abstain[id];
      save();
      draw(focusAfter);
      if (message) announce(message);
    }

    function describe(c) {
      const k = ranking().indexOf(c);
      return k < 0 ? t('not_ranked') : t('preference_of', { k: k + 1, total });
    }

    function draw(focusAfter) {
      const current = ranking();
      status.textContent = t('status_ranked', { n: current.length, total });
      ordered.replaceChildren(current.length
        ? el('ol', { class: 'ranking' }, current.map((c) => el('li', {}, name(c))))
        : el('p', {}, t('nobody_ranked')));
      abstainNote.replaceChildren(state.abstain[id] ? notice('info', t('abstained')) : '');
      list.replaceChildren(...contest.candidates.map((candidate, c) => {
        const k = current.indexOf(c);
        const ranked = k >= 0;
        const rowId = `cand-${c}`;
        const meta = [];
        if (candidate.slate) meta.push(`${t('slate')}: ${candidate.slate}`);
        if (candidate.gender) meta.push(`${t('gender')}: ${candidate.gender}`);
        const controls = ranked ? [
          button(t('move_up'), () => move(c, -1), { 'data-act': 'up', 'data-c': c, 'aria-label': t('move_up_label', { name: candidate.name }), disabled: k === 0 }),
          button(t('move_down'), () => move(c, 1), { 'data-act': 'down', 'data-c': c, 'aria-label': t('move_down_label', { name: candidate.name }), disabled: k === current.length - 1 }),
          button(t('remove'), () => remove(c), { 'data-act': 'remove', 'data-c': c, 'aria-label': t('remove_label', { name: candidate.name }) }),
        ] : [
          button(t('add_next', { k: current.length + 1 }), () => add(c), { 'data-act': 'add', 'data-c': c, class: 'add', 'aria-label': t('add_next_label', { name: candidate.name, k: current.length + 1 }) }),
        ];
        const number = el('input', {
          type: 'number', inputmode: 'numeric', min: '1', max: String(total), id: `num-${c}`, 'data-act': 'number', 'data-c': c,
          value: ranked ? String(k + 1) : '', 'aria-label': t('number_label', { name: candidate.name }),
          on: { change: (e) => place(c, e.target.value) },
        });
        return el('li', { class: ranked ? 'candidate ranked' : 'candidate', id: rowId },
          el('div', { class: 'who' },
            el('span', { class: 'badge', 'aria-hidden': 'true' }, ranked ? String(k + 1) : '–'),
            el('span', { class: 'name', id: `${rowId}-name` }, candidate.name),
            el('span', { class: 'visually-hidden' }, `: ${describe(c)}`),
            meta.length ? el('span', { class: 'meta' }, meta.join(' · ')) : null),
          candidate.statement ? el('details', { class: 'statement' }, el('summary', {}, `${t('statement')}: ${candidate.name}`), el('p', {}, candidate.statement)) : null,
          el('div', { class: 'controls' }, ...controls, number));
      }));
      if (focusAfter) {
        const target = list.querySelector(`[data-c="${focusAfter.c}"][data-act="${focusAfter.act}"]:not([disabled])`)
          || list.querySelector(`#cand-${focusAfter.c} button:not([disabled])`);
        if (target) target.focus();
      }
    }

    function add(c) {
      const next = [...ranking(), c];
      setRanking(next, { c, act: 'up' }, t('announce', { name: name(c), state: t('preference_of', { k: next.length, total }) }));
    }
    function move(c, delta) {
      const next = [...ranking()];
      const k = next.indexOf(c);
      const j = k + delta;
      if (k < 0 || j < 0 || j >= next.length) return;
      [next[k], next[j]] = [next[j], next[k]];
      setRanking(next, { c, act: delta < 0 ? 'up' : 'down' }, t('announce', { name: name(c), state: t('preference_of', { k: j + 1, total }) }));
    }
    function remove(c) {
      const next = ranking().filter((x) => x !== c);
      setRanking(next, { c, act: 'add' }, t('announce_removed', { name: name(c), n: next.length, total }));
    }
    // A typed number puts the candidate at that place; a gap or a number past the end means
    // "next": online ballots have no equal or skipped preferences.
    function place(c, value) {
      const without = ranking().filter((x) => x !== c);
      const n = parseInt(value, 10);
      if (!value || Number.isNaN(n) || n < 1) {
        setRanking(without, { c, act: 'number' }, t('announce_removed', { name: name(c), n: without.length, total }));
        return;
      }
      const at = Math.min(n, without.length + 1) - 1;
      without.splice(at, 0, c);
      setRanking(without, { c, act: 'number' }, t('announce', { name: name(c), state: t('preference_of', { k: at + 1, total }) }));
    }

    const position = state.contests.indexOf(id);
    const nextId = state.contests[position + 1];
    show(contest.title,
      el('p', { class: 'rule', id: 'rule' }, ruleSentences(contest)),
      status,
      abstainNote,
      el('h2', {}, t('your_ranking')),
      ordered,
      el('h2', { id: 'candidates-heading' }, t('candidates')),
      el('p', { class: 'help' }, t('number_help')),
      list,
      el('div', { class: 'actions' },
        button(t('clear'), () => setRanking([], null, t('status_ranked', { n: 0, total }))),
        button(t('abstain'), () => { state.abstain[id] = true; setRanking([], null, t('abstained')); }, { id: 'abstain' })),
      el('nav', { class: 'actions' },
        link(t('back_to_contests'), '#/contests', { class: 'button' }),
        nextId ? link(t('next_contest'), `#/rank/${encodeURIComponent(nextId)}`, { class: 'button' }) : null,
        link(t('review_and_cast'), '#/review', { class: 'button primary', id: 'to-review' })));
    draw();
  }

  function pageReview() {
    const sections = state.contests.map((id) => {
      const contest = contestOf(id);
      const ranking = state.rankings[id] || [];
      return el('section', { class: 'review', 'aria-labelledby': `review-${id}` },
        el('h2', { id: `review-${id}` }, contest.title),
        ranking.length
          ? el('ol', {}, ranking.map((c) => el('li', {}, contest.candidates[c].name)))
          : el('p', {}, t('review_abstain')),
        el('p', {}, link(t('change'), `#/rank/${encodeURIComponent(id)}`, { 'aria-label': t('change_label', { contest: contest.title }) })));
    });
    const allCast = election.manifest.revote === 'forbidden'
      && state.contests.every((id) => state.receipts && state.receipts[id]);
    if (allCast) {
      show(t('review_title'), notice('info', t('all_cast')), el('p', {}, link(t('see_receipt'), '#/receipt', { class: 'button primary' })));
      return;
    }
    show(t('review_title'),
      el('p', {}, t('review_intro')),
      ...sections,
      notice('info', t(`revote_${election.manifest.revote}`)),
      el('div', { class: 'actions' },
        button(t('cast'), () => { state.reviewed = true; save(); go('cast'); }, { class: 'primary', id: 'cast' })),
      el('details', { class: 'audit' }, el('summary', {}, t('audit_offer')),
        el('p', {}, t('audit_help')),
        button(t('audit_offer'), () => go('audit'), { id: 'audit' })));
  }

  // Seals every contest's ballot with fresh randomness. Under `last`, a contest already cast
  // names its previous entry.
  function sealAll() {
    const sealed = {};
    for (const id of state.contests) {
      sealed[id] = core.call('seal', {
        manifest: election.manifestText,
        secret: state.secret,
        contest: id,
        pass: state.passes[id],
        ranking: state.rankings[id] || [],
        replaces: election.manifest.revote === 'last' && state.last && state.last[id] !== undefined ? state.last[id] : null,
        ikm: randomBase64url(32),
      });
    }
    return sealed;
  }

  function pageAudit() {
    const sealed = sealAll();
    const audits = state.contests.map((id) => sealed[id].audit);
    const shown = audits.map((audit) => {
      const result = core.call('check_audit', { manifest: election.manifestText, audit });
      return el('section', { class: 'review' },
        el('h2', {}, t('audit_matches', { contest: result.title })),
        result.ranking.length ? el('ol', {}, result.ranking.map((n) => el('li', {}, n))) : el('p', {}, t('review_abstain')));
    });
    show(t('audit_title'),
      el('p', {}, t('audit_intro')),
      ...shown,
      el('div', { class: 'actions' },
        button(t('audit_download'), () => download(`ballot-audit-${electionId}.json`, { audits }), { id: 'audit-download' })),
      el('p', { class: 'help' }, t('audit_cli')),
      el('p', {}, link(t('audit_done'), '#/review', { class: 'button primary', id: 'audit-done' })));
  }

  const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  // Casting. Each contest's sealed body is saved before it is sent, and only ever re-sent
  // identically: the box answers an identical retry with the original receipt, so a member who
  // lost the connection mid-cast is never left unsure and never votes twice.
  async function pageCast() {
    if (!state.reviewed) return go('review');
    if (!state.pending) {
      state.pending = sealAll();
      state.castRound = (state.castRound || 0) + 1;
      save();
    }
    const progress = el('p', { role: 'status', class: 'status', id: 'cast-status' }, t('sealing'));
    show(t('cast'), progress);
    for (const id of state.contests) {
      const pending = state.pending[id];
      if (!pending) continue;
      const title = contestOf(id).title;
      let attempt = 0;
      for (;;) {
        attempt += 1;
        progress.textContent = attempt === 1 ? t('casting', { contest: title }) : t('retrying', { n: attempt });
        let answer;
        try {
          answer = await api(`/api/elections/${encodeURIComponent(electionId)}/ballots`, { method: 'POST', json: pending.cast });
        } catch (e) {
          answer = null;
        }
        if (answer && answer.ok) {
          state.receipts = state.receipts || {};
          state.receipts[id] = { contest: id, ...answer.data, round: state.castRound };
          state.last = state.last || {};
          state.last[id] = answer.data.seq;
          delete state.pending[id];
          save();
          break;
        }
        if (answer && answer.status < 500 && answer.status !== 429) {
          delete state.pending;
          state.reviewed = false;
          save();
          const text = answer.code === 'already_voted' ? t('already_voted', { contest: title })
            : answer.code === 'not_open' ? t('not_open')
              : t('refused', { contest: title, message: answer.message || answer.status });
          const hasReceipts = Object.keys(state.receipts || {}).length > 0;
          show(t('cast'), focusable(notice('error', text)),
            hasReceipts ? el('p', {}, link(t('see_receipt'), '#/receipt')) : null,
            el('p', {}, link(t('home'), '#/')));
          return;
        }
        if (attempt >= 5) {
          show(t('cast'), notice('error', t('cast_stuck')), button(t('try_again'), () => pageCast(), { class: 'primary', id: 'try-again' }));
          return;
        }
        await sleep(500 * 2 ** attempt);
      }
    }
    delete state.pending;
    state.reviewed = false;
    save();
    go('receipt');
  }

  function receiptFile() {
    return {
      receipt: 'teller-receipt-v1',
      election: electionId,
      fingerprint: election.fingerprint,
      secret: state.secret,
      ballots: Object.values(state.receipts || {}).map(({ contest, seq, leaf, tracker, promise }) => ({ contest, seq, leaf, tracker, promise })),
    };
  }

  function pageReceipt() {
    const receipts = Object.values(state.receipts || {});
    if (!receipts.length) return go('');
    const items = receipts.map((r) => el('li', { class: 'receipt' },
      el('h2', {}, contestOf(r.contest).title),
      el('p', { class: 'tracker' }, el('span', { class: 'label' }, `${t('tracker')}: `), el('strong', { class: 'tracker-code' }, r.tracker)),
      el('p', {}, t('entry', { seq: r.seq })),
      el('details', {}, el('summary', {}, t('promise')), el('pre', {}, r.promise))));
    const again = election.manifest.revote === 'last' && election.summary.voting
      ? [el('p', {}, t('vote_again_help')), button(t('vote_again'), () => go('contests'), { id: 'vote-again' })] : [];
    show(t('receipt_title'),
      el('p', {}, t('receipt_intro')),
      el('ul', { class: 'receipts' }, items),
      el('h2', {}, t('secret')),
      el('p', {}, el('code', { id: 'secret' }, state.secret)),
      el('p', { class: 'help' }, t('secret_help')),
      el('div', { class: 'actions noprint' },
        button(t('download_receipt'), () => download(`receipt-${electionId}.json`, receiptFile()), { id: 'download-receipt', class: 'primary' }),
        button(t('print'), () => window.print()),
        ...again),
      el('p', { class: 'noprint' }, link(t('check_receipt'), '#/check')));
  }

  function pageCheck() {
    const results = el('div', { id: 'check-results' });
    const file = el('input', { type: 'file', id: 'check-file', accept: '.json,application/json' });
    const pasted = el('textarea', { id: 'check-text', rows: '4', spellcheck: 'false' });
    const form = el('form', { on: { submit: async (e) => {
      e.preventDefault();
      const text = file.files[0] ? await file.files[0].text() : pasted.value;
      checkReceipts(text, results);
    } } },
    el('div', { class: 'field' }, el('label', { for: 'check-file' }, t('load_receipt')), file),
    el('div', { class: 'field' }, el('label', { for: 'check-text' }, t('receipt_text')), pasted),
    el('button', { type: 'submit', class: 'primary', id: 'check' }, t('check')));
    show(t('check_title'), el('p', {}, t('check_intro')), form, results, el('p', {}, link(t('home'), '#/')));
  }

  async function checkReceipts(text, results) {
    results.replaceChildren(notice('info', t('checking')));
    let receipt;
    try {
      receipt = await readReceipt(text);
    } catch (e) {
      results.replaceChildren(notice('error', e instanceof SyntaxError ? t('receipt_unreadable') : e.message));
      return;
    }
    const base = `/api/elections/${encodeURIComponent(electionId)}/logs/ballots`;
    const manifestText = election.manifestText;
    const lines = [];
    try {
      const needed = Math.max(...receipt.ballots.map((b) => b.seq)) + 1;
      // With witnesses, only a checkpoint their quorum cosigned will do (PROTOCOL §16): the
      // server names the largest, or answers 404 while there is none.
      const quorum = (JSON.parse(manifestText).witnesses || {}).quorum || 0;
      let checkpoint;
      let size = -1;
      for (let i = 0; ; i += 1) {
        const answer = await api(`${base}/checkpoint${quorum ? '?witnessed=true' : ''}`, { text: true });
        if (!(quorum && answer.status === 404)) {
          checkpoint = answer.raw;
          ({ size } = core.call('check_checkpoint', { manifest: manifestText, checkpoint }));
        }
        if (size >= needed || i >= 20) break;
        results.replaceChildren(notice('info', t(quorum ? 'waiting_witnesses' : 'waiting_checkpoint')));
        await sleep(500);
      }
      if (quorum && size < needed) {
        results.replaceChildren(notice('info', t('witnesses_pending')));
        results.querySelector('.notice')?.setAttribute('tabindex', '-1');
        results.querySelector('.notice')?.focus();
        return;
      }
      for (const ballot of receipt.ballots) {
        const title = contestOf(ballot.contest) ? contestOf(ballot.contest).title : ballot.contest;
        try {
          const entry = (await api(`${base}/entries?start=${ballot.seq}&end=${ballot.seq + 1}`, { text: true })).raw;
          const proof = (await api(`${base}/inclusion?seq=${ballot.seq}&size=${size}`, { text: true })).raw;
          const { contest, ...rest } = ballot;
          const ok = core.call('check_receipt', { manifest: manifestText, receipt: rest, checkpoint, entry, proof });
          const witnessed = ok.witnesses.length ? ` ${t('check_witnessed', { witnesses: ok.witnesses.join(', ') })}` : '';
          lines.push(notice('ok', t('check_ok', { contest: title, seq: ok.seq, size: ok.size, signer: ok.signer }) + witnessed));
        } catch (e) {
          lines.push(notice('error', t('check_bad', { contest: title, reason: e instanceof Unreachable ? t('unreachable') : e.message })));
        }
      }
      lines.push(await checkSeen(base, checkpoint));
    } catch (e) {
      lines.push(notice('error', e instanceof Unreachable ? t('unreachable') : e.message));
    }
    results.replaceChildren(...lines);
    results.querySelector('.notice')?.setAttribute('tabindex', '-1');
    results.querySelector('.notice')?.focus();
  }

  // Consistency with every checkpoint this browser has seen of this log: a server showing
  // different members different logs is caught here (as Certificate Transparency clients do).
  async function checkSeen(base, checkpoint) {
    const key = `teller:checkpoints:${election.fingerprint}`;
    let seen = [];
    try { seen = JSON.parse(localStorage.getItem(key)) || []; } catch (e) { seen = []; }
    const manifestText = election.manifestText;
    const { size } = core.call('check_checkpoint', { manifest: manifestText, checkpoint });
    let largest = size;
    for (const older of seen) {
      const old = core.call('check_checkpoint', { manifest: manifestText, checkpoint: older });
      const [a, b] = old.size <= size ? [older, checkpoint] : [checkpoint, older];
      const sizes = [Math.min(old.size, size), Math.max(old.size, size)];
      const proof = (await api(`${base}/consistency?old=${sizes[0]}&new=${sizes[1]}`, { text: true })).raw;
      try {
        core.call('check_consistency', { manifest: manifestText, older: a, newer: b, proof });
      } catch (e) {
        return notice('error', t('inconsistent', { reason: e.message }));
      }
      largest = Math.max(largest, old.size);
    }
    seen = [...seen.filter((c) => c !== checkpoint), checkpoint].slice(-20);
    localStorage.setItem(key, JSON.stringify(seen));
    return notice('ok', t('consistent', { size: largest }));
  }

  // The skip link moves focus without touching the hash, which is the booth's router.
  document.querySelector('.skip')?.addEventListener('click', (e) => {
    e.preventDefault();
    (document.getElementById('page-title') || main).focus();
  });

  // ---------------------------------------------------------------- start
  async function start() {
    try {
      const text = await fetch(body.dataset.text, { integrity: body.dataset.textIntegrity });
      CATALOGUE = await text.json();
      setLanguage(chooseLanguage());
      if (!electionId) { route(); return; }
      core = await loadCore();
      // For scrutineers and tests: the same calls as `teller booth call`, in this page.
      window.tellerBooth = { call: (request) => core.call(request.op, request) };
      const list = await api('/api/elections');
      const summary = list.ok && list.data.find((e) => e.id === electionId);
      if (!summary) throw new Error(`HTTP ${list.status}`);
      const manifestText = (await api(`/api/elections/${encodeURIComponent(electionId)}/manifest`, { text: true })).raw;
      // The fingerprint printed on the member's notice, if the link carries it; else the
      // server's. Either way the manifest must hash to it before anything else happens.
      const given = new URLSearchParams(location.search).get('fingerprint') || summary.fingerprint;
      let fingerprint;
      try {
        fingerprint = core.call('open_manifest', { manifest: manifestText, fingerprint: given }).fingerprint;
      } catch (e) {
        show(t('fingerprint'), notice('error', t('fingerprint_bad')), el('p', {}, e.message));
        return;
      }
      election = { summary, manifestText, manifest: JSON.parse(manifestText), fingerprint };
      window.addEventListener('hashchange', route);
      route();
    } catch (e) {
      main.replaceChildren(notice('error', CATALOGUE ? t('failed_load', { reason: e.message }) : String(e)));
    }
  }

  start();
})();
