import { connectTcp, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTlsClient } from '../src/index.js';
import { type Step, scriptedServer } from './net-faults.js';

const cases: [string, Step[], string][] = [
  ['a garbage greeting', [{ send: '220 smtp.example ESMTP\r\n' }], 'ERR_TUNNEL_POP3_REJECTED'],
  ['an over-long greeting line', [{ send: `+OK ${'x'.repeat(70_000)}` }], 'ERR_TUNNEL_LINE_TOO_LONG'],
  ['an early close after the greeting', [{ send: '+OK hi\r\n' }, { expect: 'STLS', close: true }], 'ERR_TUNNEL_PEER_CLOSED'],
  ['STLS refused', [{ send: '+OK hi\r\n' }, { expect: 'STLS', send: '-ERR Command not permitted\r\n' }], 'ERR_TUNNEL_POP3_NO_STLS'],
  [
    'plaintext injected after +OK to STLS',
    [{ send: '+OK hi\r\n' }, { expect: 'STLS', send: '+OK go\r\n+OK injected\r\n' }],
    'ERR_TUNNEL_POP3_PLAINTEXT_INJECTION',
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
