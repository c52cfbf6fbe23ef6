/**
 * NTLM: MS-NLMP §4.2.4 test vectors, and a scripted NTLM proxy (no Debian proxy speaks NTLM easily)
 * that checks the Type 1 and Type 3 messages on its own, with the spec's NTOWFv2 key as a constant.
 */
import { createHmac } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { StreamChannel } from '@tunnel/protocol';
import { listen, makePki, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpConnect, ntHash, ntlmV2Hash, ntlmV2Responses, parseNtlmChallenge } from '../src/index.js';

/** MS-NLMP §4.2.1 / §4.2.4 values. */
const SERVER_CHALLENGE = Buffer.from('0123456789abcdef', 'hex');
const NTOWFV2 = '0c868a403bfd7a93a3001ef22ef02e3f';
const AV_PAIRS = Buffer.concat([
  Buffer.from([2, 0, 12, 0]),
  Buffer.from('Domain', 'utf16le'),
  Buffer.from([1, 0, 12, 0]),
  Buffer.from('Server', 'utf16le'),
  Buffer.alloc(4),
]);

test('NT hash, NTOWFv2, NTProofStr and LMv2 match MS-NLMP §4.2.4', () => {
  assert.is(ntHash('Password').toString('hex'), 'a4f49c406510bdcab6824ee7c30fd852');
  assert.is(ntlmV2Hash('User', 'Password', 'Domain').toString('hex'), NTOWFV2);
  const { nt, lm } = ntlmV2Responses(
    { flags: 0, serverChallenge: SERVER_CHALLENGE, targetInfo: AV_PAIRS },
    { username: 'User', password: 'Password', domain: 'Domain', clientChallenge: Buffer.alloc(8, 0xaa), timestamp: 0n },
  );
  assert.is(nt.subarray(0, 16).toString('hex'), '68cd0ab851e51c96aabc927bebef6a1c');
  assert.is(lm.toString('hex'), '86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
});

function type2(): Buffer {
  const header = Buffer.alloc(48);
  header.write('NTLMSSP\0', 0, 'latin1');
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(0x00898205, 20);
  SERVER_CHALLENGE.copy(header, 24);
  header.writeUInt16LE(AV_PAIRS.length, 40);
  header.writeUInt16LE(AV_PAIRS.length, 42);
  header.writeUInt32LE(48, 44);
  return Buffer.concat([header, AV_PAIRS]);
}

test('a challenge that is not Type 2 or points outside itself is refused', () => {
  const bad: Buffer[] = [Buffer.from('hello'), Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.alloc(40)])];
  const outside = type2();
  outside.writeUInt32LE(4000, 44);
  bad.push(outside);
  for (const message of bad)
    assert.throws(
      () => parseNtlmChallenge(message),
      (error: { code: string }) => error.code === 'ERR_TUNNEL_CONNECT_NTLM',
    );
  assert.is(parseNtlmChallenge(type2().subarray(0, 32)).targetInfo.length, 0);
});

interface Check {
  type1?: boolean;
  type3?: { user: string; domain: string; proofOk: boolean };
}

/** A scripted NTLM proxy: 407 + challenge, then verifies Type 3 and tunnels to `targetPort`. */
async function ntlmProxy(targetPort: number, check: Check): Promise<net.Server> {
  const server = net.createServer((socket) => {
    const channel = new StreamChannel(socket);
    socket.on('error', () => {});
    void (async () => {
      const head = async () => {
        const lines: string[] = [];
        for (let line = await channel.readLine(); line !== ''; line = await channel.readLine({ maxLength: 4096 })) lines.push(line);
        return lines;
      };
      const auth = (lines: string[]) =>
        Buffer.from(lines.find((l) => l.startsWith('Proxy-Authorization: NTLM '))?.slice(26) ?? '', 'base64');
      const first = auth(await head());
      check.type1 = first.subarray(0, 8).toString('latin1') === 'NTLMSSP\0' && first.readUInt32LE(8) === 1;
      const body = 'authenticate, please';
      await channel.write(
        `HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM ${type2().toString('base64')}\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      );
      const third = auth(await head());
      const field = (at: number) => third.subarray(third.readUInt32LE(at + 4), third.readUInt32LE(at + 4) + third.readUInt16LE(at));
      const nt = field(20);
      const expected = createHmac('md5', Buffer.from(NTOWFV2, 'hex')).update(SERVER_CHALLENGE).update(nt.subarray(16)).digest();
      check.type3 = {
        user: field(36).toString('utf16le'),
        domain: field(28).toString('utf16le'),
        proofOk: expected.equals(nt.subarray(0, 16)) && third.readUInt32LE(8) === 3,
      };
      if (!check.type3.proofOk) return void socket.end('HTTP/1.1 407 Proxy Authentication Required\r\n\r\n');
      const upstream = net.connect(targetPort, '127.0.0.1', () => {
        socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
        socket.pipe(upstream).pipe(socket);
      });
      upstream.on('error', () => socket.destroy());
    })().catch(() => socket.destroy());
  });
  await listen(server);
  return server;
}

for (const [password, ok] of [
  ['Password', true],
  ['wrong', false],
] as const) {
  test(
    `NTLM through a scripted proxy with ${ok ? 'the right' : 'a wrong'} password ${ok ? 'opens a working TLS tunnel' : 'fails with 407'}`,
    timed(async () => {
      const dir = tempDir();
      const pki = await makePki({ dir: dir.path });
      const target = tls.createServer({ cert: pki.read('server.pem'), key: pki.read('server.key') }, (s) => s.end('secret hello'));
      const targetPort = await listen(target);
      const check: Check = {};
      const proxy = await ntlmProxy(targetPort, check);
      const socket = net.connect((proxy.address() as net.AddressInfo).port, '127.0.0.1');
      try {
        const channel = new StreamChannel(socket);
        const connecting = httpConnect(channel, {
          host: '127.0.0.1',
          port: targetPort,
          auth: { type: 'ntlm', username: 'User', password, domain: 'Domain' },
        });
        if (!ok) {
          const error = await connecting.then(
            () => undefined,
            (e: { code: string; status: number }) => e,
          );
          assert.is(error?.code, 'ERR_TUNNEL_CONNECT_AUTH_REQUIRED');
          assert.is(error?.status, 407);
          assert.equal(check.type3, { user: 'User', domain: 'Domain', proofOk: false });
          return;
        }
        assert.is((await connecting).status, 200);
        assert.ok(check.type1);
        assert.equal(check.type3, { user: 'User', domain: 'Domain', proofOk: true });
        assert.is(channel.buffered, 0);
        const secure = tls.connect({ socket, ca: pki.read('ca.pem'), servername: 'localhost' });
        const chunks: Buffer[] = [];
        for await (const chunk of secure) chunks.push(chunk as Buffer);
        assert.is(Buffer.concat(chunks).toString(), 'secret hello');
      } finally {
        socket.destroy();
        proxy.close();
        target.close();
        dir.remove();
      }
    }),
  );
}

test.run();
