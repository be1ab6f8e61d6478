import { AddressInfo } from 'node:net';
import { SMTPServer, SMTPServerAddress } from 'smtp-server';

/** One message as the SMTP server received it, with the parts tests assert on decoded. */
export interface CapturedMessage {
  envelopeFrom: string | undefined;
  envelopeTo: string[];
  /** The authenticated user, when the client logged in. */
  user: string | undefined;
  raw: string;
  /** Header names lower-cased; folded lines unfolded, encoded words left as sent. */
  headers: Record<string, string>;
  subject: string;
  /** The text/plain body, transfer encoding undone. */
  text: string;
}

export interface SmtpCaptureOptions {
  /** When given, AUTH must match; when absent, any credentials (or none) are accepted. */
  auth?: { user: string; pass: string };
}

/**
 * A real SMTP receiver on loopback, so mail tests exercise nodemailer's actual SMTP conversation
 * (connection, AUTH, DATA) rather than a mocked transport.
 */
export class SmtpCapture {
  readonly messages: CapturedMessage[] = [];
  private server?: SMTPServer;
  private address?: string;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly options: SmtpCaptureOptions = {}) {}

  async start(): Promise<{ url: string; port: number }> {
    const expected = this.options.auth;
    const server = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      disableReverseLookup: true,
      logger: false,
      // Pooled clients keep their connections open; close() should not wait the default 30 s.
      closeTimeout: 100,
      onAuth: (auth, _session, callback) => {
        if (expected && (auth.username !== expected.user || auth.password !== expected.pass)) {
          callback(new Error('Invalid username or password'));
          return;
        }
        callback(null, { user: auth.username ?? 'anonymous' });
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          this.messages.push({
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            envelopeTo: session.envelope.rcptTo.map((a: SMTPServerAddress) => a.address),
            user: session.user,
            raw,
            ...parseMessage(raw),
          });
          for (const listener of this.listeners) listener();
          callback();
        });
      },
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.server.address() as AddressInfo;
    const credentials = expected
      ? `${encodeURIComponent(expected.user)}:${encodeURIComponent(expected.pass)}@`
      : '';
    this.address = `smtp://${credentials}127.0.0.1:${port}`;
    return { url: this.address, port };
  }

  /** The SMTP URL (with the credentials) of the started capture, for another process to send to. */
  get url(): string {
    if (!this.address) throw new Error('the SMTP capture is not started');
    return this.address;
  }

  /** Resolves with the first message matching `predicate`, received already or later. */
  waitFor(predicate: (m: CapturedMessage) => boolean, timeoutMs = 5000): Promise<CapturedMessage> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = this.messages.find(predicate);
        if (!found) return false;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(found);
        return true;
      };
      const listener = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        const subjects = this.messages.map((m) => m.subject).join(' | ') || '(none)';
        reject(new Error(`no matching message within ${timeoutMs} ms; received: ${subjects}`));
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function parseMessage(raw: string): Pick<CapturedMessage, 'headers' | 'subject' | 'text'> {
  const split = raw.indexOf('\r\n\r\n');
  const head = split >= 0 ? raw.slice(0, split) : raw;
  const body = split >= 0 ? raw.slice(split + 4) : '';
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  return {
    headers,
    subject: decodeEncodedWords(headers.subject ?? ''),
    text: decodeBody(body, encoding).replace(/\r\n/g, '\n'),
  };
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64')
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function decodeQuotedPrintable(input: string): string {
  const unwrapped = input.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < unwrapped.length; i += 1) {
    const hex = unwrapped.slice(i + 1, i + 3);
    if (unwrapped[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(unwrapped[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 words such as =?UTF-8?Q?caf=C3=A9?=, which nodemailer uses for non-ASCII subjects. */
function decodeEncodedWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(
      /=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g,
      (_m, _charset: string, kind: string, text: string) =>
        kind.toUpperCase() === 'B'
          ? Buffer.from(text, 'base64').toString('utf8')
          : decodeQuotedPrintable(text.replace(/_/g, ' ')),
    );
}
