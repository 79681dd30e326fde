import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { loadConfig } from '../server/config';
import { startProduct } from '../server/runtime';

/**
 * Screenshots of the main page of each journey, as each demo role sees it, on
 * a desktop screen and a 375-pixel phone: `npm run screenshots` writes them to
 * docs/screenshots/ (the README shows some). Each run starts the product on a
 * fresh embedded database with the demo partnership, so the pictures change
 * only when the product does (and with the demo's dates, which follow today).
 * SCREENSHOTS_URL=http://127.0.0.1:3000 photographs a server already running
 * with the demo partnership instead, which is quicker when re-running.
 */

const OUT = path.resolve(__dirname, '..', 'docs', 'screenshots');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'demo-learning-2026';

/** Who signs in, and the pages that start their journeys: [file name, path]. */
const JOURNEYS: { email: string; pages: [string, string][] }[] = [
  {
    email: 'learner@valecounty.example',
    pages: [
      ['learner-home', '/'],
      ['learner-my-training', '/my-training'],
      ['learner-my-certificates', '/my-certificates'],
    ],
  },
  {
    email: 'lead@valecounty.example',
    pages: [
      ['lead-compliance', '/compliance/vale-county-council'],
      ['lead-staff-records', '/staff?org=vale-county-council'],
      ['lead-manage', '/admin'],
    ],
  },
  {
    email: 'trainer@vale-partnership.example',
    pages: [
      ['trainer-my-sessions', '/my-sessions'],
      ['trainer-training-sessions', '/training-sessions'],
    ],
  },
  {
    email: 'board@vale-partnership.example',
    pages: [
      ['board-overview', '/board'],
      ['board-by-organisation', '/board/organisations'],
    ],
  },
  { email: 'admin@vale-partnership.example', pages: [['admin-hub', '/admin']] },
];
const WIDTHS: [string, number, number][] = [
  ['desktop', 1280, 1600],
  ['375', 375, 2400],
];

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lms-screenshots-'));
  const running = process.env.SCREENSHOTS_URL?.replace(/\/$/, '');
  const config = loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: '0',
    DEMO_DATA: 'true',
    JOBS: 'false',
    LOG_LEVEL: 'warn',
    DATABASE_URL: '',
  });
  const started = running ? undefined : await startProduct(config);
  const product = { url: running ?? started!.url };
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  fs.mkdirSync(OUT, { recursive: true });
  try {
    for (const { email, pages } of JOURNEYS) {
      const context = await browser.newContext({ viewport: { width: WIDTHS[0][1], height: 800 }, deviceScaleFactor: 1, reducedMotion: 'reduce' });
      const page = await context.newPage();
      await page.goto(`${product.url}/sign-in`);
      await page.fill('#email', email);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL((url) => !url.pathname.startsWith('/sign-in')), page.click('main button[type=submit]')]);
      for (const [name, url] of pages) {
        for (const [width, px, maxHeight] of WIDTHS) {
          await page.setViewportSize({ width: px, height: 800 });
          await page.goto(`${product.url}${url}`);
          const height = Math.min(maxHeight, await page.evaluate(() => document.documentElement.scrollHeight));
          const file = path.join(OUT, `${name}-${width}.png`);
          await page.screenshot({ path: file, fullPage: true, clip: { x: 0, y: 0, width: px, height }, animations: 'disabled', caret: 'hide' });
          console.log(`${path.relative(process.cwd(), file)}  ${url}`);
        }
      }
      await context.close();
    }
  } finally {
    await browser.close();
    await started?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
