import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { makePki, type Pki, type RunningProcess, tempDir, timed, freePort } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTunnel, writeConfig } from './helpers.js';

// Fault injection through the real `tunnel` command: hostile TLS peers (slowloris on the handshake, a flood of
// abandoned handshakes) and hostile upstreams (refusing, resetting, never reading). After each attack the tunnel's open
// file descriptors return to their baseline and a good client is served. Every loop is bounded in count and time.

const BUSY_S = 2;
const IDLE_S = 2;
const PATIENT_BUSY_S = 6;
const FD_TOLERANCE = 4;

const dir = tempDir('tunnel-faults-');
let pki: Pki;
let tunnel: RunningProcess;
let pid: number;
const servers: net.Server[] = [];
/** Upstream ports, and the tunnel's service ports in front of them (one service per kind of upstream). */
const ports = { echo: 0, refuse: 0, reset: 0, blackhole: 0, patient: 0 };
const servicePorts = { echo: 0, refuse: 0, reset: 0, blackhole: 0, patient: 0 };
let baselineFds = 0;
const report: string[] = [];

function listen(server: net.Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function fdCount(): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

function rssKiB(): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? 0 : Number(match[1]);
}

/** Waits (up to `ms`) for the tunnel's fd count to come back within the tolerance of the baseline; returns the last count. */
async function settledFds(ms = 6000): Promise<number> {
  const deadline = Date.now() + ms;
  let count = fdCount();
  while (count > baselineFds + FD_TOLERANCE && Date.now() < deadline) {
    await sleep(100);
    count = fdCount();
  }
  return count;
}

/** Fails the test if the tunnel process has exited (a crash, e.g. a signal from native code, must not pass unnoticed). */
function assertAlive(): void {
  assert.is(tunnel.child.exitCode, null, `the tunnel process exited:\n${tunnel.output().slice(-2000)}`);
  assert.is(tunnel.child.signalCode, null, `the tunnel process was killed by ${tunnel.child.signalCode}`);
}

/** A TLS client that verifies the tunnel, sends a line through [echo] and expects it back; false on any failure within `ms`. */
function goodClient(ms = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const payload = `ping ${Math.random()}\n`;
    let received = '';
    const socket = tls.connect({ host: '127.0.0.1', port: servicePorts.echo, ca: readFileSync(pki.ca), servername: 'localhost' });
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on('secureConnect', () => socket.write(payload));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received === payload) finish(true);
    });
    socket.on('error', () => finish(false));
    socket.on('close', () => finish(received === payload));
  });
}

/** Runs good clients one after another until `stop` resolves; returns successes and attempts. */
async function goodClientsDuring(stop: Promise<unknown>): Promise<{ ok: number; tried: number }> {
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  const tally = { ok: 0, tried: 0 };
  while (!done && tally.tried < 200) {
    tally.tried += 1;
    if (await goodClient()) tally.ok += 1;
    await sleep(50);
  }
  return tally;
}

/** A TLS connection to `port` that sends a line and resolves with how the connection ended and after how long. */
function tlsSession(
  port: number,
  options: { send?: Buffer; ms?: number } = {},
): Promise<{ ended: 'close' | 'timeout'; handshake: boolean; afterMs: number }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let handshake = false;
    const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(pki.ca), servername: 'localhost' });
    const finish = (ended: 'close' | 'timeout') => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ ended, handshake, afterMs: Date.now() - started });
    };
    const timer = setTimeout(() => finish('timeout'), options.ms ?? 8000);
    socket.on('secureConnect', () => {
      handshake = true;
      socket.write(options.send ?? 'hello\n');
    });
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.on('close', () => finish('close'));
  });
}

// The first bytes of a TLS 1.2-style ClientHello record header: enough for OpenSSL to wait for the rest.
const PARTIAL_HELLO = Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]);

