import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { type Pki, type RunningProcess, freePort, listen, makePki, run, tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runTunnel, startTunnel, writeConfig } from './helpers.js';

// config = (SSL_CONF commands), securityLevel, cert = PKCS#12, renegotiation, fips and engine through the real CLI,
// probed with openssl s_client.

const dir = tempDir('tunnel-tls-settings-');
let pki: Pki;
let backend: Server;
let backendPort = 0;
const running: RunningProcess[] = [];

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  backend = createServer((socket) => socket.pipe(socket));
  backendPort = await listen(backend);
});

test.after(async () => {
  await Promise.all(running.splice(0).map((process) => process.stop()));
  backend.close();
  dir.remove();
});

async function server(name: string, lines: readonly string[]): Promise<{ port: number; tunnel: RunningProcess }> {
  const port = await freePort();
  const conf = writeConfig(join(dir.path, `${name}.conf`), [
    'foreground = yes',
    'pid =',
    'syslog = no',
    'debug = 7',
    `[${name}]`,
    `accept = 127.0.0.1:${port}`,
    `connect = 127.0.0.1:${backendPort}`,
    ...lines,
  ]);
  const tunnel = await startTunnel(conf);
  running.push(tunnel);
  return { port, tunnel };
}

const pem = () => [`cert = ${pki.cert('server')}`, `key = ${pki.key('server')}`];

/** s_client's report of one handshake (stdout and stderr), whether it succeeded or not. */
async function probe(port: number, args: readonly string[] = [], input = ''): Promise<string> {
  return run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], { input, timeoutMs: 10_000 }).then(
    (stdout) => stdout,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
  );
}

const established = (report: string) => /^New, TLSv1\.[23], Cipher is (?!\(NONE\))/m.test(report);

test(
  'config = MinProtocol, CipherString, Groups and SignatureAlgorithms take effect as OpenSSL would apply them',
  timed(async () => {
    const { port } = await server('conf', [
      ...pem(),
      'config = MinProtocol:TLSv1.2',
      'config = MaxProtocol:TLSv1.2',
      'config = CipherString:ECDHE-ECDSA-AES128-GCM-SHA256',
      'config = Groups:P-384',
      'config = SignatureAlgorithms:ECDSA+SHA384',
      'config = Options:ServerPreference,-SessionTicket',
    ]);
    const report = await probe(port);
    assert.match(report, /Protocol\s*: TLSv1\.2/);
    assert.match(report, /Cipher\s*: ECDHE-ECDSA-AES128-GCM-SHA256/);
    assert.match(report, /Server Temp Key: ECDH, (P-384|secp384r1)/);
    assert.match(report, /Peer signing digest: SHA384/);
    // -SessionTicket: no ticket is issued.
    assert.not.match(report, /TLS session ticket lifetime hint/);
    assert.not.ok(established(await probe(port, ['-tls1_3'])));
  }, 30_000),
);

test(
  'config commands Node cannot carry out, bad options and bad values are refused naming their own line and the command',
  timed(async () => {
    const conf = writeConfig(join(dir.path, 'refused.conf'), [
      'foreground = yes',
      'pid =',
      '[refused]',
      'accept = 127.0.0.1:1',
      'connect = 127.0.0.1:2',
      `cert = ${pki.combined('server')}`,
      'config = MinProtocol:TLSv1.2',
      'config = VerifyCAFile:/etc/ssl/certs/ca.pem',
      'config = Options:NoSuchOption',
      'config = MaxProtocol:TLSv9',
      'config = CipherString:NOT-A-CIPHER',
      'config = RecordPadding',
    ]);
    const result = await runTunnel([conf]);
    assert.is.not(result.code, 0);
    const text = result.stdout + result.stderr;
    assert.match(text, /refused\.conf:8: config: VerifyCAFile: this SSL_CONF command cannot be carried out by Node\.js TLS/);
    assert.match(text, /refused\.conf:9: config: Options: option "NoSuchOption" is not one this Node build can set/);
    assert.match(text, /refused\.conf:10: config: MaxProtocol: "TLSv9" is not one of TLSv1, TLSv1\.1, TLSv1\.2, TLSv1\.3/);
    assert.match(text, /refused\.conf:11: config: CipherString: OpenSSL refused "NOT-A-CIPHER"/);
    assert.match(text, /refused\.conf:12: config: RecordPadding: needs a parameter/);
    assert.not.match(text, /refused\.conf:7:/);
  }, 20_000),
);

test(
  'securityLevel = 0 lets an old TLS 1.0 client in where the default security level refuses it',
  timed(async () => {
    const old = ['-tls1', '-cipher', 'DEFAULT:@SECLEVEL=0'];
    const strict = await server('seclevel-default', [...pem(), 'sslVersionMin = TLSv1']);
    assert.not.ok(established(await probe(strict.port, old)));
    const relaxed = await server('seclevel-0', [...pem(), 'sslVersionMin = TLSv1', 'securityLevel = 0']);
    const report = await probe(relaxed.port, old);
    assert.match(report, /Protocol\s*: TLSv1\b/);
  }, 30_000),
);

