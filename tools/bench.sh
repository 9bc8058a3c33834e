#!/usr/bin/env bash
# Runs the benchmarks recorded in docs/BENCHMARKS.md, each beside the limit
# it is compared with, measured in the same run. Prints; changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${BENCHTIME:-3s}

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc)"
echo "go: $(go version)"
echo "redis: $(redis-server --version | cut -d' ' -f3)"

echo
echo "== codes: sign and verify against raw Ed25519"
go test -run '^$' -bench 'Sign|Verify' -benchtime "$benchtime" ./internal/code/ | grep -E '^Benchmark'

echo
echo "== event log: append with bbolt batching, against the disk's fsync"
go test -run '^$' -bench . -benchtime "$benchtime" ./internal/store/bolt/ | grep -E '^Benchmark'

echo
echo "== Merkle log: leaves integrated (bbolt, fsync) against SHA-256 on the same core; event → receipt under load"
go test -run '^$' -bench 'Integrate|SHA256Leaf' -benchtime 20000x ./internal/tlog/ | grep -E '^Benchmark'
go test -run '^$' -bench 'ReceiptDelay' -benchtime 20x ./internal/tlog/ | grep -E '^Benchmark'

echo
echo "== PostgreSQL store: what a registration writes, 2 and 32 writers (fsync on)"
go test -run '^$' -bench . -benchtime "$benchtime" ./internal/store/postgres/ | grep -E '^Benchmark'

echo
echo "== service end to end (in-process gRPC, auth; bbolt with fsync, and PostgreSQL + Redis): scan and register"
go test -run '^$' -bench . -benchtime "$benchtime" ./internal/service/ | grep -E '^Benchmark'

echo
echo "== 拼团 matching: a province's month (100,000 plans, 1,000,000 enterprises) beside sorting its pairs"
go test -run '^$' -bench 'ProvinceMonth|SortFloor' -benchtime 2x ./internal/matching/ | grep -E '^Benchmark'

echo
echo "== coordinator: one decision, in process and through Redis"
go test -run '^$' -bench . -benchtime "$benchtime" ./internal/coord/local/ | grep -E '^Benchmark'
go test -run '^$' -bench . -benchtime "$benchtime" ./internal/coord/redis/ | grep -E '^Benchmark'

echo
echo "== redis-benchmark: EVALSHA of 'return 1' on a fresh redis-server"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/pid" >/dev/null
trap 'kill "$(cat "$dir/pid")" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
sha=$(redis-cli -p "$port" script load "return 1")
echo "one connection (-c 1, sequential like the Go benchmarks):"
redis-benchmark -p "$port" -n 100000 -c 1 -q evalsha "$sha" 0 | tr '\r' '\n' | tail -1
echo "50 connections (-c 50, Redis's throughput):"
redis-benchmark -p "$port" -n 200000 -c 50 -q evalsha "$sha" 0 | tr '\r' '\n' | tail -1
