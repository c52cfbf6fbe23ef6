import type { Duplex } from 'node:stream';
import { socketPair, timed, withTimeout } from '@tunnel/testkit';
import fc from 'fast-check';
import { chunk, hostilePeer, mutated } from '@tunnel/protocol-testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { acceptTlsRequest, EMPTY_SESSION_REQUEST, requestTls, RESPONSE_REFUSED, RESPONSE_USE_SSL, SESSION_REQUEST } from '../src/index.js';

// Property-based fuzzing of the cifs server negotiator against a hostile client, and of the client side
// against a hostile server. The seed is fixed so CI always feeds the same inputs; scripts/fuzz-long.sh sets FUZZ_SEED
// and FUZZ_RUNS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** Each property's time limit (long runs raise it). */
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
const CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_CIFS_TOO_LONG',
  'ERR_TUNNEL_CIFS_NOT_SESSION_REQUEST',
  'ERR_TUNNEL_CIFS_UNEXPECTED_DATA',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);
const VALID: readonly Buffer[] = (() => {
  const names = Buffer.alloc(68, 0x41);
  const named = Buffer.concat([Buffer.from([SESSION_REQUEST, 0, 0, names.length]), names]);
  return [EMPTY_SESSION_REQUEST, named, Buffer.from([0x85, 0, 0, 0]), Buffer.from([SESSION_REQUEST, 0, 0, 125])];
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
  'a session request with any body of at most 124 bytes, in any chunking, is answered "use SSL"',
  timed(async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 124 }), cuts, async (body, cutPoints) => {
        figures.inputs += 1;
        const [peer, local] = socketPair();
        const running = acceptTlsRequest(local);
        for (const piece of chunk(Buffer.concat([Buffer.from([SESSION_REQUEST, 0, 0, body.length]), body]), cutPoints)) {
          peer.write(piece);
          await new Promise((resolve) => setImmediate(resolve));
        }
        await withTimeout(running, 2000, 'the negotiation');
        assert.equal(peer.read(), RESPONSE_USE_SSL);
        figures.accepted += 1;
        peer.destroy();
        local.destroy();
      }),
      { seed: SEED, numRuns: Math.min(RUNS, 200) },
    );
  }, LIMIT_MS),
);

test(
  'client side: arbitrary and mutated answers from a hostile CIFS server end in success or a coded ProtocolError, never a hang',
  timed(async () => {
    const clientCodes: ReadonlySet<string> = new Set([
      'ERR_TUNNEL_CIFS_NOT_NEGATIVE_RESPONSE',
      'ERR_TUNNEL_CIFS_BAD_LENGTH',
      'ERR_TUNNEL_CIFS_NO_SSL',
      'ERR_TUNNEL_CIFS_UNEXPECTED_DATA',
      'ERR_TUNNEL_PEER_CLOSED',
      'ERR_TUNNEL_ABORTED',
    ]);
    const answers: readonly Buffer[] = [RESPONSE_USE_SSL, RESPONSE_REFUSED, Buffer.from([0x82, 0, 0, 0])];
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
    `fuzz cifs negotiators (server and client side): seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes`,
  );
});

test.run();
