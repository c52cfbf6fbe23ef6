import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../src/index.js';

test('a protocolX line that is not a stunnel option is kept as a plugin extension setting, with its line', () => {
  const config = parseConfig('[s]\naccept = 1\ncert = c.pem\nprotocol = socks\nprotocolAllowLoopback = yes\n', { file: 'x.conf' });
  const service = config.services[0];
  assert.equal(service?.protocolExtra, { allowloopback: 'yes' });
  assert.equal(service?.locations.protocolAllowLoopback, { file: 'x.conf', line: 5 });
  assert.is(service?.locations.protocolExtra, undefined);
});

test('extension settings in the global section are defaults for every service', () => {
  const config = parseConfig('protocolVersion = 2\n[a]\naccept = 1\nconnect = 2\ncert = c.pem\n', { file: 'x.conf' });
  assert.equal(config.services[0]?.protocolExtra, { version: '2' });
});

test('other unknown options are still refused', () => {
  assert.throws(
    () => parseConfig('[a]\naccept = 1\nconnect = 2\ncert = c.pem\nprotocolX-y = 1\nbogus = 1\n', { file: 'x.conf' }),
    /bogus: unknown option/,
  );
});

test.run();
