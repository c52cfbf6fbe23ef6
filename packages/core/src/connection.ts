import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { type Channel, type ProtocolContext, StreamChannel, type Target, type TlsInfo } from '@tunnel/protocol';
import { compressStream } from './compression.js';
import { TunnelError, errorCode } from './errors.js';
import { type BoundLog, bindLog } from './log.js';
import { pump } from './pump.js';
import type { PreparedService, PreparedTarget } from './service.js';
import type { ConnectionCloseEvent, ConnectTarget, HandshakeFailureEvent, Logger, TlsHandshakeEvent } from './types.js';
import { Socket as NetSocket } from 'node:net';
import { acceptTls, connectTls, ocspOf } from './tls-handshake.js';
import { startProgram } from './exec.js';
import { describeAddress } from './upstream.js';

/** What `runConnection` needs about one accepted stream. */
export interface ConnectionInput {
  readonly service: PreparedService;
  readonly id: string;
  /** The accepted side (a TCP/Unix socket, or any Duplex in inetd mode). */
  readonly local: Duplex;
  readonly peer: { readonly address: string; readonly port: number; readonly family: string };
  readonly logger: Logger | undefined;
  /** Fires on shutdown (non-graceful close, or the caller's signal). */
  readonly shutdown: AbortSignal;
  /** Where TLS events go; absent or returning undefined when nobody listens, so nothing is computed for them. */
  readonly observer?: ConnectionObserver | undefined;
}

/** The TLS event sinks of a connection; each getter returns a sink only while someone listens. */
export interface ConnectionObserver {
  tls(): ((event: TlsHandshakeEvent) => void) | undefined;
  failure(): ((event: HandshakeFailureEvent) => void) | undefined;
}

/** The abort reason of a connection that ended normally; one shared value, so no Error (and stack) is built per connection. */
const CONNECTION_CLOSED = new TunnelError('ERR_TUNNEL_SHUTDOWN', 'connection closed');
/** No leftover bytes (a connection whose channels were never made). */
const NOTHING = Buffer.alloc(0);

/** Logs the one-line description of the negotiated TLS session as stunnel does. */
function logTls(log: BoundLog, socket: TLSSocket, verb: 'accepted' | 'connected'): void {
  // Hot path: nothing is computed for lines the service's debug level drops.
  if (!log.enabled(6)) return;
  const cipher = socket.getCipher();
  log.info(`TLS ${verb}: ${socket.isSessionReused() ? 'previous session reused' : 'new session negotiated'}`);
  log.info(`${socket.getProtocol() ?? 'TLS'} ciphersuite: ${cipher.standardName ?? cipher.name}`);
  if (typeof socket.alpnProtocol === 'string') log.info(`ALPN protocol: ${socket.alpnProtocol}`);
  const peer = peerNames(socket).subject;
  log.debug(peer === undefined ? 'No peer certificate received' : `Peer certificate: ${peer}`);
}

/**
 * The DN of a `getPeerCertificate()` subject/issuer in OpenSSL's one-line form (`/CN=x/O=y`).
 * `getPeerCertificate()` is used rather than `getPeerX509Certificate()`: on the client side Node 20 hands
 * the latter out once only (later calls return undefined), and the verifier must still be able to get it.
 */
function oneLine(dn: Record<string, string | string[]> | undefined): string | undefined {
  if (dn === undefined || dn === null) return undefined;
  const parts = Object.entries(dn).flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((v) => `/${key}=${v}`));
  return parts.length === 0 ? undefined : parts.join('');
}

function peerNames(socket: TLSSocket): { subject: string | undefined; issuer: string | undefined } {
  const peer = socket.getPeerCertificate() as { subject?: Record<string, string>; issuer?: Record<string, string> } | null;
  return { subject: oneLine(peer?.subject), issuer: oneLine(peer?.issuer) };
}

function tlsInfoOf(socket: TLSSocket): TlsInfo {
  const peer = peerNames(socket);
  return {
    protocol: socket.getProtocol(),
    cipher: socket.getCipher()?.standardName,
    servername: typeof socket.servername === 'string' ? socket.servername : undefined,
    alpnProtocol: socket.alpnProtocol ?? undefined,
    peerSubject: peer.subject,
    peerIssuer: peer.issuer,
  };
}

