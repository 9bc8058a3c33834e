#!/usr/bin/env bash
# Scans per second at 32 clients beside raw Ed25519 verifications per second
# on the same cores, in the same run (docs/BENCHMARKS.md, "Scanning"): for
# each server binary given (default: this tree's), a fresh server on bbolt
# in a temporary directory, then the load tool, which measures Ed25519 just
# before and just after its run and prints the ratio.
#
#   ./tools/bench-scan.sh                          # DURATION=20s CLIENTS=32
#   ./tools/bench-scan.sh old-server new-server    # alternate binaries, same run
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-20s}
clients=${CLIENTS:-32}
work=$(mktemp -d /tmp/ruqi-scan-XXXXXX)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/load" ./internal/sim/loadcmd
servers=("$@")
if [ ${#servers[@]} -eq 0 ]; then
  go build -o "$work/ruqi-server" ./server
  servers=("$work/ruqi-server")
fi
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); go: $(go version | cut -d' ' -f3)"
for bin in "${servers[@]}"; do
  dir=$(mktemp -d "$work/data-XXXX")
  # The load tool scans with 256 enterprises' tokens, each far faster than
  # any enterprise: the per-principal rate is lifted (older binaries ignore it).
  RUQI_PRINCIPAL_RATES=off "$bin" -data-dir "$dir" -grpc-addr 127.0.0.1:0 -http-addr 127.0.0.1:0 -metrics-addr 127.0.0.1:0 -ready-file "$dir/ready.json" -log-level error 2>"$dir/log" &
  server=$!
  for _ in $(seq 600); do [ -s "$dir/ready.json" ] && break; sleep 0.1; done
  grpc=$(sed -E 's/.*"grpc_addr":"([^"]+)".*/\1/' "$dir/ready.json")
  metrics=$(sed -E 's/.*"metrics_addr":"([^"]+)".*/\1/' "$dir/ready.json")
  echo "== $bin; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  "$work/load" -server "$grpc" -token-file "$dir/admin.token" -op scan -clients "$clients" -duration "$duration" -no-progress \
    -metrics "http://$metrics/metrics"
  echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  kill $server; wait $server 2>/dev/null || true
done
