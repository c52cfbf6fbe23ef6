import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { AccessList, AccessPattern, AccessRule } from './rules.js';

/** What is known about the client when the tables are evaluated. */
export interface AccessClient {
  /** The client's IP address (IPv4-mapped IPv6 addresses are treated as IPv4). */
  readonly address: string;
  /** Its forward-confirmed host name, or undefined when unknown (no PTR, lookup failed, or PARANOID). */
  readonly hostname: string | undefined;
  /** True when the reverse name's forward lookup does not lead back to the address (hosts_access PARANOID). */
  readonly paranoid: boolean;
}

/** The outcome of {@link evaluateAccess}: which rule decided, if any. */
export interface AccessDecision {
  readonly allowed: boolean;
  /** The rule that matched; undefined when no rule matched (access is then granted, hosts_access(5)). */
  readonly rule: AccessRule | undefined;
}

/** Unmaps `::ffff:a.b.c.d` so IPv4 patterns apply to IPv4 clients of dual-stack listeners. */
export function normalizeAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIPv4(lower.slice(7)) ? lower.slice(7) : lower;
}

function ipv4Number(address: string): number {
  return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

/** True when a pattern token looks like (part of) a numeric address: libwrap's NOT_INADDR test. */
function addressLike(text: string): boolean {
  return /^[\d.]+$/.test(text);
}

function wildcardMatch(pattern: string, text: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 'i').test(text);
}

/** libwrap's string_match: `.suffix`, `prefix.`, wildcards, or equality, all case-insensitive. */
export function stringMatch(pattern: string, text: string): boolean {
  const lower = text.toLowerCase();
  if (/[*?]/.test(pattern)) return wildcardMatch(pattern, lower);
  if (pattern.startsWith('.')) return lower.endsWith(pattern);
  if (pattern.endsWith('.')) return lower.startsWith(pattern);
  return pattern === lower;
}

function daemonMatch(pattern: AccessPattern, daemon: string): boolean {
  if (pattern.kind === 'keyword') return pattern.keyword === 'ALL';
  return pattern.kind === 'string' && stringMatch(pattern.text, daemon);
}

function hostMatch(pattern: AccessPattern, client: AccessClient): boolean {
  const known = client.hostname !== undefined;
  switch (pattern.kind) {
    case 'keyword':
      switch (pattern.keyword) {
        case 'ALL':
          return true;
        case 'LOCAL':
          return known && !(client.hostname as string).includes('.');
        case 'KNOWN':
          return known;
        case 'UNKNOWN':
          return !known;
        case 'PARANOID':
          return client.paranoid;
      }
      return false;
    case 'ipv4-mask':
      return isIPv4(client.address) && (ipv4Number(client.address) & pattern.mask) >>> 0 === pattern.net;
    case 'ipv6-prefix': {
      if (!isIPv6(client.address)) return false;
      const list = new BlockList();
      list.addSubnet(pattern.address, pattern.prefix, 'ipv6');
      return list.check(client.address, 'ipv6');
    }
    case 'string':
      // The address is always tried; the host name only for patterns that do not look numeric (libwrap host_match).
      return (
        stringMatch(pattern.text, client.address) ||
        (known && !addressLike(pattern.text) && stringMatch(pattern.text, client.hostname as string))
      );
  }
}

function listMatch(list: AccessList, matches: (pattern: AccessPattern) => boolean): boolean {
  return list.patterns.some(matches) && !(list.except !== undefined && listMatch(list.except, matches));
}

/** True when `rule` applies to this daemon and client. */
export function ruleMatches(rule: AccessRule, daemon: string, client: AccessClient): boolean {
  const normalized = { ...client, address: normalizeAddress(client.address) };
  return (
    listMatch(rule.daemons, (pattern) => daemonMatch(pattern, daemon)) &&
    listMatch(rule.clients, (pattern) => hostMatch(pattern, normalized))
  );
}

/**
 * hosts_access(5): the first matching rule of hosts.allow grants access (or denies it with the
 * `deny` option); otherwise the first matching rule of hosts.deny denies it (or grants it with
 * `allow`); otherwise access is granted. Pure: the caller supplies the host name facts.
 */
export function evaluateAccess(
  tables: { readonly allow: readonly AccessRule[]; readonly deny: readonly AccessRule[] },
  daemon: string,
  client: AccessClient,
): AccessDecision {
  for (const rule of tables.allow) {
    if (ruleMatches(rule, daemon, client)) return { allowed: rule.verdict !== 'deny', rule };
  }
  for (const rule of tables.deny) {
    if (ruleMatches(rule, daemon, client)) return { allowed: rule.verdict === 'allow', rule };
  }
  return { allowed: true, rule: undefined };
}

function patternNeedsHostname(pattern: AccessPattern): boolean {
  if (pattern.kind === 'keyword') return pattern.keyword !== 'ALL';
  return pattern.kind === 'string' && !addressLike(pattern.text);
}

function listNeedsHostname(list: AccessList | undefined): boolean {
  return list !== undefined && (list.patterns.some(patternNeedsHostname) || listNeedsHostname(list.except));
}

/** True when evaluating the rules for `daemon` may consult the client's host name, so a lookup is worth doing. */
export function needsHostname(rules: readonly AccessRule[], daemon: string): boolean {
  return rules.some((rule) => listMatch(rule.daemons, (pattern) => daemonMatch(pattern, daemon)) && listNeedsHostname(rule.clients));
}
