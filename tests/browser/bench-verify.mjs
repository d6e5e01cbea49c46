// The in-browser verification benchmark (benches/verify-browser.sh runs it): opens the verifier
// page of a running `teller serve` in headless Chromium, checks a record archive RUNS times, and
// prints the verdict and each run's seconds from the click to the verdict.
//
//   node bench-verify.mjs URL ARCHIVE [RUNS]
import { chromium } from 'playwright-core';

import { CHROMIUM, LAUNCH_ARGS } from './setup.mjs';

const [url, archive, runs = '3'] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: LAUNCH_ARGS });
try {
  const page = await browser.newPage();
  await page.goto(`${url}/verify`);
  await page.setInputFiles('#file', archive);
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  for (let run = 1; run <= Number(runs); run += 1) {
    const started = Date.now();
    await page.click('#start');
    await page.locator('#outcome:not([hidden])').waitFor({ timeout: 600_000 });
    const seconds = (Date.now() - started) / 1000;
    const verdict = (await page.textContent('#verdict')).trim();
    console.log(`browser run ${run}: ${seconds.toFixed(2)} s (${verdict}; ${cores} workers)`);
  }
} finally {
  await browser.close();
}