test.before(async () => {
  pki = await makePki({ dir: dir.path });
  ports.echo = await listen(net.createServer((socket) => socket.pipe(socket).on('error', () => {})));
  ports.patient = ports.echo;
  ports.refuse = await freePort();
  // Reads a little, then resets the connection mid-stream (RST, not FIN).
  ports.reset = await listen(
    net.createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => setTimeout(() => socket.resetAndDestroy(), 50));
    }),
  );
  // Accepts and never reads.
  ports.blackhole = await listen(
    net.createServer((socket) => {
      socket.pause();
      socket.on('error', () => {});
    }),
  );
  for (const name of Object.keys(servicePorts) as (keyof typeof servicePorts)[]) servicePorts[name] = await freePort();
  const lines = ['foreground = yes', 'pid =', 'syslog = no', `output = ${join(dir.path, 'tunnel.log')}`, 'debug = notice'];
  for (const name of Object.keys(servicePorts) as (keyof typeof servicePorts)[]) {
    lines.push(
      `[${name}]`,
      `accept = 127.0.0.1:${servicePorts[name]}`,
      `connect = 127.0.0.1:${ports[name]}`,
      `cert = ${pki.cert('server')}`,
      `key = ${pki.key('server')}`,
      // [patient] has a long TIMEOUTbusy, to tell a prompt close from a timeout.
      `TIMEOUTbusy = ${name === 'patient' ? PATIENT_BUSY_S : BUSY_S}`,
      `TIMEOUTidle = ${IDLE_S}`,
      'TIMEOUTclose = 1',
      'TIMEOUTconnect = 2',
    );
  }
  tunnel = await startTunnel(writeConfig(join(dir.path, 'faults.conf'), lines));
  pid = tunnel.child.pid as number;
  assertAlive();

  assert.ok(await goodClient(5000), 'a good client is served before any attack');
  await sleep(300);
  baselineFds = fdCount();
  report.push(`baseline: ${baselineFds} fds, RSS ${rssKiB()} KiB`);
});

test.after(async () => {
  await tunnel?.stop();
  for (const server of servers) server.close();
  console.log(`faults through the tunnel command (pid ${pid}):\n  ${report.join('\n  ')}`);
  dir.remove();
});

test(
  'slowloris on the TLS handshake: 60 trickling clients are reaped by TIMEOUTbusy while good clients keep being served',
  timed(async () => {
    const rssBefore = rssKiB();
    const fdsBefore = fdCount();
    const count = 60;
    const closedAfter: number[] = [];
    const attackers = Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve) => {
          const started = Date.now();
          const socket = net.connect(servicePorts.echo, '127.0.0.1');
          let sent = 0;
          // One byte of the ClientHello every 400 ms: never complete, never silent long enough for an idle timer.
          const trickle = setInterval(() => {
            if (sent < PARTIAL_HELLO.length) socket.write(PARTIAL_HELLO.subarray(sent, ++sent));
          }, 400);
          const give = setTimeout(() => socket.destroy(), (BUSY_S + 5) * 1000);
          socket.on('error', () => {});
          socket.on('close', () => {
            clearInterval(trickle);
            clearTimeout(give);
            closedAfter.push(Date.now() - started);
            resolve();
          });
        }),
    );
    const attack = Promise.all(attackers);
    await sleep(300);
    const peakFds = fdCount();
    const good = await goodClientsDuring(attack);
    await attack;
    const fdsAfter = await settledFds();
    const reaped = closedAfter.filter((ms) => ms < (BUSY_S + 3) * 1000).length;
    report.push(
      `slowloris x${count}: reaped by TIMEOUTbusy ${reaped}/${count} (slowest ${Math.max(...closedAfter)} ms); good clients ${good.ok}/${good.tried}; ` +
        `fds ${fdsBefore} -> peak ${peakFds} -> ${fdsAfter}; RSS ${rssBefore} -> ${rssKiB()} KiB`,
    );
    assert.ok(peakFds >= fdsBefore + count / 2, `the attack held connections open (${peakFds} fds)`);
    assert.is(reaped, count, 'every trickling handshake was closed by the tunnel within TIMEOUTbusy + 3 s');
    assert.ok(good.tried >= 5 && good.ok / good.tried >= 0.9, `good clients served ${good.ok}/${good.tried}`);
    assert.ok(fdsAfter <= baselineFds + FD_TOLERANCE, `fds back to baseline ${baselineFds} (now ${fdsAfter})`);
    assertAlive();

    assert.ok(await goodClient(), 'a good client is served after the attack');
  }, 30_000),
);

