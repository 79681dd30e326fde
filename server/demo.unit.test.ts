import { expect } from 'chai';
import { verifyPassword } from './auth/users';
import { DEMO_PASSWORD, DEMO_PASSWORD_HASH } from './demo';

describe('demo sign-ins', () => {
  it('share one stored hash, and it is the published demo password’s', async () => {
    expect(await verifyPassword(DEMO_PASSWORD_HASH, DEMO_PASSWORD)).to.equal(true);
    expect(await verifyPassword(DEMO_PASSWORD_HASH, `${DEMO_PASSWORD}x`)).to.equal(false);
  });
});
