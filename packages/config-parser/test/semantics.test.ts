import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codes, parseFail, parseOk } from './helpers.js';

const server = (extra = ''): string => `[s]\naccept = 443\nconnect = 80\ncert = c.pem\n${extra}`;

/** [behaviour, config, expected issue codes ([] = accepted)] — each row checked against stunnel 5.68 by hand. */
const rows: Array<[string, string, string[]]> = [
  ['a server with accept, connect and cert is accepted', server(), []],
  ['a server without cert is refused', '[s]\naccept = 443\nconnect = 80\n', ['ERR_TUNNEL_CONFIG_NO_CERT']],
  ['a server with PSKsecrets needs no cert', '[s]\naccept = 443\nconnect = 80\nPSKsecrets = psk.txt\n', []],
  ['a client needs no cert', '[s]\nclient = yes\naccept = 443\nconnect = 80\n', []],
  ['client may be set after the other options', '[s]\naccept = 443\nconnect = 80\nclient = yes\n', []],
  ['accept, connect and exec together are refused', server('exec = /bin/cat\n'), ['ERR_TUNNEL_CONFIG_ENDPOINTS']],
  ['exec and connect without accept are accepted', '[s]\nexec = /bin/cat\nconnect = 80\ncert = c.pem\n', []],
  ['accept alone is refused', '[s]\naccept = 443\ncert = c.pem\n', ['ERR_TUNNEL_CONFIG_ENDPOINTS']],
  ['connect alone is refused', '[s]\nconnect = 80\ncert = c.pem\n', ['ERR_TUNNEL_CONFIG_ENDPOINTS']],
  ['transparent destination stands in for connect', '[s]\naccept = 443\ntransparent = destination\ncert = c.pem\n', []],
  ['a socks server picks its own upstream', '[s]\naccept = 443\nprotocol = socks\ncert = c.pem\n', []],
  ['a socks server with connect has three endpoints', server('protocol = socks\n'), ['ERR_TUNNEL_CONFIG_ENDPOINTS']],
  ['verify without a CA is refused', server('verify = 2\n'), ['ERR_TUNNEL_CONFIG_NO_CA']],
  ['verifyPeer without a CA is refused', server('verifyPeer = yes\n'), ['ERR_TUNNEL_CONFIG_NO_CA']],
  ['verify 0 needs no CA', server('verify = 0\n'), []],
  ['CAengine counts as a CA', server('verifyChain = yes\nCAengine = id\n'), []],
  ['checkHost without verification is refused', server('checkHost = example.com\n'), ['ERR_TUNNEL_CONFIG_NEEDS_VERIFY']],
  ['redirect without verification is refused', server('redirect = 8443\n'), ['ERR_TUNNEL_CONFIG_NEEDS_VERIFY']],
  ['checkIP with verify 1 is accepted', server('verify = 1\nCAfile = ca.pem\ncheckIP = 10.0.0.1\n'), []],
  ['ticketKeySecret alone is refused', server('ticketKeySecret = 00112233445566778899aabbccddeeff\n'), ['ERR_TUNNEL_CONFIG_TICKET_KEYS']],
  ['ticketMacSecret alone is refused', server('ticketMacSecret = 00112233445566778899aabbccddeeff\n'), ['ERR_TUNNEL_CONFIG_TICKET_KEYS']],
  ['inetd mode with connect is accepted', 'connect = 80\ncert = c.pem\n', []],
  ['inetd mode with exec is accepted', 'exec = /usr/sbin/imapd\nexecArgs = imapd\ncert = c.pem\n', []],
  ['inetd mode with exec and connect is refused', 'exec = /bin/cat\nconnect = 80\ncert = c.pem\n', ['ERR_TUNNEL_CONFIG_ENDPOINTS']],
  ['inetd mode without an endpoint is refused', 'cert = c.pem\n', ['ERR_TUNNEL_CONFIG_ENDPOINTS']],
  ['inetd mode with accept is refused', 'accept = 443\nconnect = 80\ncert = c.pem\n', ['ERR_TUNNEL_CONFIG_WRONG_SECTION']],
  ['inetd mode as a server needs a cert', 'connect = 80\n', ['ERR_TUNNEL_CONFIG_NO_CERT']],
  [
    'a refused line does not also raise the checks it would confuse',
    '[s]\naccept = [::1]:443\nconnect = 80\n',
    ['ERR_TUNNEL_CONFIG_INVALID_VALUE'],
  ],
];

for (const [behaviour, text, expected] of rows) {
  test(
    behaviour,
    timed(() => {
      if (expected.length === 0) parseOk(text);
      else assert.equal(codes(parseFail(text)), expected);
    }, 2000),
  );
}

