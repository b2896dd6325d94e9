#!/usr/bin/python3
# Runs SPF checks with pyspf (Debian's python3-spf) against a DNS server on 127.0.0.1:PORT.
# Input: one JSON object a line {"ip", "sender", "helo"}; output: one JSON object a line {"result", "explanation"}.
import json
import sys

import dns.resolver
import spf

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = ["127.0.0.1"]
resolver.port = int(sys.argv[1])
resolver.timeout = 1.0
resolver.lifetime = 1.5
dns.resolver.default_resolver = resolver

for line in sys.stdin:
    case = json.loads(line)
    try:
        query = spf.query(i=case["ip"], s=case["sender"], h=case["helo"], timeout=5)
        result, _, explanation = query.check()
    except Exception as e:  # a crash of the peer is reported, not hidden
        result, explanation = "crash: %s" % e, ""
    print(json.dumps({"result": result, "explanation": explanation}), flush=True)
