/**
 * The corpus (issue #8): configurations written for current stunnel (5.68) the way a Debian admin writes them, in
 * test/corpus/*.conf (files named conf.d-*.conf are the conf.d fragments 01-debian-default.conf includes). Each one is
 * started under Debian's stunnel4 (the behavioural oracle) and under `tunnel`, on loopback in a temporary directory,
 * and the same behaviour check runs against both: a connection works end to end and the setting is visible (TLS 1.3
 * only → a TLS 1.2 client fails, and so on). The check passing against stunnel4 is what shows it can fail.
 * `tunnel -test FILE` must give the same verdict as starting tunnel.
 *
 * While debugging one configuration: CORPUS_ONLY=06 runs only the matching files, CORPUS_DEBUG=1 prints each process's
 * start-up output.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  echoServer,
  type EchoServer,
  freePort,
  listen,
  makePki,
  type Pki,
  type RunningProcess,
  run,
  startProcess,
  tempDir,
  timed,
  which,
} from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type Finished, NODE_ARGS, runTunnel } from './helpers.js';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), 'corpus');
const LDAP_PLUGIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'examples', 'tunnel-protocol-ldap');
type Implementation = 'stunnel4' | 'tunnel';

/**
 * Configurations `tunnel` does not start yet, because the options they use are being implemented by other engineers
 * right now: their verdict is recorded and printed, not asserted. Everything else must start and pass its check.
 */
const PENDING: ReadonlySet<string> = new Set([
  // Empty since every option the corpus uses landed (exec/setEnv/retry, PKCS#12, ticket keys, sessionResume = no).
]);
/**
 * Behaviour checks tunnel fails today because of a known bug (reported, not in this engineer's packages): the check is
 * expected to fail with this message, and the test fails the day it passes, so the entry gets removed.
 */
const KNOWN_BUGS: Readonly<Record<string, RegExp>> = {
  // Empty: 02-tls13-only.conf was here until core fa69919 (ciphersuites had been silently ignored).
};
/** Configurations stunnel 5.68 itself rejects, with why: they are written for newer stunnel. */
const STUNNEL_REJECTS: Readonly<Record<string, RegExp>> = {
  '12-newer-setenv-retry.conf': /setEnv = CORPUS_GREETING=hello from setEnv": Specified option name is not valid here/,
};

const dir = tempDir('tunnel-corpus-');
let pki: Pki;
let echo: EchoServer;
let haveStunnel = false;
const user = userInfo().username;
const group = execFileSync('id', ['-gn'], { encoding: 'utf8' }).trim();

test.before(async () => {
  pki = await makePki({ dir: dir.path, leaves: { other: { cn: 'other', san: 'DNS:other' } } });
  // PKCS#12 bundle with an empty export password, as `openssl pkcs12 -export` writes for a Windows CA.
  await run('openssl', [
    'pkcs12',
    '-export',
    '-in',
    pki.cert('server'),
    '-inkey',
    pki.key('server'),
    '-certfile',
    pki.ca,
    '-passout',
    'pass:',
    '-out',
    join(dir.path, 'server.p12'),
  ]);
  echo = await echoServer();
  haveStunnel = (await which('stunnel4')) !== undefined;
});
test.after(async () => {
  for (const child of spawned) await child.stop();
  await echo?.close();
  dir.remove();
});

/** What one run of a configuration needs: its ports, files and the peers it talks to. */
interface Run {
  readonly impl: Implementation;
  readonly dir: string;
  readonly ports: Record<string, number>;
  readonly process: RunningProcess;
}

/** Every process this file starts, so test.after can stop any a failed test left behind (it would keep uvu alive). */
const spawned = new Set<RunningProcess>();
function track(command: string, args: readonly string[], options: Parameters<typeof startProcess>[2] = {}): RunningProcess {
  const child = startProcess(command, args, options);
  spawned.add(child);
  return child;
}

/** Fills the @...@ placeholders. */
function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/@([A-Z0-9]+)@/g, (whole, name: string) => values[name] ?? whole);
}

