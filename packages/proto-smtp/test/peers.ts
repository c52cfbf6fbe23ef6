import { spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { listen, type Pki, type RunningProcess, run, startProcess, which } from '@tunnel/testkit';

/** A port that was free a moment ago (real servers need a number in their config). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls until `port` accepts connections. */
export async function waitForPort(port: number, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} never opened`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Dovecot {
  readonly process: RunningProcess;
  /** The SASL socket postfix authenticates through. */
  readonly authSocket: string;
  readonly imapPort: number;
  readonly pop3Port: number;
  stop(): Promise<void>;
}

/** Starts a private dovecot (user `user`, password `pass`) in `dir`, plaintext IMAP/POP3 with STARTTLS/STLS on fresh ports. */
export async function startDovecot(dir: string, pki: Pki): Promise<Dovecot> {
  const bin = await which('dovecot');
  if (bin === undefined) throw new Error('dovecot is not installed (see ci/apt.txt)');
  const base = join(dir, 'dovecot');
  for (const sub of ['run', 'state', 'mail']) mkdirSync(join(base, sub), { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(base, 0o755);
  chmodSync(join(base, 'mail'), 0o777);
  writeFileSync(join(base, 'users'), 'user:{PLAIN}pass::::::\n');
  const imapPort = await freePort();
  const pop3Port = await freePort();
  const config = join(base, 'dovecot.conf');
  writeFileSync(
    config,
    `base_dir = ${base}/run
state_dir = ${base}/state
log_path = /dev/stderr
protocols = imap pop3
listen = 127.0.0.1
ssl = yes
ssl_cert = <${pki.cert('server')}
ssl_key = <${pki.key('server')}
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${base}/users
}
userdb {
  driver = static
  args = uid=65534 gid=65534 home=${base}/mail/%u
}
mail_location = maildir:${base}/mail/%u
service imap-login {
  inet_listener imap {
    port = ${imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    port = ${pop3Port}
  }
  inet_listener pop3s {
    port = 0
  }
}
service auth {
  unix_listener auth-client {
    mode = 0666
  }
}
`,
  );
  const process = startProcess(bin, ['-F', '-c', config]);
  await waitForPort(imapPort);
  await waitForPort(pop3Port);
  return { process, authSocket: join(base, 'run', 'auth-client'), imapPort, pop3Port, stop: () => process.stop() };
}

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
