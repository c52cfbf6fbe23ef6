import { EventEmitter } from 'node:events';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, type SecureContext, TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Target } from '@tunnel/protocol';
import { TunnelError } from './errors.js';
import type { PreparedService } from './service.js';

/**
 * The TLS handshake of one connection: server side on the accepted stream
 * (SNI slaves, OCSP stapling, session cache), client side on the upstream
 * (SNI, OCSP request, resuming the last session of that upstream).
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

/** Core gives up on a `SessionStore` call after this long and carries on as on a miss: a cache never stalls a handshake. */
export const SESSION_STORE_TIMEOUT_MS = 1000;

/** TLS 1.3 in the `ssl_version` field of OpenSSL's DER session encoding. */
const TLS1_3_VERSION = 0x0304;

/**
 * The protocol version stored in an OpenSSL DER session
 * (`SEQUENCE { INTEGER 1, INTEGER ssl_version, … }`, ssl/ssl_asn1.c), or undefined if it does not parse.
 */
export function sessionProtocolVersion(der: Buffer): number | undefined {
  if (der[0] !== 0x30) return undefined;
  const lengthByte = der[1] ?? 0;
  let at = 2;
  if (lengthByte & 0x80) at += lengthByte & 0x7f;
  if (der[at] !== 0x02 || der[at + 1] !== 0x01 || der[at + 3] !== 0x02) return undefined;
  const size = der[at + 4] ?? 0;
  if (size < 1 || size > 2 || at + 5 + size > der.length) return undefined;
  return size === 1 ? der[at + 5] : der.readUInt16BE(at + 5);
}

/** Resolves with the store's answer, or undefined when it fails or takes longer than `SESSION_STORE_TIMEOUT_MS`. */
function withinStoreTime<T>(call: () => Promise<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), SESSION_STORE_TIMEOUT_MS);
    let pending: Promise<T>;
    try {
      pending = call();
    } catch {
      pending = Promise.resolve(undefined as T);
    }
    Promise.resolve(pending).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
    );
  });
}

type ResumeCallback = (error: Error | null, session?: Buffer | null) => void;

/**
 * Wires a service's `sessionStore` to the `newSession`/`resumeSession` events
 * Node emits on the `server` object of a server-side TLSSocket (lib/_tls_wrap.js;
 * with no listener Node keeps no session IDs at all). TLS 1.3 sessions are not
 * stored: Node's ClientHello parser only sees TLS 1.3's random legacy session ID,
 * so they could never be found again; TLS 1.3 resumes by ticket.
 */
function addSessionListeners(server: EventEmitter, service: PreparedService): void {
  const store = service.options.sessionStore;
  if (store === undefined || service.options.sessionResume === false) return;
  server.on('newSession', (id: Buffer, session: Buffer, done: () => void) => {
    // The handshake waits for done(): store in the background so a slow cache never delays it.
    done();
    if (sessionProtocolVersion(session) === TLS1_3_VERSION) return;
    void withinStoreTime(() => store.set(Buffer.from(id), session));
  });
  server.on('resumeSession', (id: Buffer, callback: ResumeCallback) => {
    withinStoreTime(() => store.get(Buffer.from(id))).then((session) => callback(null, session ?? null));
  });
}

/** The `server` emitter of a service without OCSP stapling: built once, shared by its connections. */
const serviceEmitters = new WeakMap<PreparedService, EventEmitter | null>();

function serviceEmitter(service: PreparedService): EventEmitter | undefined {
  let emitter = serviceEmitters.get(service);
  if (emitter === undefined) {
    const candidate = new EventEmitter();
    addSessionListeners(candidate, service);
    emitter = candidate.eventNames().length === 0 ? null : candidate;
    serviceEmitters.set(service, emitter);
  }
  return emitter ?? undefined;
}

