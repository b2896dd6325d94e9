#!/usr/bin/env python3
"""Delivery rate with an active 30-rule sieve script against without one (issue 17: the cost must stay within 10 %).

Starts the checkout's appliance (published by ../shared/bench/appliance.py), sends the same SMTP load to two users, one
of them with thirty-rules.sieve active, and waits until every copy is in the INBOX (mailbench's IMAP verify). The
delivery rate is copies delivered / (send time + drain time). Runs alternate A B A B ... so that the machine's other
load falls on both sides alike. Run from the checkout:

    python3 bench/sieve/delivery-rate.py [pairs=3] [count=2000]
"""
import json, os, statistics, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(os.getcwd(), "..", "shared", "bench")
sys.path.insert(0, BENCH)
from appliance import Appliance  # noqa: E402

pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000

us = Appliance(extra_env={"MAILAPPLIANCE_Auth__AllowPlaintextWithoutTls": "true"})
us.start()
try:
    us.setup_users(domain="bench.test", users=("plain", "sieved"), password="bench")
    # Every fileinto also keeps a copy in INBOX (":copy"), so that the IMAP verify finds each message there: the
    # sieved side then stores more than the plain one, which only makes its figure conservative.
    script = os.path.join(us.data, "rules.sieve")
    with open(os.path.join(HERE, "thirty-rules.sieve")) as f, open(script, "w") as out:
        out.write(f.read().replace('fileinto "', 'fileinto :copy "'))
    os.chmod(script, 0o644)
    for args in (("sieve", "put", "sieved@bench.test", "rules", script),
                 ("sieve", "activate", "sieved@bench.test", "rules")):
        r = us.cli(*args)
        if r.returncode != 0:
            raise RuntimeError(" ".join(args) + ": " + r.stdout + r.stderr)

    def run(user):
        r = subprocess.run([sys.executable, os.path.join(BENCH, "mailbench.py"), "smtp",
                            "--host", "127.0.0.1", "--smtp-port", str(us.ports["Smtp"]), "--imap-port", str(us.ports["Imap"]),
                            "--conns", "8", "--count", str(count), "--size", "mix", "--rcpt", f"{user}@bench.test",
                            "--verify-imap", f"{user}@bench.test:bench", "--purge-before", "--label", user],
                           capture_output=True, text=True, timeout=1800)
        line = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")][-1]
        v = line["verify"]
        if v["lost"] or v["timed_out"]:
            raise RuntimeError(f"{user}: lost {v['lost']}, timed out {v['timed_out']}")
        rate = v["copies_found"] / (line["wall_s"] + v["drain_s"])
        print(f"{user:7} accepted {line['msgs_per_s']:8.1f} msg/s  delivered {rate:8.1f} msg/s", flush=True)
        return rate

    got = {"plain": [], "sieved": []}
    for _ in range(pairs):
        for user in ("plain", "sieved"):
            got[user].append(run(user))
    plain, sieved = statistics.median(got["plain"]), statistics.median(got["sieved"])
    print(f"median delivered: without sieve {plain:.1f} msg/s, with the 30-rule script {sieved:.1f} msg/s, "
          f"cost {100 * (1 - sieved / plain):.1f} %")
finally:
    us.cleanup()
