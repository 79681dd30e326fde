import fs from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, headless, with the flags this machine's closed network needs. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package (.ci/run does).`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
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

/**
 * What a SCORM 1.2 module does in the player on `page`: sets these run-time
 * values through window.API and commits. The commit's answer ('true'/'false').
 */
export function setAndCommitScorm12(page: Page, values: Record<string, string>): Promise<string> {
  return page.evaluate((v) => {
    const api = (window as unknown as { API: { LMSSetValue(k: string, value: string): string; LMSCommit(s: string): string } }).API;
    for (const [k, value] of Object.entries(v)) api.LMSSetValue(k, value);
    return api.LMSCommit('');
  }, values);
}

/** How many commits the player on `page` keeps in the browser until the server has them. */
export function unsentScormCommits(page: Page): Promise<number> {
  return page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('scorm-unsent:')).length);
}
