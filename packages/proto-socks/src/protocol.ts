import { type Mode, PROTOCOL_CONTRACT_VERSION, type Protocol, type ProtocolContext, type ProtocolOptions } from '@tunnel/protocol';
import { acceptSocksRequest } from './accept.js';
import { socksError } from './errors.js';
import type { SocksCredentials } from './parse.js';
import { resolveSocksTarget, statusForConnectError } from './target.js';

/** The settings the socks protocol reads from the `protocol*` options. */
export interface SocksSettings {
  /** `protocolAllowLoopback = yes` (extension): allow targets on this host's loopback/unspecified addresses. */
  readonly allowLoopback: boolean;
  /** `protocolUsername` + `protocolPassword` (extension): require RFC 1929 authentication from SOCKS 5 clients. */
  readonly credentials: SocksCredentials | undefined;
}

const YES = new Set(['yes', 'true', '1', 'on']);
const NO = new Set(['no', 'false', '0', 'off']);

/** Reads and checks the socks settings; throws `ERR_TUNNEL_SOCKS_BAD_OPTION` naming the option. */
export function socksSettings(options: ProtocolOptions): SocksSettings {
  const allow = options.extra?.allowloopback?.toLowerCase();
  if (allow !== undefined && !YES.has(allow) && !NO.has(allow)) {
    throw socksError('ERR_TUNNEL_SOCKS_BAD_OPTION', `protocolAllowLoopback must be yes or no, not "${options.extra?.allowloopback}"`);
  }
  if ((options.username === undefined) !== (options.password === undefined)) {
    throw socksError(
      'ERR_TUNNEL_SOCKS_BAD_OPTION',
      'protocolUsername and protocolPassword must be set together for SOCKS 5 username/password authentication',
    );
  }
  if (options.authentication !== undefined && options.authentication.toLowerCase() !== 'basic') {
    throw socksError(
      'ERR_TUNNEL_SOCKS_BAD_OPTION',
      `protocolAuthentication = ${options.authentication} is not supported by socks (only basic, RFC 1929 username/password)`,
    );
  }
  if (options.authentication !== undefined && options.username === undefined) {
    throw socksError('ERR_TUNNEL_SOCKS_BAD_OPTION', 'protocolAuthentication = basic needs protocolUsername and protocolPassword');
  }
  return {
    allowLoopback: allow !== undefined && YES.has(allow),
    credentials:
      options.username === undefined || options.password === undefined
        ? undefined
        : { username: options.username, password: options.password },
  };
}

/**
 * Server-mode SOCKS inside TLS (stunnel's `protocol = socks`): the request arrives on the decrypted
 * stream, chooses the upstream, and is answered once the upstream connection worked or failed.
 */
async function postTls(context: ProtocolContext): Promise<void> {
  const settings = socksSettings(context.options);
  const request = await acceptSocksRequest(context.local, { credentials: settings.credentials });
  context.log.info(`SOCKS ${request.version} CONNECT ${request.host}:${request.port}`);
  try {
    const address = await resolveSocksTarget(request.host, { allowLoopback: settings.allowLoopback, signal: context.signal });
    context.setTarget({ host: address, port: request.port });
    const remote = await context.connectRemote();
    const socket = remote.stream as { localAddress?: string; localPort?: number };
    await request.reply(
      'succeeded',
      socket.localAddress === undefined ? undefined : { address: socket.localAddress, port: socket.localPort ?? 0 },
    );
  } catch (error) {
    await request.reply(statusForConnectError(error)).catch(() => {});
    if ((error as { code?: string }).code?.startsWith('ERR_TUNNEL_SOCKS_')) throw error;
    throw socksError(
      'ERR_TUNNEL_SOCKS_CONNECT_FAILED',
      `cannot connect to ${request.host}:${request.port}: ${(error as Error).message}`,
      error,
    );
  }
}

/** The `protocol = socks` plugin (server mode only). */
export const protocol: Protocol = {
  name: 'socks',
  contract: PROTOCOL_CONTRACT_VERSION,
  modes: ['server'],
  description: 'SOCKS 4, 4a and 5 CONNECT inside TLS; the request chooses the upstream',
  validate(options: ProtocolOptions, _mode: Mode): void {
    socksSettings(options);
  },
  extraOptions: ['allowloopback'],
  postTls,
};
