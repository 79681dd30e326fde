import { expect } from 'chai';
import { FAILURES_PER_ADDRESS, FAILURES_PER_ADDRESS_AND_IP, isThrottled, knownBrowserUser, knownBrowserValue, startsThrottle } from './sign-in-limits';

describe('sign-in limits', () => {
  it('throttles on failures from one place or from everywhere, never a browser that signed in to the account before', () => {
    expect(isThrottled({ fromThisIp: FAILURES_PER_ADDRESS_AND_IP - 1, fromAnywhere: FAILURES_PER_ADDRESS - 1 }, false)).to.equal(false);
    expect(isThrottled({ fromThisIp: FAILURES_PER_ADDRESS_AND_IP, fromAnywhere: FAILURES_PER_ADDRESS_AND_IP }, false)).to.equal(true);
    expect(isThrottled({ fromThisIp: 0, fromAnywhere: FAILURES_PER_ADDRESS }, false)).to.equal(true);
    expect(isThrottled({ fromThisIp: 99, fromAnywhere: 99 }, true)).to.equal(false);
    expect(startsThrottle({ fromThisIp: FAILURES_PER_ADDRESS_AND_IP, fromAnywhere: FAILURES_PER_ADDRESS_AND_IP })).to.equal(true);
  });

  it('trusts only a known-browser cookie this service signed, for the account it names', () => {
    const value = knownBrowserValue('secret-one', '0b0f6a56-1111-4a4a-9b9b-000000000001');
    expect(knownBrowserUser('secret-one', value)).to.equal('0b0f6a56-1111-4a4a-9b9b-000000000001');
    expect(knownBrowserUser('secret-two', value)).to.equal(undefined);
    expect(knownBrowserUser('secret-one', value.replace('0001', '0002'))).to.equal(undefined);
    expect(knownBrowserUser('secret-one', 'garbage')).to.equal(undefined);
    expect(knownBrowserUser('secret-one', undefined)).to.equal(undefined);
  });
});