test(
  'a flood of 300 connections abandoned mid-handshake (FIN or RST) leaves no descriptor behind',
  timed(async () => {
    const rssBefore = rssKiB();
    const total = 300;
    const batch = 50;
    let abandoned = 0;
    // How long the tunnel took to close its side after an orderly close (FIN) from a half-finished handshake.
    const finClosed: number[] = [];
    const attack = (async () => {
      for (let start = 0; start < total; start += batch) {
        await Promise.all(
          Array.from(
            { length: batch },
            (_, index) =>
              new Promise<void>((resolve) => {
                const socket = net.connect(servicePorts.echo, '127.0.0.1', () => {
                  socket.write(PARTIAL_HELLO.subarray(0, 1 + ((start + index) % PARTIAL_HELLO.length)));
                  setTimeout(() => {
                    abandoned += 1;
                    // Half of them vanish with a reset, half with an orderly close.
                    if (index % 2 === 0) socket.resetAndDestroy();
                    else socket.end();
                  }, 20);
                });
                const started = Date.now();
                const limit = setTimeout(() => socket.destroy(), 3000);
                socket.on('error', () => {});
                socket.on('close', () => {
                  clearTimeout(limit);
                  if (index % 2 === 1) finClosed.push(Date.now() - started);
                  resolve();
                });
              }),
          ),
        );
      }
    })();
    const good = await goodClientsDuring(attack);
    await attack;
    const fdsAfter = await settledFds();
    report.push(
      `abandoned handshakes x${abandoned}: FIN answered by a close in ${Math.min(...finClosed)}..${Math.max(...finClosed)} ms; good clients ${good.ok}/${good.tried}; fds baseline ${baselineFds} -> ${fdsAfter}; RSS ${rssBefore} -> ${rssKiB()} KiB`,
    );
    assert.is(abandoned, total);
    assert.ok(good.tried >= 1 && good.ok / good.tried >= 0.9, `good clients served ${good.ok}/${good.tried}`);
    assert.ok(fdsAfter <= baselineFds + FD_TOLERANCE, `fds back to baseline ${baselineFds} (now ${fdsAfter})`);
    assertAlive();

    assert.ok(await goodClient(), 'a good client is served after the flood');
  }, 30_000),
);

test(
  'an upstream that refuses connections: each client is closed promptly after its handshake, nothing leaks',
  timed(async () => {
    const sessions = await Promise.all(Array.from({ length: 20 }, () => tlsSession(servicePorts.refuse)));
    const fdsAfter = await settledFds();
    const slowest = Math.max(...sessions.map((session) => session.afterMs));
    report.push(
      `refusing upstream x20: closed ${sessions.filter((s) => s.ended === 'close').length}/20, slowest ${slowest} ms; fds -> ${fdsAfter}`,
    );
    for (const session of sessions) assert.is(session.ended, 'close');
    assert.ok(slowest < 5000, `closed within 5 s (slowest ${slowest} ms)`);
    assert.ok(fdsAfter <= baselineFds + FD_TOLERANCE, `fds back to baseline ${baselineFds} (now ${fdsAfter})`);
    assert.match(readFileSync(join(dir.path, 'tunnel.log'), 'utf8'), /ECONNREFUSED|refused/i);
    assertAlive();

    assert.ok(await goodClient());
  }, 30_000),
);

test(
  'an upstream that resets mid-stream: the client connection is closed, nothing leaks',
  timed(async () => {
    const sessions = await Promise.all(
      Array.from({ length: 20 }, () => tlsSession(servicePorts.reset, { send: Buffer.alloc(64 * 1024, 7) })),
    );
    const fdsAfter = await settledFds();
    const slowest = Math.max(...sessions.map((session) => session.afterMs));
    report.push(
      `resetting upstream x20: closed ${sessions.filter((s) => s.ended === 'close').length}/20, slowest ${slowest} ms; fds -> ${fdsAfter}`,
    );
    for (const session of sessions) {
      assert.ok(session.handshake);
      assert.is(session.ended, 'close');
    }
    assert.ok(slowest < 5000, `closed within 5 s (slowest ${slowest} ms)`);
    assert.ok(fdsAfter <= baselineFds + FD_TOLERANCE, `fds back to baseline ${baselineFds} (now ${fdsAfter})`);
    assertAlive();

    assert.ok(await goodClient());
  }, 30_000),
);