/** Server-mode handshake on the accepted stream, with SNI slaves, the session cache, and OCSP stapling through the verifier. */
export async function acceptTls(service: PreparedService, stream: Duplex, signal: AbortSignal): Promise<TLSSocket> {
  const requestCert = service.tls.requestCert || service.slaves.some((s) => s.tls.requestCert);
  let server: EventEmitter | undefined;
  const staple = service.verifier?.staple?.bind(service.verifier);
  if (staple === undefined) {
    server = serviceEmitter(service);
  } else {
    // Node passes OCSPRequest listeners no socket, and stapling must follow this connection's signal:
    // one emitter per connection, carrying the session listeners too.
    server = new EventEmitter();
    // Node asks the server's `_sharedCreds` for the certificate to staple for (lib/_tls_wrap.js requestOCSP);
    // an emitter without it silently skips OCSPRequest unless an SNI slave context was chosen.
    (server as EventEmitter & { _sharedCreds?: SecureContext })._sharedCreds = service.tls.context;
    addSessionListeners(server, service);
    server.on('OCSPRequest', (certificate: Buffer, issuer: Buffer | null, callback: (error: Error | null, response?: Buffer) => void) => {
      // Node passes a null issuer when the chain in `cert` stops at the leaf: no OCSP CertID can be built, so no staple.
      if (!Buffer.isBuffer(certificate) || !Buffer.isBuffer(issuer)) {
        callback(null);
        return;
      }
      Promise.resolve()
        .then(() => staple(certificate, issuer, signal))
        .then(
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
  const sessions = service.options.sessionResume === false ? undefined : clientSessionsOf(service);
  const key = sessions === undefined ? '' : clientSessionKey(stream, target, servername);
  const session = sessions?.get(key);
  const options: ConnectionOptions & { requestOCSP: boolean } = {
    ...service.tls.clientSocketOptions,
    socket: stream as Socket,
    secureContext: service.tls.context,
    rejectUnauthorized: false,
    requestOCSP: service.tls.requestOCSP,
    ...(servername === undefined || servername === '' ? {} : { servername }),
    ...(session === undefined ? {} : { session }),
  };
  const socket = tlsConnect(options);
  // Node reports "no staple" as a null response; only a real one is kept.
  socket.once('OCSPResponse', (response: Buffer | null) => {
    if (Buffer.isBuffer(response) && response.length > 0) ocspResponses.set(socket, response);
  });
  // The newest session wins: TLS 1.2 hands one over at the end of the handshake, TLS 1.3 servers send
  // tickets after it (often two); each replaces the one before.
  if (sessions !== undefined) socket.on('session', (next: Buffer) => rememberClientSession(sessions, key, next));
  try {
    await handshake(socket, 'secureConnect', signal, 'SSL_connect');
  } catch (error) {
    // A session the server no longer accepts should not cost the next connection a failure too.
    if (session !== undefined && sessions?.get(key) === session) sessions.delete(key);
    throw error;
  }
  return socket;
}

/** Client sessions kept per service (one per upstream and server name), at most this many. */
export const CLIENT_SESSIONS_PER_SERVICE = 64;

const clientSessions = new WeakMap<PreparedService, Map<string, Buffer>>();

function clientSessionsOf(service: PreparedService): Map<string, Buffer> {
  let sessions = clientSessions.get(service);
  if (sessions === undefined) {
    sessions = new Map();
    clientSessions.set(service, sessions);
  }
  return sessions;
}

/** A session belongs to the server it came from: the upstream address and the name we asked it for. */
function clientSessionKey(stream: Duplex, target: Target | undefined, servername: string | undefined): string {
  const socket = stream as Partial<Socket>;
  const host = target?.host ?? socket.remoteAddress ?? '';
  const port = target?.port ?? socket.remotePort ?? '';
  return `${servername ?? ''}|${host}|${port}`;
}

function rememberClientSession(sessions: Map<string, Buffer>, key: string, session: Buffer): void {
  sessions.delete(key);
  sessions.set(key, session);
  if (sessions.size > CLIENT_SESSIONS_PER_SERVICE) {
    const oldest = sessions.keys().next().value;
    if (oldest !== undefined) sessions.delete(oldest);
  }
}
