#!/usr/bin/env bash
# Package hygiene of every public package, on what would be published:
#   publint (strict) on the package directory (it packs with pnpm itself);
#   @arethetypeswrong/cli on the pnpm-packed tarball, profile esm-only (the packages are ESM-only on
#   purpose: CommonJS consumers use import(); node10/node16-cjs resolutions are therefore not judged);
#   the tarball's file list: a README, dist entry + .d.ts, nothing from src/, test/, coverage/ or *.map.
# Tools are pinned and fetched with pnpm dlx. Usage: bash tools/consumer-test/hygiene.sh
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/tunnel-hygiene.XXXXXX)
trap 'rm -rf "$work"' EXIT
export NO_COLOR=1 FORCE_COLOR=0
PUBLINT=publint@0.3.25
ATTW=@arethetypeswrong/cli@0.18.5
failed=0
results=()
note() { results+=("$*"); echo "$*"; }

while read -r line; do
  dir=$(node -p "JSON.parse(process.argv[1]).dir" "$line")
  name=$(node -p "JSON.parse(process.argv[1]).name" "$line")
  echo "=== $name ($dir)"
  [ -f "$root/$dir/dist/index.js" ] || { note "FAIL  $name: not built (run pnpm build)"; failed=$((failed + 1)); continue; }
  if out=$(cd "$root/$dir" && pnpm dlx "$PUBLINT" --strict 2>&1); then
    grep -qi 'suggestion\|warning' <<<"$out" && note "NOTE  $name publint: $(grep -i 'suggestion\|warning' -A2 <<<"$out" | tr '\n' ' ')" || note "PASS  $name publint"
  else
    note "FAIL  $name publint: $(sed -n '/Linting/,$p' <<<"$out" | tr '\n' ' ')"
    failed=$((failed + 1))
  fi
  mkdir -p "$work/$dir"
  (cd "$root/$dir" && pnpm pack --pack-destination "$work/$dir" >/dev/null 2>&1) || { note "FAIL  $name: pnpm pack"; failed=$((failed + 1)); continue; }
  tgz=$(ls "$work/$dir"/*.tgz)
  if out=$(pnpm dlx "$ATTW" --profile esm-only --format ascii "$tgz" 2>&1); then
    note "PASS  $name attw (esm-only profile)"
  else
    note "FAIL  $name attw: $(grep -v '^Progress\|^Packages\|^+*$' <<<"$out" | head -30)"
    failed=$((failed + 1))
  fi
  files=$(tar -tzf "$tgz" | sed 's|^package/||' | sort)
  problems=""
  grep -qx 'README.md' <<<"$files" || problems+=" no README.md;"
  grep -qx 'dist/index.js' <<<"$files" || problems+=" no dist/index.js;"
  grep -qx 'dist/index.d.ts' <<<"$files" || problems+=" no dist/index.d.ts;"
  grep -qx 'LICENSE\|LICENSE.md\|COPYING' <<<"$files" || problems+=" no LICENSE file;"
  stray=$(grep -E '^(src|test|coverage)/|\.map$|\.test\.' <<<"$files" | head -3 | tr '\n' ' ')
  [ -z "$stray" ] || problems+=" ships $stray;"
  if [ -z "$problems" ]; then note "PASS  $name tarball: $(wc -l <<<"$files") files"; else note "FAIL  $name tarball:$problems"; failed=$((failed + 1)); fi
done < <(node "$here/lib/packages.mjs" "$root")

printf '\n=== hygiene summary\n'
printf '%s\n' "${results[@]}"
echo "hygiene: $failed failed"
[ "$failed" -eq 0 ]
