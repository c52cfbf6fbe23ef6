import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AccessError, type AccessRule, limits, parseHostsTable } from '../src/index.js';

function summary(rules: AccessRule[]): unknown[] {
  const list = (l: AccessRule['daemons'] | undefined): unknown =>
    l === undefined
      ? undefined
      : {
          p: l.patterns.map((p) => (p.kind === 'keyword' ? p.keyword : p.kind === 'string' ? p.text : `${p.kind}:${p.text}`)),
          x: list(l.except),
        };
  return rules.map((rule) => ({ line: rule.line, d: list(rule.daemons), c: list(rule.clients), v: rule.verdict }));
}

const good: [string, string, unknown[]][] = [
  [
    'a simple rule',
    'sshd: 10.0.0.1\n',
    [{ line: 1, d: { p: ['sshd'], x: undefined }, c: { p: ['10.0.0.1'], x: undefined }, v: undefined }],
  ],
  [
    'comments, blank lines and blanks/commas as separators',
    '# comment\n\n   # indented comment\nALL : a.example, .example.org  10.1.\n',
    [{ line: 4, d: { p: ['ALL'], x: undefined }, c: { p: ['a.example', '.example.org', '10.1.'], x: undefined }, v: undefined }],
  ],
  [
    'backslash continuation keeps the first line number',
    'svc: 10.0.0.1, \\\n  10.0.0.2\nother: ALL\n',
    [
      { line: 1, d: { p: ['svc'], x: undefined }, c: { p: ['10.0.0.1', '10.0.0.2'], x: undefined }, v: undefined },
      { line: 3, d: { p: ['other'], x: undefined }, c: { p: ['ALL'], x: undefined }, v: undefined },
    ],
  ],
  [
    'CRLF line ends',
    'svc: ALL\r\nx: LOCAL\r\n',
    [
      { line: 1, d: { p: ['svc'], x: undefined }, c: { p: ['ALL'], x: undefined }, v: undefined },
      { line: 2, d: { p: ['x'], x: undefined }, c: { p: ['LOCAL'], x: undefined }, v: undefined },
    ],
  ],
  [
    'nested EXCEPT, keywords in any case',
    'all except sshd: all except .bad.example except good.bad.example\n',
    [
      {
        line: 1,
        d: { p: ['ALL'], x: { p: ['sshd'], x: undefined } },
        c: { p: ['ALL'], x: { p: ['.bad.example'], x: { p: ['good.bad.example'], x: undefined } } },
        v: undefined,
      },
    ],
  ],
  [
    'IPv6 brackets keep their colons; net/mask and /prefix forms',
    'svc: [::1]/128 [2001:db8::]/32 [fe80::1] 10.0.0.0/255.0.0.0 192.168.0.0/16\n',
    [
      {
        line: 1,
        d: { p: ['svc'], x: undefined },
        c: {
          p: [
            'ipv6-prefix:[::1]/128',
            'ipv6-prefix:[2001:db8::]/32',
            'ipv6-prefix:[fe80::1]',
            'ipv4-mask:10.0.0.0/255.0.0.0',
            'ipv4-mask:192.168.0.0/16',
          ],
          x: undefined,
        },
        v: undefined,
      },
    ],
  ],
  [
    'hosts_options allow / deny as the last field',
    'a: ALL : allow\nb: ALL: DENY\n',
    [
      { line: 1, d: { p: ['a'], x: undefined }, c: { p: ['ALL'], x: undefined }, v: 'allow' },
      { line: 2, d: { p: ['b'], x: undefined }, c: { p: ['ALL'], x: undefined }, v: 'deny' },
    ],
  ],
  [
    'wildcards',
    'svc*: host?.example 10.0.*\n',
    [{ line: 1, d: { p: ['svc*'], x: undefined }, c: { p: ['host?.example', '10.0.*'], x: undefined }, v: undefined }],
  ],
  ['an empty table', '', []],
];
for (const [what, text, expected] of good) {
  test(`parses ${what}`, () => {
    assert.equal(summary(parseHostsTable(text, 'hosts.allow')), expected);
  });
}

const bad: [string, string, string, number][] = [
  ['a NIS netgroup', 'svc: @trusted\n', 'ERR_TUNNEL_ACCESS_UNSUPPORTED', 1],
  ['daemon@host', '\nsvc@10.0.0.1: ALL\n', 'ERR_TUNNEL_ACCESS_UNSUPPORTED', 2],
  ['user@host', 'svc: alice@10.0.0.1\n', 'ERR_TUNNEL_ACCESS_UNSUPPORTED', 1],
  ['a file pattern', 'svc: /etc/trusted\n', 'ERR_TUNNEL_ACCESS_UNSUPPORTED', 1],
  ['a spawn option', 'svc: ALL : spawn (echo hi)\n', 'ERR_TUNNEL_ACCESS_UNSUPPORTED', 1],
  ['a twist option', 'svc: ALL : twist /bin/echo no\n', 'ERR_TUNNEL_ACCESS_UNSUPPORTED', 1],
  ['a severity option before deny', 'svc: ALL : severity auth.info : deny\n', 'ERR_TUNNEL_ACCESS_UNSUPPORTED', 1],
  ['a plain shell command', 'svc: ALL : (/usr/sbin/safe_finger -l @%h) &\n', 'ERR_TUNNEL_ACCESS_UNSUPPORTED', 1],
  ['allow not last', 'svc: ALL : allow : deny\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['allow with a value', 'svc: ALL : allow yes\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['a missing colon', '# x\nsvc ALL\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 2],
  ['an empty client list', 'svc:\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['an empty daemon list', ' : ALL\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['a dangling EXCEPT', 'svc: ALL EXCEPT\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['a leading EXCEPT', 'svc: EXCEPT 10.0.0.1\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['a bad mask', 'svc: 10.0.0.0/255.0.0.256\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['a prefix over 32', 'svc: 10.0.0.0/33\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['host bits outside the mask', 'svc: 10.1.2.3/8\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['a bad IPv6 address', 'svc: [::g]\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['an IPv6 prefix over 128', 'svc: [::1]/129\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['a wildcard suffix', 'svc: .*.example\n', 'ERR_TUNNEL_ACCESS_SYNTAX', 1],
  ['an overlong line', `svc: ${'a'.repeat(limits.maxLineLength + 1)} \\\n`, 'ERR_TUNNEL_ACCESS_TOO_LARGE', 1],
  ['too many patterns', `svc: ${'a '.repeat(limits.maxPatternsPerList + 1)}\n`, 'ERR_TUNNEL_ACCESS_TOO_LARGE', 1],
  ['too many rules', 'a: ALL\n'.repeat(limits.maxRules + 1), 'ERR_TUNNEL_ACCESS_TOO_LARGE', limits.maxRules + 1],
];
for (const [what, text, code, line] of bad) {
  test(`refuses ${what} with ${code} at line ${line}`, () => {
    try {
      parseHostsTable(text, '/etc/hosts.allow');
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, AccessError);
      assert.is((error as AccessError).code, code);
      assert.is((error as AccessError).file, '/etc/hosts.allow');
      assert.is((error as AccessError).line, line);
      assert.match((error as AccessError).message, `/etc/hosts.allow:${line}: `);
    }
  });
}

test('a table over the size limit is refused before parsing', () => {
  try {
    parseHostsTable('#'.repeat(limits.maxFileBytes + 1));
    assert.unreachable('should throw');
  } catch (error) {
    assert.is((error as AccessError).code, 'ERR_TUNNEL_ACCESS_TOO_LARGE');
  }
});

test.run();
