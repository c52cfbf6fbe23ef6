#!/usr/bin/env bash
# A/B of two tunnel builds: the same load, run A, B, A, B ... against each, proxy CPU per unit of work compared.
# For judging one change on a shared machine, where wall-clock figures are noise but the proxy's own CPU seconds
# (utime + stime from /proc/PID/stat) per GiB or per handshake stay meaningful.
#
#   bash bench/ab.sh DIR_A DIR_B [CASE...]
#
# DIR_A, DIR_B: checkouts (or copies of one: `tar --exclude=./.git -cf - . | tar -xf - -C /tmp/A`) whose
# packages/cli/dist/bin.js is run; copy them so a rebuild in the working tree cannot change a build mid-run.
# CASES (default: all but lat): down1 down8 up1 up8 cdown8 cup8 (bulk, server mode unless c…), hs13 hs13r hs12r
# hs12rsa hs12rsar (handshakes: TLS version, r = resumed, rsa = RSA-2048 certificate), lat, idle.
# Environment: AB_REPS (default 4), AB_BYTES (default 256 MiB), AB_HS_SECS (default 2), AB_IDLE (default 2000),
# AB_NODE_OPTIONS (extra node flags for both, e.g. --max-semi-space-size=16), AB_NODE_OPTIONS_A / AB_NODE_OPTIONS_B
# (for one side only: the same build with and without a flag). The flags of each bin's `#!/usr/bin/env -S node …`
# line are always passed first, as the `tunnel` command would run.
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,16p' "$0"; exit 64; }
here=$(cd "$(dirname "$0")" && pwd)
dir_a=$(cd "$1" && pwd)
dir_b=$(cd "$2" && pwd)
shift 2
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(down1 down8 up1 up8 cup8 hs13 hs13r hs12r hs12rsar idle)
reps=${AB_REPS:-4}
bytes=${AB_BYTES:-$((256 << 20))}
hs_secs=${AB_HS_SECS:-2}
idle_count=${AB_IDLE:-2000}
node_options=${AB_NODE_OPTIONS:-}
for d in "$dir_a" "$dir_b"; do [ -f "$d/packages/cli/dist/bin.js" ] || { echo "ab: $d/packages/cli/dist/bin.js missing" >&2; exit 1; }; done

