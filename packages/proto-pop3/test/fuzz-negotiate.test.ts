import { byteAtATime, everySplit, fuzzRun, goodPeer, joinedLines, PIECE, startTlsFuzz } from '@tunnel/protocol-testkit/fuzz-negotiator';
import { timed } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTlsClient, startTlsServer } from '../src/index.js';

// Property-based fuzzing of both POP3 negotiators: the server side against a hostile client and against a hostile
// upstream greeting, the client side against a hostile server. The seed is fixed so CI always feeds the same inputs; scripts/fuzz-long.sh sets FUZZ_SEED, FUZZ_RUNS and FUZZ_TIME_MS for long random runs.
/** The negotiators' default line bound (client.ts, server.ts). */
const MAX_LINE = 1024;
const run = fuzzRun({ runs: 250, bound: MAX_LINE + PIECE });

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
const lines = joinedLines(popLine);

/** A well-behaved POP3 server: it greets and then hears nothing (stunnel answers CAPA and STLS itself). */
const goodUpstream = () => goodPeer(GREETING);

/** The POP3 pair facing a hostile client, a hostile upstream POP3 server, and (client side) a hostile POP3 server. */
const fuzz = startTlsFuzz(
  run,
  { startTlsServer, startTlsClient },
  {
    upstream: goodUpstream,
    client: () => goodPeer(CLIENT_DIALOGUE),
    lines,
    validClient: VALID_CLIENT,
    validServer: VALID_SERVER,
    clientCodes: CLIENT_CODES,
    serverCodes: SERVER_CODES,
  },
);
const { serverFacingClient, serverFacingUpstream, clientFacingServer } = fuzz;

test(
  'server side, hostile client: arbitrary bytes, POP3-ish lines and mutated dialogues settle with success or a coded ProtocolError',
  timed(() => fuzz.hostileClient(), run.limitMs),
);

test(
  'server side, hostile upstream: arbitrary bytes, response-ish lines and mutated greetings settle with success or a coded ProtocolError',
  timed(() => fuzz.hostileUpstream(), run.limitMs),
);

test(
  'client side, hostile server: arbitrary bytes, response-ish lines and mutated dialogues settle with success or a coded ProtocolError',
  timed(() => fuzz.hostileServer(), run.limitMs),
);

test(
  'the bytes a negotiator holds never exceed one line bound plus one piece of input',
  timed(() => run.checkPeak()),
);

test(
  'floods end with a code and bounded memory: 8 MiB without a line feed from the client, the upstream and the server',
  timed(async () => {
    await run.expectFlood(serverFacingClient(true), (size) => Buffer.alloc(size, 0x41), 'ERR_TUNNEL_LINE_TOO_LONG');
    await run.expectFlood(serverFacingUpstream, (size) => Buffer.alloc(size, 0x2b), 'ERR_TUNNEL_LINE_TOO_LONG');
    await run.expectFlood(clientFacingServer(true), (size) => Buffer.alloc(size, 0x2b), 'ERR_TUNNEL_LINE_TOO_LONG');
  }),
);

test(
  'a good client split at every byte boundary, and byte at a time, is served to +OK for STLS (the harness still works after the fuzzing)',
  timed(async () => {
    const wire = Buffer.from(CLIENT_DIALOGUE);
    for (const pieces of [...everySplit(wire), byteAtATime(wire)]) {
      await run.goodRun(
        pieces,
        (local) => {
          const upstream = goodUpstream();
          return startTlsServer({ client: local, server: upstream.side }).finally(() => upstream.close());
        },
        (_, received) =>
          assert.is(
            received,
            '+OK Dovecot (Debian) ready. + stunnel\r\n+OK Stunnel capability list follows\r\nSTLS\r\n.\r\n+OK Stunnel starts TLS negotiation\r\n',
          ),
      );
    }
  }),
);

test(
  'a good server split at every byte boundary is negotiated by the client side',
  timed(async () => {
    for (const pieces of everySplit(Buffer.from(SERVER_DIALOGUE))) {
      await run.goodRun(pieces, startTlsClient, (result) => assert.is(result.greeting, GREETING.trimEnd()));
    }
  }),
);

test.after(() => {
  console.log(run.summary('fuzz pop3 negotiators (server side vs client and upstream, client side)'));
});

test.run();
