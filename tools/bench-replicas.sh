#!/usr/bin/env bash
# Registrations and scans per second with 1, 2 and 3 replicas on one
# PostgreSQL (and one Redis), beside pgbench's TPS on the same PostgreSQL in
# the same run (docs/BENCHMARKS.md, "Several replicas"). Each replica gets
# its own load tool with CLIENTS/N clients, all running at once; the figure
# is their sum. Prints; changes nothing outside a temporary directory.
#
#   ./tools/bench-replicas.sh            # DURATION=15s CLIENTS=32
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-15s}
clients=${CLIENTS:-32}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL not found: apt-get install postgresql" >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi

mkdir -p bin
go build -o bin/ruqi-server ./server
go build -o bin/ruqi ./client
go build -o bin/ruqi-load ./internal/sim/loadcmd

work=$(mktemp -d /tmp/ruqi-bench-XXXXXX)
chmod 755 "$work"
pids=()
stop_replicas() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait "${pids[@]}" 2>/dev/null || true; pids=(); }
cleanup() {
  stop_replicas
  as_pg "$pgbin/pg_ctl" stop -D "$work/pg" -m fast >/dev/null 2>&1 || true
  [ -n "${redis_port:-}" ] && redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/pg"; [ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
pg_port=$(free_port)
as_pg "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
as_pg "$pgbin/pg_ctl" start -D "$work/pg" -l "$work/pg/log" -w \
  -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize yes >/dev/null
bin/ruqi witness keygen --name ruqi.bench/log --key-file "$work/log.key" >/dev/null

echo "== machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "go: $(go version | cut -d' ' -f3); postgres: $("$pgbin/postgres" --version | cut -d' ' -f3); redis: $(redis-server --version | cut -d' ' -f3)"

echo
echo "== pgbench on the same PostgreSQL (TPC-B-like, -c $clients, $duration)"
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres bench
"$pgbin/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -i -q -s 10 bench >/dev/null 2>&1
"$pgbin/pgbench" -h 127.0.0.1 -p "$pg_port" -U postgres -c "$clients" -j 2 -T "${duration%s}" bench 2>/dev/null | grep -E "^tps"

# Sum of the tools' throughput (every answer, refusals included) and of
# their accepted calls per second, and the refusals by code, if any.
tps() { python3 -c 'import json,sys,collections; r=[json.load(open(f)) for f in sys.argv[1:]]; e=collections.Counter(); [e.update(x.get("errorsByCode") or {}) for x in r]; print("%.0f %.0f %s" % (sum(x["throughput"] for x in r), sum(x["ok"]/x["seconds"] for x in r), ",".join("%s:%d" % kv for kv in sorted(e.items())) or "-"))' "$@"; }

echo
echo "== ruqi on PostgreSQL: $clients clients in all, shared among the replicas"
printf '%-9s %-10s %12s %12s  %s\n' replicas op "answers/s" "accepted/s" "refused by code"
for n in 1 2 3; do
  db="ruqi$n"
  as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$db"
  store="postgres://postgres@127.0.0.1:$pg_port/$db?sslmode=disable"
  redis-cli -p "$redis_port" flushall >/dev/null
  addrs=()
  for i in $(seq "$n"); do
    dir="$work/r$n-$i"; mkdir -p "$dir"
    RUQI_PRINCIPAL_RATES=off bin/ruqi-server -data-dir "$dir" -store "$store" -redis-addr "127.0.0.1:$redis_port" -log-key-file "$work/log.key" \
      -grpc-addr 127.0.0.1:0 -http-addr 127.0.0.1:0 -ready-file "$dir/ready.json" -log-level error 2>"$dir/log" &
    pids+=($!)
    for _ in $(seq 300); do [ -s "$dir/ready.json" ] && break; sleep 0.1; done
    addrs+=("$(sed -E 's/.*"grpc_addr":"([^"]+)".*/\1/' "$dir/ready.json")")
  done
  token="$work/r$n-1/admin.token"
  for op in register scan; do
    # Preparation (import, codes) happens before each tool's clock starts.
    outs=(); lp=()
    for i in $(seq "$n"); do
      out="$work/r$n-$op-$i.json"; outs+=("$out")
      bin/ruqi-load -server "${addrs[$((i-1))]}" -token-file "$token" -op "$op" -clients $((clients / n)) \
        -duration "$duration" -json -no-progress >"$out" 2>"$out.err" &
      lp+=($!)
    done
    wait "${lp[@]}" || { echo "a load tool failed:"; cat "$work"/r$n-$op-*.err; exit 1; }
    read -r all ok refused < <(tps "${outs[@]}")
    printf '%-9s %-10s %12s %12s  %s\n' "$n" "$op" "$all" "$ok" "$refused"
  done
  stop_replicas
done
