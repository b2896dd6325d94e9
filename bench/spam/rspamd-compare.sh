#!/usr/bin/env bash
# Debian's rspamd (rules + Bayes in Redis) on the same train/test split of the SpamAssassin corpus as
#   dotnet run -c Release --project bench/MailAppliance.Pipeline.Bench -- corpus DIR
# trained with the train half (rspamc learn_spam/learn_ham), then every test message scored through /checkv2 with
# 8 requests in flight (rspamc); prints AUC, recall at FPR <= 0.5 % and messages per second. Network checks are off (no DNS
# lists, SPF, DKIM, fuzzy, ...): the same footing as our corpus figure. Installs rspamd and redis-server (Debian)
# when missing; runs both on loopback ports of its own and stops them at the end. Not for CI.
#   bench/spam/rspamd-compare.sh [CORPUS-DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=$("$here/fetch-corpus.sh" "${1:-/var/tmp/mailappliance-spam-corpus}")

for p in rspamd redis-server; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # A policy-rc.d that refuses starts keeps the packaged daemons from taking the standard ports.
    [[ -e /usr/sbin/policy-rc.d ]] || { printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; trap 'rm -f /usr/sbin/policy-rc.d' EXIT; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rspamd redis-server >/dev/null
  fi
done

work=$(mktemp -d /tmp/rspamd-compare.XXXX)
redis_port=26379 normal_port=21333 controller_port=21334
cleanup() {
  [[ -n "${rspamd_pid:-}" ]] && kill "$rspamd_pid" 2>/dev/null || true
  redis-cli -p $redis_port shutdown nosave >/dev/null 2>&1 || true
  sleep 1; rm -rf "$work"; rspamd_pid=""
}
trap cleanup EXIT

dotnet run -c Release --project "$root/bench/MailAppliance.Pipeline.Bench" -- split "$corpus" "$work/split" >/dev/null
# The corpus files start with an mbox "From " line that is not part of the message (our harness strips it too).
strip() { mkdir -p "$work/msgs/$1"; while read -r f; do sed '1{/^From /d}' "$f" > "$work/msgs/$1/$(basename "$(dirname "$f")")-$(basename "$f")"; done; }
strip train-spam < "$work/split/train-spam.txt"
strip train-ham < "$work/split/train-ham.txt"
mkdir -p "$work/msgs/test"
while read -r label f; do
  sed '1{/^From /d}' "$f" > "$work/msgs/test/$label-$(basename "$(dirname "$f")")-$(basename "$f")"
done < "$work/split/test.txt"

redis-server --port $redis_port --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir "$work" >/dev/null

conf=$work/conf
mkdir -p "$conf/local.d" "$work/db" "$work/run" "$work/log"
cat > "$conf/local.d/worker-normal.inc" <<CONF
bind_socket = "127.0.0.1:$normal_port";
count = 2;
CONF
cat > "$conf/local.d/worker-controller.inc" <<CONF
bind_socket = "127.0.0.1:$controller_port";
secure_ip = "127.0.0.1";
CONF
echo 'enabled = false;' > "$conf/local.d/worker-proxy.inc"
echo 'enabled = false;' > "$conf/local.d/worker-fuzzy.inc"
echo "servers = \"127.0.0.1:$redis_port\";" > "$conf/local.d/redis.conf"
cat > "$conf/local.d/classifier-bayes.conf" <<CONF
backend = "redis";
min_learns = 10;
autolearn = false;
CONF
cat > "$conf/local.d/options.inc" <<CONF
dns { nameserver = ["127.0.0.1:1"]; timeout = 0.01s; retransmits = 0; }
CONF
for module in hfilter rbl surbl spf dkim dmarc arc fuzzy_check asn phishing neural reputation greylist ratelimit url_redirector \
  mx_check dcc history_redis rspamd_update emails whitelist multimap; do
  echo 'enabled = false;' > "$conf/local.d/$module.conf"
done

rspamd -f -u root -g root -i -c /etc/rspamd/rspamd.conf --var="LOCAL_CONFDIR=$conf" --var="DBDIR=$work/db" \
  --var="RUNDIR=$work/run" --var="LOGDIR=$work/log" >"$work/rspamd.out" 2>&1 &
rspamd_pid=$!
for _ in $(seq 1 120); do curl -sf "http://127.0.0.1:$normal_port/ping" >/dev/null 2>&1 && break; sleep 0.5; done

rspamc -h "127.0.0.1:$controller_port" -n 8 learn_spam "$work/msgs/train-spam" > "$work/learn-spam.out"
rspamc -h "127.0.0.1:$controller_port" -n 8 learn_ham "$work/msgs/train-ham" > "$work/learn-ham.out"
# What rspamd refused to learn, by reason (Message-ID duplicates, too few tokens, ...).
grep -h '^error' "$work"/learn-*.out | sed 's/<[^>]*>/<ID>/' | sort | uniq -c | sort -rn | head -5 | sed 's/^/rspamd learn: /' || true
redis-cli -p $redis_port hgetall RS | paste - - | sed 's/^/rspamd bayes: /'
# Warm-up (regexp cache, Lua JIT) on the training spam, not timed.
rspamc -h "127.0.0.1:$normal_port" -n 8 "$work/msgs/train-spam" >/dev/null

# Score the test half with rspamc (one client process, 8 requests in flight over /checkv2) and time it.
start=$(date +%s.%N)
rspamc -h "127.0.0.1:$normal_port" -n 8 "$work/msgs/test" > "$work/rspamc.out"
end=$(date +%s.%N)
awk '/^Results for file:/ { n = split($4, p, "/"); split(p[n], l, "-"); label = l[1] }
     /^Score:/ { print label, $2 }' "$work/rspamc.out" > "$work/scores.txt"

python3 - "$work/scores.txt" "$start" "$end" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
res = [(float(s), lab == "spam") for lab, s in rows if s != "nan"]
n = len(res); secs = float(sys.argv[3]) - float(sys.argv[2])
spam = [s for s, y in res if y]; ham = sorted((s for s, y in res if not y), reverse=True)
# AUC by ranks (ties half)
srt = sorted(res); rank = {}; i = 0
rs = 0.0
while i < n:
    j = i
    while j < n and srt[j][0] == srt[i][0]: j += 1
    r = (i + j + 1) / 2
    rs += sum(r for k in range(i, j) if srt[k][1]); i = j
auc = (rs - len(spam) * (len(spam) + 1) / 2) / (len(spam) * len(ham))
allowed = int(len(ham) * 0.005)
thr = ham[allowed] + 1e-9 if allowed < len(ham) else float("-inf")
fp = sum(h >= thr for h in ham); tp = sum(s >= thr for s in spam)
print(f"rspamd: {n} scored in {secs:.2f} s: {n/secs:.0f} msg/s (rspamc, 8 requests in flight)")
print(f"rspamd: AUC {auc:.5f}; recall {tp/len(spam):.2%} at FPR {fp/len(ham):.2%} (score >= {thr:.2f})")
PY

# Ours, on the same split, right after (rspamd stopped first so neither takes the other's cores).
cleanup
trap - EXIT
for threads in 1 2; do
  dotnet run -c Release --project "$root/bench/MailAppliance.Pipeline.Bench" -- corpus "$corpus" "$threads" | sed 's/^/mailappliance: /'
done
