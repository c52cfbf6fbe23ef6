import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import { requestTls } from './client.js';
import { PgsqlError } from './errors.js';
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
 * Refuses every `protocol*` option: the SSLRequest dialogue has no
 * parameters, and an option that would be silently ignored is a configuration mistake.
 */
export function validateOptions(options: ProtocolOptions, _mode: Mode): void {
  for (const key of Object.keys(OPTION_NAMES) as (keyof ProtocolOptions)[]) {
    const value = options[key];
    const empty =
      value === undefined || (Array.isArray(value) && value.length === 0) || (key === 'extra' && Object.keys(value ?? {}).length === 0);
    if (!empty) {
      throw new PgsqlError('ERR_TUNNEL_PGSQL_OPTION', `${OPTION_NAMES[key]} is not used by protocol = pgsql; remove it`);
    }
  }
}

/** Server mode runs before the upstream is opened, as stunnel does (its pgsql_server runs in the "early" phase). */
async function preConnect(context: ProtocolContext): Promise<void> {
  if (context.mode !== 'server') return;
  const { refusedGssenc } = await acceptTlsRequest(context.local, { signal: context.signal });
  if (refusedGssenc) context.log.info('pgsql: GSSAPI encryption requested, answered N');
  context.log.debug('pgsql: SSLRequest received, answered S');
}

/** Client mode talks to the upstream, which core connects before this hook. */
async function preTls(context: ProtocolContext): Promise<void> {
  if (context.mode !== 'client') return;
  const remote = context.remote ?? (await context.connectRemote());
  await requestTls(remote, { signal: context.signal });
  context.log.debug('pgsql: server accepted SSLRequest');
}

/**
 * `protocol = pgsql`: the PostgreSQL SSLRequest negotiation before TLS, in
 * both modes. Register it with core like any other plugin.
 */
export const protocol: Protocol = {
  name: 'pgsql',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['client', 'server'],
  description: 'PostgreSQL SSLRequest negotiation before TLS',
  validate: validateOptions,
  preConnect,
  preTls,
};
