import { run, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol } from '../src/index.js';
import { rejection } from './context.js';
import { type RunningTunnel, startTunnel } from './core-tunnel.js';
import { type Cluster, startCluster } from './postgres.js';

// End to end through @tunnel/core: psql ↔ core (protocol = pgsql) ↔ a private PostgreSQL 15.
let cluster: Cluster;
const tunnels: RunningTunnel[] = [];

test.before(async () => {
  cluster = await startCluster();
});
test.after(async () => {
  for (const tunnel of tunnels) await tunnel.close();
  await cluster?.stop();
});

const psql = (conninfo: string, query: string) => run('psql', [conninfo, '-XAtc', query], { timeoutMs: 15_000 });

test(
  'core in client mode with protocol = pgsql carries psql (sslmode=disable) to PostgreSQL over TLS',
  timed(async () => {
    const tunnel = await startTunnel({ name: 'pg-client', mode: 'client', connect: [{ host: '127.0.0.1', port: cluster.port }], protocol });
    tunnels.push(tunnel);
    const out = await psql(
      `host=127.0.0.1 port=${tunnel.port} user=postgres dbname=postgres sslmode=disable`,
      'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
    );
    assert.is(out.trim(), 't');
  }, 20_000),
);

test(
  'core in server mode with protocol = pgsql serves psql (sslmode=verify-ca) and refuses sslmode=disable',
  timed(async () => {
    const tunnel = await startTunnel({
      name: 'pg-server',
      mode: 'server',
      cert: cluster.pki.read('server.pem'),
      key: cluster.pki.read('server.key'),
      connect: [{ host: '127.0.0.1', port: cluster.port }],
      protocol,
    });
    tunnels.push(tunnel);
    const out = await psql(
      `host=127.0.0.1 port=${tunnel.port} user=postgres dbname=postgres sslmode=verify-ca sslrootcert=${cluster.pki.ca}`,
      'select 6 * 7',
    );
    assert.is(out.trim(), '42');
    const error = await rejection(psql(`host=127.0.0.1 port=${tunnel.port} user=postgres dbname=postgres sslmode=disable`, 'select 1'));
    assert.match(String((error as { stderr?: string }).stderr), /accepts only SSL connections/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(tunnel.closed.some((event) => event.error?.code === 'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST'));
  }, 20_000),
);

test.run();
