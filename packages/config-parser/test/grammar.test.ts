import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { codes, parseFail, parseOk } from './helpers.js';

const service = '[s]\naccept = 443\nconnect = 80\ncert = c.pem\n';

/** Grammar cases: the text and what the first service's cert/accept or the issue codes must be. */
const accepted: Array<[string, string]> = [
  ['an empty file section list with comments', `; comment\n# also a comment\n\n${service}`],
  ['indented comments', `   ; hi\n\t# hi\n${service}`],
  ['option names in any case', '[s]\nACCEPT = 443\nConnect = 80\nCERT = c.pem\n'],
  ['no spaces around =', '[s]\naccept=443\nconnect=80\ncert=c.pem\n'],
  ['tabs and spaces around names and values', '\t[s]\t\n  accept \t=\t 443  \nconnect   =   80\ncert = c.pem\n'],
  ['a missing final newline', '[s]\naccept = 443\nconnect = 80\ncert = c.pem'],
  ['vertical tab and form feed as whitespace', '[s]\n\vaccept = 443\f\nconnect = 80\ncert = c.pem\n'],
];

for (const [name, text] of accepted) {
  const variants: Array<[string, string]> = [
    ['LF', text],
    ['CRLF', text.replaceAll('\n', '\r\n')],
    ['BOM + LF', `\uFEFF${text}`],
    ['BOM + CRLF', `\uFEFF${text.replaceAll('\n', '\r\n')}`],
  ];
  for (const [variant, body] of variants) {
    test(
      `${name} is read the same with ${variant} line endings`,
      timed(() => {
        const config = parseOk(body);
        assert.is(config.services.length, 1);
        assert.is(config.services[0]?.name, 's');
        assert.is(config.services[0]?.cert, 'c.pem');
        assert.equal(config.services[0]?.accept, [{ kind: 'tcp', host: undefined, port: 443 }]);
      }, 2000),
    );
  }
}

test(
  'a byte order mark after the first line is not skipped',
  timed(() => {
    const error = parseFail(`foreground = yes\n\uFEFF${service}`);
    assert.equal(codes(error).slice(0, 1), ['ERR_TUNNEL_CONFIG_SYNTAX']);
    assert.is(error.issues[0]?.line, 2);
  }, 2000),
);

test(
  'a line without = is a syntax error naming the line',
  timed(() => {
    const error = parseFail(`${service}hello world\n`);
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_SYNTAX']);
    assert.is(error.issues[0]?.toString(), `test.conf:5: no '=' found in "hello world"`);
  }, 2000),
);

test(
  'an unclosed or trailing-junk section header is a syntax error',
  timed(() => {
    assert.equal(codes(parseFail('[s\naccept = 443\nconnect = 80\ncert = c.pem\n')).slice(0, 1), ['ERR_TUNNEL_CONFIG_SYNTAX']);
    assert.equal(codes(parseFail('[s] x\naccept = 443\nconnect = 80\ncert = c.pem\n')).slice(0, 1), ['ERR_TUNNEL_CONFIG_SYNTAX']);
  }, 2000),
);

test(
  'section names are trimmed, may contain spaces and may be empty',
  timed(() => {
    assert.is(parseOk('[ my svc ]\naccept = 443\nconnect = 80\ncert = c.pem\n').services[0]?.name, 'my svc');
    assert.is(parseOk('[]\naccept = 443\nconnect = 80\ncert = c.pem\n').services[0]?.name, '');
  }, 2000),
);

test(
  'the value is everything after the first =, and ; inside a value is not a comment',
  timed(() => {
    const config = parseOk(`${service}protocolPassword = a=b ; c\n`);
    assert.is(config.services[0]?.protocolPassword, 'a=b ; c');
  }, 2000),
);

test(
  'an empty option name is refused',
  timed(() => {
    const error = parseFail(`${service} = x\n`);
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_UNKNOWN_OPTION']);
    assert.is(error.issues[0]?.option, undefined);
  }, 2000),
);

test(
  'an unknown option is refused with its name as written',
  timed(() => {
    const error = parseFail(`${service}Bogus = 1\n`);
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_UNKNOWN_OPTION']);
    assert.is(error.issues[0]?.toString(), 'test.conf:5: Bogus: unknown option');
  }, 2000),
);

test(
  'options of newer stunnels are read (the CLI decides which it supports); a name no stunnel knows stays unknown',
  timed(() => {
    const config = parseOk(`provider = legacy\n${service}OCSPrequire = no\nTIMEOUTocsp = 5\nCAstore = org.openssl.winstore:\n`);
    assert.is(config.services[0]?.OCSPrequire, false);
    assert.is(config.services[0]?.TIMEOUTocsp, 5);
    assert.equal(config.services[0]?.CAstore, ['org.openssl.winstore:']);
    assert.equal(config.globals.provider, ['legacy']);
    assert.equal(codes(parseFail(`${service}providerX = 1\n`)), ['ERR_TUNNEL_CONFIG_UNKNOWN_OPTION']);
  }, 2000),
);

test(
  'duplicate service names are accepted, as stunnel does',
  timed(() => {
    const config = parseOk(`${service}${service}`);
    assert.equal(
      config.services.map((entry) => entry.name),
      ['s', 's'],
    );
  }, 2000),
);

test(
  'a line longer than the limit is refused without reading it',
  timed(() => {
    const error = parseFail(`${service}ciphers = ${'A'.repeat(20_000)}\n`);
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_TOO_LARGE']);
  }, 2000),
);

test(
  'a file larger than the limit is refused',
  timed(() => {
    const error = parseFail(`${service}${'; filler line\n'.repeat(400_000)}`);
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_TOO_LARGE']);
  }, 5000),
);

test(
  'an endless stream of bad lines stops at the issue limit',
  timed(() => {
    const error = parseFail(`${service}${'bogus = 1\n'.repeat(2000)}`);
    assert.is(error.issues.length, 501);
    assert.is(error.issues.at(-1)?.code, 'ERR_TUNNEL_CONFIG_TOO_LARGE');
  }, 5000),
);

test(
  'the global section ends at the first section header; later global options are refused',
  timed(() => {
    const error = parseFail(`${service}syslog = no\n`);
    assert.equal(codes(error), ['ERR_TUNNEL_CONFIG_WRONG_SECTION']);
  }, 2000),
);

test(
  'a hostile long value is quoted in at most 80 characters',
  timed(() => {
    const error = parseFail(`${service}verify = ${'9'.repeat(10_000)}\n`);
    assert.ok((error.issues[0]?.message.length ?? 0) < 140, error.issues[0]?.message);
    const syntax = parseFail(`${service}${'x'.repeat(10_000)}\n`);
    assert.ok((syntax.issues[0]?.message.length ?? 0) < 120);
  }, 2000),
);

test.run();
