import { isIPv4, isIPv6 } from 'node:net';
import { AccessError } from './errors.js';
import type { AccessKeyword, AccessList, AccessPattern, AccessRule } from './rules.js';

/** Bounds for untrusted table files. */
export const limits = { maxFileBytes: 1024 * 1024, maxLineLength: 16 * 1024, maxRules: 10_000, maxPatternsPerList: 1024 } as const;

const keywords = new Set<string>(['ALL', 'LOCAL', 'KNOWN', 'UNKNOWN', 'PARANOID']);

// hosts_options(5) keywords we recognise so the refusal can name them precisely.
const otherOptions = new Set([
  'severity',
  'spawn',
  'twist',
  'keepalive',
  'linger',
  'rfc931',
  'banners',
  'nice',
  'setenv',
  'umask',
  'user',
  'group',
]);

interface Where {
  readonly file: string;
  readonly line: number;
}

function fail(code: 'ERR_TUNNEL_ACCESS_SYNTAX' | 'ERR_TUNNEL_ACCESS_UNSUPPORTED', message: string, where: Where): never {
  throw new AccessError(code, message, where);
}

/** Joins backslash-continued lines (the backslash and newline vanish, as in libwrap) and keeps the first line number. */
function logicalLines(text: string, file: string): { text: string; line: number }[] {
  const physical = text.split('\n');
  const result: { text: string; line: number }[] = [];
  let current = '';
  let start = 0;
  physical.forEach((raw, index) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (current === '') start = index + 1;
    if (line.endsWith('\\')) {
      current += line.slice(0, -1);
    } else {
      result.push({ text: current + line, line: start });
      current = '';
    }
    if (current.length > limits.maxLineLength) {
      throw new AccessError('ERR_TUNNEL_ACCESS_TOO_LARGE', `line longer than ${limits.maxLineLength} characters`, { file, line: start });
    }
  });
  if (current !== '') result.push({ text: current, line: start });
  return result;
}

