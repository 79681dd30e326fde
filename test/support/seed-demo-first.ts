import type { Context } from 'mocha';
import { seededDemo } from './server';

/**
 * Whole-suite runs seed the demo partnership once, before the first suite,
 * under a time limit of its own. Otherwise it is seeded inside whichever
 * suite's `before` hook asks first, which on a busy 2-core CI machine (two
 * passes side by side) can take longer than a hook's 30 seconds and fail a
 * suite that did nothing wrong.
 */
export const mochaHooks = {
  async beforeAll(this: Context) {
    this.timeout(180_000);
    await seededDemo();
  },
};
