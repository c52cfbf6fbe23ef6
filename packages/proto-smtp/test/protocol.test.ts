import { PROTOCOL_CONTRACT_VERSION, type ProtocolOptions } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authenticate, plainInitialResponse, protocol, startTlsClient, startTlsServer } from '../src/index.js';
import { collector, makeContext, script } from './context.js';

async function rejects(promise: Promise<unknown>, code: string): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.is((error as { code?: string }).code, code);
    return error as Error;
  }
  assert.unreachable(`expected ${code}`);
  throw new Error('unreachable');
}

const GREETING = '220-mx.example ESMTP Postfix\r\n220 welcome\r\n';
const EHLO = '250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n';

test('the plugin is smtp, contract 1, both modes', () => {
  assert.is(protocol.name, 'smtp');
  assert.is(protocol.contract, PROTOCOL_CONTRACT_VERSION);
  assert.equal([...protocol.modes].sort(), ['client', 'server']);
});

for (const chunk of [0, 1, 5]) {
  test(
    `client mode relays the multi-line greeting, sends EHLO localhost and STARTTLS (${chunk === 0 ? 'whole' : `${chunk}-byte`} chunks)`,
    timed(async () => {
      const t = makeContext('client');
      const upstream = collector(t.remotePeer);
      const client = collector(t.localPeer);
      const server = script(
        t.remotePeer,
        upstream,
        [
          { send: GREETING },
          { expect: 'EHLO localhost\r\n', send: EHLO },
          { expect: 'STARTTLS\r\n', send: '220 2.0.0 Ready to start TLS\r\n' },
        ],
        chunk,
      );
      await protocol.preTls?.(t.context);
      await server;
      assert.is(client.text(), GREETING);
      assert.is(upstream.text(), 'EHLO localhost\r\nSTARTTLS\r\n');
      assert.is(t.remote.buffered, 0);
      assert.is(t.logs.filter((line) => line.startsWith('warning')).length, 0);
    }),
  );
}

test(
  'client mode sends protocolHost as the EHLO name',
  timed(async () => {
    const t = makeContext('client', { host: 'relay.example' });
    const upstream = collector(t.remotePeer);
    const server = script(t.remotePeer, upstream, [
      { send: '220 mx\r\n' },
      { expect: '\r\n', send: '250 mx\r\n' },
      { expect: 'STARTTLS\r\n', send: '220 go\r\n' },
    ]);
    await protocol.preTls?.(t.context);
    await server;
    assert.is(upstream.text(), 'EHLO relay.example\r\nSTARTTLS\r\n');
  }),
);

test(
  'client mode sends STARTTLS even when EHLO does not advertise it, and warns',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    const server = script(t.remotePeer, upstream, [
      { send: '220 mx\r\n' },
      { expect: 'EHLO', send: '250-mx\r\n250 SIZE 100\r\n' },
      { expect: 'STARTTLS\r\n', send: '220 go\r\n' },
    ]);
    await protocol.preTls?.(t.context);
    await server;
    assert.ok(t.logs.some((line) => line.startsWith('warning') && line.includes('STARTTLS')));
  }),
);

const clientFaults: [string, { expect?: string; send: string }[], string][] = [
  [
    'the server refuses STARTTLS with 454',
    [{ send: '220 mx\r\n' }, { expect: 'EHLO', send: EHLO }, { expect: 'STARTTLS', send: '454 4.7.0 TLS not available\r\n' }],
    'ERR_TUNNEL_SMTP_NO_STARTTLS',
  ],
  ['the server refuses EHLO', [{ send: '220 mx\r\n' }, { expect: 'EHLO', send: '502 5.5.2 no\r\n' }], 'ERR_TUNNEL_SMTP_REJECTED'],
  ['the server greets with 554', [{ send: '554 5.3.2 busy\r\n' }], 'ERR_TUNNEL_SMTP_REJECTED'],
  ['the server greets with garbage', [{ send: '* OK IMAP ready\r\n' }], 'ERR_TUNNEL_SMTP_BAD_REPLY'],
  ['the greeting has too many continuation lines', [{ send: '220-x\r\n'.repeat(101) }], 'ERR_TUNNEL_SMTP_TOO_MANY_LINES'],
  ['the greeting line is over-long', [{ send: `220 ${'a'.repeat(5000)}\r\n` }], 'ERR_TUNNEL_LINE_TOO_LONG'],
];
for (const [what, steps, code] of clientFaults) {
  test(
    `client mode fails with ${code} when ${what}`,
    timed(async () => {
      const t = makeContext('client');
      const upstream = collector(t.remotePeer);
      void script(t.remotePeer, upstream, steps);
      await rejects(protocol.preTls!(t.context), code);
    }),
  );
}

