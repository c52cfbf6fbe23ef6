/**
 * The scaffolding the line-based negotiator fuzz files share (smtp, imap, pop3, connect): settings from the
 * environment, a memory-metered channel, the hostile-peer property runner, floods, good peers split at every byte,
 * and the figures line printed at the end. Protocol inputs, codes and expectations stay in each test file.
 */
import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { type Channel, StreamChannel } from '@tunnel/protocol';
import { socketPair, withTimeout } from '@tunnel/testkit';
import fc from 'fast-check';
import { chunk, type FuzzFigures, hostilePeer, mutated } from './fuzz.js';

/** A negotiator under test, run on one end of a socket pair whose other end the (hostile or good) peer holds. */
export type Negotiate = (stream: Duplex, signal: AbortSignal) => Promise<unknown>;

/** The largest piece a hostile peer writes at once; a channel may hold one piece past what it is reading. */
export const PIECE = 16 * 1024;

/** Up to 400 arbitrary bytes. */
export const arbitraryBytes = fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes));

/** Where a hostile peer cuts its bytes into pieces (see `chunk`). */
const cuts = fc.array(fc.nat({ max: 2048 }), { maxLength: 16 });

/** Up to 8 protocol-ish `line`s joined with one of CRLF, LF, CR or nothing. */
export const joinedLines = (line: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.array(line, { maxLength: 8 }), fc.constantFrom('\r\n', '\n', '\r', ''))
    .map(([items, end]) => Buffer.from(items.map((item) => item + end).join('')));

/** Every split of `wire` into two pieces, at offsets 1, 1 + step, 1 + 2 step, ... */
export function everySplit(wire: Buffer, step = 1): Buffer[][] {
  const splits: Buffer[][] = [];
  for (let at = 1; at < wire.length; at += step) splits.push(chunk(wire, [at]));
  return splits;
}

/** `wire` one byte per piece. */
export const byteAtATime = (wire: Buffer): Buffer[] => chunk(wire, [...wire.keys()]);

