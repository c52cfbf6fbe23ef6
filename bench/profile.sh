#!/usr/bin/env bash
# Where tunnel's CPU goes: perf samples of the tunnel process (pinned to CPU 0) during a bulk and a handshake run,
# grouped by who owns the code (OpenSSL, V8/JS, node C++, libuv, libc, kernel) plus the top symbols; the handshake
# shares times bench/run.sh's proxy CPU µs per handshake give µs per handshake per owner.
# JS frames are named thanks to node --perf-basic-prof. Needs `perf` (Debian: linux-perf); loopback only.
#
#   bash bench/profile.sh            (TUNNEL_ROOT as in bench/run.sh; PROFILE_SECS per run, default 4)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
tunnel_root=${TUNNEL_ROOT:-$repo}
secs=${PROFILE_SECS:-4}
command -v perf >/dev/null || { echo "profile: needs perf (apt-get install linux-perf)" >&2; exit 1; }
[ -f "$tunnel_root/packages/cli/dist/bin.js" ] || { echo "profile: build tunnel first (pnpm build)" >&2; exit 1; }

work=$(mktemp -d /tmp/tunnel-profile.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
cc -O2 -pthread -o "$work/loadgen" "$here/loadgen.c" -lssl -lcrypto
lg="$work/loadgen"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/ec.key" -out "$work/ec.pem" -days 2 -subj /CN=localhost 2>/dev/null
chmod 600 "$work/ec.key"

taskset -c 1 "$lg" serve 0 >"$work/backend.out" &
pids+=($!)
until grep -q PORT "$work/backend.out" 2>/dev/null; do sleep 0.05; done
backend=$(awk '{print $2}' "$work/backend.out")
port=$("$lg" freeport)
cat >"$work/tunnel.conf" <<EOF
foreground = yes
syslog = no
pid =
debug = 3
[bench]
accept = 127.0.0.1:$port
connect = 127.0.0.1:$backend
cert = $work/ec.pem
key = $work/ec.key
EOF
taskset -c 0 node --perf-basic-prof "$tunnel_root/packages/cli/dist/bin.js" "$work/tunnel.conf" >"$work/tunnel.log" 2>&1 &
tunnel=$!
pids+=("$tunnel")
until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do sleep 0.05; done

# summarize NAME: perf's flat profile grouped by owner, then the top symbols
summarize() {
  perf report -i "$work/$1.perf" --no-children --sort dso,sym -g none --stdio --percent-limit 0 2>/dev/null |
    awk -v name="$1" '
      /^ *[0-9.]+%/ {
        pct = $1; sub(/%/, "", pct); dso = $2; sym = $0; sub(/^.*\] /, "", sym)
        if (dso ~ /kernel/) owner = "kernel (TCP, syscalls, scheduling)"
        else if (sym ~ /^(_*ecp_|_*ecp_nistz|sha[0-9]|aes|_*aesni|gcm|ghash|ossl_|OPENSSL_|EVP_|evp_|BN_|bn_|X509|x509|ASN1|asn1|SSL_|ssl|tls|CRYPTO_|EC_|ec_|RSA|rsa|x25519|X25519|poly1305|ChaCha|chacha|ERR_|OBJ_|PEM|HMAC|hmac|do_name|OPENSSL_LH|lh_|RAND|rand|drbg|md_|kdf|KDF|pkey|PKEY|c2i|d2i|i2d|engine|ENGINE|OSSL|bio|BIO|fix_|ecdsa|ECDSA|ecx_|ECX|tls13|dtls|decoder|encoder|property|ossl)/) owner = "OpenSSL (crypto and TLS state machine)"
        else if (sym ~ /^(v8::|Builtins_|JS:|LazyCompile|Stub|BytecodeHandler|Function:|Script:|RegExp:)/ || dso ~ /JIT|perf-/) owner = "V8 (JS, ICs, GC, compiler)"
        else if (sym ~ /^node::/) owner = "node C++ bindings (TLSWrap, StreamBase)"
        else if (sym ~ /^uv_|^uv__/) owner = "libuv"
        else if (dso ~ /libc/) owner = "libc (malloc/free, memcpy, locks)"
        else owner = "other"
        own[owner] += pct; total += pct
        if (++n <= 25) top = top sprintf("  %6.2f%%  %s  %s\n", pct, dso, sym)
      }
      END {
        printf "== %s: %d%% of samples classified\n", name, total
        for (o in own) printf "  %6.1f%%  %s\n", own[o], o | "sort -rn"
        close("sort -rn")
        printf "top symbols:\n%s\n", top
      }'
}

profile() { # NAME LOADGEN-ARGS...
  local name=$1
  shift
  taskset -c 1 "$lg" "$@" >"$work/$name.load" &
  local load=$!
  pids+=("$load")
  sleep 0.5
  perf record -F 999 -g -o "$work/$name.perf" -p "$tunnel" -- sleep "$secs" >/dev/null 2>&1
  kill "$load" 2>/dev/null || true # bulk runs are cut when the sampling window ends
  wait "$load" 2>/dev/null || true
  [ -s "$work/$name.load" ] && echo "load: $(cat "$work/$name.load")"
  summarize "$name"
}

profile bulk-download-x1 bulk "$port" tls down 1 $((8 << 30))
profile bulk-upload-x8 bulk "$port" tls up 8 $((8 << 30))
profile handshake-tls13-full hs "$port" 1.3 full 4 $((secs + 1))
profile handshake-tls12-resumed hs "$port" 1.2 resume 4 $((secs + 1))
