#!/bin/sh
# One-time preparation for the proto-nntp real-peer tests (idempotent, non-interactive).
#
# The tests run INN's nnrpd from /usr/lib/news/bin with their own inn.conf (INNCONF)
# in a temp dir; they never use /etc/news or the innd service. inn2's postinst
# fails on hosts whose hostname has no domain ("hostname does not resolve or
# domain not set in inn.conf") and leaves the package half-configured, which
# would break every later apt-get run. So inn2 is installed here rather than
# from ci/apt.txt: install, give /etc/news/inn.conf a domain, finish configuring.
set -eu
export DEBIAN_FRONTEND=noninteractive
log=/tmp/tunnel-nntp-inn2.log
if [ ! -x /usr/lib/news/bin/nnrpd ]; then
  apt-get update -qq >"$log" 2>&1 || true
  apt-get install -y -qq --no-install-recommends inn2 >>"$log" 2>&1 || echo "inn2: postinst failed (no domain?); finishing below" >&2
fi
if [ ! -x /usr/lib/news/bin/nnrpd ] || [ ! -x /usr/lib/news/bin/tdx-util ]; then
  echo "inn2 could not be installed:" >&2
  tail -20 "$log" >&2 2>/dev/null || true
  exit 1
fi
if grep -q '^#domain:' /etc/news/inn.conf 2>/dev/null; then
  sed -i 's/^#domain:.*/domain:                      localdomain/' /etc/news/inn.conf
fi
if ! dpkg-query -W -f='${Status}' inn2 2>/dev/null | grep -q 'install ok installed'; then
  dpkg --configure inn2 >>"$log" 2>&1 || echo "inn2 stays half-configured (see $log); the tests only need its binaries" >&2
fi
# The tests start their own nnrpd; do not leave a system innd running where the service could auto-start.
if [ -x /etc/init.d/inn2 ] && pgrep -x innd >/dev/null 2>&1; then /etc/init.d/inn2 stop >/dev/null 2>&1 || true; fi
exit 0
