import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { commitTokens } from './commit-token';
import { capabilities, contentHostname, contentOriginFor } from './content-site';

describe('SCORM content capabilities and origin', () => {
  const secret = 'test-secret-test-secret-test-secret-0123456789';
  const versionId = randomUUID();
  const attemptId = randomUUID();
  const playerOrigin = 'https://training.example.org.uk';

  it('names one attempt, its package version and the player page, and nothing else passes for one', () => {
    const signer = capabilities(secret, 60_000);
    const cap = signer.issue({ versionId, attemptId, playerOrigin }, 1_000_000);
    expect(signer.verify(cap, 1_000_000)).to.include({ versionId, attemptId, playerOrigin });
    const [v, a, o, e, mac] = cap.split('.');
    const refused = [
      [v, randomUUID(), o, e, mac], // another attempt
      [randomUUID(), a, o, e, mac], // another package version
      [v, a, Buffer.from('https://evil.example').toString('base64url'), e, mac], // another page to frame it
      [v, a, o, String(Number(e) + 3600), mac], // a later expiry
    ].map((p) => p.join('.'));
    for (const t of refused) expect(signer.verify(t, 1_000_000), t).to.equal(undefined);
    expect(signer.verify(cap, 1_000_000 + 61_000), 'expired').to.equal(undefined);
    expect(capabilities('another-secret-another-secret-another-secret', 60_000).verify(cap, 1_000_000), 'another key').to.equal(undefined);
    // A commit token is signed with a key of its own and is no capability.
    expect(signer.verify(commitTokens(secret, 60_000).issue(attemptId, randomUUID()))).to.equal(undefined);
    expect(signer.verify('x'.repeat(500))).to.equal(undefined);
  });

  it('serves content from content.localhost on the same port by default, or from CONTENT_URL', () => {
    expect(contentHostname({})).to.equal('content.localhost');
    expect(contentOriginFor({}, 'http', '127.0.0.1:3000')).to.equal('http://content.localhost:3000');
    expect(contentOriginFor({ contentUrl: 'https://elearning-content.example.net' }, 'https', 'training.example.org.uk')).to.equal(
      'https://elearning-content.example.net',
    );
  });
});
