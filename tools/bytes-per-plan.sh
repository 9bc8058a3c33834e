#!/usr/bin/env bash
# Bytes per registered plan (docs/BENCHMARKS.md, issue 14): one simulation
# against a fresh server, then the store's size per plan, before and after
# compaction, with where the bytes are.
#
#   ./tools/bytes-per-plan.sh                    # bbolt, 100,000 attempts: file size, `ruqi admin compact`, boltsize
#   STORE=postgres ./tools/bytes-per-plan.sh     # PostgreSQL, 20,000 attempts: tables + indexes, VACUUM FULL
#   INSPECTIONS=… ENTERPRISES=… ./tools/bytes-per-plan.sh
#
# PostgreSQL runs in a cluster of its own in a temporary directory (as the
# postgres user when run as root: initdb refuses root). Prints; changes
# nothing outside that directory.
set -euo pipefail
cd "$(dirname "$0")/.."
store=${STORE:-bolt}
case "$store" in
bolt) inspections=${INSPECTIONS:-100000} ;;
postgres) inspections=${INSPECTIONS:-20000} ;;
*) echo "STORE must be bolt or postgres" >&2; exit 2 ;;
esac
enterprises=${ENTERPRISES:-50000}

work=$(mktemp -d /tmp/ruqi-bpp-XXXXXX)
chmod 755 "$work"
go build -o "$work/ruqi-server" ./server
go build -o "$work/ruqi" ./client
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
if [ "$(id -u)" -eq 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; else as_pg() { "$@"; }; fi

server=
pgbin=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$pgbin" ] && as_pg "$pgbin/pg_ctl" stop -D "$work/pg" -m fast >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

args=()
if [ "$store" = postgres ]; then
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$pgbin/initdb" ] || { echo "PostgreSQL not found: apt-get install postgresql" >&2; exit 1; }
  mkdir -p "$work/pg"; [ "$(id -u)" -eq 0 ] && chown postgres "$work/pg"
  pg_port=$(free_port)
  as_pg "$pgbin/initdb" -D "$work/pg" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
  as_pg "$pgbin/pg_ctl" start -D "$work/pg" -l "$work/pg/log" -w -o "-p $pg_port -k $work/pg -c listen_addresses=127.0.0.1" >/dev/null
  as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres ruqi
  args=(-store "postgres://postgres@127.0.0.1:$pg_port/ruqi?sslmode=disable")
fi

echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); load: $(cut -d' ' -f1-3 /proc/loadavg); go: $(go version | cut -d' ' -f3); main at $(git rev-parse --short HEAD); store: $store${pgbin:+ ($("$pgbin/postgres" --version | cut -d' ' -f3))}"
start_server() {
  rm -f "$work/data/ready.json"
  RUQI_PRINCIPAL_RATES=off "$work/ruqi-server" -data-dir "$work/data" "${args[@]}" -grpc-addr 127.0.0.1:0 -http-addr 127.0.0.1:0 \
    -ready-file "$work/data/ready.json" -log-level error 2>>"$work/server.log" &
  server=$!
  for _ in $(seq 600); do [ -s "$work/data/ready.json" ] && break; sleep 0.1; done
  grpc=$(sed -E 's/.*"grpc_addr":"([^"]+)".*/\1/' "$work/data/ready.json")
}
stop_server() { kill "$server"; wait "$server" || true; server=; }

start_server
/usr/bin/time -f 'simulate: %e s' "$work/ruqi" --server "$grpc" --token-file "$work/data/admin.token" -o json \
  simulate --enterprises "$enterprises" --officers 2000 --agencies 60 --inspections "$inspections" --concurrency 16 --no-progress >"$work/summary.json"

if [ "$store" = bolt ]; then
  stop_server
  plans=$(go run ./internal/store/bolt/boltsize "$work/data/ruqi.db" | awk '$1 == "inspections" {print $2}')
  before=$(stat -c %s "$work/data/ruqi.db")
  start_server
  "$work/ruqi" --server "$grpc" --token-file "$work/data/admin.token" admin compact >/dev/null
  stop_server
  after=$(stat -c %s "$work/data/ruqi.db")
  echo "plans $plans; file after the simulation $before B ($((before / plans)) B/plan); after compaction $after B ($((after / plans)) B/plan)"
  go run ./internal/store/bolt/boltsize "$work/data/ruqi.db"
else
  q() { "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d ruqi -At -c "$1"; }
  tables="FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'"
  plans=$(q "SELECT count(*) FROM inspections")
  before=$(q "SELECT sum(pg_total_relation_size(c.oid)) $tables")
  stop_server
  q "VACUUM FULL" >/dev/null
  after=$(q "SELECT sum(pg_total_relation_size(c.oid)) $tables")
  echo "plans $plans; tables + indexes after the simulation $before B ($((before / plans)) B/plan); after VACUUM FULL $after B ($((after / plans)) B/plan)"
  echo "per plan after VACUUM FULL, by table:"
  q "SELECT c.relname, pg_total_relation_size(c.oid) $tables ORDER BY 2 DESC" | awk -F'|' -v p="$plans" '$2 > 0 {printf "  %-28s %6d B\n", $1, $2 / p}'
fi
