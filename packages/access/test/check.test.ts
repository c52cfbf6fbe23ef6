import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AccessError, checkAccess, dnsLookups, type HostLookups, loadHostsTables, parseHostsTable, resolveHostname } from '../src/index.js';

function tables(allow: string, deny: string): { allow: string; deny: string; remove(): void } {
  const directory = tempDir('tunnel-access-');
  writeFileSync(join(directory.path, 'hosts.allow'), allow);
  writeFileSync(join(directory.path, 'hosts.deny'), deny);
  return { allow: join(directory.path, 'hosts.allow'), deny: join(directory.path, 'hosts.deny'), remove: directory.remove };
}

/** Scripted lookups that count their calls. */
function fakeLookups(reverse: Record<string, string[]>, forward: Record<string, string[]>): HostLookups & { calls: number } {
  const lookups = {
    calls: 0,
    reverse: async (address: string) => {
      lookups.calls += 1;
      const names = reverse[address];
      if (names === undefined) throw Object.assign(new Error('no PTR'), { code: 'ENOTFOUND' });
      return names;
    },
    forward: async (name: string) => {
      const addresses = forward[name];
      if (addresses === undefined) throw Object.assign(new Error('no A'), { code: 'ENOTFOUND' });
      return addresses;
    },
  };
  return lookups;
}

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.instance(error, AccessError);
    return (error as AccessError).code;
  }
  return 'none';
}

test(
  'checkAccess reads hosts.allow then hosts.deny from the given paths',
  timed(async () => {
    const files = tables('svc: 10.0.0.1\n', 'ALL: ALL\n');
    try {
      const granted = await checkAccess({ daemon: 'svc', address: '10.0.0.1', files });
      assert.is(granted.allowed, true);
      assert.is(granted.rule?.file, files.allow);
      const denied = await checkAccess({ daemon: 'svc', address: '::ffff:10.0.0.2', files });
      assert.is(denied.allowed, false);
      assert.is(denied.rule?.file, files.deny);
    } finally {
      files.remove();
    }
  }),
);

test(
  'missing tables grant access, unreadable or bad ones fail closed with a code',
  timed(async () => {
    const directory = tempDir('tunnel-access-');
    try {
      const missing = { allow: join(directory.path, 'none.allow'), deny: join(directory.path, 'none.deny') };
      assert.is((await checkAccess({ daemon: 'svc', address: '10.0.0.1', files: missing })).allowed, true);
      mkdirSync(join(directory.path, 'dir.allow'));
      assert.is(
        await codeOf(() =>
          checkAccess({ daemon: 'svc', address: '10.0.0.1', files: { ...missing, allow: join(directory.path, 'dir.allow') } }),
        ),
        'ERR_TUNNEL_ACCESS_FILE',
      );
      writeFileSync(join(directory.path, 'big.deny'), '#'.repeat(1024 * 1024 + 1));
      assert.is(await codeOf(() => loadHostsTables({ ...missing, deny: join(directory.path, 'big.deny') })), 'ERR_TUNNEL_ACCESS_TOO_LARGE');
      writeFileSync(join(directory.path, 'bad.deny'), 'svc: @netgroup\n');
      assert.is(
        await codeOf(() =>
          checkAccess({ daemon: 'svc', address: '10.0.0.1', files: { ...missing, deny: join(directory.path, 'bad.deny') } }),
        ),
        'ERR_TUNNEL_ACCESS_UNSUPPORTED',
      );
      assert.is(await codeOf(() => checkAccess({ daemon: 'svc', address: 'not-an-ip', files: missing })), 'ERR_TUNNEL_ACCESS_BAD_ADDRESS');
    } finally {
      directory.remove();
    }
  }),
);

