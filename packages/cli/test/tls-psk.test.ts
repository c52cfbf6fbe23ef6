import { chmodSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { type RunningProcess, connectTcp, freePort, listen, readAll, run, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel, startTunnel, writeConfig } from './helpers.js';

// TLS-PSK (PSKsecrets, PSKidentity) with real peers: openssl s_client/s_server and Debian's stunnel4 (5.68), both ways.

const dir = tempDir('tunnel-psk-');
const HEX = '00112233445566778899aabbccddeeff';
const TEXT_KEY = 'a-text-key-of-24-bytes!!';
const secrets = join(dir.path, 'psk.txt');
let backend: Server;
let backendPort = 0;
const running: RunningProcess[] = [];

test.before(async () => {
  writeFileSync(secrets, `alice:${HEX}\n\nbob:${TEXT_KEY}\n`);
  chmodSync(secrets, 0o600);
  // A backend that says which connection it served and closes, so a client sees a complete answer.
  backend = createServer((socket) => socket.end('backend-ok\n'));
  backendPort = await listen(backend);
});

test.after(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop()));
  backend.close();
  dir.remove();
});

async function tunnelWith(name: string, lines: readonly string[]): Promise<number> {
  const port = await freePort();
  const conf = writeConfig(join(dir.path, `${name}.conf`), [
    'foreground = yes',
    'pid =',
    'syslog = no',
    'debug = 7',
    `[${name}]`,
    `accept = 127.0.0.1:${port}`,
    ...lines,
  ]);
  running.push(await startTunnel(conf));
  return port;
}

async function sClient(port: number, args: readonly string[]): Promise<string> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-quiet', ...args], { input: '', timeoutMs: 10_000 }).catch(
    (error: { stdout?: string }) => error.stdout ?? '',
  );
}

test(
  'openssl s_client with a hex key (TLS 1.3) and a text key (TLS 1.2) reaches the backend through a certificate-less PSK server',
  timed(async () => {
    const port = await tunnelWith('psk-server', [`connect = 127.0.0.1:${backendPort}`, `PSKsecrets = ${secrets}`]);
    assert.match(await sClient(port, ['-psk_identity', 'alice', '-psk', HEX]), /backend-ok/);
    const textHex = Buffer.from(TEXT_KEY).toString('hex');
    assert.match(await sClient(port, ['-tls1_2', '-psk_identity', 'bob', '-psk', textHex]), /backend-ok/);
    // Right identity, wrong key: no data reaches the client.
    assert.not.match(await sClient(port, ['-psk_identity', 'alice', '-psk', textHex]), /backend-ok/);
  }, 30_000),
);

test(
  'a tunnel client presents PSKidentity to openssl s_server -psk, TLS 1.3 and TLS 1.2',
  timed(async () => {
    for (const version of ['-tls1_3', '-tls1_2']) {
      const serverPort = await freePort();
      const server = startProcess('openssl', [
        's_server',
        '-accept',
        String(serverPort),
        '-nocert',
        version,
        '-psk_identity',
        'bob',
        '-psk',
        Buffer.from(TEXT_KEY).toString('hex'),
        '-rev',
      ]);
      running.push(server);
      await server.waitFor(/ACCEPT/, 5000);
      const port = await tunnelWith(`psk-client${version}`, [
        'client = yes',
        `connect = 127.0.0.1:${serverPort}`,
        `PSKsecrets = ${secrets}`,
        'PSKidentity = bob',
      ]);
      const socket = await connectTcp(port);
      socket.write('hello\n');
      const answer = await new Promise<string>((resolve) => socket.once('data', (chunk) => resolve(String(chunk))));
      socket.destroy();
      assert.is(answer.trim(), 'olleh');
      await server.waitFor(new RegExp(`Protocol version: ${version === '-tls1_3' ? 'TLSv1.3' : 'TLSv1.2'}`), 5000);
    }
  }, 30_000),
);