/** Writes `pieces` to `peer`, one per event-loop turn. */
export async function feed(peer: Duplex, pieces: readonly Buffer[]): Promise<void> {
  for (const piece of pieces) {
    peer.write(piece);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A well-behaved peer at the other end of a socket pair, which has already sent `text`. */
export function goodPeer(text: string): { side: Duplex; close(): void } {
  const [peer, side] = socketPair();
  peer.resume();
  peer.write(text);
  return {
    side,
    close() {
      peer.destroy();
      side.destroy();
    },
  };
}

/** One fuzz file's run: its settings, figures and the peak bytes its metered channels held. */
export interface FuzzRun {
  /** FUZZ_SEED, or the fixed CI seed. */
  readonly seed: number;
  /** FUZZ_RUNS, or the file's default. */
  readonly runs: number;
  /** FUZZ_TIME_MS, or 30 s: the bound on each property test. */
  readonly limitMs: number;
  readonly figures: FuzzFigures;
  /** The most bytes any metered channel held so far. */
  readonly peakBuffered: number;
  /**
   * A channel that remembers the most bytes its StreamChannel ever held (after every read, successful or not): the
   * negotiators must never hold more than their bound, whatever the peer sends.
   */
  metered(stream: Duplex, signal: AbortSignal): Channel;
  /**
   * Asserts the property "`negotiate(variant)` facing a hostile peer that sends `input` cut at arbitrary points, then
   * closes or goes silent, settles with success or a ProtocolError coded in `codes`" over `runs` inputs from `seed`.
   */
  property<V>(
    input: fc.Arbitrary<Buffer>,
    variant: fc.Arbitrary<V>,
    negotiate: (variant: V) => Negotiate,
    codes: ReadonlySet<string>,
  ): Promise<void>;
  /**
   * Floods `negotiate` with up to 8 MiB made by `make` in PIECE-sized writes, and asserts it ends with `code` while the
   * metered channels held no more than the bound.
   */
  expectFlood(negotiate: Negotiate, make: (size: number) => Buffer, code: string): Promise<void>;
  /**
   * Runs `negotiate` on a fresh socket pair while a good peer sends `pieces` (one per turn), then hands its result,
   * what it wrote to the peer, and its end of the pair to `check`; counts one accepted input when `check` passes.
   */
  goodRun<T>(
    pieces: readonly Buffer[],
    negotiate: (local: Duplex) => Promise<T>,
    check: (result: T, received: string, local: Duplex) => void | Promise<void>,
    what?: string,
  ): Promise<void>;
  /** Asserts the metered channels were used and never held more than the bound. */
  checkPeak(): void;
  /** The figures line the file prints at the end, after `label`. */
  summary(label: string): string;
}

/**
 * Starts one fuzz file's run. `bound` is the most bytes a negotiator may hold (its line bound plus one PIECE, for
 * the line-based ones); `runs` is the default number of inputs per property.
 */
export function fuzzRun(options: { runs: number; bound: number }): FuzzRun {
  const seed = Number(process.env.FUZZ_SEED ?? 20_261_125);
  const runs = Number(process.env.FUZZ_RUNS ?? options.runs);
  const limitMs = Number(process.env.FUZZ_TIME_MS ?? 30_000);
  const figures: FuzzFigures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
  let peakBuffered = 0;

  const metered = (stream: Duplex, signal: AbortSignal): Channel => {
    const inner = new StreamChannel(stream, { signal });
    const measure = async <T>(read: () => Promise<T>, extra: (value: T) => number): Promise<T> => {
      try {
        const value = await read();
        peakBuffered = Math.max(peakBuffered, inner.buffered + extra(value));
        return value;
      } catch (error) {
        peakBuffered = Math.max(peakBuffered, inner.buffered);
        throw error;
      }
    };
    return {
      stream,
      get buffered() {
        return inner.buffered;
      },
      readLine: (lineOptions) =>
        measure(
          () => inner.readLine(lineOptions),
          (line) => Buffer.byteLength(line) + 2,
        ),
      readBytes: (length) =>
        measure(
          () => inner.readBytes(length),
          (bytes) => bytes.length,
        ),
      writeLine: (line) => inner.writeLine(line),
      write: (data) => inner.write(data),
    };
  };

  /** Feeds `total` bytes made by `make` in PIECE-sized writes until the negotiation settles; returns its error. */
  const flood = async (negotiation: Promise<unknown>, peer: Duplex, make: (size: number) => Buffer, total: number): Promise<unknown> => {
    let settled = false;
    const result = negotiation.then(
      () => undefined,
      (error: unknown) => error,
    );
    void result.then(() => {
      settled = true;
    });
    for (let sent = 0; sent < total && !settled; sent += PIECE) {
      peer.write(make(PIECE));
      await new Promise((resolve) => setImmediate(resolve));
    }
    return withTimeout(result, 2000, 'the negotiation');
  };

  return {
    seed,
    runs,
    limitMs,
    figures,
    get peakBuffered() {
      return peakBuffered;
    },
    metered,
    property: (input, variant, negotiate, codes) =>
      fc.assert(
        fc.asyncProperty(input, cuts, fc.boolean(), variant, (wire, cutPoints, closes, how) =>
          hostilePeer(figures, negotiate(how), codes, wire, cutPoints, closes),
        ),
        { seed, numRuns: runs },
      ),
    async expectFlood(negotiate, make, code) {
      const [peer, local] = socketPair();
      peer.resume();
      const abort = new AbortController();
      try {
        const error = await flood(negotiate(local, abort.signal), peer, make, 8 * 1024 * 1024);
        assert.equal((error as { code?: string } | undefined)?.code, code);
        assert.ok(peakBuffered <= options.bound, `peak ${peakBuffered} bytes`);
        figures.inputs += 1;
        figures.refused += 1;
      } finally {
        abort.abort();
        peer.destroy();
        local.destroy();
      }
    },
    async goodRun(pieces, negotiate, check, what = 'the negotiation') {
      figures.inputs += 1;
      const [peer, local] = socketPair();
      let received = '';
      peer.on('data', (data: Buffer) => {
        received += data.toString('latin1');
      });
      try {
        const running = negotiate(local);
        await feed(peer, pieces);
        const result = await withTimeout(running, 2000, what);
        await check(result, received, local);
        figures.accepted += 1;
      } finally {
        peer.destroy();
        local.destroy();
      }
    },
    checkPeak() {
      assert.ok(peakBuffered > 0, 'the metered channels were used');
      assert.ok(peakBuffered <= options.bound, `peak ${peakBuffered} bytes`);
    },
    summary: (label) =>
      `${label}: seed ${seed}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes, peak buffered ${peakBuffered} bytes`,
  };
}

/** A well-behaved peer as `goodPeer` returns it. */
export type GoodPeer = ReturnType<typeof goodPeer>;

/** The STARTTLS negotiator pair each mail package exports (smtp, imap, pop3). */
export interface StartTls {
  startTlsServer(options: { client: Channel | Duplex; server: Channel | Duplex; signal?: AbortSignal }): Promise<unknown>;
  startTlsClient(server: Channel | Duplex, options?: { signal?: AbortSignal }): Promise<unknown>;
}

/** What a STARTTLS fuzz file knows about its protocol: its good peers, its inputs and the codes it may refuse with. */
export interface StartTlsCase {
  /** A good upstream server, for the server side facing a hostile client. */
  upstream: () => GoodPeer;
  /** A good client, for the server side facing a hostile upstream. */
  client: () => GoodPeer;
  /** Protocol-ish lines (see `joinedLines`). */
  lines: fc.Arbitrary<Buffer>;
  /** Valid client dialogues and server dialogues, to mutate. */
  validClient: readonly Buffer[];
  validServer: readonly Buffer[];
  /** The codes the server side may refuse a client with, and those either side may refuse a server with. */
  clientCodes: ReadonlySet<string>;
  serverCodes: ReadonlySet<string>;
}

/** The hostile-peer sides of a STARTTLS pair, and the three properties over them. */
export interface StartTlsFuzz {
  /** The hostile peer as the server side's accepted client, facing a good upstream. */
  serverFacingClient(asChannel: boolean): Negotiate;
  /** The hostile peer as the server side's upstream, facing a good client. */
  readonly serverFacingUpstream: Negotiate;
  /** The hostile peer as the server of the client side. */
  clientFacingServer(asChannel: boolean): Negotiate;
  /** Arbitrary bytes, protocol-ish lines and mutated client dialogues against the server side. */
  hostileClient(): Promise<void>;
  /** The same with server dialogues, from the server side's upstream. */
  hostileUpstream(): Promise<void>;
  /** The same with server dialogues, against the client side. */
  hostileServer(): Promise<void>;
}

/**
 * Wires a STARTTLS pair into `run`. With `asChannel` the hostile end is a metered channel, else the raw Duplex (the
 * negotiators' own channel, for the plaintext-injection check); each property draws `asChannel` (the upstream one
 * draws it and ignores it, so every property draws the same shape of values).
 */
export function startTlsFuzz(run: FuzzRun, { startTlsServer, startTlsClient }: StartTls, peers: StartTlsCase): StartTlsFuzz {
  const serverFacingClient =
    (asChannel: boolean): Negotiate =>
    (stream, signal) => {
      const upstream = peers.upstream();
      const client = asChannel ? run.metered(stream, signal) : stream;
      return startTlsServer({ client, server: upstream.side, signal }).finally(() => upstream.close());
    };
  const serverFacingUpstream: Negotiate = (stream, signal) => {
    const client = peers.client();
    return startTlsServer({ client: client.side, server: run.metered(stream, signal), signal }).finally(() => client.close());
  };
  const clientFacingServer =
    (asChannel: boolean): Negotiate =>
    (stream, signal) =>
      startTlsClient(asChannel ? run.metered(stream, signal) : stream, { signal });
  const input = (valid: readonly Buffer[]) => fc.oneof(arbitraryBytes, peers.lines, mutated(valid));
  return {
    serverFacingClient,
    serverFacingUpstream,
    clientFacingServer,
    hostileClient: () => run.property(input(peers.validClient), fc.boolean(), serverFacingClient, peers.clientCodes),
    hostileUpstream: () => run.property(input(peers.validServer), fc.boolean(), () => serverFacingUpstream, peers.serverCodes),
    hostileServer: () => run.property(input(peers.validServer), fc.boolean(), clientFacingServer, peers.serverCodes),
  };
}
