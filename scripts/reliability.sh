#!/usr/bin/env bash
# The reliability battery in full (docs/reliability.md): parser properties at 5,000 cases each, hostile clients
# with 2,000 idle connections, database restarts (three), disk full, clock jumps, the security review, the power
# loss and two-node tests it builds on, the systemd unit's exposure, and optionally fuzzing and the soak.
#   scripts/reliability.sh                       the battery (about 10 minutes on two shared cores)
#   FUZZ_MINUTES=N scripts/reliability.sh        also every fuzz target for N minutes (scripts/fuzz.sh)
#   SOAK_MINUTES=N scripts/reliability.sh        also the soak for N minutes (scripts/soak.sh)
# Ends with one line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
results=$(mktemp -d /tmp/mailappliance-reliability.XXXXXX)
status=0

dotnet build tests/MailAppliance.Reliability.Tests -nologo -v q
dotnet build tests/MailAppliance.Storage.Tests -nologo -v q
dotnet build tests/MailAppliance.IntegrationTests -nologo -v q
export RELIABILITY_FULL=1
dotnet test tests/MailAppliance.Reliability.Tests --no-build -nologo --filter "FullyQualifiedName!~SoakTests" \
  --logger trx --logger "console;verbosity=normal" --results-directory "$results" || status=1
dotnet test tests/MailAppliance.Storage.Tests --no-build -nologo --filter "FullyQualifiedName~PowerLoss" \
  --logger trx --results-directory "$results" || status=1
dotnet test tests/MailAppliance.IntegrationTests --no-build -nologo --filter "FullyQualifiedName~TwoNodeTests|FullyQualifiedName~RcptFailureTests|FullyQualifiedName~CrashDurabilityTests" \
  --logger trx --results-directory "$results" || status=1

if command -v systemd-analyze >/dev/null 2>&1; then
  exposure=$(systemd-analyze security --offline=true deploy/mailappliance.service 2>/dev/null | awk '/Overall exposure level/ { print $(NF-2) }')
  echo "systemd-analyze security: exposure ${exposure:-unknown} (deploy/mailappliance.service)"
  if [[ -n "$exposure" ]] && awk -v e="$exposure" 'BEGIN { exit !(e > 2.0) }'; then
    echo "reliability: the unit's exposure $exposure is above 2.0" >&2
    status=1
  fi
fi

fuzz_failed=0
if [[ -n "${FUZZ_MINUTES:-}" ]]; then
  for target in $(dotnet run --project tests/MailAppliance.Fuzz -c Release -- --list); do
    scripts/fuzz.sh "$target" "$FUZZ_MINUTES" || { fuzz_failed=$((fuzz_failed + 1)); status=1; }
  done
fi
if [[ -n "${SOAK_MINUTES:-}" ]]; then
  scripts/soak.sh "$SOAK_MINUTES" || status=1
fi

python3 - "$results" "$status" "$fuzz_failed" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
results, status, fuzz_failed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
passed = failed = 0
for path in glob.glob(f"{results}/**/*.trx", recursive=True):
    counters = ET.parse(path).getroot().find(".//{*}Counters")
    if counters is not None:
        passed += int(counters.get("passed", 0))
        failed += sum(int(counters.get(k, 0)) for k in ("failed", "error", "timeout", "aborted"))
failed += fuzz_failed
if status and failed == 0:
    failed = 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed or passed == 0 else 0)
PY
