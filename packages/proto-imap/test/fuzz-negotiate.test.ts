import type { Duplex } from 'node:stream';
import { byteAtATime, everySplit, fuzzRun, goodPeer, joinedLines, PIECE, startTlsFuzz } from '@tunnel/protocol-testkit/fuzz-negotiator';
import { socketPair, timed } from '@tunnel/testkit';
import fc from 'fast-check';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTlsClient, startTlsServer } from '../src/index.js';

// Property-based fuzzing of both IMAP negotiators: the server side against a hostile client and against a hostile
// upstream (greeting and CAPABILITY answer), the client side against a hostile server. The seed is fixed so CI always
// feeds the same inputs; scripts/fuzz-long.sh sets FUZZ_SEED, FUZZ_RUNS and FUZZ_TIME_MS for long random runs.
/** The negotiators' default line bound (client.ts, server.ts: IMAP capability lists are long). */
const MAX_LINE = 4096;
const run = fuzzRun({ runs: 250, bound: MAX_LINE + PIECE });

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
const lines = joinedLines(imapLine);

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

/** The IMAP pair facing a hostile client, a hostile upstream IMAP server, and (client side) a hostile IMAP server. */
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
  'server side, hostile client: arbitrary bytes, IMAP-ish lines and mutated dialogues settle with success or a coded ProtocolError',
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

const repeated = (line: string) => (size: number) => Buffer.from(line.repeat(Math.floor(size / line.length)));

test(
  'floods end with a code and bounded memory: 8 MiB without a line feed, endless commands, endless untagged lines',
  timed(async () => {
    await run.expectFlood(serverFacingClient(true), (size) => Buffer.alloc(size, 0x41), 'ERR_TUNNEL_LINE_TOO_LONG');
    await run.expectFlood(serverFacingClient(true), repeated('a CAPABILITY\r\n'), 'ERR_TUNNEL_IMAP_TOO_MANY_COMMANDS');
    await run.expectFlood(serverFacingUpstream, (size) => Buffer.alloc(size, 0x2a), 'ERR_TUNNEL_LINE_TOO_LONG');
    await run.expectFlood(clientFacingServer(true), repeated('* OK still here\r\n'), 'ERR_TUNNEL_IMAP_TOO_MANY_LINES');
  }),
);

test(
  'a good client split at every byte boundary, and byte at a time, is served to the tagged OK (the harness still works after the fuzzing)',
  timed(async () => {
    const wire = Buffer.from(CLIENT_DIALOGUE);
    for (const pieces of [...everySplit(wire), byteAtATime(wire)]) {
      await run.goodRun(
        pieces,
        (local) => {
          const upstream = goodUpstream();
          return startTlsServer({ client: local, server: upstream.side }).finally(() => upstream.close());
        },
        (_, received) => {
          assert.ok(received.startsWith('* OK [KAPABILITY IMAP4rev1'), received);
          assert.ok(received.includes('* CAPABILITY IMAP4rev1 IDLE LOGINDISABLED STARTTLS\r\na1 OK'), received);
          assert.ok(received.endsWith('a2 OK Begin TLS negotiation now\r\n'), received);
        },
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
  console.log(run.summary('fuzz imap negotiators (server side vs client and upstream, client side)'));
});

test.run();