test(
  'client mode relays an error greeting to the local client before failing',
  timed(async () => {
    const t = makeContext('client');
    const client = collector(t.localPeer);
    t.remotePeer.write('554 5.3.2 busy\r\n');
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_SMTP_REJECTED');
    assert.is(client.text(), '554 5.3.2 busy\r\n');
  }),
);

test(
  'client mode fails with ERR_TUNNEL_PEER_CLOSED when the server closes early',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    void script(t.remotePeer, upstream, [{ send: '220 mx\r\n' }, { expect: 'EHLO', send: '250-mx\r\n' }]).then(() => t.remotePeer.end());
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_PEER_CLOSED');
  }),
);

test(
  'client mode leaves plaintext injected after the 220 to STARTTLS buffered on the upstream channel (CVE-2011-0411)',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    const server = script(t.remotePeer, upstream, [
      { send: '220 mx\r\n' },
      { expect: 'EHLO', send: EHLO },
      { expect: 'STARTTLS', send: '220 go\r\n250 injected\r\n' },
    ]);
    await protocol.preTls?.(t.context);
    await server;
    assert.ok(t.remote.buffered > 0);
  }),
);

test(
  'startTlsClient on a bare Duplex refuses plaintext after the 220 with ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION',
  timed(async () => {
    const [peer, side] = socketPair();
    const received = collector(peer);
    void script(peer, received, [{ send: '220 mx\r\n' }, { expect: 'EHLO', send: EHLO }, { expect: 'STARTTLS', send: '220 go\r\nXX' }]);
    await rejects(startTlsClient(side), 'ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION');
  }),
);

test(
  'startTlsClient reports the greeting, the EHLO lines and whether STARTTLS was advertised',
  timed(async () => {
    const [peer, side] = socketPair();
    const received = collector(peer);
    void script(peer, received, [{ send: GREETING }, { expect: 'EHLO', send: EHLO }, { expect: 'STARTTLS', send: '220 go\r\n' }]);
    const result = await startTlsClient(side, { ehloName: 'me.example' });
    assert.equal(result.greeting, ['220-mx.example ESMTP Postfix', '220 welcome']);
    assert.is(result.ehlo.length, 4);
    assert.ok(result.startTlsAdvertised);
  }),
);

for (const chunk of [0, 1]) {
  test(
    `server mode relays the upstream greeting marked stunnel, answers EHLO with STARTTLS and accepts STARTTLS (${chunk === 0 ? 'whole' : 'byte at a time'})`,
    timed(async () => {
      const t = makeContext('server');
      const client = collector(t.localPeer);
      const upstream = collector(t.remotePeer);
      t.remotePeer.write('220-mx.example ESMTP Postfix\r\n220 second line\r\n');
      const peer = script(
        t.localPeer,
        client,
        [
          { expect: '220 second line\r\n', send: 'EHLO client.example\r\n' },
          { expect: '250 STARTTLS\r\n', send: 'STARTTLS\r\n' },
        ],
        chunk,
      );
      await protocol.preTls?.(t.context);
      await peer;
      await client.waitFor('220 Go ahead\r\n');
      assert.is(
        client.text(),
        '220-mx.example stunnel for ESMTP Postfix\r\n220 second line\r\n250-mx.example\r\n250 STARTTLS\r\n220 Go ahead\r\n',
      );
      assert.is(upstream.text(), '');
      assert.is(t.local.buffered, 0);
    }),
  );
}

test(
  'server mode leaves plaintext pipelined after STARTTLS buffered on the client channel (CVE-2011-0411)',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write('220 mx ESMTP\r\n');
    void script(t.localPeer, client, [
      { expect: '220 mx', send: 'EHLO c\r\n' },
      { expect: '250 STARTTLS', send: 'STARTTLS\r\nMAIL FROM:<a@b>\r\n' },
    ]);
    await protocol.preTls?.(t.context);
    assert.ok(t.local.buffered > 0);
  }),
);

test(
  'server mode skips the dialogue when the client speaks first (no STARTTLS, TLS at once)',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write('220 mx ESMTP\r\n');
    t.localPeer.write(Buffer.from([0x16, 0x03, 0x01]));
    await protocol.preTls?.(t.context);
    assert.is(client.text(), '');
    assert.is(t.local.buffered, 0);
    assert.ok(t.local.stream.readableLength > 0);
    assert.is(t.remote.buffered, 0);
  }),
);

