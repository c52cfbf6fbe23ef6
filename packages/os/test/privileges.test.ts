import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, timed } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { getuid, OsError, resolveGroup, resolveUser, setgid, setuid } from '../src/index.js';
import { runFixture } from './helpers.mjs';

test('user and group names resolve through NSS, numbers pass through', () => {
  assert.is(resolveUser('root'), 0);
  assert.is(resolveUser('nobody'), 65534);
  assert.is(resolveUser('1234'), 1234);
  assert.is(resolveUser(7), 7);
  assert.is(resolveGroup('root'), 0);
  assert.is(resolveGroup('nogroup'), 65534);
  assert.is(resolveGroup('42'), 42);
});

for (const [what, run, code] of [
  ['an unknown user', () => resolveUser('no-such-user-tunnel'), 'ERR_TUNNEL_OS_UNKNOWN_USER'],
  ['an unknown group', () => resolveGroup('no-such-group-tunnel'), 'ERR_TUNNEL_OS_UNKNOWN_GROUP'],
  ['setuid to an unknown name', () => setuid('no-such-user-tunnel'), 'ERR_TUNNEL_OS_EINVAL'],
  ['setgid to an unknown name', () => setgid('no-such-group-tunnel'), 'ERR_TUNNEL_OS_EINVAL'],
] as const) {
  test(`${what} fails with ${code}`, () => {
    try {
      run();
      assert.unreachable('should throw');
    } catch (error) {
      assert.instance(error, OsError);
      assert.is((error as OsError).code, code);
    }
  });
}

test(
  'dropPrivileges chroots, clears supplementary groups and leaves root for good',
  timed(async () => {
    assert.is(getuid(), 0, 'this test needs root');
    const jail = tempDir('tunnel-os-jail-');
    try {
      // The jail must be searchable by nobody, who looks for the marker after setuid.
      chmodSync(jail.path, 0o755);
      writeFileSync(join(jail.path, 'marker'), 'x');
      const result = await runFixture('drop-privileges.mts', [jail.path]);
      assert.is(result.before, 0);
      assert.is(result.uid, 65534);
      assert.is(result.gid, 65534);
      assert.equal(result.groups, [65534]);
      assert.is(result.marker, true, 'the jail root is the new /');
      assert.is(result.cwd, '/');
      assert.is(result.chrootAgain, 'ERR_TUNNEL_OS_EPERM');
      assert.is(result.regain, 'ERR_TUNNEL_OS_EPERM');
      assert.is(result.transparent, 'ERR_TUNNEL_OS_EPERM', 'IP_TRANSPARENT needs CAP_NET_ADMIN');
    } finally {
      jail.remove();
    }
  }, 20_000),
);

test.run();
