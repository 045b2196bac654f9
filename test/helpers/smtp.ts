// A real SMTP server on loopback (smtp-server) that keeps what it receives, parsed with mailparser.
import net from 'node:net';
import type { Readable } from 'node:stream';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface Received {
  from: string;
  /** RCPT TO addresses, in order. */
  rcpt: string[];
  /** The message as sent, headers and body. */
  raw: string;
  mail: ParsedMail;
}

export interface TestSmtp {
  port: number;
  messages: Received[];
  connections: number;
  close(): Promise<void>;
}

/** An error with an SMTP reply code, as smtp-server sends it back. */
export function smtpReply(code: number, text: string): Error {
  return Object.assign(new Error(text), { responseCode: code });
}

/** A server without STARTTLS; with onAuth it takes a login even so (allowInsecureAuth), to see whether one is sent. */
export async function startSmtp(hooks: Pick<SMTPServerOptions, 'onRcptTo' | 'onData' | 'onAuth'> = {}): Promise<TestSmtp> {
  const state = { messages: [] as Received[], connections: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    ...(hooks.onAuth ? { onAuth: hooks.onAuth, allowInsecureAuth: true } : {}),
    logger: false,
    onConnect(_session, cb) {
      state.connections++;
      cb();
    },
    onRcptTo: hooks.onRcptTo,
    onData:
      hooks.onData ??
      ((stream: Readable, session, cb) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          simpleParser(raw)
            .then((mail) => {
              const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
              state.messages.push({ from, rcpt: session.envelope.rcptTo.map((r) => r.address), raw, mail });
              cb();
            })
            .catch(cb);
        });
      }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as net.AddressInfo).port;
  return {
    port,
    get messages() {
      return state.messages;
    },
    get connections() {
      return state.connections;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
