#!/bin/sh
# One-time preparation for the proto-nntp real-peer tests (idempotent, non-interactive).
#
# The tests run INN's nnrpd from /usr/lib/news/bin with their own inn.conf (INNCONF)
# in a temp dir; they never use /etc/news or the innd service. On hosts whose
# hostname has no domain, inn2's postinst fails ("hostname does not resolve or
# domain not set in inn.conf") and leaves the package half-configured; the
# binaries still work, but we give it a domain and finish the configuration so
# apt stays healthy. It may still fail when no MTA is configured (newaliases);
# that does not affect the tests.
set -eu
if ! command -v /usr/lib/news/bin/nnrpd >/dev/null 2>&1; then
  echo "inn2 is not installed (see ci/apt.txt)" >&2
  exit 1
fi
if grep -q '^#domain:' /etc/news/inn.conf 2>/dev/null; then
  sed -i 's/^#domain:.*/domain:                      localdomain/' /etc/news/inn.conf
fi
if ! dpkg-query -W -f='${Status}' inn2 2>/dev/null | grep -q 'install ok installed'; then
  DEBIAN_FRONTEND=noninteractive dpkg --configure inn2 || echo "inn2 stays half-configured; the tests do not need it configured" >&2
fi
# Debian's policy-rc.d usually prevents it, but never leave a system innd running on port 119.
if [ -x /etc/init.d/inn2 ]; then /etc/init.d/inn2 stop >/dev/null 2>&1 || true; fi
exit 0
