#!/usr/bin/env bash
# Reproduces the "Outbound delivery" figures of docs/performance.md: 2,000 1 KiB messages submitted over 8
# connections to an MTA on loopback, all for remote.bench.test, which the MTA relays to the benchmark's counting
# sink; msgs/s from the first submission to the last arrival, after a warm-up pass of the same size. Run once
# against the appliance and once against Debian's Postfix (its defaults, relayhost = the sink), each on a fresh
# data directory. Root only (Postfix).
# Each line also gives the MTA's own CPU time (its process tree; the appliance's with its PostgreSQL).
# Usage: outbound.sh [MESSAGES] [appliance|postfix|both]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-2000}
WHICH=${2:-both}
PORT=25881; PF_PORT=25882; SINK=25883
OUT=/tmp/ma-bench-out
M=$OUT/mailappliance
dotnet publish src/MailAppliance -c Release -o "$OUT" -v q
dotnet build bench/MailAppliance.Bench.Smtp -c Release -v q
B="dotnet bench/MailAppliance.Bench.Smtp/bin/Release/net10.0/mailappliance-bench-smtp.dll"

if [ "$WHICH" != postfix ]; then
# --- the appliance: smtp listener only (no ManageSieve on 4190, no HTTP on 8080: another serve on this machine may
# hold them), 127.0.0.1 trusted (relays without AUTH), the domain routed to the sink.
D=$(mktemp -d /tmp/ma-bench-out-XXXX)
chmod 755 "$D"
cat > "$D/config.json" <<JSON
{"Hostname":"mx.bench.test","Storage":{"DataDirectory":"$D/data"},"Auth":{"Pbkdf2Iterations":1000},
 "Smtp":{"TrustedNetworks":"127.0.0.1","MaxConnectionsPerIp":200},
 "Delivery":{"Routes":{"remote.bench.test":"[127.0.0.1]:$SINK"}},
 "Listeners":{"Smtp":"127.0.0.1:$PORT","Submission":"","Submissions":"","Imap":"","Imaps":"","Pop3":"","Pop3s":"","ManageSieve":""},
 "Http":{"Listen":""}}
JSON
$M --config "$D/config.json" domain add bench.test
$M serve --config "$D/config.json" > "$D/serve.log" 2>&1 &
SERVE=$!
until (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null; do sleep 0.2; done
# A first pass of the same size warms both up (the appliance's JIT tiers, Postfix's processes and caches); the second counts.
$B outbound --label warm-up --port $PORT --sink-port $SINK --messages "$N" --size 1K --connections 8 > /dev/null
PG=$(pgrep -f "postgres -D $D/data/pg" | head -1)
$B outbound --label appliance --port $PORT --sink-port $SINK --messages "$N" --size 1K --connections 8 --cpu-pids "$SERVE,$PG"
kill -TERM "$SERVE"; wait "$SERVE" || true
echo "appliance data directory: $D (remove it when done)"
fi
[ "$WHICH" = appliance ] && exit 0

# --- Postfix 3.x as Debian ships it, its own instance: relayhost = the sink, mynetworks = loopback.
P=$(mktemp -d /tmp/ma-bench-postfix-XXXX)
chmod 755 "$P"
mkdir -p "$P/queue" "$P/data"
chown postfix "$P/data"
cat > "$P/main.cf" <<CF
compatibility_level = 3.6
queue_directory = $P/queue
data_directory = $P/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = pf.bench.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$SINK
smtp_dns_support_level = disabled
alias_maps =
alias_database =
maillog_file = $P/maillog
maillog_file_prefixes = $P
CF
cat > "$P/master.cf" <<CF
127.0.0.1:$PF_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
postfix -c "$P" start
until (exec 3<>/dev/tcp/127.0.0.1/$PF_PORT) 2>/dev/null; do sleep 0.2; done
$B outbound --label warm-up --port $PF_PORT --sink-port $SINK --messages "$N" --size 1K --connections 8 > /dev/null
$B outbound --label postfix --port $PF_PORT --sink-port $SINK --messages "$N" --size 1K --connections 8 --cpu-pids "$(cat "$P/queue/pid/master.pid" | tr -d ' ')"
postfix -c "$P" stop
echo "postfix directory: $P (remove it when done)"
