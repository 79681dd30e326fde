import { expect } from 'chai';
import { formatCode, generateCode } from '../modules/certificates/codes';
import { createLogger } from '../server/logger';
import { startTestServer, type TestServer } from './support/server';

/**
 * An operator's alerting counts error lines: an unexpected failure must give
 * exactly one, with its stack, and a person's own mistake none.
 */
describe('errors in the log', () => {
  let server: TestServer;
  const lines: { level: number; msg: string; req?: { id?: string }; err?: { stack?: string } }[] = [];

  before(async () => {
    const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
    server = await startTestServer({ logger: createLogger({ env: 'production', logLevel: 'info' }, destination) });
  });
  after(async () => {
    await server?.close();
  });

  const errorsFor = (id: string | null) => lines.filter((l) => l.level >= 50 && l.req?.id === id);

  it('logs an unexpected failure once, with its stack', async () => {
    // A table gone from under the code: the kind of failure no handler expects.
    await server.product.database.pool.query('alter table certificates rename to certificates_away');
    try {
      const res = await fetch(`${server.url}/api/v1/certificates/verify/${formatCode(generateCode())}`);
      expect(res.status).to.equal(500);
      const body = (await res.json()) as { error: { message: string } };
      expect(body.error.message, 'the person sees no internals').to.not.match(/certificates|relation|stack/i);
      const logged = errorsFor(res.headers.get('x-request-id'));
      expect(logged, 'one error line for the request').to.have.length(1);
      expect(logged[0].err?.stack).to.match(/certificates/);
    } finally {
      await server.product.database.pool.query('alter table certificates_away rename to certificates');
    }
  });

  it('logs no error for a page that is not there', async () => {
    const res = await fetch(`${server.url}/no-such-page`);
    expect(res.status).to.equal(404);
    expect(errorsFor(res.headers.get('x-request-id'))).to.have.length(0);
  });
});
