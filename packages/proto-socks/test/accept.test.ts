import type { Duplex } from 'node:stream';
import { StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptSocksRequest } from '../src/index.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** Collects what the server side writes back to the client. */
function collect(client: Duplex): { bytes: () => Buffer } {
  const chunks: Buffer[] = [];
  client.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { bytes: () => Buffer.concat(chunks) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Writes `bytes` to the client side in chunks of `size` bytes, yielding between chunks. */
async function send(client: Duplex, bytes: Buffer, size = bytes.length): Promise<void> {
  for (let offset = 0; offset < bytes.length; offset += size) {
    client.write(bytes.subarray(offset, offset + size));
    await tick();
  }
}

async function rejected(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected a rejection');
}

for (const size of [1, 3, 1000]) {
  test(
    `accepts a SOCKS 5 CONNECT to a domain sent in ${size}-byte chunks and answers with the bound address`,
    timed(async () => {
      const [server, client] = socketPair();
      const out = collect(client);
      const channel = new StreamChannel(server);
      const accepting = acceptSocksRequest(channel);
      await send(
        client,
        Buffer.concat([hex('05 01 00'), hex('05 01 00 03 0b'), Buffer.from('example.com'), hex('01bb'), Buffer.from('early')]),
        size,
      );
      const request = await accepting;
      assert.equal([request.version, request.command, request.host, request.port], [5, 'connect', 'example.com', 443]);
      await request.reply('succeeded', { address: '192.0.2.7', port: 4242 });
      await request.reply('general-failure');
      await tick();
      assert.equal(out.bytes(), hex('05 00  05 00 00 01 c0000207 1092'));
      // Bytes pipelined after the request stay in the channel for core to forward.
      await tick();
      assert.is((await channel.readBytes(5)).toString(), 'early');
    }),
  );
}

test(
  'accepts a SOCKS 4 CONNECT and replies 90 with the bound IPv4 address',
  timed(async () => {
    const [server, client] = socketPair();
    const out = collect(client);
    const accepting = acceptSocksRequest(new StreamChannel(server));
    await send(client, Buffer.concat([hex('04 01 0050 c0000201'), Buffer.from('bob\0')]), 1);
    const request = await accepting;
    assert.equal([request.version, request.host, request.port, request.userId], [4, '192.0.2.1', 80, 'bob']);
    await request.reply('succeeded', { address: '10.1.2.3', port: 1025 });
    await tick();
    assert.equal(out.bytes(), hex('00 5a 0401 0a010203'));
  }),
);

test(
  'a SOCKS 5 IPv6 bound address is sent with ATYP 4',
  timed(async () => {
    const [server, client] = socketPair();
    const out = collect(client);
    const accepting = acceptSocksRequest(new StreamChannel(server));
    await send(client, hex('05 01 00  05 01 00 04 00000000000000000000000000000001 0050'));
    const request = await accepting;
    assert.is(request.host, '::1');
    await request.reply('succeeded', { address: '2001:db8::2', port: 80 });
    await tick();
    assert.equal(out.bytes(), hex('05 00  05 00 00 04 20010db8000000000000000000000002 0050'));
  }),
);

const refusals: readonly [string, Buffer, string, Buffer][] = [
  [
    'SOCKS 5 BIND',
    hex('05 01 00  05 02 00 01 7f000001 0050'),
    'ERR_TUNNEL_SOCKS_COMMAND_NOT_SUPPORTED',
    hex('05 00  05 07 00 01 00000000 0000'),
  ],
  [
    'SOCKS 5 UDP ASSOCIATE',
    hex('05 01 00  05 03 00 01 00000000 0000'),
    'ERR_TUNNEL_SOCKS_COMMAND_NOT_SUPPORTED',
    hex('05 00  05 07 00 01 00000000 0000'),
  ],
  ['SOCKS 4 BIND', hex('04 02 0050 7f000001 00'), 'ERR_TUNNEL_SOCKS_COMMAND_NOT_SUPPORTED', hex('00 5b 0000 00000000')],
  [
    'a SOCKS 5 unknown address type',
    hex('05 01 00  05 01 00 07 7f000001 0050'),
    'ERR_TUNNEL_SOCKS_ADDRESS_TYPE_NOT_SUPPORTED',
    hex('05 00  05 08 00 01 00000000 0000'),
  ],
  [
    'a SOCKS 5 non-zero reserved byte',
    hex('05 01 00  05 01 09 01 7f000001 0050'),
    'ERR_TUNNEL_SOCKS_MALFORMED',
    hex('05 00  05 01 00 01 00000000 0000'),
  ],
  [
    'a SOCKS 4 request after SOCKS 5 negotiation',
    hex('05 01 00  04 01 0050 7f000001 00'),
    'ERR_TUNNEL_SOCKS_MALFORMED',
    hex('05 00  05 01 00 01 00000000 0000'),
  ],
  [
    'a SOCKS 4a host name of 300 bytes',
    Buffer.concat([hex('04 01 0050 00000001 00'), Buffer.alloc(300, 0x61), hex('00')]),
    'ERR_TUNNEL_SOCKS_FIELD_TOO_LONG',
    hex('00 5b 0000 00000000'),
  ],
  ['a SOCKS 5 client offering only GSSAPI', hex('05 01 01'), 'ERR_TUNNEL_SOCKS_NO_ACCEPTABLE_METHOD', hex('05 ff')],
  ['an unsupported version with no reply', hex('06 01 00 50'), 'ERR_TUNNEL_SOCKS_BAD_VERSION', Buffer.alloc(0)],
];

for (const [name, bytes, code, reply] of refusals) {
  test(
    `answers ${name} with the proper reply and ${code}`,
    timed(async () => {
      const [server, client] = socketPair();
      const out = collect(client);
      const failing = rejected(acceptSocksRequest(new StreamChannel(server)));
      await send(client, bytes);
      const error = await failing;
      assert.is(error.code, code);
      await tick();
      assert.equal(out.bytes().toString('hex'), reply.toString('hex'));
    }),
  );
}

test(
  'a request truncated by the client closing fails with ERR_TUNNEL_PEER_CLOSED',
  timed(async () => {
    const [server, client] = socketPair();
    const failing = rejected(acceptSocksRequest(new StreamChannel(server)));
    client.end(hex('05 01 00  05 01 00 03 10 6162'));
    const error = await failing;
    assert.is(error.code, 'ERR_TUNNEL_PEER_CLOSED');
  }),
);

test(
  'requires RFC 1929 username/password when credentials are configured and accepts the right ones',
  timed(async () => {
    const [server, client] = socketPair();
    const out = collect(client);
    const accepting = acceptSocksRequest(new StreamChannel(server), { credentials: { username: 'alice', password: 's3cret' } });
    await send(
      client,
      Buffer.concat([hex('05 02 00 02  01 05'), Buffer.from('alice'), hex('06'), Buffer.from('s3cret'), hex('05 01 00 01 c0000201 0050')]),
      2,
    );
    const request = await accepting;
    assert.is(request.host, '192.0.2.1');
    await tick();
    assert.equal(out.bytes(), hex('05 02  01 00'));
  }),
);

test(
  'refuses a wrong password with status 1 and ERR_TUNNEL_SOCKS_AUTH_FAILED',
  timed(async () => {
    const [server, client] = socketPair();
    const out = collect(client);
    const failing = rejected(acceptSocksRequest(new StreamChannel(server), { credentials: { username: 'alice', password: 's3cret' } }));
    await send(client, Buffer.concat([hex('05 01 02  01 05'), Buffer.from('alice'), hex('05'), Buffer.from('wrong')]));
    const error = await failing;
    assert.is(error.code, 'ERR_TUNNEL_SOCKS_AUTH_FAILED');
    await tick();
    assert.equal(out.bytes(), hex('05 02  01 01'));
  }),
);

test(
  'refuses no-auth and SOCKS 4 clients when credentials are configured',
  timed(async () => {
    const credentials = { username: 'a', password: 'b' };
    for (const [bytes, reply] of [
      [hex('05 01 00'), hex('05 ff')],
      [hex('04 01 0050 7f000001 00'), hex('00 5b 0000 00000000')],
    ] as const) {
      const [server, client] = socketPair();
      const out = collect(client);
      const failing = rejected(acceptSocksRequest(new StreamChannel(server), { credentials }));
      await send(client, bytes);
      const error = await failing;
      assert.is(error.code, 'ERR_TUNNEL_SOCKS_NO_ACCEPTABLE_METHOD');
      await tick();
      assert.equal(out.bytes(), reply);
    }
  }),
);

test(
  'a failed CONNECT echoes the requested address like stunnel 5.68: domain for SOCKS 5, 0.0.0.1 for SOCKS 4a',
  timed(async () => {
    const cases: [Buffer, Buffer][] = [
      [
        Buffer.concat([hex('05 01 00  05 01 00 03 07'), Buffer.from('a.test.'), hex('0050')]),
        Buffer.concat([hex('05 00  05 04 00 03 07'), Buffer.from('a.test.'), hex('0050')]),
      ],
      [Buffer.concat([hex('04 01 0050 00000001 00'), Buffer.from('a.test\0')]), hex('00 5b 0050 00000001')],
      [hex('04 01 0050 c0000201 00'), hex('00 5b 0050 c0000201')],
    ];
    for (const [request, reply] of cases) {
      const [server, client] = socketPair();
      const out = collect(client);
      const accepting = acceptSocksRequest(new StreamChannel(server));
      await send(client, request);
      await (await accepting).reply('host-unreachable');
      await tick();
      assert.equal(out.bytes().toString('hex'), reply.toString('hex'));
    }
  }),
);

test.run();
