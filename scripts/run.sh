#!/usr/bin/env bash
# Runs the appliance for a first try: embedded PostgreSQL, data in /var/tmp/mailappliance-dev, listeners on
# loopback high ports (see dev/appsettings.dev.json).
#   scripts/run.sh                       build and start `serve` (Ctrl-C stops it and its PostgreSQL)
#   scripts/run.sh domain add example.test   an admin verb against the same data (from a second shell)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

out=out/mailappliance
# Publish for serve (always fresh), or when there is no binary yet; an admin verb never overwrites the binary of
# a running serve.
if [[ $# -eq 0 || "${1:-}" == "serve" || ! -x $out/mailappliance ]]; then
  dotnet publish src/MailAppliance -c Release -o $out -nologo -v q
fi

exec $out/mailappliance --config dev/appsettings.dev.json "$@"
