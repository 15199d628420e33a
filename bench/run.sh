#!/usr/bin/env bash
# Runs a BenchmarkDotNet suite of bench/UserTcp.Benchmarks in Release.
#
#   bench/run.sh wire         full run of the wire layer (about 5 minutes); regenerates perf-results/wire.md
#   bench/run.sh tcp          full run of the TCP engine (about 5 minutes); regenerates perf-results/tcp.md
#   bench/run.sh interface    full run of ARP and the neighbour cache (about 6 minutes); regenerates perf-results/interface.md
#   bench/run.sh loop         full run of the poll loop over a replayed capture (about 2 minutes); regenerates perf-results/loop.md
#   bench/run.sh SUITE --dry  every benchmark of SUITE (wire, tcp, interface, loop or all) once (--job Dry) into a
#                             temporary directory, for CI: proves the suite builds and runs and that nothing allocates; no
#                             report is written
#
# Exit status: 0 on success; 1 when the build fails, a benchmark fails to run, or a benchmark allocates; 2 on bad usage.
# In full mode the report is only rewritten after a run that passed those checks. A missed performance
# target is reported in the report, not turned into a failure: the numbers depend on the machine.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

mode=full
suite=${1:-}
case "$#:$suite:${2:-}" in
    1:wire: | 1:tcp: | 1:interface: | 1:loop:) ;;
    2:wire:--dry | 2:tcp:--dry | 2:interface:--dry | 2:loop:--dry | 2:all:--dry) mode=dry ;;
    1:-h: | 1:--help:) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
project="$repo/bench/UserTcp.Benchmarks"
case $suite in
    wire)
        report="$repo/perf-results/wire.md"
        filter='UserTcp.Benchmarks.Wire.*'
        title="Wire layer benchmarks"
        per_operation="Mean is per operation (one frame, one checksum, one rent and return): each benchmark repeats its operation
1000 times per invocation (OperationsPerInvoke) on the same data, so caches and branch predictors are warm." ;;
    tcp)
        report="$repo/perf-results/tcp.md"
        filter='UserTcp.Benchmarks.Tcp.*'
        title="TCP engine benchmarks"
        per_operation="Mean is per operation: per segment for the receive and send paths (32 segments per invocation,
OperationsPerInvoke, with one ACK per batch or one per segment as named), and per 64 MiB moved for the engine pair." ;;
    interface)
        report="$repo/perf-results/interface.md"
        filter='UserTcp.Benchmarks.Interface.*'
        title="Interface layer benchmarks: ARP and the neighbour cache"
        per_operation="Mean is per operation (one ARP frame handled, one cache lookup, refresh or deadline scan): each benchmark repeats
its operation 1000 times per invocation (OperationsPerInvoke) on the same data, so caches and branch predictors are warm." ;;
    loop)
        report="$repo/perf-results/loop.md"
        filter='UserTcp.Benchmarks.Loop.*'
        title="Poll loop benchmarks: a recorded download replayed"
        per_operation="Mean is per replayed frame: an invocation is one poll-loop turn over the recording's 23 data frames (OperationsPerInvoke),
device to application and the ACKs back to the device, with one ACK per batch or one per segment as named." ;;
    all)
        filter='UserTcp.Benchmarks.*' ;;
esac
# Full runs: three processes per benchmark, because JIT decisions (tiering, PGO) are made per process and have been
# seen to move a result by 2x between processes; within a process the spread is under 1%, so 10 iterations suffice.
full_job=(--launchCount 3 --warmupCount 5 --iterationCount 10)

if [[ $mode == dry ]]; then
    artifacts=$(mktemp -d "${TMPDIR:-/tmp}/bench-dry.XXXXXX")
    # Without tiering: BenchmarkDotNet counts the allocations of every thread, and the runtime's tiered-compilation
    # worker, started on demand, allocated 336 B inside the one cold 30 ms engine-pair operation in about 1 dry run
    # in 7 (measured: the benchmark thread itself allocated 0 B each time). A dry run checks "runs, allocates nothing",
    # not timing, so fully optimised code from the start costs nothing here.
    job=(--job Dry --envVars DOTNET_TieredCompilation:0)
else
    artifacts="$repo/artifacts/bench-$suite"  # git-ignored; kept for inspection
    rm -rf "$artifacts"
    job=("${full_job[@]}")
    # Recorded before the run, so the report names the code that was measured; the report itself does not count.
    commit=$(git -C "$repo" rev-parse --short HEAD)
    if [[ -n $(git -C "$repo" status --porcelain -- . ':(exclude)perf-results') ]]; then
        commit+=" (dirty: uncommitted changes were measured)"
    fi
fi
results="$artifacts/results"

