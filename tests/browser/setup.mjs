// What every browser test file shares: where things are, and how Chromium and axe-core are run.
// Environment: TELLER_BIN (default ../../target/release/teller), CHROMIUM (default
// /usr/bin/chromium), TELLER_BROWSER_OUT (screenshots, downloads; default ../../target/browser-test),
// TELLER_BROWSER_KEEP=1 keeps the elections' temporary directories.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '../..');
export const TELLER = process.env.TELLER_BIN || path.join(ROOT, 'target/release/teller');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUT = path.resolve(process.env.TELLER_BROWSER_OUT || path.join(ROOT, 'target/browser-test'));
export const KEEP = Boolean(process.env.TELLER_BROWSER_KEEP);
export const AXE_SOURCE = fs.readFileSync(path.join(HERE, 'node_modules/axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];
export const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
