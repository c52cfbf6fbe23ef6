import type { Duplex } from 'node:stream';
import { type Channel, StreamChannel } from '@tunnel/protocol';
import { chunk, hostilePeer, mutated } from '@tunnel/protocol-testkit';
import { socketPair, timed, withTimeout } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authenticate, startTlsClient, startTlsServer } from '../src/index.js';

// Property-based fuzzing of both SMTP negotiators: the server side against a hostile client and against a hostile
// upstream greeting, the client side against a hostile server. The seed is fixed so CI always feeds the same inputs;
// scripts/fuzz-long.sh sets FUZZ_SEED, FUZZ_RUNS and FUZZ_TIME_MS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
/** The negotiators' default line bound (read-reply.ts, server.ts). */
const MAX_LINE = 1024;
/** The largest piece the hostile peer writes at once; a channel may hold one piece past the line bound. */
const PIECE = 16 * 1024;
let peakBuffered = 0;

const CLIENT_CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_SMTP_UNEXPECTED_COMMAND',
  'ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION',
  'ERR_TUNNEL_LINE_TOO_LONG',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);
const SERVER_CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_SMTP_BAD_REPLY',
  'ERR_TUNNEL_SMTP_TOO_MANY_LINES',
  'ERR_TUNNEL_SMTP_REJECTED',
  'ERR_TUNNEL_SMTP_NO_STARTTLS',
  'ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION',
  'ERR_TUNNEL_LINE_TOO_LONG',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);

const GREETING = '220 mx.example.org ESMTP Postfix (Debian/GNU)\r\n';
const CLIENT_DIALOGUE = 'EHLO client.example.org\r\nSTARTTLS\r\n';
const SERVER_DIALOGUE = `220-mx.example.org ESMTP\r\n${GREETING}250-mx.example.org\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n`;
const VALID_CLIENT = [CLIENT_DIALOGUE, 'ehlo [127.0.0.1]\nstarttls\n', 'HELO x\r\n', 'EHLO a\r\nSTARTTLS\r\nEHLO b\r\n', 'QUIT\r\n'].map(
  (text) => Buffer.from(text),
);
const VALID_SERVER = [SERVER_DIALOGUE, '220 x\r\n250 x\r\n454 TLS not available\r\n', '554 go away\r\n', '220-a\r\n221 b\r\n'].map((text) =>
  Buffer.from(text),
);

/** Commands and replies an SMTP peer might send, with hostile variants, joined into lines. */
const smtpLine = fc.oneof(
  fc.constantFrom('EHLO a', 'HELO a', 'STARTTLS', 'QUIT', 'NOOP', 'RSET', '220 a', '220-a', '250 a', '250-STARTTLS', '454 no', '999 x'),
  fc.string({ maxLength: 40 }),
  fc.stringMatching(/^[0-9]{3}[ -][\x20-\x7e]{0,20}$/),
);
const lines = fc
  .tuple(fc.array(smtpLine, { maxLength: 8 }), fc.constantFrom('\r\n', '\n', '\r', ''))
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

/** Server mode with the hostile peer as the accepted client (metered channel, or a raw Duplex for the injection check). */
const serverFacingClient =
  (asChannel: boolean) =>
  (stream: Duplex, signal: AbortSignal): Promise<unknown> => {
    const upstream = goodPeer(GREETING);
    const client = asChannel ? metered(stream, signal) : stream;
    return startTlsServer({ client, server: upstream.side, signal }).finally(() => upstream.close());
  };

/** Server mode with the hostile peer as the upstream SMTP server; the accepted client is well behaved. */
const serverFacingUpstream = (stream: Duplex, signal: AbortSignal): Promise<unknown> => {
  const client = goodPeer(CLIENT_DIALOGUE);
  return startTlsServer({ client: client.side, server: metered(stream, signal), signal }).finally(() => client.close());
};

/** Client mode with the hostile peer as the SMTP server. */
const clientFacingServer =
  (asChannel: boolean) =>
  (stream: Duplex, signal: AbortSignal): Promise<unknown> => {
    return startTlsClient(asChannel ? metered(stream, signal) : stream, { signal });
  };

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
  'server side, hostile client: arbitrary bytes, SMTP-ish lines and mutated dialogues settle with success or a coded ProtocolError',
  timed(async () => {
    await property(serverFacingClient, CLIENT_CODES, fc.oneof(arbitrary, lines, mutated(VALID_CLIENT)));
  }, LIMIT_MS),
);

test(
  'server side, hostile upstream greeting: arbitrary bytes, reply-ish lines and mutated greetings settle with success or a coded ProtocolError',
  timed(async () => {
    await property(() => serverFacingUpstream, SERVER_CODES, fc.oneof(arbitrary, lines, mutated(VALID_SERVER)));
  }, LIMIT_MS),
);