test(
  'cert = a PKCS#12 file exported with an empty password serves TLS; a password-protected one is refused at the cert line',
  timed(async () => {
    const p12 = join(dir.path, 'server.p12');
    const args = ['pkcs12', '-export', '-in', pki.cert('server'), '-inkey', pki.key('server'), '-certfile', pki.ca, '-out'];
    await run('openssl', [...args, p12, '-passout', 'pass:']);
    const { port } = await server('p12', [`cert = ${p12}`]);
    const report = await probe(port, ['-CAfile', pki.ca, '-verify_return_error'], 'hello\n');
    assert.match(report, /subject=CN\s*=\s*localhost/);
    assert.match(report, /Verify return code: 0 \(ok\)/);

    const locked = join(dir.path, 'locked.p12');
    await run('openssl', [...args, locked, '-passout', 'pass:secret']);
    const conf = writeConfig(join(dir.path, 'locked.conf'), [
      'foreground = yes',
      'pid =',
      '[locked]',
      'accept = 127.0.0.1:1',
      'connect = 127.0.0.1:2',
      `cert = ${locked}`,
    ]);
    const result = await runTunnel([conf]);
    assert.is.not(result.code, 0);
    assert.match(
      result.stdout + result.stderr,
      /locked\.conf:6: cert: .*locked\.p12 is not a PKCS#12 file tunnel can open .*without a password/,
    );
  }, 30_000),
);

test(
  'renegotiation: a client-initiated TLS 1.2 renegotiation (s_client R) works by default and is refused with renegotiation = no',
  timed(async () => {
    // s_client reads "R" on stdin as "renegotiate"; the line after it must still reach the echo backend.
    const renegotiate = async (port: number) => {
      const { spawn } = await import('node:child_process');
      const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      child.stderr.on('data', (chunk) => (out += chunk));
      const waitFor = (pattern: RegExp, ms: number) =>
        new Promise<boolean>((resolve) => {
          const started = Date.now();
          const check = () => (pattern.test(out) ? resolve(true) : Date.now() - started > ms ? resolve(false) : setTimeout(check, 50));
          check();
        });
      await waitFor(/^New, TLSv1\.2/m, 5000);
      child.stdin.write('R\n');
      await waitFor(/RENEGOTIATING/, 5000);
      child.stdin.write('after-renegotiation\n');
      const echoed = await waitFor(/^after-renegotiation$/m, 3000);
      child.stdin.end();
      child.kill();
      return { echoed, out };
    };
    const allowed = await server('reneg-yes', pem());
    const yes = await renegotiate(allowed.port);
    assert.ok(yes.echoed, yes.out);
    const refused = await server('reneg-no', [...pem(), 'renegotiation = no']);
    const no = await renegotiate(refused.port);
    assert.not.ok(no.echoed);
    assert.match(no.out, /no renegotiation/);
  }, 30_000),
);

test(
  'fips = yes fails with a clear error naming the option on a Node build without a FIPS provider; engine is refused by name',
  timed(async () => {
    // Whether this Node build can enter FIPS mode at all (it needs an OpenSSL FIPS provider installed).
    const fipsWorks = spawnSync(process.execPath, ['--force-fips', '-e', '0']).status === 0;
    const fipsConf = writeConfig(join(dir.path, 'fips.conf'), [
      'foreground = yes',
      'pid =',
      'fips = yes',
      '[fips]',
      'accept = 127.0.0.1:1',
      'connect = 127.0.0.1:2',
      `cert = ${pki.combined('server')}`,
    ]);
    if (fipsWorks) {
      console.log('fips: this Node build has a FIPS provider; the error path is not reachable here');
    } else {
      const result = await runTunnel([fipsConf]);
      assert.is.not(result.code, 0);
      assert.match(
        result.stdout + result.stderr,
        /fips\.conf:3: fips: FIPS mode is not available in this Node\.js\/OpenSSL build \(.*unsupported\)/,
      );
    }
    const engineConf = writeConfig(join(dir.path, 'engine.conf'), [
      'foreground = yes',
      'pid =',
      'engine = pkcs11',
      '[engine]',
      'accept = 127.0.0.1:1',
      'connect = 127.0.0.1:2',
      `cert = ${pki.combined('server')}`,
      'engineId = pkcs11',
    ]);
    const engine = await runTunnel([engineConf]);
    assert.is.not(engine.code, 0);
    const text = engine.stdout + engine.stderr;
    assert.match(text, /engine\.conf:3: engine: OpenSSL engines are not reachable/);
    assert.match(text, /engine\.conf:8: engineId: OpenSSL engines are not reachable/);
  }, 30_000),
);

test.run();
