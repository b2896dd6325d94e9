#!/usr/bin/env bash
# Soak: mixed load (SMTP in, an IMAP reader that fetches and expunges, a POP3 reader that retrieves and deletes,
# deliveries) against a real serve for MINUTES (default 120), with serve's resident memory and open descriptors
# sampled every minute. Fails on a growth trend, an error in serve's log, or a queue that does not drain.
#   scripts/soak.sh [MINUTES] [CSV]      the curve goes to CSV (default /tmp/mailappliance-soak.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-120}
csv=${2:-/tmp/mailappliance-soak.csv}
scripts/install-deps.sh --test
dotnet build tests/MailAppliance.Reliability.Tests -nologo -v q
SOAK_MINUTES=$minutes SOAK_OUTPUT=$csv dotnet test tests/MailAppliance.Reliability.Tests --no-build -nologo \
  --filter "FullyQualifiedName~SoakTests" --logger "console;verbosity=detailed" \
  -- RunConfiguration.TestSessionTimeout=$(((minutes + 10) * 60 * 1000))
echo "soak: ${minutes} min; curve in $csv"
