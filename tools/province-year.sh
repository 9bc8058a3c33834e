#!/usr/bin/env bash
# The province-year (docs/BENCHMARKS.md): 1,000,000 enterprises, 20,000
# officers, 1,000,000 plans against one fresh server on bbolt. Writes the
# directory as NDJSON, times its import, runs the simulation with the
# simulator's peak RSS measured, and samples the server's Go heap (from
# /metrics) and the machine's load every 10 s. Everything in $WORK (default a
# new /tmp directory), which is kept for inspection.
#
#   ./tools/province-year.sh      # SERVER_GOMEMLIMIT (default 480MiB), SERVER_GOGC (default 300), CONCURRENCY (default 64), SERVER_BOUNDS (default 30000); BIN=dir of built binaries skips the build
#   SERVER_ARGS='-debug-addr 127.0.0.1:6060' ./tools/province-year.sh   # more server flags, e.g. Go's profiler
#
# SERVER_BOUNDS is the coordinator's working set and the read cache
# (-coord-max-enterprises, -cache-size), 100,000 each by default: under a
# 480MiB limit the defaults left about 300 MiB live, the collector took half
# the server's CPU seven minutes in, and 30,000 each gave 22% more plans in
# the first 456 s (docs/BENCHMARKS.md).
#
# 480MiB: at 400MiB the collector ran nearly without pause once the
# coordinator's working set and the read cache were full (288 MiB live), and
# the rate fell from 300 to 154 plans/s; 480MiB still keeps the heap under
# the 512 MiB asked. 64 clients: a province's agencies and enterprises act
# at once, and 16 left the store's group commits at 7 writes each (30 at 64,
# a quarter of the fsyncs per write). GOGC=300 beside the limit: while the
# live heap is small the collector runs a third as often (the first 100 s
# of the year, quiet machine: 15% less server CPU per plan, but only 3% more
# plans/s, since the store's writer bounds the rate); once the live heap
# nears the limit, the limit decides.
set -euo pipefail
cd "$(dirname "$0")/.."
enterprises=${ENTERPRISES:-1000000}
officers=${OFFICERS:-20000}
inspections=${INSPECTIONS:-1000000}
work=${WORK:-$(mktemp -d /tmp/ruqi-province-XXXXXX)}
bin=${BIN:-}
memlimit=${SERVER_GOMEMLIMIT:-480MiB}
gogc=${SERVER_GOGC:-300}
concurrency=${CONCURRENCY:-64}
bounds=${SERVER_BOUNDS:-30000}
if [ -z "$bin" ]; then
  bin="$work/bin"; mkdir -p "$bin"
  go build -o "$bin/ruqi-server" ./server
  go build -o "$bin/ruqi" ./client
fi
echo "work: $work"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg); server GOMEMLIMIT=$memlimit GOGC=$gogc, bounds $bounds; $concurrency clients"

/usr/bin/time -f 'write-directory: %e s, peak RSS %M KB' "$bin/ruqi" simulate --enterprises "$enterprises" \
  --officers "$officers" --agencies 200 --region 510000 --write-directory "$work/province.ndjson"

mkdir -p "$work/data"
RUQI_PRINCIPAL_RATES=off GOMEMLIMIT=$memlimit GOGC=$gogc "$bin/ruqi-server" -data-dir "$work/data" -grpc-addr 127.0.0.1:0 -http-addr 127.0.0.1:0 -metrics-addr 127.0.0.1:0 \
  -coord-max-enterprises "$bounds" -cache-size "$bounds" -ready-file "$work/data/ready.json" -log-level warn ${SERVER_ARGS:-} 2>"$work/server.log" &
server=$!
trap 'kill $server 2>/dev/null || true; kill $sampler 2>/dev/null || true' EXIT
for _ in $(seq 600); do [ -s "$work/data/ready.json" ] && break; sleep 0.1; done
grpc=$(sed -E 's/.*"grpc_addr":"([^"]+)".*/\1/' "$work/data/ready.json")
metrics=$(sed -E 's/.*"metrics_addr":"([^"]+)".*/\1/' "$work/data/ready.json")

# One line every 10 s: time, load average, the server's Go heap figures and RSS.
(
  while kill -0 $server 2>/dev/null; do
    m=$(curl -s "http://$metrics/metrics" | grep -E '^(go_memstats_heap_alloc_bytes|go_memstats_heap_inuse_bytes|go_memstats_next_gc_bytes|go_gc_heap_live_bytes|process_resident_memory_bytes|ruqi_store_writer_busy_seconds_total|ruqi_store_writer_commit_seconds_total|ruqi_store_writes_total|ruqi_store_commits_total) ' | tr '\n' ' ')
    echo "$(date +%s) $(cut -d' ' -f1-3 /proc/loadavg) $m"
    sleep 10
  done
) >"$work/samples.txt" &
sampler=$!

start=$(date +%s)
/usr/bin/time -f 'import: %e s, CLI peak RSS %M KB' "$bin/ruqi" --server "$grpc" --token-file "$work/data/admin.token" \
  --timeout 2m admin import "$work/province.ndjson" --chunk 5000 --no-progress
echo "load after import: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f 'simulate: %e s, simulator peak RSS %M KB' "$bin/ruqi" --server "$grpc" --token-file "$work/data/admin.token" \
  --timeout 1m -o json simulate --enterprises "$enterprises" --officers "$officers" --agencies 200 --region 510000 \
  --inspections "$inspections" --concurrency "$concurrency" --skip-import --no-progress >"$work/summary.json" ||
  echo "simulate ended with an error or was interrupted: $work/summary.json has the counts so far"
end=$(date +%s)
echo "import + simulation: $((end - start)) s; load: $(cut -d' ' -f1-3 /proc/loadavg)"
ls -l "$work/data/ruqi.db"
python3 - "$work/samples.txt" <<'EOF'
import sys
keys = {}
loads = []
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) < 4: continue
    loads.append(float(f[1]))
    for k, v in zip(f[4::2], f[5::2]):
        keys[k] = max(keys.get(k, 0), float(v))
for k, v in sorted(keys.items()):
    print("max %s: %.1f MiB" % (k, v / 2**20))
if loads:
    print("load average (1 min) over the run: min %.1f, mean %.1f, max %.1f" % (min(loads), sum(loads)/len(loads), max(loads)))
EOF
