import type { Duplex } from 'node:stream';
import { ProtocolError } from '@tunnel/protocol';
import { timed } from '@tunnel/testkit';
import fc from 'fast-check';
import { hostilePeer, mutated } from '@tunnel/protocol-testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MAX_REPLY_LENGTH, parseReply, startTlsClient } from '../src/index.js';

// Property-based fuzzing of the nntp client reply parsing against a hostile peer. The seed is fixed so CI always feeds the
// same inputs; scripts/fuzz-long.sh sets FUZZ_SEED and FUZZ_RUNS for long random runs.
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_125);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** Each property's time limit (long runs raise it). */
const LIMIT_MS = Number(process.env.FUZZ_TIME_MS ?? 30_000);
const figures = { inputs: 0, accepted: 0, refused: 0, crashes: 0 };
const CODES: ReadonlySet<string> = new Set([
  'ERR_TUNNEL_NNTP_BAD_REPLY',
  'ERR_TUNNEL_NNTP_BAD_GREETING',
  'ERR_TUNNEL_NNTP_NO_STARTTLS',
  'ERR_TUNNEL_NNTP_PLAINTEXT_AFTER_STARTTLS',
  'ERR_TUNNEL_LINE_TOO_LONG',
  'ERR_TUNNEL_PEER_CLOSED',
  'ERR_TUNNEL_ABORTED',
]);
const VALID: readonly Buffer[] = [
  Buffer.from('200 news.example ready\r\n382 Continue with TLS negotiation\r\n'),
  Buffer.from('201 no posting\r\n382 go\r\n'),
  Buffer.from('200 x\n580 Can not initiate TLS negotiation\r\n'),
  Buffer.from('400 service temporarily unavailable\r\n'),
  Buffer.from(`200 ${'x'.repeat(MAX_REPLY_LENGTH - 6)}\r\n382 go\r\n`),
];
const cuts = fc.array(fc.nat({ max: 1024 }), { maxLength: 16 });
const negotiate = (stream: Duplex, signal: AbortSignal): Promise<unknown> => startTlsClient(stream, { signal });

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
  'parseReply on any string returns a 100-599 code or throws ERR_TUNNEL_NNTP_BAD_REPLY with a printable reply',
  timed(async () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.stringMatching(/^[0-9]{3}[ -~\t\r]{0,20}$/)), (line) => {
        figures.inputs += 1;
        try {
          const reply = parseReply(line);
          assert.ok(reply.code >= 100 && reply.code <= 599);
          assert.is(`${reply.code}${reply.text === '' ? '' : ` ${reply.text}`}`, line.length === 4 ? line.slice(0, 3) : line);
          figures.accepted += 1;
        } catch (error) {
          if (!(error instanceof ProtocolError) || error.code !== 'ERR_TUNNEL_NNTP_BAD_REPLY') {
            figures.crashes += 1;
            throw error;
          }
          // The reply kept for logs is escaped: no control character can forge a log line.
          const reply = (error as ProtocolError & { reply: string }).reply;
          assert.ok(![...reply].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f), reply);
          figures.refused += 1;
        }
      }),
      { seed: SEED, numRuns: RUNS * 4 },
    );
  }, LIMIT_MS),
);

test.after(() => {
  console.log(
    `fuzz nntp client reply parsing: seed ${SEED}, ${figures.inputs} inputs tried, ${figures.accepted} accepted, ${figures.refused} refused with a code, ${figures.crashes} crashes`,
  );
});

test.run();
