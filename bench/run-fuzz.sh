#!/usr/bin/env bash
# Coverage-guided fuzzing (issue 14): afl-fuzz (Debian's afl++) drives testing/UserTcp.Fuzz through SharpFuzz, with
# UserTcp.Fast.dll instrumented by the `sharpfuzz` tool (.config/dotnet-tools.json).
#   bench/run-fuzz.sh --list                         the targets
#   bench/run-fuzz.sh TARGET[,TARGET...]|all [--minutes N] [--seconds N] [--work DIR]
# Each target starts from a fresh seed corpus (cut from the recorded captures, see SeedCorpus.cs) and an empty findings
# directory under artifacts/fuzz/TARGET (--work: another directory, so that two runs do not share one), kept afterwards:
# out/default/crashes and hangs hold the inputs, replayed by `dotnet artifacts/fuzz/plain/UserTcp.Fuzz.dll TARGET FILE...`. The last line states executions, crashes and hangs, from
# afl's fuzzer_stats; the exit status is 1 when any target crashed or hung.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

usage() { echo "usage: bench/run-fuzz.sh --list | TARGET|all [--minutes N] [--seconds N] [--work DIR]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
target=$1; shift
seconds=600
work=artifacts/fuzz
while [[ $# -gt 0 ]]; do
  case $1 in
    --minutes) seconds=$(( $2 * 60 )); shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    *) usage ;;
  esac
done

# Published afresh every run, twice: plain (seeds, replays: instrumented code outside afl-fuzz has no coverage map to
# write to and dies) and a copy with UserTcp.Fast.dll instrumented (sharpfuzz refuses to instrument twice, and an
# incremental publish would keep the instrumented, newer file).
rm -rf "$work/plain" "$work/bin"
dotnet publish testing/UserTcp.Fuzz -c Release -o "$work/plain" --verbosity quiet -nologo >/dev/null
cp -r "$work/plain" "$work/bin"
fuzz=(dotnet "$work/plain/UserTcp.Fuzz.dll")
instrumented=(dotnet "$work/bin/UserTcp.Fuzz.dll")
if [[ $target == --list ]]; then "${fuzz[@]}" --list; exit 0; fi

if ! command -v afl-fuzz >/dev/null; then
  [[ $(id -u) -eq 0 ]] || { echo "run-fuzz: afl-fuzz missing (Debian package afl++) and not root" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
dotnet tool restore >/dev/null
dotnet sharpfuzz "$work/bin/UserTcp.Fast.dll" >/dev/null

if [[ $target == all ]]; then targets=$("${fuzz[@]}" --list | awk '{ print $1 }'); else targets=${target//,/ }; fi
# No UI; the CPU governor and core_pattern (crashes go to apport/systemd here) are the machine's, not ours to change;
# no CPU binding: the two cores are shared with other work.
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1
# The target is `dotnet`, not an afl-instrumented binary: SharpFuzz speaks the fork-server protocol from managed code.
export AFL_SKIP_BIN_CHECK=1
export AFL_FORKSRV_INIT_TMOUT=30000   # the runtime's start-up and first JIT of the engine

stat() { awk -F' *: *' -v key="$2" '$1 == key { print $2 }' "$1/default/fuzzer_stats"; }
total_execs=0; total_crashes=0; total_hangs=0; ran=0
for t in $targets; do
  dir=$work/$t
  rm -rf "$dir"; mkdir -p "$dir"
  "${fuzz[@]}" --seeds "$dir/seeds" "$t" >/dev/null
  # -t 2000: an input taking 2 s is a hang (a normal one takes well under a millisecond); -m none: the runtime reserves
  # far more virtual memory than afl's default limit.
  afl-fuzz -i "$dir/seeds" -o "$dir/out" -V "$seconds" -t 2000 -m none -- "${instrumented[@]}" "$t" >"$dir/afl.log" 2>&1 || {
    echo "run-fuzz: afl-fuzz failed on $t; the end of $dir/afl.log:" >&2; tail -20 "$dir/afl.log" >&2; exit 1; }
  execs=$(stat "$dir/out" execs_done); crashes=$(stat "$dir/out" saved_crashes); hangs=$(stat "$dir/out" saved_hangs)
  # edges_found counts the instrumented branches of UserTcp.Fast.dll reached (total_edges is afl's map size, not the
  # library's branch count); the last new path's time says whether the target was still finding any.
  last_find=$(stat "$dir/out" last_find)
  if (( last_find > 0 )); then last_path="$(( last_find - $(stat "$dir/out" start_time) )) s"; else last_path=none; fi
  echo "fuzz $t: $execs executions in $(stat "$dir/out" run_time) s ($(stat "$dir/out" execs_per_sec)/s), edges $(stat "$dir/out" edges_found) (bitmap $(stat "$dir/out" bitmap_cvg)), corpus $(stat "$dir/out" corpus_count), last new path at ${last_path}, cycles $(stat "$dir/out" cycles_done), stability $(stat "$dir/out" stability), crashes $crashes, hangs $hangs"
  if (( crashes > 0 )); then
    echo "  crashing inputs in $dir/out/default/crashes; the first replayed:"
    "${fuzz[@]}" "$t" "$(ls "$dir"/out/default/crashes/id* | head -1)" | head -8 | sed 's/^/    /' || true
  fi
  total_execs=$((total_execs + execs)); total_crashes=$((total_crashes + crashes)); total_hangs=$((total_hangs + hangs)); ran=$((ran + 1))
done
echo "fuzz: $ran target(s), $total_execs executions, $total_crashes crashes, $total_hangs hangs"
(( total_crashes == 0 && total_hangs == 0 ))