const serverFaults: [string, string, { expect?: string; send: string }[], string][] = [
  ['the client sends HELO instead of EHLO', '220 mx\r\n', [{ expect: '220', send: 'HELO c\r\n' }], 'ERR_TUNNEL_SMTP_UNEXPECTED_COMMAND'],
  [
    'the client sends MAIL instead of STARTTLS',
    '220 mx\r\n',
    [
      { expect: '220', send: 'EHLO c\r\n' },
      { expect: '250 STARTTLS', send: 'MAIL FROM:<a@b>\r\n' },
    ],
    'ERR_TUNNEL_SMTP_UNEXPECTED_COMMAND',
  ],
  ['the upstream greets with 421', '421 mx shutting down\r\n', [], 'ERR_TUNNEL_SMTP_REJECTED'],
  ['the upstream greets with garbage', 'hello\r\n', [], 'ERR_TUNNEL_SMTP_BAD_REPLY'],
];
for (const [what, greeting, steps, code] of serverFaults) {
  test(
    `server mode fails with ${code} when ${what}`,
    timed(async () => {
      const t = makeContext('server');
      const client = collector(t.localPeer);
      t.remotePeer.write(greeting);
      void script(t.localPeer, client, steps);
      await rejects(protocol.preTls!(t.context), code);
    }),
  );
}

test(
  'server mode fails with ERR_TUNNEL_PEER_CLOSED when the client closes before EHLO',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write('220 mx\r\n');
    void client.waitFor('220').then(() => t.localPeer.end());
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_PEER_CLOSED');
  }),
);

test(
  'startTlsServer on bare Duplexes puts bytes the upstream sent past its greeting back on the upstream stream',
  timed(async () => {
    const [clientPeer, clientSide] = socketPair();
    const [serverPeer, serverSide] = socketPair();
    const client = collector(clientPeer);
    serverPeer.write('220 mx\r\nEXTRA');
    void script(clientPeer, client, [
      { expect: '220', send: 'EHLO c\r\n' },
      { expect: '250 STARTTLS', send: 'STARTTLS\r\n' },
    ]);
    await startTlsServer({ client: clientSide, server: serverSide });
    assert.is(String(serverSide.read()), 'EXTRA');
  }),
);

test(
  'the hooks honour the abort signal while waiting for the peer',
  timed(async () => {
    const t = makeContext('client');
    const pending = protocol.preTls!(t.context);
    t.abort.abort(Object.assign(new Error('busy timeout'), { code: 'ERR_TUNNEL_TIMEOUT' }));
    await rejects(pending, 'ERR_TUNNEL_TIMEOUT');
  }),
);

test(
  'server-mode detection honours the abort signal',
  timed(async () => {
    const t = makeContext('server');
    const pending = protocol.preTls!(t.context);
    t.abort.abort(Object.assign(new Error('busy timeout'), { code: 'ERR_TUNNEL_TIMEOUT' }));
    await rejects(pending, 'ERR_TUNNEL_TIMEOUT');
  }),
);

const authCases: [string, ProtocolOptions, { expect?: string; send: string }[], string][] = [
  [
    'AUTH PLAIN with base64 of NUL user NUL password',
    { username: 'user', password: 'secret' },
    [
      { expect: 'HELO localhost\r\n', send: '250 mx\r\n' },
      { expect: `AUTH PLAIN ${Buffer.from('\0user\0secret').toString('base64')}\r\n`, send: '235 2.7.0 ok\r\n' },
    ],
    `HELO localhost\r\nAUTH PLAIN ${Buffer.from('\0user\0secret').toString('base64')}\r\n`,
  ],
  [
    'the AUTH LOGIN dialogue',
    { username: 'user', password: 'secret', authentication: 'LOGIN', host: 'me.example' },
    [
      { expect: 'HELO me.example\r\n', send: '250 mx\r\n' },
      { expect: 'AUTH LOGIN\r\n', send: '334 VXNlcm5hbWU6\r\n' },
      { expect: 'dXNlcg==\r\n', send: '334 UGFzc3dvcmQ6\r\n' },
      { expect: 'c2VjcmV0\r\n', send: '235 ok\r\n' },
    ],
    'HELO me.example\r\nAUTH LOGIN\r\ndXNlcg==\r\nc2VjcmV0\r\n',
  ],
];
for (const [what, options, steps, sent] of authCases) {
  test(
    `client mode postTls logs in with ${what}`,
    timed(async () => {
      const t = makeContext('client', options);
      const upstream = collector(t.remotePeer);
      const server = script(t.remotePeer, upstream, steps);
      await protocol.postTls?.(t.context);
      await server;
      assert.is(upstream.text(), sent);
    }),
  );
}

