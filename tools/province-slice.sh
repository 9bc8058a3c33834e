#!/usr/bin/env bash
# A slice of the province-year (docs/BENCHMARKS.md, "A province-year"): the
# first SECONDS of `tools/province-year.sh`'s simulation, for each server
# binary given, each time on a fresh copy of one imported directory, so that
# builds compare in the same hour without paying the import each time.
#
#   ./tools/province-slice.sh                         # this tree's server; SECONDS_PER_RUN=100
#   ./tools/province-slice.sh old-server new-server old-server new-server
#   CONCURRENCY=256 ./tools/province-slice.sh        # the simulator's clients (default 64)
#
# The 1,000,000-enterprise directory is written and imported once into
# $WORK/data0 (default /tmp/ruqi-slice; kept, and reused by later runs). Each
# run prints plans attempted per second, the store's writes, commits and
# writer-busy seconds from /metrics, and the CPU seconds of server and
# simulator from /proc: counts and ratios that stay meaningful on a noisy
# machine, where plans/s alone varies by ±7% between identical runs.
#
# PROFILE_AT=30 PROFILE_SECONDS=40 also takes a CPU profile of each server
# from that second of its run, into $WORK/cpu-<run>.prof (`go tool pprof`).
#
# The copy is dropped from the page cache before the server starts. A file
# that cp has just written sits in the cache as large folios, and on Linux
# 6.18 ext4 then walks a whole folio's buffers for each 4 KiB page bbolt
# writes: 9.5% of the server's CPU in one profile, against 1% when the
# server faults the pages in itself, as it does after the import or a
# restart.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${SECONDS_PER_RUN:-100}
work=${WORK:-/tmp/ruqi-slice}
bounds=${SERVER_BOUNDS:-30000}
profile_at=${PROFILE_AT:-}
profile_seconds=${PROFILE_SECONDS:-40}
mkdir -p "$work/bin"
go build -o "$work/bin/ruqi" ./client
servers=("$@")
if [ ${#servers[@]} -eq 0 ]; then
  go build -o "$work/bin/ruqi-server" ./server
  servers=("$work/bin/ruqi-server")
fi
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg); $seconds s per run, bounds $bounds"

# start_server BIN DIR: starts it, sets $server, $grpc and $metrics.
start_server() {
  rm -f "$2/ready.json"
  local debug=()
  if [ -n "$profile_at" ]; then
    debug_addr=127.0.0.1:$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    debug=(-debug-addr "$debug_addr")
  fi
  RUQI_PRINCIPAL_RATES=off GOMEMLIMIT=480MiB GOGC=300 "$1" -data-dir "$2" -grpc-addr 127.0.0.1:0 -http-addr 127.0.0.1:0 -metrics-addr 127.0.0.1:0 \
    -coord-max-enterprises "$bounds" -cache-size "$bounds" -ready-file "$2/ready.json" -log-level warn "${debug[@]}" 2>"$2.log" &
  server=$!
  for _ in $(seq 600); do [ -s "$2/ready.json" ] && break; sleep 0.1; done
  grpc=$(sed -E 's/.*"grpc_addr":"([^"]+)".*/\1/' "$2/ready.json")
  metrics=$(sed -E 's/.*"metrics_addr":"([^"]+)".*/\1/' "$2/ready.json")
}
trap 'kill ${server:-} 2>/dev/null || true' EXIT

if [ ! -s "$work/data0/ruqi.db" ]; then
  "$work/bin/ruqi" simulate --enterprises 1000000 --officers 20000 --agencies 200 --region 510000 \
    --write-directory "$work/province.ndjson"
  rm -rf "$work/data0"; mkdir -p "$work/data0"
  start_server "${servers[0]}" "$work/data0"
  /usr/bin/time -f 'import: %e s' "$work/bin/ruqi" --server "$grpc" --token-file "$work/data0/admin.token" \
    --timeout 2m admin import "$work/province.ndjson" --chunk 5000 --no-progress >/dev/null
  kill "$server"; wait "$server" 2>/dev/null || true
fi

run=0
for bin in "${servers[@]}"; do
  run=$((run + 1))
  dir="$work/run"
  rm -rf "$dir"; cp -a "$work/data0" "$dir"
  dd if=/dev/null of="$dir/ruqi.db" oflag=nocache conv=notrunc,fdatasync count=0 2>/dev/null
  start_server "$bin" "$dir"
  curl -s "http://$metrics/metrics" >"$work/before.prom"
  cpu0=$(awk '{print $14+$15}' "/proc/$server/stat")
  profiler=
  if [ -n "$profile_at" ]; then
    (sleep "$profile_at"; curl -s -o "$work/cpu-$run.prof" "http://$debug_addr/debug/pprof/profile?seconds=$profile_seconds") &
    profiler=$!
  fi
  /usr/bin/time -f '%U %S' -o "$work/sim.time" timeout -s INT "$seconds" "$work/bin/ruqi" --server "$grpc" --token-file "$dir/admin.token" --timeout 1m -o json \
    simulate --enterprises 1000000 --officers 20000 --agencies 200 --region 510000 --inspections 1000000 \
    --concurrency "${CONCURRENCY:-64}" --skip-import --no-progress >"$work/summary.json" 2>/dev/null || true
  cpu1=$(awk '{print $14+$15}' "/proc/$server/stat")
  curl -s "http://$metrics/metrics" >"$work/after.prom"
  if [ -n "$profiler" ]; then wait "$profiler" || true; fi
  kill "$server"; wait "$server" 2>/dev/null || true
  python3 - "$bin" "$work" "$cpu0" "$cpu1" "$(getconf CLK_TCK)" <<'EOF'
import json, sys
bin, work, cpu0, cpu1, tck = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sim = sum(float(x) for x in open(f"{work}/sim.time").read().split()[-2:])
def prom(name):
    out = {}
    for line in open(f"{work}/{name}.prom"):
        if line and line[0] != "#":
            k, _, v = line.rpartition(" ")
            out[k] = float(v)
    return out
a, b = prom("before"), prom("after")
d = lambda k: b.get(k, 0) - a.get(k, 0)
s = json.load(open(f"{work}/summary.json"))
secs = s.get("simulationSeconds") or s.get("wallSeconds")
plans = s["attempted"]
writes, commits = d("ruqi_store_writes_total"), d("ruqi_store_commits_total")
server = (cpu1 - cpu0) / tck
print(f"== {bin}")
print(f"  plans attempted {plans:,} in {secs:.1f} s: {plans / secs:.1f} plans/s ({s['registered']:,} registered)")
print(f"  writes {writes:,.0f} ({writes / plans:.2f} per plan), commits {commits:,.0f} ({writes / max(commits, 1):.1f} writes each)")
print(f"  writer busy {d('ruqi_store_writer_busy_seconds_total'):.1f} s, of it committing {d('ruqi_store_writer_commit_seconds_total'):.1f} s"
      f" ({1e6 * d('ruqi_store_writer_busy_seconds_total') / plans:.0f} µs per plan)")
print(f"  server CPU {server:.1f} s ({1e6 * server / plans:.0f} µs per plan), simulator CPU {sim:.1f} s ({1e6 * sim / plans:.0f} µs per plan)")
EOF
  if [ -n "$profiler" ]; then echo "  CPU profile: $work/cpu-$run.prof"; fi
done
