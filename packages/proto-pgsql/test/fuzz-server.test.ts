import type { Duplex } from 'node:stream';
import { socketPair, timed, withTimeout } from '@tunnel/testkit';
import fc from 'fast-check';
import { chunk, hostilePeer, mutated } from '@tunnel/protocol-testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptTlsRequest, buildFatalError, GSSENC_REQUEST, requestTls, SSL_REQUEST } from '../src/index.js';

// Property-based fuzzing of the pgsql server negotiator against a hostile client, and of the client side
// against a hostile server. The seed is fixed so CI always feeds the same inputs; scripts/fuzz-long.sh sets FUZZ_SEED
// and FUZZ_RUNS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** Each property's time limit (long runs raise it). */
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
const CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_PGSQL_NOT_SSL_REQUEST',
  'ERR_TUNNEL_PGSQL_UNEXPECTED_DATA',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);
const VALID: readonly Buffer[] = (() => {
  const body = Buffer.from('user\0postgres\0database\0postgres\0\0');
  const startup = Buffer.alloc(8);
  startup.writeUInt32BE(body.length + 8, 0);
  startup.writeUInt32BE(0x00030000, 4);
  const cancel = Buffer.from([0, 0, 0, 16, 0x04, 0xd2, 0x16, 0x2e, 0, 0, 0, 1, 0, 0, 0, 2]);
  return [
    SSL_REQUEST,
    GSSENC_REQUEST,
    Buffer.concat([GSSENC_REQUEST, SSL_REQUEST]),
    Buffer.concat([startup, body]),
    cancel,
    buildFatalError('28000', 'x'),
  ];
})();
const cuts = fc.array(fc.nat({ max: 1024 }), { maxLength: 16 });
const negotiate = (stream: Duplex, signal: AbortSignal): Promise<unknown> => acceptTlsRequest(stream, { signal });

test(
  'arbitrary bytes from the peer: the negotiation settles with success or a coded ProtocolError, never hangs',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), cuts, fc.boolean(), (bytes, cutPoints, closes) =>
        hostilePeer(figures, negotiate, CODES, Buffer.from(bytes), cutPoints, closes),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, LIMIT_MS),
);

test(
  'mutated valid messages from the peer: the negotiation settles with success or a coded ProtocolError, never hangs',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(mutated(VALID), cuts, fc.boolean(), (wire, cutPoints, closes) =>
        hostilePeer(figures, negotiate, CODES, wire, cutPoints, closes),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, LIMIT_MS),
);

test(
  'an SSLRequest (after an optional GSSENCRequest) in any chunking is answered S and accepted',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), cuts, async (gssFirst, cutPoints) => {
        figures.inputs += 1;
        const [peer, local] = socketPair();
        const running = acceptTlsRequest(local);
        const wire = gssFirst ? Buffer.concat([GSSENC_REQUEST, SSL_REQUEST]) : SSL_REQUEST;
        // The client waits for N before it sends SSLRequest, so the GSSENCRequest goes alone first.
        const pieces = gssFirst ? [...chunk(GSSENC_REQUEST, cutPoints), ...chunk(SSL_REQUEST, cutPoints)] : chunk(wire, cutPoints);
        for (const piece of pieces) {
          peer.write(piece);
          await new Promise((resolve) => setImmediate(resolve));
        }
        const result = await withTimeout(running, 2000, 'the negotiation');
        assert.is(result.refusedGssenc, gssFirst);
        assert.equal(peer.read(), Buffer.from(gssFirst ? 'NS' : 'S'));
        figures.accepted += 1;
        peer.destroy();
        local.destroy();
      }),
      { seed: SEED, numRuns: Math.min(RUNS, 200) },
    );
  }, LIMIT_MS),
);

test(
  'client side: arbitrary and mutated answers from a hostile PostgreSQL server end in success or a coded ProtocolError, never a hang',
  timed(async () => {
    const clientCodes: ReadonlySet<string> = new Set([
      'ERR_TUNNEL_PGSQL_NO_SSL',
      'ERR_TUNNEL_PGSQL_BAD_RESPONSE',
      'ERR_TUNNEL_PGSQL_UNEXPECTED_DATA',
      'ERR_TUNNEL_PEER_CLOSED',
      'ERR_TUNNEL_ABORTED',
    ]);
    const answers: readonly Buffer[] = [Buffer.from('S'), Buffer.from('N'), Buffer.from('E'), buildFatalError('28000', 'no')];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
          mutated(answers),
        ),
        cuts,
        fc.boolean(),
        (wire, cutPoints, closes) =>
          hostilePeer(figures, (stream, signal) => requestTls(stream, { signal }), clientCodes, wire, cutPoints, closes),
      ),
      { seed: SEED, numRuns: RUNS },
    );
  }, LIMIT_MS),
);

test.after(() => {
  console.log(
    `fuzz pgsql negotiators (server and client side): seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes`,
  );
});

test.run();
