import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ConnectionCloseEvent, ConnectionOpenEvent, HandshakeFailureEvent, TlsHandshakeEvent, Tunnel } from '@tunnel/core';

/** Upper bounds (seconds) of the connection-duration histogram: from a refused handshake to a day-long session. */
export const CONNECTION_BUCKETS: readonly number[] = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60, 300, 3600, 86_400];
/** Upper bounds (seconds) of the handshake-duration histogram. */
export const HANDSHAKE_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5];

/** A histogram's state: cumulative counts are computed at render time, so `counts[i]` is the number of observations in bucket i only. */
export interface HistogramFigures {
  /** Per bucket of the matching `*_BUCKETS`, plus one for `+Inf`. */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** What is counted for one service. Plain JSON: a cluster worker sends it to the primary as it is. */
export interface ServiceFigures {
  accepted: number;
  active: number;
  closed: number;
  /** Connections refused before they were served: at accept (limits, access policy) or by the certificate policy. */
  refused: number;
  /** Payload bytes the tunnel received from the accepting side's peer and forwarded (plaintext, before/after TLS). */
  bytesReceived: number;
  /** Payload bytes the tunnel sent to the accepting side's peer. */
  bytesSent: number;
  /** Completed TLS handshakes by protocol version (`TLSv1.3`, …). */
  handshakes: Record<string, number>;
  resumed: number;
  /** Failed handshakes by kind (`handshake`, `verification`). */
  handshakeFailures: Record<string, number>;
  /** Connections that ended in an error, by error code. */
  errors: Record<string, number>;
  connectionSeconds: HistogramFigures;
  handshakeSeconds: HistogramFigures;
}

/** Every service's figures, by service name. */
export interface MetricsSnapshot {
  readonly services: Record<string, ServiceFigures>;
}

/** Anything that emits core's Tunnel events: a `Tunnel`. */
export type TunnelEventSource = Pick<Tunnel, 'on' | 'off'>;

/** The part of core's `ConnectionRefusedEvent` that is counted. */
export interface RefusedEvent {
  readonly service: string;
  readonly code: string;
}

/** A recorder of tunnel figures. */
export interface TunnelMetrics {
  /** Counts the events of one Tunnel; returns a function that stops counting. */
  observe(source: TunnelEventSource): () => void;
  /** Counts every tunnel of this process through core's diagnostics channels; returns a function that stops counting. */
  observeChannels(): () => void;
  /** A copy of the figures now. */
  snapshot(): MetricsSnapshot;
  /** Makes a service appear (with zeros) before its first connection, so a scrape lists every configured service. */
  declare(service: string): void;
  connectionOpen(event: ConnectionOpenEvent): void;
  connectionClose(event: ConnectionCloseEvent): void;
  tlsHandshake(event: TlsHandshakeEvent): void;
  handshakeFailure(event: HandshakeFailureEvent): void;
  connectionRefused(event: RefusedEvent): void;
}

const histogram = (buckets: readonly number[]): HistogramFigures => ({ counts: new Array(buckets.length + 1).fill(0), sum: 0, count: 0 });

function observeHistogram(figures: HistogramFigures, buckets: readonly number[], seconds: number): void {
  let index = buckets.findIndex((bound) => seconds <= bound);
  if (index < 0) index = buckets.length;
  figures.counts[index] = (figures.counts[index] ?? 0) + 1;
  figures.sum += seconds;
  figures.count += 1;
}

/** Empty figures for a service. */
export function emptyFigures(): ServiceFigures {
  return {
    accepted: 0,
    active: 0,
    closed: 0,
    refused: 0,
    bytesReceived: 0,
    bytesSent: 0,
    handshakes: {},
    resumed: 0,
    handshakeFailures: {},
    errors: {},
    connectionSeconds: histogram(CONNECTION_BUCKETS),
    handshakeSeconds: histogram(HANDSHAKE_BUCKETS),
  };
}

const bump = (table: Record<string, number>, key: string) => {
  table[key] = (table[key] ?? 0) + 1;
};

/** Error codes that mean "refused by policy before being served" rather than "failed while being served". */
const REFUSAL_CODES = new Set(['ERR_TUNNEL_PEER_REJECTED', 'ERR_TUNNEL_MAX_CONNECTIONS', 'ERR_TUNNEL_CONNECTION_RATE']);

/**
 * Creates a recorder. Counting happens on events core already emits (one per
 * connection open/close and per handshake), never per data chunk. Open and
 * close are counted under the service that accepted the connection, so an SNI
 * switch never leaves a service's `active` gauge unbalanced.
 */
export function createMetrics(): TunnelMetrics {
  const services = new Map<string, ServiceFigures>();
  // An SNI slave's close event names the slave; the open named the master. Remember which figures the open used.
  const openedUnder = new Map<string, ServiceFigures>();
  const figuresOf = (service: string): ServiceFigures => {
    let figures = services.get(service);
    if (figures === undefined) {
      figures = emptyFigures();
      services.set(service, figures);
    }
    return figures;
  };
  const key = (event: { id: string; service: string; peer: { address: string; port: number } }) =>
    `${event.id}\u0000${event.peer.address}\u0000${event.peer.port}`;

  const metrics: TunnelMetrics = {
    connectionOpen(event) {
      const figures = figuresOf(event.service);
      figures.accepted += 1;
      figures.active += 1;
      openedUnder.set(key(event), figures);
    },
    connectionClose(event) {
      const opened = openedUnder.get(key(event));
      openedUnder.delete(key(event));
      const figures = opened ?? figuresOf(event.service);
      if (opened !== undefined) figures.active -= 1;
      figures.closed += 1;
      // The accepting side's peer is the TLS side in server mode and the plain side in client mode.
      const server = event.mode !== 'client';
      figures.bytesReceived += server ? event.bytesToSocket : event.bytesToTls;
      figures.bytesSent += server ? event.bytesToTls : event.bytesToSocket;
      if (event.error !== undefined) {
        bump(figures.errors, event.error.code);
        if (event.stage === 'accept' || REFUSAL_CODES.has(event.error.code)) figures.refused += 1;
      }
      observeHistogram(figures.connectionSeconds, CONNECTION_BUCKETS, event.durationMs / 1000);
    },
    tlsHandshake(event) {
      const figures = figuresOf(event.service);
      bump(figures.handshakes, event.version ?? 'unknown');
      if (event.resumed) figures.resumed += 1;
      observeHistogram(figures.handshakeSeconds, HANDSHAKE_BUCKETS, event.durationMs / 1000);
    },
    handshakeFailure(event) {
      bump(figuresOf(event.service).handshakeFailures, event.kind);
    },
    connectionRefused(event) {
      const figures = figuresOf(event.service);
      figures.refused += 1;
      bump(figures.errors, event.code);
    },
    observe(source) {
      const listeners: Array<[string, (event: never) => void]> = [
        ['connectionOpen', metrics.connectionOpen],
        ['connectionClose', metrics.connectionClose],
        ['tlsHandshake', metrics.tlsHandshake],
        ['handshakeFailure', metrics.handshakeFailure],
        ['connectionRefused', metrics.connectionRefused],
      ];
      // One loop over a name→listener table; the casts only bridge TypeScript's per-event overloads.
      const on = source.on.bind(source) as unknown as (name: string, listener: (event: never) => void) => void;
      const off = source.off.bind(source) as unknown as (name: string, listener: (event: never) => void) => void;
      for (const [name, listener] of listeners) on(name, listener);
      return () => {
        for (const [name, listener] of listeners) off(name, listener);
      };
    },
    observeChannels() {
      const pairs: Array<[string, (message: unknown) => void]> = [
        ['tunnel:connection:open', (m) => metrics.connectionOpen(m as ConnectionOpenEvent)],
        ['tunnel:connection:close', (m) => metrics.connectionClose(m as ConnectionCloseEvent)],
        ['tunnel:tls:handshake', (m) => metrics.tlsHandshake(m as TlsHandshakeEvent)],
        ['tunnel:tls:failure', (m) => metrics.handshakeFailure(m as HandshakeFailureEvent)],
      ];
      for (const [name, listener] of pairs) subscribe(name, listener);
      return () => {
        for (const [name, listener] of pairs) unsubscribe(name, listener);
      };
    },
    declare(service) {
      figuresOf(service);
    },
    snapshot() {
      return { services: structuredClone(Object.fromEntries(services)) };
    },
  };
  return metrics;
}
