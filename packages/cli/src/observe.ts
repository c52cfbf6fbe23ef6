import type { ActiveConnection, LogLevel, Tunnel } from '@tunnel/core';
import type { LogSinks } from './log-sinks.js';

/**
 * The structured events of `logFormat = json`: connection open/close with
 * bytes and duration, the TLS handshake, failures with their reason. Nothing
 * is attached in text format (core already logs stunnel's lines), so the text
 * path costs nothing extra. Returns a function that detaches the listeners.
 */
export function logTunnelEvents(tunnel: Tunnel, sinks: LogSinks, debug: LogLevel): () => void {
  if (!sinks.structured) return () => {};
  const wanted = (level: LogLevel) => level <= debug;
  const onOpen: Parameters<typeof tunnel.on<'connectionOpen'>>[1] = (event) => {
    if (!wanted(5)) return;
    sinks.event({
      level: 5,
      event: 'connection.open',
      service: event.service,
      id: event.id,
      message: 'connection accepted',
      fields: { peer: event.peer },
    });
  };
  const onClose: Parameters<typeof tunnel.on<'connectionClose'>>[1] = (event) => {
    const level: LogLevel = event.error === undefined ? 5 : 3;
    if (!wanted(level)) return;
    sinks.event({
      level,
      event: 'connection.close',
      service: event.service,
      id: event.id,
      message: event.reset ? 'connection reset' : 'connection closed',
      code: event.error?.code,
      fields: {
        peer: event.peer,
        mode: event.mode,
        bytesToTls: event.bytesToTls,
        bytesToSocket: event.bytesToSocket,
        durationMs: event.durationMs,
        reset: event.reset,
        stage: event.stage,
        error: event.error?.message,
      },
    });
  };
  const onHandshake: Parameters<typeof tunnel.on<'tlsHandshake'>>[1] = (event) => {
    if (!wanted(6)) return;
    sinks.event({
      level: 6,
      event: 'tls.handshake',
      service: event.service,
      id: event.id,
      message: event.resumed ? 'TLS session resumed' : 'TLS session negotiated',
      fields: {
        mode: event.mode,
        version: event.version,
        cipher: event.cipher,
        sni: event.servername,
        alpn: event.alpnProtocol,
        resumed: event.resumed,
        peerSubject: event.peerSubject,
        durationMs: event.durationMs,
      },
    });
  };
  const onFailure: Parameters<typeof tunnel.on<'handshakeFailure'>>[1] = (event) => {
    if (!wanted(4)) return;
    sinks.event({
      level: 4,
      event: event.kind === 'verification' ? 'tls.verification-failure' : 'tls.handshake-failure',
      service: event.service,
      id: event.id,
      message: event.kind === 'verification' ? 'peer certificate rejected' : 'TLS handshake failed',
      code: event.code,
      fields: { mode: event.mode, reason: event.reason, redirected: event.redirected, durationMs: event.durationMs },
    });
  };
  const onRefused: Parameters<typeof tunnel.on<'connectionRefused'>>[1] = (event) => {
    if (!wanted(4)) return;
    sinks.event({
      level: 4,
      event: 'connection.refused',
      service: event.service,
      id: undefined,
      message: 'connection refused',
      code: event.code,
      fields: { peer: event.peer, reason: event.reason },
    });
  };
  tunnel.on('connectionOpen', onOpen);
  tunnel.on('connectionClose', onClose);
  tunnel.on('tlsHandshake', onHandshake);
  tunnel.on('handshakeFailure', onFailure);
  tunnel.on('connectionRefused', onRefused);
  return () => {
    tunnel.off('connectionOpen', onOpen);
    tunnel.off('connectionClose', onClose);
    tunnel.off('tlsHandshake', onHandshake);
    tunnel.off('handshakeFailure', onFailure);
    tunnel.off('connectionRefused', onRefused);
  };
}

function describePeer(peer: ActiveConnection['peer']): string {
  if (peer.family === 'unix') return 'a Unix socket';
  return peer.family === 'IPv6' ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

/**
 * SIGUSR2 (stunnel 5.68): the connections in flight, framed as stunnel4 frames
 * them ("Active connections:", one "Active connection ID: Service [NAME], …"
 * line each, "Listed N active connection(s)"). stunnel's lines give the
 * plaintext byte counts; ours give the peer, the age and the bytes read from and
 * written to the accepted socket (the pump counts plaintext only when a
 * connection ends).
 */
export function describeActiveConnections(list: readonly ActiveConnection[], now = Date.now()): string[] {
  const lines = ['Active connections:'];
  for (const connection of list) {
    const age = Math.max(0, Math.round((now - connection.since.getTime()) / 1000));
    lines.push(
      `Active connection ${connection.id}: Service [${connection.service}], peer ${describePeer(connection.peer)}, age ${age} s, ${connection.bytesIn} byte(s) in, ${connection.bytesOut} byte(s) out`,
    );
  }
  lines.push(`Listed ${list.length} active connection(s)`);
  return lines;
}
