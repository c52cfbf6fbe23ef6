/** stunnel's `TIMEOUT*` defaults in seconds (stunnel 5.x `options.c`: busy 300, close 60, connect 10, idle 43200 = 12 h). */
export const DEFAULT_TIMEOUTS = Object.freeze({ busy: 300, close: 60, connect: 10, idle: 43_200 });
