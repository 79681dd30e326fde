import { exportSuite } from '../modules/partnership-export/export.suite';
import { passportSuite } from '../modules/passport/passport.suite';
import { safetySuite } from '../modules/safety/safety.browser.suite';
import { TEST_DB } from './support/database';
import { startTestServer, type TestServer } from './support/server';

/**
 * What makes a partnership trust the service (issue 12): quick exit and
 * support, the training passport, and leaving with everything. One demo
 * partnership serves all three (loading it is the costly part); the export
 * runs last, so it carries what the passport and the settings changed.
 */
describe(`safety, training passport and leaving with your data (${TEST_DB})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ demo: true });
  });
  after(() => server?.close());

  passportSuite(() => server);
  safetySuite(() => server);
  exportSuite(() => server);
});
