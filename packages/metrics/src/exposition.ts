import { CONNECTION_BUCKETS, HANDSHAKE_BUCKETS, type HistogramFigures, type MetricsSnapshot, type ServiceFigures } from './figures.js';

/** The Content-Type of the Prometheus text exposition format this package writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** One set of figures and the labels that tell it apart from the others in the same scrape (e.g. `{ worker: '1' }`). */
export interface LabelledSnapshot {
  readonly labels: Readonly<Record<string, string>>;
  readonly snapshot: MetricsSnapshot;
}

type Labels = ReadonlyArray<readonly [string, string]>;

/** Label values escape backslash, double quote and line feed (exposition format 0.0.4). */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed only. */
function escapeHelp(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function sample(name: string, labels: Labels, value: number): string {
  const text = labels.map(([key, v]) => `${key}="${escapeLabel(v)}"`).join(',');
  // Exposition numbers: Go float syntax; +Inf for the last bucket bound.
  const number = Number.isFinite(value) ? String(value) : value > 0 ? '+Inf' : value < 0 ? '-Inf' : 'NaN';
  return text === '' ? `${name} ${number}` : `${name}{${text}} ${number}`;
}

interface Family {
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  readonly lines: (figures: ServiceFigures, labels: Labels) => string[];
}

const single =
  (name: string, pick: (figures: ServiceFigures) => number) =>
  (figures: ServiceFigures, labels: Labels): string[] => [sample(name, labels, pick(figures))];

const table =
  (name: string, label: string, pick: (figures: ServiceFigures) => Record<string, number>) =>
  (figures: ServiceFigures, labels: Labels): string[] =>
    Object.entries(pick(figures))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => sample(name, [...labels, [label, key]], value));

const buckets =
  (name: string, bounds: readonly number[], pick: (figures: ServiceFigures) => HistogramFigures) =>
  (figures: ServiceFigures, labels: Labels): string[] => {
    const histogram = pick(figures);
    let cumulative = 0;
    const lines = [...bounds, Number.POSITIVE_INFINITY].map((bound, index) => {
      cumulative += histogram.counts[index] ?? 0;
      return sample(`${name}_bucket`, [...labels, ['le', Number.isFinite(bound) ? String(bound) : '+Inf']], cumulative);
    });
    lines.push(sample(`${name}_sum`, labels, histogram.sum), sample(`${name}_count`, labels, histogram.count));
    return lines;
  };

const FAMILIES: readonly Family[] = [
  {
    name: 'tunnel_connections_accepted_total',
    type: 'counter',
    help: 'Connections accepted by the service.',
    lines: single('tunnel_connections_accepted_total', (f) => f.accepted),
  },
  {
    name: 'tunnel_connections_active',
    type: 'gauge',
    help: 'Connections in flight.',
    lines: single('tunnel_connections_active', (f) => f.active),
  },
  {
    name: 'tunnel_connections_closed_total',
    type: 'counter',
    help: 'Connections that have ended, cleanly or not.',
    lines: single('tunnel_connections_closed_total', (f) => f.closed),
  },
  {
    name: 'tunnel_connections_refused_total',
    type: 'counter',
    help: 'Connections refused before being served (limits, access policy, certificate policy).',
    lines: single('tunnel_connections_refused_total', (f) => f.refused),
  },
  {
    name: 'tunnel_received_bytes_total',
    type: 'counter',
    help: "Payload bytes received from the accepting side's peer and forwarded (counted when a connection ends).",
    lines: single('tunnel_received_bytes_total', (f) => f.bytesReceived),
  },
  {
    name: 'tunnel_sent_bytes_total',
    type: 'counter',
    help: "Payload bytes sent to the accepting side's peer (counted when a connection ends).",
    lines: single('tunnel_sent_bytes_total', (f) => f.bytesSent),
  },
  {
    name: 'tunnel_tls_handshakes_total',
    type: 'counter',
    help: 'Completed TLS handshakes by protocol version.',
    lines: table('tunnel_tls_handshakes_total', 'version', (f) => f.handshakes),
  },
  {
    name: 'tunnel_tls_resumed_handshakes_total',
    type: 'counter',
    help: 'TLS handshakes that resumed an earlier session.',
    lines: single('tunnel_tls_resumed_handshakes_total', (f) => f.resumed),
  },
  {
    name: 'tunnel_tls_handshake_failures_total',
    type: 'counter',
    help: 'Failed TLS handshakes (kind="handshake") and peers the certificate policy rejected (kind="verification").',
    lines: table('tunnel_tls_handshake_failures_total', 'kind', (f) => f.handshakeFailures),
  },
  {
    name: 'tunnel_errors_total',
    type: 'counter',
    help: 'Connections that ended in an error, by error code.',
    lines: table('tunnel_errors_total', 'code', (f) => f.errors),
  },
  {
    name: 'tunnel_connection_duration_seconds',
    type: 'histogram',
    help: 'How long connections lasted.',
    lines: buckets('tunnel_connection_duration_seconds', CONNECTION_BUCKETS, (f) => f.connectionSeconds),
  },
  {
    name: 'tunnel_tls_handshake_duration_seconds',
    type: 'histogram',
    help: 'How long completed TLS handshakes took.',
    lines: buckets('tunnel_tls_handshake_duration_seconds', HANDSHAKE_BUCKETS, (f) => f.handshakeSeconds),
  },
];

/**
 * Renders figures in the Prometheus text exposition format 0.0.4: each family
 * once with its HELP and TYPE, then one sample per service (and per extra
 * label set, e.g. per cluster worker). Services are sorted by name so that
 * successive scrapes line up.
 */
export function renderPrometheus(sources: readonly LabelledSnapshot[]): string {
  const out: string[] = [];
  for (const family of FAMILIES) {
    out.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const source of sources) {
      const extra = Object.entries(source.labels);
      for (const service of Object.keys(source.snapshot.services).sort()) {
        const figures = source.snapshot.services[service];
        if (figures !== undefined) out.push(...family.lines(figures, [['service', service], ...extra]));
      }
    }
  }
  return `${out.join('\n')}\n`;
}
