/**
 * @tunnel/os — the one place where tunnel makes Linux system calls that Node does not expose:
 * socket options (`socket =`), `-sockets`, privilege drop (`chroot`, `setgid`, `setuid`),
 * SO_ORIGINAL_DST and IP_TRANSPARENT (`transparent =`), connecting with options set before connect(), and pseudo-terminals (`pty =`).
 */
export { OsError, type OsErrorCode, errnoName } from './errors.js';
export { assertLinux } from './platform.js';
export {
  type SocketOptionKind,
  type SocketOptionName,
  type SocketOptionInfo,
  type SocketOptionValue,
  type SocketOptionTarget,
  type SocketOptionSetting,
  type Linger,
  type TimeValue,
  socketOptionTable,
  socketOption,
  parseSocketOptionValue,
  parseSocketOptionSpec,
  setSocketOption,
  getSocketOption,
  formatSocketOptionValue,
} from './socket-options.js';
export { type SocketOptionDefaults, stunnelSocketDefaults, listSocketOptions, formatSocketOptions } from './list-socket-options.js';
export {
  getuid,
  setuid,
  setgid,
  setgroups,
  chroot,
  dropPrivileges,
  resolveUser,
  resolveGroup,
  type DropPrivilegesOptions,
} from './privileges.js';
export { socketFd } from './fd.js';
export { type SocketEndpoint, encodeSockaddr, decodeSockaddr, addressBytes, formatAddress } from './sockaddr.js';
export { originalDestination } from './original-destination.js';
export { setTransparent } from './transparent.js';
export { listenSocket, type ListenSocketOptions } from './listen.js';
export { connectSocket, connectTransparent, type ConnectSocketOptions } from './connect.js';
export { type Pty, openPty, ptyStream, closeFd } from './pty.js';
export { duplicateFdOf } from './pidfd.js';
export { sendDatagram, socketLocalAddress, encodeUnixSockaddr } from './notify.js';