test(
  'an upstream that accepts and never reads: TIMEOUTidle closes the stalled connections, memory stays bounded',
  timed(async () => {
    const rssBefore = rssKiB();
    const count = 4;
    const cap = 64 * 1024 * 1024;
    let peakRss = rssBefore;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssKiB());
    }, 100);
    // Each client pushes up to 64 MiB the upstream never reads: the tunnel must apply backpressure, not buffer it all.
    const sessions = await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<{ ended: string; afterMs: number; written: number }>((resolve) => {
            const started = Date.now();
            let written = 0;
            const socket = tls.connect({
              host: '127.0.0.1',
              port: servicePorts.blackhole,
              ca: readFileSync(pki.ca),
              servername: 'localhost',
            });
            const chunk = Buffer.alloc(64 * 1024, 1);
            const finish = (ended: string) => {
              clearTimeout(timer);
              socket.destroy();
              resolve({ ended, afterMs: Date.now() - started, written });
            };
            const timer = setTimeout(() => finish('timeout'), (IDLE_S + 8) * 1000);
            const push = () => {
              while (written < cap && !socket.destroyed) {
                written += chunk.length;
                if (!socket.write(chunk)) return void socket.once('drain', push);
              }
            };
            socket.on('secureConnect', push);
            socket.on('error', () => {});
            socket.on('close', () => finish('close'));
          }),
      ),
    );
    clearInterval(sampler);
    const fdsAfter = await settledFds();
    const slowest = Math.max(...sessions.map((session) => session.afterMs));
    const accepted = Math.max(...sessions.map((session) => session.written));
    report.push(
      `never-reading upstream x${count}: closed ${sessions.filter((s) => s.ended === 'close').length}/${count}, slowest ${slowest} ms, ` +
        `most written by one client ${Math.round(accepted / 1024)} KiB; RSS ${rssBefore} -> peak ${peakRss} -> ${rssKiB()} KiB; fds -> ${fdsAfter}`,
    );
    for (const session of sessions) assert.is(session.ended, 'close');
    assert.ok(slowest < (IDLE_S + 6) * 1000, `closed by TIMEOUTidle (slowest ${slowest} ms)`);
    assert.ok(accepted < cap, 'backpressure stopped every client before it wrote 64 MiB');
    assert.ok(peakRss - rssBefore < 64 * 1024, `RSS grew by ${peakRss - rssBefore} KiB (< 64 MiB for ${count} stalled connections)`);
    assert.ok(fdsAfter <= baselineFds + FD_TOLERANCE, `fds back to baseline ${baselineFds} (now ${fdsAfter})`);
    assertAlive();

    assert.ok(await goodClient());
  }, 30_000),
);

test(
  'a client that half-closes (FIN) in the middle of the TLS handshake is closed at once, not held until TIMEOUTbusy',
  timed(async () => {
    // stunnel 5.68 answers the FIN within ~100 ms ("SSL_accept: unexpected eof while reading"); holding the
    // connection until TIMEOUTbusy (300 s by default) lets clients that gave up pin descriptors for minutes.
    const closedAfter = await Promise.all(
      Array.from(
        { length: 20 },
        (_, index) =>
          new Promise<number>((resolve) => {
            const started = Date.now();
            const socket = net.connect(servicePorts.patient, '127.0.0.1', () => {
              socket.write(PARTIAL_HELLO.subarray(0, 1 + (index % PARTIAL_HELLO.length)));
              setTimeout(() => socket.end(), 20);
            });
            const limit = setTimeout(() => socket.destroy(), (PATIENT_BUSY_S + 1) * 1000);
            socket.on('error', () => {});
            socket.resume();
            socket.on('close', () => {
              clearTimeout(limit);
              resolve(Date.now() - started);
            });
          }),
      ),
    );
    // Whatever the outcome, let the tunnel reap them (TIMEOUTbusy at worst) before the next test.
    const fdsAfter = await settledFds((PATIENT_BUSY_S + 3) * 1000);
    report.push(
      `FIN mid-handshake x20 (TIMEOUTbusy ${PATIENT_BUSY_S} s): closed after ${Math.min(...closedAfter)}..${Math.max(...closedAfter)} ms; fds -> ${fdsAfter}`,
    );
    assert.ok(Math.max(...closedAfter) < 1500, `every half-closed handshake closed within 1.5 s (slowest ${Math.max(...closedAfter)} ms)`);
  }, 30_000),
);

test.run();
