#!/usr/bin/env bash
# Runs the whole test suite: installs what the tests drive, builds, runs every test project, and ends with one
# line "N passed, N failed" counted from the test results.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test

results=$(mktemp -d /tmp/mailappliance-test-results.XXXXXX)
status=0
dotnet build MailAppliance.sln -c Debug -nologo -v q || { echo "0 passed, 1 failed"; exit 1; }
dotnet test MailAppliance.sln -c Debug --no-build -nologo -v q \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@" || status=$?

python3 - "$results" "$status" <<'PY'
import glob, sys, xml.etree.ElementTree as ET
results, status = sys.argv[1], int(sys.argv[2])
passed = failed = skipped = 0
for path in glob.glob(f"{results}/**/*.trx", recursive=True):
    counters = ET.parse(path).getroot().find(".//{*}Counters")
    if counters is None:
        continue
    passed += int(counters.get("passed", 0))
    failed += int(counters.get("failed", 0)) + int(counters.get("error", 0)) + int(counters.get("timeout", 0)) + int(counters.get("aborted", 0))
    skipped += int(counters.get("notExecuted", 0))
if status != 0 and failed == 0:
    failed = 1  # the runner itself failed (a crash, a build error): never report that as green
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed or passed == 0 else 0)
PY
