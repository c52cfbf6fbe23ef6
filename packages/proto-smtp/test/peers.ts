import { spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type Pki, run, waitForPort, which } from '@tunnel/testkit';

export { type Dovecot, freePort, startDovecot, waitForPort } from '@tunnel/testkit';

/** A private postfix instance. */
export interface Postfix {
  readonly port: number;
  /** A plaintext-only smtpd that offers AUTH without TLS: the upstream behind a server-mode tunnel. */
  readonly plainPort: number;
  /** What postfix logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts a private postfix instance (`postfix -c <dir> start-fg`): one smtpd on
 * 127.0.0.1:<fresh port> offering STARTTLS with the test certificate and SASL
 * AUTH through dovecot, only after TLS (smtpd_tls_auth_only).
 */
export async function startPostfix(dir: string, pki: Pki, saslPath: string): Promise<Postfix> {
  const bin = await which('postfix');
  if (bin === undefined) throw new Error('postfix is not installed (see ci/apt.txt)');
  const base = join(dir, 'postfix');
  mkdirSync(join(base, 'queue'), { recursive: true });
  mkdirSync(join(base, 'data'), { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(base, 0o755);
  const uid = Number((await run('id', ['-u', 'postfix'])).trim());
  chownSync(join(base, 'data'), uid, -1);
  const port = await freePort();
  const plainPort = await freePort();
  writeFileSync(
    join(base, 'main.cf'),
    `compatibility_level = 3.6
queue_directory = ${base}/queue
data_directory = ${base}/data
mail_owner = postfix
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.example
mydestination =
local_recipient_maps =
mynetworks = 127.0.0.0/8
maillog_file = /dev/stdout
smtpd_tls_cert_file = ${pki.cert('server')}
smtpd_tls_key_file = ${pki.key('server')}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = ${saslPath}
`,
  );
  writeFileSync(
    join(base, 'master.cf'),
    `127.0.0.1:${port} inet n - n - - smtpd
127.0.0.1:${plainPort} inet n - n - - smtpd -o smtpd_tls_security_level=none -o smtpd_tls_auth_only=no
anvil unix - - n - 1 anvil
postlog unix-dgram n - n - 1 postlogd
proxymap unix - - n - - proxymap
tlsmgr unix - - n 1000? 1 tlsmgr
`,
  );
  // postfix logs nothing when its stdout is a pipe, so it writes to a file we poll.
  const logFile = join(base, 'postfix.log');
  const fd = openSync(logFile, 'w');
  const child = spawn(bin, ['-c', base, 'start-fg'], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const log = () => readFileSync(logFile, 'utf8');
  const deadline = Date.now() + 20_000;
  while (!/daemon started/.test(log())) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`postfix did not start:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await waitForPort(port);
  await waitForPort(plainPort);
  return {
    port,
    plainPort,
    log,
    stop: async () => {
      await run(bin, ['-c', base, 'stop'], { timeoutMs: 10_000 }).catch(() => {});
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