work=$(mktemp -d /tmp/tunnel-ab.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cc -O2 -pthread -o "$work/loadgen" "$here/loadgen.c" -lssl -lcrypto
lg="$work/loadgen"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ec.key" -out "$work/ec.pem" -days 2 -subj /CN=localhost 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/rsa.key" -out "$work/rsa.pem" -days 2 -subj /CN=localhost 2>/dev/null
chmod 600 "$work"/*.key

start() { # NAME CPU CMD... -> $started
  local name=$1 cpu=$2
  shift 2
  taskset -c "$cpu" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  started=$!
  pids+=("$started")
}
wait_port() {
  local i hex
  hex=$(printf '0100007F:%04X' "$1")
  for i in $(seq 1 200); do
    awk -v a="$hex" '$2 == a && $4 == "0A" {f = 1} END {exit !f}' /proc/net/tcp && return 0
    sleep 0.05
  done
  echo "ab: nothing listens on port $1" >&2
  return 1
}
backend() { # NAME [CERT KEY] -> $port
  start "$1" 1 "$lg" serve 0 "${@:2}"
  local i
  for i in $(seq 1 100); do
    port=$(awk '/^PORT/ {print $2}' "$work/$1.out")
    [ -n "$port" ] && return 0
    sleep 0.05
  done
  return 1
}
backend plain && be_plain=$port
backend tls-ec "$work/ec.pem" "$work/ec.key" && be_ec=$port

proxy() { # WHO(A|B) NAME MODE CERT UPSTREAM -> $port $ppid_
  local who=$1 name=$2 mode=$3 cert=$4 upstream=$5 dir
  local flags="$node_options ${AB_NODE_OPTIONS_A:-}"
  dir=$dir_a
  [ "$who" = B ] && dir=$dir_b flags="$node_options ${AB_NODE_OPTIONS_B:-}"
  # As bench/run.sh: the node flags of the bin's `#!/usr/bin/env -S node --flag` line come first.
  flags="$(sed -n '1s/^#!.*[/ ]node\( \|$\)//p' "$dir/packages/cli/dist/bin.js") $flags"
  port=$("$lg" freeport)
  {
    printf 'foreground = yes\nsyslog = no\npid =\ndebug = 3\n[ab]\naccept = 127.0.0.1:%s\nconnect = 127.0.0.1:%s\n' "$port" "$upstream"
    if [ "$mode" = client ]; then echo "client = yes"; else printf 'cert = %s\nkey = %s\n' "$work/$cert.pem" "$work/$cert.key"; fi
  } >"$work/$name.conf"
  # shellcheck disable=SC2086
  start "$name" 0 node $flags "$dir/packages/cli/dist/bin.js" "$work/$name.conf"
  ppid_=$started
  wait_port "$port"
}
declare -A P PORT
for who in A B; do
  proxy "$who" "$who-server-ec" server ec "$be_plain" && P[$who-server-ec]=$ppid_ PORT[$who-server-ec]=$port
  proxy "$who" "$who-server-rsa" server rsa "$be_plain" && P[$who-server-rsa]=$ppid_ PORT[$who-server-rsa]=$port
  proxy "$who" "$who-client" client ec "$be_ec" && P[$who-client]=$ppid_ PORT[$who-client]=$port
done
tck=$(getconf CLK_TCK)
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }
field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
busy0() { awk '$1 == "cpu0" {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
results="$work/ab.tsv"
: >"$results"

# one CASE WHO: runs the case once against WHO, appends "case who value other%" (value: CPU s/GiB, µs/handshake or KiB/conn)
one() {
  local c=$1 who=$2 key args unit pid before after line b0 b1 other
  case $c in
    down1) key=server-ec args=(bulk tls down 1 "$bytes") ;;
    down8) key=server-ec args=(bulk tls down 8 "$bytes") ;;
    up1) key=server-ec args=(bulk tls up 1 "$bytes") ;;
    up8) key=server-ec args=(bulk tls up 8 "$bytes") ;;
    cdown8) key=client args=(bulk plain down 8 "$bytes") ;;
    cup8) key=client args=(bulk plain up 8 "$bytes") ;;
    hs13) key=server-ec args=(hs 1.3 full 8 "$hs_secs") ;;
    hs13r) key=server-ec args=(hs 1.3 resume 8 "$hs_secs") ;;
    hs12r) key=server-ec args=(hs 1.2 resume 8 "$hs_secs") ;;
    hs12rsa) key=server-rsa args=(hs 1.2 full 8 "$hs_secs") ;;
    hs12rsar) key=server-rsa args=(hs 1.2 resume 8 "$hs_secs") ;;
    lat) key=server-ec args=(lat tls 5000) ;;
    idle)
      proxy "$who" "$who-idle" server ec "$be_plain"
      pid=$ppid_
      sleep 1
      before=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
      rm -f "$work/hold"
      mkfifo "$work/hold"
      taskset -c 1 "$lg" idle "$port" "$idle_count" <"$work/hold" >"$work/idle.out" &
      local holder=$!
      exec 7>"$work/hold"
      until grep -q '^ready' "$work/idle.out" 2>/dev/null; do sleep 0.2; done
      sleep 2
      after=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
      exec 7>&-
      wait "$holder" 2>/dev/null || true
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      printf '%s\t%s\t%s\t0\n' "$c" "$who" "$(awk -v a="$after" -v b="$before" -v n="$idle_count" 'BEGIN {printf "%.1f", (a - b) / n}')" >>"$results"
      return 0
      ;;
    *) echo "ab: unknown case $c" >&2; exit 64 ;;
  esac
  pid=${P[$who-$key]}
  before=$(cpu_of "$pid")
  b0=$(busy0)
  line=$(taskset -c 1 "$lg" "${args[0]}" "${PORT[$who-$key]}" "${args[@]:1}")
  b1=$(busy0)
  after=$(cpu_of "$pid")
  other=$(awk -v x="$b0" -v y="$b1" -v p="$((after - before))" 'BEGIN {split(x, a, " "); split(y, b, " "); d = b[2] - a[2]; o = d > 0 ? 100 * (b[1] - a[1] - p) / d : 0; printf "%.0f", o < 0 ? 0 : o}')
  case $c in
    lat) printf '%s\t%s\t%s\t%s\n' "$c" "$who" "$(field p50_us "$line")" "$other" >>"$results" ;;
    hs*) printf '%s\t%s\t%s\t%s\n' "$c" "$who" "$(awk -v a="$after" -v b="$before" -v t="$tck" -v n="$(field count "$line")" 'BEGIN {printf "%.0f", 1e6 * (a - b) / t / n}')" "$other" >>"$results" ;;
    *) printf '%s\t%s\t%s\t%s\n' "$c" "$who" "$(awk -v a="$after" -v b="$before" -v t="$tck" -v n="$bytes" 'BEGIN {printf "%.3f", (a - b) / t / (n / 1073741824)}')" "$other" >>"$results" ;;
  esac
}

for c in "${cases[@]}"; do
  # One unrecorded run per build first: JIT warm-up and the first TLS session cache fill are not what is compared.
  if [ "$c" != idle ]; then
    real=$results
    results=/dev/null
    one "$c" A
    one "$c" B
    results=$real
  fi
  for rep in $(seq 1 "$reps"); do
    # Alternate which build goes first, so a drift in machine load does not favour one side.
    if [ $((rep % 2)) -eq 1 ]; then order="A B"; else order="B A"; fi
    for who in $order; do one "$c" "$who"; done
  done
  printf '[ab %s] %s done\n' "$(date -u +%H:%M:%S)" "$c" >&2
done

node - "$results" "$dir_a" "$dir_b" <<'EOF'
const [file, a, b] = process.argv.slice(2);
const rows = new Map();
for (const line of require('node:fs').readFileSync(file, 'utf8').trim().split('\n')) {
  const [c, who, value, other] = line.split('\t');
  if (!rows.has(c)) rows.set(c, { A: [], B: [], cleanA: [], cleanB: [], other: [] });
  rows.get(c)[who].push(Number(value));
  // A run during which other processes took more than 10 % of CPU 0 also counts in the "quiet runs" median only if quiet.
  if (Number(other) <= 10) rows.get(c)[`clean${who}`].push(Number(value));
  rows.get(c).other.push(Number(other));
}
const med = (v) => {
  const s = [...v].sort((x, y) => x - y);
  const m = s.length >> 1;
  return Number((s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2).toPrecision(4));
};
const unit = (c) => (c === 'idle' ? 'RSS KiB/conn' : c === 'lat' ? 'p50 µs' : c.startsWith('hs') ? 'CPU µs/handshake' : 'CPU s/GiB');
console.log(`A = ${a}\nB = ${b}\n`);
console.log('| case | metric | A median (all) | B median (all) | B ÷ A | quiet runs (other work on CPU 0 <= 10 %): A, B, B ÷ A |');
console.log('|---|---|---|---|---|---|');
for (const [c, r] of rows) {
  const all = (v) => v.join(' ');
  const quiet =
    r.cleanA.length > 0 && r.cleanB.length > 0
      ? `${med(r.cleanA)} (${r.cleanA.length}), ${med(r.cleanB)} (${r.cleanB.length}), ${(med(r.cleanB) / med(r.cleanA)).toFixed(3)}`
      : 'none';
  console.log(`| ${c} | ${unit(c)} | ${med(r.A)} (${all(r.A)}) | ${med(r.B)} (${all(r.B)}) | ${(med(r.B) / med(r.A)).toFixed(3)} | ${quiet} |`);
}
EOF
