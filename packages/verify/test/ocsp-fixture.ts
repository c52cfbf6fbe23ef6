import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { listen, type RunningProcess, run, startProcess, tempDir } from '@tunnel/testkit';
import { type Ca, type Leaf, rootCa } from './pki.js';

/** An OCSP CA with real `openssl ocsp` responders in front of its index. */
export interface OcspFixture {
  readonly ca: Ca;
  readonly good: Leaf;
  readonly revoked: Leaf;
  /** Issued by the CA but absent from the index: the responder answers "unknown". */
  readonly unknown: Leaf;
  /** Delegated responder (id-kp-OCSPSigning, issued by the CA); also the AIA responder of the leaves. */
  readonly delegatedUrl: string;
  /** Responder signing with the CA key itself. */
  readonly caSignedUrl: string;
  /** Responder signing with an OCSPSigning certificate of an unrelated CA. */
  readonly rogueUrl: string;
  /** DER responses fetched with the openssl CLI, for stapling tests. */
  readonly goodDer: string;
  readonly revokedDer: string;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = net.createServer();
  const port = await listen(probe, '::');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function responder(ca: Ca, signer: Leaf | { cert: string; key: string }, port: number | 0): RunningProcess {
  return startProcess('openssl', [
    'ocsp',
    '-index',
    ca.index,
    '-port',
    String(port),
    '-rsigner',
    signer.cert,
    '-rkey',
    signer.key,
    '-CA',
    ca.cert,
    '-nmin',
    '10',
  ]);
}

async function started(process: RunningProcess): Promise<string> {
  const match = await process.waitFor(/ACCEPT \S*:(\d+)/, 5000);
  return `http://127.0.0.1:${match[1]}/`;
}

let built: Promise<OcspFixture> | undefined;

async function build(): Promise<OcspFixture> {
  const temp = tempDir('tunnel-ocsp-');
  const dir = temp.path;
  process.once('exit', () => temp.remove());
  const ca = await rootCa('OCSP Test CA', join(dir, 'ca'), 0x400);
  const rogueCa = await rootCa('Rogue CA', join(dir, 'rogue'), 0x500);
  const signing = ['extendedKeyUsage = OCSPSigning'];
  const delegate = await ca.issue('responder', { cn: 'OCSP Responder', extra: signing });
  const rogue = await rogueCa.issue('rogue-responder', { cn: 'OCSP Test CA', extra: signing });
  const processes: RunningProcess[] = [];
  // The leaves name the delegated responder in their AIA, so its port is chosen before they are
  // issued (openssl ocsp reads the index once, at start). On a port collision, issue again.
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort();
    const aia = [`authorityInfoAccess = OCSP;URI:http://127.0.0.1:${port}/`];
    const good = await ca.issue('good', { cn: 'good', san: 'DNS:localhost,IP:127.0.0.1', extra: aia });
    const revoked = await ca.issue('revoked', { cn: 'revoked', san: 'DNS:localhost,IP:127.0.0.1', extra: aia });
    const unknown = await ca.issue('unknown', { cn: 'unknown', san: 'DNS:localhost,IP:127.0.0.1', extra: aia });
    await ca.revoke(revoked.cert);
    const lines = readFileSync(ca.index, 'utf8').split('\n');
    writeFileSync(ca.index, lines.filter((line) => !line.endsWith('/CN=unknown')).join('\n'));
    const delegated = responder(ca, delegate, port);
    let delegatedUrl: string;
    try {
      delegatedUrl = await started(delegated);
    } catch (error) {
      await delegated.stop();
      if (attempt < 3) continue;
      throw error;
    }
    processes.push(delegated);
    const caSigned = responder(ca, ca, 0);
    processes.push(caSigned);
    const rogueResponder = responder(ca, rogue, 0);
    processes.push(rogueResponder);
    const goodDer = join(dir, 'good.der');
    const revokedDer = join(dir, 'revoked.der');
    for (const [leaf, out] of [
      [good, goodDer],
      [revoked, revokedDer],
    ] as const) {
      await run('openssl', ['ocsp', '-issuer', ca.cert, '-cert', leaf.cert, '-url', delegatedUrl, '-respout', out, '-noverify']);
    }
    return {
      ca,
      good,
      revoked,
      unknown,
      delegatedUrl,
      caSignedUrl: await started(caSigned),
      rogueUrl: await started(rogueResponder),
      goodDer,
      revokedDer,
      close: async () => {
        // A later test file asking for the fixture gets a fresh one.
        built = undefined;
        for (const process of processes) await process.stop();
      },
    };
  }
}

/** The shared OCSP fixture (built on first use; call close() at the end of the file). */
export function ocspFixture(): Promise<OcspFixture> {
  built ??= build();
  return built;
}
