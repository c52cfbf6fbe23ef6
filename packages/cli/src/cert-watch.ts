/**
 * `certReload = yes | SECONDS` (tunnel extension): watches the certificate, key, CAfile and CRLfile of the
 * running configuration and, when one changes, rebuilds the services from the configuration already in force
 * (not the file on disk: that is SIGHUP's job) and hands them to `tunnel.reload`, which keeps the listeners
 * and the connections in flight. A file that cannot be used is logged with the reason and the running
 * certificates stay in force; the next change is tried again.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Config, ServiceConfig } from '@tunnel/config-parser';
import type { LogLevel } from '@tunnel/core';
import type { ConfigSource } from './args.js';
import { BUILTIN_PROTOCOLS } from './builtins.js';
import { buildServices } from './build-services.js';
import { checkKeyPair } from './config-test.js';
import { resolveProtocol } from './resolve-protocol.js';
import type { Prepared } from './run.js';
import { createServiceVerifier } from './verifier.js';

/** The files of one service that `certReload` watches. */
export function watchedFiles(service: ServiceConfig): string[] {
  return [service.cert, service.key, service.CAfile, service.CRLfile].filter((path): path is string => path !== undefined);
}

/** A content fingerprint: modification times can stay equal across a quick replace, the bytes cannot. */
function fingerprint(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch (error) {
    return `unreadable: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
  }
}

/** Builds the services of an already parsed configuration again (fresh certificate, key, CA and CRL contents). */
export async function rebuild(config: Config, source: ConfigSource): Promise<Prepared> {
  const baseDir = source.kind === 'file' ? dirname(source.path) : process.cwd();
  const services = await buildServices(config, {
    readFile: (path) => readFileSync(path),
    resolveProtocol: (protocol) =>
      resolveProtocol(protocol, { builtins: BUILTIN_PROTOCOLS, searchFrom: [baseDir, process.cwd()], baseDir }),
    createVerifier: createServiceVerifier,
  });
  return { config, services };
}

/** What the watcher needs from the running tunnel. */
export interface CertWatchOptions {
  readonly source: ConfigSource;
  /** The configuration in force (it changes on SIGHUP). */
  current(): Prepared;
  /** Puts rebuilt services in force (tunnel.reload) and records them as current; rejects when they cannot be used. */
  apply(next: Prepared): Promise<void>;
  say(level: LogLevel, message: string): void;
}

/** A running watcher. */
export interface CertWatch {
  /** Compares the files now (the timer calls it); resolves once any reload it started is done. */
  check(): Promise<void>;
  stop(): void;
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  return code === undefined || message.includes(code) ? message : `${message} (${code})`;
}

/**
 * Starts watching when any service of the configuration at start sets `certReload`; the interval is the
 * smallest `certReload` of them (read once: a SIGHUP changes which files are watched, not the interval).
 * Returns undefined when no service asks for it.
 */
export function startCertWatch(options: CertWatchOptions): CertWatch | undefined {
  const intervals = options
    .current()
    .config.services.map((service) => service.certReload)
    .filter((seconds): seconds is number => seconds !== undefined);
  if (intervals.length === 0) return undefined;
  const seen = new Map<string, string>();
  const files = () => [
    ...new Set(options.current().config.services.flatMap((service) => (service.certReload === undefined ? [] : watchedFiles(service)))),
  ];
  for (const path of files()) seen.set(path, fingerprint(path));
  let running: Promise<void> | undefined;

  const reloadFor = async (changed: string[]) => {
    const current = options.current();
    const affected = current.config.services.filter((service) => watchedFiles(service).some((path) => changed.includes(path)));
    const names = affected.map((service) => `[${service.name}]`).join(', ');
    try {
      const next = await rebuild(current.config, options.source);
      // Core would refuse a mismatched pair too, but with OpenSSL's words; say which file and why.
      for (const { options: built, config } of next.services) {
        const { issue } = checkKeyPair(built, { file: config.location.file, line: config.location.line, option: 'cert' });
        if (issue !== undefined) throw Object.assign(new Error(`[${config.name}]: ${issue.message}`), { code: issue.code });
      }
      await options.apply(next);
      options.say(5, `certReload: ${changed.join(', ')} changed; service(s) ${names} now use the new files`);
    } catch (error) {
      options.say(
        3,
        `certReload: ${changed.join(', ')} changed but cannot be used; service(s) ${names} keep the running certificates: ${reasonOf(error)}`,
      );
    }
  };

  const check = (): Promise<void> => {
    if (running !== undefined) return running;
    const changed: string[] = [];
    for (const path of files()) {
      const now = fingerprint(path);
      const before = seen.get(path);
      // A path first seen here came with a SIGHUP reload, which already loaded it.
      if (before !== undefined && before !== now) changed.push(path);
      seen.set(path, now);
    }
    if (changed.length === 0) return Promise.resolve();
    running = reloadFor(changed).finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => void check(), Math.min(...intervals) * 1000);
  timer.unref();
  return {
    check,
    stop: () => clearInterval(timer),
  };
}
