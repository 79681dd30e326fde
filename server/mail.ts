import type { Transporter } from 'nodemailer';
import type { Pool } from 'pg';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { createOutageLog } from './outage-log';

export interface OutgoingMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
  category?: string;
  organisationId?: string | null;
  /** Same key, same message: queueing it again does nothing. */
  dedupeKey?: string;
}

export interface Mailer {
  /** Records the message durably; returns its id, or null when the key was already queued. */
  queue(message: OutgoingMessage): Promise<string | null>;
  /**
   * Records many keyed messages in one statement per thousand; returns the ids
   * of those newly queued, by dedupe key (a key already queued is absent).
   */
  queueMany?(messages: (OutgoingMessage & { dedupeKey: string })[]): Promise<Map<string, string>>;
  /** Sends what is queued and due. Returns how many were sent. */
  deliverQueued(limit?: number): Promise<number>;
  /** True when SMTP_URL is set; otherwise messages stay in the outbox as 'held'. */
  readonly delivers: boolean;
}

const MAX_ATTEMPTS = 5;

/**
 * Failures of the mail server itself (it cannot be reached, times out, drops
 * the connection, refuses to let us in) rather than of one message: they say
 * nothing about the message, so they never use up its tries, and the rest of
 * the batch waits instead of failing one by one against a server that is away.
 */
const SERVER_FAILURES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ETLS', 'EAUTH', 'EPROTOCOL', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
function mailServerFailed(err: unknown): boolean {
  const e = err as { code?: string; responseCode?: number };
  // 421: the server is closing the connection (busy, shutting down): the same as away.
  return (typeof e?.code === 'string' && SERVER_FAILURES.has(e.code)) || e?.responseCode === 421;
}

/** How long the outbox waits before trying an unreachable mail server again. */
const SERVER_RETRY_SECONDS = 30;

