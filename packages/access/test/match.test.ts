import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type AccessClient, evaluateAccess, needsHostname, parseHostsTable } from '../src/index.js';

// Matrix: tables, daemon, client facts -> decision and deciding line ("allow:2", "deny:1", or "none").

interface Case {
  readonly what: string;
  readonly allow: string;
  readonly deny: string;
  readonly daemon?: string;
  readonly client: Partial<AccessClient> & { address: string };
  readonly allowed: boolean;
  readonly by: string;
}

const known = (address: string, hostname: string) => ({ address, hostname });
const cases: Case[] = [
  { what: 'no tables grant access', allow: '', deny: '', client: { address: '10.0.0.1' }, allowed: true, by: 'none' },
  {
    what: 'hosts.allow wins over hosts.deny',
    allow: 'svc: 10.0.0.1',
    deny: 'ALL: ALL',
    client: { address: '10.0.0.1' },
    allowed: true,
    by: 'allow:1',
  },
  {
    what: 'hosts.deny applies when hosts.allow does not match',
    allow: 'svc: 10.0.0.2',
    deny: 'ALL: ALL',
    client: { address: '10.0.0.1' },
    allowed: false,
    by: 'deny:1',
  },
  { what: 'another daemon name does not match', allow: '', deny: 'other: ALL', client: { address: '10.0.0.1' }, allowed: true, by: 'none' },
  {
    what: 'daemon names compare case-insensitively',
    allow: '',
    deny: 'SVC: ALL',
    client: { address: '10.0.0.1' },
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'a daemon wildcard',
    allow: '',
    deny: 's?c*: ALL',
    daemon: 'svc-imaps',
    client: { address: '10.0.0.1' },
    allowed: false,
    by: 'deny:1',
  },
  { what: 'daemon EXCEPT', allow: '', deny: 'ALL EXCEPT svc: ALL', client: { address: '10.0.0.1' }, allowed: true, by: 'none' },
  {
    what: 'the first matching line decides',
    allow: 'svc: 10.0.0.9\nsvc: 10.0.0.1 : deny\nsvc: ALL',
    deny: '',
    client: { address: '10.0.0.1' },
    allowed: false,
    by: 'allow:2',
  },
  {
    what: 'allow option in hosts.deny grants',
    allow: '',
    deny: 'svc: 10.0.0.1 : allow\nALL: ALL',
    client: { address: '10.0.0.1' },
    allowed: true,
    by: 'deny:1',
  },
  { what: 'address prefix n.n.', allow: '', deny: 'svc: 10.0.', client: { address: '10.0.3.4' }, allowed: false, by: 'deny:1' },
  {
    what: 'address prefix needs the whole field',
    allow: '',
    deny: 'svc: 10.0.',
    client: { address: '10.00.3.4' },
    allowed: true,
    by: 'none',
  },
  {
    what: 'net/mask inside',
    allow: '',
    deny: 'svc: 131.155.72.0/255.255.254.0',
    client: { address: '131.155.73.255' },
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'net/mask outside',
    allow: '',
    deny: 'svc: 131.155.72.0/255.255.254.0',
    client: { address: '131.155.74.0' },
    allowed: true,
    by: 'none',
  },
  { what: 'net/prefix', allow: '', deny: 'svc: 192.168.0.0/16', client: { address: '192.168.200.1' }, allowed: false, by: 'deny:1' },
  {
    what: 'a /0 prefix matches every IPv4 address',
    allow: '',
    deny: 'svc: 0.0.0.0/0',
    client: { address: '203.0.113.9' },
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'an IPv4-mapped client matches IPv4 patterns',
    allow: '',
    deny: 'svc: 10.0.0.0/8',
    client: { address: '::ffff:10.1.1.1' },
    allowed: false,
    by: 'deny:1',
  },
  { what: 'IPv6 [::1]/128', allow: '', deny: 'svc: [::1]/128', client: { address: '::1' }, allowed: false, by: 'deny:1' },
  {
    what: 'IPv6 prefix inside',
    allow: '',
    deny: 'svc: [2001:db8::]/32',
    client: { address: '2001:db8:ffff::1' },
    allowed: false,
    by: 'deny:1',
  },
  { what: 'IPv6 prefix outside', allow: '', deny: 'svc: [2001:db8::]/32', client: { address: '2001:db9::1' }, allowed: true, by: 'none' },
  {
    what: 'an IPv6 client never matches an IPv4 net',
    allow: '',
    deny: 'svc: 0.0.0.0/0',
    client: { address: '::1' },
    allowed: true,
    by: 'none',
  },
  {
    what: 'an IPv4 client never matches an IPv6 prefix',
    allow: '',
    deny: 'svc: [::]/0',
    client: { address: '10.0.0.1' },
    allowed: true,
    by: 'none',
  },
  { what: 'client EXCEPT', allow: '', deny: 'svc: 10. EXCEPT 10.0.0.1', client: { address: '10.0.0.1' }, allowed: true, by: 'none' },
  {
    what: 'nested EXCEPT: a EXCEPT (b EXCEPT c)',
    allow: '',
    deny: 'svc: 10. EXCEPT 10.0. EXCEPT 10.0.0.1',
    client: { address: '10.0.0.1' },
    allowed: false,
    by: 'deny:1',
  },
  {
    what: '.domain suffix on a verified name',
    allow: '',
    deny: 'svc: .example.org',
    client: known('10.0.0.1', 'host.example.org'),
    allowed: false,
    by: 'deny:1',
  },
  {
    what: '.domain suffix needs a dot boundary',
    allow: '',
    deny: 'svc: .example.org',
    client: known('10.0.0.1', 'badexample.org'),
    allowed: true,
    by: 'none',
  },
  {
    what: 'host names compare case-insensitively',
    allow: '',
    deny: 'svc: Host.Example.ORG',
    client: known('10.0.0.1', 'host.example.org'),
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'a host name wildcard',
    allow: '',
    deny: 'svc: h*.example.org',
    client: known('10.0.0.1', 'hostname.example.org'),
    allowed: false,
    by: 'deny:1',
  },
  { what: 'an address wildcard', allow: '', deny: 'svc: 10.?.0.*', client: { address: '10.5.0.77' }, allowed: false, by: 'deny:1' },
  {
    what: 'name patterns do not match an unknown name',
    allow: '',
    deny: 'svc: .example.org',
    client: { address: '10.0.0.1' },
    allowed: true,
    by: 'none',
  },
  {
    what: 'LOCAL matches a dotless name',
    allow: '',
    deny: 'svc: LOCAL',
    client: known('10.0.0.1', 'gateway'),
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'LOCAL does not match a dotted name',
    allow: '',
    deny: 'svc: LOCAL',
    client: known('10.0.0.1', 'gw.example'),
    allowed: true,
    by: 'none',
  },
  {
    what: 'LOCAL does not match an unknown name',
    allow: '',
    deny: 'svc: LOCAL',
    client: { address: '10.0.0.1' },
    allowed: true,
    by: 'none',
  },
  {
    what: 'KNOWN matches a verified name',
    allow: 'svc: KNOWN',
    deny: 'ALL: ALL',
    client: known('10.0.0.1', 'a.example'),
    allowed: true,
    by: 'allow:1',
  },
  {
    what: 'KNOWN does not match an unknown name',
    allow: 'svc: KNOWN',
    deny: 'ALL: ALL',
    client: { address: '10.0.0.1' },
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'UNKNOWN matches an unknown name',
    allow: '',
    deny: 'svc: UNKNOWN',
    client: { address: '10.0.0.1' },
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'UNKNOWN does not match a verified name',
    allow: '',
    deny: 'svc: UNKNOWN',
    client: known('10.0.0.1', 'a.example'),
    allowed: true,
    by: 'none',
  },
  {
    what: 'PARANOID matches a name that does not map back',
    allow: '',
    deny: 'ALL: PARANOID',
    client: { address: '10.0.0.1', paranoid: true },
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'PARANOID does not match a confirmed name',
    allow: '',
    deny: 'ALL: PARANOID',
    client: known('10.0.0.1', 'a.example'),
    allowed: true,
    by: 'none',
  },
  {
    what: 'a PARANOID client is also UNKNOWN',
    allow: '',
    deny: 'svc: UNKNOWN',
    client: { address: '10.0.0.1', paranoid: true },
    allowed: false,
    by: 'deny:1',
  },
  {
    what: 'numeric patterns never match the name',
    allow: '',
    deny: 'svc: 10.0.0.1',
    client: known('10.9.9.9', '10.0.0.1'),
    allowed: true,
    by: 'none',
  },
];

