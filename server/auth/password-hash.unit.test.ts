import { expect } from 'chai';
import { hashPassword, verifyPassword } from './users';

describe('stored passwords', () => {
  // Tests give their own accounts a cheap hash (test/support/server.ts); this holds the product's cost.
  it('are argon2id hashes at 64 MiB, three passes and four lanes, which only the right password matches', async function () {
    this.timeout(30_000);
    const hash = await hashPassword('kettle orchard lantern');
    expect(hash).to.match(/^\$argon2id\$v=19\$m=65536,p=4,t=3\$/);
    expect(await verifyPassword(hash, 'kettle orchard lantern')).to.equal(true);
    expect(await verifyPassword(hash, 'kettle orchard lanterns')).to.equal(false);
  });
});