# Every table row must have run (Mean is not NA) and must allocate nothing. The GitHub markdown report is parsed
# rather than the CSV because its cells are '|'-separated, while CSV cells quote numbers such as "1,234.5 ns".
# In markdown BenchmarkDotNet prints a zero allocation as '-'. Exit status 1 for a failed or missing result, 3 when the
# only problem is allocation; then the allocating classes are listed, one per line, in $results/allocating.
check_reports() {
    local results=${1:-$results}
    local reports=("$results"/*-report-github.md)
    if [[ ! -e ${reports[0]} ]]; then
        echo "bench: no BenchmarkDotNet reports in $results" >&2
        return 1
    fi
    awk -F'|' '
        function clean(cell) { gsub(/[*]/, "", cell); gsub(/^ +| +$/, "", cell); return cell }
        FNR == 1 { header = 0; mean = 0; allocated = 0; name = FILENAME; sub(/.*\/UserTcp\.Benchmarks\./, "", name); sub(/-report-github\.md$/, "", name) }
        !/^\|/ { next }
        !header {
            header = 1
            for (i = 2; i < NF; i++) { c = clean($i); if (c == "Mean") mean = i; if (c == "Allocated") allocated = i }
            if (!mean) { print "bench: " name ": table has no Mean column"; bad = 1 }
            next
        }
        $2 ~ /^[-: ]+$/ || !mean { next }
        {
            rows++
            label = name "."
            for (i = 2; i < mean; i++) label = label clean($i) " "
            if (clean($mean) == "NA" || clean($mean) == "") { print "bench: " label "failed to run"; bad = 1; next }
            if (!allocated) { print "bench: " label "has no Allocated value (no [MemoryDiagnoser]?)"; bad = 1; next }
            a = clean($allocated)
            if (a != "-" && a != "0 B") { print "bench: " label "allocates " a " per operation"; print name > allocating; allocated_any = 1 }
        }
        END {
            if (!rows) { print "bench: the reports hold no results"; bad = 1 }
            printf "bench: checked %d benchmark cases\n", rows
            exit bad ? 1 : allocated_any ? 3 : 0
        }
    ' allocating="$results/allocating" "${reports[@]}" >&2
}

# Dry mode, when benchmarks allocated: run those classes once more. BenchmarkDotNet counts the allocations of every
# thread of the process, and in a single cold operation of ~25 ms the runtime's own threads were seen to allocate 336 B
# now and then on a loaded machine (1 run in 15; the benchmark thread itself 0 B, measured with
# GC.GetAllocatedBytesForCurrentThread). The stack's allocation repeats in every run; such a visitor does not.
recheck_allocating() {
    local classes again=$artifacts/again status=0
    classes=$(sort -u "$results/allocating" | sed 's/^/UserTcp.Benchmarks./; s/$/.*/')
    echo "bench: running again, once: $(echo $classes)" >&2
    # shellcheck disable=SC2086 # one filter argument per class
    dotnet run --project "$project" -c Release --no-build -- --filter $classes --artifacts "$again" "${job[@]}" >/dev/null || status=1
    check_reports "$again/results" || status=1
    if [[ $status -eq 0 ]]; then
        echo "bench: no allocation when run again: the first run counted another thread's allocation, not the benchmark's" >&2
    fi
    return $status
}

# The BenchmarkDotNet environment block (versions, CPU, cores, OS, runtime) from a report: its first fenced block.
environment_block() { awk '/^```/ { fences++; print; if (fences == 2) exit; next } fences == 1' "$1"; }

write_report() {
    local reports=("$results"/*-report-github.md) file name
    mkdir -p "$(dirname "$report")"
    {
        echo "# $title"
        echo
        echo "Regenerated by \`bench/run.sh $suite\` on $(date -u '+%Y-%m-%d %H:%M UTC') from commit \`$commit\`."
        echo
        echo "One run on the machine below. It is a shared 2-core VM: other work on it moves results by several percent"
        echo "between runs, and now and then by more. Compare with earlier numbers from the same machine only."
        echo
        echo "## Targets"
        echo
        cat "$results/targets.md"
        echo
        echo "## Machine"
        echo
        environment_block "${reports[0]}"
        echo
        echo "## Results"
        echo
        echo "$per_operation"
        echo "Allocated is managed memory per operation; \`-\` means none. Throughput is Length / Mean (1 GB = 10^9 B)."
        for file in "${reports[@]}"; do
            name=${file##*/UserTcp.Benchmarks.}
            name=${name%-report-github.md}
            echo
            echo "### $name"
            echo
            grep '^|' "$file"
        done
        echo
        echo "## Method"
        echo
        echo "BenchmarkDotNet's default job with \`${full_job[*]}\`: three processes per benchmark because"
        echo "JIT decisions (tiering, PGO) are made per process and have moved a result by 2x between processes, while the"
        echo "spread within one process is under 1%, so 10 measured iterations (after 5 warm-up ones) are enough."
        echo "Targets are checked against the mean over all three processes."
        echo
        echo "## Reproduce"
        echo
        echo '```sh'
        echo "bench/run.sh $suite         # full run; rewrites this file"
        echo "bench/run.sh $suite --dry   # CI smoke test: every benchmark once; fails on a failed or allocating benchmark"
        echo '```'
    } > "$report.tmp"
    mv "$report.tmp" "$report"
}

started=$SECONDS
dotnet build "$project" -c Release --nologo -v quiet
status=0
dotnet run --project "$project" -c Release --no-build -- --filter "$filter" --artifacts "$artifacts" "${job[@]}" || status=$?
if [[ $status -ne 0 ]]; then
    echo "bench: BenchmarkDotNet reported failed benchmarks (exit $status)" >&2
fi
check=0
check_reports || check=$?
if [[ $check -eq 3 && $mode == dry && $status -eq 0 ]]; then
    recheck_allocating || status=1
elif [[ $check -ne 0 ]]; then
    status=1
fi
elapsed=$((SECONDS - started))

if [[ $status -ne 0 ]]; then
    echo "bench: FAILED after ${elapsed}s; BenchmarkDotNet output kept in $artifacts" >&2
    exit 1
fi
if [[ $mode == dry ]]; then
    rm -rf "$artifacts"
    echo "bench: dry run passed in ${elapsed}s (every benchmark ran once and allocated nothing)"
else
    write_report
    echo "bench: wrote ${report#"$repo"/} in ${elapsed}s"
fi