for (const item of cases) {
  test(`${item.what}: ${item.allowed ? 'granted' : 'denied'} by ${item.by}`, () => {
    const tables = { allow: parseHostsTable(item.allow, 'allow'), deny: parseHostsTable(item.deny, 'deny') };
    const client: AccessClient = { hostname: undefined, paranoid: false, ...item.client };
    const decision = evaluateAccess(tables, item.daemon ?? 'svc', client);
    assert.is(decision.allowed, item.allowed);
    assert.is(decision.rule === undefined ? 'none' : `${decision.rule.file}:${decision.rule.line}`, item.by);
  });
}

const lookupNeeds: [string, string, boolean][] = [
  ['svc: 10.0.0.1 10. 10.0.0.0/8 [::1] ALL', 'svc', false],
  ['svc: .example.org', 'svc', true],
  ['svc: 10. EXCEPT KNOWN', 'svc', true],
  ['other: .example.org', 'svc', false],
  ['ALL: PARANOID', 'svc', true],
  ['svc: host*', 'svc', true],
];
for (const [table, daemon, needed] of lookupNeeds) {
  test(`a host name lookup is ${needed ? '' : 'not '}needed for ${JSON.stringify(table)}`, () => {
    assert.is(needsHostname(parseHostsTable(table), daemon), needed);
  });
}

test.run();
