// The officers' console's passkeys (WebAuthn needs script; everything else in the console works
// without it). Glue only: the server (src/server/console/passkeys.rs, webauthn-rs) makes the
// challenges and checks the answers; this turns its JSON into the browser's WebAuthn calls and
// back (binary fields travel as base64url).
'use strict';

(() => {
  const status = document.getElementById('passkey-status');
  const say = (text) => { if (status) status.textContent = text; };

  const fromB64u = (text) => {
    const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
    const raw = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
    return Uint8Array.from(raw, (c) => c.charCodeAt(0)).buffer;
  };
  const toB64u = (buffer) => {
    const bytes = new Uint8Array(buffer);
    let raw = '';
    for (const b of bytes) raw += String.fromCharCode(b);
    return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  };

  async function call(path, body) {
    const response = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    const text = await response.text();
    if (!response.ok) {
      // The console answers refusals as a page; its paragraph says why.
      const page = new DOMParser().parseFromString(text, 'text/html');
      const why = page.querySelector('main h1 + p');
      throw new Error(why ? why.textContent : `the server answered ${response.status}`);
    }
    return JSON.parse(text);
  }

  const supported = window.PublicKeyCredential && navigator.credentials;

  const add = document.getElementById('passkey-add');
  if (add && supported) {
    add.hidden = false;
    add.querySelector('button').addEventListener('click', async () => {
      const csrf = add.dataset.csrf;
      try {
        say('Follow your browser’s prompt…');
        const { ceremony, options } = await call('/console/passkeys/register/start', { csrf });
        const key = options.publicKey;
        key.challenge = fromB64u(key.challenge);
        key.user.id = fromB64u(key.user.id);
        for (const c of key.excludeCredentials || []) c.id = fromB64u(c.id);
        const made = await navigator.credentials.create({ publicKey: key });
        const credential = {
          id: made.id,
          rawId: toB64u(made.rawId),
          type: made.type,
          extensions: made.getClientExtensionResults(),
          response: {
            attestationObject: toB64u(made.response.attestationObject),
            clientDataJSON: toB64u(made.response.clientDataJSON),
            transports: made.response.getTransports ? made.response.getTransports() : [],
          },
        };
        await call('/console/passkeys/register/finish', { csrf, ceremony, credential });
        say('The passkey is added: next time, sign in with it.');
        const count = document.getElementById('passkey-count');
        if (count) count.textContent = 'A passkey was added just now.';
      } catch (error) {
        say(`No passkey was added: ${error.message}`);
      }
    });
  }

  const signIn = document.getElementById('passkey-sign-in');
  if (signIn && supported) {
    signIn.hidden = false;
    signIn.querySelector('button').addEventListener('click', async () => {
      const email = document.getElementById('email').value;
      if (!email.trim()) {
        say('Enter your email address first.');
        document.getElementById('email').focus();
        return;
      }
      try {
        say('Follow your browser’s prompt…');
        const { ceremony, options } = await call('/console/passkeys/sign-in/start', { email });
        const key = options.publicKey;
        key.challenge = fromB64u(key.challenge);
        for (const c of key.allowCredentials || []) c.id = fromB64u(c.id);
        const got = await navigator.credentials.get({ publicKey: key });
        const credential = {
          id: got.id,
          rawId: toB64u(got.rawId),
          type: got.type,
          extensions: got.getClientExtensionResults(),
          response: {
            authenticatorData: toB64u(got.response.authenticatorData),
            clientDataJSON: toB64u(got.response.clientDataJSON),
            signature: toB64u(got.response.signature),
            userHandle: got.response.userHandle ? toB64u(got.response.userHandle) : null,
          },
        };
        const { to } = await call('/console/passkeys/sign-in/finish', { ceremony, credential });
        window.location.assign(to);
      } catch (error) {
        say(`Not signed in: ${error.message}`);
      }
    });
  }
})();
