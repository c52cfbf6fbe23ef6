import { run, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol } from '../src/index.js';
import { type RunningTunnel, startTunnel } from './core-tunnel.js';
import { type Inn, startInn } from './inn.js';

// End to end through @tunnel/core: Python nntplib ↔ core (client mode, protocol = nntp) ↔ INN nnrpd with STARTTLS.
let inn: Inn;
const tunnels: RunningTunnel[] = [];

test.before(async () => {
  inn = await startInn({ tls: true });
});
test.after(async () => {
  for (const tunnel of tunnels) await tunnel.close();
  await inn?.stop();
});

const newsreader = [
  'import sys, warnings',
  "warnings.simplefilter('ignore')",
  'import nntplib',
  "s = nntplib.NNTP('127.0.0.1', int(sys.argv[1]), readermode=False)",
  'print(s.getwelcome())',
  "print('STARTTLS' in s.getcapabilities())",
  'resp, count, first, last, name = s.group("tunnel.test")',
  'print(resp.split()[0], name)',
  's.quit()',
].join('\n');

test(
  'core with protocol = nntp relays the INN greeting and carries a newsreader session inside TLS',
  timed(async () => {
    const tunnel = await startTunnel({ name: 'nntp', mode: 'client', connect: [{ host: '127.0.0.1', port: inn.port }], protocol });
    tunnels.push(tunnel);
    const out = (await run('python3', ['-c', newsreader, String(tunnel.port)], { timeoutMs: 10_000 })).split('\n');
    assert.match(out[0]!, /^200 .*INN/);
    assert.is(out[1], 'False', 'inside TLS nnrpd no longer offers STARTTLS');
    assert.is(out[2], '211 tunnel.test');
  }, 20_000),
);

test(
  'core closes the client connection with ERR_TUNNEL_NNTP_BAD_GREETING when nnrpd refuses service',
  timed(async () => {
    const closed = await startInn({ tls: true, reject: 'no readers today' });
    try {
      const tunnel = await startTunnel({
        name: 'nntp-closed',
        mode: 'client',
        connect: [{ host: '127.0.0.1', port: closed.port }],
        protocol,
      });
      tunnels.push(tunnel);
      await run('python3', ['-c', newsreader, String(tunnel.port)], { timeoutMs: 10_000 }).catch(() => '');
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.is(tunnel.closed[0]?.error?.code, 'ERR_TUNNEL_NNTP_BAD_GREETING');
    } finally {
      await closed.stop();
    }
  }, 20_000),
);

test.run();
