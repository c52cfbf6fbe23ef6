import net from 'node:net';
import { IdentError } from './errors.js';
import { formatIdentQuery, maxReplyLength, parseIdentReply } from './reply.js';

/** One end of the TCP connection being asked about. */
export interface IdentEndpoint {
  readonly address: string;
  readonly port: number;
}

/** Options of {@link queryIdent}. */
export interface QueryIdentOptions {
  /** The client's end of the connection (its address is where identd is asked). */
  readonly remote: IdentEndpoint;
  /** Our end of the connection (the accepted socket's local address and port). */
  readonly local: IdentEndpoint;
  /** identd port on the client host; 113 (RFC 1413) unless a test says otherwise. */
  readonly port?: number;
  /** Whole-lookup time limit in milliseconds; default 10 000. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** What the client's identd said about the connection. */
export interface IdentResult {
  readonly userId: string;
  readonly opsys: string;
  readonly charset: string | undefined;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/**
 * Asks the identd on the client's host who owns the connection (RFC 1413): connects from our local
 * address to `remote.address:port`, sends `<remote port> , <local port>`, and reads one reply line of
 * at most 1000 bytes. Resolves with the USERID; an ERROR reply, a reply about other ports, a
 * malformed or oversized reply, a timeout or a refused connection reject with an {@link IdentError}.
 */
export function queryIdent(options: QueryIdentOptions): Promise<IdentResult> {
  const identPort = options.port ?? 113;
  if (
    !validPort(options.remote.port) ||
    !validPort(options.local.port) ||
    !validPort(identPort) ||
    net.isIP(options.remote.address) === 0
  ) {
    return Promise.reject(new IdentError('ERR_TUNNEL_IDENT_BAD_ARGUMENT', 'queryIdent needs an IP address and ports 1-65535'));
  }
  if (options.signal?.aborted)
    return Promise.reject(new IdentError('ERR_TUNNEL_IDENT_ABORTED', 'ident lookup aborted', { cause: options.signal.reason }));
  const where = `${options.remote.address}:${identPort}`;
  return new Promise<IdentResult>((resolve, reject) => {
    // Bind our side to the address the client connected to, so a multi-homed identd sees the same pair.
    const localAddress = net.isIP(options.local.address) === net.isIP(options.remote.address) ? options.local.address : undefined;
    const socket = net.connect({ host: options.remote.address, port: identPort, localAddress });
    let buffered = '';
    let settled = false;
    const finish = (error: IdentError | undefined, result?: IdentResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(result as IdentResult);
    };
    const onAbort = () =>
      finish(new IdentError('ERR_TUNNEL_IDENT_ABORTED', `ident lookup at ${where} aborted`, { cause: options.signal?.reason }));
    const timer = setTimeout(
      () => finish(new IdentError('ERR_TUNNEL_IDENT_TIMEOUT', `no ident reply from ${where} within ${options.timeoutMs ?? 10_000} ms`)),
      options.timeoutMs ?? 10_000,
    );
    options.signal?.addEventListener('abort', onAbort, { once: true });
    socket.setEncoding('latin1');
    socket.on('connect', () => socket.write(formatIdentQuery(options.remote.port, options.local.port)));
    socket.on('error', (error) =>
      finish(new IdentError('ERR_TUNNEL_IDENT_CONNECT', `ident lookup at ${where} failed: ${error.message}`, { cause: error })),
    );
    socket.on('end', () =>
      finish(new IdentError('ERR_TUNNEL_IDENT_CLOSED', `identd at ${where} closed the connection without a complete reply`)),
    );
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) {
        if (buffered.length > maxReplyLength)
          finish(new IdentError('ERR_TUNNEL_IDENT_TOO_LONG', `ident reply from ${where} exceeds ${maxReplyLength} bytes`));
        return;
      }
      try {
        const reply = parseIdentReply(buffered.slice(0, end).replace(/\r$/, ''));
        // RFC 1413 section 6: the reply repeats the query's port pair; anything else answers another question.
        if (reply.serverPort !== options.remote.port || reply.clientPort !== options.local.port) {
          finish(
            new IdentError(
              'ERR_TUNNEL_IDENT_PORT_MISMATCH',
              `ident reply is about ${reply.serverPort},${reply.clientPort}, not ${options.remote.port},${options.local.port}`,
            ),
          );
        } else if (reply.type === 'ERROR') {
          finish(
            new IdentError('ERR_TUNNEL_IDENT_ERROR_REPLY', `identd at ${where} answered ERROR : ${reply.error}`, {
              identError: reply.error,
            }),
          );
        } else {
          finish(undefined, { userId: reply.userId, opsys: reply.opsys, charset: reply.charset });
        }
      } catch (error) {
        finish(error as IdentError);
      }
    });
  });
}

/** Options of {@link checkIdent}: a lookup plus the one user id that is accepted. */
export interface CheckIdentOptions extends QueryIdentOptions {
  /** `ident = USERNAME`; compared exactly (case-sensitive), as stunnel does. */
  readonly username: string;
}

/**
 * `ident = USERNAME`: resolves with the user id when the client's identd names exactly `username`,
 * rejects with `ERR_TUNNEL_IDENT_MISMATCH` (carrying the reported `userId`) when it names someone
 * else, and with the lookup's own error when there is no usable answer. Either rejection means the
 * connection must be dropped.
 */
export async function checkIdent(options: CheckIdentOptions): Promise<string> {
  const result = await queryIdent(options);
  if (result.userId !== options.username) {
    throw new IdentError(
      'ERR_TUNNEL_IDENT_MISMATCH',
      `ident user ${JSON.stringify(result.userId)} is not ${JSON.stringify(options.username)}`,
      {
        userId: result.userId,
      },
    );
  }
  return result.userId;
}

/** The two endpoints of an accepted socket in the shape {@link queryIdent} wants. */
export function identEndpoints(socket: net.Socket): { remote: IdentEndpoint; local: IdentEndpoint } {
  const unmap = (address: string | undefined) =>
    address?.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : (address ?? '');
  return {
    remote: { address: unmap(socket.remoteAddress), port: socket.remotePort ?? 0 },
    local: { address: unmap(socket.localAddress), port: socket.localPort ?? 0 },
  };
}