/** Splits at ':' outside `[...]`, so IPv6 patterns keep their colons. */
function splitFields(text: string): string[] {
  const fields: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of text) {
    if (char === '[') depth += 1;
    else if (char === ']') depth = Math.max(0, depth - 1);
    if (char === ':' && depth === 0) {
      fields.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  fields.push(current);
  return fields;
}

function dottedQuad(text: string): number | undefined {
  if (!isIPv4(text)) return undefined;
  return text.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

function clientPattern(token: string, where: Where): AccessPattern {
  const upper = token.toUpperCase();
  if (keywords.has(upper)) return { kind: 'keyword', keyword: upper as AccessKeyword };
  if (token.startsWith('@'))
    fail(
      'ERR_TUNNEL_ACCESS_UNSUPPORTED',
      `NIS netgroup pattern ${token} is not supported (no NIS on this host); list the hosts instead`,
      where,
    );
  if (token.includes('@'))
    fail(
      'ERR_TUNNEL_ACCESS_UNSUPPORTED',
      `user@host pattern ${token} is not supported (it needs an ident lookup); use the ident option instead`,
      where,
    );
  if (token.startsWith('/'))
    fail('ERR_TUNNEL_ACCESS_UNSUPPORTED', `file name pattern ${token} is not supported; list the patterns in the table itself`, where);
  if (token.startsWith('[')) {
    const match = /^\[([^\]]+)\](?:\/(\d{1,3}))?$/.exec(token);
    const address = match?.[1];
    const prefix = match?.[2] === undefined ? 128 : Number(match[2]);
    if (address === undefined || !isIPv6(address) || prefix > 128)
      fail('ERR_TUNNEL_ACCESS_SYNTAX', `bad IPv6 pattern ${token}: expected [address] or [address]/prefix`, where);
    return { kind: 'ipv6-prefix', address, prefix, text: token };
  }
  const slash = token.indexOf('/');
  if (slash >= 0) {
    const net = dottedQuad(token.slice(0, slash));
    const maskText = token.slice(slash + 1);
    let mask =
      /^\d{1,2}$/.test(maskText) && Number(maskText) <= 32
        ? Number(maskText) === 0
          ? 0
          : (0xffffffff << (32 - Number(maskText))) >>> 0
        : dottedQuad(maskText);
    if (net === undefined || mask === undefined)
      fail('ERR_TUNNEL_ACCESS_SYNTAX', `bad net/mask pattern ${token}: expected n.n.n.n/m.m.m.m or n.n.n.n/len`, where);
    mask >>>= 0;
    // A net with bits outside its mask can never match (libwrap compares address & mask with net): say so now.
    if ((net & ~mask) >>> 0 !== 0)
      fail('ERR_TUNNEL_ACCESS_SYNTAX', `net/mask pattern ${token} has address bits outside the mask, so it can never match`, where);
    return { kind: 'ipv4-mask', net, mask, text: token };
  }
  return stringPattern(token, where);
}

function stringPattern(token: string, where: Where): AccessPattern {
  if (/[*?]/.test(token) && (token.startsWith('.') || token.endsWith('.'))) {
    fail('ERR_TUNNEL_ACCESS_SYNTAX', `wildcard pattern ${token} cannot also be a .suffix or prefix. pattern (hosts_access(5))`, where);
  }
  return { kind: 'string', text: token.toLowerCase() };
}

function daemonPattern(token: string, where: Where): AccessPattern {
  if (token.toUpperCase() === 'ALL') return { kind: 'keyword', keyword: 'ALL' };
  if (token.includes('@')) {
    fail(
      'ERR_TUNNEL_ACCESS_UNSUPPORTED',
      `daemon pattern ${token} is not supported (daemon@host and netgroups select server addresses; use one service per accept address)`,
      where,
    );
  }
  return stringPattern(token, where);
}

function parseList(text: string, pattern: (token: string, where: Where) => AccessPattern, what: string, where: Where): AccessList {
  const tokens = text.split(/[\s,]+/).filter((token) => token !== '');
  if (tokens.length > limits.maxPatternsPerList)
    throw new AccessError('ERR_TUNNEL_ACCESS_TOO_LARGE', `more than ${limits.maxPatternsPerList} patterns in one list`, where);
  const build = (from: number): AccessList => {
    const patterns: AccessPattern[] = [];
    for (let index = from; index < tokens.length; index += 1) {
      const token = tokens[index] as string;
      if (token.toUpperCase() === 'EXCEPT') {
        if (patterns.length === 0 || index === tokens.length - 1)
          fail('ERR_TUNNEL_ACCESS_SYNTAX', `EXCEPT needs patterns on both sides in the ${what} list`, where);
        return { patterns, except: build(index + 1) };
      }
      patterns.push(pattern(token, where));
    }
    if (patterns.length === 0) fail('ERR_TUNNEL_ACCESS_SYNTAX', `empty ${what} list`, where);
    return { patterns, except: undefined };
  };
  return build(0);
}

function parseVerdict(fields: readonly string[], where: Where): 'allow' | 'deny' | undefined {
  let verdict: 'allow' | 'deny' | undefined;
  for (const [index, raw] of fields.entries()) {
    const option = raw.trim();
    const name = option.split(/[\s=]/)[0]?.toLowerCase() ?? '';
    if (name === 'allow' || name === 'deny') {
      if (option.toLowerCase() !== name) fail('ERR_TUNNEL_ACCESS_SYNTAX', `option ${name} takes no value`, where);
      if (index !== fields.length - 1)
        fail('ERR_TUNNEL_ACCESS_SYNTAX', `option ${name} must be the last field of the rule (hosts_options(5))`, where);
      verdict = name;
    } else if (otherOptions.has(name)) {
      fail(
        'ERR_TUNNEL_ACCESS_UNSUPPORTED',
        `option "${name}" is not supported: only allow and deny are (tunnel runs no commands and changes no process settings per connection)`,
        where,
      );
    } else {
      fail(
        'ERR_TUNNEL_ACCESS_UNSUPPORTED',
        `shell command ${JSON.stringify(option)} is not run: tunnel supports only the allow and deny options in the third field`,
        where,
      );
    }
  }
  return verdict;
}

/**
 * Parses a hosts.allow / hosts.deny table (hosts_access(5), with the hosts_options(5) `allow`/`deny`
 * option form). Pure: no I/O, no DNS. Anything tunnel cannot evaluate faithfully (netgroups,
 * daemon@host, user@host, file patterns, shell commands, other options) is refused with
 * `ERR_TUNNEL_ACCESS_UNSUPPORTED` and the file and line, rather than being skipped.
 */
export function parseHostsTable(text: string, file = '<table>'): AccessRule[] {
  if (Buffer.byteLength(text) > limits.maxFileBytes)
    throw new AccessError('ERR_TUNNEL_ACCESS_TOO_LARGE', `table larger than ${limits.maxFileBytes} bytes`, { file });
  const rules: AccessRule[] = [];
  for (const { text: line, line: number } of logicalLines(text, file)) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const where = { file, line: number };
    const fields = splitFields(line);
    if (fields.length < 2)
      fail('ERR_TUNNEL_ACCESS_SYNTAX', 'missing ":" separator (expected daemon_list : client_list [ : option ])', where);
    if (rules.length >= limits.maxRules) throw new AccessError('ERR_TUNNEL_ACCESS_TOO_LARGE', `more than ${limits.maxRules} rules`, where);
    rules.push({
      file,
      line: number,
      daemons: parseList(fields[0] as string, daemonPattern, 'daemon', where),
      clients: parseList(fields[1] as string, clientPattern, 'client', where),
      verdict: parseVerdict(fields.slice(2), where),
    });
  }
  return rules;
}
