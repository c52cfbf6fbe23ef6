/**
 * @tunnel/access — tcp_wrappers access control (`libwrap = yes`): hosts.allow and hosts.deny in the
 * hosts_access(5) language with the hosts_options(5) allow/deny form, as a pure parser and evaluator
 * plus a small driver that reads the files and looks up host names.
 */
export { AccessError, type AccessErrorCode } from './errors.js';
export type { AccessKeyword, AccessPattern, AccessList, AccessRule } from './rules.js';
export { parseHostsTable, limits } from './parse.js';
export {
  evaluateAccess,
  ruleMatches,
  needsHostname,
  stringMatch,
  normalizeAddress,
  type AccessClient,
  type AccessDecision,
} from './match.js';
export { resolveHostname, systemLookups, dnsLookups, type HostLookups, type HostnameFacts } from './hostname.js';
export {
  checkAccess,
  loadHostsTable,
  loadHostsTables,
  type AccessFiles,
  type CheckAccessOptions,
  type CheckAccessResult,
} from './check.js';
