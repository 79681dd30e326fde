import type { Context } from 'mocha';

/**
 * A promise rejected with nobody to hear it fails the test during which it
 * happened. Mocha hears such rejections itself and passes them on to whoever
 * else listens, which is nobody, so without this they would go unseen. The
 * server logs them and carries on (server/main.ts); a test must not.
 */
const unheard: string[] = [];
process.on('unhandledRejection', (reason) => {
  unheard.push(reason instanceof Error ? (reason.stack ?? reason.message) : String(reason));
});

function check(when: string): void {
  if (unheard.length === 0) return;
  const found = unheard.splice(0);
  throw new Error(`${found.length} promise rejection(s) nobody handled ${when}:\n${found.join('\n---\n')}`);
}

export const mochaHooks = {
  afterEach(this: Context) {
    check(`during "${this.currentTest?.fullTitle() ?? 'a test'}"`);
  },
  afterAll() {
    check('in a before or after hook');
  },
};
