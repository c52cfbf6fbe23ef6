/**
 * Real peers: Debian's slapd, started privately (temp slapd.conf, dynamic port, test certificate), for
 * client mode; `openssl s_client -starttls ldap` as the client for server mode.
 */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { createTunnel } from '@tunnel/core';
import { type ProtocolContext, StreamChannel } from '@tunnel/protocol';
import { listen, makePki, type Pki, type RunningProcess, startProcess, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeExtendedRequest, parseExtendedResponse, protocol, startTlsLdap } from '../src/index.js';

const dir = tempDir('tunnel-ldap-');
let pki: Pki;
const slapds: { process: RunningProcess; port: number }[] = [];

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function slapd(name: string, withTls: boolean): Promise<number> {
  const port = await freePort();
  const base = join(dir.path, name);
  mkdirSync(join(base, 'db'), { recursive: true });
  const lines = [
    'include /etc/ldap/schema/core.schema',
    `pidfile ${base}/slapd.pid`,
    `argsfile ${base}/slapd.args`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
  ];
  if (withTls)
    lines.push(`TLSCertificateFile ${pki.cert('server')}`, `TLSCertificateKeyFile ${pki.key('server')}`, `TLSCACertificateFile ${pki.ca}`);
  lines.push('database mdb', 'suffix "dc=example,dc=com"', `directory ${base}/db`, '');
  writeFileSync(join(base, 'slapd.conf'), lines.join('\n'));
  const process = startProcess('slapd', ['-h', `ldap://127.0.0.1:${port}/`, '-f', join(base, 'slapd.conf'), '-d', '0']);
  slapds.push({ process, port });
  // slapd -d 0 prints nothing when ready: poll until it accepts connections.
  for (let attempt = 0; ; attempt += 1) {
    const probe = net.connect(port, '127.0.0.1');
    try {
      await Promise.race([once(probe, 'connect'), once(probe, 'error').then(([error]) => Promise.reject(error))]);
      probe.destroy();
      return port;
    } catch (error) {
      probe.destroy();
      if (attempt > 80) throw new Error(`slapd did not start: ${process.output()}`, { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

let tlsPort = 0;
let plainPort = 0;

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  tlsPort = await slapd('tls', true);
  plainPort = await slapd('plain', false);
});

test.after(async () => {
  for (const { process } of slapds) await process.stop();
  dir.remove();
});

test(
  'startTlsLdap against slapd, then a real TLS session and an LDAP WhoAmI inside it',
  timed(async () => {
    const socket = net.connect(tlsPort, '127.0.0.1');
    try {
      const channel = new StreamChannel(socket);
      const response = await startTlsLdap(channel);
      assert.is(response.resultCode, 0);
      assert.is(channel.buffered, 0);
      const secure = tls.connect({ socket, ca: pki.read('ca.pem'), servername: 'localhost' });
      await once(secure, 'secureConnect');
      assert.ok(secure.authorized);
      // WhoAmI (RFC 4532) as message 2, inside TLS: proves slapd is speaking LDAP over the session.
      const inner = new StreamChannel(secure);
      await inner.write(encodeExtendedRequest(2, '1.3.6.1.4.1.4203.1.11.3'));
      let bytes: Buffer = Buffer.alloc(0);
      for (let result = parseExtendedResponse(bytes); ; result = parseExtendedResponse(bytes)) {
        if (result.done) {
          assert.equal([result.value.messageId, result.value.resultCode], [2, 0]);
          break;
        }
        bytes = Buffer.concat([bytes, await inner.readBytes(result.needed)]);
      }
      secure.destroy();
    } finally {
      socket.destroy();
    }
  }),
);

test(
  'slapd without TLS refuses StartTLS -> ERR_TUNNEL_LDAP_STARTTLS_REFUSED with its resultCode',
  timed(async () => {
    const socket = net.connect(plainPort, '127.0.0.1');
    try {
      await startTlsLdap(new StreamChannel(socket));
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_LDAP_STARTTLS_REFUSED');
      assert.match((error as Error).message, /resultCode \d+/);
    } finally {
      socket.destroy();
    }
  }),
);

test(
  "the plugin's server-mode preTls answers openssl s_client -starttls ldap, and TLS follows",
  timed(async () => {
    const errors: unknown[] = [];
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      const log = () => {};
      const local = new StreamChannel(socket);
      const context = {
        mode: 'server',
        local,
        log: { error: log, warning: log, notice: log, info: log, debug: log },
      } as unknown as ProtocolContext;
      protocol.preTls?.(context).then(
        () => {
          assert.is(local.buffered, 0);
          const secure = new tls.TLSSocket(socket, { isServer: true, cert: pki.read('server.pem'), key: pki.read('server.key') });
          secure.on('error', () => {});
          secure.on('secure', () => secure.end('hello from inside TLS\n'));
        },
        (error: unknown) => {
          errors.push(error);
          socket.destroy();
        },
      );
    });
    const port = await listen(server);
    try {
      // s_client may exit non-zero on the TCP close that follows our reply; its transcript is what matters.
      const args = [
        's_client',
        '-connect',
        `127.0.0.1:${port}`,
        '-starttls',
        'ldap',
        '-CAfile',
        pki.ca,
        '-servername',
        'localhost',
        '-verify_return_error',
        '-ign_eof',
      ];
      const output = await new Promise<string>((resolve) => {
        const child = execFile('openssl', args, { timeout: 8000 }, (_error, stdout, stderr) => resolve(`${stdout}${stderr}`));
        child.stdin?.end();
      });
      assert.equal(errors, []);
      assert.match(output, /Verify return code: 0 \(ok\)/);
      assert.match(output, /hello from inside TLS/);
    } finally {
      server.close();
    }
  }),
);

test(
  'end to end through @tunnel/core: a plain LDAP client -> core (client mode, protocol = ldap) -> slapd over StartTLS',
  timed(async () => {
    const tunnel = createTunnel({
      services: [
        {
          name: 'ldap',
          mode: 'client',
          accept: [{ host: '127.0.0.1', port: 0 }],
          connect: [{ host: '127.0.0.1', port: tlsPort }],
          protocol,
        },
      ],
    });
    await tunnel.listen();
    const [address] = tunnel.addresses().get('ldap') ?? [];
    if (address === undefined || typeof address === 'string') throw new Error('no address');
    const socket = net.connect(address.port, '127.0.0.1');
    try {
      const channel = new StreamChannel(socket);
      await channel.write(encodeExtendedRequest(5, '1.3.6.1.4.1.4203.1.11.3'));
      let bytes: Buffer = Buffer.alloc(0);
      for (let result = parseExtendedResponse(bytes); ; result = parseExtendedResponse(bytes)) {
        if (result.done) {
          assert.equal([result.value.messageId, result.value.resultCode], [5, 0]);
          break;
        }
        bytes = Buffer.concat([bytes, await channel.readBytes(result.needed)]);
      }
    } finally {
      socket.destroy();
      await tunnel.close({ graceful: false });
    }
  }),
);

test.run();
