import { type ProtocolContext, StreamChannel } from '@tunnel/protocol';
import { socketPair, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connectSettings, parseProtocolHost, protocol } from '../src/index.js';

test('the plugin value is connect, client mode only, contract 1, with a preTls hook', () => {
  assert.is(protocol.name, 'connect');
  assert.is(protocol.contract, 1);
  assert.equal(protocol.modes, ['client']);
  assert.type(protocol.preTls, 'function');
});

test('protocolHost parses host:port and [IPv6]:port', () => {
  assert.equal(parseProtocolHost('example.org:443'), { host: 'example.org', port: 443 });
  assert.equal(parseProtocolHost('[2001:db8::1]:8443'), { host: '2001:db8::1', port: 8443 });
  for (const bad of ['example.org', 'a:0', 'a:70000', '2001:db8::1:443', 'a b:1']) {
    assert.throws(
      () => parseProtocolHost(bad),
      (error: { code: string }) => error.code === 'ERR_TUNNEL_CONNECT_BAD_OPTION',
      bad,
    );
  }
});

test('validate refuses a missing protocolHost and bad authentication settings, naming the option', () => {
  const cases: [object, RegExp][] = [
    [{}, /protocolHost/],
    [{ host: 'a:1', authentication: 'digest', username: 'u', password: 'p' }, /protocolAuthentication/],
    [{ host: 'a:1', authentication: 'ntlm' }, /protocolUsername/],
    [{ host: 'a:1', username: 'u' }, /protocolPassword/],
    [{ host: 'a:1', authentication: 'basic', username: 'u:x', password: 'p' }, /protocolUsername/],
    [{ host: 'a:1', headers: ['no colon here'] }, /protocolHeader/],
    [{ host: 'a:1', headers: ['X: 1\r\nY: 2'] }, /protocolHeader/],
  ];
  for (const [options, message] of cases) {
    try {
      protocol.validate?.(options, 'client');
      assert.unreachable(JSON.stringify(options));
    } catch (error) {
      assert.is((error as { code: string }).code, 'ERR_TUNNEL_CONNECT_BAD_OPTION');
      assert.match((error as Error).message, message);
    }
  }
  assert.equal(connectSettings({ host: 'a:1', username: 'u', password: 'p' }).auth, { type: 'basic', username: 'u', password: 'p' });
  assert.equal(connectSettings({ host: 'a:1', authentication: 'NTLM', username: 'u', password: 'p', domain: 'D' }).auth, {
    type: 'ntlm',
    username: 'u',
    password: 'p',
    domain: 'D',
  });
});

test(
  'preTls runs CONNECT for protocolHost on context.remote with protocolHeader lines',
  timed(async () => {
    const [ours, proxy] = socketPair();
    let request = '';
    proxy.on('data', (chunk: Buffer) => {
      request += chunk.toString();
      if (request.endsWith('\r\n\r\n')) proxy.write('HTTP/1.1 200 OK\r\n\r\n');
    });
    const logs: string[] = [];
    const log = (line: string) => void logs.push(line);
    const remote = new StreamChannel(ours);
    const context = {
      mode: 'client',
      options: { host: 'target.example:993', headers: ['User-Agent: tunnel'] },
      remote,
      log: { error: log, warning: log, notice: log, info: log, debug: log },
      connectRemote: async () => remote,
    } as unknown as ProtocolContext;
    await protocol.preTls?.(context);
    assert.is(request, 'CONNECT target.example:993 HTTP/1.1\r\nHost: target.example:993\r\nUser-Agent: tunnel\r\n\r\n');
    assert.match(logs.join('\n'), /200/);
  }),
);

test.run();
