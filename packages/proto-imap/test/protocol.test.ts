import { PROTOCOL_CONTRACT_VERSION, type ProtocolOptions } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { disableGreetingCapability, isOkGreeting, isTaggedOk, protocol, splitTag, startTlsClient, startTlsServer } from '../src/index.js';
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

const GREETING = '* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready.\r\n';

test('the line helpers follow stunnel', () => {
  assert.ok(isOkGreeting('* OK ready'));
  assert.ok(isOkGreeting('* ok ready'));
  assert.not.ok(isOkGreeting('* BYE no'));
  assert.not.ok(isOkGreeting('+OK pop'));
  assert.ok(isTaggedOk('stunnel OK Begin TLS', 'stunnel'));
  assert.ok(isTaggedOk('STUNNEL ok', 'stunnel'));
  assert.not.ok(isTaggedOk('stunnel NO', 'stunnel'));
  assert.not.ok(isTaggedOk('stunnelx OK', 'stunnel'));
  assert.equal(splitTag('a1 CAPABILITY'), { tag: 'a1', rest: 'CAPABILITY' });
  assert.is(splitTag('garbage'), undefined);
  assert.is(disableGreetingCapability('* OK [CAPABILITY IMAP4rev1] hi'), '* OK [KAPABILITY IMAP4rev1] hi');
  assert.is(disableGreetingCapability('* OK [capability imap4rev1] hi'), '* OK [Kapability imap4rev1] hi');
  assert.is(disableGreetingCapability('* OK hi'), '* OK hi');
});

test('the plugin is imap, contract 1, both modes, no postTls', () => {
  assert.is(protocol.name, 'imap');
  assert.is(protocol.contract, PROTOCOL_CONTRACT_VERSION);
  assert.equal([...protocol.modes].sort(), ['client', 'server']);
  assert.is(protocol.postTls, undefined);
});

for (const chunk of [0, 1, 7]) {
  test(
    `client mode greets the local client with * OK Connected. and sends stunnel STARTTLS (${chunk === 0 ? 'whole' : `${chunk}-byte`} chunks)`,
    timed(async () => {
      const t = makeContext('client');
      const upstream = collector(t.remotePeer);
      const client = collector(t.localPeer);
      const server = script(
        t.remotePeer,
        upstream,
        [{ send: GREETING }, { expect: 'stunnel STARTTLS\r\n', send: 'stunnel OK Begin TLS negotiation now.\r\n' }],
        chunk,
      );
      await protocol.preTls?.(t.context);
      await server;
      await client.waitFor('\r\n');
      assert.is(client.text(), '* OK Connected.\r\n');
      assert.is(upstream.text(), 'stunnel STARTTLS\r\n');
      assert.is(t.remote.buffered, 0);
    }),
  );
}

test(
  'client mode skips untagged lines before the tagged STARTTLS answer',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    const server = script(t.remotePeer, upstream, [
      { send: '* OK Waiting for authentication process to respond..\r\n' },
      { expect: 'STARTTLS', send: `${GREETING}stunnel OK go\r\n` },
    ]);
    await protocol.preTls?.(t.context);
    await server;
    assert.is(t.remote.buffered, 0);
  }),
);

const clientFaults: [string, { expect?: string; send: string }[], string, boolean][] = [
  ['the greeting is * BYE', [{ send: '* BYE overloaded\r\n' }], 'ERR_TUNNEL_IMAP_REJECTED', false],
  ['the greeting is garbage', [{ send: '+OK pop3\r\n' }], 'ERR_TUNNEL_IMAP_REJECTED', false],
  [
    'STARTTLS is answered NO',
    [{ send: GREETING }, { expect: 'STARTTLS', send: 'stunnel NO not now\r\n' }],
    'ERR_TUNNEL_IMAP_NO_STARTTLS',
    true,
  ],
  [
    'STARTTLS is answered BAD',
    [{ send: GREETING }, { expect: 'STARTTLS', send: 'stunnel BAD Unknown command\r\n' }],
    'ERR_TUNNEL_IMAP_NO_STARTTLS',
    true,
  ],
  [
    'too many untagged lines come before the answer',
    [{ send: GREETING }, { expect: 'STARTTLS', send: '* x\r\n'.repeat(101) }],
    'ERR_TUNNEL_IMAP_TOO_MANY_LINES',
    false,
  ],
  ['the greeting is over-long', [{ send: `* OK ${'x'.repeat(5000)}\r\n` }], 'ERR_TUNNEL_LINE_TOO_LONG', false],
];
for (const [what, steps, code, bye] of clientFaults) {
  test(
    `client mode fails with ${code} when ${what}${bye ? ', telling the local client * BYE' : ''}`,
    timed(async () => {
      const t = makeContext('client');
      const client = collector(t.localPeer);
      void script(t.remotePeer, collector(t.remotePeer), steps);
      await rejects(protocol.preTls!(t.context), code);
      await new Promise((resolve) => setImmediate(resolve));
      assert.is(client.text().includes('* BYE stunnel: Server does not support TLS\r\n'), bye);
    }),
  );
}

