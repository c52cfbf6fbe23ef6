#!/usr/bin/env bash
# Consumer test: proves the packed artifacts work for a user who is NOT in this workspace.
#   1. pnpm pack every public package (workspace: ranges become real versions);
#   2. a fresh project outside the workspace installs all tarballs with plain npm (no dev deps, no links);
#      every @tunnel/* and the example plugin must come from a local tarball, never the registry;
#   3. ESM import of every package + the exports its README documents (check.mjs);
#   4. tsc --noEmit (strict, NodeNext) on a file importing every package's types and on every README example;
#   5. the README examples that can run offline on loopback;
#   6. npm install -g into a temp prefix: tunnel -version, a real server-mode config carrying a TLS connection
#      from openssl s_client to an echo backend, tunnel -demo, and protocol = ldap from the globally
#      installed example plugin.
#   0. (first) deps-check.mjs: dependency lists are exactly what src/ imports.
# Needs: built dist/ (pnpm build), node 20, npm, openssl, registry access for third-party deps.
# Usage: bash tools/consumer-test/run.sh   (KEEP=1 keeps the temp dir)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/tunnel-consumer.XXXXXX)
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false npm_config_loglevel=error
TS_VERSION=5.9.3
TYPES_NODE_VERSION=20.19.43
pids=()
results=()
failed=0

cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
pass() { results+=("PASS  $*"); echo "PASS  $*"; }
fail() { results+=("FAIL  $*"); echo "FAIL  $*"; failed=$((failed + 1)); }
skip() { results+=("SKIP  $*"); echo "SKIP  $*"; }
step() { printf '\n=== %s\n' "$*"; }
summary() {
  printf '\n=== consumer test summary (%ss)\n' "$SECONDS"
  printf '%s\n' "${results[@]}"
  echo "consumer test: $failed failed"
}
abort() { fail "$*"; summary; exit 1; }

step "dependency lists match src/ imports"
node "$here/deps-check.mjs" >"$work/deps-check.log" 2>&1 && pass "deps-check: every dependency list is exactly what src/ imports" \
  || fail "deps-check: $(grep FAIL "$work/deps-check.log" | tr '\n' ';')"

