import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import { startTlsClient } from './client.js';
import { NntpError } from './errors.js';
import { printable } from './reply.js';

/** The stunnel option each `ProtocolOptions` field comes from, for error messages. */
const OPTION_NAMES: Readonly<Record<keyof ProtocolOptions, string>> = {
  host: 'protocolHost',
  authentication: 'protocolAuthentication',
  username: 'protocolUsername',
  password: 'protocolPassword',
  domain: 'protocolDomain',
  headers: 'protocolHeader',
  extra: 'protocol* extension options',
};

/**
 * Refuses server mode (stunnel has no NNTP server side) and every
 * `protocol*` option: the dialogue has no parameters, and an option that
 * would be silently ignored is a configuration mistake.
 */
export function validateOptions(options: ProtocolOptions, mode: Mode): void {
  if (mode !== 'client') throw new NntpError('ERR_TUNNEL_NNTP_OPTION', 'protocol = nntp works in client mode only (client = yes)');
  for (const key of Object.keys(OPTION_NAMES) as (keyof ProtocolOptions)[]) {
    const value = options[key];
    const empty =
      value === undefined || (Array.isArray(value) && value.length === 0) || (key === 'extra' && Object.keys(value ?? {}).length === 0);
    if (!empty) throw new NntpError('ERR_TUNNEL_NNTP_OPTION', `${OPTION_NAMES[key]} is not used by protocol = nntp; remove it`);
  }
}

/** The dialogue runs on the upstream (which core connects first); the greeting goes to the local client. */
async function preTls(context: ProtocolContext): Promise<void> {
  const remote = context.remote ?? (await context.connectRemote());
  const { greeting } = await startTlsClient(remote, {
    signal: context.signal,
    onGreeting: (line) => context.local.writeLine(line),
  });
  context.log.debug(`nntp: relayed greeting "${printable(greeting, 80)}", server accepted STARTTLS`);
}

/**
 * `protocol = nntp`: NNTP STARTTLS (RFC 4642) toward the upstream, client
 * mode only, as stunnel does. Register it with core like any other plugin.
 */
export const protocol: Protocol = {
  name: 'nntp',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['client'],
  description: 'NNTP STARTTLS (RFC 4642) toward the server, client mode',
  validate: validateOptions,
  preTls,
};
