import { once } from 'node:events';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { run } from '@tunnel/testkit';

/** curl's answer: status, body and content type (curl is the real scraper here). */
export async function curl(url: string, ...extra: string[]): Promise<{ status: number; body: string; type: string }> {
  const out = await run('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code} %{content_type}', ...extra, url]);
  const cut = out.lastIndexOf('\n');
  const [status, ...type] = out.slice(cut + 1).split(' ');
  return { status: Number(status), body: out.slice(0, cut), type: type.join(' ') };
}

/** The value of one exposition sample line (`name{labels}`), or undefined. */
export function sampleValue(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** A TLS client to a tunnel service (the test PKI's CA is not checked: the point is the traffic). */
export async function tlsOpen(port: number, options: { servername?: string; maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<TLSSocket> {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port,
    rejectUnauthorized: false,
    servername: options.servername ?? 'localhost',
    maxVersion: options.maxVersion,
  });
  await once(socket, 'secureConnect');
  return socket;
}

/** Sends `size` bytes through the tunnel to an echo backend, checks they all come back, closes. */
export async function echoThrough(port: number, size: number, options: { maxVersion?: 'TLSv1.2' | 'TLSv1.3' } = {}): Promise<void> {
  const socket = await tlsOpen(port, options);
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  socket.end(Buffer.alloc(size, 7));
  await once(socket, 'end');
  socket.destroy();
  if (received !== size) throw new Error(`echo returned ${received} of ${size} bytes`);
}

/** Waits until `pattern` (global) occurs `count` times in the process output; polls, so a long log costs no backtracking. */
export async function waitForCount(process: { output(): string }, pattern: RegExp, count: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const seen = process.output().match(pattern)?.length ?? 0;
    if (seen >= count) return;
    if (Date.now() > deadline) throw new Error(`saw ${pattern} ${seen} of ${count} times:\n${process.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
