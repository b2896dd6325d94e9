#!/usr/bin/env bash
# Reproduces the "SMTP intake" figures of docs/performance.md: publishes the appliance, prepares a data directory
# with bench.test and u1..u100, then runs every measurement. Loopback only. Usage: run-all.sh [PORT]
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${1:-25871}
OUT=/tmp/ma-bench-out
M=$OUT/mailappliance
dotnet publish src/MailAppliance -c Release -o "$OUT" -v q
dotnet build bench/MailAppliance.Bench.Smtp -c Release -v q
B="dotnet bench/MailAppliance.Bench.Smtp/bin/Release/net10.0/mailappliance-bench-smtp.dll"

D=$(mktemp -d /tmp/ma-bench-XXXX)
chmod 755 "$D"
cat > "$D/config.json" <<JSON
{"Hostname":"mx.bench.test","Storage":{"DataDirectory":"$D/data"},"Auth":{"Pbkdf2Iterations":1000},"Smtp":{"MaxMessageSize":"60M","MaxConnectionsPerIp":200},"Listeners":{"Smtp":"127.0.0.1:$PORT","Submission":"","Submissions":"","Imap":"","Imaps":"","Pop3":"","Pop3s":"","ManageSieve":""}}
JSON
C="--config $D/config.json"
$M $C domain add bench.test
for i in $(seq 1 100); do echo "bench-password-$i" | $M $C user add "u$i@bench.test" --password-stdin; done

$M serve $C > "$D/serve.log" 2>&1 &
SERVE=$!
until (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.2; done

# First, on the idle server: the 50 MiB message, sampling long enough to cover its delivery too.
$B rss --pid "$SERVE" --port "$PORT" --size 50M --settle 15

for c in 1 8 32; do $B load --port "$PORT" --connections $c --messages 2000 --size 1K --rcpt-domain bench.test --users 1; done
for c in 1 8 32; do $B load --port "$PORT" --connections $c --messages 2000 --size 1K --rcpt-domain bench.test --users 100; done
$B load --port "$PORT" --connections 4 --messages 50 --size 2M --rcpt-domain bench.test --users 1
$B rss --pid "$SERVE" --port "$PORT" --size 50M   # under load: intake only, delivery is queued behind the backlog

kill -TERM "$SERVE"
wait "$SERVE" || true
$B backlog --config "$D/config.json" --data "$D/data" --port "$PORT" --messages 10000 --size 1K --users 100 --connections 8 --log "$D/backlog.log"
echo "data directory: $D (remove it when done)"
