import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import { requestTls } from './client.js';
import { CifsError } from './errors.js';
import { acceptTlsRequest } from './server.js';

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
 * Refuses every `protocol*` option: the NetBIOS session dialogue has no
 * parameters, and an option that would be silently ignored is a configuration mistake.
 */
export function validateOptions(options: ProtocolOptions, _mode: Mode): void {
  for (const key of Object.keys(OPTION_NAMES) as (keyof ProtocolOptions)[]) {
    const value = options[key];
    const empty =
      value === undefined || (Array.isArray(value) && value.length === 0) || (key === 'extra' && Object.keys(value ?? {}).length === 0);
    if (!empty) {
      throw new CifsError('ERR_TUNNEL_CIFS_OPTION', `${OPTION_NAMES[key]} is not used by protocol = cifs; remove it`);
    }
  }
}

/** Server mode runs before the upstream is opened, as stunnel does (its cifs_server runs in the "early" phase). */
async function preConnect(context: ProtocolContext): Promise<void> {
  if (context.mode !== 'server') return;
  await acceptTlsRequest(context.local, { signal: context.signal });
  context.log.debug('cifs: session request answered with "use SSL" (0x8e)');
}

/** Client mode talks to the upstream, which core connects before this hook. */
async function preTls(context: ProtocolContext): Promise<void> {
  if (context.mode !== 'client') return;
  const remote = context.remote ?? (await context.connectRemote());
  await requestTls(remote, { signal: context.signal });
  context.log.debug('cifs: server answered "use SSL" (0x8e)');
}

/**
 * `protocol = cifs`: Samba's obsolete NetBIOS "SSL extension" before TLS,
 * in both modes. Register it with core like any other plugin.
 */
export const protocol: Protocol = {
  name: 'cifs',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['client', 'server'],
  description: 'Samba NetBIOS session SSL extension before TLS (obsolete)',
  validate: validateOptions,
  preConnect,
  preTls,
};
