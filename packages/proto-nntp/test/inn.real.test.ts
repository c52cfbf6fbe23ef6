import net from 'node:net';
import tls from 'node:tls';
import { StreamChannel } from '@tunnel/protocol';
import { connectTcp, listen, run, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTlsClient } from '../src/index.js';
import { rejection } from './context.js';
import { type Inn, startInn } from './inn.js';

// Real peers: Debian's INN 2.7 nnrpd (with and without TLS, and refusing service with -r),
// and Python's nntplib as a real plaintext NNTP client in front of the negotiator.
let inn: Inn;
const extra: Inn[] = [];
const servers: net.Server[] = [];

test.before(async () => {
  inn = await startInn({ tls: true });
});
test.after(async () => {
  for (const server of servers) server.close();
  for (const other of extra) await other.stop();
  await inn?.stop();
});

async function secureOver(socket: net.Socket, ca: string): Promise<tls.TLSSocket> {
  const secure = tls.connect({ socket, ca, servername: 'localhost' });
  await new Promise((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject));
  return secure;
}

test(
  'startTlsClient against INN nnrpd gives a TLS session in which nnrpd no longer offers STARTTLS',
  timed(async () => {
    const socket = await connectTcp(inn.port);
    const { greeting, reply } = await startTlsClient(socket);
    assert.match(greeting, /^200 .*INN/);
    assert.match(reply, /^382 /);
    const secure = await secureOver(socket, inn.pki.read('ca.pem'));
    const channel = new StreamChannel(secure);
    await channel.writeLine('CAPABILITIES');
    assert.match(await channel.readLine(), /^101 /);
    const capabilities: string[] = [];
    for (let line = await channel.readLine(); line !== '.'; line = await channel.readLine()) capabilities.push(line);
    assert.ok(capabilities.includes('READER'));
    assert.not.ok(capabilities.includes('STARTTLS'), 'RFC 4642: STARTTLS is not offered inside TLS');
    await channel.writeLine('QUIT');
    assert.match(await channel.readLine(), /^205 /);
    secure.destroy();
  }, 15_000),
);

test(
  'a real NNTP client (Python nntplib) reads the group list through a client-mode negotiator over TLS',
  timed(async () => {
    const failures: unknown[] = [];
    const server = net.createServer(async (local) => {
      local.on('error', () => {});
      const upstream = await connectTcp(inn.port);
      try {
        await startTlsClient(upstream, { onGreeting: (line) => void local.write(`${line}\r\n`) });
        const secure = await secureOver(upstream, inn.pki.read('ca.pem'));
        secure.on('error', () => local.destroy());
        local.pipe(secure).pipe(local);
      } catch (error) {
        failures.push(error);
        local.destroy();
        upstream.destroy();
      }
    });
    servers.push(server);
    const port = await listen(server);
    const script = [
      'import sys, warnings',
      "warnings.simplefilter('ignore')",
      'import nntplib',
      "s = nntplib.NNTP('127.0.0.1', int(sys.argv[1]), readermode=False)",
      'print(s.getwelcome())',
      "print('STARTTLS' in s.getcapabilities())",
      'resp, groups = s.list()',
      'print(sorted(g.group for g in groups))',
      's.quit()',
    ].join('\n');
    const out = (await run('python3', ['-c', script, String(port)], { timeoutMs: 10_000 })).split('\n');
    assert.match(out[0]!, /^200 .*INN/, 'the greeting was relayed');
    assert.is(out[1], 'False', 'the client is already inside TLS, so STARTTLS is not offered');
    assert.is(out[2], "['junk', 'tunnel.test']");
    assert.equal(failures, []);
  }, 20_000),
);

test(
  'startTlsClient fails with ERR_TUNNEL_NNTP_NO_STARTTLS against nnrpd without a certificate',
  timed(async () => {
    const plain = await startInn({ tls: false });
    extra.push(plain);
    const socket = await connectTcp(plain.port);
    const error = (await rejection(startTlsClient(socket))) as Error & { code?: string; reply?: string };
    assert.is(error.code, 'ERR_TUNNEL_NNTP_NO_STARTTLS');
    assert.match(String(error.reply), /^(580|502|483) /);
    socket.destroy();
  }, 15_000),
);

test(
  'startTlsClient fails with ERR_TUNNEL_NNTP_BAD_GREETING against nnrpd refusing service (-r)',
  timed(async () => {
    const closed = await startInn({ tls: true, reject: 'down for maintenance' });
    extra.push(closed);
    const socket = await connectTcp(closed.port);
    const error = (await rejection(startTlsClient(socket))) as Error & { code?: string; reply?: string };
    assert.is(error.code, 'ERR_TUNNEL_NNTP_BAD_GREETING');
    assert.match(String(error.reply), /^400 .*maintenance/);
    socket.destroy();
  }, 15_000),
);

test.run();
