import { createHash, setFips } from 'node:crypto';
import { chownSync } from 'node:fs';
import type { Config, Location } from '@tunnel/config-parser';
import type { LogLevel } from '@tunnel/core';
import { resolveGroup, resolveUser } from '@tunnel/os';
import type { BuiltService } from './build-services.js';
import { OPTION_STATUS, refusalOf } from './option-status.js';
import { SetupError, type SetupIssue } from './setup-error.js';

/** Where a global option was written; the parser records it per option. */
function locate(config: Config, option: string): Location {
  return config.globals.locations[option] ?? { file: config.files[0] ?? 'configuration', line: 1 };
}

/** Global options this build refuses (see option-status.ts), each with file:line. */
export function globalRefusals(config: Config): SetupIssue[] {
  const issues: SetupIssue[] = [];
  for (const [option, where] of Object.entries(config.globals.locations)) {
    const why = refusalOf(option, (config.globals as unknown as Record<string, unknown>)[option]);
    if (why !== undefined) issues.push({ code: 'ERR_TUNNEL_OPTION_REFUSED', file: where.file, line: where.line, option, message: why });
  }
  return issues;
}

/** The written options whose mechanism differs from stunnel's, with the note a log reader needs (logged once at start). */
export function replacedOptionNotices(config: Config): string[] {
  const written = [...Object.keys(config.globals.locations), ...config.services.flatMap((service) => Object.keys(service.locations))];
  return [...new Set(written)].flatMap((option) => {
    const status = OPTION_STATUS[option];
    return status?.state === 'replaced' ? [`${option}: replaced: ${status.note}`] : [];
  });
}

/**
 * Carries out the global options that act once at start-up, before any
 * listener (`fips`), and logs a notice for each written option whose
 * mechanism is replaced.
 */
export function applyGlobalEffects(config: Config, say: (level: LogLevel, message: string) => void): void {
  for (const notice of replacedOptionNotices(config)) say(5, notice);
  const { globals } = config;
  if (globals.fips) {
    try {
      setFips(true);
      // Node's official builds accept setFips(true) without a FIPS provider and then fail every digest
      // ("digital envelope routines::unsupported"): probe once, and go back rather than run crippled.
      createHash('sha256').update('fips').digest();
    } catch (error) {
      try {
        setFips(false);
      } catch {}
      const where = locate(config, 'fips');
      const message = `FIPS mode is not available in this Node.js/OpenSSL build (${(error as Error).message})`;
      throw new SetupError([{ code: 'ERR_TUNNEL_FIPS_UNAVAILABLE', file: where.file, line: where.line, option: 'fips', message }]);
    }
  }
}

/**
 * Service-level `setuid`/`setgid`: the owner and group of the service's Unix
 * accept sockets, set once they exist (global `setuid`/`setgid` are the
 * process's own, dropped after binding).
 */
export function applySocketOwnership(services: readonly BuiltService[]): void {
  for (const { config, options } of services) {
    if (config.setuid === undefined && config.setgid === undefined) continue;
    const uid = config.setuid === undefined ? -1 : resolveUser(config.setuid);
    const gid = config.setgid === undefined ? -1 : resolveGroup(config.setgid);
    for (const address of options.accept) {
      if ('path' in address) chownSync(address.path, uid, gid);
    }
  }
}
