/** Wildcards of hosts_access(5). LOCAL, KNOWN, UNKNOWN and PARANOID concern client hosts only. */
export type AccessKeyword = 'ALL' | 'LOCAL' | 'KNOWN' | 'UNKNOWN' | 'PARANOID';

/** One pattern of a daemon list or a client list. */
export type AccessPattern =
  | { readonly kind: 'keyword'; readonly keyword: AccessKeyword }
  /** A string pattern: `.suffix`, `prefix.`, a `*`/`?` wildcard, or an exact name/address (lower-cased). */
  | { readonly kind: 'string'; readonly text: string }
  /** `n.n.n.n/m.m.m.m` or `n.n.n.n/len`: IPv4 net and mask as 32-bit unsigned numbers. */
  | { readonly kind: 'ipv4-mask'; readonly net: number; readonly mask: number; readonly text: string }
  /** `[v6]` or `[v6]/len`. */
  | { readonly kind: 'ipv6-prefix'; readonly address: string; readonly prefix: number; readonly text: string };

/** `p1 p2 ... EXCEPT <list>`: matches when a pattern matches and the EXCEPT list (right-nested) does not. */
export interface AccessList {
  readonly patterns: readonly AccessPattern[];
  readonly except: AccessList | undefined;
}

/** One access-control rule: `daemon_list : client_list [ : allow | deny ]`. */
export interface AccessRule {
  readonly file: string;
  readonly line: number;
  readonly daemons: AccessList;
  readonly clients: AccessList;
  /** hosts_options(5) `allow` / `deny`; absent means the file decides (allow in hosts.allow, deny in hosts.deny). */
  readonly verdict: 'allow' | 'deny' | undefined;
}
