import { expect } from 'chai';
import type { Browser, Frame, Page } from 'playwright-core';
import { expectAccessiblePage, recordCspViolations } from '../../test/support/axe';
import { launchBrowser } from '../../test/support/browser';
import type { TestServer } from '../../test/support/server';

const PASSWORD = 'demo-learning-2026';
const NEUTRAL = 'https://www.bbc.co.uk/weather';

/** Run by test/safety-passport-export.browser.test.ts on its demo partnership. */
export function safetySuite(demo: () => TestServer): void {
  describe('quick exit and support in Chromium', () => {
    let server: TestServer;
    let browser: Browser;

    before(async () => {
      server = demo();
      browser = await launchBrowser();
    });
    after(async () => {
      await browser?.close();
    });

    /** A signed-in tab whose visits to outside sites are answered here, so the test needs no network. */
    async function signIn(email: string): Promise<{ page: Page; csp: string[] }> {
      const context = await browser.newContext();
      await context.route(/^https:\/\/(?!127\.0\.0\.1)/, (route) =>
        route.fulfill({ contentType: 'text/html', body: '<title>Weather</title><h1>Weather</h1>' }),
      );
      const page = await context.newPage();
      const csp: string[] = [];
      recordCspViolations(page, csp);
      await page.goto(`${server.url}/sign-in`);
      await page.fill('#email', email);
      await page.fill('#password', PASSWORD);
      await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/sign-in')), page.click('button[type=submit]:has-text("Sign in")')]);
      return { page, csp };
    }

    /** The demo module's page: on the content origin, inside the page there that gives it the SCORM API. */
    async function demoModule(page: Page): Promise<Frame> {
      const wrapper = (await (await page.waitForSelector('#scorm-frame')).contentFrame())!;
      const frame = (await (await wrapper.waitForSelector('#sco')).contentFrame())!;
      await frame.waitForSelector('#progress');
      return frame;
    }

    it('Escape pressed twice in the middle of a course leaves for the neutral site, Back does not return, and the learner resumes where they were; Shift three times and the button leave too', async () => {
      const { page, csp } = await signIn('learner@valecounty.example');
      await page.goto(`${server.url}/courses/domestic-abuse-awareness`);
      await page.goto(`${server.url}/courses/domestic-abuse-awareness/play`);
      const frame = await demoModule(page);
      await frame.click('#next');
      await frame.click('#next');
      expect(await frame.textContent('#progress')).to.equal('Page 3 of 4');
      // The learner's keys are in the course frame, where they were working.
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
      await page.waitForURL(NEUTRAL);
      expect(await page.title()).to.equal('Weather');
      await page.goBack();
      expect(new URL(page.url()).pathname).to.equal('/courses/domestic-abuse-awareness');
      expect(csp).to.deep.equal([]);

      // Coming back: the player may first resend what the browser kept and reload; either way the learner is on page 3.
      await page.goto(`${server.url}/courses/domestic-abuse-awareness/play`);
      // Through locators, which find the course frame again if the player reloads it meanwhile.
      const progress = page.frameLocator('#scorm-frame').frameLocator('#sco').locator('#progress');
      await progress.filter({ hasText: /^Page 3 of 4$/ }).waitFor();

      // One Escape, then anything else, is not an exit (Escape closes many things).
      await page.goto(`${server.url}/my-training`);
      await page.keyboard.press('Escape');
      await page.keyboard.press('Tab');
      await page.keyboard.press('Escape');
      await page.waitForTimeout(300);
      expect(new URL(page.url()).pathname).to.equal('/my-training');
      // Shift pressed three times (the GOV.UK pattern) and the button leave too.
      for (let i = 0; i < 3; i++) await page.keyboard.press('Shift');
      await page.waitForURL(NEUTRAL);
      await page.goto(`${server.url}/my-training`);
      await page.click('text=Exit this page');
      await page.waitForURL(NEUTRAL);
      await page.context().close();
    });

    it('an administrator sets local support services and the quick-exit site; every page then uses them', async () => {
      const { page, csp } = await signIn('admin@vale-partnership.example');
      await page.goto(`${server.url}/admin/support`);
      await expectAccessiblePage(page, csp);
      await page.fill('#supportLinks', 'Vale IDVA service | https://vale.example/idva | 01234 567890\nNo address');
      await page.fill('#exitUrl', 'http://news.example');
      await page.click('button:has-text("Save")');
      const summary = await page.textContent('.govuk-error-summary');
      expect(summary).to.contain('Line 2: give a name and a web address').and.contain('must start with https://');
      expect(await page.inputValue('#supportLinks')).to.contain('No address');
      await expectAccessiblePage(page, csp);

      await page.fill('#supportLinks', 'Vale IDVA service | https://vale.example/idva | 01234 567890');
      await page.fill('#exitUrl', 'https://news.example/today');
      await Promise.all([page.waitForURL(`${server.url}/admin/support`), page.click('button:has-text("Save")')]);
      expect(await page.textContent('.govuk-notification-banner')).to.contain('saved');
      await Promise.all([page.waitForURL(`${server.url}/support`), page.click('footer >> text=Get help with domestic abuse')]);
      const services = await page.locator('main li').allTextContents();
      expect(services[0]).to.equal('Vale IDVA service: 01234 567890');
      expect(services.join('\n')).to.contain('National Domestic Abuse Helpline').and.contain('0808 2000 247');
      expect(await page.textContent('main')).to.contain('call 999');
      expect(await page.getAttribute('.app-quick-exit a', 'href')).to.equal('https://news.example/today');
      // The demo's training passport, as an administrator sees it (modules/passport): nothing until the person agrees to share.
      await page.goto(`${server.url}/training-passports?org=vale-womens-aid`);
      expect(await page.textContent('main'))
        .to.contain('Training passports received')
        .and.not.contain('Waiting for the person to decide');
      await expectAccessiblePage(page, csp);
      await page.context().close();
    });
  });
}