step "pack the public packages"
mapfile -t pkgs < <(node "$here/lib/packages.mjs" "$root")
mkdir -p "$work/tarballs"
names=()
declare -A tarball
for line in "${pkgs[@]}"; do
  dir=$(node -p "JSON.parse(process.argv[1]).dir" "$line")
  name=$(node -p "JSON.parse(process.argv[1]).name" "$line")
  [ -f "$root/$dir/dist/index.js" ] || abort "$name: $dir/dist/index.js missing (run pnpm build first)"
  # A stale dist (built before a source file existed) packs a package whose bin or entry is missing.
  for target in $(node -e 'const p=require(process.argv[1]);const b=typeof p.bin==="string"?[p.bin]:Object.values(p.bin??{});console.log(b.join(" "))' "$root/$dir/package.json"); do
    [ -f "$root/$dir/$target" ] || abort "$name: bin $target missing from $dir (stale dist? run pnpm build)"
  done
  out=$(cd "$root/$dir" && pnpm pack --pack-destination "$work/tarballs" 2>&1) || abort "pnpm pack $name: $out"
  file=$(ls -t "$work/tarballs"/*.tgz | head -1)
  # pnpm must have replaced every workspace: range; a leftover one cannot install anywhere.
  if tar -xOzf "$file" package/package.json | grep -q '"workspace:'; then fail "$name: packed package.json still has a workspace: range"; fi
  tarball[$name]=$file
  names+=("$name")
done
pass "packed ${#names[@]} packages: ${names[*]}"

step "install the tarballs into a fresh project outside the workspace"
consumer="$work/consumer"
mkdir -p "$consumer"
node -e '
  const [names, files] = [JSON.parse(process.argv[1]), JSON.parse(process.argv[2])];
  const deps = Object.fromEntries(names.map((n) => ["" + n, "file:" + files[n]]));
  const pkg = { name: "tunnel-consumer", private: true, type: "module", dependencies: deps, overrides: { ...deps },
    devDependencies: { typescript: process.argv[3], "@types/node": process.argv[4] } };
  require("fs").writeFileSync(process.argv[5], JSON.stringify(pkg, null, 2));
  require("fs").writeFileSync(process.argv[6], JSON.stringify(names));
' "$(printf '%s\n' "${names[@]}" | node -e 'console.log(JSON.stringify(require("fs").readFileSync(0,"utf8").trim().split("\n")))')" \
  "$(for n in "${names[@]}"; do printf '%s\n%s\n' "$n" "${tarball[$n]}"; done | node -e 'const l=require("fs").readFileSync(0,"utf8").trim().split("\n");const o={};for(let i=0;i<l.length;i+=2)o[l[i]]=l[i+1];console.log(JSON.stringify(o))')" \
  "$TS_VERSION" "$TYPES_NODE_VERSION" "$consumer/package.json" "$consumer/packages.json"
(cd "$consumer" && timeout 300 npm install >"$work/npm-install.log" 2>&1) || { tail -30 "$work/npm-install.log"; abort "npm install of the tarballs"; }
# Every @tunnel/* (and the plugin) in the tree must come from a tarball, never from the registry.
from_registry=$(node -e '
  const lock = require(process.argv[1]);
  const bad = Object.entries(lock.packages).filter(([p, v]) => /node_modules\/(@tunnel\/|tunnel-protocol-)/.test(p) && !String(v.resolved ?? "").startsWith("file:"));
  console.log(bad.map(([p, v]) => p + " <- " + v.resolved).join("\n"));
' "$consumer/package-lock.json")
[ -z "$from_registry" ] && pass "npm install: every @tunnel/* resolved to a local tarball" || fail "resolved outside the tarballs: $from_registry"
dev_leak=$(cd "$consumer" && ls node_modules | grep -E '^(uvu|c8|tsx|fast-check)$' | tr '\n' ' ')
[ -z "$dev_leak" ] && pass "no devDependencies of ours were installed" || fail "devDependencies installed: $dev_leak"

step "ESM import + documented exports (check.mjs)"
cp "$here/lib/make-checks.mjs" "$here/lib/ldap-client.mjs" "$consumer/"
(cd "$consumer" && node make-checks.mjs) || abort "make-checks.mjs"
(cd "$consumer" && node check.mjs) && pass "node check.mjs: every package imports and has its README's exports" || fail "node check.mjs"

step "types: tsc --noEmit (strict, NodeNext) on types.ts and every README example"
cat >"$consumer/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "target": "ES2022",
    "module": "NodeNext",
    "moduleResolution": "NodeNext",
    "strict": true,
    "noEmit": true,
    "skipLibCheck": false,
    "types": ["node"]
  },
  "files": ["types.ts"]
}
EOF
(cd "$consumer" && npx tsc --noEmit -p tsconfig.json) && pass "tsc: every package's shipped .d.ts resolve and check (skipLibCheck off)" || fail "tsc on types.ts"
# One tsc run for all examples (each is its own module), failures attributed per file.
(cd "$consumer" && npx tsc --noEmit --strict --target ES2022 --module NodeNext --moduleResolution NodeNext --types node \
  --skipLibCheck examples/*.ts >"$work/tsc-examples.log" 2>&1)
tsc_status=$?
for example in "$consumer"/examples/*.ts; do
  base=$(basename "$example" .ts)
  if grep -q "^examples/$base.ts" "$work/tsc-examples.log"; then
    fail "tsc: README example of $base: $(grep "^examples/$base.ts" "$work/tsc-examples.log" | head -3)"
  else
    pass "tsc: README example of $base type-checks against the shipped types"
  fi
done
[ "$tsc_status" -eq 0 ] || grep -q '^examples/' "$work/tsc-examples.log" || fail "tsc on the examples: $(head -5 "$work/tsc-examples.log")"

step "run the README examples that work offline"
# config-parser's example is a linter: run it (compiled by the pinned tsc) on a valid and a broken config.
if [ -f "$consumer/examples/config-parser.ts" ]; then
  # Compiled once here; the cifs, pgsql and ldap examples run further down against the global tunnel.
  (cd "$consumer" && npx tsc --strict --target ES2022 --module NodeNext --moduleResolution NodeNext --types node --skipLibCheck --outDir run \
    examples/config-parser.ts examples/proto-cifs.ts examples/proto-pgsql.ts examples/tunnel-protocol-ldap.ts) || fail "compile the runnable README examples"
  printf 'foreground = yes\n[imaps]\naccept = 127.0.0.1:9993\nconnect = 127.0.0.1:143\ncert = server.pem\n' >"$consumer/good.conf"
  printf '[imaps]\naccept = 127.0.0.1:9993\nnoSuchOption = 1\n' >"$consumer/bad.conf"
  good=$(cd "$consumer" && node run/config-parser.js good.conf 2>&1)
  bad=$(cd "$consumer" && node run/config-parser.js bad.conf 2>&1); bad_status=$?
  if [ "$good" = "[imaps] server on 127.0.0.1:9993" ] && [ "$bad_status" = 1 ] && grep -q 'bad.conf:3' <<<"$bad"; then
    pass "README example config-parser (linter): \"$good\"; broken file -> \"$(head -1 <<<"$bad")\""
  else
    fail "README example config-parser: good -> '$good'; bad ($bad_status) -> '$bad'"
  fi
fi
for base in access ident os transparent proto-proxy proto-socks verify; do
  skip "running README example of $base: a server on a fixed port that never exits (type-checked above instead)"
done
for base in proto-connect proto-imap proto-nntp proto-pop3 proto-smtp; do
  skip "running README example of $base: needs a real $base server or proxy (type-checked above)"
done

# run_example NAME SED PATTERN: runs the compiled README example of NAME (address rewritten by SED) until it
# prints PATTERN (some examples keep their TLS socket open, so they are stopped once they have shown it).
run_example() {
  local js="$consumer/run/$1.js" out="$work/example-$1.out"
  [ -f "$js" ] || { fail "README example of $1 was not compiled"; return; }
  sed -e "$2" "$js" >"$consumer/run/$1.local.js"
  cmp -s "$js" "$consumer/run/$1.local.js" && { fail "README example of $1: its address ($2) is no longer in the example"; return; }
  (cd "$consumer" && NODE_EXTRA_CA_CERTS="$run_dir/cert.pem" exec node "run/$1.local.js" >"$out" 2>&1) &
  local pid=$!
  for _ in $(seq 100); do grep -q "$3" "$out" 2>/dev/null && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  if grep -q "$3" "$out"; then pass "README example of $1 ran against the global tunnel: $(grep "$3" "$out" | head -1)"; else fail "README example of $1: $(tail -3 "$out")"; fi
}

step "global install into a temp prefix"
prefix="$work/global"
all_tarballs=()
for n in "${names[@]}"; do all_tarballs+=("${tarball[$n]}"); done
(timeout 300 npm install -g --prefix "$prefix" "${all_tarballs[@]}" >"$work/npm-global.log" 2>&1) || { tail -30 "$work/npm-global.log"; abort "npm install -g"; }
tunnel="$prefix/bin/tunnel"
[ -x "$tunnel" ] || abort "$tunnel not installed"
run_dir="$work/run"   # no node_modules here: plugins must be found beside the global CLI
mkdir -p "$run_dir"
cd "$run_dir" || abort "cd $run_dir"
version=$("$tunnel" -version 2>&1) && pass "tunnel -version: $(head -1 <<<"$version")" || fail "tunnel -version: $version"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,DNS:files.example.com,DNS:db.example.com,DNS:ldap.example.org,IP:127.0.0.1 >/dev/null 2>&1 || abort "openssl req"
node "$here/lib/echo.mjs" >echo.port &
pids+=($!)
for _ in $(seq 50); do [ -s echo.port ] && break; sleep 0.1; done
echo_port=$(cat echo.port)
tls_port=$(node "$here/lib/free-port.mjs")
ldap_port=$(node "$here/lib/free-port.mjs")
cifs_port=$(node "$here/lib/free-port.mjs")
pgsql_port=$(node "$here/lib/free-port.mjs")
cat >tunnel.conf <<EOF
foreground = yes
pid =
debug = notice
cert = $run_dir/cert.pem
key = $run_dir/key.pem

[echo-tls]
accept = 127.0.0.1:$tls_port
connect = 127.0.0.1:$echo_port

[ldap-starttls]
accept = 127.0.0.1:$ldap_port
connect = 127.0.0.1:$echo_port
protocol = ldap

[cifs]
accept = 127.0.0.1:$cifs_port
connect = 127.0.0.1:$echo_port
protocol = cifs

[pgsql]
accept = 127.0.0.1:$pgsql_port
connect = 127.0.0.1:$echo_port
protocol = pgsql
EOF
"$tunnel" tunnel.conf >tunnel.log 2>&1 &
tunnel_pid=$!
pids+=($tunnel_pid)
if node "$here/lib/wait-port.mjs" "$tls_port" 15; then
  reply=$( (printf 'hello through the tunnel\n'; sleep 1) | timeout 15 openssl s_client -connect "127.0.0.1:$tls_port" \
    -servername localhost -verify_hostname localhost -CAfile cert.pem -verify_return_error -quiet -no_ign_eof 2>s_client.err)
  if [ "$reply" = "hello through the tunnel" ]; then
    pass "global tunnel tunnel.conf (server mode): openssl s_client -> TLS -> echo backend -> back (certificate and host name verified by s_client)"
  else
    fail "TLS through the global tunnel: got '$reply'; $(tail -3 s_client.err)"
  fi
  # The plugin must be found beside the global CLI, not from this directory (the config's and the cwd).
  if (cd "$run_dir" && node -e "require.resolve('tunnel-protocol-ldap')" 2>/dev/null); then
    fail "tunnel-protocol-ldap is resolvable from $run_dir itself: the global lookup is not what is tested"
  fi
  if node "$here/lib/wait-port.mjs" "$ldap_port" 5 && ldap=$(cd "$consumer" && node ldap-client.mjs "$ldap_port" "$run_dir/cert.pem" 2>&1); then
    pass "protocol = ldap loaded from the global prefix beside the CLI (not from the config dir or cwd): $ldap"
  else
    fail "protocol = ldap through the global tunnel: $ldap"
  fi
else
  fail "global tunnel with tunnel.conf did not listen: $(tail -5 tunnel.log)"
fi
  # README examples, verbatim but for the address they dial (this tunnel instead of a remote server); the
  # self-signed certificate is trusted through NODE_EXTRA_CA_CERTS and names the hosts they verify.
  run_example proto-cifs "s/port: 1139/port: $cifs_port/" 'TLS up: TLSv1\.[23]'
  run_example proto-pgsql "s/port: 5432/port: $pgsql_port/" 'TLS to PostgreSQL: TLSv1\.[23]'
  run_example tunnel-protocol-ldap "s/net.connect(389, 'ldap.example.org')/net.connect($ldap_port, '127.0.0.1')/" 'TLS TLSv1\.[23]'
kill "$tunnel_pid" 2>/dev/null
wait "$tunnel_pid" 2>/dev/null

TUNNEL_DEMO_PORT=0 "$tunnel" -demo >demo.out 2>demo.err &
demo_pid=$!
pids+=($demo_pid)
for _ in $(seq 100); do grep -q '127.0.0.1:[0-9]' demo.out 2>/dev/null && break; sleep 0.1; done
demo_port=$(grep -o '127.0.0.1:[0-9]*' demo.out | head -1 | cut -d: -f2)
if [ -n "$demo_port" ]; then
  reply=$( (printf 'demo line\n'; sleep 1) | timeout 15 openssl s_client -connect "127.0.0.1:$demo_port" -servername localhost -quiet -no_ign_eof 2>/dev/null)
  [ "$reply" = "demo line" ] && pass "tunnel -demo on free port $demo_port echoes over TLS" || fail "tunnel -demo: got '$reply'"
else
  fail "tunnel -demo printed no port: $(cat demo.out demo.err | tail -5)"
fi
kill "$demo_pid" 2>/dev/null
wait "$demo_pid" 2>/dev/null

summary
[ "$failed" -eq 0 ]
