import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium package. playwright-core comes without a browser and the tests do not download one. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags for a headless Chromium as root on a machine without outside network access. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Returns why browser tests must be skipped, or false to run them. With GATEHOUSE_REQUIRE_BROWSER=1
 * they always run, so a missing Chromium fails them instead of hiding behind a skip.
 */
export function browserSkipReason(what: string): string | false {
  if (existsSync(CHROMIUM_PATH) || process.env.GATEHOUSE_REQUIRE_BROWSER === '1') return false;
  const reason = `${CHROMIUM_PATH} is missing: install Debian's chromium package, or set GATEHOUSE_REQUIRE_BROWSER=1 to fail instead`;
  console.log(`SKIPPED: ${what} (${reason})`);
  return reason;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}
