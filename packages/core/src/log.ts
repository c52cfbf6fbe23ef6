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

/**
 * One object per binding with its methods on the prototype: a connection binds a log once or twice, and eight
 * closures each time were a measurable share of the per-connection allocations (bench: heap per idle connection).
 */
class Bound implements BoundLog {
  constructor(
    private readonly logger: Logger | undefined,
    readonly level: LogLevel,
    private readonly service: string | undefined,
    private readonly id: string | undefined,
  ) {}
  log(at: LogLevel, message: string, code?: string): void {
    if (this.logger === undefined || at > this.level) return;
    this.logger.write({ level: at, time: new Date(), id: this.id, service: this.service, message, code });
  }
  error(message: string, code?: string): void {
    this.log(3, message, code);
  }
  warning(message: string): void {
    this.log(4, message);
  }
  notice(message: string): void {
    this.log(5, message);
  }
  info(message: string): void {
    this.log(6, message);
  }
  debug(message: string): void {
    this.log(7, message);
  }
  enabled(at: LogLevel): boolean {
    return this.logger !== undefined && at <= this.level;
  }
}

/** Binds a sink to a service and connection id, filtering by `level`. */
export function bindLog(logger: Logger | undefined, level: LogLevel, service: string | undefined, id: string | undefined): BoundLog {
  return new Bound(logger, level, service, id);
}
