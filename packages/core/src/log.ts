import type { Writable } from 'node:stream';
import type { LogLevel, LogRecord, Logger } from './types.js';

const pad = (value: number) => String(value).padStart(2, '0');

/**
 * Renders a record as stunnel does: `YYYY.MM.DD HH:MM:SS LOG5[id]: message`
 * (local time; `[id]` is omitted for messages about no connection, as
 * stunnel's `LOG5[ui]` lines have no connection number).
 */
export function formatLogRecord(record: LogRecord): string {
  const t = record.time;
  const date = `${t.getFullYear()}.${pad(t.getMonth() + 1)}.${pad(t.getDate())}`;
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
  const id = record.id === undefined ? 'ui' : record.id;
  return `${date} ${time} LOG${record.level}[${id}]: ${record.message}`;
}

/** A sink that writes formatted lines to a stream the application opened (stderr, a log file). */
export function createStreamLogger(stream: Writable): Logger {
  return { write: (record) => void stream.write(`${formatLogRecord(record)}\n`) };
}

/** Syslog level names accepted by `debug =`, lower case, by number. */
export const LOG_LEVEL_NAMES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** A logger bound to one service (and optionally one connection) that drops records above the service's `debug` level. */
export interface BoundLog {
  readonly level: LogLevel;
  log(level: LogLevel, message: string, code?: string): void;
  error(message: string, code?: string): void;
  warning(message: string): void;
  notice(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  enabled(level: LogLevel): boolean;
}

/** Binds a sink to a service and connection id, filtering by `level`. */
export function bindLog(logger: Logger | undefined, level: LogLevel, service: string | undefined, id: string | undefined): BoundLog {
  const log = (at: LogLevel, message: string, code?: string) => {
    if (logger === undefined || at > level) return;
    logger.write({ level: at, time: new Date(), id, service, message, code });
  };
  return {
    level,
    log,
    error: (message, code) => log(3, message, code),
    warning: (message) => log(4, message),
    notice: (message) => log(5, message),
    info: (message) => log(6, message),
    debug: (message) => log(7, message),
    enabled: (at) => logger !== undefined && at <= level,
  };
}
