import { appendFileSync, chmodSync, chownSync, copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { listen, makePki, type Pki, type RunningProcess, run, startProcess, tempDir } from '@tunnel/testkit';

/** The server binaries of the newest PostgreSQL major version Debian installed (15 on bookworm). */
const BIN = (() => {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0] ?? '15', 'bin');
})();

/** A private PostgreSQL cluster on loopback, started by a test and owned by the `postgres` user. */
export interface Cluster {
  readonly port: number;
  readonly pki: Pki;
  readonly dir: string;
  /** Runs SQL through psql over the Unix socket in the cluster directory. */
  sql(query: string): Promise<string>;
  stop(): Promise<void>;
}

/** A port that was free a moment ago (the OS picked it). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function ids(): Promise<{ uid: number; gid: number }> {
  const uid = Number((await run('id', ['-u', 'postgres'])).trim());
  const gid = Number((await run('id', ['-g', 'postgres'])).trim());
  return { uid, gid };
}

/** initdb into a temp directory, then start postgres with ssl=on using a throw-away PKI. */
export async function startCluster(): Promise<Cluster> {
  const temp = tempDir('tunnel-pgsql-');
  const { uid, gid } = await ids();
  const pki = await makePki({ dir: temp.path });
  const data = join(temp.path, 'data');
  chownSync(temp.path, uid, gid);
  chmodSync(temp.path, 0o700);
  await run('runuser', ['-u', 'postgres', '--', `${BIN}/initdb`, '-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], {
    timeoutMs: 60_000,
  });
  for (const file of ['server.pem', 'server.key']) {
    copyFileSync(join(temp.path, file), join(data, file));
    chownSync(join(data, file), uid, gid);
    chmodSync(join(data, file), 0o600);
  }
  // In postgresql.conf, not on the command line, so a test can turn ssl off with ALTER SYSTEM + reload.
  appendFileSync(join(data, 'postgresql.conf'), "\nssl = on\nssl_cert_file = 'server.pem'\nssl_key_file = 'server.key'\n");
  writeFileSync(join(data, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n');
  const port = await freePort();
  const child: RunningProcess = startProcess(
    `${BIN}/postgres`,
    ['-D', data, '-p', String(port), '-k', temp.path, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'logging_collector=off'],
    { uid, gid, cwd: temp.path },
  );
  await child.waitFor(/ready to accept connections/, 30_000);
  return {
    port,
    pki,
    dir: temp.path,
    sql: (query) => run('runuser', ['-u', 'postgres', '--', 'psql', '-h', temp.path, '-p', String(port), '-U', 'postgres', '-XAtc', query]),
    stop: async () => {
      await child.stop();
      temp.remove();
    },
  };
}
