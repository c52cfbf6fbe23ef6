import { PROTOCOL_CONTRACT_VERSION, type ProtocolOptions } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commandOf, isOk, protocol, startTlsClient, startTlsServer } from '../src/index.js';
import { collector, makeContext, script } from './context.js';

async function rejects(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.is((error as { code?: string }).code, code);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

const okLines: [string, boolean][] = [
  ['+OK Dovecot ready.', true],
  ['+OK', true],
  ['+ok lower case', true],
  ['+OKAY', false],
  ['-ERR no', false],
  ['', false],
  ['* OK imap', false],
];
for (const [line, ok] of okLines) {
  test(`isOk(${JSON.stringify(line)}) is ${ok}`, () => assert.is(isOk(line), ok));
}

test('commandOf upper-cases the first word', () => {
  assert.is(commandOf('capa'), 'CAPA');
  assert.is(commandOf('stls now'), 'STLS');
  assert.is(commandOf(''), '');
});

test('the plugin is pop3, contract 1, both modes, no postTls', () => {
  assert.is(protocol.name, 'pop3');
  assert.is(protocol.contract, PROTOCOL_CONTRACT_VERSION);
  assert.equal([...protocol.modes].sort(), ['client', 'server']);
  assert.is(protocol.postTls, undefined);
});

for (const chunk of [0, 1, 4]) {
  test(
    `client mode relays the +OK greeting and sends STLS (${chunk === 0 ? 'whole' : `${chunk}-byte`} chunks)`,
    timed(async () => {
      const t = makeContext('client');
      const upstream = collector(t.remotePeer);
      const client = collector(t.localPeer);
      const server = script(
        t.remotePeer,
        upstream,
        [{ send: '+OK Dovecot ready.\r\n' }, { expect: 'STLS\r\n', send: '+OK Begin TLS negotiation now.\r\n' }],
        chunk,
      );
      await protocol.preTls?.(t.context);
      await server;
      await client.waitFor('\r\n');
      assert.is(client.text(), '+OK Dovecot ready.\r\n');
      assert.is(upstream.text(), 'STLS\r\n');
      assert.is(t.remote.buffered, 0);
    }),
  );
}

const clientFaults: [string, { expect?: string; send: string }[], string][] = [
  ['the greeting is -ERR', [{ send: '-ERR go away\r\n' }], 'ERR_TUNNEL_POP3_REJECTED'],
  ['the greeting is garbage', [{ send: '220 smtp\r\n' }], 'ERR_TUNNEL_POP3_REJECTED'],
  ['STLS is refused', [{ send: '+OK hi\r\n' }, { expect: 'STLS', send: '-ERR Unknown command\r\n' }], 'ERR_TUNNEL_POP3_NO_STLS'],
  ['the greeting is over-long', [{ send: `+OK ${'x'.repeat(3000)}\r\n` }], 'ERR_TUNNEL_LINE_TOO_LONG'],
];
for (const [what, steps, code] of clientFaults) {
  test(
    `client mode fails with ${code} when ${what}`,
    timed(async () => {
      const t = makeContext('client');
      void script(t.remotePeer, collector(t.remotePeer), steps);
      await rejects(protocol.preTls!(t.context), code);
    }),
  );
}

test(
  'client mode fails with ERR_TUNNEL_PEER_CLOSED when the server closes before answering STLS',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    void script(t.remotePeer, upstream, [{ send: '+OK hi\r\n' }])
      .then(() => upstream.waitFor('STLS'))
      .then(() => t.remotePeer.end());
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_PEER_CLOSED');
  }),
);

test(
  'client mode leaves plaintext injected after +OK to STLS buffered on the upstream channel (CVE-2011-0411)',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    const server = script(t.remotePeer, upstream, [{ send: '+OK hi\r\n' }, { expect: 'STLS', send: '+OK go\r\n+OK injected\r\n' }]);
    await protocol.preTls?.(t.context);
    await server;
    assert.ok(t.remote.buffered > 0);
  }),
);

test(
  'startTlsClient on a bare Duplex refuses plaintext after +OK with ERR_TUNNEL_POP3_PLAINTEXT_INJECTION',
  timed(async () => {
    const [peer, side] = socketPair();
    void script(peer, collector(peer), [{ send: '+OK hi\r\n' }, { expect: 'STLS', send: '+OK go\r\nX' }]);
    await rejects(startTlsClient(side), 'ERR_TUNNEL_POP3_PLAINTEXT_INJECTION');
  }),
);

