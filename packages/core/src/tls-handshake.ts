import { EventEmitter } from 'node:events';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, type SecureContext, TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Target } from '@tunnel/protocol';
import { TunnelError } from './errors.js';
import type { PreparedService } from './service.js';

/**
 * The TLS handshake of one connection: server side on the accepted stream
 * (SNI slaves, OCSP stapling), client side on the upstream (SNI, OCSP request).
 */

/** Waits for a TLS handshake to finish, fail, or be aborted (TIMEOUTbusy, shutdown). */
function handshake(socket: TLSSocket, event: 'secure' | 'secureConnect', signal: AbortSignal, stage: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      socket.off(event, onSecure);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.off('end', onClose);
      signal.removeEventListener('abort', onAbort);
      if (error === undefined) resolve();
      else reject(error);
    };
    const onSecure = () => done();
    const onError = (error: Error & { reason?: string; code?: string }) => {
      // OpenSSL errors carry a short `reason` ("no shared cipher") and a Node code; the full message is a multi-line dump.
      const what = error.reason === undefined ? error.message : `${error.reason}${error.code === undefined ? '' : ` (${error.code})`}`;
      done(new TunnelError('ERR_TUNNEL_TLS_HANDSHAKE', `${stage}: ${what}`, { stage: 'tls', cause: error }));
    };
    const onClose = () =>
      done(new TunnelError('ERR_TUNNEL_TLS_HANDSHAKE', `${stage}: the peer closed the connection during the handshake`, { stage: 'tls' }));
    const onAbort = () => done(signal.reason instanceof Error ? signal.reason : new TunnelError('ERR_TUNNEL_SHUTDOWN', 'aborted'));
    socket.once(event, onSecure);
    socket.on('error', onError);
    socket.once('close', onClose);
    // With allowHalfOpen a peer's FIN mid-handshake ends the readable side without closing the socket: the
    // handshake can never finish, so fail now (as stunnel does: "unexpected eof") rather than at TIMEOUTbusy.
    socket.once('end', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const ocspResponses = new WeakMap<TLSSocket, Buffer>();
export function ocspOf(socket: TLSSocket): Buffer | undefined {
  return ocspResponses.get(socket);
}

/**
 * Fills `authorized`/`authorizationError` of a server-side TLSSocket as
 * `tls.Server` does for its own sockets (a hand-made TLSSocket leaves them
 * unset), so a verifier can read OpenSSL's chain verdict the usual way.
 * `rejectUnauthorized` stays false: the verifier decides.
 */
function settleAuthorized(socket: TLSSocket): void {
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
  const verifyError = handle?.verifyError?.();
  const target = socket as unknown as { authorized: boolean; authorizationError: string | undefined };
  if (verifyError) {
    target.authorized = false;
    target.authorizationError = verifyError.code ?? verifyError.message;
  } else if (verifyError === null) {
    target.authorized = true;
  }
}

/** Server-mode handshake on the accepted stream, with SNI slaves and OCSP stapling through the verifier. */
export async function acceptTls(service: PreparedService, stream: Duplex, signal: AbortSignal): Promise<TLSSocket> {
  const requestCert = service.tls.requestCert || service.slaves.some((s) => s.tls.requestCert);
  let server: EventEmitter | undefined;
  const staple = service.verifier?.staple?.bind(service.verifier);
  if (staple !== undefined) {
    server = new EventEmitter();
    server.on('OCSPRequest', (certificate: Buffer, issuer: Buffer, callback: (error: Error | null, response?: Buffer) => void) => {
      staple(certificate, issuer, signal).then(
        (response) => callback(null, response),
        () => callback(null),
      );
    });
  }
  const socket = new TLSSocket(stream as Socket, {
    ...service.tls.serverSocketOptions,
    isServer: true,
    secureContext: service.tls.context,
    requestCert,
    rejectUnauthorized: false,
    ...(server === undefined ? {} : { server: server as never }),
    ...(service.slaves.length === 0
      ? {}
      : {
          SNICallback: (servername: string, callback: (error: Error | null, context?: SecureContext) => void) => {
            const slave = service.slaves.find((s) => s.matches(servername));
            callback(null, slave?.tls.context ?? service.tls.context);
          },
        }),
  });
  await handshake(socket, 'secure', signal, 'SSL_accept');
  if (requestCert) settleAuthorized(socket);
  return socket;
}

/** Client-mode handshake on the upstream stream. SNI defaults to the connect host name unless it is an IP address; `sni = ''` sends none. */
export async function connectTls(
  service: PreparedService,
  stream: Duplex,
  target: Target | undefined,
  signal: AbortSignal,
): Promise<TLSSocket> {
  const host = target?.host ?? service.firstHost;
  const servername = service.options.sni ?? (host !== undefined && isIP(host) === 0 ? host : undefined);
  const options: ConnectionOptions & { requestOCSP: boolean } = {
    ...service.tls.clientSocketOptions,
    socket: stream as Socket,
    secureContext: service.tls.context,
    rejectUnauthorized: false,
    requestOCSP: service.tls.requestOCSP,
    ...(servername === undefined || servername === '' ? {} : { servername }),
  };
  const socket = tlsConnect(options);
  // Node reports "no staple" as a null response; only a real one is kept.
  socket.once('OCSPResponse', (response: Buffer | null) => {
    if (Buffer.isBuffer(response) && response.length > 0) ocspResponses.set(socket, response);
  });
  await handshake(socket, 'secureConnect', signal, 'SSL_connect');
  return socket;
}
