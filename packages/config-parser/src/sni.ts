import type { Finding } from './check-service.js';
import type { Location, ServiceConfig, SniConfig } from './types.js';
import { quote } from './values.js';

/** One `sni = ...` line of a section, as written. */
export interface SniLine {
  raw: string;
  location: Location;
}

/**
 * Decide a service's `sni` once the whole section is known, because `client` may come after it (spec "sni"):
 * client mode takes the server name to send (the last line wins; empty means none); server mode takes
 * SERVICE_NAME:SERVER_NAME_PATTERN naming a primary service defined earlier, not in client mode, and may repeat.
 * Sets `service.sni` and returns the problems found.
 */
export function resolveSni(service: ServiceConfig, lines: readonly SniLine[], earlier: readonly ServiceConfig[]): Finding[] {
  const last = lines.at(-1);
  if (last === undefined) return [];
  if (service.client) {
    service.sni = { kind: 'client', name: last.raw };
    return [];
  }
  const findings: Finding[] = [];
  const refuse = (line: SniLine, message: string): void => {
    findings.push({ code: 'ERR_TUNNEL_CONFIG_SNI', location: line.location, option: 'sni', message });
  };
  let sni: SniConfig | undefined;
  for (const line of lines) {
    const colon = line.raw.indexOf(':');
    if (colon <= 0) {
      refuse(line, 'in server mode the value must be SERVICE_NAME:SERVER_NAME_PATTERN');
      continue;
    }
    const parent = line.raw.slice(0, colon);
    const pattern = line.raw.slice(colon + 1);
    // stunnel looks the primary up among the sections read so far, by exact (case-sensitive) name.
    const primary = earlier.find((candidate) => candidate.name === parent);
    if (primary === undefined) refuse(line, `primary service [${quote(parent).slice(1, -1)}] is not defined before this section`);
    else if (primary.client) refuse(line, `primary service [${quote(parent).slice(1, -1)}] is in client mode`);
    else if (sni === undefined) sni = { kind: 'slave', parent, pattern, patterns: [pattern] };
    else if (sni.kind === 'slave' && sni.parent === parent) sni.patterns.push(pattern);
    else refuse(line, 'all sni lines of a section must name the same primary service');
  }
  if (sni !== undefined) service.sni = sni;
  return findings;
}
