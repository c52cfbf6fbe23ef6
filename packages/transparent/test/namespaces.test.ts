import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { timed } from '@tunnel/testkit';
import { createLab, type Lab } from './lab.mjs';

// Real kernel paths, not stand-ins: iptables REDIRECT + SO_ORIGINAL_DST for `destination`, and
// IP_TRANSPARENT + the manual's fwmark/table-100 routing for `source`, between three namespaces.

let lab: Lab;
let proxyPort = 9000;

test.before(async () => {
  lab = await createLab();
  // Upstream servers: the `connect` target (8080) and the "real" destinations clients aim at (80).
  for (const [host, port] of [
    ['0.0.0.0', '8080'],
    ['::', '80'],
  ] as const) {
    await lab.start(lab.server, 'server.mts', [host, port]).waitFor(/listening/, 8000);
  }
});

test.after(async () => {
  await lab.remove();
});

interface ClientResult {
  readonly outcome: string;
  readonly text: string;
}

async function runClient(host: string, port: number): Promise<ClientResult> {
  const output = await lab.exec(lab.client, process.execPath, [
    '--import',
    'tsx',
    new URL('./fixtures/client.mts', import.meta.url).pathname,
    host,
    String(port),
  ]);
  return JSON.parse(output.trim().split('\n').pop() ?? '') as ClientResult;
}

/** Starts a proxy for one mode and returns its port; clients reach it directly or through REDIRECT rules. */
async function startProxy(mode: string, connect: string[] = []): Promise<{ port: number; output: () => string }> {
  proxyPort += 1;
  const proxy = lab.start(lab.proxy, 'proxy.mts', [mode, '::', String(proxyPort), ...connect]);
  await proxy.waitFor(/listening/, 8000);
  return { port: proxyPort, output: () => proxy.output() };
}

async function redirect(tables: 'iptables' | 'ip6tables', destination: string, port: number): Promise<void> {
  await lab.exec(lab.proxy, tables, [
    '-t',
    'nat',
    '-A',
    'PREROUTING',
    '-p',
    'tcp',
    '-d',
    destination,
    '--dport',
    '80',
    '-j',
    'REDIRECT',
    '--to-ports',
    String(port),
  ]);
}

test(
  'transparent = none: the server sees the proxy address',
  timed(async () => {
    const proxy = await startProxy('none', ['10.77.2.2', '8080']);
    const result = await runClient('10.77.1.1', proxy.port);
    assert.is(result.outcome, 'echoed', proxy.output());
    assert.match(result.text, /^peer 10\.77\.2\.1 \d+ local 10\.77\.2\.2 8080\n/);
  }, 20_000),
);

test(
  'transparent = source: the server sees the client address (IP_TRANSPARENT) and data flows both ways',
  timed(async () => {
    const proxy = await startProxy('source', ['10.77.2.2', '8080']);
    const result = await runClient('10.77.1.1', proxy.port);
    assert.is(result.outcome, 'echoed', proxy.output());
    assert.match(result.text, /^peer 10\.77\.1\.2 \d+ local 10\.77\.2\.2 8080\n/);
    assert.match(proxy.output(), /upstream 10\.77\.1\.2 \d+ -> 10\.77\.2\.2 8080/);
  }, 20_000),
);

test(
  'transparent = destination: an iptables REDIRECT target is replaced by the original destination',
  timed(async () => {
    const proxy = await startProxy('destination');
    await redirect('iptables', '10.77.2.2', proxy.port);
    const result = await runClient('10.77.2.2', 80);
    assert.is(result.outcome, 'echoed', proxy.output());
    assert.match(result.text, /^peer ::ffff:10\.77\.2\.1 \d+ local ::ffff:10\.77\.2\.2 80\n/);
  }, 20_000),
);

test(
  'transparent = both over IPv6: original destination and client source address together',
  timed(async () => {
    const proxy = await startProxy('both');
    await redirect('ip6tables', 'fd77:2::2', proxy.port);
    const result = await runClient('fd77:2::2', 80);
    assert.is(result.outcome, 'echoed', proxy.output());
    assert.match(result.text, /^peer fd77:1::2 \d+ local fd77:2::2 80\n/);
  }, 20_000),
);

test(
  'transparent = both over IPv4 through a dual-stack listener',
  timed(async () => {
    const proxy = await startProxy('both');
    await lab.exec(lab.proxy, 'iptables', [
      '-t',
      'nat',
      '-I',
      'PREROUTING',
      '-p',
      'tcp',
      '-d',
      '10.77.2.2',
      '--dport',
      '80',
      '-j',
      'REDIRECT',
      '--to-ports',
      String(proxy.port),
    ]);
    const result = await runClient('10.77.2.2', 80);
    assert.is(result.outcome, 'echoed', proxy.output());
    assert.match(result.text, /^peer ::ffff:10\.77\.1\.2 \d+ local ::ffff:10\.77\.2\.2 80\n/);
  }, 20_000),
);

test(
  'transparent = destination refuses a connection that was not redirected instead of looping',
  timed(async () => {
    const proxy = await startProxy('destination');
    const result = await runClient('10.77.1.1', proxy.port);
    assert.match(result.outcome, /^(closed|error ECONNRESET)$/, 'the client is dropped');
    assert.match(proxy.output(), /error ERR_TUNNEL_TRANSPARENT_NOT_REDIRECTED /);
  }, 20_000),
);

test(
  'an upstream that silently drops SYNs fails within the connect time limit',
  timed(async () => {
    await lab.exec(lab.proxy, 'iptables', ['-A', 'OUTPUT', '-p', 'tcp', '-d', '10.77.2.2', '--dport', '9999', '-j', 'DROP']);
    const proxy = await startProxy('source', ['10.77.2.2', '9999']);
    const started = Date.now();
    const result = await runClient('10.77.1.1', proxy.port);
    assert.match(result.outcome, /^(closed|error ECONNRESET)$/);
    assert.match(proxy.output(), /error ERR_TUNNEL_TRANSPARENT_CONNECT_FAILED cause ERR_TUNNEL_OS_CONNECT_TIMEOUT /);
    assert.ok(Date.now() - started < 7500, 'the 5 s connect limit of the fixture holds');
  }, 20_000),
);

test.run();
