/**
 * The real headless browser of the end-to-end tests: Debian's `chromium` package driven by
 * playwright-core (never a downloaded browser). A test fails, rather than skips, without it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function assertChromium(): void {
  assert.ok(
    existsSync(CHROMIUM),
    `Debian Chromium is required at ${CHROMIUM} for the browser test (apt-get install chromium); ` +
      'this test fails rather than skips without it',
  );
}

/** Headless, sandbox off (CI runs as root), and no background traffic that could slow a run. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
