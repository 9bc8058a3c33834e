#!/usr/bin/env bash
# Installs what the tests need, then runs every check and test.
# This is the README's test command; .ci/run calls it.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n== %s\n' "$*"; }

need_apt=()
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
# The PostgreSQL store's tests start their own clusters with Debian's initdb
# and postgres binaries (internal/testutil/pgtest); the package's own cluster is unused.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || need_apt+=(postgresql)
# Browser tests of the web pages drive Debian's headless Chromium.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# The race pass (-race) needs cgo, hence a C compiler.
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc)
# Without CJK fonts the screenshots show Chinese as empty boxes.
fc-list 2>/dev/null | grep -qi "noto.*cjk" || need_apt+=(fonts-noto-cjk)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

log "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

log "go vet"
go vet ./...

log "staticcheck"
go tool -modfile=tools/go.mod staticcheck ./...

log "buf lint, and generated code up to date"
go tool -modfile=tools/go.mod buf lint
go tool -modfile=tools/go.mod buf generate
if ! git diff --quiet -- proto; then
  echo "generated code differs from proto/: run 'go tool -modfile=tools/go.mod buf generate' and commit"
  git --no-pager diff --stat -- proto
  exit 1
fi

log "buf breaking against the previous state of main"
./tools/buf-breaking.sh

log "go test"
# The end-to-end package runs the real binaries through some 150 tests: about
# 6 minutes on 2 quiet cores, past go test's default 10 minutes a package
# when the machine is shared (2026-12-06: 612 s, timed out). The CI's
# 90 minutes bound the whole run.
go test -count=1 -timeout 30m ./... "$@"

# The packages where goroutines share state (the store's writer and its
# cache, the coordinators, the server's admission, the application core, the
# key ring, sign-in) again under the race detector: about 4 minutes on 2
# cores. The end-to-end and browser tests run the real binaries, built
# without it.
log "go test -race (store, coordinators, server, core, keys)"
go test -race -count=1 -timeout 30m ./internal/store/... ./internal/coord/... ./internal/serve/... \
  ./internal/tlog/ ./internal/service/ ./internal/inspection/ ./internal/matching/ \
  ./internal/code/ ./internal/identity/ "$@"
