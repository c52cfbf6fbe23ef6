import type { Duplex } from 'node:stream';
import { type Channel, StreamChannel } from '@tunnel/protocol';
import { chunk, hostilePeer, mutated } from '@tunnel/protocol-testkit';
import { socketPair, timed, withTimeout } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTlsClient, startTlsServer } from '../src/index.js';

// Property-based fuzzing of both IMAP negotiators: the server side against a hostile client and against a hostile
// upstream (greeting and CAPABILITY answer), the client side against a hostile server. The seed is fixed so CI always
// feeds the same inputs; scripts/fuzz-long.sh sets FUZZ_SEED, FUZZ_RUNS and FUZZ_TIME_MS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
/** The negotiators' default line bound (client.ts, server.ts: IMAP capability lists are long). */
const MAX_LINE = 4096;
/** The largest piece the hostile peer writes at once; a channel may hold one piece past the line bound. */
const PIECE = 16 * 1024;
let peakBuffered = 0;

const CLIENT_CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_IMAP_UNEXPECTED_COMMAND',
  'ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS',
  'ERR_TUNNEL_IMAP_LOGOUT',
  'ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION',
  'ERR_TUNNEL_LINE_TOO_LONG',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);
const SERVER_CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_IMAP_REJECTED',
  'ERR_TUNNEL_IMAP_NO_STARTTLS',
  'ERR_TUNNEL_IMAP_TOO_MANY_LINES',
  'ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION',
  'ERR_TUNNEL_LINE_TOO_LONG',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);

const GREETING = '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS LOGINDISABLED] Dovecot ready.\r\n';
const CLIENT_DIALOGUE = 'a1 CAPABILITY\r\na2 STARTTLS\r\n';
/** What an IMAP server says to stunnel's client side: greeting, an untagged line, the tagged OK. */
const SERVER_DIALOGUE = `${GREETING}* CAPABILITY IMAP4rev1 STARTTLS\r\nstunnel OK Begin TLS negotiation now\r\n`;
const VALID_CLIENT = [CLIENT_DIALOGUE, 'x starttls\n', 'a LOGIN u p\r\n', 'a LOGOUT\r\n', 'STARTTLS\r\n', 'a NOOP\r\n'].map((text) =>
  Buffer.from(text),
);
const VALID_SERVER = [
  SERVER_DIALOGUE,
  '* OK hi\r\nstunnel NO not now\r\n',
  '* BYE go away\r\n',
  '* OK x\r\nstunnel BAD what\r\n',
  '* OK x\r\n* CAPABILITY IMAP4rev1\r\na1 OK done\r\n',
].map((text) => Buffer.from(text));

/** Commands and responses an IMAP peer might send, with hostile variants, joined into lines. */
const imapLine = fc.oneof(
  fc.constantFrom(
    'a CAPABILITY',
    'a STARTTLS',
    'a LOGOUT',
    'a LOGIN u p',
    '* OK x',
    '* BYE x',
    'stunnel OK x',
    'a1 OK x',
    'a NO x',
    '*',
    ' ',
  ),
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[A-Za-z0-9*]{1,6} (?:OK|NO|BAD|CAPABILITY|STARTTLS)[\x20-\x7e]{0,20}$/),
);
const lines = fc
  .tuple(fc.array(imapLine, { maxLength: 8 }), fc.constantFrom('\r\n', '\n', '\r', ''))
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

/** A well-behaved IMAP server: greets, answers each CAPABILITY with an untagged list and a tagged OK, anything else with BAD. */
function goodUpstream(): { side: Duplex; close(): void } {
  const [peer, side] = socketPair();
  let pending = '';
  peer.on('data', (data: Buffer) => {
    pending += data.toString('latin1');
    for (let end = pending.indexOf('\n'); end !== -1; end = pending.indexOf('\n')) {
      const line = pending.slice(0, end).replace(/\r$/, '');
      pending = pending.slice(end + 1);
      // A real server answers every tagged line; the negotiator forwards only lines that start with CAPABILITY.
      const space = line.indexOf(' ');
      const tag = space === -1 ? line : line.slice(0, space);
      if (/^CAPABILITY/i.test(line.slice(space + 1)))
        peer.write(`* CAPABILITY IMAP4rev1 IDLE LOGINDISABLED\r\n${tag} OK Pre-login capabilities listed\r\n`);
      else peer.write(`${tag} BAD Error in IMAP command\r\n`);
    }
  });
  peer.write(GREETING);
  return {
    side,
    close() {
      peer.destroy();
      side.destroy();
    },
  };
}

/** Server mode with the hostile peer as the accepted client (metered channel, or a raw Duplex for the injection check). */
const serverFacingClient =
  (asChannel: boolean) =>
  (stream: Duplex, signal: AbortSignal): Promise<unknown> => {
    const upstream = goodUpstream();
    const client = asChannel ? metered(stream, signal) : stream;
    return startTlsServer({ client, server: upstream.side, signal }).finally(() => upstream.close());
  };

/** Server mode with the hostile peer as the upstream IMAP server (greeting and CAPABILITY answer); the client is well behaved. */
const serverFacingUpstream = (stream: Duplex, signal: AbortSignal): Promise<unknown> => {
  const client = goodPeer(CLIENT_DIALOGUE);
  return startTlsServer({ client: client.side, server: metered(stream, signal), signal }).finally(() => client.close());
};

/** Client mode with the hostile peer as the IMAP server. */
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
  'server side, hostile client: arbitrary bytes, IMAP-ish lines and mutated dialogues settle with success or a coded ProtocolError',
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

const repeated = (line: string) => (size: number) => Buffer.from(line.repeat(Math.floor(size / line.length)));

test(
  'floods end with a code and bounded memory: 8 MiB without a line feed, endless commands, endless untagged lines',
  timed(async () => {
    await expectFlood(serverFacingClient(true), (size) => Buffer.alloc(size, 0x41), 'ERR_TUNNEL_LINE_TOO_LONG');
    await expectFlood(serverFacingClient(true), repeated('a CAPABILITY\r\n'), 'ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS');
    await expectFlood(serverFacingUpstream, (size) => Buffer.alloc(size, 0x2a), 'ERR_TUNNEL_LINE_TOO_LONG');
    await expectFlood(clientFacingServer(true), repeated('* OK still here\r\n'), 'ERR_TUNNEL_IMAP_TOO_MANY_LINES');
  }),
);

test(
  'a good client split at every byte boundary, and byte at a time, is served to the tagged OK (the harness still works after the fuzzing)',
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
      assert.ok(received.startsWith('* OK [KAPABILITY IMAP4rev1'), received);
      assert.ok(received.includes('* CAPABILITY IMAP4rev1 IDLE LOGINDISABLED STARTTLS\r\na1 OK'), received);
      assert.ok(received.endsWith('a2 OK Begin TLS negotiation now\r\n'), received);
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
    `fuzz imap negotiators (server side vs client and upstream, client side): seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes, peak buffered ${peakBuffered} bytes`,
  );
});

test.run();
