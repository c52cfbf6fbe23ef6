/** The test context shared by the binary negotiators (pgsql, cifs, nntp). */
import type { Duplex } from 'node:stream';
import { type Mode, type ProtocolContext, type ProtocolOptions, StreamChannel } from '@tunnel/protocol';
import { socketPair } from '@tunnel/testkit';

/** A protocol context over two in-memory socket pairs, and the far ends a test drives. */
export interface TestContext {
  readonly context: ProtocolContext;
  /** The accepted client's end: what the protocol writes to `local` arrives here. */
  readonly client: Duplex;
  /** The upstream server's end. */
  readonly server: Duplex;
  readonly local: StreamChannel;
  readonly remote: StreamChannel;
  readonly logs: string[];
  readonly abort: AbortController;
  close(): void;
}

/** Builds a context the way core would for one connection (upstream already connected). */
export function makeContext(mode: Mode, options: ProtocolOptions = {}): TestContext {
  const [localSide, client] = socketPair();
  const [remoteSide, server] = socketPair();
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
    peer: { address: '127.0.0.1', port: 40000, family: 'IPv4' },
    options,
    signal: abort.signal,
    log: { error: log('error'), warning: log('warning'), notice: log('notice'), info: log('info'), debug: log('debug') },
    local,
    remote,
    setTarget: () => {
      throw new Error('not used');
    },
    connectRemote: async () => remote,
    tls: undefined,
    state: new Map(),
  };
  return {
    context,
    client,
    server,
    local,
    remote,
    logs,
    abort,
    close: () => {
      for (const stream of [localSide, client, remoteSide, server]) stream.destroy();
    },
  };
}

/** Writes `data` one byte per tick, to exercise parsers on split input. */
export async function writeSlowly(stream: Duplex, data: Buffer): Promise<void> {
  for (const byte of data) {
    stream.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Runs `promise` and returns the error it rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
