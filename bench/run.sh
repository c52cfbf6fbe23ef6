#!/usr/bin/env bash
# tunnel vs Debian's stunnel4, side by side on one machine (see bench/README.md).
#
#   bash bench/run.sh            full run (< 15 min): prints the table and writes it to bench/results/latest.md
#   bash bench/run.sh --quick    smoke run (< 60 s) for CI: every figure once, tiny sizes; exit 0 when it ran
#   --no-build                   run the tunnel already built in this repository (CI builds it first)
#
# Environment: TUNNEL_ROOT  a checkout whose packages/cli/dist/bin.js is run (default: this repository, built here)
#              BENCH_REPS   repetitions per figure in a full run (default 3)
#              BENCH_OUT    where the full table is written (default bench/results/latest.md)
#              BENCH_SERVICE_OPTIONS  extra lines for the service section of the generated config (both proxies)
#              TUNNEL_COMMIT  label of the tunnel build in the table (default: git rev-parse in TUNNEL_ROOT)
#              BENCH_FIGURES  which figures to run (default "bulk hs lat idle")
#              BENCH_TUNNEL_NODE_OPTIONS  extra node flags for tunnel (on top of any the bin's `#!/usr/bin/env -S node ...` line names)
#
# Both proxies run the SAME generated stunnel config, pinned to CPU 0; the C load generator and the C backend
# (bench/loadgen.c) are pinned to CPU 1, so every figure is per core. Runs are interleaved tunnel, stunnel,
# tunnel, stunnel... and the table shows medians with min-max. Timings are never asserted.
set -euo pipefail

quick=0
build=1
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    -h | --help)
      sed -n '2,16p' "$0"
      exit 0
      ;;
    *)
      echo "bench: unknown argument $arg" >&2
      exit 64
      ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tunnel_root=${TUNNEL_ROOT:-$repo}
reps=${BENCH_REPS:-3}
figures=" ${BENCH_FIGURES:-bulk hs lat idle} "
want() { [[ $figures == *" $1 "* ]]; }
out=${BENCH_OUT:-$here/results/latest.md}
proxy_cpu=0
load_cpu=1
if [ "$(nproc)" -lt 2 ]; then
  echo "bench: needs 2 CPUs (proxy on one, load generator on the other); running unpinned on 1 CPU" >&2
  load_cpu=0
fi