/**
 * Messages are written to outbound_messages first and sent afterwards, so a
 * crash between the two loses nothing, and the dedupe key means a scan that
 * runs twice never queues the same reminder twice.
 */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom'>, pool: Pool, logger: Logger, metrics?: Metrics): Mailer {
  // By category (reminder, reminder-escalation, digest, welcome ...): a fixed list the modules choose.
  const sentCount = metrics?.counter({
    name: 'lms_emails_sent_total',
    help: 'Emails handed to the mail server, by category (reminder, digest ...)',
    labelNames: ['category'] as const,
  });
  const failedCount = metrics?.counter({
    name: 'lms_emails_failed_total',
    help: 'Emails the mail server refused, by category; final="true" when the message will not be tried again',
    labelNames: ['category', 'final'] as const,
  });
  const transport: Transporter | undefined = config.smtpUrl
    ? // Loaded only when a mail server is set: without SMTP_URL messages are held in the outbox and nothing sends them.
      (require('nodemailer') as typeof import('nodemailer')).createTransport(config.smtpUrl)
    : undefined;
  const smtpAway = createOutageLog(logger, {
    down: 'email server cannot be reached; messages stay queued until it is back',
    up: 'email server reached again; queued messages are being sent',
  });
  // The transport reports some failures as events as well as to the sender; unheard, one would end the process.
  transport?.on('error', (err) => smtpAway.failed(err, { from: 'transport' }));
  // Sent, but the database was away when we came to record it: recorded before anything else
  // is claimed, so the next batch cannot pick these up and send them a second time.
  const sentNotRecorded = new Set<string>();
  const recordSent = async () => {
    for (const id of [...sentNotRecorded]) {
      await pool.query(`update outbound_messages set status = 'sent', sent_at = coalesce(sent_at, now()), last_error = null where id = $1`, [id]);
      sentNotRecorded.delete(id);
    }
  };
  return {
    delivers: !!transport,
    async queue(m) {
      const { rows } = await pool.query<{ id: string }>(
        `insert into outbound_messages (dedupe_key, to_address, subject, text_body, html_body, category, organisation_id, status)
         values ($1, $2, $3, $4, $5, $6, $7, $8)
         on conflict (dedupe_key) do nothing returning id`,
        [m.dedupeKey ?? null, m.to, m.subject, m.text, m.html ?? null, m.category ?? 'general', m.organisationId ?? null, transport ? 'queued' : 'held'],
      );
      return rows[0]?.id ?? null;
    },
    async queueMany(messages) {
      const ids = new Map<string, string>();
      // In key order, so two instances queueing the same keys at once wait for each other rather than deadlock.
      const sorted = [...new Map(messages.map((m) => [m.dedupeKey, m])).values()].sort((a, b) => (a.dedupeKey < b.dedupeKey ? -1 : 1));
      for (let i = 0; i < sorted.length; i += 1000) {
        const batch = sorted.slice(i, i + 1000);
        const column = <T>(f: (m: OutgoingMessage & { dedupeKey: string }) => T) => batch.map(f);
        const { rows } = await pool.query<{ id: string; key: string }>(
          `insert into outbound_messages (dedupe_key, to_address, subject, text_body, html_body, category, organisation_id, status)
           select k, t, s, x, h, c, o::uuid, $8 from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) with ordinality as m(k, t, s, x, h, c, o, n)
            order by n
           on conflict (dedupe_key) do nothing returning id, dedupe_key as key`,
          [
            column((m) => m.dedupeKey),
            column((m) => m.to),
            column((m) => m.subject),
            column((m) => m.text),
            column((m) => m.html ?? null),
            column((m) => m.category ?? 'general'),
            column((m) => m.organisationId ?? null),
            transport ? 'queued' : 'held',
          ],
        );
        for (const r of rows) ids.set(r.key, String(r.id));
      }
      return ids;
    },
    async deliverQueued(limit = 100) {
      if (!transport) return 0;
      await recordSent();
      let sent = 0;
      // Claim a batch by pushing its next attempt forward, so a second instance skips it.
      const { rows } = await pool.query<{
        id: string;
        to_address: string;
        subject: string;
        text_body: string;
        html_body: string | null;
        attempts: number;
        category: string;
      }>(
        `update outbound_messages set next_attempt_at = now() + interval '5 minutes', attempts = attempts + 1
         where id in (select id from outbound_messages where status = 'queued' and next_attempt_at <= now()
                      order by next_attempt_at limit $1 for update skip locked)
         returning id, to_address, subject, text_body, html_body, attempts, category`,
        [limit],
      );
      for (const [index, row] of rows.entries()) {
        try {
          await transport.sendMail({ from: config.mailFrom, to: row.to_address, subject: row.subject, text: row.text_body, html: row.html_body ?? undefined });
        } catch (err) {
          if (mailServerFailed(err)) {
            // Not this message's fault: give back its try and those of the rest of the
            // batch, and try them all again shortly, however long the server is away.
            smtpAway.failed(err, { messageId: row.id });
            await pool.query(
              `update outbound_messages set attempts = attempts - 1, next_attempt_at = now() + make_interval(secs => $2), last_error = $3
               where id = any($1::uuid[]) and status = 'queued'`,
              [rows.slice(index).map((r) => r.id), SERVER_RETRY_SECONDS, (err as Error).message.slice(0, 500)],
            );
            break;
          }
          smtpAway.recovered();
          const failed = row.attempts >= MAX_ATTEMPTS;
          // back off: 1, 2, 4, 8 minutes between tries
          await pool.query(`update outbound_messages set status = $2, last_error = $3, next_attempt_at = now() + make_interval(mins => $4) where id = $1`, [
            row.id,
            failed ? 'failed' : 'queued',
            (err as Error).message.slice(0, 500),
            2 ** (row.attempts - 1),
          ]);
          failedCount?.inc({ category: row.category, final: String(failed) });
          logger.warn({ messageId: row.id, attempt: row.attempts, err: (err as Error).message }, 'email not sent');
          continue;
        }
        smtpAway.recovered();
        sentCount?.inc({ category: row.category });
        sent++;
        sentNotRecorded.add(row.id);
        await recordSent();
      }
      return sent;
    },
  };
}
