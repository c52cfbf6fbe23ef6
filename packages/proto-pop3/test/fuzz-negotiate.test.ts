import type { Duplex } from 'node:stream';
import { type Channel, StreamChannel } from '@tunnel/protocol';
import { chunk, hostilePeer, mutated } from '@tunnel/protocol-testkit';
import { socketPair, timed, withTimeout } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTlsClient, startTlsServer } from '../src/index.js';

// Property-based fuzzing of both POP3 negotiators: the server side against a hostile client and against a hostile
// upstream greeting, the client side against a hostile server. The seed is fixed so CI always feeds the same inputs; scripts/fuzz-long.sh sets FUZZ_SEED, FUZZ_RUNS and FUZZ_TIME_MS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
/** The negotiators' default line bound (client.ts, server.ts). */
const MAX_LINE = 1024;
/** The largest piece the hostile peer writes at once; a channel may hold one piece past the line bound. */
const PIECE = 16 * 1024;
let peakBuffered = 0;

const CLIENT_CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_POP3_UNEXPECTED_COMMAND',
  'ERR_TUNNEL_POP3_PLAINTEXT_INJECTION',
  'ERR_TUNNEL_LINE_TOO_LONG',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);
const SERVER_CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_POP3_REJECTED',
  'ERR_TUNNEL_POP3_NO_STLS',
  'ERR_TUNNEL_POP3_PLAINTEXT_INJECTION',
  'ERR_TUNNEL_LINE_TOO_LONG',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);

const GREETING = '+OK Dovecot (Debian) ready.\r\n';
const CLIENT_DIALOGUE = 'CAPA\r\nSTLS\r\n';
/** What a POP3 server says to stunnel's client side: greeting, then +OK to STLS. */
const SERVER_DIALOGUE = `${GREETING}+OK Begin TLS negotiation now.\r\n`;
const VALID_CLIENT = [CLIENT_DIALOGUE, 'stls\n', 'USER bob\r\n', 'CAPA\r\nCAPA\r\n', 'STLS\r\nUSER x\r\n', 'QUIT\r\n'].map((text) =>
  Buffer.from(text),
);
const VALID_SERVER = [SERVER_DIALOGUE, '+OK\r\n-ERR no\r\n', '-ERR go away\r\n', '+OK x\r\n+OKAY\r\n', '+ok\n+ok\n'].map((text) =>
  Buffer.from(text),
);

/** Commands and responses a POP3 peer might send, with hostile variants, joined into lines. */
const popLine = fc.oneof(
  fc.constantFrom('CAPA', 'STLS', 'stls x', 'USER a', 'QUIT', '+OK', '+OK x', '-ERR x', '+OKx', '.', ''),
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[+-][A-Za-z]{0,4}[\x20-\x7e]{0,20}$/),
);
const lines = fc
  .tuple(fc.array(popLine, { maxLength: 8 }), fc.constantFrom('\r\n', '\n', '\r', ''))
  .map(([items, end]) => Buffer.from(items.map((item) => item + end).join('')));
const arbitrary = fc.uint8Array({ maxLength: 400 }).map((bytes) => Buffer.from(bytes));
const cuts = fc.array(fc.nat({ max: 2048 }), { maxLength: 16 });

/**
 * A channel that remembers the most bytes its StreamChannel ever held (after every read, successful or not): the
 * negotiators must never hold more than one line bound plus one piece of input, whatever the peer sends.
 */
