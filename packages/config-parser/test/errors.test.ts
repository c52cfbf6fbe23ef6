import { timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, ConfigIssue } from '../src/index.js';
import { codes, parseFail } from './helpers.js';

test(
  'every problem of a file is reported together, in reading order',
  timed(() => {
    const error = parseFail(
      [
        'bogus = 1',
        'taskbar = yes',
        '[s]',
        'accept = 443',
        'connect = 80',
        'cert = c.pem',
        'verify = 9',
        'client = maybe',
        'nonsense',
        'TIMEOUTidle =',
      ].join('\n'),
    );
    assert.equal(codes(error), [
      'ERR_TUNNEL_CONFIG_UNKNOWN_OPTION',
      'ERR_TUNNEL_CONFIG_WIN32_ONLY',
      'ERR_TUNNEL_CONFIG_INVALID_VALUE',
      'ERR_TUNNEL_CONFIG_INVALID_VALUE',
      'ERR_TUNNEL_CONFIG_SYNTAX',
      'ERR_TUNNEL_CONFIG_MISSING_VALUE',
    ]);
    assert.equal(
      error.issues.map((issue) => issue.line),
      [1, 2, 7, 8, 9, 10],
    );
  }, 2000),
);

test(
  'problems found after reading are sorted in among the others by the line they point at',
  timed(() => {
    const error = parseFail('[a]\naccept = 1\nconnect = 2\n[b]\naccept = 3\nconnect = 4\ncert = c\nbogus = 1\n');
    assert.equal(
      error.issues.map((issue) => `${issue.line} ${issue.code}`),
      ['1 ERR_TUNNEL_CONFIG_NO_CERT', '8 ERR_TUNNEL_CONFIG_UNKNOWN_OPTION'],
    );
  }, 2000),
);

test(
  'issue.toString() is file:line: option: reason',
  timed(() => {
    const error = parseFail('[s]\naccept = 443\nconnect = 80\ncert = c.pem\nverify = 9\n', { file: '/etc/stunnel/x.conf' });
    assert.is(error.issues[0]?.toString(), '/etc/stunnel/x.conf:5: verify: bad verify level "9" (expected 0, 1, 2, 3 or 4)');
    assert.is(error.issues[0]?.file, '/etc/stunnel/x.conf');
    assert.is(error.issues[0]?.line, 5);
    assert.is(error.issues[0]?.option, 'verify');
  }, 2000),
);

test(
  'service checks point at the section header or the option at fault',
  timed(() => {
    const error = parseFail('\n[s]\naccept = 443\nverifyPeer = yes\n');
    assert.equal(
      error.issues.map((issue) => issue.toString()),
      [
        'test.conf:2: service [s] must define two endpoints (accept or sni, and connect or exec; or exec and connect), found 1',
        'test.conf:2: cert: service [s]: a TLS server needs a certificate (cert) or PSKsecrets',
        'test.conf:4: verifyPeer: needs CAfile, CApath or CAengine',
      ],
    );
  }, 2000),
);

test(
  'ConfigError has code ERR_TUNNEL_CONFIG and lists every issue in its message',
  timed(() => {
    const issues = [
      new ConfigIssue({ code: 'ERR_TUNNEL_CONFIG_SYNTAX', file: 'a', line: 1, message: 'x' }),
      new ConfigIssue({ code: 'ERR_TUNNEL_CONFIG_INVALID_VALUE', file: 'a', line: 2, option: 'verify', message: 'y' }),
    ];
    const error = new ConfigError(issues, { cause: 'why' });
    assert.is(error.code, 'ERR_TUNNEL_CONFIG');
    assert.is(error.name, 'ConfigError');
    assert.is(error.cause, 'why');
    assert.is(error.message, 'invalid configuration (2 problems):\n  a:1: x\n  a:2: verify: y');
    assert.is(new ConfigError([issues[0] as ConfigIssue]).message, 'invalid configuration (1 problem):\n  a:1: x');
  }, 2000),
);

test.run();
