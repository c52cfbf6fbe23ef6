import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import { type AuthMechanism, authenticate } from './auth.js';
import { startTlsClient } from './client.js';
import { clientSpeaksFirst } from './detect.js';
import { SmtpError } from './errors.js';
import { startTlsServer } from './server.js';

/** How long server mode waits for a client that speaks first before assuming STARTTLS (stunnel: 200 ms). */
const DETECT_MS = 200;
/** A HELO/EHLO name: a domain or an address literal, no spaces or control characters (RFC 5321 section 4.1.1.1). */
const HELO_NAME = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?|\[[0-9A-Za-z:.]{1,80}\])$/;
/** CR, LF and NUL would break the SASL encoding or the command line. */
const UNSAFE = /[\0\r\n]/;

function invalid(option: string, message: string): SmtpError {
  return new SmtpError('ERR_TUNNEL_SMTP_INVALID_OPTION', `${option}: ${message}`, { option });
}

/**
 * Refuses `protocol*` options stunnel's smtp protocol does not use in this
 * mode (a silently ignored option is a bug), and malformed values.
 */
export function validateOptions(options: ProtocolOptions, mode: Mode): void {
  if (options.domain !== undefined) throw invalid('protocolDomain', 'the smtp protocol does not use it (connect only)');
  if (options.headers !== undefined && options.headers.length > 0) throw invalid('protocolHeader', 'the smtp protocol does not use it');
  const extra = Object.keys(options.extra ?? {});
  if (extra.length > 0) throw invalid(`protocol${extra[0]}`, 'the smtp protocol does not know this option');
  if (mode === 'server') {
    for (const [key, option] of [
      ['host', 'protocolHost'],
      ['authentication', 'protocolAuthentication'],
      ['username', 'protocolUsername'],
      ['password', 'protocolPassword'],
    ] as const) {
      if (options[key] !== undefined) throw invalid(option, 'only client-mode smtp uses it (client = yes)');
    }
    return;
  }
  if (options.host !== undefined && !HELO_NAME.test(options.host)) {
    throw invalid('protocolHost', `${JSON.stringify(options.host)} is not a host name or address literal to send with EHLO`);
  }
  if (options.authentication !== undefined && !/^(?:plain|login)$/i.test(options.authentication)) {
    throw invalid('protocolAuthentication', `smtp supports plain or login, not ${JSON.stringify(options.authentication)}`);
  }
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw invalid(
      options.username === undefined ? 'protocolUsername' : 'protocolPassword',
      'SMTP AUTH needs both protocolUsername and protocolPassword',
    );
  }
  if (options.authentication !== undefined && options.username === undefined) {
    throw invalid('protocolAuthentication', 'SMTP AUTH needs protocolUsername and protocolPassword');
  }
  if (options.username !== undefined && UNSAFE.test(options.username)) throw invalid('protocolUsername', 'must not contain NUL, CR or LF');
  if (options.password !== undefined && UNSAFE.test(options.password)) throw invalid('protocolPassword', 'must not contain NUL, CR or LF');
}

async function preTls(context: ProtocolContext): Promise<void> {
  const remote = context.remote ?? (await context.connectRemote());
  if (context.mode === 'client') {
    const result = await startTlsClient(remote, {
      ehloName: context.options.host ?? 'localhost',
      onGreetingLine: (line) => context.local.writeLine(line),
    });
    if (!result.startTlsAdvertised) context.log.warning('the SMTP server did not advertise STARTTLS; sending it anyway, as stunnel does');
    return;
  }
  // RFC 2487 detection: a client that talks first is starting TLS directly.
  if (await clientSpeaksFirst(context.local.stream, DETECT_MS, context.signal)) {
    context.log.debug('RFC 2487 not detected: the client spoke first, skipping STARTTLS');
    return;
  }
  await startTlsServer({ client: context.local, server: remote });
}

async function postTls(context: ProtocolContext): Promise<void> {
  const { username, password, authentication, host } = context.options;
  if (context.mode !== 'client' || username === undefined || password === undefined) return;
  const remote = context.remote ?? (await context.connectRemote());
  const mechanism: AuthMechanism = authentication?.toLowerCase() === 'login' ? 'login' : 'plain';
  await authenticate(remote, { mechanism, username, password, heloName: host ?? 'localhost' });
  context.log.info(`SMTP AUTH ${mechanism.toUpperCase()} succeeded for ${username}`);
}

/**
 * The `protocol = smtp` plugin. Client mode: STARTTLS toward the upstream
 * before TLS, then optional AUTH PLAIN/LOGIN inside TLS. Server mode: relays
 * the upstream's greeting and accepts STARTTLS from the client.
 */
export const protocol: Protocol = {
  name: 'smtp',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['client', 'server'],
  description: 'SMTP STARTTLS (RFC 3207), with AUTH PLAIN/LOGIN in client mode',
  validate: validateOptions,
  preTls,
  postTls,
};
