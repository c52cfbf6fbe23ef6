import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { formatLogRecord, type LogRecord, type Logger } from '@tunnel/core';

/** Where log lines go, as stunnel's global options `syslog`, `output`, `log` and `foreground` say. */
export interface LogSinkOptions {
  /** `foreground = yes` also writes to stderr (`quiet` does not). */
  readonly stderr: boolean;
  /** `output = FILE`. */
  readonly output?: string | undefined;
  /** `log = append | overwrite` for `output`. */
  readonly mode: 'append' | 'overwrite';
  /** `syslog = yes`: the local syslog through the system's `logger` program. */
  readonly syslog: boolean;
  /** `service =`: the syslog ident. */
  readonly ident: string;
  /** The facility of `debug = FACILITY.LEVEL`. */
  readonly facility: string;
  /** The syslog socket; default the system's (/dev/log). `TUNNEL_SYSLOG_SOCKET` sets it from the environment. */
  readonly syslogSocket?: string | undefined;
}

/** The running log destinations. */
export interface LogSinks extends Logger {
  /** SIGUSR1: close and reopen the output file (log rotation); `log = overwrite` truncates again, as stunnel does. */
  reopen(): void;
  close(): Promise<void>;
}

const FACILITIES: Readonly<Record<string, number>> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

/** The syslog PRI value of a record: facility × 8 + severity (RFC 5424 §6.2.1). */
export function syslogPriority(facility: string, level: number): number {
  return (FACILITIES[facility] ?? FACILITIES.daemon ?? 3) * 8 + level;
}

/**
 * Opens the configured destinations. Syslog goes through one long-lived
 * `logger --prio-prefix` child (util-linux, on every Debian system): Node has
 * no Unix datagram sockets, and the child keeps /dev/log handling, ident and
 * pid tagging exactly as the system's syslog expects.
 */
export function openLogSinks(options: LogSinkOptions): LogSinks {
  let file: WriteStream | undefined;
  const openFile = (mode: 'append' | 'overwrite') => {
    if (options.output === undefined) return;
    file = createWriteStream(options.output, { flags: mode === 'overwrite' ? 'w' : 'a' });
    file.on('error', (error) => process.stderr.write(`tunnel: cannot write the log file ${options.output}: ${error.message}\n`));
  };
  openFile(options.mode);

  let syslog: ChildProcess | undefined;
  if (options.syslog) {
    const socket = options.syslogSocket === undefined ? [] : ['-u', options.syslogSocket];
    syslog = spawn('logger', ['--prio-prefix', '--socket-errors=off', ...socket, '-t', options.ident, `--id=${process.pid}`], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    syslog.on('error', (error) => {
      process.stderr.write(`tunnel: syslog is unavailable (the logger program failed: ${error.message}); use output = FILE\n`);
      syslog = undefined;
    });
    syslog.stdin?.on('error', () => {});
  }

  return {
    write(record: LogRecord) {
      const line = `${formatLogRecord(record)}\n`;
      if (options.stderr) process.stderr.write(line);
      file?.write(line);
      if (syslog?.stdin?.writable) {
        const id = record.id === undefined ? 'ui' : record.id;
        syslog.stdin.write(
          `<${syslogPriority(options.facility, record.level)}>LOG${record.level}[${id}]: ${record.message.replace(/\n/g, ' ')}\n`,
        );
      }
    },
    reopen() {
      const old = file;
      openFile(options.mode);
      old?.end();
    },
    async close() {
      const closing: Promise<unknown>[] = [];
      if (file !== undefined) {
        const current = file;
        closing.push(new Promise((resolve) => current.end(resolve)));
      }
      if (syslog?.stdin) {
        const child = syslog;
        closing.push(new Promise((resolve) => child.once('exit', resolve)));
        child.stdin?.end();
      }
      await Promise.all(closing);
    },
  };
}
