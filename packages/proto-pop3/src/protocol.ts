import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import { startTlsClient } from './client.js';
import { Pop3Error } from './errors.js';
import { startTlsServer } from './server.js';

const OPTIONS = [
  ['host', 'protocolHost'],
  ['authentication', 'protocolAuthentication'],
  ['username', 'protocolUsername'],
  ['password', 'protocolPassword'],
  ['domain', 'protocolDomain'],
] as const;

/** Refuses every `protocol*` option: stunnel's pop3 protocol reads none (a silently ignored option is a bug). */
export function validateOptions(options: ProtocolOptions, _mode: Mode): void {
  const refuse = (option: string) =>
    new Pop3Error('ERR_TUNNEL_POP3_INVALID_OPTION', `${option}: the pop3 protocol does not use it`, { option });
  for (const [key, option] of OPTIONS) if (options[key] !== undefined) throw refuse(option);
  if (options.headers !== undefined && options.headers.length > 0) throw refuse('protocolHeader');
  const extra = Object.keys(options.extra ?? {});
  if (extra.length > 0) throw refuse(`protocol${extra[0]}`);
}

async function preTls(context: ProtocolContext): Promise<void> {
  const remote = context.remote ?? (await context.connectRemote());
  if (context.mode === 'client') {
    await startTlsClient(remote, { onGreeting: (line) => context.local.writeLine(line) });
  } else {
    await startTlsServer({ client: context.local, server: remote });
  }
}

/**
 * The `protocol = pop3` plugin: STLS (RFC 2595) toward the upstream in
 * client mode, or from the accepted client in server mode, before TLS.
 */
export const protocol: Protocol = {
  name: 'pop3',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['client', 'server'],
  description: 'POP3 STLS (RFC 2595)',
  validate: validateOptions,
  preTls,
};
