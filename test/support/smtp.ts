import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  /** The text with quoted-printable undone, so links can be matched whole. */
  body: string;
}

/** Undo quoted-printable soft breaks and escapes. */
export function decodeQp(s: string): string {
  return s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/**
 * A real SMTP server on a free local port that keeps every message it is
 * sent. An address added to `rejected` is refused (550), as a mailbox that
 * does not exist would be.
 */
export async function startSmtpReceiver(): Promise<{ url: string; received: ReceivedMail[]; rejected: Set<string>; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const rejected = new Set<string>();
  const smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (rejected.has(address.address)) return cb(new Error('550 mailbox unavailable'));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const [head, ...rest] = raw.split(/\r?\n\r?\n/);
        const subject = (head.match(/^Subject: (.*(?:\r?\n[ \t].*)*)/m)?.[1] ?? '').replace(/\r?\n[ \t]/g, ' ');
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject, body: decodeQp(rest.join('\n\n')) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const port = (smtp.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, received, rejected, close: () => new Promise<void>((resolve) => smtp.close(() => resolve())) };
}
