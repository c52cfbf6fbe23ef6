import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createMetrics, renderPrometheus } from '../src/index.js';

const peer = { address: '127.0.0.1', port: 40000, family: 'IPv4' };
const open = (id: string, service = 'web') => ({ id, service, peer: { ...peer, port: 40000 + Number(id) } });
const close = (id: string, extra: Record<string, unknown> = {}) => ({
  ...open(id),
  bytesToTls: 10,
  bytesToSocket: 3,
  reset: false,
  error: undefined,
  durationMs: 20,
  mode: 'server' as const,
  ...extra,
});

/** Every sample line as name{labels} -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$/.exec(line);
    assert.ok(match, `a valid sample line: ${line}`);
    out.set(match[1] as string, Number((match[2] as string).replace('+Inf', 'Infinity')));
  }
  return out;
}

test(
  'open, close, handshake and failure events become exact counters per service',
  timed(async () => {
    const metrics = createMetrics();
    metrics.connectionOpen(open('1'));
    metrics.connectionOpen(open('2'));
    metrics.connectionOpen(open('3', 'mail'));
    metrics.tlsHandshake({
      ...open('1'),
      mode: 'server',
      version: 'TLSv1.3',
      cipher: 'x',
      servername: undefined,
      alpnProtocol: undefined,
      resumed: false,
      peerSubject: undefined,
      durationMs: 2,
    });
    metrics.tlsHandshake({
      ...open('2'),
      mode: 'server',
      version: 'TLSv1.2',
      cipher: 'x',
      servername: undefined,
      alpnProtocol: undefined,
      resumed: true,
      peerSubject: undefined,
      durationMs: 2,
    });
    metrics.handshakeFailure({
      ...open('3', 'mail'),
      mode: 'server',
      kind: 'handshake',
      code: 'ERR_TUNNEL_TLS_HANDSHAKE',
      reason: 'r',
      redirected: false,
      durationMs: 1,
    });
    metrics.connectionClose(close('1'));
    metrics.connectionClose(
      close('3', {
        service: 'mail',
        peer: { ...peer, port: 40003 },
        error: { code: 'ERR_TUNNEL_TLS_HANDSHAKE', message: 'm' },
        stage: 'tls',
      }),
    );
    metrics.connectionRefused({ service: 'web', code: 'ERR_TUNNEL_MAX_CONNECTIONS' });
    const s = samples(renderPrometheus([{ labels: {}, snapshot: metrics.snapshot() }]));
    const table: Array<[string, number]> = [
      ['tunnel_connections_accepted_total{service="web"}', 2],
      ['tunnel_connections_active{service="web"}', 1],
      ['tunnel_connections_closed_total{service="web"}', 1],
      ['tunnel_connections_refused_total{service="web"}', 1],
      ['tunnel_received_bytes_total{service="web"}', 3],
      ['tunnel_sent_bytes_total{service="web"}', 10],
      ['tunnel_tls_handshakes_total{service="web",version="TLSv1.2"}', 1],
      ['tunnel_tls_handshakes_total{service="web",version="TLSv1.3"}', 1],
      ['tunnel_tls_resumed_handshakes_total{service="web"}', 1],
      ['tunnel_errors_total{service="web",code="ERR_TUNNEL_MAX_CONNECTIONS"}', 1],
      ['tunnel_connections_accepted_total{service="mail"}', 1],
      ['tunnel_connections_active{service="mail"}', 0],
      ['tunnel_connections_refused_total{service="mail"}', 0],
      ['tunnel_tls_handshake_failures_total{service="mail",kind="handshake"}', 1],
      ['tunnel_errors_total{service="mail",code="ERR_TUNNEL_TLS_HANDSHAKE"}', 1],
    ];
    for (const [name, value] of table) assert.is(s.get(name), value, name);
  }),
);

test(
  'client mode counts the plain side as received and the TLS side as sent',
  timed(async () => {
    const metrics = createMetrics();
    metrics.connectionOpen(open('1'));
    metrics.connectionClose(close('1', { mode: 'client' }));
    const s = samples(renderPrometheus([{ labels: {}, snapshot: metrics.snapshot() }]));
    assert.is(s.get('tunnel_received_bytes_total{service="web"}'), 10);
    assert.is(s.get('tunnel_sent_bytes_total{service="web"}'), 3);
  }),
);

test(
  'an SNI switch closes under the slave name but keeps the master active gauge balanced',
  timed(async () => {
    const metrics = createMetrics();
    metrics.connectionOpen(open('1', 'master'));
    metrics.connectionClose(close('1', { service: 'slave' }));
    const s = samples(renderPrometheus([{ labels: {}, snapshot: metrics.snapshot() }]));
    assert.is(s.get('tunnel_connections_active{service="master"}'), 0);
    assert.is(s.get('tunnel_connections_closed_total{service="master"}'), 1);
  }),
);

test(
  'histogram buckets are cumulative and end with +Inf equal to the count',
  timed(async () => {
    const metrics = createMetrics();
    const durations = [5, 20, 20, 700, 7_200_000_000];
    durations.forEach((ms, i) => {
      metrics.connectionOpen(open(String(i)));
      metrics.connectionClose(close(String(i), { durationMs: ms }));
    });
    const s = samples(renderPrometheus([{ labels: {}, snapshot: metrics.snapshot() }]));
    const bucket = (le: string) => s.get(`tunnel_connection_duration_seconds_bucket{service="web",le="${le}"}`);
    assert.is(bucket('0.01'), 1);
    assert.is(bucket('0.05'), 3);
    assert.is(bucket('1'), 4);
    assert.is(bucket('86400'), 4);
    assert.is(bucket('+Inf'), 5);
    assert.is(s.get('tunnel_connection_duration_seconds_count{service="web"}'), 5);
    assert.ok(Math.abs((s.get('tunnel_connection_duration_seconds_sum{service="web"}') ?? 0) - 7_200_000.745) < 1e-6);
  }),
);

test(
  'several label sets (workers) share one HELP/TYPE per family, and label values are escaped',
  timed(async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.connectionOpen(open('1', 'we"ird\\na\nme'));
    b.connectionOpen(open('1', 'web'));
    b.connectionOpen(open('2', 'web'));
    const text = renderPrometheus([
      { labels: { worker: '1' }, snapshot: a.snapshot() },
      { labels: { worker: '2' }, snapshot: b.snapshot() },
    ]);
    assert.is(text.match(/^# TYPE tunnel_connections_accepted_total counter$/gm)?.length, 1);
    assert.is(text.match(/^# HELP /gm)?.length, text.match(/^# TYPE /gm)?.length);
    const s = samples(text);
    assert.is(s.get('tunnel_connections_accepted_total{service="we\\"ird\\\\na\\nme",worker="1"}'), 1);
    assert.is(s.get('tunnel_connections_accepted_total{service="web",worker="2"}'), 2);
    assert.ok(text.endsWith('\n'));
  }),
);

test(
  'a snapshot is a copy: later events do not change it',
  timed(async () => {
    const metrics = createMetrics();
    metrics.connectionOpen(open('1'));
    const before = metrics.snapshot();
    metrics.connectionOpen(open('2'));
    assert.is(before.services.web?.accepted, 1);
    assert.is(metrics.snapshot().services.web?.accepted, 2);
    assert.equal(JSON.parse(JSON.stringify(before)), before, 'plain JSON, fit for IPC');
  }),
);

test(
  'a declared service is listed with zeros before any connection',
  timed(async () => {
    const metrics = createMetrics();
    metrics.declare('idle');
    const s = samples(renderPrometheus([{ labels: {}, snapshot: metrics.snapshot() }]));
    assert.is(s.get('tunnel_connections_accepted_total{service="idle"}'), 0);
    assert.is(s.get('tunnel_connection_duration_seconds_bucket{service="idle",le="+Inf"}'), 0);
  }),
);

test.run();