function metered(stream: Duplex, signal: AbortSignal): Channel {
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
    readLine: (options) =>
      measure(
        () => inner.readLine(options),
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
}

/** A well-behaved peer at the other end of a socket pair, which has already sent `text`. */
function goodPeer(text: string): { side: Duplex; close(): void } {
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

/** A well-behaved POP3 server: it greets and then hears nothing (stunnel answers CAPA and STLS itself). */
const goodUpstream = () => goodPeer(GREETING);

/** Server mode with the hostile peer as the accepted client (metered channel, or a raw Duplex for the injection check). */
const serverFacingClient =
  (asChannel: boolean) =>
  (stream: Duplex, signal: AbortSignal): Promise<unknown> => {
    const upstream = goodUpstream();
    const client = asChannel ? metered(stream, signal) : stream;
    return startTlsServer({ client, server: upstream.side, signal }).finally(() => upstream.close());
  };

/** Server mode with the hostile peer as the upstream POP3 server; the client is well behaved. */
const serverFacingUpstream = (stream: Duplex, signal: AbortSignal): Promise<unknown> => {
  const client = goodPeer(CLIENT_DIALOGUE);
  return startTlsServer({ client: client.side, server: metered(stream, signal), signal }).finally(() => client.close());
};

/** Client mode with the hostile peer as the POP3 server. */
const clientFacingServer =
  (asChannel: boolean) =>
  (stream: Duplex, signal: AbortSignal): Promise<unknown> =>
    startTlsClient(asChannel ? metered(stream, signal) : stream, { signal });

const property = (
  negotiate: (asChannel: boolean) => (stream: Duplex, signal: AbortSignal) => Promise<unknown>,
  codes: ReadonlySet<string>,
  input: fc.Arbitrary<Buffer>,
) =>
  fc.assert(
    fc.asyncProperty(input, cuts, fc.boolean(), fc.boolean(), (wire, cutPoints, closes, asChannel) =>
      hostilePeer(figures, negotiate(asChannel), codes, wire, cutPoints, closes),
    ),
    { seed: SEED, numRuns: RUNS },
  );

test(
  'server side, hostile client: arbitrary bytes, POP3-ish lines and mutated dialogues settle with success or a coded ProtocolError',
  timed(async () => {
    await property(serverFacingClient, CLIENT_CODES, fc.oneof(arbitrary, lines, mutated(VALID_CLIENT)));
  }, LIMIT_MS),
);

test(
  'server side, hostile upstream: arbitrary bytes, response-ish lines and mutated greetings settle with success or a coded ProtocolError',
  timed(async () => {
    await property(() => serverFacingUpstream, SERVER_CODES, fc.oneof(arbitrary, lines, mutated(VALID_SERVER)));
  }, LIMIT_MS),
);

test(
  'client side, hostile server: arbitrary bytes, response-ish lines and mutated dialogues settle with success or a coded ProtocolError',
  timed(async () => {
    await property(clientFacingServer, SERVER_CODES, fc.oneof(arbitrary, lines, mutated(VALID_SERVER)));
  }, LIMIT_MS),
);

test(
  'the bytes a negotiator holds never exceed one line bound plus one piece of input',
  timed(() => {
    assert.ok(peakBuffered > 0, 'the metered channels were used');
    assert.ok(peakBuffered <= MAX_LINE + PIECE, `peak ${peakBuffered} bytes`);
  }),
);

/** Feeds `total` bytes of `filler` in PIECE-sized writes until the negotiation settles; returns its error. */
async function flood(negotiation: Promise<unknown>, peer: Duplex, make: (size: number) => Buffer, total: number): Promise<unknown> {
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
}

/** Floods a negotiator over a fresh socket pair and expects `code`, with the held bytes bounded. */
async function expectFlood(
  negotiate: (stream: Duplex, signal: AbortSignal) => Promise<unknown>,
  make: (size: number) => Buffer,
  code: string,
): Promise<void> {
  const [peer, local] = socketPair();
  peer.resume();
  const abort = new AbortController();
  const error = await flood(negotiate(local, abort.signal), peer, make, 8 * 1024 * 1024);
  assert.is((error as { code?: string }).code, code);
  assert.ok(peakBuffered <= MAX_LINE + PIECE, `peak ${peakBuffered} bytes`);
  figures.inputs += 1;
  figures.refused += 1;
  abort.abort();
  peer.destroy();
  local.destroy();
}

test(
  'floods end with a code and bounded memory: 8 MiB without a line feed from the client, the upstream and the server',
  timed(async () => {
    await expectFlood(serverFacingClient(true), (size) => Buffer.alloc(size, 0x41), 'ERR_TUNNEL_LINE_TOO_LONG');
    await expectFlood(serverFacingUpstream, (size) => Buffer.alloc(size, 0x2b), 'ERR_TUNNEL_LINE_TOO_LONG');
    await expectFlood(clientFacingServer(true), (size) => Buffer.alloc(size, 0x2b), 'ERR_TUNNEL_LINE_TOO_LONG');
  }),
);

test(
  'a good client split at every byte boundary, and byte at a time, is served to +OK for STLS (the harness still works after the fuzzing)',
  timed(async () => {
    const wire = Buffer.from(CLIENT_DIALOGUE);
    const splits = [...Array.from({ length: wire.length - 1 }, (_, at) => chunk(wire, [at + 1])), chunk(wire, [...wire.keys()])];
    for (const pieces of splits) {
      figures.inputs += 1;
      const [peer, local] = socketPair();
      const upstream = goodUpstream();
      let received = '';
      peer.on('data', (data: Buffer) => {
        received += data.toString('latin1');
      });
      const running = startTlsServer({ client: local, server: upstream.side });
      for (const piece of pieces) {
        peer.write(piece);
        await new Promise((resolve) => setImmediate(resolve));
      }
      await withTimeout(running, 2000, 'the negotiation');
      assert.is(
        received,
        '+OK Dovecot (Debian) ready. + stunnel\r\n+OK Stunnel capability list follows\r\nSTLS\r\n.\r\n+OK Stunnel starts TLS negotiation\r\n',
      );
      figures.accepted += 1;
      upstream.close();
      peer.destroy();
      local.destroy();
    }
  }),
);

test(
  'a good server split at every byte boundary is negotiated by the client side',
  timed(async () => {
    const wire = Buffer.from(SERVER_DIALOGUE);
    for (let at = 1; at < wire.length; at += 1) {
      figures.inputs += 1;
      const [peer, local] = socketPair();
      peer.resume();
      const running = startTlsClient(local);
      for (const piece of chunk(wire, [at])) {
        peer.write(piece);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const result = await withTimeout(running, 2000, 'the negotiation');
      assert.is(result.greeting, GREETING.trimEnd());
      figures.accepted += 1;
      peer.destroy();
      local.destroy();
    }
  }),
);

test.after(() => {
  console.log(
    `fuzz pop3 negotiators (server side vs client and upstream, client side): seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes, peak buffered ${peakBuffered} bytes`,
  );
});

test.run();
