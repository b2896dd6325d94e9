#!/usr/bin/env bash
# Reproduces the "POP3" figures of docs/performance.md: publishes the appliance, then runs each retrieve setting on
# a fresh data directory (its own embedded PostgreSQL), removing it afterwards. Loopback only.
# Usage: run-all.sh [PORT] [REPORT.jsonl]
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${1:-27110}
REPORT=${2:-/tmp/ma-bench-pop3.jsonl}
OUT=/tmp/ma-bench-pop3-out
dotnet publish src/MailAppliance -c Release -o "$OUT" -v q
dotnet build bench/MailAppliance.Bench.Pop3 -c Release -v q
B="dotnet bench/MailAppliance.Bench.Pop3/bin/Release/net10.0/mailappliance-bench-pop3.dll"

run() {
  local d
  d=$(mktemp -d /tmp/ma-bench-pop3-XXXXXX)
  chmod 755 "$d"   # the embedded PostgreSQL runs as postgres
  $B retrieve --server "$OUT/mailappliance" --dir "$d" --port "$PORT" --report "$REPORT" "$@"
  rm -rf "$d"
}

run --users 1 --messages 2000 --size 4K
run --users 4 --messages 2000 --size 4K
run --users 1 --messages 2000 --size 100K
run --users 4 --messages 2000 --size 100K
run --users 1 --messages 2000 --size 4K --tls
run --users 4 --messages 2000 --size 4K --tls
