import { parseConfig } from '@tunnel/config-parser';
import type { Protocol } from '@tunnel/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type BuildEnvironment, buildServices } from '../src/build-services.js';

const PEM = Buffer.from('-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----\n');
const environment: BuildEnvironment = {
  readFile: (path) => {
    if (path.includes('missing')) throw new Error('ENOENT: no such file');
    return PEM;
  },
  resolveProtocol: async (name) => {
    if (name !== 'echoish') throw Object.assign(new Error(`unknown protocol "${name}"`), { code: 'ERR_TUNNEL_PROTOCOL_UNKNOWN' });
    return { name, contract: 1, modes: ['client'] } satisfies Protocol;
  },
  createVerifier: async () => undefined,
};

const build = (text: string) => buildServices(parseConfig(text, { file: 't.conf' }), environment);

async function issuesOf(text: string): Promise<string[]> {
  try {
    await build(text);
    return [];
  } catch (error) {
    const issues = (error as { issues?: Array<{ line: number; option?: string; code: string }> }).issues ?? [];
    return issues.map((issue) => `${issue.line}:${issue.option}:${issue.code}`);
  }
}

test('accept = PORT listens on all IPv4 addresses, as the 5.28 manual says', async () => {
  const [service] = await build('[s]\naccept = 4433\nconnect = 80\ncert = c.pem\n');
  assert.equal(service?.options.accept, [{ host: '0.0.0.0', port: 4433 }]);
  assert.equal(service?.options.connect, [{ host: 'localhost', port: 80 }]);
});

test('curve defaults to prime256v1 (the 5.28 default) and follows curves = when written', async () => {
  const [plain, custom] = await build(
    '[a]\naccept = 1\nconnect = 2\ncert = c.pem\n[b]\naccept = 3\nconnect = 4\ncert = c.pem\ncurves = X25519:P-256\n',
  );
  assert.is(plain?.options.curve, 'prime256v1');
  assert.is(custom?.options.curve, 'X25519:P-256');
});

test('an SNI slave section is attached to its master, once per pattern, and does not listen itself', async () => {
  const services = await build(
    '[master]\naccept = 443\nconnect = 80\ncert = c.pem\n[slave]\nsni = master:*.example.com\nconnect = 81\ncert = c.pem\n',
  );
  assert.equal(
    services.map((service) => service.options.name),
    ['master'],
  );
  const [sni] = services[0]?.options.sniServices ?? [];
  assert.is(sni?.pattern, '*.example.com');
  assert.is(sni?.service.name, 'slave');
  assert.equal(sni?.service.connect, [{ host: 'localhost', port: 81 }]);
});

test('connection policy in an SNI slave is refused: it runs before SNI picks the slave', async () => {
  assert.equal(
    await issuesOf(
      '[master]\naccept = 443\nconnect = 80\ncert = c.pem\n[slave]\nsni = master:a.example\nconnect = 81\ncert = c.pem\nlibwrap = yes\n',
    ),
    ['6:sni:ERR_TUNNEL_SNI_POLICY'],
  );
});

test('securityLevel is carried out as @SECLEVEL on the cipher list', async () => {
  const [service] = await build('[s]\naccept = 1\nconnect = 2\ncert = c.pem\nciphers = HIGH\nsecurityLevel = 3\n');
  assert.is(service?.options.ciphers, 'HIGH:@SECLEVEL=3');
});

test('every problem is reported with its line: refused options, unreadable files, unknown protocols, SSLv3', async () => {
  const issues = await issuesOf(
    [
      '[s]', // 1
      'client = yes', // 2
      'accept = 1', // 3
      'connect = 2', // 4
      'engineId = x', // 5
      'cert = missing.pem', // 6
      'protocol = nosuch', // 7
      'sslVersion = SSLv3', // 8
      'CAengine = x', // 9
    ].join('\n'),
  );
  assert.equal(issues.sort(), [
    '5:engineId:ERR_TUNNEL_OPTION_REFUSED',
    '6:cert:ERR_TUNNEL_FILE_UNREADABLE',
    '7:protocol:ERR_TUNNEL_PROTOCOL_UNKNOWN',
    '8:sslVersion:ERR_TUNNEL_SSL_VERSION_REFUSED',
    '9:CAengine:ERR_TUNNEL_OPTION_REFUSED',
  ]);
});

test('a protocol used in a mode it does not support is refused at the protocol line', async () => {
  assert.equal(await issuesOf('[s]\naccept = 1\nconnect = 2\ncert = c.pem\nprotocol = echoish\n'), ['5:protocol:ERR_TUNNEL_PROTOCOL_MODE']);
});

test('a protocol extension setting the plugin does not read is refused at its line; one it reads is passed on', async () => {
  assert.equal(await issuesOf('[s]\nclient = yes\naccept = 1\nconnect = 2\nprotocol = echoish\nprotocolColour = blue\n'), [
    '6:protocolColour:ERR_TUNNEL_PROTOCOL_OPTION',
  ]);
  assert.equal(await issuesOf('[s]\naccept = 1\nconnect = 2\ncert = c.pem\nprotocolColour = blue\n'), [
    '5:protocolColour:ERR_TUNNEL_PROTOCOL_OPTION',
  ]);
});

test('pty = no is accepted: only values that ask for something are refused', async () => {
  assert.equal(await issuesOf('[s]\naccept = 1\nconnect = 2\ncert = c.pem\npty = no\n'), []);
});

test('exec, execArgs, pty, setEnv and retry become core exec options', async () => {
  const [server] = await build(
    '[s]\naccept = 1\ncert = c.pem\nexec = /bin/cat\nexecArgs = cat -u\npty = yes\nsetEnv = A=1\nsetEnv = B=x y\n',
  );
  const exec = server?.options.exec;
  assert.is(exec?.path, '/bin/cat');
  assert.equal(exec?.args, ['cat', '-u']);
  assert.equal(exec?.env, { A: '1', B: 'x y' });
  assert.type(exec?.pty, 'function');
  assert.is(exec?.stderr, 'connection');
  assert.is(exec?.retryMs, undefined);
  const [yes] = await build('[s]\nclient = yes\nconnect = 2\nexec = /bin/cat\nretry = yes\n');
  assert.is(yes?.options.exec?.retryMs, 1000);
  assert.is(yes?.options.exec?.pty, undefined);
  const [delay] = await build('foreground = yes\n[s]\nclient = yes\nconnect = 2\nexec = /bin/cat\nretry = 250\n');
  assert.is(delay?.options.exec?.retryMs, 250);
  assert.is(delay?.options.exec?.stderr, 'inherit');
});

test.run();
