import { isIP, type Socket } from 'node:net';
import { connectSocket, OsError, type SocketOptionValue } from '@tunnel/os';
import { TransparentError } from './errors.js';
import { type TransparentMode, usesOriginalDestination, usesSourceAddress } from './mode.js';
import { originalDestinationOf } from './original-destination.js';

/** Options of {@link connectAsClient}. */
export interface ConnectAsClientOptions {
  /** The accepted client connection whose address the upstream connection takes. */
  readonly client: Socket;
  /** Upstream IP literal and port. */
  readonly host: string;
  readonly port: number;
  /** `socket = r:` options, set before bind and connect. */
  readonly options?: readonly { readonly name: string; readonly value: SocketOptionValue }[];
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly allowHalfOpen?: boolean;
}

/** The client's address as the upstream socket must bind it: an IPv4-mapped peer on a dual-stack listener is IPv4. */
function clientAddress(client: Socket): string {
  // remoteAddress stays cached after destroy(), so a closed client must be caught explicitly.
  const address = client.destroyed ? undefined : client.remoteAddress;
  if (address === undefined)
    throw new TransparentError('ERR_TUNNEL_TRANSPARENT_NO_TARGET', 'the client connection has no remote address (already closed?)');
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * `transparent = source`: connects to `host:port` from the client's own IP address (any port), with
 * IP_TRANSPARENT, so the upstream server sees the real client. Requires root or CAP_NET_ADMIN
 * (`ERR_TUNNEL_TRANSPARENT_PRIVILEGE` otherwise) and the routing setup of the stunnel manual, so that
 * the replies addressed to the client come back to this host.
 */
export async function connectAsClient(options: ConnectAsClientOptions): Promise<Socket> {
  const localAddress = clientAddress(options.client);
  if (isIP(localAddress) !== isIP(options.host)) {
    throw new TransparentError(
      'ERR_TUNNEL_TRANSPARENT_NO_TARGET',
      `cannot connect to ${options.host} from client address ${localAddress}: the IP families differ`,
    );
  }
  try {
    return await connectSocket({
      host: options.host,
      port: options.port,
      localAddress,
      transparent: true,
      options: options.options,
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      allowHalfOpen: options.allowHalfOpen,
    });
  } catch (error) {
    throw wrapConnectError(error, `${localAddress} -> ${options.host}:${options.port}`);
  }
}

function wrapConnectError(error: unknown, what: string): TransparentError {
  if (error instanceof OsError && (error.code === 'ERR_TUNNEL_OS_EPERM' || error.code === 'ERR_TUNNEL_OS_EACCES')) {
    return new TransparentError(
      'ERR_TUNNEL_TRANSPARENT_PRIVILEGE',
      `transparent = source needs root or CAP_NET_ADMIN (IP_TRANSPARENT) and no setuid: ${what}`,
      { cause: error },
    );
  }
  const code = error instanceof OsError ? error.code : 'unknown';
  return new TransparentError('ERR_TUNNEL_TRANSPARENT_CONNECT_FAILED', `transparent connect ${what} failed (${code})`, { cause: error });
}

/** Options of {@link connectUpstream}. */
export interface ConnectUpstreamOptions {
  readonly mode: TransparentMode;
  readonly client: Socket;
  /** The service's `connect` target (IP literal), required unless the mode uses the original destination. */
  readonly connect?: { readonly host: string; readonly port: number };
  readonly options?: readonly { readonly name: string; readonly value: SocketOptionValue }[];
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly allowHalfOpen?: boolean;
}

/**
 * The whole `transparent =` policy for one accepted connection: `destination`/`both` replace the target
 * with the original destination; `source`/`both` bind the client's address; `none` connects plainly
 * (still through `connectSocket`, so `socket = r:` options are set before connect).
 */
export async function connectUpstream(options: ConnectUpstreamOptions): Promise<Socket> {
  let host: string;
  let port: number;
  if (usesOriginalDestination(options.mode)) {
    const original = originalDestinationOf(options.client);
    host = original.address;
    port = original.port;
  } else if (options.connect !== undefined) {
    host = options.connect.host;
    port = options.connect.port;
  } else {
    throw new TransparentError('ERR_TUNNEL_TRANSPARENT_NO_TARGET', `transparent = ${options.mode} needs a connect target`);
  }
  const common = { options: options.options, timeoutMs: options.timeoutMs, signal: options.signal, allowHalfOpen: options.allowHalfOpen };
  if (usesSourceAddress(options.mode)) return connectAsClient({ client: options.client, host, port, ...common });
  try {
    return await connectSocket({ host, port, ...common });
  } catch (error) {
    throw wrapConnectError(error, `-> ${host}:${port}`);
  }
}