for (const [what, steps, transcript] of [
  ['STLS', [{ expect: '+ stunnel\r\n', send: 'STLS\r\n' }], '+OK Dovecot ready. + stunnel\r\n+OK Stunnel starts TLS negotiation\r\n'],
  [
    'CAPA then STLS',
    [
      { expect: '+ stunnel\r\n', send: 'CAPA\r\n' },
      { expect: '.\r\n', send: 'stls\r\n' },
    ],
    '+OK Dovecot ready. + stunnel\r\n+OK Stunnel capability list follows\r\nSTLS\r\n.\r\n+OK Stunnel starts TLS negotiation\r\n',
  ],
] as const) {
  for (const chunk of [0, 1]) {
    test(
      `server mode relays the greeting marked stunnel and accepts ${what} (${chunk === 0 ? 'whole' : 'byte at a time'})`,
      timed(async () => {
        const t = makeContext('server');
        const client = collector(t.localPeer);
        const upstream = collector(t.remotePeer);
        t.remotePeer.write('+OK Dovecot ready.\r\n');
        const peer = script(t.localPeer, client, steps, chunk);
        await protocol.preTls?.(t.context);
        await peer;
        await client.waitFor('negotiation\r\n');
        assert.is(client.text(), transcript);
        assert.is(upstream.text(), '');
        assert.is(t.local.buffered, 0);
      }),
    );
  }
}

test(
  'server mode leaves plaintext pipelined after STLS buffered on the client channel (CVE-2011-0411)',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write('+OK hi\r\n');
    void script(t.localPeer, client, [{ expect: 'stunnel', send: 'STLS\r\nUSER victim\r\n' }]);
    await protocol.preTls?.(t.context);
    assert.ok(t.local.buffered > 0);
  }),
);

const serverFaults: [string, string, { expect?: string; send: string }[], string][] = [
  [
    'the client sends USER instead of STLS',
    '+OK hi\r\n',
    [{ expect: 'stunnel', send: 'USER a\r\n' }],
    'ERR_TUNNEL_POP3_UNEXPECTED_COMMAND',
  ],
  [
    'the client sends CAPA twice',
    '+OK hi\r\n',
    [
      { expect: 'stunnel', send: 'CAPA\r\n' },
      { expect: '.\r\n', send: 'CAPA\r\n' },
    ],
    'ERR_TUNNEL_POP3_UNEXPECTED_COMMAND',
  ],
  ['the upstream greets with -ERR', '-ERR maintenance\r\n', [], 'ERR_TUNNEL_POP3_REJECTED'],
  ['the client line is over-long', '+OK hi\r\n', [{ expect: 'stunnel', send: 'A'.repeat(3000) }], 'ERR_TUNNEL_LINE_TOO_LONG'],
];
for (const [what, greeting, steps, code] of serverFaults) {
  test(
    `server mode fails with ${code} when ${what}`,
    timed(async () => {
      const t = makeContext('server');
      t.remotePeer.write(greeting);
      void script(t.localPeer, collector(t.localPeer), steps);
      await rejects(protocol.preTls!(t.context), code);
    }),
  );
}

test(
  'server mode relays an error greeting unchanged before failing',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write('-ERR maintenance\r\n');
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_POP3_REJECTED');
    assert.is(client.text(), '-ERR maintenance\r\n');
  }),
);

test(
  'server mode fails with ERR_TUNNEL_PEER_CLOSED when the client leaves before STLS',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write('+OK hi\r\n');
    void client.waitFor('stunnel').then(() => t.localPeer.end());
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_PEER_CLOSED');
  }),
);

test(
  'startTlsServer on bare Duplexes puts bytes the upstream sent past its greeting back on the upstream stream',
  timed(async () => {
    const [clientPeer, clientSide] = socketPair();
    const [serverPeer, serverSide] = socketPair();
    serverPeer.write('+OK hi\r\nEXTRA');
    void script(clientPeer, collector(clientPeer), [{ expect: 'stunnel', send: 'STLS\r\n' }]);
    await startTlsServer({ client: clientSide, server: serverSide });
    assert.is(String(serverSide.read()), 'EXTRA');
  }),
);

test(
  'the hook honours the abort signal while waiting for the server',
  timed(async () => {
    const t = makeContext('client');
    const pending = protocol.preTls!(t.context);
    t.abort.abort(Object.assign(new Error('busy timeout'), { code: 'ERR_TUNNEL_TIMEOUT' }));
    await rejects(pending, 'ERR_TUNNEL_TIMEOUT');
  }),
);

const validation: [string, ProtocolOptions, string | undefined][] = [
  ['no options', {}, undefined],
  ['protocolHost', { host: 'x' }, 'protocolHost'],
  ['protocolUsername', { username: 'u' }, 'protocolUsername'],
  ['protocolAuthentication', { authentication: 'plain' }, 'protocolAuthentication'],
  ['protocolPassword', { password: 'p' }, 'protocolPassword'],
  ['protocolDomain', { domain: 'd' }, 'protocolDomain'],
  ['protocolHeader', { headers: ['a: b'] }, 'protocolHeader'],
  ['an unknown protocol option', { extra: { x: 'y' } }, 'protocolx'],
];
for (const [what, options, option] of validation) {
  for (const mode of ['client', 'server'] as const) {
    test(`validate ${option === undefined ? 'accepts' : 'refuses'} ${what} in ${mode} mode`, () => {
      try {
        protocol.validate?.(options, mode);
        assert.is(option, undefined);
      } catch (error) {
        assert.is((error as { code?: string }).code, 'ERR_TUNNEL_POP3_INVALID_OPTION');
        assert.is((error as { option?: string }).option, option);
      }
    });
  }
}

test.run();
