import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import { startTlsClient } from './client.js';
import { clientSpeaksFirst } from './detect.js';
import { ImapError } from './errors.js';
import { startTlsServer } from './server.js';

/** How long server mode waits for a client that speaks first before assuming STARTTLS (stunnel: 200 ms). */
const DETECT_MS = 200;

const OPTIONS = [
  ['host', 'protocolHost'],
  ['authentication', 'protocolAuthentication'],
  ['username', 'protocolUsername'],
  ['password', 'protocolPassword'],
  ['domain', 'protocolDomain'],
] as const;

/** Refuses every `protocol*` option: stunnel's imap protocol reads none (a silently ignored option is a bug). */
export function validateOptions(options: ProtocolOptions, _mode: Mode): void {
  const refuse = (option: string) =>
    new ImapError('ERR_TUNNEL_IMAP_INVALID_OPTION', `${option}: the imap protocol does not use it`, { option });
  for (const [key, option] of OPTIONS) if (options[key] !== undefined) throw refuse(option);
  if (options.headers !== undefined && options.headers.length > 0) throw refuse('protocolHeader');
  const extra = Object.keys(options.extra ?? {});
  if (extra.length > 0) throw refuse(`protocol${extra[0]}`);
}

async function preTls(context: ProtocolContext): Promise<void> {
  const remote = context.remote ?? (await context.connectRemote());
  if (context.mode === 'client') {
    try {
      // stunnel 5.68 greets the local client itself: the real greeting may list
      // pre-TLS capabilities (STARTTLS, LOGINDISABLED) that are wrong for it.
      await startTlsClient(remote, { onGreeting: () => context.local.writeLine('* OK Connected.') });
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_TUNNEL_IMAP_NO_STARTTLS') {
        await context.local.writeLine('* BYE stunnel: Server does not support TLS').catch(() => {});
      }
      throw error;
    }
    return;
  }
  // RFC 2595 detection: a client that talks first is starting TLS directly.
  if (await clientSpeaksFirst(context.local.stream, DETECT_MS, context.signal)) {
    context.log.debug('RFC 2595 not detected: the client spoke first, skipping STARTTLS');
    return;
  }
  await startTlsServer({ client: context.local, server: remote });
}

/**
 * The `protocol = imap` plugin: STARTTLS (RFC 2595) toward the upstream in
 * client mode, or from the accepted client in server mode, before TLS.
 */
export const protocol: Protocol = {
  name: 'imap',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['client', 'server'],
  description: 'IMAP STARTTLS (RFC 2595)',
  validate: validateOptions,
  preTls,
};
