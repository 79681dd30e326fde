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

export interface SmtpReceiver {
  url: string;
  received: ReceivedMail[];
  rejected: Set<string>;
  /** Called after each message is kept (a test may stop the receiver from here, mid-delivery). */
  afterMessage?: (mail: ReceivedMail) => void;
  /** Stops listening, as a mail server that went away; sending to it is then refused. */
  stop(): Promise<void>;
  /** Listens again on the same port, keeping what it received. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real SMTP server on a free local port that keeps every message it is
 * sent. An address added to `rejected` is refused (550), as a mailbox that
 * does not exist would be. It can be stopped and started again on the same
 * port, as a mail server that goes away for a while.
 */
export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  let smtp: SMTPServer | undefined;
  let port = 0;
  const receiver: SmtpReceiver = {
    url: '',
    received: [],
    rejected: new Set<string>(),
    async start() {
      if (smtp) return;
      const server = new SMTPServer({
        disabledCommands: ['STARTTLS', 'AUTH'],
        logger: false,
        onRcptTo(address, _session, cb) {
          if (receiver.rejected.has(address.address)) return cb(new Error('550 mailbox unavailable'));
          cb();
        },
        onData(stream, session, cb) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            const [head, ...rest] = raw.split(/\r?\n\r?\n/);
            const subject = (head.match(/^Subject: (.*(?:\r?\n[ \t].*)*)/m)?.[1] ?? '').replace(/\r?\n[ \t]/g, ' ');
            const mail = { to: session.envelope.rcptTo.map((r) => r.address), subject, body: decodeQp(rest.join('\n\n')) };
            receiver.received.push(mail);
            cb();
            receiver.afterMessage?.(mail);
          });
        },
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      port = (server.server.address() as { port: number }).port;
      smtp = server;
    },
    async stop() {
      const server = smtp;
      smtp = undefined;
      if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    close: () => receiver.stop(),
  };
  await receiver.start();
  receiver.url = `smtp://127.0.0.1:${port}`;
  return receiver;
}
