#!/usr/bin/env bash
# Coverage-guided fuzzing of one parser with SharpFuzz 2.3.0 and Debian's afl++ (docs/reliability.md).
#   scripts/fuzz.sh --list                 the targets (tests/MailAppliance.Fuzz/ParserTargets.cs)
#   scripts/fuzz.sh TARGET MINUTES         fuzz TARGET for MINUTES under nice -n 19; prints executions, paths,
#                                          crashes and hangs; replays each crash through the target to show its
#                                          exception; exit 1 when afl++ found a crash or a hang
# FUZZ_DIR (default /var/tmp/mailappliance-fuzz) keeps the instrumented build and, per target, the corpus and the
# findings, so a second run continues where the first stopped; the build is redone when HEAD moved, unless
# FUZZ_REUSE=1. Crashes become cases in
# tests/MailAppliance.Reliability.Tests/Properties/ParserRegressionTests.cs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=${FUZZ_DIR:-/var/tmp/mailappliance-fuzz}
bin="$dir/bin"
plain="$dir/plain"

build() {
  command -v afl-fuzz >/dev/null 2>&1 || scripts/install-deps.sh --test
  dotnet tool restore >/dev/null
  # A fresh Release build, then SharpFuzz rewrites a copy of the parsers' assemblies with afl++'s edge counters.
  # Instrumented code only runs inside afl++ (its counters live in afl++'s shared memory), so the seeds are
  # written and the findings replayed by the plain build.
  rm -rf "$bin" "$plain"
  dotnet publish tests/MailAppliance.Fuzz -c Release -o "$plain" -nologo -v q >/dev/null
  cp -a "$plain" "$bin"
  for assembly in Core Mime Storage Smtp Imap Pop3 Pipeline ManageSieve; do
    (cd "$root" && dotnet sharpfuzz "$bin/MailAppliance.$assembly.dll" >/dev/null)
  done
  git rev-parse HEAD >"$bin/.commit"
}

if [[ "${1:-}" == "--list" ]]; then
  dotnet run --project tests/MailAppliance.Fuzz -c Release -- --list
  exit 0
fi
if [[ $# -ne 2 || ! "$2" =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh TARGET MINUTES | --list" >&2
  exit 2
fi
target=$1
minutes=$2

mkdir -p "$dir"
if [[ ! -x "$bin/MailAppliance.Fuzz" || ! -x "$plain/MailAppliance.Fuzz" ]] || [[ "${FUZZ_REUSE:-0}" != 1 && "$(cat "$bin/.commit" 2>/dev/null)" != "$(git rev-parse HEAD)" ]]; then
  build
fi
if ! "$plain/MailAppliance.Fuzz" --list | grep -qx "$target"; then
  echo "fuzz: unknown target $target; known: $("$plain/MailAppliance.Fuzz" --list | tr '\n' ' ')" >&2
  exit 2
fi

work="$dir/$target"
findings="$work/findings"
input="$work/seeds"
stats="$findings/default/fuzzer_stats"
value() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
before_execs=0
before_corpus=0
if [[ -d "$findings/default/queue" ]]; then
  input=-   # resume: afl++ continues from the queue it kept, and adds to the statistics it kept
  if [[ -f "$stats" ]]; then
    before_execs=$(value execs_done)
    before_corpus=$(value corpus_count)
  fi
else
  "$plain/MailAppliance.Fuzz" "$target" --seeds "$input"
fi

# The target is a .NET program: no native instrumentation for afl++ to find (SharpFuzz reports edges through
# afl++'s shared memory itself), and a managed start is slow, hence the long time-out. A run on a shared
# machine, so at the lowest priority.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
export AFL_AUTORESUME=1 DOTNET_TieredPGO=0
nice -n 19 afl-fuzz -V $((minutes * 60)) -t 5000 -m none -i "$input" -o "$findings" -- "$bin/MailAppliance.Fuzz" "$target" \
  >"$work/afl.log" 2>&1 || { echo "fuzz: afl-fuzz failed; see $work/afl.log" >&2; tail -n 20 "$work/afl.log" >&2; exit 1; }

crashes=$(value saved_crashes)
hangs=$(value saved_hangs)
echo "fuzz $target: ${minutes} min, $(( $(value execs_done) - before_execs )) executions ($(value execs_per_sec)/s; $(value execs_done) over all runs), corpus $before_corpus -> $(value corpus_count), edges $(value bitmap_cvg), crashes $crashes, hangs $hangs"
status=0
for f in "$findings"/default/crashes/id:* "$findings"/default/hangs/id:*; do
  [[ -e "$f" ]] || continue
  status=1
  echo "--- $f"
  timeout 60 "$plain/MailAppliance.Fuzz" "$target" "$f" 2>&1 | head -n 20 || true
done
exit $status