test(
  'service-level options in the global section are defaults for every service',
  timed(() => {
    const config = parseOk(
      'cert = c.pem\nconnect = 80\nTIMEOUTidle = 60\n[a]\naccept = 1\n[b]\naccept = 2\nconnect = 81\nTIMEOUTidle = 5\n',
    );
    const [a, b] = config.services;
    assert.is(a?.cert, 'c.pem');
    assert.is(a?.TIMEOUTidle, 60);
    assert.is(b?.TIMEOUTidle, 5);
    assert.is(a?.locations.TIMEOUTidle?.line, 3);
    assert.is(b?.locations.TIMEOUTidle?.line, 9);
    assert.is(a?.connect.length, 1);
    // Repeatable options add to the global defaults.
    assert.equal(
      b?.connect.map((address) => (address.kind === 'tcp' ? address.port : 0)),
      [80, 81],
    );
    assert.is(config.inetd, false);
  }, 2000),
);

test(
  'global socket and debug settings reach the services; setuid stays global',
  timed(() => {
    const config = parseOk(
      `debug = local1.info\nsocket = a:SO_REUSEADDR=no\nsetuid = stunnel4\n${server('socket = r:TCP_NODELAY=yes\ndebug = 3\n')}`,
    );
    assert.equal(config.globals.debug, { facility: 'local1', level: 6 });
    assert.is(config.globals.setuid, 'stunnel4');
    assert.equal(config.globals.locations.setuid, { file: 'test.conf', line: 3 });
    const service = config.services[0];
    assert.equal(
      service?.socket.map((entry) => entry.option),
      ['SO_REUSEADDR', 'TCP_NODELAY'],
    );
    assert.equal(service?.debug, { facility: 'local1', level: 3 });
    assert.is(service?.setuid, undefined);
  }, 2000),
);

test(
  'inetd mode builds one service named inetd from the global section',
  timed(() => {
    const config = parseOk('foreground = yes\nexec = /usr/sbin/imapd\nexecArgs = imapd -x\ncert = c.pem\n');
    assert.is(config.inetd, true);
    assert.is(config.services.length, 1);
    assert.is(config.services[0]?.name, 'inetd');
    assert.equal(config.services[0]?.execArgs, ['imapd', '-x']);
    assert.is(config.services[0]?.locations.exec?.line, 2);
    assert.equal(config.services[0]?.accept, []);
  }, 2000),
);

test(
  'sni in a server section names an earlier primary service and collects its patterns',
  timed(() => {
    const config = parseOk(`${server()}[v]\nsni = s:*.example.com\nsni = s:www.example.org\nconnect = 81\ncert = v.pem\n`);
    assert.equal(config.services[1]?.sni, {
      kind: 'slave',
      parent: 's',
      pattern: '*.example.com',
      patterns: ['*.example.com', 'www.example.org'],
    });
  }, 2000),
);

test(
  'sni in a client section is the server name to send, decided by client set later',
  timed(() => {
    const config = parseOk('[c]\nsni = mail.example.com\naccept = 1\nconnect = 2\nclient = yes\n');
    assert.equal(config.services[0]?.sni, { kind: 'client', name: 'mail.example.com' });
    const empty = parseOk('[c]\nclient = yes\nsni =\naccept = 1\nconnect = 2\n');
    assert.equal(empty.services[0]?.sni, { kind: 'client', name: '' });
    const colon = parseOk('[c]\nclient = yes\nsni = a:b\naccept = 1\nconnect = 2\n');
    assert.equal(colon.services[0]?.sni, { kind: 'client', name: 'a:b' });
  }, 2000),
);

const sniRows: Array<[string, string]> = [
  ['a server sni without a colon is refused', server('sni = example.com\n')],
  ['an empty server sni is refused', server('sni =\n')],
  ['an sni primary that does not exist is refused', `${server()}[v]\nsni = nosuch:x\nconnect = 81\ncert = v.pem\n`],
  ['an sni primary defined later is refused', `[v]\nsni = s:x\nconnect = 81\ncert = v.pem\n${server()}`],
  ['sni primary names are case-sensitive', `${server()}[v]\nsni = S:x\nconnect = 81\ncert = v.pem\n`],
  ['an sni primary in client mode is refused', `[s]\nclient = yes\naccept = 1\nconnect = 2\n[v]\nsni = s:x\nconnect = 81\ncert = v.pem\n`],
  [
    'sni lines naming two primaries are refused',
    `${server()}[t]\naccept = 2\nconnect = 3\ncert = c.pem\n[v]\nsni = s:x\nsni = t:y\nconnect = 81\ncert = v.pem\n`,
  ],
];
for (const [behaviour, text] of sniRows) {
  test(
    behaviour,
    timed(() => {
      const error = parseFail(text);
      assert.ok(codes(error).includes('ERR_TUNNEL_CONFIG_SNI'), codes(error).join());
      assert.is(error.issues.find((issue) => issue.code === 'ERR_TUNNEL_CONFIG_SNI')?.option, 'sni');
    }, 2000),
  );
}

test(
  'an sni secondary with its own accept has three endpoints',
  timed(() => {
    const error = parseFail(`${server()}[v]\nsni = s:x\naccept = 8443\nconnect = 81\ncert = v.pem\n`);
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_ENDPOINTS']);
    assert.is(error.issues[0]?.line, 5);
  }, 2000),
);

test.run();