test(
  'client mode fails with ERR_TUNNEL_PEER_CLOSED when the server closes before answering',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    void script(t.remotePeer, upstream, [{ send: GREETING }])
      .then(() => upstream.waitFor('STARTTLS'))
      .then(() => t.remotePeer.end());
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_PEER_CLOSED');
  }),
);

test(
  'client mode leaves plaintext injected after the tagged OK buffered on the upstream channel (CVE-2011-0411)',
  timed(async () => {
    const t = makeContext('client');
    const upstream = collector(t.remotePeer);
    const server = script(t.remotePeer, upstream, [{ send: GREETING }, { expect: 'STARTTLS', send: 'stunnel OK go\r\n* injected\r\n' }]);
    await protocol.preTls?.(t.context);
    await server;
    assert.ok(t.remote.buffered > 0);
  }),
);

test(
  'startTlsClient on a bare Duplex refuses plaintext after the tagged OK with ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION',
  timed(async () => {
    const [peer, side] = socketPair();
    void script(peer, collector(peer), [{ send: GREETING }, { expect: 'STARTTLS', send: 'stunnel OK go\r\nX' }]);
    await rejects(startTlsClient(side), 'ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION');
  }),
);

for (const chunk of [0, 1]) {
  test(
    `server mode relays the greeting marked stunnel, serves CAPABILITY with STARTTLS added, and accepts STARTTLS (${chunk === 0 ? 'whole' : 'byte at a time'})`,
    timed(async () => {
      const t = makeContext('server');
      const client = collector(t.localPeer);
      const upstream = collector(t.remotePeer);
      t.remotePeer.write(GREETING);
      const server = script(t.remotePeer, upstream, [
        { expect: 'a1 CAPABILITY\r\n', send: '* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK Pre-login capabilities listed.\r\n' },
      ]);
      const peer = script(
        t.localPeer,
        client,
        [
          { expect: '(stunnel)\r\n', send: 'a1 CAPABILITY\r\n' },
          { expect: 'a1 OK', send: 'a2 STARTTLS\r\n' },
        ],
        chunk,
      );
      await protocol.preTls?.(t.context);
      await Promise.all([server, peer]);
      await client.waitFor('a2 OK Begin TLS negotiation now\r\n');
      assert.is(
        client.text(),
        '* OK [KAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] Dovecot ready. (stunnel)\r\n' +
          '* CAPABILITY IMAP4rev1 AUTH=PLAIN STARTTLS\r\na1 OK Pre-login capabilities listed.\r\na2 OK Begin TLS negotiation now\r\n',
      );
      assert.is(upstream.text(), 'a1 CAPABILITY\r\n');
      assert.is(t.local.buffered, 0);
    }),
  );
}

test(
  'server mode leaves plaintext pipelined after STARTTLS buffered on the client channel (CVE-2011-0411)',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write(GREETING);
    void script(t.localPeer, client, [{ expect: '(stunnel)', send: 'a STARTTLS\r\nb LOGIN user pass\r\n' }]);
    await protocol.preTls?.(t.context);
    assert.ok(t.local.buffered > 0);
  }),
);

test(
  'server mode skips the dialogue when the client speaks first (IMAPS-style TLS at once)',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write(GREETING);
    t.localPeer.write(Buffer.from([0x16, 0x03, 0x01]));
    await protocol.preTls?.(t.context);
    assert.is(client.text(), '');
    assert.is(t.local.buffered, 0);
  }),
);

