import nodemailer, { type Transporter } from 'nodemailer';
import type { Pool } from 'pg';
import type { Config } from './config';
import type { Logger } from './logger';

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
 * Messages are written to outbound_messages first and sent afterwards, so a
 * crash between the two loses nothing, and the dedupe key means a scan that
 * runs twice never queues the same reminder twice.
 */
export function createMailer(config: Pick<Config, 'smtpUrl' | 'mailFrom'>, pool: Pool, logger: Logger): Mailer {
  const transport: Transporter | undefined = config.smtpUrl ? nodemailer.createTransport(config.smtpUrl) : undefined;
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
      let sent = 0;
      // Claim a batch by pushing its next attempt forward, so a second instance skips it.
      const { rows } = await pool.query<{ id: string; to_address: string; subject: string; text_body: string; html_body: string | null; attempts: number }>(
        `update outbound_messages set next_attempt_at = now() + interval '5 minutes', attempts = attempts + 1
         where id in (select id from outbound_messages where status = 'queued' and next_attempt_at <= now()
                      order by next_attempt_at limit $1 for update skip locked)
         returning id, to_address, subject, text_body, html_body, attempts`,
        [limit],
      );
      for (const row of rows) {
        try {
          await transport.sendMail({ from: config.mailFrom, to: row.to_address, subject: row.subject, text: row.text_body, html: row.html_body ?? undefined });
          await pool.query(`update outbound_messages set status = 'sent', sent_at = now(), last_error = null where id = $1`, [row.id]);
          sent++;
        } catch (err) {
          const failed = row.attempts >= MAX_ATTEMPTS;
          // back off: 1, 2, 4, 8 minutes between tries
          await pool.query(
            `update outbound_messages set status = $2, last_error = $3, next_attempt_at = now() + make_interval(mins => $4) where id = $1`,
            [row.id, failed ? 'failed' : 'queued', (err as Error).message.slice(0, 500), 2 ** (row.attempts - 1)],
          );
          logger.warn({ messageId: row.id, attempt: row.attempts, err: (err as Error).message }, 'email not sent');
        }
      }
      return sent;
    },
  };
}
