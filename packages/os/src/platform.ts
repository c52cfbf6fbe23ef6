import { OsError } from './errors.js';

// Socket option numbers below are the asm-generic Linux values on little-endian CPUs; MIPS, SPARC, PA-RISC, POWER and s390 number
// several SO_* options differently, so those architectures are refused instead of silently mis-set.
const supportedArchitectures = new Set(['x64', 'arm64', 'arm', 'ia32', 'riscv64', 'loong64']);

/** Throws `ERR_TUNNEL_OS_UNSUPPORTED_PLATFORM` unless this process runs on Linux with a generic socket ABI. */
export function assertLinux(what: string): void {
  if (process.platform !== 'linux') {
    throw new OsError('ERR_TUNNEL_OS_UNSUPPORTED_PLATFORM', `${what} is only available on Linux (this is ${process.platform})`);
  }
  if (!supportedArchitectures.has(process.arch)) {
    throw new OsError(
      'ERR_TUNNEL_OS_UNSUPPORTED_PLATFORM',
      `${what} is not available on Linux/${process.arch} (socket option numbers differ)`,
    );
  }
}
