#!/usr/bin/env bash
# The PostgreSQL side of `./ledger bench --compare-postgres`: the same transfer shape as the
# ledger bench (random pairs or one hot account, 128-byte metadata, closed loop) run by pgbench
# against a throw-away PostgreSQL cluster on loopback, with PostgreSQL's default durability
# (fsync on, synchronous_commit on). Installs nothing: it says what is missing.
#
#   tools/postgres/run.sh --check
#   tools/postgres/run.sh --accounts N --concurrency C --duration S --warmup S [--hot] [--batch N] [--data DIR]
#
# --batch N: N transfers per transaction (the ledger's POST /transfers/batch); latency is per
# transaction. Its updates take row locks in no global order, so concurrent batches can
# deadlock: pgbench retries those (--max-tries), and the retries count in the latency.
#
# Prints pgbench's progress, then one line:
#   RESULT tps=<posted/s> p50=<ms> p90=<ms> p99=<ms> p999=<ms> max=<ms> transfers=<n> failed=<n>
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ACCOUNTS=10000 CONCURRENCY=100 DURATION=30 WARMUP=10 HOT=0 BATCH=1 CHECK="" PORT=""
DATA="$ROOT/data/bench-postgres"
while [ $# -gt 0 ]; do
  case "$1" in
    --accounts) ACCOUNTS="$2"; shift 2 ;;
    --concurrency) CONCURRENCY="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --hot) HOT=1; shift ;;
    --batch) BATCH="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --port) PORT="$2"; shift 2 ;;
    --check) CHECK=yes; shift ;;
    *) echo "postgres bench: unknown option $1" >&2; exit 2 ;;
  esac
done

BIN=""
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then BIN="$dir"; break; fi
done
missing=()
[ -n "$BIN" ] || missing+=("PostgreSQL server binaries (initdb, pg_ctl): Debian package 'postgresql'")
command -v pgbench >/dev/null 2>&1 || [ -n "$BIN" -a -x "$BIN/pgbench" ] || missing+=("pgbench: Debian package 'postgresql-contrib' or 'postgresql'")
command -v psql >/dev/null 2>&1 || missing+=("psql: Debian package 'postgresql-client'")
RUNAS=()
if [ "$(id -u)" = 0 ]; then
  if id postgres >/dev/null 2>&1; then RUNAS=(runuser -u postgres --); else missing+=("a 'postgres' user to run the server as (created by the Debian package 'postgresql')"); fi
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "postgres bench: cannot run, missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  echo "  (for example: sudo apt-get install postgresql)" >&2
  exit 3
fi
[ -n "$CHECK" ] && { echo "postgres bench: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') found in $BIN"; exit 0; }
PGBENCH="$BIN/pgbench"; [ -x "$PGBENCH" ] || PGBENCH="$(command -v pgbench)"

if [ -z "$PORT" ]; then
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
fi
rm -rf "$DATA"; mkdir -p "$DATA"
[ ${#RUNAS[@]} -gt 0 ] && chown postgres "$DATA"
stop() {
  "${RUNAS[@]}" "$BIN/pg_ctl" -D "$DATA/db" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap stop EXIT
"${RUNAS[@]}" "$BIN/initdb" -D "$DATA/db" -A trust -U postgres --no-sync >/dev/null
"${RUNAS[@]}" "$BIN/pg_ctl" -D "$DATA/db" -l "$DATA/postgres.log" -w start -o \
  "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA \
   -c max_connections=$((CONCURRENCY + 20)) -c shared_buffers=256MB" >/dev/null
PG=(-h 127.0.0.1 -p "$PORT" -U postgres)
PGOPTIONS="-c client_min_messages=warning" psql "${PG[@]}" -q -v ON_ERROR_STOP=1 -v naccounts="$ACCOUNTS" -f "$HERE/schema.sql" postgres >/dev/null
echo "postgres bench: PostgreSQL on port $PORT, $ACCOUNTS accounts, $CONCURRENCY clients, ${WARMUP}s warm-up + ${DURATION}s, $([ $HOT = 1 ] && echo 'hot account' || echo 'random pairs')$([ "$BATCH" -gt 1 ] && echo ", $BATCH transfers per transaction")"
SCRIPT="$HERE/transfer.sql" RETRIES=()
if [ "$BATCH" -gt 1 ]; then
  # The same transfer BATCH times in one transaction, ids <client>-<n>-<k>.
  SCRIPT="$DATA/transfer-batch.sql" RETRIES=(--max-tries=10)
  {
    echo '\set n :n + 1'
    echo 'BEGIN;'
    for k in $(seq 1 "$BATCH"); do
      grep -v -e '^--' -e '^\\set n ' -e '^BEGIN;' -e '^END;' "$HERE/transfer.sql" \
        | sed "s/:n::bigint, :a::bigint/:n::bigint || '-$k', :a::bigint/"
    done
    echo 'END;'
  } > "$SCRIPT"
  [ ${#RUNAS[@]} -gt 0 ] && chmod 644 "$SCRIPT"
fi
THREADS=$(( $(nproc) < CONCURRENCY ? $(nproc) : CONCURRENCY ))
pgbench_run() { # first-n seconds [more pgbench options]
  local first="$1" seconds="$2"; shift 2
  "$PGBENCH" "${PG[@]}" -n -M prepared -c "$CONCURRENCY" -j "$THREADS" -f "$SCRIPT" "${RETRIES[@]}" \
    -D naccounts="$ACCOUNTS" -D hot="$HOT" -D n="$first" -T "$seconds" "$@" postgres
}
if [ "$WARMUP" -gt 0 ]; then pgbench_run 0 "$WARMUP" >"$DATA/warmup.log" 2>&1 || { grep -m 5 -i error "$DATA/warmup.log" >&2; exit 1; }; fi
LOGS="$DATA/logs"; mkdir -p "$LOGS"
[ ${#RUNAS[@]} -gt 0 ] && chmod 777 "$LOGS"
# Measured run: transfer ids start past the warm-up's; one log line per transaction.
(cd "$LOGS" && pgbench_run 100000000 "$DURATION" -P 5 -l --log-prefix="$LOGS/tx") 2>&1 \
  | grep -E '^progress|^number of failed|^latency average|^tps' | sed 's/^/postgres bench: /'
# Log columns: client, transaction no, latency in us (or "failed"/"skipped"), script, epoch s, us.
FAILED=$(cat "$LOGS"/tx* | awk '$3 !~ /^[0-9]+$/' | wc -l)
cat "$LOGS"/tx* | awk '$3 ~ /^[0-9]+$/ { print $3 }' | sort -n > "$LOGS/latencies"
N=$(wc -l < "$LOGS/latencies")
pct() { awk -v n="$N" -v p="$1" 'BEGIN { k = int(n * p / 100); if (k < 1) k = 1; if (k > n) k = n } NR == k { printf "%.2f", $1 / 1000; exit }' "$LOGS/latencies"; }
echo "RESULT tps=$(awk -v n="$N" -v b="$BATCH" -v d="$DURATION" 'BEGIN { printf "%.0f", n * b / d }') p50=$(pct 50) p90=$(pct 90) p99=$(pct 99) p999=$(pct 99.9) max=$(pct 100) transfers=$((N * BATCH)) failed=$FAILED"
