import { connectTcp, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTlsClient } from '../src/index.js';
import { type Step, scriptedServer } from './net-faults.js';

const GREETING = '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n';
const cases: [string, Step[], string][] = [
  ['a garbage greeting', [{ send: '+OK pop3 ready\r\n' }], 'ERR_TUNNEL_IMAP_REJECTED'],
  ['an over-long greeting line', [{ send: `* OK ${'x'.repeat(70_000)}` }], 'ERR_TUNNEL_LINE_TOO_LONG'],
  [
    'too many untagged lines',
    [{ send: GREETING }, { expect: 'STARTTLS', send: '* NO x\r\n'.repeat(200) }],
    'ERR_TUNNEL_IMAP_TOO_MANY_LINES',
  ],
  ['an early close after the greeting', [{ send: GREETING }, { expect: 'STARTTLS', close: true }], 'ERR_TUNNEL_PEER_CLOSED'],
  [
    'STARTTLS refused',
    [{ send: GREETING }, { expect: 'STARTTLS', send: 'stunnel BAD Unknown command\r\n' }],
    'ERR_TUNNEL_IMAP_NO_STARTTLS',
  ],
  [
    'plaintext injected after the tagged OK',
    [{ send: GREETING }, { expect: 'STARTTLS', send: 'stunnel OK go\r\n* injected\r\n' }],
    'ERR_TUNNEL_IMAP_PLAINTEXT_INJECTION',
  ],
];
for (const [what, steps, code] of cases) {
  test(
    `startTlsClient over TCP fails with ${code} on ${what}`,
    timed(async () => {
      const server = await scriptedServer(steps);
      const socket = await connectTcp(server.port);
      socket.on('error', () => {});
      try {
        await startTlsClient(socket);
        assert.unreachable('should fail');
      } catch (error) {
        assert.is((error as { code?: string }).code, code);
      } finally {
        socket.destroy();
        await server.close();
      }
    }),
  );
}

test.run();
