#!/bin/bash
# Backend CPU per transaction of a pgbench script, in microseconds: the CPU the PostgreSQL backend
# serving pgbench spent (utime + stime from /proc), divided by the transactions it ran. Steadier
# than pgbench's latency on a shared 2-core machine (waiting for a core does not count).
# Usage: db/bench/backend-cpu.sh DATABASE SCRIPT.pgbench ROLE [TRANSACTIONS]
# Needs: pgbench, psql as postgres on 127.0.0.1 (to find the backend), and /proc of the server's host.
set -euo pipefail
db=$1 script=$2 role=$3 n=${4:-5000}
out=$(mktemp)
PGOPTIONS="-c synchronous_commit=off" pgbench -h 127.0.0.1 -U "$role" -n -M prepared -c 1 -t "$n" -f "$script" "$db" > "$out" 2>&1 &
bench=$!
pid=""
for _ in $(seq 1 100); do
  pid=$(psql -h 127.0.0.1 -U postgres -Atc "select pid from pg_stat_activity where application_name = 'pgbench' and datname = '$db'" | head -1)
  [ -n "$pid" ] && break
  sleep 0.05
done
[ -n "$pid" ] || { echo "no pgbench backend found" >&2; cat "$out" >&2; exit 1; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
first=$(ticks "$pid"); last=$first
while kill -0 "$pid" 2>/dev/null; do last=$(ticks "$pid" || echo "$last"); sleep 0.02; done
wait "$bench" || { cat "$out" >&2; exit 1; }
done_n=$(awk '/actually processed/ {split($6, a, "/"); print a[1]}' "$out")
echo $(( (last - first) * 1000000 / $(getconf CLK_TCK) / done_n ))
rm -f "$out"
