import { expect } from 'chai';
import type { Pool } from 'pg';
import { TEST_DB } from '../support/database';
import { type TestServer, startTestServer } from '../support/server';
import { type SmtpReceiver, startSmtpReceiver } from '../support/smtp';

/**
 * The mail server goes away while reminders wait to be sent, or in the middle
 * of sending them. However long it is away, nothing is given up as failed and
 * nothing is lost: each message is sent exactly once when it is back.
 */
describe(`email while the mail server is away (${TEST_DB})`, function () {
  this.timeout(120_000);
  let smtp: SmtpReceiver;
  let server: TestServer;
  let pool: Pool;

  before(async () => {
    smtp = await startSmtpReceiver();
    server = await startTestServer({ config: { smtpUrl: smtp.url } });
    pool = server.product.database.pool;
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  const mailer = () => server.product.mailer;
  const queue = (key: string) =>
    mailer().queue({ to: `${key}@valecounty.example`, subject: `Training reminder ${key}`, text: 'Your refresher is due.', dedupeKey: `smtp-outage:${key}` });
  /** What the outbox job would find on its next run, without waiting for the retry times. */
  const dueNow = () => pool.query(`update outbound_messages set next_attempt_at = now() where status = 'queued'`);
  const rows = async (keys: string[]) =>
    (
      await pool.query<{ key: string; status: string; attempts: number }>(
        `select dedupe_key as key, status, attempts from outbound_messages where dedupe_key = any($1) order by dedupe_key`,
        [keys.map((k) => `smtp-outage:${k}`)],
      )
    ).rows;
  const receivedOf = (key: string) => smtp.received.filter((m) => m.subject === `Training reminder ${key}`).length;

  it('keeps messages queued, tries left, through a long outage, and sends each once when the server is back', async () => {
    const keys = ['a1', 'a2', 'a3'];
    for (const k of keys) await queue(k);
    await smtp.stop();
    // More runs of the outbox job than a message has tries: an outage never uses them up.
    for (let run = 0; run < 7; run++) {
      await dueNow();
      expect(await mailer().deliverQueued()).to.equal(0);
    }
    for (const row of await rows(keys)) {
      expect(row.status, row.key).to.equal('queued');
      expect(row.attempts, row.key).to.equal(0);
    }

    await smtp.start();
    await dueNow();
    expect(await mailer().deliverQueued()).to.equal(3);
    await dueNow();
    expect(await mailer().deliverQueued()).to.equal(0);
    for (const k of keys) expect(receivedOf(k), k).to.equal(1);
    expect((await rows(keys)).map((r) => r.status)).to.deep.equal(['sent', 'sent', 'sent']);
  });

  it('stops mid-batch when the server goes away during delivery, and sends the rest once when it returns', async () => {
    const keys = ['b1', 'b2', 'b3'];
    for (const k of keys) await queue(k);
    smtp.afterMessage = () => {
      smtp.afterMessage = undefined;
      void smtp.stop();
    };
    await dueNow();
    expect(await mailer().deliverQueued()).to.equal(1);
    const after = await rows(keys);
    expect(after.filter((r) => r.status === 'sent')).to.have.length(1);
    for (const row of after.filter((r) => r.status !== 'sent')) {
      expect(row.status, row.key).to.equal('queued');
      expect(row.attempts, row.key).to.equal(0);
    }

    await smtp.start();
    await dueNow();
    expect(await mailer().deliverQueued()).to.equal(2);
    for (const k of keys) expect(receivedOf(k), k).to.equal(1);
  });
});