/** Whether `port` accepts a TCP connection now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Starts `impl` with the configuration `name` in a fresh directory and waits until every accept port listens (then it
 * accepted the file) or the process exits (then it rejected it; the reason is its output).
 */
async function start(
  impl: Implementation,
  name: string,
  ports: Record<string, number>,
  twin = '',
): Promise<{ run?: Run; rejected?: string; checked?: Finished }> {
  const runDir = join(dir.path, impl, name.replace(/\.conf$/, '') + twin);
  mkdirSync(join(runDir, 'conf.d'), { recursive: true });
  const values: Record<string, string> = {
    DIR: runDir,
    USER: user,
    GROUP: group,
    CERT: pki.cert('server'),
    KEY: pki.key('server'),
    CA: pki.ca,
    P12: join(dir.path, 'server.p12'),
    BACKEND: String(echo.port),
    ...Object.fromEntries(Object.entries(ports).map(([key, port]) => [key, String(port)])),
  };
  for (const fragment of readdirSync(CORPUS).filter((file) => file.startsWith('conf.d-'))) {
    writeFileSync(
      join(runDir, 'conf.d', fragment.slice('conf.d-'.length)),
      substitute(readFileSync(join(CORPUS, fragment), 'utf8'), values),
    );
  }
  // `protocol = ldap` is the third-party plugin tunnel-protocol-ldap (examples/ in this repository), installed next to
  // the configuration as an admin would (npm install tunnel-protocol-ldap) so tunnel finds it without NODE_PATH.
  mkdirSync(join(runDir, 'node_modules'), { recursive: true });
  symlinkSync(LDAP_PLUGIN, join(runDir, 'node_modules', 'tunnel-protocol-ldap'));
  const text = substitute(readFileSync(join(CORPUS, name), 'utf8'), values);
  const file = join(runDir, 'stunnel.conf');
  writeFileSync(file, text);
  // `tunnel -test FILE` (a tunnel extension) checks the file without binding anything; its verdict must match.
  const checked = impl === 'tunnel' ? await runTunnel(['-test', file], { timeoutMs: 20_000 }) : undefined;
  const listening = [...text.matchAll(/^accept\s*=\s*127\.0\.0\.1:(\d+)/gm)].map((match) => Number(match[1]));
  const process_ = impl === 'stunnel4' ? track('stunnel4', [file], { cwd: runDir }) : track(process.execPath, [...NODE_ARGS, file]);
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (process_.child.exitCode !== null || process_.child.signalCode !== null) {
      let log = '';
      try {
        log = readFileSync(join(runDir, 'stunnel.log'), 'utf8');
      } catch {}
      return { rejected: `${process_.output()}\n${log}`.trim(), ...(checked === undefined ? {} : { checked }) };
    }
    const up = await Promise.all(listening.map(accepts));
    if (up.every(Boolean) && (listening.length > 0 || /Configuration successful/.test(process_.output()))) break;
    if (Date.now() > deadline) {
      await process_.stop();
      return { rejected: `never listened within 15 s:\n${process_.output()}`, ...(checked === undefined ? {} : { checked }) };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { run: { impl, dir: runDir, ports, process: process_ }, ...(checked === undefined ? {} : { checked }) };
}

/** One `openssl s_client` session: sends `send`, resolves with its output once `expect` appears, or false when it ends first. */
async function sClient(args: readonly string[], send: string, expect: RegExp): Promise<{ ok: boolean; output: string }> {
  const client = track('openssl', ['s_client', ...args]);
  client.child.stdin?.on('error', () => {});
  client.child.stdin?.write(send);
  try {
    await client.waitFor(expect, 8000);
    return { ok: true, output: client.output() };
  } catch {
    return { ok: false, output: client.output() };
  } finally {
    await client.stop();
  }
}

/** s_client to 127.0.0.1:port with `args`; true when the line came back through the tunnel (echo backend). */
async function echoes(port: number, args: readonly string[] = []): Promise<{ ok: boolean; output: string }> {
  const line = `corpus ${port} ${Math.random().toString(36).slice(2)}`;
  return sClient(
    ['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', '-brief', ...args],
    `${line}\n`,
    new RegExp(`^${line}$`, 'm'),
  );
}

/** A plain TCP client: sends `line`, resolves with what comes back within a second of the first byte. */
async function plainExchange(port: number, line: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  return new Promise((resolve) => {
    const done = () => {
      socket.destroy();
      resolve(received);
    };
    const limit = setTimeout(done, 8000);
    socket.on('data', (data: Buffer) => {
      received += data.toString();
      if (received.includes('\n')) {
        clearTimeout(limit);
        setTimeout(done, 200);
      }
    });
    socket.on('close', () => {
      clearTimeout(limit);
      done();
    });
    socket.write(`${line}\n`);
  });
}

/** `openssl s_server -rev` (answers each line reversed) on `port`, printing the TLS extensions it is offered. */
async function sServer(port: number, extra: readonly string[] = [], leaf = 'server'): Promise<RunningProcess> {
  const server = track('openssl', [
    's_server',
    '-accept',
    String(port),
    '-cert',
    pki.cert(leaf),
    '-key',
    pki.key(leaf),
    '-rev',
    '-tlsextdebug',
    ...extra,
  ]);
  try {
    await server.waitFor(/ACCEPT/, 5000);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

/** Issues `name.pem`/`name.key` (CN and SAN localhost) from the test CA, with an AIA extension naming an OCSP responder. */
async function aiaLeaf(name: string, serial: number, ocspPort: number): Promise<void> {
  const path = (file: string) => join(pki.dir, file);
  await run(
    'openssl',
    ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost'].concat([
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.csr`),
    ]),
  );
  writeFileSync(
    path(`${name}.ext`),
    `basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:${ocspPort}/\n`,
  );
  await run(
    'openssl',
    ['x509', '-req', '-in', path(`${name}.csr`), '-CA', pki.ca, '-CAkey', path('ca.key'), '-set_serial', String(serial)].concat([
      '-days',
      '2',
      '-extfile',
      path(`${name}.ext`),
      '-out',
      path(`${name}.pem`),
    ]),
  );
}

/** `openssl ocsp` as a responder on `port`, signing with the test CA, for the given serials (decimal) and states. */
async function ocspResponder(port: number, states: Record<number, 'good' | 'revoked'>): Promise<RunningProcess> {
  const index = join(dir.path, `ocsp-index-${port}.txt`);
  // index.txt as `openssl ca` writes it: status, expiry, revocation time, serial (hex), file, subject.
  const rows = Object.entries(states).map(([serial, state]) =>
    [
      state === 'good' ? 'V' : 'R',
      '301231235959Z',
      state === 'good' ? '' : '240101000000Z',
      Number(serial).toString(16).toUpperCase().padStart(2, '0'),
      'unknown',
      '/CN=localhost',
    ].join('\t'),
  );
  writeFileSync(index, `${rows.join('\n')}\n`);
  const responder = track('openssl', [
    'ocsp',
    // OpenSSL 3.0's ocsp takes a bare port here (no host).
    '-port',
    String(port),
    '-index',
    index,
    '-CA',
    pki.ca,
    '-rsigner',
    pki.ca,
    '-rkey',
    join(pki.dir, 'ca.key'),
    '-ignore_err',
  ]);
  try {
    await responder.waitFor(/waiting for OCSP client connections/i, 5000);
  } catch (error) {
    // Never leave a responder behind: it would keep the test process alive.
    await responder.stop();
    throw error;
  }
  return responder;
}

/** A scripted SMTP server without TLS (the backend stunnel's smtp protocol sits in front of). */
async function smtpBackend(): Promise<{ port: number; heard: () => string; close(): Promise<void> }> {
  let heard = '';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.write('220 mail.example.org ESMTP corpus\r\n');
    socket.on('data', (data: Buffer) => {
      heard += data.toString();
      for (const line of data.toString().split('\r\n').filter(Boolean)) {
        socket.write(/^EHLO/i.test(line) ? '250-mail.example.org\r\n250 SIZE 1000000\r\n' : `250 2.0.0 corpus heard ${line}\r\n`);
      }
    });
  });
  const port = await listen(server);
  return {
    port,
    heard: () => heard,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A scripted HTTP CONNECT proxy: records each request head, connects to its target and relays. */
async function connectProxy(): Promise<{ port: number; heads: string[]; close(): Promise<void> }> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      head = Buffer.concat([head, data]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      const text = head.subarray(0, end).toString();
      heads.push(text);
      const target = /^CONNECT (\S+):(\d+) HTTP\/1\.[01]/.exec(text);
      if (target === null) {
        socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
        return;
      }
      const upstream = net.connect(Number(target[2]), target[1]?.replace(/^\[|\]$/g, ''), () => {
        socket.write('HTTP/1.1 200 Connection established\r\n\r\n');
        const rest = head.subarray(end + 4);
        if (rest.length > 0) upstream.write(rest);
        socket.pipe(upstream).pipe(socket);
      });
      sockets.add(upstream);
      upstream.on('error', () => socket.destroy());
    };
    socket.on('data', onData);
  });
  const port = await listen(server);
  return {
    port,
    heads,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** LDAPMessage { messageID 1, ExtendedRequest { requestName "1.3.6.1.4.1.4203.1.11.3" } }: WhoAmI (RFC 4532). */
const WHOAMI = Buffer.concat([Buffer.from([0x30, 0x1e, 0x02, 0x01, 0x01, 0x77, 0x19, 0x80, 0x17]), Buffer.from('1.3.6.1.4.1.4203.1.11.3')]);

/** Debian's slapd on `port` with StartTLS (our server certificate) and an empty database, started privately. */
async function slapd(port: number): Promise<RunningProcess> {
  const base = join(dir.path, `slapd-${port}`);
  mkdirSync(join(base, 'db'), { recursive: true });
  const lines = [
    'include /etc/ldap/schema/core.schema',
    `pidfile ${base}/slapd.pid`,
    `argsfile ${base}/slapd.args`,
    'modulepath /usr/lib/ldap',
    'moduleload back_mdb',
    `TLSCertificateFile ${pki.cert('server')}`,
    `TLSCertificateKeyFile ${pki.key('server')}`,
    `TLSCACertificateFile ${pki.ca}`,
    'database mdb',
    'suffix "dc=example,dc=com"',
    `directory ${base}/db`,
  ];
  writeFileSync(join(base, 'slapd.conf'), `${lines.join('\n')}\n`);
  const server = track('slapd', ['-h', `ldap://127.0.0.1:${port}/`, '-f', join(base, 'slapd.conf'), '-d', '0']);
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (Date.now() > deadline) throw new Error(`slapd did not start: ${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return server;
}

/** A plain TCP client: sends `request`, resolves with the bytes that come back within 300 ms of the first (8 s at most). */
async function plainRequest(port: number, request: Buffer): Promise<Buffer> {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    const done = () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const limit = setTimeout(done, 8000);
    socket.on('data', (data: Buffer) => {
      chunks.push(data);
      clearTimeout(limit);
      setTimeout(done, 300);
    });
    socket.on('close', () => {
      clearTimeout(limit);
      done();
    });
    socket.write(request);
  });
}

/** A configuration's ports and its behaviour check, run against a started stunnel4 or tunnel. */
interface Case {
  /** Extra port placeholders besides PORT1..PORT3 and DEADPORT. */
  readonly ports?: readonly string[];
  /** Starts what the configuration connects to; the returned function stops it. */
  readonly peers?: (ports: Record<string, number>) => Promise<() => Promise<void>>;
  /** Throws when the behaviour is not the one the configuration asks for. */
  readonly check: (run: Run) => Promise<void>;
}

const mustEcho = async (port: number, args: readonly string[] = [], what = `s_client to ${port}`) => {
  const result = await echoes(port, args);
  assert.ok(result.ok, `${what} should get its line echoed; output:\n${result.output}`);
  return result.output;
};
const mustFail = async (port: number, args: readonly string[], what: string) => {
  const result = await echoes(port, args);
  assert.not.ok(result.ok, `${what} should fail; output:\n${result.output}`);
};

const sServerPeer =
  (...extra: string[]) =>
  async (ports: Record<string, number>) => {
    peerServer = await sServer(ports.TLSPORT as number, extra);
    peerOutput = () => peerServer?.output() ?? '';
    // The check may have replaced the server (05 swaps in one whose certificate names another host).
    return async () => peerServer?.stop();
  };
let peerServer: RunningProcess | undefined;
let backupServer: RunningProcess | undefined;
let peerOutput: () => string = () => '';
let smtp: Awaited<ReturnType<typeof smtpBackend>> | undefined;
let proxy: Awaited<ReturnType<typeof connectProxy>> | undefined;

const CASES: Readonly<Record<string, Case>> = {
  '01-debian-default.conf': {
    async check({ ports, dir: runDir, process: child }) {
      await mustEcho(ports.PORT1 as number, [], 'the https service from conf.d/10-https.conf');
      await mustEcho(ports.PORT2 as number, [], 'the admin service from conf.d/20-admin.conf');
      assert.is(readFileSync(join(runDir, 'stunnel4.pid'), 'utf8').trim(), String(child.child.pid), 'the pid file names the process');
    },
  },
  '02-tls13-only.conf': {
    async check({ ports }) {
      const port = ports.PORT1 as number;
      const output = await mustEcho(port, ['-tls1_3']);
      assert.match(output, /Ciphersuite: TLS_AES_256_GCM_SHA384/);
      await mustFail(port, ['-tls1_2'], 'a TLS 1.2 client');
      await mustFail(port, ['-tls1_3', '-ciphersuites', 'TLS_AES_128_GCM_SHA256'], 'a client offering only TLS_AES_128_GCM_SHA256');
      await mustFail(port, ['-tls1_3', '-groups', 'X448'], 'a client offering only the X448 group');
      await mustEcho(port, ['-tls1_3', '-groups', 'P-256'], 'a client offering only P-256');
    },
  },
  '03-tls12-seclevel.conf': {
    async check({ ports }) {
      const port = ports.PORT1 as number;
      const output = await mustEcho(port, ['-tls1_2']);
      assert.match(output, /Ciphersuite: ECDHE-\S+-(?:AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)/);
      await mustFail(port, ['-tls1_3'], 'a TLS 1.3 client');
      await mustFail(port, ['-tls1_2', '-cipher', 'AES128-SHA:@SECLEVEL=0'], 'a client offering only AES128-SHA');
    },
  },
  '04-mtls-requirecert.conf': {
    async check({ ports }) {
      const port = ports.PORT1 as number;
      await mustEcho(port, ['-cert', pki.cert('client'), '-key', pki.key('client')], 'the client certificate for "client"');
      await mustFail(port, [], 'a client without a certificate');
      await mustFail(port, ['-cert', pki.cert('other'), '-key', pki.key('other')], 'a CA-signed certificate for "other" (checkHost)');
    },
  },
  '05-client-verify-ocspaia.conf': {
    ports: ['TLSPORT', 'OCSPPORT'],
    async peers(ports) {
      // Two server certificates whose AIA extension names our OCSP responder: one it says is good, one revoked.
      const ocspPort = ports.OCSPPORT as number;
      await aiaLeaf('aia-good', 101, ocspPort);
      await aiaLeaf('aia-revoked', 102, ocspPort);
      const responder = await ocspResponder(ocspPort, { 101: 'good', 102: 'revoked' });
      const stopServer = await sServerPeer('-cert', pki.cert('aia-good'), '-key', pki.key('aia-good'))(ports);
      return async () => {
        await stopServer();
        await responder.stop();
      };
    },
    async check({ ports }) {
      const answer = await plainExchange(ports.PORT1 as number, 'hello verified');
      assert.match(answer, /deifirev olleh/, `the reversed line came back from s_server: ${JSON.stringify(answer)}`);
      // OCSPaia: the responder named in the certificate says this one is revoked, so nothing comes back.
      await peerServer?.stop();
      peerServer = await sServer(ports.TLSPORT as number, [], 'aia-revoked');
      const revoked = await plainExchange(ports.PORT1 as number, 'hello revoked');
      assert.not.match(revoked, /dekover olleh/, 'a server certificate the AIA responder reports revoked is refused (OCSPaia)');
      // The same CA, but a certificate for "other": checkHost = localhost refuses it.
      await peerServer?.stop();
      peerServer = await sServer(ports.TLSPORT as number, [], 'other');
      const refused = await plainExchange(ports.PORT1 as number, 'hello other');
      assert.not.match(refused, /rehto olleh/, 'a server certificate for "other" is refused (checkHost)');
    },
  },
  '06-client-no-sni-failover.conf': {
    ports: ['TLSPORT', 'TLSPORT2'],
    async peers(ports) {
      const stopPrimary = await sServerPeer()(ports);
      backupServer = await sServer(ports.TLSPORT2 as number);
      return async () => {
        await backupServer?.stop();
        await stopPrimary();
      };
    },
    async check({ ports }) {
      // s_server -tlsextdebug prints the ClientHello's extensions once per connection.
      const hellos = (output: string) => output.split('TLS client extension "supported_groups"').length - 1;
      // The start-up probes (plain TCP connects to the accept port) reached the upstream too: let their handshakes
      // finish, then count from here.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const [primaryBefore, backupBefore] = [hellos(peerOutput()), hellos(backupServer?.output() ?? '')];
      for (let round = 1; round <= 3; round += 1) {
        const answer = await plainExchange(ports.PORT1 as number, `hello ${round}`);
        assert.match(answer, new RegExp(`${round} olleh`), `round ${round}: ${JSON.stringify(answer)}`);
      }
      assert.is(hellos(peerOutput()) - primaryBefore, 3, 'the primary took all three connections (prio, not round robin)');
      assert.is(hellos(backupServer?.output() ?? '') - backupBefore, 0, 'the backup took none');
      assert.not.match(peerOutput(), /TLS client extension "server name"/, 'no SNI was sent');
      await peerServer?.stop();
      const answer = await plainExchange(ports.PORT1 as number, 'hello backup');
      assert.match(answer, /pukcab olleh/, `with the primary down the backup answered: ${JSON.stringify(answer)}`);
      assert.is(hellos(backupServer?.output() ?? '') - backupBefore, 1);
    },
  },
  '07-smtp-starttls-server.conf': {
    ports: ['SMTPPORT'],
    async peers(ports) {
      smtp = await smtpBackend();
      ports.SMTPPORT = smtp.port;
      return async () => smtp?.close();
    },
    async check({ ports }) {
      const result = await sClient(
        ['-connect', `127.0.0.1:${ports.PORT1}`, '-starttls', 'smtp', '-brief'],
        'NOOP\r\n',
        /250 2\.0\.0 corpus heard NOOP/,
      );
      assert.ok(result.ok, `STARTTLS then NOOP inside TLS reaches the SMTP server; output:\n${result.output}`);
      assert.match(result.output, /Protocol version: TLSv1\.[23]/);
    },
  },
  '08-connect-proxy.conf': {
    ports: ['TLSPORT', 'PROXYPORT'],
    async peers(ports) {
      const stopServer = await sServerPeer()(ports);
      proxy = await connectProxy();
      ports.PROXYPORT = proxy.port;
      return async () => {
        await proxy?.close();
        await stopServer();
      };
    },
    async check({ ports }) {
      const answer = await plainExchange(ports.PORT1 as number, 'hello proxy');
      assert.match(answer, /yxorp olleh/, `the reversed line came back through the proxy: ${JSON.stringify(answer)}`);
      const head = proxy?.heads.at(-1) ?? '';
      assert.match(head, new RegExp(`^CONNECT 127\\.0\\.0\\.1:${ports.TLSPORT} HTTP/1\\.[01]\\r\\n`), head);
      assert.match(head, /\r\nX-Corpus-Test: stunnel 5\.68 syntax(?:\r\n|$)/, head);
    },
  },
  '09-ldap-starttls-client.conf': {
    ports: ['LDAPPORT'],
    async peers(ports) {
      const server = await slapd(ports.LDAPPORT as number);
      return () => server.stop();
    },
    async check({ ports }) {
      // An LDAP WhoAmI (RFC 4532) in plaintext to the local port: it reaches slapd inside the StartTLS session the
      // client side negotiated, and slapd answers with resultCode 0 (success).
      const answer = await plainRequest(ports.PORT1 as number, WHOAMI);
      const at = answer.indexOf(0x78);
      assert.ok(at !== -1 && answer.subarray(at).includes(Buffer.from([0x0a, 0x01, 0x00])), `slapd's answer: ${answer.toString('hex')}`);
    },
  },
  '10-multi-accept-socket-logid.conf': {
    async check({ ports, dir: runDir, process: child, impl }) {
      await mustEcho(ports.PORT1 as number, [], 'the first accept line');
      await mustEcho(ports.PORT2 as number, [], 'the second accept line');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const log = readFileSync(join(runDir, 'stunnel.log'), 'utf8');
      // logId = process: the connection's log lines carry the process id instead of a connection number.
      assert.match(log, new RegExp(`LOG\\d\\[${child.child.pid}\\]`), `${impl} log:\n${log}`);
    },
  },
  '11-exec-inetd-style.conf': {
    async check({ ports }) {
      await mustEcho(ports.PORT1 as number, [], 'a line sent to /bin/cat');
    },
  },
  '12-newer-setenv-retry.conf': {
    async check({ ports }) {
      const result = await sClient(['-connect', `127.0.0.1:${ports.PORT1}`, '-brief'], '', /^CORPUS_GREETING=hello from setEnv$/m);
      assert.ok(result.ok, `env printed the variable; output:\n${result.output}`);
    },
  },
  '13-pkcs12-cert.conf': {
    async check({ ports }) {
      const output = await mustEcho(ports.PORT1 as number, ['-CAfile', pki.ca, '-verify_return_error']);
      assert.match(output, /Peer certificate: CN ?= ?localhost/);
    },
  },
  '14-session-tickets.conf': {
    async check({ impl, ports, dir: runDir }) {
      const session = join(runDir, 'session.pem');
      const resumed = async (port: number, args: readonly string[]) =>
        (await sClient(['-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args], 'ticket\n', /^ticket$/m)).output.match(
          /^(New|Reused), TLSv1\.3/m,
        )?.[1];
      assert.is(await resumed(ports.PORT1 as number, ['-sess_out', session]), 'New');
      assert.is(await resumed(ports.PORT1 as number, ['-sess_in', session]), 'Reused', 'the host resumes its own ticket');
      // The second host: the same file, started again by the same implementation on other ports.
      const twin = await start(
        impl,
        '14-session-tickets.conf',
        { ...ports, PORT1: ports.PORT2 as number, PORT3: await freePort() },
        '-twin',
      );
      assert.ok(twin.run !== undefined, `the second host starts: ${twin.rejected}`);
      try {
        assert.is(await resumed(ports.PORT2 as number, ['-sess_in', session]), 'Reused', "the second host resumes the first host's ticket");
      } finally {
        await twin.run?.process.stop();
      }
      const noResume = join(runDir, 'no-resume.pem');
      assert.is(await resumed(ports.PORT3 as number, ['-sess_out', noResume]), 'New');
      // With resumption off there may be no ticket to save at all; when there is one, it must not resume.
      if (existsSync(noResume))
        assert.is(await resumed(ports.PORT3 as number, ['-sess_in', noResume]), 'New', 'sessionResume = no never resumes');
    },
  },
};

/** What happened to each configuration, printed at the end. */
const verdicts: string[] = [];

async function runCase(name: string, impl: Implementation): Promise<'accepted' | 'rejected'> {
  const spec = CASES[name];
  if (spec === undefined) throw new Error(`no case for ${name}`);
  const ports: Record<string, number> = {};
  for (const key of ['PORT1', 'PORT2', 'PORT3', 'DEADPORT', ...(spec.ports ?? [])]) ports[key] = await freePort();
  const stopPeers = spec.peers === undefined ? async () => {} : await spec.peers(ports);
  try {
    const started = await start(impl, name, ports);
    if (started.checked !== undefined) {
      const expected = started.run === undefined ? 1 : 0;
      verdicts.push(`${name}: tunnel -test exits ${started.checked.code}`);
      assert.is(
        started.checked.code,
        expected,
        `tunnel -test disagrees with starting tunnel:\n${started.checked.stdout}${started.checked.stderr}`,
      );
    }
    if (started.run === undefined) {
      const reason = started.rejected ?? '';
      const line = /(?:\[!\]|error|Error)[^\n]*/.exec(reason)?.[0] ?? reason.split('\n').at(-1) ?? '';
      verdicts.push(`${name}: ${impl} rejects it: ${line.trim()}`);
      if (impl === 'stunnel4' && STUNNEL_REJECTS[name] !== undefined) assert.match(reason, STUNNEL_REJECTS[name] as RegExp);
      return 'rejected';
    }
    try {
      if (process.env.CORPUS_DEBUG !== undefined) console.log(`${impl} ${name} output:\n${started.run.process.output()}`);
      await spec.check(started.run);
      verdicts.push(`${name}: ${impl} accepts it and passes the behaviour check`);
    } catch (error) {
      verdicts.push(`${name}: ${impl} accepts it but FAILS the behaviour check: ${(error as Error).message.split('\n')[0]}`);
      throw error;
    } finally {
      await started.run.process.stop();
    }
    return 'accepted';
  } finally {
    await stopPeers();
  }
}

const names = readdirSync(CORPUS)
  .filter((file) => file.endsWith('.conf') && !file.startsWith('conf.d-'))
  .sort();
/** CORPUS_ONLY=substring runs only the matching configurations (while debugging one). */
const selected = names.filter((name) => name.includes(process.env.CORPUS_ONLY ?? ''));

test('the corpus holds a dozen or more configurations, each with a behaviour check', () => {
  assert.ok(names.length >= 12, `${names.length} configurations`);
  assert.equal(names, Object.keys(CASES).sort());
});

for (const name of selected) {
  test(
    `${name}: stunnel4 ${STUNNEL_REJECTS[name] === undefined ? 'starts it and passes the behaviour check' : 'rejects it (newer-stunnel syntax)'}`,
    timed(async () => {
      if (!haveStunnel) {
        console.log(`corpus: stunnel4 not installed (packages/cli/ci/apt.txt), ${name} not checked against it`);
        return;
      }
      const verdict = await runCase(name, 'stunnel4');
      assert.is(verdict, STUNNEL_REJECTS[name] === undefined ? 'accepted' : 'rejected');
    }, 60_000),
  );
  test(
    `${name}: tunnel ${
      PENDING.has(name)
        ? 'verdict recorded (options still being implemented)'
        : KNOWN_BUGS[name] !== undefined
          ? 'starts it; the behaviour check shows a known bug'
          : 'starts it and passes the same behaviour check'
    }`,
    timed(async () => {
      const known = KNOWN_BUGS[name];
      try {
        const verdict = await runCase(name, 'tunnel');
        if (!PENDING.has(name)) assert.is(verdict, 'accepted', `tunnel rejected ${name}`);
      } catch (error) {
        if (known?.test((error as Error).message)) return;
        if (!PENDING.has(name)) throw error;
        return;
      }
      if (known !== undefined) assert.unreachable(`${name} passes now: remove it from KNOWN_BUGS`);
    }, 60_000),
  );
}

test.after(() => {
  console.log(`corpus verdicts:\n  ${verdicts.join('\n  ')}`);
});

test.run();
