#!/usr/bin/env bash
# A province on this machine, for a try-out: PostgreSQL (the shared store),
# Redis (the coordinator) and N ruqi-server replicas on loopback, all in a
# temporary directory that is removed on exit. Prints each replica's
# addresses and the administrator token file, then waits for Ctrl-C.
# A replica that dies (kill -9 it, to try a failure) leaves the others
# serving; its start.sh starts it again on the same addresses.
#
#   ./tools/cluster.sh [N]          # default 3 replicas
#
# Needs redis-server and Debian's postgresql (tools/test.sh installs both).
# initdb refuses root, so as root the cluster runs as the "postgres" user.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-3}

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL not found: apt-get install postgresql" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server not found: apt-get install redis-server" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

mkdir -p bin
go build -o bin/ruqi-server ./server
go build -o bin/ruqi ./client

work=$(mktemp -d /tmp/ruqi-cluster-XXXXXX)
chmod 755 "$work"
cleanup() {
  [ -n "${sleeper:-}" ] && kill "$sleeper" 2>/dev/null || true
  # Each replica's pid file, as its start.sh last wrote it: a replica
  # started again by hand is stopped too.
  for f in "$work"/replica-*/pid; do [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for f in "$work"/replica-*/pid; do
    [ -s "$f" ] || continue
    for _ in $(seq 100); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
  done
  [ -n "${pgdata:-}" ] && as_pg "$pgbin/pg_ctl" stop -D "$pgdata" -m fast >/dev/null 2>&1 || true
  [ -n "${redis_port:-}" ] && REDISCLI_AUTH=$(cat "$work/redis.password") redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
# SIGTERM (timeout, a service manager) ended the script without its EXIT
# trap, leaving PostgreSQL and Redis running: exit through it.
trap 'exit 143' TERM
# SIGINT too: the wait below is for a sleep, which ignores it as a
# background job does, and without a trap the script went on waiting.
trap 'exit 130' INT

if [ "$(id -u)" -eq 0 ]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

echo "== PostgreSQL"
pgdata="$work/pg"
mkdir -p "$pgdata"
[ "$(id -u)" -eq 0 ] && chown postgres "$pgdata"
pg_port=$(free_port)
as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
as_pg "$pgbin/pg_ctl" start -D "$pgdata" -l "$pgdata/log" -w \
  -o "-p $pg_port -k $pgdata -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres ruqi
store="postgres://postgres@127.0.0.1:$pg_port/ruqi?sslmode=disable"
echo "$store"

echo "== Redis"
redis_port=$(free_port)
# With a password, as a province's Redis has one: any local user could
# otherwise reach the coordinator on loopback. It is on no command line
# (ps shows those): Redis reads it from its configuration on stdin, the
# replicas from -redis-password-file.
(umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$work/redis.password")
printf 'requirepass %s\n' "$(cat "$work/redis.password")" |
  redis-server - --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$work" --daemonize yes --pidfile "$work/redis.pid" >/dev/null
echo "127.0.0.1:$redis_port (password in $work/redis.password)"

# One log key for the province: every replica signs the same log's
# checkpoints (ruqi witness keygen makes a note signer key).
bin/ruqi witness keygen --name ruqi.cluster/log --key-file "$work/log.key" >/dev/null

echo "== $n replicas"
# Each replica on ports of its own, fixed, and a start.sh that starts it
# on them again: a replica killed to try a failure (kill -9) comes back
# where its clients and the load balancer look for it.
for i in $(seq "$n"); do
  dir="$work/replica-$i"
  mkdir -p "$dir"
  cat > "$dir/start.sh" <<START
#!/usr/bin/env bash
# Starts replica $i of $work again (after kill -9, say), on its addresses.
cd "$PWD"
rm -f "$dir/ready.json"
bin/ruqi-server -data-dir "$dir" -store "$store" -redis-addr "127.0.0.1:$redis_port" \\
  -redis-password-file "$work/redis.password" -log-key-file "$work/log.key" \\
  -grpc-addr 127.0.0.1:$(free_port) -http-addr 127.0.0.1:$(free_port) -metrics-addr 127.0.0.1:$(free_port) \\
  -ready-file "$dir/ready.json" -log-level warn 2>>"$dir/log" &
echo \$! > "$dir/pid"
START
  chmod +x "$dir/start.sh"
  "$dir/start.sh"
done
for i in $(seq "$n"); do
  dir="$work/replica-$i"
  for _ in $(seq 200); do [ -s "$dir/ready.json" ] && break; sleep 0.1; done
  [ -s "$dir/ready.json" ] || { echo "replica $i did not start:"; cat "$dir/log"; exit 1; }
  echo "replica $i: $(cat "$dir/ready.json")"
done
cat <<MSG

Every replica shares one record: a token, a code, a key rotation or a joint
inspection made at one is seen at all. For example:

  export RUQI_SERVER=\$(sed -E 's/.*"grpc_addr":"([^"]+)".*/\1/' $work/replica-1/ready.json)
  bin/ruqi --token-file $work/replica-1/admin.token admin import testdata/sample/directory.json

A replica may be killed to try a failure (kill -9 \$(cat $work/replica-1/pid)):
the others go on serving, and $work/replica-1/start.sh starts it again on
the same addresses. Each serves /metrics on its metrics_addr.

Ctrl-C stops everything and removes $work.
MSG
# Until Ctrl-C, whichever replicas die meanwhile: waiting on the first
# replica ended the script, and its trap removed the province, PostgreSQL's
# data with it, when that replica was killed (a trial of the replicas,
# 2026-12-07).
while :; do
  sleep 3600 &
  sleeper=$!
  wait $sleeper || true
done
