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
