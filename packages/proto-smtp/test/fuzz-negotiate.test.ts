import type { Duplex } from 'node:stream';
import { mutated } from '@tunnel/protocol-testkit';
import {
  arbitraryBytes,
  byteAtATime,
  everySplit,
  fuzzRun,
  goodPeer,
  joinedLines,
  PIECE,
  startTlsFuzz,
} from '@tunnel/protocol-testkit/fuzz-negotiator';
import { timed } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { authenticate, startTlsClient, startTlsServer } from '../src/index.js';

// Property-based fuzzing of both SMTP negotiators: the server side against a hostile client and against a hostile
// upstream greeting, the client side against a hostile server. The seed is fixed so CI always feeds the same inputs;
// scripts/fuzz-long.sh sets FUZZ_SEED, FUZZ_RUNS and FUZZ_TIME_MS for long random runs.
/** The negotiators' default line bound (read-reply.ts, server.ts). */
const MAX_LINE = 1024;
const run = fuzzRun({ runs: 250, bound: MAX_LINE + PIECE });
const { metered } = run;

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
const lines = joinedLines(smtpLine);

/** The SMTP pair facing a hostile client, a hostile upstream SMTP server, and (client side) a hostile SMTP server. */
const fuzz = startTlsFuzz(
  run,
  { startTlsServer, startTlsClient },
  {
    upstream: () => goodPeer(GREETING),
    client: () => goodPeer(CLIENT_DIALOGUE),
    lines,
    validClient: VALID_CLIENT,
    validServer: VALID_SERVER,
    clientCodes: CLIENT_CODES,
    serverCodes: SERVER_CODES,
  },
);
const { serverFacingClient, serverFacingUpstream } = fuzz;

/** Client-side AUTH (inside TLS) with the hostile peer as the SMTP server. */
const authenticateTo =
  (mechanism: 'plain' | 'login') =>
  (stream: Duplex, signal: AbortSignal): Promise<unknown> =>
    authenticate(metered(stream, signal), { mechanism, username: 'user@example.org', password: 'secret', signal });

test(
  'server side, hostile client: arbitrary bytes, SMTP-ish lines and mutated dialogues settle with success or a coded ProtocolError',
  timed(() => fuzz.hostileClient(), run.limitMs),
);

test(
  'server side, hostile upstream greeting: arbitrary bytes, reply-ish lines and mutated greetings settle with success or a coded ProtocolError',
  timed(() => fuzz.hostileUpstream(), run.limitMs),
);

test(
  'client side, hostile server: arbitrary bytes, reply-ish lines and mutated dialogues settle with success or a coded ProtocolError',
  timed(() => fuzz.hostileServer(), run.limitMs),
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
    await run.property(fc.oneof(arbitraryBytes, lines, mutated(replies)), fc.constantFrom('plain', 'login'), authenticateTo, codes);
  }, run.limitMs),
);

test(
  'the bytes a negotiator holds never exceed one line bound plus one piece of input',
  timed(() => run.checkPeak()),
);

test(
  'a hostile client sending 8 MiB without a line feed is refused with ERR_TUNNEL_LINE_TOO_LONG, holding at most one bound plus one piece',
  timed(async () => {
    await run.expectFlood(serverFacingClient(true), (size) => Buffer.alloc(size, 0x41), 'ERR_TUNNEL_LINE_TOO_LONG');
  }),
);

test(
  'a hostile upstream sending an endless multi-line greeting is refused with ERR_TUNNEL_SMTP_TOO_MANY_LINES, memory bounded',
  timed(async () => {
    const line = Buffer.from('220-mx.example.org is very chatty today\r\n');
    const make = (size: number) => Buffer.concat(Array.from({ length: Math.floor(size / line.length) }, () => line));
    await run.expectFlood(serverFacingUpstream, make, 'ERR_TUNNEL_SMTP_TOO_MANY_LINES');
  }),
);

test(
  'a good client split at every byte boundary, and byte at a time, is served to 220 Go ahead (and the harness still works after the fuzzing)',
  timed(async () => {
    const wire = Buffer.from(CLIENT_DIALOGUE);
    for (const pieces of [...everySplit(wire), byteAtATime(wire)]) {
      await run.goodRun(
        pieces,
        (local) => {
          const upstream = goodPeer(GREETING);
          return startTlsServer({ client: local, server: upstream.side }).finally(() => upstream.close());
        },
        (_, received) => {
          assert.ok(received.startsWith('220 mx.example.org stunnel for ESMTP Postfix (Debian/GNU)\r\n'), received);
          assert.ok(received.endsWith('250 STARTTLS\r\n220 Go ahead\r\n'), received);
        },
      );
    }
  }),
);

test(
  'a good server split at every byte boundary is negotiated by the client side',
  timed(async () => {
    for (const pieces of everySplit(Buffer.from(SERVER_DIALOGUE))) {
      await run.goodRun(pieces, startTlsClient, (result) => assert.is(result.startTlsAdvertised, true));
    }
  }),
);

test.after(() => {
  console.log(run.summary('fuzz smtp negotiators (server side vs client and upstream, client side, AUTH)'));
});

test.run();
