#!/usr/bin/env bash
# workers = 2 against workers = 1: TLS handshakes per second, and how many resumptions succeed when consecutive
# connections of a client land on different workers (node:cluster round robin). Never asserts a timing.
#
#   bash bench/workers.sh [--quick]
#
# Needs what bench/run.sh needs (run it once first, or let this script install the same Debian packages) and a
# built tunnel (`pnpm build`). Environment: TUNNEL_ROOT (checkout whose packages/cli/dist/bin.js runs), BENCH_REPS
# (default 3), HS_SECS (seconds per run, default 5). The load generator (bench/loadgen.c) and the plain backend
# share the machine with the proxy: on a 2-CPU machine the second worker competes with them for CPU 1, so the ratio
# shown is what this machine allows, not what one core per worker would give (see docs/performance.md).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tunnel_root=${TUNNEL_ROOT:-$(cd "$here/.." && pwd)}
reps=${BENCH_REPS:-3}
hs_secs=${HS_SECS:-5}
[ "${1:-}" = --quick ] && reps=1 hs_secs=0.5

need=""
for tool in cc taskset openssl; do command -v "$tool" >/dev/null || need="$need $tool"; done
[ -f /usr/include/openssl/ssl.h ] || need="$need libssl-dev"
if [ -n "$need" ]; then
  apt-get install -y -qq --no-install-recommends gcc libc6-dev libssl-dev util-linux openssl >/dev/null
fi

tunnel_bin="$tunnel_root/packages/cli/dist/bin.js"
[ -f "$tunnel_bin" ] || { echo "workers: $tunnel_bin missing (run pnpm build)" >&2; exit 1; }
node_flags=$(sed -n '1s/^#!.*[/ ]node\( \|$\)//p' "$tunnel_bin")

work=$(mktemp -d /tmp/tunnel-workers-bench.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

cc -O2 -pthread -o "$work/loadgen" "$here/loadgen.c" -lssl -lcrypto
lg="$work/loadgen"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ec.key" -out "$work/ec.pem" \
  -days 2 -subj /CN=localhost 2>/dev/null
chmod 600 "$work/ec.key"

"$lg" serve 0 >"$work/backend.out" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  be=$(awk '/^PORT/ {print $2}' "$work/backend.out")
  [ -n "$be" ] && break
  sleep 0.05
done
[ -n "${be:-}" ] || { echo "workers: backend did not start" >&2; exit 1; }

tree_cpu() { # PID -> utime+stime ticks of the process and its children (the workers)
  local total=0 pid
  for pid in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
  done
  echo "$total"
}
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
tck=$(getconf CLK_TCK)

printf '%-9s %-7s %-5s %12s %18s %10s\n' workers TLS kind handshakes/s "proxy CPU µs/hs" resumed%
results="$work/results.tsv"
: >"$results"
for rep in $(seq 1 "$reps"); do
  for workers in 1 2; do
    port=$("$lg" freeport)
    conf="$work/w$workers.conf"
    printf '%s\n' 'foreground = yes' 'syslog = no' 'pid =' 'debug = 3' "workers = $workers" '[bench]' \
      "accept = 127.0.0.1:$port" "connect = 127.0.0.1:$be" "cert = $work/ec.pem" "key = $work/ec.key" >"$conf"
    # shellcheck disable=SC2086
    node $node_flags "$tunnel_bin" "$conf" >"$work/tunnel.out" 2>&1 &
    proxy=$!
    pids+=("$proxy")
    for _ in $(seq 1 200); do
      [ "$(pgrep -c -P "$proxy" || true)" -ge "$workers" ] && "$lg" hs "$port" 1.3 full 1 0.05 >/dev/null 2>&1 && break
      sleep 0.05
    done
    sleep 0.5
    for ver in 1.3 1.2; do
      for kind in full resume; do
        before=$(tree_cpu "$proxy")
        line=$("$lg" hs "$port" "$ver" "$kind" 8 "$hs_secs")
        after=$(tree_cpu "$proxy")
        count=$(field count "$line")
        rate=$(field rate "$line")
        us=$(awk -v a="$after" -v b="$before" -v t="$tck" -v n="$count" 'BEGIN {printf "%.0f", 1e6 * (a - b) / t / n}')
        resumed=$(awk -v r="$(field reused "$line")" -v n="$count" 'BEGIN {printf "%.0f", 100 * r / n}')
        printf '%-9s %-7s %-5s %12s %18s %10s\n' "$workers" "TLS$ver" "$kind" "$rate" "$us" "$resumed"
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$workers" "$ver" "$kind" "$rate" "$us" "$resumed" >>"$results"
      done
    done
    kill -TERM "$proxy"
    wait "$proxy" 2>/dev/null || true
  done
done

echo
echo "medians over $reps repetition(s); ratio = workers 2 ÷ workers 1"
awk -F'\t' '
  { key = "TLS" $2 " " $3; n = ++count[$1, key]; rate[$1, key, n] = $4; res[$1, key, n] = $6; keys[key] = 1 }
  function median(arr, w, k, m,   i, j, t, v) {
    for (i = 1; i <= m; i++) v[i] = arr[w, k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
  }
  END {
    printf "%-18s %14s %14s %7s %14s\n", "handshakes", "1 worker /s", "2 workers /s", "ratio", "resumed % (2)"
    for (k in keys) {
      one = median(rate, 1, k, count[1, k]); two = median(rate, 2, k, count[2, k])
      printf "%-18s %14.0f %14.0f %7.2f %14s\n", k, one, two, (one > 0 ? two / one : 0), (k ~ /resume/ ? median(res, 2, k, count[2, k]) : "-")
    }
  }' "$results"
