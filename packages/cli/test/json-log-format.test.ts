import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatJsonLine } from '../src/log-sinks.js';
import { describeActiveConnections } from '../src/observe.js';

const time = new Date('2026-01-02T03:04:05.678Z');

test('a record is one line of JSON in a fixed field order, even with a line feed in the message', () => {
  const line = formatJsonLine({ level: 3, time, id: '7', service: 'web', message: 'two\nlines', code: 'ERR_X' }, { worker: 2 });
  assert.not.match(line, /\n/);
  assert.is(
    line,
    '{"time":"2026-01-02T03:04:05.678Z","level":"err","severity":3,"worker":2,"service":"web","id":"7","message":"two\\nlines","code":"ERR_X"}',
  );
});

test('absent fields are left out; event fields follow the message', () => {
  const plain = JSON.parse(formatJsonLine({ level: 5, time, id: undefined, service: undefined, message: 'hi' }));
  assert.equal(Object.keys(plain), ['time', 'level', 'severity', 'message']);
  const event = JSON.parse(
    formatJsonLine({
      level: 6,
      time,
      event: 'tls.handshake',
      service: 'web',
      id: '1',
      message: 'TLS session negotiated',
      fields: { version: 'TLSv1.3', alpn: undefined, resumed: false },
    }),
  );
  assert.equal(Object.keys(event), ['time', 'level', 'severity', 'service', 'id', 'event', 'message', 'version', 'resumed']);
});

test('the SIGUSR2 list names each connection with service, peer, age and bytes', () => {
  const now = Date.parse('2026-01-02T03:05:05Z');
  const lines = describeActiveConnections(
    [
      {
        id: '3',
        service: 'web',
        peer: { address: '::1', port: 5000, family: 'IPv6' },
        since: new Date(now - 61_000),
        bytesIn: 10,
        bytesOut: 20,
      },
      { id: '4', service: 'sock', peer: { address: 'unix', port: 0, family: 'unix' }, since: new Date(now), bytesIn: 0, bytesOut: 0 },
    ],
    now,
  );
  assert.equal(lines, [
    'Active connections:',
    'Active connection 3: Service [web], peer [::1]:5000, age 61 s, 10 byte(s) in, 20 byte(s) out',
    'Active connection 4: Service [sock], peer a Unix socket, age 0 s, 0 byte(s) in, 0 byte(s) out',
    'Listed 2 active connection(s)',
  ]);
});

test.run();
