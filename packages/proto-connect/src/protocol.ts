import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import { type ConnectAuth, httpConnect } from './connect.js';
import { ConnectError } from './errors.js';

/** What the connect protocol reads from the `protocol*` options. */
export interface ConnectSettings {
  readonly host: string;
  readonly port: number;
  readonly headers: readonly string[];
  readonly auth: ConnectAuth | undefined;
}

/** Splits `protocolHost` (`host:port`, `[v6]:port`) into host and port. */
export function parseProtocolHost(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (match === null || port < 1 || port > 65535) {
    throw new ConnectError(
      'ERR_TUNNEL_CONNECT_BAD_OPTION',
      `protocolHost must be host:port (or [IPv6]:port), not ${JSON.stringify(value)}`,
    );
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

/** Reads and checks the connect settings; throws `ERR_TUNNEL_CONNECT_BAD_OPTION` naming the option. */
export function connectSettings(options: ProtocolOptions): ConnectSettings {
  if (options.host === undefined || options.host === '')
    throw new ConnectError('ERR_TUNNEL_CONNECT_BAD_OPTION', 'protocol = connect needs protocolHost = host:port');
  const { host, port } = parseProtocolHost(options.host);
  const headers = options.headers ?? [];
  for (const header of headers) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+:[^\r\n\0]*$/.test(header)) {
      throw new ConnectError(
        'ERR_TUNNEL_CONNECT_BAD_OPTION',
        `protocolHeader must be one "Name: value" line, not ${JSON.stringify(header)}`,
      );
    }
  }
  const type = options.authentication?.toLowerCase();
  let auth: ConnectAuth | undefined;
  if (type !== undefined) {
    if (type !== 'basic' && type !== 'ntlm') {
      throw new ConnectError(
        'ERR_TUNNEL_CONNECT_BAD_OPTION',
        `protocolAuthentication must be basic or ntlm for protocol = connect, not ${options.authentication}`,
      );
    }
    if (options.username === undefined || options.password === undefined) {
      throw new ConnectError(
        'ERR_TUNNEL_CONNECT_BAD_OPTION',
        `protocolAuthentication = ${type} needs protocolUsername and protocolPassword`,
      );
    }
    if (type === 'basic' && options.username.includes(':')) {
      throw new ConnectError(
        'ERR_TUNNEL_CONNECT_BAD_OPTION',
        'protocolUsername must not contain ":" with basic authentication (RFC 7617 §2)',
      );
    }
    auth = { type, username: options.username, password: options.password, domain: options.domain };
  } else if (options.username !== undefined || options.password !== undefined) {
    // stunnel 5 defaults protocolAuthentication to basic for connect when credentials are given.
    if (options.username === undefined || options.password === undefined) {
      throw new ConnectError('ERR_TUNNEL_CONNECT_BAD_OPTION', 'protocolUsername and protocolPassword must be set together');
    }
    auth = { type: 'basic', username: options.username, password: options.password };
  }
  return { host, port, headers, auth };
}

/** Client mode: the CONNECT dialogue with the proxy (`connect =`) before TLS starts toward the target. */
async function preTls(context: ProtocolContext): Promise<void> {
  const settings = connectSettings(context.options);
  const proxy = context.remote ?? (await context.connectRemote());
  const response = await httpConnect(proxy, settings);
  context.log.info(`CONNECT ${settings.host}:${settings.port}: ${response.status} ${response.reason}`);
}

/** The `protocol = connect` plugin (client mode only). */
export const protocol: Protocol = {
  name: 'connect',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['client'],
  description: 'HTTP CONNECT through the proxy named by connect, for protocolHost',
  validate(options: ProtocolOptions, _mode: Mode): void {
    connectSettings(options);
  },
  preTls,
};