test(
  'client side, hostile server: arbitrary bytes, reply-ish lines and mutated dialogues settle with success or a coded ProtocolError',
  timed(async () => {
    await property(clientFacingServer, SERVER_CODES, fc.oneof(arbitrary, lines, mutated(VALID_SERVER)));
  }, LIMIT_MS),
);

test(
  'client side AUTH PLAIN and LOGIN inside TLS, hostile server: arbitrary bytes and mutated replies settle with success or a coded ProtocolError',
  timed(async () => {
    const codes: ReadonlySet<string> = new Set([...SERVER_CODES, 'ERR_TUNNEL_SMTP_AUTH_FAILED']);
    const replies = [
      '250 mx.example.org\r\n235 2.7.0 Authentication successful\r\n',
      '250 mx.example.org\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n235 2.7.0 ok\r\n',
      '250 mx.example.org\r\n535 5.7.8 Authentication credentials invalid\r\n',
      '250-a\r\n250 b\r\n334 x\r\n535 no\r\n',
    ].map((text) => Buffer.from(text));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(arbitrary, lines, mutated(replies)),
        cuts,
        fc.boolean(),
        fc.constantFrom('plain', 'login'),
        (wire, cutPoints, closes, mechanism) =>
          hostilePeer(
            figures,
            (stream, signal) =>
              authenticate(metered(stream, signal), { mechanism, username: 'user@example.org', password: 'secret', signal }),
            codes,
            wire,
            cutPoints,
            closes,
          ),
      ),
      { seed: SEED, numRuns: RUNS },
    );
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

test(
  'a hostile client sending 8 MiB without a line feed is refused with ERR_TUNNEL_LINE_TOO_LONG, holding at most one bound plus one piece',
  timed(async () => {
    const [peer, local] = socketPair();
    const abort = new AbortController();
    const error = await flood(serverFacingClient(true)(local, abort.signal), peer, (size) => Buffer.alloc(size, 0x41), 8 * 1024 * 1024);
    assert.is((error as { code?: string }).code, 'ERR_TUNNEL_LINE_TOO_LONG');
    assert.ok(peakBuffered <= MAX_LINE + PIECE, `peak ${peakBuffered} bytes`);
    figures.inputs += 1;
    figures.refused += 1;
    abort.abort();
    peer.destroy();
    local.destroy();
  }),
);

test(
  'a hostile upstream sending an endless multi-line greeting is refused with ERR_TUNNEL_SMTP_TOO_MANY_LINES, memory bounded',
  timed(async () => {
    const [peer, local] = socketPair();
    const abort = new AbortController();
    const line = Buffer.from('220-mx.example.org is very chatty today\r\n');
    const error = await flood(
      serverFacingUpstream(local, abort.signal),
      peer,
      (size) => Buffer.concat(Array.from({ length: Math.floor(size / line.length) }, () => line)),
      8 * 1024 * 1024,
    );
    assert.is((error as { code?: string }).code, 'ERR_TUNNEL_SMTP_TOO_MANY_LINES');
    assert.ok(peakBuffered <= MAX_LINE + PIECE, `peak ${peakBuffered} bytes`);
    figures.inputs += 1;
    figures.refused += 1;
    abort.abort();
    peer.destroy();
    local.destroy();
  }),
);

/** Runs the server negotiator with a good upstream and a good client whose bytes arrive in `pieces`; returns what the client got. */
async function goodServerRun(pieces: readonly Buffer[]): Promise<string> {
  const [peer, local] = socketPair();
  const upstream = goodPeer(GREETING);
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
  upstream.close();
  peer.destroy();
  local.destroy();
  return received;
}

test(
  'a good client split at every byte boundary, and byte at a time, is served to 220 Go ahead (and the harness still works after the fuzzing)',
  timed(async () => {
    const wire = Buffer.from(CLIENT_DIALOGUE);
    const splits = [...Array.from({ length: wire.length - 1 }, (_, at) => chunk(wire, [at + 1])), chunk(wire, [...wire.keys()])];
    for (const pieces of splits) {
      figures.inputs += 1;
      const received = await goodServerRun(pieces);
      assert.ok(received.startsWith('220 mx.example.org stunnel for ESMTP Postfix (Debian/GNU)\r\n'), received);
      assert.ok(received.endsWith('250 STARTTLS\r\n220 Go ahead\r\n'), received);
      figures.accepted += 1;
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
      assert.is(result.startTlsAdvertised, true);
      figures.accepted += 1;
      peer.destroy();
      local.destroy();
    }
  }),
);

test.after(() => {
  console.log(
    `fuzz smtp negotiators (server side vs client and upstream, client side, AUTH): seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes, peak buffered ${peakBuffered} bytes`,
  );
});

test.run();
