#!/bin/sh
# One-time preparation after `apt-get install` of ci/apt.txt (idempotent).
# The tests start their own private dovecot on loopback with fresh
# ports; the system instances the Debian packages may auto-start are not
# needed and would hold ports 110/143, so stop and disable them.
set -u
for service in dovecot; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-system-running >/dev/null 2>&1; then
    systemctl disable --now "$service" >/dev/null 2>&1 || true
  else
    service "$service" stop >/dev/null 2>&1 || true
  fi
done
exit 0
