import { StreamChannel } from '@tunnel/protocol';
import {
  connectTcp,
  type EchoServer,
  echoServer,
  makePki,
  type Pki,
  randomPayload,
  type RunningProcess,
  tempDir,
  timed,
} from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol } from '../src/index.js';
import { type RunningTunnel, startTunnel } from './core-tunnel.js';
import { freePort, startStunnel } from './stunnel.js';

// End to end through @tunnel/core with protocol = cifs, against Debian's stunnel4 5.68 on the other end.
const temp = tempDir('tunnel-cifs-core-');
let pki: Pki;
let echo: EchoServer;
const processes: RunningProcess[] = [];
const tunnels: RunningTunnel[] = [];

test.before(async () => {
  pki = await makePki({ dir: temp.path });
  echo = await echoServer();
});
test.after(async () => {
  for (const tunnel of tunnels) await tunnel.close();
  for (const child of processes) await child.stop();
  await echo?.close();
  temp.remove();
});

async function roundTrip(port: number, size: number): Promise<void> {
  const socket = await connectTcp(port);
  const payload = randomPayload(size);
  socket.write(payload);
  const back = await new StreamChannel(socket).readBytes(size);
  assert.ok(back.equals(payload), 'the payload comes back intact');
  socket.destroy();
}

test(
  'core client mode (cifs) → stunnel4 server mode (cifs) → echo carries data both ways',
  timed(async () => {
    const stunnelPort = await freePort();
    processes.push(
      await startStunnel(temp.path, 'cifs-server', {
        client: 'no',
        protocol: 'cifs',
        accept: `127.0.0.1:${stunnelPort}`,
        connect: `127.0.0.1:${echo.port}`,
        cert: pki.cert('server'),
        key: pki.key('server'),
      }),
    );
    const tunnel = await startTunnel({
      name: 'cifs-client',
      mode: 'client',
      connect: [{ host: '127.0.0.1', port: stunnelPort }],
      protocol,
    });
    tunnels.push(tunnel);
    await roundTrip(tunnel.port, 256 * 1024);
  }, 15_000),
);

test(
  'stunnel4 client mode (cifs) → core server mode (cifs) → echo carries data both ways',
  timed(async () => {
    const tunnel = await startTunnel({
      name: 'cifs-server',
      mode: 'server',
      cert: pki.read('server.pem'),
      key: pki.read('server.key'),
      connect: [{ host: '127.0.0.1', port: echo.port }],
      protocol,
    });
    tunnels.push(tunnel);
    const stunnelPort = await freePort();
    processes.push(
      await startStunnel(temp.path, 'cifs-client', {
        client: 'yes',
        protocol: 'cifs',
        accept: `127.0.0.1:${stunnelPort}`,
        connect: `127.0.0.1:${tunnel.port}`,
        CAfile: pki.ca,
        verifyChain: 'yes',
        checkHost: 'localhost',
      }),
    );
    await roundTrip(stunnelPort, 256 * 1024);
  }, 15_000),
);

test.run();
