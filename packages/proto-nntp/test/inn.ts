import { chownSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { listen, makePki, type Pki, type RunningProcess, run, startProcess, tempDir } from '@tunnel/testkit';

const NEWSBIN = '/usr/lib/news/bin';

/** A private INN nnrpd on loopback, started by a test in a temp dir. */
export interface Inn {
  readonly port: number;
  readonly pki: Pki;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the OS picked it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function chownTree(path: string, uid: number, gid: number): void {
  chownSync(path, uid, gid);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child, uid, gid);
    else chownSync(child, uid, gid);
  }
}

/**
 * Starts Debian's INN 2.7 reader daemon (`nnrpd -D -f`) with its own inn.conf
 * (INNCONF), readers.conf allowing loopback, an empty tradindexed overview,
 * and — when `tls` is true — a throw-away server certificate, which makes it
 * offer STARTTLS (RFC 4642). `reject` starts it with `-r`, so it greets 400.
 */
export async function startInn(options: { tls: boolean; reject?: string }): Promise<Inn> {
  const temp = tempDir('tunnel-nntp-');
  const dir = temp.path;
  for (const sub of ['etc', 'run', 'spool', 'db', 'log', 'tmp', 'overview', 'pki']) mkdirSync(join(dir, sub));
  const pki = await makePki({ dir: join(dir, 'pki') });
  const conf = [
    'organization: "tunnel test"',
    'pathhost: tunnel.test',
    'domain: tunnel.test',
    'server: 127.0.0.1',
    'mta: "/bin/true %s"',
    'pathnews: /usr/lib/news',
    `pathbin: ${NEWSBIN}`,
    ...['etc', 'run', 'spool', 'db', 'log', 'tmp', 'overview'].map((sub) => `path${sub}: ${join(dir, sub)}`),
    `pathhttp: ${join(dir, 'log')}`,
    'ovmethod: tradindexed',
    'hismethod: hisv6',
  ];
  if (options.tls) conf.push(`tlscertfile: ${pki.cert('server')}`, `tlskeyfile: ${pki.key('server')}`);
  writeFileSync(join(dir, 'inn.conf'), `${conf.join('\n')}\n`);
  writeFileSync(
    join(dir, 'etc', 'readers.conf'),
    'auth "loopback" {\n  hosts: "127.0.0.1"\n  default: "<local>"\n}\naccess "all" {\n  users: "*"\n  newsgroups: "*"\n}\n',
  );
  writeFileSync(join(dir, 'etc', 'storage.conf'), 'method tradspool {\n  newsgroups: *\n  class: 0\n}\n');
  writeFileSync(join(dir, 'db', 'active'), 'junk 0000000000 0000000001 n\ntunnel.test 0000000000 0000000001 y\n');
  writeFileSync(join(dir, 'db', 'newsgroups'), 'tunnel.test\tA group for the tunnel tests.\n');
  const uid = Number((await run('id', ['-u', 'news'])).trim());
  const gid = Number((await run('id', ['-g', 'news'])).trim());
  chownTree(dir, uid, gid);
  const env = { ...process.env, INNCONF: join(dir, 'inn.conf') };
  // nnrpd opens the overview read-only: create the group index once, as the news user.
  await run('runuser', ['-u', 'news', '--', 'env', `INNCONF=${env.INNCONF}`, `${NEWSBIN}/tdx-util`, '-c', '-n', 'tunnel.test']);
  const port = await freePort();
  const args = ['-D', '-f', '-n', '-b', '127.0.0.1', '-p', String(port)];
  if (options.reject !== undefined) args.push('-r', options.reject);
  const child: RunningProcess = startProcess(`${NEWSBIN}/nnrpd`, args, { env, cwd: dir });
  await waitForPort(port, child);
  return {
    port,
    pki,
    stop: async () => {
      await child.stop();
      temp.remove();
    },
  };
}

/** nnrpd logs to syslog only, so readiness is "the port accepts a connection". */
async function waitForPort(port: number, child: RunningProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null) throw new Error(`nnrpd exited early: ${child.output()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('nnrpd did not start listening within 10 s');
}
