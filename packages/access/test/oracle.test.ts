import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, tempDir, timed, which } from '@tunnel/testkit';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { evaluateAccess, parseHostsTable } from '../src/index.js';

// Debian's tcpdmatch (package tcpd, the real libwrap) decides the same tables; the two must agree.
// Only address patterns are used: name patterns would make tcpdmatch query DNS, which is not
// available offline (those are covered by the pure matrix in match.test.ts).

const cases: [allow: string, deny: string, daemon: string, address: string][] = [
  ['', '', 'svc', '10.0.0.1'],
  ['svc: 10.0.0.1', 'ALL: ALL', 'svc', '10.0.0.1'],
  ['svc: 10.0.0.2', 'ALL: ALL', 'svc', '10.0.0.1'],
  ['', 'other: ALL', 'svc', '10.0.0.1'],
  ['', 'SVC: ALL', 'svc', '10.0.0.1'],
  ['', 'ALL EXCEPT svc: ALL', 'svc', '10.0.0.1'],
  ['', 'ALL EXCEPT svc: ALL', 'imap', '10.0.0.1'],
  ['svc: 10.0.0.9\nsvc: 10.0.0.1 : deny\nsvc: ALL', '', 'svc', '10.0.0.1'],
  ['', 'svc: 10.0.0.1 : allow\nALL: ALL', 'svc', '10.0.0.1'],
  ['', 'svc: 10.0.', 'svc', '10.0.3.4'],
  ['', 'svc: 10.0.', 'svc', '10.1.3.4'],
  ['', 'svc: 131.155.72.0/255.255.254.0', 'svc', '131.155.73.255'],
  ['', 'svc: 131.155.72.0/255.255.254.0', 'svc', '131.155.74.0'],
  ['', 'svc: 192.168.0.0/16', 'svc', '192.168.200.1'],
  ['', 'svc: 192.168.0.0/16', 'svc', '192.169.0.1'],
  ['', 'svc: [::1]/128', 'svc', '::1'],
  ['', 'svc: [2001:db8::]/32', 'svc', '2001:db8:ffff::1'],
  ['', 'svc: [2001:db8::]/32', 'svc', '2001:db9::1'],
  ['', 'svc: 10. EXCEPT 10.0.0.1', 'svc', '10.0.0.1'],
  ['', 'svc: 10. EXCEPT 10.0.0.1', 'svc', '10.0.0.2'],
  ['', 'svc: 10. EXCEPT 10.0. EXCEPT 10.0.0.1', 'svc', '10.0.0.1'],
  ['', 'svc: 10. EXCEPT 10.0. EXCEPT 10.0.0.1', 'svc', '10.0.0.2'],
  ['', 'svc, imap : 10.0.0.1, \\\n 10.0.0.2', 'imap', '10.0.0.2'],
  ['', 'svc: 10.?.0.*', 'svc', '10.5.0.77'],
  ['', 's?c*: ALL', 'svc-imaps', '10.0.0.1'],
  ['# only a comment\n', 'ALL: ALL', 'svc', '192.0.2.1'],
];

test(
  'tcpdmatch (libwrap) and evaluateAccess agree on every address-only case',
  timed(async () => {
    const tcpdmatch = await which('tcpdmatch');
    assert.ok(tcpdmatch, 'tcpdmatch must be installed (packages/access/ci/apt.txt: tcpd)');
    const directory = tempDir('tunnel-access-');
    try {
      for (const [allow, deny, daemon, address] of cases) {
        writeFileSync(join(directory.path, 'hosts.allow'), `${allow}\n`);
        writeFileSync(join(directory.path, 'hosts.deny'), `${deny}\n`);
        const output = await run(tcpdmatch, ['-d', daemon, address], { cwd: directory.path });
        const verdict = /access:\s+(granted|denied)/.exec(output)?.[1];
        assert.ok(verdict, `no verdict from tcpdmatch: ${output}`);
        const ours = evaluateAccess({ allow: parseHostsTable(allow), deny: parseHostsTable(deny) }, daemon, {
          address,
          hostname: undefined,
          paranoid: false,
        });
        assert.is(ours.allowed ? 'granted' : 'denied', verdict, `${JSON.stringify({ allow, deny, daemon, address })}`);
      }
    } finally {
      directory.remove();
    }
  }, 30_000),
);

test.run();
