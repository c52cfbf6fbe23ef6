import { PROTOCOL_CONTRACT_VERSION, type ProtocolOptions } from '@tunnel/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol } from '../src/index.js';

test('the plugin is named nntp, speaks contract 1 and supports client mode only', () => {
  assert.is(protocol.name, 'nntp');
  assert.is(protocol.contract, PROTOCOL_CONTRACT_VERSION);
  assert.equal([...protocol.modes], ['client']);
  assert.is(protocol.preConnect, undefined);
  assert.is(protocol.postTls, undefined);
});

test('validate accepts a client-mode service without protocol options', () => {
  protocol.validate!({ headers: [], extra: {} }, 'client');
});

test('validate refuses server mode', () => {
  try {
    protocol.validate!({}, 'server');
    assert.unreachable();
  } catch (error) {
    assert.is((error as { code: string }).code, 'ERR_TUNNEL_NNTP_OPTION');
    assert.match((error as Error).message, /client = yes/);
  }
});

const refused: [string, ProtocolOptions][] = [
  ['protocolHost', { host: 'news.example' }],
  ['protocolUsername', { username: 'u' }],
  ['protocolPassword', { password: 'p' }],
  ['protocolAuthentication', { authentication: 'basic' }],
  ['protocolDomain', { domain: 'D' }],
  ['protocolHeader', { headers: ['X: y'] }],
  ['protocol* extension options', { extra: { foo: 'bar' } }],
];
for (const [option, options] of refused) {
  test(`validate refuses ${option} naming the option`, () => {
    try {
      protocol.validate!(options, 'client');
      assert.unreachable();
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_NNTP_OPTION');
      assert.ok((error as Error).message.includes(option));
    }
  });
}

test.run();
