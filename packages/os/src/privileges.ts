import { fromNodeError, OsError, syscallError } from './errors.js';
import { libc } from './libc.js';
import { assertLinux } from './platform.js';

// Node already wraps setuid/setgid/setgroups (resolving names through getpwnam/getgrnam); only chroot needs FFI.

function nodeCall<T>(syscall: string, what: string, call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw fromNodeError(syscall, error, what);
  }
}

/** The real user id of this process. */
export function getuid(): number {
  assertLinux('getuid');
  return (process.getuid as () => number)();
}

/** setuid(2) to a user name or id (`setuid =` global option). */
export function setuid(user: string | number): void {
  assertLinux('setuid');
  nodeCall('setuid', `switching to user ${user}`, () => (process.setuid as (id: string | number) => void)(user));
}

/** setgid(2) to a group name or id (`setgid =` global option). */
export function setgid(group: string | number): void {
  assertLinux('setgid');
  nodeCall('setgid', `switching to group ${group}`, () => (process.setgid as (id: string | number) => void)(group));
}

/** setgroups(2): replaces the supplementary group list (needs root). */
export function setgroups(groups: readonly (string | number)[]): void {
  assertLinux('setgroups');
  nodeCall('setgroups', 'setting supplementary groups', () => (process.setgroups as (groups: (string | number)[]) => void)([...groups]));
}

/** chroot(2) into `directory`, then chdir("/") so no handle to the old root stays open through the cwd. */
export function chroot(directory: string): void {
  const c = libc('chroot');
  if (c.chroot(directory) !== 0) throw syscallError('chroot', c.errno(), `chroot to ${directory}`);
  nodeCall('chdir', 'entering the new root', () => process.chdir('/'));
}

/** Resolves a user name (or numeric string) to a uid through NSS (getpwnam); unknown names are `ERR_TUNNEL_OS_UNKNOWN_USER`. */
export function resolveUser(user: string | number): number {
  if (typeof user === 'number') return user;
  if (/^\d+$/.test(user)) return Number(user);
  const entry = libc('resolving a user').getpwnam(user);
  if (entry === undefined) throw new OsError('ERR_TUNNEL_OS_UNKNOWN_USER', `no such user: ${JSON.stringify(user)}`);
  return entry.uid;
}

/** Resolves a group name (or numeric string) to a gid through NSS (getgrnam); unknown names are `ERR_TUNNEL_OS_UNKNOWN_GROUP`. */
export function resolveGroup(group: string | number): number {
  if (typeof group === 'number') return group;
  if (/^\d+$/.test(group)) return Number(group);
  const gid = libc('resolving a group').getgrnam(group);
  if (gid === undefined) throw new OsError('ERR_TUNNEL_OS_UNKNOWN_GROUP', `no such group: ${JSON.stringify(group)}`);
  return gid;
}

/** What {@link dropPrivileges} should do; every field is optional. */
export interface DropPrivilegesOptions {
  /** Directory to chroot into first (`chroot =`), while still root. */
  readonly chroot?: string;
  /** Group to switch to (`setgid =`); the supplementary groups are reduced to this one group. */
  readonly group?: string | number;
  /** User to switch to last (`setuid =`). */
  readonly user?: string | number;
}

/**
 * Drops privileges in the only safe order: chroot, then clear the supplementary groups (to the target
 * group, or none), setgid, and setuid last, because after setuid the process may no longer change
 * groups. Mirrors stunnel's `chroot`/`setgid`/`setuid` global options ("setgid ... and clear all other groups").
 */
export function dropPrivileges(options: DropPrivilegesOptions): void {
  assertLinux('dropping privileges');
  // Names are resolved before chroot: inside the jail /etc/passwd and NSS are usually gone.
  const gid = options.group === undefined ? undefined : resolveGroup(options.group);
  const uid = options.user === undefined ? undefined : resolveUser(options.user);
  if (options.chroot !== undefined) chroot(options.chroot);
  if (gid !== undefined) {
    setgroups([gid]);
    setgid(gid);
  } else if (uid !== undefined) {
    setgroups([]);
  }
  if (uid !== undefined) {
    setuid(uid);
    // A setuid that leaves uid 0 in place would make the whole drop pointless; refuse to go on.
    if (uid !== 0 && getuid() === 0) {
      throw new OsError('ERR_TUNNEL_OS_EPERM', `still running as root after setuid(${uid})`, { syscall: 'setuid' });
    }
  }
}
