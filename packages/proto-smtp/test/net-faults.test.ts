import { connectTcp, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTlsClient } from '../src/index.js';
import { type Step, scriptedServer } from './net-faults.js';

const EHLO = '250-mx\r\n250 STARTTLS\r\n';
const cases: [string, Step[], string][] = [
  ['a garbage greeting', [{ send: 'SSH-2.0-OpenSSH_9.2\r\n' }], 'ERR_TUNNEL_SMTP_BAD_REPLY'],
  ['an over-long greeting line', [{ send: `220 ${'x'.repeat(70_000)}` }], 'ERR_TUNNEL_LINE_TOO_LONG'],
  ['too many continuation lines', [{ send: '220-x\r\n'.repeat(200) }], 'ERR_TUNNEL_SMTP_TOO_MANY_LINES'],
  ['an early close after the greeting', [{ send: '220 mx\r\n' }, { expect: 'EHLO', close: true }], 'ERR_TUNNEL_PEER_CLOSED'],
  [
    'STARTTLS refused with 454',
    [{ send: '220 mx\r\n' }, { expect: 'EHLO', send: EHLO }, { expect: 'STARTTLS', send: '454 4.7.0 TLS not available\r\n' }],
    'ERR_TUNNEL_SMTP_NO_STARTTLS',
  ],
  ['an error reply to EHLO', [{ send: '220 mx\r\n' }, { expect: 'EHLO', send: '421 4.3.2 shutting down\r\n' }], 'ERR_TUNNEL_SMTP_REJECTED'],
  [
    'plaintext injected after the 220 to STARTTLS',
    [{ send: '220 mx\r\n' }, { expect: 'EHLO', send: EHLO }, { expect: 'STARTTLS', send: '220 go\r\n250 injected\r\n' }],
    'ERR_TUNNEL_SMTP_PLAINTEXT_INJECTION',
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
