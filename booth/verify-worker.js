// The verifier page's worker (booth/verify.js starts it): runs one request through Teller's core
// in WebAssembly (`verify_part` or `verify_record`, src/core/verify/browser.rs) and posts its
// progress and its answer back. The module comes compiled from the page; the worker keeps nothing
// between requests.
'use strict';

self.onmessage = async ({ data }) => {
  const { module, op, request } = data;
  const decoder = new TextDecoder();
  let memory;
  const imports = {
    teller: {
      // The module's one import: numbers out, nothing back.
      progress(at, length, done, total) {
        const stage = decoder.decode(new Uint8Array(memory.buffer, at, length));
        self.postMessage({ progress: { stage, done, total } });
      },
    },
  };
  try {
    const wasm = (await WebAssembly.instantiate(module, imports)).exports;
    memory = wasm.memory;
    const ptr = wasm.booth_alloc(request.length);
    new Uint8Array(memory.buffer, ptr, request.length).set(request);
    const packed = (op === 'part' ? wasm.verify_part : wasm.verify_record)(ptr, request.length);
    const at = Number(packed >> 32n);
    const length = Number(packed & 0xffffffffn);
    const answer = new Uint8Array(memory.buffer, at, length).slice();
    wasm.booth_free(at, length);
    self.postMessage({ answer }, [answer.buffer]);
  } catch (e) {
    self.postMessage({ error: String((e && e.message) || e) });
  }
};
