import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { listen } from './net.js';
import type { Pki } from './pki.js';
import { type RunningProcess, startProcess, which } from './process.js';

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
