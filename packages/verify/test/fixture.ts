import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, tempDir } from '@tunnel/testkit';
import { bundle, type Ca, caDate, intermediateCa, type Leaf, rootCa, selfSigned } from './pki.js';

/** The chain-and-CRL test PKI, built once per test process. */
export interface Fixture {
  readonly dir: string;
  readonly root: Ca;
  readonly inter: Ca;
  readonly other: Ca;
  readonly server: Leaf;
  readonly client: Leaf;
  readonly revoked: Leaf;
  readonly expired: Leaf;
  readonly future: Leaf;
  readonly stranger: Leaf;
  readonly solo: Leaf;
  /** root.pem only (the intermediate comes from the peer). */
  readonly caFile: string;
  /** root + the client certificate: the "locally installed" store of level 3. */
  readonly localFile: string;
  /** solo.pem only: the store of level 4. */
  readonly soloFile: string;
  /** `openssl rehash`ed directory holding root.pem, and one holding the good CRLs. */
  readonly caPath: string;
  readonly crlPath: string;
  /** root CRL + intermediate CRL revoking `revoked`. */
  readonly crlFile: string;
  /** root CRL + an intermediate CRL already past its nextUpdate. */
  readonly expiredCrlFile: string;
  /** only the root CRL: no CRL for the intermediate. */
  readonly rootOnlyCrlFile: string;
  /** The intermediate certificate, for -cert_chain. */
  readonly chain: string;
  remove(): void;
}

let built: Promise<Fixture> | undefined;

async function build(): Promise<Fixture> {
  const temp = tempDir('tunnel-verify-');
  const dir = temp.path;
  process.once('exit', () => temp.remove());
  const root = await rootCa('Tunnel Root', join(dir, 'root'), 0x100);
  const inter = await intermediateCa('Tunnel Intermediate', join(dir, 'inter'), root, 0x200);
  const other = await rootCa('Unrelated CA', join(dir, 'other'), 0x300);
  // Made first so that it is expired by the time the tests run (1 s of life).
  const shortCrl = await inter.crl('short-crl.pem', 1);
  const shortCrlMade = Date.now();
  const server = await inter.issue('server', { cn: 'localhost', san: 'DNS:localhost,IP:127.0.0.1,IP:::1' });
  const client = await inter.issue('client', { cn: 'client', san: 'DNS:client.example,email:client@example.com,IP:127.0.0.2' });
  const revoked = await inter.issue('revoked', { cn: 'revoked', san: 'DNS:revoked.example' });
  const expired = await inter.issue('expired', { cn: 'expired', start: caDate(-20), end: caDate(-1) });
  const future = await inter.issue('future', { cn: 'future', start: caDate(2), end: caDate(20) });
  const stranger = await other.issue('stranger', { cn: 'client', san: 'DNS:client.example,email:client@example.com' });
  const solo = await selfSigned(dir, 'solo', 'solo', 'DNS:solo.example');
  await inter.revoke(revoked.cert);
  const rootCrl = await root.crl('root-crl.pem');
  const interCrl = await inter.crl('inter-crl.pem');
  const caPath = join(dir, 'capath');
  const crlPath = join(dir, 'crlpath');
  mkdirSync(caPath);
  mkdirSync(crlPath);
  copyFileSync(root.cert, join(caPath, 'root.pem'));
  copyFileSync(rootCrl, join(crlPath, 'root-crl.pem'));
  copyFileSync(interCrl, join(crlPath, 'inter-crl.pem'));
  await run('openssl', ['rehash', caPath]);
  await run('openssl', ['rehash', crlPath]);
  const wait = shortCrlMade + 2100 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  return {
    dir,
    root,
    inter,
    other,
    server,
    client,
    revoked,
    expired,
    future,
    stranger,
    solo,
    caFile: root.cert,
    localFile: bundle(join(dir, 'local.pem'), [root.cert, client.cert]),
    soloFile: solo.cert,
    caPath,
    crlPath,
    crlFile: bundle(join(dir, 'crls.pem'), [rootCrl, interCrl]),
    expiredCrlFile: bundle(join(dir, 'expired-crls.pem'), [rootCrl, shortCrl]),
    rootOnlyCrlFile: rootCrl,
    chain: inter.cert,
    remove: temp.remove,
  };
}

/** The shared fixture (built on first use). */
export function fixture(): Promise<Fixture> {
  built ??= build();
  return built;
}

/** s_client / s_server arguments presenting `leaf` with the intermediate. */
export function present(f: Fixture, leaf: Leaf): string[] {
  return ['-cert', leaf.cert, '-key', leaf.key, '-cert_chain', f.chain];
}
