// Node's own floor for an idle proxied TLS connection, to set tunnel's "RSS per idle connection" against:
// the least a Node proxy can hold per connection (accept, a server-side TLSSocket, an upstream TCP socket and
// two pipes; no logging, no timers, no bookkeeping), measured as bench/run.sh measures tunnel (VmRSS before
// and after N connections held, no forced GC).
//
//   node bench/idle-floor.mjs LOADGEN CERT KEY [N] [tls-only]
//
// LOADGEN is bench/loadgen.c compiled (cc -O2 -pthread -o loadgen bench/loadgen.c -lssl -lcrypto); it is both
// the backend and the client that opens and holds the N connections. `tls-only` skips the upstream (the TLS
// socket alone). Raise `ulimit -n` above 2N first.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { TLSSocket, createSecureContext } from 'node:tls';

const [loadgen, cert, key, count = '4000', variant] = process.argv.slice(2);
if (loadgen === undefined || cert === undefined || key === undefined) {
  process.stderr.write('usage: node bench/idle-floor.mjs LOADGEN CERT KEY [N] [tls-only]\n');
  process.exit(64);
}
const n = Number(count);
const tlsOnly = variant === 'tls-only';
const lines = (child, pattern) =>
  new Promise((resolve) => child.stdout.on('data', (d) => pattern.test(String(d)) && resolve(pattern.exec(String(d)))));

const backend = spawn(loadgen, ['serve', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const backendPort = Number((await lines(backend, /PORT (\d+)/))[1]);
const context = createSecureContext({ cert: readFileSync(cert), key: readFileSync(key) });
const server = createServer({ allowHalfOpen: true }, (raw) => {
  raw.setNoDelay(true);
  const tls = new TLSSocket(raw, { isServer: true, secureContext: context });
  tls.on('error', () => {});
  tls.once('secure', () => {
    if (tlsOnly) return void tls.resume();
    const upstream = connect({ host: '127.0.0.1', port: backendPort, allowHalfOpen: true, noDelay: true });
    upstream.on('error', () => {});
    upstream.once('connect', () => {
      tls.pipe(upstream);
      upstream.pipe(tls);
    });
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
await new Promise((resolve) => setTimeout(resolve, 1000));
const before = rss();
const holder = spawn(loadgen, ['idle', String(server.address().port), String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
await lines(holder, /ready/);
await new Promise((resolve) => setTimeout(resolve, 2000));
const after = rss();
const what = tlsOnly ? 'TLS socket only' : 'TLS socket + upstream + two pipes';
process.stdout.write(`${what}: ${((after - before) / n).toFixed(1)} KiB RSS per idle connection (${n} held, Node ${process.version})\n`);
holder.stdin.end();
backend.kill();
process.exit(0);
