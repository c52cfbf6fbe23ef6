import { borrow, type Io } from './channel.js';
import { SmtpError } from './errors.js';
import { readReply } from './read-reply.js';

/** The SASL mechanisms stunnel offers for `protocolAuthentication`. */
export type AuthMechanism = 'plain' | 'login';

/** Options of `authenticate`. */
export interface AuthenticateOptions {
  readonly mechanism?: AuthMechanism;
  readonly username: string;
  readonly password: string;
  /** The name sent with HELO before AUTH (stunnel 5.68: `protocolHost`, default `localhost`). */
  readonly heloName?: string;
  /** Longest accepted reply line (default 1024). */
  readonly maxLineLength?: number;
  /** Aborts the dialogue (only used when `server` is a Duplex). */
  readonly signal?: AbortSignal;
}

/** The initial response of SASL PLAIN (RFC 4616): base64 of NUL, user, NUL, password. */
export function plainInitialResponse(username: string, password: string): string {
  return Buffer.from(`\0${username}\0${password}`, 'utf8').toString('base64');
}

/**
 * Logs in to the SMTP server inside the TLS session, as stunnel's client
 * mode does after STARTTLS: `HELO <name>` (reply ignored, as stunnel 5.68
 * does; RFC 3207 section 4.2 makes the server forget the pre-TLS EHLO), then
 * `AUTH PLAIN <base64>` expecting 235, or the `AUTH LOGIN` dialogue (334,
 * user, 334, password, 235). Fails with `ERR_TUNNEL_SMTP_AUTH_FAILED`.
 */
export async function authenticate(server: Io, options: AuthenticateOptions): Promise<void> {
  const { channel, release } = borrow(server, options.signal);
  const bounds = { maxLength: options.maxLineLength ?? 1024 };
  await channel.writeLine(`HELO ${options.heloName ?? 'localhost'}`);
  await readReply(channel, bounds);
  const expect = async (code: number, step: string) => {
    const reply = await readReply(channel, bounds);
    if (reply.code !== code) {
      throw new SmtpError('ERR_TUNNEL_SMTP_AUTH_FAILED', `SMTP ${step} was answered with ${reply.code} instead of ${code}`, {
        line: reply.lines[0],
      });
    }
  };
  if (options.mechanism === 'login') {
    await channel.writeLine('AUTH LOGIN');
    await expect(334, 'AUTH LOGIN');
    await channel.writeLine(Buffer.from(options.username, 'utf8').toString('base64'));
    await expect(334, 'the LOGIN user name');
    await channel.writeLine(Buffer.from(options.password, 'utf8').toString('base64'));
    await expect(235, 'the LOGIN password');
  } else {
    await channel.writeLine(`AUTH PLAIN ${plainInitialResponse(options.username, options.password)}`);
    await expect(235, 'AUTH PLAIN');
  }
  release(false);
}
