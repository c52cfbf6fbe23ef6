import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { formatLogRecord, LOG_LEVEL_NAMES, type LogLevel, type LogRecord, type Logger } from '@tunnel/core';

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
  /** `logFormat =`: stunnel's text lines (default) or one JSON object per line. */
  readonly format?: 'text' | 'json' | undefined;
  /** Fields added to every JSON line (a cluster worker adds `worker`). */
  readonly fields?: Readonly<Record<string, unknown>> | undefined;
}

/** A structured event for the JSON log (connection open/close, TLS handshake, failures); text logs skip it (core logs its own line). */
export interface LogEvent {
  readonly level: LogLevel;
  /** `connection.open`, `connection.close`, `tls.handshake`, `tls.failure`, `connection.refused`. */
  readonly event: string;
  readonly service: string | undefined;
  readonly id: string | undefined;
  readonly message: string;
  readonly code?: string | undefined;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** The running log destinations. */
export interface LogSinks extends Logger {
  /** SIGUSR1: close and reopen the output file (log rotation); `log = overwrite` truncates again, as stunnel does. */
  reopen(): void;
  close(): Promise<void>;
  /** Whether structured events are written (JSON format): callers skip building them otherwise. */
  readonly structured: boolean;
  /** Writes a structured event (JSON format only). */
  event(event: LogEvent): void;
}

/**
 * One JSON log line. Field order is fixed (time, level, severity, service, id, event, message, code, then the
 * event's own fields) so lines diff and grep well; absent values are left out rather than written as null.
 */
export function formatJsonLine(record: LogRecord | (LogEvent & { time: Date }), extra: Readonly<Record<string, unknown>> = {}): string {
  const out: Record<string, unknown> = {
    time: record.time.toISOString(),
    level: LOG_LEVEL_NAMES[record.level] ?? String(record.level),
    severity: record.level,
    ...extra,
  };
  if (record.service !== undefined) out.service = record.service;
  if (record.id !== undefined) out.id = record.id;
  if ('event' in record) out.event = record.event;
  out.message = record.message;
  if (record.code !== undefined) out.code = record.code;
  if ('fields' in record) for (const [key, value] of Object.entries(record.fields)) if (value !== undefined) out[key] = value;
  return JSON.stringify(out);
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

  const json = options.format === 'json';
  const fields = options.fields ?? {};
  const emit = (level: number, line: string, syslogLine: string) => {
    if (options.stderr) process.stderr.write(line);
    file?.write(line);
    if (syslog?.stdin?.writable) syslog.stdin.write(`<${syslogPriority(options.facility, level)}>${syslogLine}\n`);
  };

  return {
    structured: json,
    write(record: LogRecord) {
      if (json) {
        // JSON.stringify escapes line feeds, so one record is always one line, also for syslog.
        const line = formatJsonLine(record, fields);
        emit(record.level, `${line}\n`, line);
        return;
      }
      const id = record.id === undefined ? 'ui' : record.id;
      emit(record.level, `${formatLogRecord(record)}\n`, `LOG${record.level}[${id}]: ${record.message.replace(/\n/g, ' ')}`);
    },
    event(event: LogEvent) {
      if (!json) return;
      const line = formatJsonLine({ ...event, time: new Date() }, fields);
      emit(event.level, `${line}\n`, line);
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