function destroyStream(stream: Duplex | undefined, reset: boolean): void {
  if (stream === undefined || stream.destroyed) return;
  // Errors after teardown (an abort of a half-written compression stage, a late reset) are of no interest any more.
  stream.on('error', () => {});
  const socket = stream as Socket;
  // Node 20's resetAndDestroy() on a socket that has written data can leave the handle half-closed with a FIN
  // instead of an RST and the event loop spinning on it (observed); so RST only a socket we never wrote to.
  if (
    reset &&
    typeof socket.resetAndDestroy === 'function' &&
    !(stream instanceof TLSSocket) &&
    socket.readyState !== undefined &&
    socket.bytesWritten === 0
  ) {
    try {
      socket.resetAndDestroy();
      return;
    } catch {
      // not a TCP handle (a Unix socket or a pipe): fall back to destroy
    }
  }
  stream.destroy();
}

/**
 * Runs one connection through the chain: preConnect → [connect upstream when
 * client mode or a preTls hook exists] → preTls → plaintext-injection check →
 * TLS handshake on the TLS-bound side → verifier → compression → postTls →
 * connect upstream if not yet → pump. Resolves (never rejects) with the close
 * event once everything is torn down.
 */
export async function runConnection(input: ConnectionInput): Promise<ConnectionCloseEvent> {
  const started = Date.now();
  const { service, id, peer } = input;
  const mode = service.options.mode;
  const protocol = service.protocol;
  let current: PreparedTarget = service;
  let log = bindLog(input.logger, current.level, current.name, id);
  const controller = new AbortController();
  const { signal } = controller;
  const onShutdown = () =>
    controller.abort(new TunnelError('ERR_TUNNEL_SHUTDOWN', 'the tunnel is shutting down', { service: service.name }));
  if (input.shutdown.aborted) onShutdown();
  else input.shutdown.addEventListener('abort', onShutdown, { once: true });
  const busy = setTimeout(
    () =>
      controller.abort(
        new TunnelError('ERR_TUNNEL_TIMEOUT_BUSY', `TIMEOUTbusy exceeded (${service.timeouts.busyMs} ms waiting for expected data)`, {
          service: service.name,
        }),
      ),
    service.timeouts.busyMs,
  );

  const rawLocal = input.local;
  let localStream: Duplex = rawLocal;
  // The channels over each side are made on first use: a service without a protocol never reads through one.
  let localChannel: StreamChannel | undefined;
  let rawRemote: Socket | undefined;
  let remoteStream: Duplex | undefined;
  let remoteChannel: StreamChannel | undefined;
  const localOf = () => (localChannel ??= new StreamChannel(localStream, { signal }));
  const remoteOf = () => (remoteChannel ??= new StreamChannel(remoteStream as Duplex, { signal }));
  let tlsSocket: TLSSocket | undefined;
  let tlsInfo: TlsInfo | undefined;
  let target: Target | undefined;
  let targets: readonly ConnectTarget[] | undefined;
  let connecting: Promise<Channel> | undefined;
  let programStream: Duplex | undefined;
  let stage = 'preConnect';
  let tlsStarted = 0;
  const reportFailure = (kind: HandshakeFailureEvent['kind'], code: string, reason: string, redirected: boolean) => {
    const sink = input.observer?.failure();
    if (sink !== undefined) sink({ id, service: current.name, mode, kind, code, reason, redirected, durationMs: Date.now() - tlsStarted });
  };

  const connectRemote = (): Promise<Channel> => {
    connecting ??= (async () => {
      // exec without connect: the program is the upstream, started now (server mode: after the handshake, so its
      // environment can carry the client certificate's names, as stunnel starts it in remote_start after ssl_start).
      const program = current.upstream.program;
      if (program !== undefined && target === undefined && targets === undefined) {
        programStream = await startProgram(program, {
          service: current.name,
          peer,
          tls: tlsSocket,
          closeMs: service.timeouts.closeMs,
          log,
        });
        remoteStream = programStream;
        return remoteOf();
      }
      const socket = await current.upstream.connect({
        targets: target === undefined ? targets : [target],
        client: rawLocal,
        timeoutMs: service.timeouts.connectMs,
        signal,
        log,
        // Server mode: the upstream is the plain side, read into a reused buffer (read-buffer.ts; not a TLS transport).
        reuseReadBuffer: mode === 'server',
      });
      socket.setNoDelay(true);
      rawRemote = socket;
      remoteStream = socket;
      // localAddress is a getsockname() system call: only for a line that will be written (debug >= notice).
      if (log.enabled(5)) {
        const from = socket.localAddress === undefined ? 'a Unix socket' : `${socket.localAddress}:${socket.localPort}`;
        log.notice(`Service [${current.name}] connected remote server from ${from}`);
      }
      return remoteOf();
    })();
    return connecting;
  };

  // The protocol context (an object with getters, a Map) is built only for a service with a protocol.
  let context: ProtocolContext | undefined;
  const contextOf = (): ProtocolContext =>
    (context ??= {
      mode,
      get service() {
        return current.name;
      },
      peer,
      options: service.options.protocolOptions ?? {},
      signal,
      get log() {
        return log;
      },
      get local() {
        return localOf();
      },
      get remote() {
        return remoteStream === undefined ? undefined : remoteOf();
      },
      setTarget(next) {
        if (connecting !== undefined)
          throw new TunnelError('ERR_TUNNEL_REMOTE_CONNECTED', 'setTarget: the upstream is already connected', { stage });
        target = next;
      },
      connectRemote,
      get tls() {
        // Computed on first use: most connections have no protocol that asks.
        if (tlsInfo === undefined && tlsSocket !== undefined) tlsInfo = tlsInfoOf(tlsSocket);
        return tlsInfo;
      },
      state: new Map(),
    });

  let result: { bytesToTls: number; bytesToSocket: number; error: Error | undefined } = {
    bytesToTls: 0,
    bytesToSocket: 0,
    error: undefined,
  };
  try {
    const admit = service.options.hooks?.admit;
    if (admit !== undefined && rawLocal instanceof NetSocket) {
      stage = 'accept';
      const destination = await admit(rawLocal, { service: service.name, signal });
      if (destination !== undefined) targets = [destination];
    }
    stage = 'preConnect';
    if (protocol?.preConnect) await protocol.preConnect(contextOf());
    stage = 'connect';
    if (mode === 'client' || protocol?.preTls !== undefined) await connectRemote();
    stage = 'preTls';
    if (protocol?.preTls) await protocol.preTls(contextOf());

    // CVE-2011-0411: plaintext read past a STARTTLS-like dialogue would be taken as sent under TLS. Refuse it.
    const early = (mode === 'server' ? localChannel : remoteChannel)?.buffered ?? 0;
    if (early > 0) {
      throw new TunnelError(
        'ERR_TUNNEL_PLAINTEXT_INJECTION',
        `${early} byte(s) of plaintext received before the TLS handshake (STARTTLS injection, CVE-2011-0411)`,
        { service: service.name, stage: 'preTls' },
      );
    }

    stage = 'tls';
    tlsStarted = Date.now();
    if (mode === 'server') {
      tlsSocket = await acceptTls(service, localStream, signal);
      const servername = typeof tlsSocket.servername === 'string' ? tlsSocket.servername : undefined;
      if (servername !== undefined && service.slaves.length > 0) {
        const slave = service.slaves.find((s) => s.matches(servername));
        if (slave === undefined) log.info(`SNI: no pattern matched server name "${servername}": continuing with service [${service.name}]`);
        else {
          log.info(`SNI: switched to service [${slave.name}]`);
          current = slave;
          log = bindLog(input.logger, current.level, current.name, id);
        }
      }
      logTls(log, tlsSocket, 'accepted');
      // connectALPN (tunnel extension): the negotiated ALPN protocol picks the master's upstream, unless an SNI slave,
      // an admission hook (original destination) or a pre-TLS protocol already settled where this connection goes.
      const routes = service.options.alpnRoutes;
      const negotiated = tlsSocket.alpnProtocol;
      if (
        routes !== undefined &&
        typeof negotiated === 'string' &&
        current === service &&
        connecting === undefined &&
        targets === undefined
      ) {
        const route = routes.find((candidate) => candidate.protocol === negotiated);
        if (route !== undefined) {
          targets = route.connect;
          log.info(`ALPN: "${negotiated}" routed to ${route.connect.map(describeAddress).join(', ')}`);
        }
      }
      localStream = tlsSocket;
    } else {
      tlsSocket = await connectTls(service, remoteStream as Duplex, target, signal);
      logTls(log, tlsSocket, 'connected');
      remoteStream = tlsSocket;
    }
    const tlsSink = input.observer?.tls();
    if (tlsSink !== undefined) {
      tlsInfo ??= tlsInfoOf(tlsSocket);
      const info = tlsInfo;
      tlsSink({
        id,
        service: current.name,
        mode,
        version: info.protocol ?? undefined,
        cipher: info.cipher,
        servername: info.servername,
        alpnProtocol: typeof info.alpnProtocol === 'string' ? info.alpnProtocol : undefined,
        resumed: tlsSocket.isSessionReused(),
        peerSubject: info.peerSubject,
        durationMs: Date.now() - tlsStarted,
      });
    }
    if (current.verifier !== undefined) {
      const servername = typeof tlsSocket.servername === 'string' ? tlsSocket.servername : undefined;
      const verdict = await current.verifier.check(tlsSocket, {
        mode,
        ...(servername === undefined ? {} : { servername }),
        ...(ocspOf(tlsSocket) === undefined ? {} : { ocspResponse: ocspOf(tlsSocket) }),
        signal,
      });
      if (verdict.ok) {
        if (verdict.subject !== undefined) log.notice(`Certificate accepted: ${verdict.subject}`);
      } else if (mode === 'server' && current.redirect !== undefined && current.redirect.length > 0 && connecting === undefined) {
        log.notice(`Redirecting connection: ${verdict.code}: ${verdict.reason}`);
        reportFailure('verification', verdict.code, verdict.reason, true);
        targets = current.redirect;
      } else {
        throw new TunnelError('ERR_TUNNEL_PEER_REJECTED', `Rejected by the certificate policy: ${verdict.code}: ${verdict.reason}`, {
          service: current.name,
          stage: 'tls',
        });
      }
    }

    const compression = service.options.compression;
    if (compression !== undefined) {
      if (mode === 'server') localStream = compressStream(localStream, compression);
      else remoteStream = compressStream(remoteStream as Duplex, compression);
    }
    // The TLS side changed stream: its channel is made again, over the new stream, if a protocol asks.
    if (mode === 'server') localChannel = undefined;
    else remoteChannel = undefined;

    stage = 'postTls';
    if (protocol?.postTls) await protocol.postTls(contextOf());
    stage = 'connect';
    await connectRemote();
    clearTimeout(busy);

    stage = 'pump';
    const tlsSide = mode === 'server' ? localChannel : remoteChannel;
    const plainSide = mode === 'server' ? remoteChannel : localChannel;
    result = await pump({
      tls: mode === 'server' ? localStream : (remoteStream as Duplex),
      plain: mode === 'server' ? (remoteStream as Duplex) : localStream,
      leftoverToTls: plainSide?.takeBuffered() ?? NOTHING,
      leftoverToPlain: tlsSide?.takeBuffered() ?? NOTHING,
      idleMs: service.timeouts.idleMs,
      closeMs: service.timeouts.closeMs,
      signal,
    });
  } catch (error) {
    result = { ...result, error: error as Error };
    if (stage === 'tls') {
      const code = errorCode(error as Error);
      reportFailure(code === 'ERR_TUNNEL_PEER_REJECTED' ? 'verification' : 'handshake', code, (error as Error).message, false);
    }
  }
  clearTimeout(busy);
  input.shutdown.removeEventListener('abort', onShutdown);
  const error = result.error;
  if (error !== undefined) {
    const code = errorCode(error);
    log.error(`${stage}: ${error.message}`, code);
  }
  const reset = error !== undefined;
  const rst = reset && service.options.reset !== false;
  // A TCP reset under a live TLS layer crashes Node 20 (segfault) when the TLS layer still has writes queued,
  // e.g. TLS 1.3 session tickets right after the handshake; so the TLS-bound socket is reset only while no
  // TLS layer sits on it, and closed through the TLS layer (FIN) otherwise.
  const tlsBound = mode === 'server' ? rawLocal : rawRemote;
  for (const stream of [localStream, remoteStream, tlsSocket, programStream])
    if (stream !== rawLocal && stream !== rawRemote) destroyStream(stream, false);
  destroyStream(rawLocal, rst && !(tlsSocket !== undefined && tlsBound === rawLocal));
  destroyStream(rawRemote, rst && !(tlsSocket !== undefined && tlsBound === rawRemote));
  if (!signal.aborted) controller.abort(CONNECTION_CLOSED);
  log.notice(
    `Connection ${reset ? 'reset' : 'closed'}: ${result.bytesToTls} byte(s) sent to TLS, ${result.bytesToSocket} byte(s) sent to socket`,
  );
  return {
    id,
    service: current.name,
    peer,
    bytesToTls: result.bytesToTls,
    bytesToSocket: result.bytesToSocket,
    reset,
    error: error === undefined ? undefined : { code: errorCode(error), message: error.message },
    durationMs: Date.now() - started,
    mode,
    stage: error === undefined ? undefined : stage,
  };
}
