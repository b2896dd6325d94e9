#!/usr/bin/env bash
# Reproduces the "IMAP" figures of docs/performance.md: publishes the appliance, prepares a data directory with a
# 10,000-message INBOX (real files, reconstructed), index-only mailboxes of 100,000 and 1,000,000 rows and a small
# INBOX for the idle connections, starts `mailappliance serve` and runs every measurement. Loopback only.
# Usage: run-all.sh [PORT] [DATA-DIR]   (a DATA-DIR from an earlier run is reused as it is)
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${1:-24143}
D=${2:-}
OUT=${OUT:-/tmp/ma-bench-imap-out}
M=$OUT/mailappliance
dotnet publish src/MailAppliance -c Release -o "$OUT" -v q
dotnet build bench/MailAppliance.Bench.Imap -c Release -v q
B="dotnet bench/MailAppliance.Bench.Imap/bin/Release/net10.0/mailappliance-bench-imap.dll"
ulimit -n 20000   # 10,000 client sockets here, as many in the server

if [ -z "$D" ]; then
  D=$(mktemp -d /tmp/ma-bench-imap-XXXX)
  chmod 755 "$D"   # the embedded PostgreSQL runs as postgres
fi
cat > "$D/config.json" <<JSON
{"Hostname":"mail.bench.test","Storage":{"DataDirectory":"$D/data"},"Auth":{"Pbkdf2Iterations":1000,"AllowPlaintextWithoutTls":true},
 "Listeners":{"Smtp":"","Submission":"","Submissions":"","Imap":"127.0.0.1:$PORT","Imaps":"","Pop3":"","Pop3s":"","ManageSieve":""}}
JSON
C="--config $D/config.json"
if [ ! -e "$D/prepared" ]; then
  $M $C domain add bench.test
  echo bench-password | $M $C user add u1@bench.test --password-stdin
  echo bench-password | $M $C user add idle@bench.test --password-stdin
  $B prepare --data "$D/data" --user u1@bench.test --messages 10000
  $B prepare --data "$D/data" --user idle@bench.test --messages 100
  $B populate --data "$D/data" --user u1@bench.test --mailbox Scale100k --messages 100000
  $B populate --data "$D/data" --user u1@bench.test --mailbox Scale1M --messages 1000000
  touch "$D/prepared"
fi

$M serve $C > "$D/serve.log" 2>&1 &
SERVE=$!
trap 'kill -TERM $SERVE 2>/dev/null || true' EXIT
until (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.2; done
uptime
A="--port $PORT --password bench-password"
$B fetch $A --user u1@bench.test --runs 3 --concurrency 4
$B scale $A --user u1@bench.test --mailboxes INBOX,Scale100k,Scale1M --pid $SERVE --runs 3
$B idle $A --user idle@bench.test --pid $SERVE --connections 1000
$B idle $A --user idle@bench.test --pid $SERVE --connections 10000
uptime
echo "data directory: $D (remove it when done)"
