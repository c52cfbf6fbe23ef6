import { PROTOCOL_CONTRACT_VERSION, type ProtocolOptions } from '@tunnel/protocol';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { protocol } from '../src/index.js';

test('the plugin is named cifs, speaks contract 1 and supports both modes', () => {
  assert.is(protocol.name, 'cifs');
  assert.is(protocol.contract, PROTOCOL_CONTRACT_VERSION);
  assert.equal([...protocol.modes], ['client', 'server']);
  assert.type(protocol.description, 'string');
});

test('validate accepts a service without protocol options in both modes', () => {
  protocol.validate!({}, 'client');
  protocol.validate!({ headers: [], extra: {} }, 'server');
});

const refused: [string, ProtocolOptions][] = [
  ['protocolHost', { host: 'db.example' }],
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
      assert.unreachable('should refuse');
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_CIFS_OPTION');
      assert.ok((error as Error).message.includes(option));
    }
  });
}

test.run();