test(
  'stunnel4 and tunnel interoperate over PSK in both directions (the client defaults to the first identity)',
  timed(async () => {
    // stunnel4 server (5.68) ← tunnel client
    const stunnelPort = await freePort();
    const stunnelConf = writeConfig(join(dir.path, 'stunnel-server.conf'), [
      'foreground = yes',
      'pid =',
      'debug = 7',
      '[psk]',
      `accept = 127.0.0.1:${stunnelPort}`,
      `connect = 127.0.0.1:${backendPort}`,
      `PSKsecrets = ${secrets}`,
    ]);
    const stunnel = startProcess('stunnel4', [stunnelConf]);
    running.push(stunnel);
    await stunnel.waitFor(/Configuration successful/, 10_000);
    const clientPort = await tunnelWith('to-stunnel', ['client = yes', `connect = 127.0.0.1:${stunnelPort}`, `PSKsecrets = ${secrets}`]);
    assert.is(String(await readAll(await connectTcp(clientPort))), 'backend-ok\n');
    await stunnel.waitFor(/identity "alice"|alice/, 5000);

    // stunnel4 client → tunnel server
    const serverPort = await tunnelWith('from-stunnel', [`connect = 127.0.0.1:${backendPort}`, `PSKsecrets = ${secrets}`]);
    const stunnelClientPort = await freePort();
    const clientConf = writeConfig(join(dir.path, 'stunnel-client.conf'), [
      'foreground = yes',
      'pid =',
      'debug = 7',
      '[psk]',
      'client = yes',
      `accept = 127.0.0.1:${stunnelClientPort}`,
      `connect = 127.0.0.1:${serverPort}`,
      `PSKsecrets = ${secrets}`,
      'PSKidentity = bob',
    ]);
    const stunnelClient = startProcess('stunnel4', [clientConf]);
    running.push(stunnelClient);
    await stunnelClient.waitFor(/Configuration successful/, 10_000);
    assert.is(String(await readAll(await connectTcp(stunnelClientPort))), 'backend-ok\n');
  }, 40_000),
);

test(
  'a bad PSKsecrets line is refused naming the secrets file and line; an unknown PSKidentity names the config line',
  timed(async () => {
    const bad = join(dir.path, 'bad.txt');
    writeFileSync(bad, `alice:${HEX}\ncarol:0011223344\n`);
    chmodSync(bad, 0o600);
    const conf = writeConfig(join(dir.path, 'bad.conf'), [
      'foreground = yes',
      'pid =',
      '[bad]',
      'accept = 127.0.0.1:1',
      'connect = 127.0.0.1:2',
      `PSKsecrets = ${bad}`,
      '[unknown]',
      'client = yes',
      'accept = 127.0.0.1:3',
      'connect = 127.0.0.1:4',
      `PSKsecrets = ${secrets}`,
      'PSKidentity = mallory',
    ]);
    const result = await runTunnel([conf]);
    assert.is.not(result.code, 0);
    const text = result.stdout + result.stderr;
    assert.match(text, new RegExp(`${bad}:2: PSKsecrets: the key of identity "carol" is 5 bytes \\(hexadecimal\\); at least 16`));
    assert.match(text, /bad\.conf:12: PSKidentity: identity "mallory" is not in /);
  }, 20_000),
);

test(
  'a PSKsecrets file other users can read is served with a loud warning',
  timed(async () => {
    const open = join(dir.path, 'open.txt');
    writeFileSync(open, `alice:${HEX}\n`);
    chmodSync(open, 0o644);
    const port = await freePort();
    const conf = writeConfig(join(dir.path, 'open.conf'), [
      'foreground = yes',
      'pid =',
      'syslog = no',
      '[open]',
      `accept = 127.0.0.1:${port}`,
      `connect = 127.0.0.1:${backendPort}`,
      `PSKsecrets = ${open}`,
    ]);
    const tunnel = await startTunnel(conf);
    running.push(tunnel);
    await tunnel.waitFor(/INSECURE: PSKsecrets file .*open\.txt is accessible to other users \(mode 644\)/, 5000);
  }, 20_000),
);

test.run();