log() { printf '[bench %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# ---- what the bench needs, installed once (idempotent) ----
need=""
for p in stunnel4 libssl-dev gcc libc6-dev util-linux openssl; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need="$need $p"
done
if [ -n "$need" ]; then
  log "installing:$need"
  export DEBIAN_FRONTEND=noninteractive
  for attempt in 1 2 3 4 5 6; do
    if { apt-get install -y -qq --no-install-recommends $need || { apt-get update -qq && apt-get install -y -qq --no-install-recommends $need; }; } >/tmp/tunnel-bench-apt.log 2>&1; then
      break
    fi
    [ "$attempt" -eq 6 ] && { tail -20 /tmp/tunnel-bench-apt.log >&2; exit 1; }
    sleep 10 # another apt-get holds the dpkg lock
  done
fi

work=$(mktemp -d /tmp/tunnel-bench.XXXXXX)
pids=()
cleanup() {
  local pid i
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  # tunnel waits up to 10 s for connections in flight on SIGTERM; after 3 s the bench stops waiting.
  for i in $(seq 1 30); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Idle connections: the proxy holds two descriptors per connection.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fd_limit=$(ulimit -n)

# ---- build ----
if [ "$build" -eq 1 ] && [ -z "${TUNNEL_ROOT:-}" ]; then
  log "building tunnel (turbo, @tunnel/cli and its dependencies)"
  (cd "$repo" && { [ -d node_modules ] || pnpm install --frozen-lockfile; } && pnpm exec turbo run build --filter=@tunnel/cli... --output-logs=errors-only) >"$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log" >&2; exit 1; }
fi
tunnel_bin="$tunnel_root/packages/cli/dist/bin.js"
[ -f "$tunnel_bin" ] || { echo "bench: $tunnel_bin missing (run pnpm build)" >&2; exit 1; }
# tunnel runs as its bin would: node flags its #! line passes (`#!/usr/bin/env -S node --flag`) are kept, plus the caller's.
tunnel_node_flags="$(sed -n '1s/^#!.*[/ ]node\( \|$\)//p' "$tunnel_bin") ${BENCH_TUNNEL_NODE_OPTIONS:-}"
tunnel_node_flags=$(echo $tunnel_node_flags)
cc -O2 -pthread -o "$work/loadgen" "$here/loadgen.c" -lssl -lcrypto
lg="$work/loadgen"

# ---- PKI: ECDSA P-256 and RSA-2048 server certificates ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ec.key" -out "$work/ec.pem" -days 2 -subj /CN=localhost 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/rsa.key" -out "$work/rsa.pem" -days 2 -subj /CN=localhost 2>/dev/null
chmod 600 "$work"/*.key

# start NAME CPU CMD... : runs CMD in the background pinned to CPU; its PID is in $started.
start() {
  local name=$1 cpu=$2
  shift 2
  taskset -c "$cpu" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  started=$!
  pids+=("$started")
}

wait_port() { # PORT: until 127.0.0.1:PORT is listening (10 s). Reads /proc/net/tcp rather than connecting,
  # so no probe connection is left for the proxy to deal with.
  local i hex
  hex=$(printf '0100007F:%04X' "$1")
  for i in $(seq 1 200); do
    if awk -v a="$hex" '$2 == a && $4 == "0A" {found = 1} END {exit !found}' /proc/net/tcp; then return 0; fi
    sleep 0.05
  done
  echo "bench: nothing listens on port $1" >&2
  return 1
}

backend() { # NAME [CERT KEY] -> sets $port
  start "$1" "$load_cpu" "$lg" serve 0 "${@:2}"
  local i
  for i in $(seq 1 100); do
    port=$(awk '/^PORT/ {print $2}' "$work/$1.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  echo "bench: backend $1 did not start" >&2
  return 1
}
backend plain && be_plain=$port
backend tls-ec "$work/ec.pem" "$work/ec.key" && be_ec=$port
backend tls-rsa "$work/rsa.pem" "$work/rsa.key" && be_rsa=$port

# proxy IMPL NAME MODE CERT UPSTREAM -> sets $port and $ppid_ (the proxy's PID) after writing one stunnel config
proxy() {
  local impl=$1 name=$2 mode=$3 cert=$4 upstream=$5
  port=$("$lg" freeport)
  local conf="$work/$name.conf"
  {
    echo "; generated by bench/run.sh: the same file for tunnel and stunnel4"
    echo "foreground = yes"
    echo "syslog = no"
    echo "pid ="
    echo "debug = 3"
    echo "[bench]"
    echo "accept = 127.0.0.1:$port"
    echo "connect = 127.0.0.1:$upstream"
    [ -n "${BENCH_SERVICE_OPTIONS:-}" ] && printf '%s\n' "$BENCH_SERVICE_OPTIONS"
    if [ "$mode" = client ]; then
      echo "client = yes"
    else
      echo "cert = $work/$cert.pem"
      echo "key = $work/$cert.key"
    fi
  } >"$conf"
  if [ "$impl" = tunnel ]; then
    # shellcheck disable=SC2086
    start "$name" "$proxy_cpu" node $tunnel_node_flags "$tunnel_bin" "$conf"
  else
    start "$name" "$proxy_cpu" /usr/bin/stunnel4 "$conf"
  fi
  ppid_=$started
  wait_port "$port"
}

cpu_of() { # PID -> utime+stime in clock ticks (all threads)
  awk '{print $14 + $15}' "/proc/$1/stat"
}
tck=$(getconf CLK_TCK)

results="$work/results.tsv"
: >"$results"
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$results"; }
field() { # KEY LINE
  sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

# run_load PID CMD... : runs the load generator on the load CPU; sets $line and $pcpu (proxy CPU seconds, 0 if PID=-)
# It also sets $load_busy (CPU 1 busy %, everything on it) and $other_busy (CPU 0 busy % not spent by the proxy:
# other work on the machine that competed with the proxy).
cores_busy() { # -> "busy0 total0 busy1 total1" in ticks from /proc/stat
  awk -v p="cpu$proxy_cpu" -v l="cpu$load_cpu" '$1 == p || $1 == l {
      busy = $2 + $3 + $4 + $7 + $8 + $9; total = busy + $5 + $6
      if ($1 == p) { b0 = busy; t0 = total } if ($1 == l) { b1 = busy; t1 = total } }
    END {print b0, t0, b1, t1}' /proc/stat
}
run_load() {
  local pid=$1 before=0 after=0 c0 c1
  shift
  [ "$pid" != - ] && before=$(cpu_of "$pid")
  c0=$(cores_busy)
  line=$(taskset -c "$load_cpu" "$lg" "$@") || { echo "bench: load generator failed: $* -> $line" >&2; return 1; }
  c1=$(cores_busy)
  [ "$pid" != - ] && after=$(cpu_of "$pid")
  pcpu=$(awk -v a="$after" -v b="$before" -v t="$tck" 'BEGIN {printf "%.4f", (a - b) / t}')
  read -r load_busy other_busy < <(awk -v x="$c0" -v y="$c1" -v p="$((after - before))" 'BEGIN {
      split(x, a, " "); split(y, b, " ")
      dt0 = b[2] - a[2]; dt1 = b[4] - a[4]
      l = dt1 > 0 ? 100 * (b[3] - a[3]) / dt1 : 0
      o = dt0 > 0 ? 100 * (b[1] - a[1] - p) / dt0 : 0
      printf "%.0f %.0f\n", l, (o < 0 ? 0 : o) }')
}
# record_cores FIGURE WHO: the two core-load figures of the last run
record_cores() {
  record "$1" "$2" "load CPU 1 busy %" "$load_busy"
  record "$1" "$2" "other work on proxy CPU 0 %" "$other_busy"
}

hs_conns=8
if [ "$quick" -eq 1 ]; then
  reps=1 bulk_bytes=$((32 << 20)) hs_secs=0.3 lat_count=300 idle_count=200 lat_reps=1 settle=0.5
else
  bulk_bytes=$((1 << 30)) hs_secs=3 lat_count=10000 idle_count=9500 lat_reps=$((reps + 2)) settle=2
fi
if [ "$idle_count" -gt $(((fd_limit - 200) / 2)) ]; then idle_count=$(((fd_limit - 200) / 2)); fi

# ---- start the proxies: one process per (implementation, mode, certificate) ----
declare -A P PORT
for impl in tunnel stunnel; do
  proxy "$impl" "$impl-server-ec" server ec "$be_plain" && P[$impl-server-ec]=$ppid_ PORT[$impl-server-ec]=$port
  proxy "$impl" "$impl-server-rsa" server rsa "$be_plain" && P[$impl-server-rsa]=$ppid_ PORT[$impl-server-rsa]=$port
  proxy "$impl" "$impl-client" client ec "$be_ec" && P[$impl-client]=$ppid_ PORT[$impl-client]=$port
done
log "proxies up: tunnel $(node -p 'require(process.argv[1]).version' "$tunnel_root/packages/cli/package.json") (node $(node -v)), $(/usr/bin/stunnel4 -version 2>&1 | grep -m1 '^stunnel')"

# ---- 1. bulk ----
if want bulk; then
  log "bulk transfers ($((bulk_bytes >> 20)) MiB per run, $reps repetitions)"
  for mode in server client; do
    for dir in down up; do
      for conns in 1 8; do
        fig="bulk $mode-mode $dir x$conns"
        for rep in $(seq 1 "$reps"); do
          for impl in tunnel stunnel; do
            key="$impl-$mode"
            [ "$mode" = server ] && key="$impl-server-ec"
            tls=tls
            [ "$mode" = client ] && tls=plain
            run_load "${P[$key]}" bulk "${PORT[$key]}" "$tls" "$dir" "$conns" "$bulk_bytes"
            secs=$(field secs "$line")
            record "$fig" "$impl" "MB/s" "$(field mbps "$line")"
            record "$fig" "$impl" "proxy CPU s/GiB" "$(awk -v c="$pcpu" -v b="$bulk_bytes" 'BEGIN {printf "%.3f", c / (b / 1073741824)}')"
            record "$fig" "$impl" "proxy core busy %" "$(awk -v c="$pcpu" -v s="$secs" 'BEGIN {printf "%.0f", 100 * c / s}')"
            record_cores "$fig" "$impl"
          done
        done
        # No-proxy baselines: the load generator straight to the backend (plain and TLS); the ceiling of the load CPU.
        run_load - bulk "$be_plain" plain "$dir" "$conns" "$bulk_bytes"
        record "$fig" "direct plain" "MB/s" "$(field mbps "$line")"
        run_load - bulk "$be_ec" tls "$dir" "$conns" "$bulk_bytes"
        record "$fig" "direct TLS" "MB/s" "$(field mbps "$line")"
      done
    done
  done
fi

# ---- 2. handshakes ----
if want hs; then
  log "handshakes (${hs_secs} s per run, $hs_conns clients in flight)"
  for cert in ec rsa; do
    for ver in 1.3 1.2; do
      for kind in full resume; do
        fig="handshake $kind TLS$ver $([ $cert = ec ] && echo ECDSA-P256 || echo RSA-2048)"
        for rep in $(seq 1 "$reps"); do
          for impl in tunnel stunnel; do
            key="$impl-server-$cert"
            run_load "${P[$key]}" hs "${PORT[$key]}" "$ver" "$kind" "$hs_conns" "$hs_secs"
            count=$(field count "$line")
            secs=$(field secs "$line")
            record "$fig" "$impl" "handshakes/s" "$(field rate "$line")"
            record "$fig" "$impl" "proxy CPU µs/handshake" "$(awk -v c="$pcpu" -v n="$count" 'BEGIN {printf "%.0f", 1e6 * c / n}')"
            record "$fig" "$impl" "resumed %" "$(awk -v r="$(field reused "$line")" -v n="$count" 'BEGIN {printf "%.0f", 100 * r / n}')"
            record "$fig" "$impl" "proxy core busy %" "$(awk -v c="$pcpu" -v s="$secs" 'BEGIN {printf "%.0f", 100 * c / s}')"
            record_cores "$fig" "$impl"
            record "$fig" "$impl" "negotiated" "$(field tls "$line")"
          done
        done
        be=$be_ec
        [ "$cert" = rsa ] && be=$be_rsa
        run_load - hs "$be" "$ver" "$kind" "$hs_conns" "$hs_secs"
        record "$fig" "direct TLS" "handshakes/s" "$(field rate "$line")"
      done
    done
  done
fi

# ---- 3. latency ----
if want lat; then
  log "64-byte ping-pong latency ($lat_count round trips per run)"
  fig="latency 64 B ping-pong, server mode"
  for rep in $(seq 1 "$lat_reps"); do
    for impl in tunnel stunnel; do
      run_load - lat "${PORT[$impl-server-ec]}" tls "$lat_count"
      record "$fig" "$impl" "p50 µs" "$(field p50_us "$line")"
      record "$fig" "$impl" "p99 µs" "$(field p99_us "$line")"
    done
    run_load - lat "$be_ec" tls "$lat_count"
    record "$fig" "direct TLS" "p50 µs" "$(field p50_us "$line")"
    record "$fig" "direct TLS" "p99 µs" "$(field p99_us "$line")"
    run_load - lat "$be_plain" plain "$lat_count"
    record "$fig" "direct plain" "p50 µs" "$(field p50_us "$line")"
    record "$fig" "direct plain" "p99 µs" "$(field p99_us "$line")"
  done
fi

# ---- 4. idle connections: a fresh proxy each, RSS before and after ----
if want idle; then
  log "idle TLS connections ($idle_count held per proxy)"
  rss_of() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
  fig="idle: $idle_count TLS 1.3 connections (ECDSA) held"
  for impl in tunnel stunnel; do
    proxy "$impl" "$impl-idle" server ec "$be_plain"
    pid=$ppid_
    sleep "$settle"
    rss0=$(rss_of "$pid")
    fds0=$(ls "/proc/$pid/fd" | wc -l)
    mkfifo "$work/hold-$impl"
    taskset -c "$load_cpu" "$lg" idle "$port" "$idle_count" <"$work/hold-$impl" >"$work/idle-$impl.out" &
    holder=$!
    pids+=("$holder")
    exec 7>"$work/hold-$impl" # keeps the holder's stdin open
    t0=$(date +%s)
    until grep -q '^ready' "$work/idle-$impl.out" 2>/dev/null; do
      if [ $(($(date +%s) - t0)) -gt 180 ]; then echo "bench: idle connections took too long" >&2; break; fi
      sleep 0.2
    done
    sleep "$settle" # the proxy finishes its upstream connects
    rss1=$(rss_of "$pid")
    fds1=$(ls "/proc/$pid/fd" | wc -l)
    opened=$(field opened "$(cat "$work/idle-$impl.out")")
    record "$fig" "$impl" "RSS KiB per connection" "$(awk -v a="$rss1" -v b="$rss0" -v n="$opened" 'BEGIN {printf "%.1f", (a - b) / n}')"
    record "$fig" "$impl" "RSS MiB before" "$(awk -v a="$rss0" 'BEGIN {printf "%.1f", a / 1024}')"
    record "$fig" "$impl" "RSS MiB with all held" "$(awk -v a="$rss1" 'BEGIN {printf "%.1f", a / 1024}')"
    record "$fig" "$impl" "connections held (fds/2)" "$(((fds1 - fds0) / 2))"
    exec 7>&-
    wait "$holder" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
fi

# ---- report ----
machine="$(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), Linux $(uname -r), Node $(node -v), $(openssl version | cut -d' ' -f1-2), $(/usr/bin/stunnel4 -version 2>&1 | grep -m1 '^stunnel' | cut -d' ' -f1-2), load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
commit=${TUNNEL_COMMIT:-$(git -C "$tunnel_root" rev-parse --short HEAD 2>/dev/null || echo unknown)}
[ -n "${BENCH_SERVICE_OPTIONS:-}" ] && commit="$commit, service options: $(printf '%s' "$BENCH_SERVICE_OPTIONS" | tr '\n' ';')"
[ -n "$tunnel_node_flags" ] && commit="$commit, node flags: $tunnel_node_flags"
table=$(node "$here/report.mjs" "$results" "$machine" "tunnel $commit" "$([ $quick -eq 1 ] && echo quick || echo "full, $reps repetitions")")
printf '%s\n' "$table"
if [ "$quick" -eq 0 ]; then
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$table" >"$out"
  cp "$results" "${out%.md}.tsv"
  log "written to $out"
fi