test(
  'the host name is looked up only when a rule for this daemon needs it',
  timed(async () => {
    const lookups = fakeLookups({ '10.0.0.1': ['host.example.org'] }, { 'host.example.org': ['10.0.0.1'] });
    const parsed = { allow: parseHostsTable('other: .example.org\n'), deny: parseHostsTable('svc: 10.0.0.1\n') };
    assert.is((await checkAccess({ daemon: 'svc', address: '10.0.0.1', tables: parsed, lookups })).allowed, false);
    assert.is(lookups.calls, 0);
    const result = await checkAccess({ daemon: 'other', address: '10.0.0.1', tables: parsed, lookups });
    assert.is(lookups.calls, 1);
    assert.is(result.allowed, true);
    assert.is(result.hostname, 'host.example.org');
  }),
);

test(
  'a caller-supplied host name or null skips the lookup',
  timed(async () => {
    const lookups = fakeLookups({}, {});
    const parsed = { allow: parseHostsTable('svc: .example.org\n'), deny: parseHostsTable('svc: ALL\n') };
    assert.is(
      (await checkAccess({ daemon: 'svc', address: '10.0.0.1', hostname: 'A.Example.org', tables: parsed, lookups })).allowed,
      true,
    );
    assert.is((await checkAccess({ daemon: 'svc', address: '10.0.0.1', hostname: null, tables: parsed, lookups })).allowed, false);
    assert.is(lookups.calls, 0);
  }),
);

const facts: [string, HostLookups, { hostname: string | undefined; paranoid: boolean }][] = [
  [
    'a forward-confirmed name is known',
    fakeLookups({ '10.0.0.1': ['Host.Example.org.'] }, { 'Host.Example.org.': ['10.0.0.9', '10.0.0.1'] }),
    { hostname: 'host.example.org', paranoid: false },
  ],
  [
    'a name that maps elsewhere is PARANOID',
    fakeLookups({ '10.0.0.1': ['liar.example'] }, { 'liar.example': ['10.6.6.6'] }),
    { hostname: undefined, paranoid: true },
  ],
  ['a name that does not resolve is PARANOID', fakeLookups({ '10.0.0.1': ['ghost.example'] }, {}), { hostname: undefined, paranoid: true }],
  ['no PTR record is unknown', fakeLookups({}, {}), { hostname: undefined, paranoid: false }],
  ['an empty PTR answer is unknown', fakeLookups({ '10.0.0.1': [] }, {}), { hostname: undefined, paranoid: false }],
  [
    'a reverse lookup that never answers is unknown after the time limit',
    { reverse: () => new Promise<string[]>(() => {}), forward: async () => [] },
    { hostname: undefined, paranoid: false },
  ],
];
for (const [what, lookups, expected] of facts) {
  test(
    what,
    timed(async () => {
      assert.equal(await resolveHostname('10.0.0.1', { lookups, timeoutMs: 200 }), expected);
    }),
  );
}

test(
  'the system resolver finds localhost for 127.0.0.1 through /etc/hosts and confirms it',
  timed(async () => {
    assert.equal(await resolveHostname('127.0.0.1'), { hostname: 'localhost', paranoid: false });
    const parsed = { allow: parseHostsTable('svc: localhost\n'), deny: parseHostsTable('ALL: ALL\n') };
    const result = await checkAccess({ daemon: 'svc', address: '127.0.0.1', tables: parsed });
    assert.is(result.allowed, true);
    assert.is(result.hostname, 'localhost');
  }),
);

test(
  'DNS-only lookups against an unreachable server leave the name unknown within the limit',
  timed(async () => {
    const started = Date.now();
    const result = await resolveHostname('192.0.2.1', {
      lookups: dnsLookups({ servers: ['127.0.0.1:1'], timeoutMs: 300 }),
      timeoutMs: 1000,
    });
    assert.equal(result, { hostname: undefined, paranoid: false });
    assert.ok(Date.now() - started < 2000);
  }),
);

test(
  'an aborted lookup leaves the name unknown',
  timed(async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const result = await resolveHostname('10.0.0.1', {
      lookups: { reverse: () => new Promise<string[]>(() => {}), forward: async () => [] },
      signal: controller.signal,
    });
    assert.equal(result, { hostname: undefined, paranoid: false });
  }),
);

test.run();
