#!/usr/bin/env bash
# Fails if the API in proto/ breaks wire or JSON compatibility (buf's
# WIRE_JSON rules, see buf.yaml) against the previous state of main: on main
# itself the commit before HEAD, on a branch the point where it left main.
# RUQI_BUF_AGAINST=<commit> names another base. Run by tools/test.sh.
#
# A clean CI clone may be shallow: the script deepens it by one commit if it
# can. With no earlier commit at all (the first commit) there is nothing to
# compare, and it says so and passes.
set -euo pipefail
cd "$(dirname "$0")/.."

buf() { go tool -modfile=tools/go.mod buf "$@"; }

base="${RUQI_BUF_AGAINST:-}"
if [ -z "$base" ]; then
  main=""
  for ref in refs/remotes/origin/main refs/heads/main; do
    if git rev-parse --verify -q "$ref^{commit}" >/dev/null; then main="$ref"; break; fi
  done
  head=$(git rev-parse HEAD)
  if [ -z "$main" ] || [ "$(git rev-parse "$main")" = "$head" ]; then
    # On main (or no main known): the commit before this one.
    if ! git rev-parse --verify -q "HEAD~1^{commit}" >/dev/null && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
      git fetch -q --deepen=1 2>/dev/null || true
    fi
    base=$(git rev-parse --verify -q "HEAD~1^{commit}" || true)
  else
    base=$(git merge-base HEAD "$main" 2>/dev/null || true)
    if [ -z "$base" ] && [ "$(git rev-parse --is-shallow-repository)" = true ]; then
      git fetch -q --deepen=50 2>/dev/null || true
      base=$(git merge-base HEAD "$main" 2>/dev/null || true)
    fi
  fi
  if [ -z "$base" ]; then
    echo "buf breaking: no earlier commit to compare with (first commit, or a shallow clone that could not be deepened): nothing to check"
    exit 0
  fi
fi

if ! git cat-file -e "$base:buf.yaml" 2>/dev/null || ! git cat-file -e "$base:proto" 2>/dev/null; then
  echo "buf breaking: $base has no buf.yaml and proto/: nothing to check"
  exit 0
fi

# The base's API as files: works in worktrees and any clone, with nothing
# but the commit's objects.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$base" buf.yaml proto | tar -x -C "$tmp"
echo "buf breaking against $(git rev-parse --short "$base")"
buf breaking --against "$tmp"
