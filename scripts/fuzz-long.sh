#!/usr/bin/env bash
# Long fuzzing runs of the same fast-check properties CI runs with a fixed seed
# (test/fuzz-*.test.ts in each package), here with a random seed and many more
# runs. For a developer machine or a nightly job, not for CI.
#
#   scripts/fuzz-long.sh                      # every package, 20000 runs per property
#   FUZZ_RUNS=100000 scripts/fuzz-long.sh verify protocol
#   FUZZ_SEED=1234 scripts/fuzz-long.sh       # replay a seed a failure printed
#
# Environment: FUZZ_RUNS (runs per property, default 20000), FUZZ_SEED (default:
# random), FUZZ_TIME_MS (time limit per property, default 30 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=("$@")
[ ${#packages[@]} -gt 0 ] || packages=(config-parser protocol proto-pgsql proto-cifs proto-nntp proto-smtp proto-imap proto-pop3 proto-connect proto-socks proto-proxy verify)

export FUZZ_RUNS="${FUZZ_RUNS:-20000}"
export FUZZ_SEED="${FUZZ_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' \n')}"
export FUZZ_TIME_MS="${FUZZ_TIME_MS:-1800000}"

# The protocol packages import @tunnel/protocol from its build.
[ -f packages/protocol/dist/index.js ] || pnpm --filter @tunnel/protocol build

echo "fuzz-long: seed $FUZZ_SEED, $FUZZ_RUNS runs per property, ${FUZZ_TIME_MS} ms per property"
failed=()
for package in "${packages[@]}"; do
  [ -d "packages/$package/test" ] || { echo "fuzz-long: no package $package" >&2; exit 2; }
  echo "=== $package"
  if ! (cd "packages/$package" && pnpm exec uvu -r tsx test '^fuzz-.*\.test\.ts$'); then
    failed+=("$package")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz-long: FAILED in ${failed[*]}; replay with: FUZZ_SEED=$FUZZ_SEED FUZZ_RUNS=$FUZZ_RUNS scripts/fuzz-long.sh ${failed[*]}"
  exit 1
fi
echo "fuzz-long: no failure (seed $FUZZ_SEED)"
