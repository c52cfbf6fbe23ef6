/** The test context shared by the line-based STARTTLS negotiators (smtp, imap, pop3). */
import type { Duplex } from 'node:stream';
import { type Mode, type ProtocolContext, type ProtocolOptions, StreamChannel } from '@tunnel/protocol';
import { socketPair } from '@tunnel/testkit';

/** A test-only ProtocolContext over in-memory socket pairs: `localPeer` plays the accepted client, `remotePeer` the upstream. */
export interface TestContext {
  readonly context: ProtocolContext;
  readonly local: StreamChannel;
  readonly remote: StreamChannel;
  /** The test's end of the accepted connection. */
  readonly localPeer: Duplex;
  /** The test's end of the upstream connection. */
  readonly remotePeer: Duplex;
  readonly logs: string[];
  readonly abort: AbortController;
}

export function makeContext(mode: Mode, options: ProtocolOptions = {}): TestContext {
  const [localPeer, localSide] = socketPair();
  const [remotePeer, remoteSide] = socketPair();
  const abort = new AbortController();
  const local = new StreamChannel(localSide, { signal: abort.signal });
  const remote = new StreamChannel(remoteSide, { signal: abort.signal });
  const logs: string[] = [];
  const log = (level: string) => (message: string) => {
    logs.push(`${level}: ${message}`);
  };
  const context: ProtocolContext = {
    mode,
    service: 'test',
    peer: { address: '127.0.0.1', port: 1, family: 'IPv4' },
    options,
    signal: abort.signal,
    log: { error: log('error'), warning: log('warning'), notice: log('notice'), info: log('info'), debug: log('debug') },
    local,
    remote,
    setTarget() {
      throw new Error('not in these tests');
    },
    connectRemote: async () => remote,
    tls: undefined,
    state: new Map(),
  };
  return { context, local, remote, localPeer, remotePeer, logs, abort };
}

/** Collects what a peer end receives, and waits until it contains `text`. */
export function collector(stream: Duplex): { text(): string; waitFor(text: string): Promise<void> } {
  let received = '';
  const waiters = new Set<() => void>();
  stream.on('data', (chunk: Buffer) => {
    received += chunk.toString('utf8');
    for (const wake of waiters) wake();
  });
  return {
    text: () => received,
    waitFor: (text) =>
      new Promise((resolve) => {
        const check = () => {
          if (received.includes(text)) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      }),
  };
}

/** Writes `text` in chunks of `size` bytes (1 = byte at a time), yielding between them. */
export async function writeChunked(stream: Duplex, text: string, size: number): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (let offset = 0; offset < bytes.length; offset += size) {
    stream.write(bytes.subarray(offset, offset + size));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * A scripted peer: for each step, waits until the peer has received the
 * `expect` text (if any), then sends `send`.
 */
export async function script(
  stream: Duplex,
  received: ReturnType<typeof collector>,
  steps: readonly { expect?: string; send: string }[],
  chunk = 0,
): Promise<void> {
  for (const step of steps) {
    if (step.expect !== undefined) await received.waitFor(step.expect);
    if (chunk > 0) await writeChunked(stream, step.send, chunk);
    else stream.write(step.send);
  }
}
