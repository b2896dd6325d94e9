#!/usr/bin/python3
# Runs one of dkimpy's own command-line tools (Debian's python3-dkim: dkimsign, dkimverify) unchanged, with its DNS
# questions sent to the test's DNS server on 127.0.0.1:PORT instead of the system resolver.
#   dkimpy_tool.py PORT dkimverify < message
#   dkimpy_tool.py PORT dkimsign SELECTOR DOMAIN KEYFILE [--signalg ed25519-sha256] < message > signed
import sys
from importlib.metadata import distribution

import dns.resolver

resolver = dns.resolver.Resolver(configure=False)
resolver.nameservers = ["127.0.0.1"]
resolver.port = int(sys.argv[1])
resolver.timeout = 2.0
resolver.lifetime = 3.0
dns.resolver.default_resolver = resolver

tool = sys.argv[2]
sys.argv = [tool] + sys.argv[3:]
entry = next(e for e in distribution("dkimpy").entry_points if e.group == "console_scripts" and e.name == tool)
sys.exit(entry.load()())