test(
  'client mode postTls sends nothing without protocolUsername/protocolPassword',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    await protocol.postTls?.(t.context);
    await new Promise((resolve) => setImmediate(resolve));
    assert.is(upstream.text(), '');
  }),
);

const authFaults: [string, ProtocolOptions, { expect?: string; send: string }[]][] = [
  [
    'PLAIN is refused with 535',
    { username: 'u', password: 'p' },
    [
      { expect: 'HELO', send: '250 mx\r\n' },
      { expect: 'AUTH', send: '535 5.7.8 bad\r\n' },
    ],
  ],
  [
    'LOGIN is not offered',
    { username: 'u', password: 'p', authentication: 'login' },
    [
      { expect: 'HELO', send: '250 mx\r\n' },
      { expect: 'AUTH', send: '504 5.5.4 no\r\n' },
    ],
  ],
  [
    'the LOGIN password is refused',
    { username: 'u', password: 'p', authentication: 'login' },
    [
      { expect: 'HELO', send: '250 mx\r\n' },
      { expect: 'AUTH', send: '334 x\r\n' },
      { expect: 'dQ==', send: '334 y\r\n' },
      { expect: 'cA==', send: '535 no\r\n' },
    ],
  ],
  [
    'the LOGIN user is refused',
    { username: 'u', password: 'p', authentication: 'login' },
    [
      { expect: 'HELO', send: '250 mx\r\n' },
      { expect: 'AUTH', send: '334 x\r\n' },
      { expect: 'dQ==', send: '535 no\r\n' },
    ],
  ],
];
for (const [what, options, steps] of authFaults) {
  test(
    `client mode postTls fails with ERR_TUNNEL_SMTP_AUTH_FAILED when ${what}`,
    timed(async () => {
      const t = makeContext('client', options);
      const upstream = collector(t.remotePeer);
      void script(t.remotePeer, upstream, steps);
      await rejects(protocol.postTls!(t.context), 'ERR_TUNNEL_SMTP_AUTH_FAILED');
    }),
  );
}

test(
  'authenticate and plainInitialResponse work on a bare Duplex',
  timed(async () => {
    assert.is(plainInitialResponse('a', 'b'), Buffer.from('\0a\0b').toString('base64'));
    const [peer, side] = socketPair();
    const received = collector(peer);
    void script(peer, received, [
      { expect: 'HELO', send: '250 mx\r\n' },
      { expect: 'AUTH', send: '235 ok\r\n' },
    ]);
    await authenticate(side, { username: 'a', password: 'b' });
  }),
);

const validation: [string, ProtocolOptions, 'client' | 'server', string | undefined][] = [
  ['no options in client mode', {}, 'client', undefined],
  ['no options in server mode', {}, 'server', undefined],
  ['plain AUTH with both credentials', { authentication: 'PLAIN', username: 'u', password: 'p' }, 'client', undefined],
  ['an address literal as protocolHost', { host: '[127.0.0.1]' }, 'client', undefined],
  ['protocolAuthentication = ntlm', { authentication: 'ntlm', username: 'u', password: 'p' }, 'client', 'protocolAuthentication'],
  ['protocolUsername without protocolPassword', { username: 'u' }, 'client', 'protocolPassword'],
  ['protocolPassword without protocolUsername', { password: 'p' }, 'client', 'protocolUsername'],
  ['protocolAuthentication without credentials', { authentication: 'login' }, 'client', 'protocolAuthentication'],
  ['a CR in protocolPassword', { username: 'u', password: 'p\r\nQUIT' }, 'client', 'protocolPassword'],
  ['a NUL in protocolUsername', { username: 'u\0', password: 'p' }, 'client', 'protocolUsername'],
  ['a space in protocolHost', { host: 'a b' }, 'client', 'protocolHost'],
  ['protocolHost in server mode', { host: 'mx' }, 'server', 'protocolHost'],
  ['protocolUsername in server mode', { username: 'u' }, 'server', 'protocolUsername'],
  ['protocolDomain', { domain: 'D' }, 'client', 'protocolDomain'],
  ['protocolHeader', { headers: ['X: y'] }, 'client', 'protocolHeader'],
  ['an unknown protocol option', { extra: { foo: 'bar' } }, 'client', 'protocolfoo'],
];
for (const [what, options, mode, option] of validation) {
  test(`validate ${option === undefined ? 'accepts' : `refuses (naming ${option})`} ${what}`, () => {
    try {
      protocol.validate?.(options, mode);
      assert.is(option, undefined);
    } catch (error) {
      assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SMTP_INVALID_OPTION');
      assert.is((error as { option?: string }).option, option);
      assert.ok((error as Error).message.includes(option ?? '?'));
    }
  });
}

test.run();
