import tls from 'node:tls';
import { startProcess, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_ARGS } from './helpers.js';

test(
  'tunnel -demo serves TLS with a fresh self-signed certificate in front of an echo backend',
  timed(async () => {
    const demo = startProcess(process.execPath, [...NODE_ARGS, '-demo'], { env: { ...process.env, TUNNEL_DEMO_PORT: '0' } });
    try {
      const [, port] = await demo.waitFor(/TLS on 127\.0\.0\.1:(\d+)/, 15_000);
      assert.match(demo.output(), /openssl s_client -connect 127\.0\.0\.1:\d+/);
      const socket = tls.connect({ port: Number(port), host: '127.0.0.1', servername: 'localhost', rejectUnauthorized: false });
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      const certificate = socket.getPeerCertificate();
      assert.is(certificate.subject.CN, 'localhost');
      assert.equal(certificate.issuer, certificate.subject, 'self-signed');
      socket.write('echo me\n');
      const [reply] = (await new Promise((resolve) => socket.once('data', (chunk) => resolve([chunk])))) as Buffer[];
      assert.is(reply?.toString(), 'echo me\n');
      socket.destroy();
    } finally {
      demo.child.kill('SIGINT');
      assert.is(await demo.exited(), 0);
    }
  }, 30_000),
);

test.run();