const serverFaults: [string, string, { expect?: string; send: string }[], string, string, string][] = [
  [
    'the client logs out',
    GREETING,
    [{ expect: '(stunnel)', send: 'z LOGOUT\r\n' }],
    'ERR_TUNNEL_IMAP_LOGOUT',
    '* BYE server terminating\r\nz OK LOGOUT completed\r\n',
    'stunnel LOGOUT\r\n',
  ],
  [
    'the client sends LOGIN before STARTTLS',
    GREETING,
    [{ expect: '(stunnel)', send: 'a LOGIN u p\r\n' }],
    'ERR_TUNNEL_IMAP_UNEXPECTED_COMMAND',
    '* BYE stunnel: unexpected command\r\na BAD LOGIN u p unexpected\r\n',
    'stunnel LOGOUT\r\n',
  ],
  [
    'the client sends an untagged line',
    GREETING,
    [{ expect: '(stunnel)', send: 'garbage\r\n' }],
    'ERR_TUNNEL_IMAP_UNEXPECTED_COMMAND',
    '',
    'stunnel LOGOUT\r\n',
  ],
  [
    'the client sends too many commands',
    GREETING,
    [{ expect: '(stunnel)', send: 'a CAPABILITY\r\n' }],
    'ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS',
    '',
    '',
  ],
  ['the upstream greets with * BYE', '* BYE go away\r\n', [], 'ERR_TUNNEL_IMAP_REJECTED', '', ''],
];
for (const [what, greeting, steps, code, toClient, toServer] of serverFaults) {
  test(
    `server mode fails with ${code} when ${what}, and logs out of the upstream as stunnel does`,
    timed(async () => {
      const t = makeContext('server');
      const client = collector(t.localPeer);
      const upstream = collector(t.remotePeer);
      t.remotePeer.write(greeting);
      if (code === 'ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS') {
        // Answer every CAPABILITY; the client keeps asking.
        t.remotePeer.on('data', () => t.remotePeer.write('* CAPABILITY IMAP4rev1\r\na OK done\r\n'));
        client.waitFor('(stunnel)').then(() => t.localPeer.write('a CAPABILITY\r\n'.repeat(17)));
      } else {
        void script(t.localPeer, client, steps);
        void upstream.waitFor('stunnel LOGOUT').then(() => t.remotePeer.write('* BYE bye\r\nstunnel OK done\r\n'));
      }
      await rejects(protocol.preTls!(t.context), code);
      if (code !== 'ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS') {
        assert.ok(client.text().endsWith(toClient), client.text());
        assert.is(upstream.text(), toServer);
      }
    }),
  );
}

test(
  'server mode fails with ERR_TUNNEL_IMAP_REJECTED and tells the client * BYE when the upstream refuses CAPABILITY',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    const upstream = collector(t.remotePeer);
    t.remotePeer.write(GREETING);
    void script(t.remotePeer, upstream, [{ expect: 'a CAPABILITY', send: 'a BAD no\r\n' }]);
    void script(t.localPeer, client, [{ expect: '(stunnel)', send: 'a CAPABILITY\r\n' }]);
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_IMAP_REJECTED');
    assert.ok(client.text().endsWith('a BAD no\r\n* BYE unexpected server response\r\n'));
  }),
);

test(
  'server mode fails with ERR_TUNNEL_PEER_CLOSED when the client leaves before STARTTLS',
  timed(async () => {
    const t = makeContext('server');
    const client = collector(t.localPeer);
    t.remotePeer.write(GREETING);
    void client.waitFor('(stunnel)').then(() => t.localPeer.end());
    await rejects(protocol.preTls!(t.context), 'ERR_TUNNEL_PEER_CLOSED');
  }),
);

test(
  'startTlsServer on bare Duplexes puts bytes the upstream sent past its answers back on the upstream stream',
  timed(async () => {
    const [clientPeer, clientSide] = socketPair();
    const [serverPeer, serverSide] = socketPair();
    serverPeer.write(`${GREETING}EXTRA`);
    void script(clientPeer, collector(clientPeer), [{ expect: '(stunnel)', send: 'a STARTTLS\r\n' }]);
    await startTlsServer({ client: clientSide, server: serverSide });
    assert.is(String(serverSide.read()), 'EXTRA');
  }),
);

test(
  'the hooks honour the abort signal',
  timed(async () => {
    for (const mode of ['client', 'server'] as const) {
      const t = makeContext(mode);
      const pending = protocol.preTls!(t.context);
      t.abort.abort(Object.assign(new Error('busy timeout'), { code: 'ERR_TUNNEL_TIMEOUT' }));
      await rejects(pending, 'ERR_TUNNEL_TIMEOUT');
    }
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
        assert.is((error as { code?: string }).code, 'ERR_TUNNEL_IMAP_INVALID_OPTION');
        assert.is((error as { option?: string }).option, option);
      }
    });
  }
}

test.run();
