#!/usr/bin/env bash
# Measures ACK latency under bursts, inside the user-space stack and by an observer on the wire, for the kernel receiver and
# the stack with cumulative and with naive ACKs, and writes the report.
#
#   bench/run-ack-latency.sh           full run (about 3 minutes): regenerates perf-results/ack-latency.md and
#                                      perf-results/data/ack-latency.csv, then perf-results/README.md and its plots
#   bench/run-ack-latency.sh --quick   one connection of 3 bursts per case (about 30 s): the report and the samples go to
#                                      temporary files and the report is printed; perf-results is left alone
#
# Needs root: it installs what is missing (scripts/setup.sh, which also builds), brings up its own lab with a unique
# name, and always tears it down. Exit status: 0 on success, 1 when a measurement failed, 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; }

quick=no
case "$#:${1:-}" in
    0:) ;;
    1:--quick) quick=yes ;;
    1:-h | 1:--help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac
[[ $(id -u) -eq 0 ]] || { echo "run-ack-latency: needs root (network namespaces, packet sockets)" >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
started=$SECONDS
bash "$repo/scripts/setup.sh"

# Recorded before the run, so the report names the code that was measured; the report itself does not count.
commit=$(git -C "$repo" rev-parse --short HEAD)
if [[ -n $(git -C "$repo" status --porcelain -- . ':(exclude)perf-results') ]]; then
    commit+=" (dirty: uncommitted changes were measured)"
fi
harness_args=()
if [[ $quick == yes ]]; then
    report=$(mktemp "${TMPDIR:-/tmp}/ack-latency-quick.XXXXXX.md")
    csv=$(mktemp "${TMPDIR:-/tmp}/ack-latency-quick.XXXXXX.csv")
    harness_args+=(--quick)
else
    report="$repo/perf-results/ack-latency.md"
    csv="$repo/perf-results/data/ack-latency.csv"
fi
# A unique lab: two runs on one machine never share one. The harness removes it itself; this trap only matters when the
# harness could not (killed with SIGKILL, say), and finds nothing to do otherwise.
lab="ak$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
cleanup() {
    if [[ -d /var/lib/usertcp-lab/$lab ]]; then "$repo/usertcp" lab down --name "$lab" >/dev/null || true; fi
    if [[ $quick == yes ]]; then rm -f "$report" "$csv"; fi
}
trap cleanup EXIT

harness="$repo/bench/UserTcp.LiveBench/bin/Release/net10.0/UserTcp.LiveBench.dll"
dotnet "$harness" ack --lab "$lab" --report "$report" --csv "$csv" \
    --commit "$commit" "${harness_args[@]}"
if [[ $quick == yes ]]; then
    cat "$report"
    echo "run-ack-latency: $(($(wc -l < "$csv") - 1)) samples in the CSV (not kept)"
else
    dotnet "$harness" readme --results "$repo/perf-results"
fi
echo "run-ack-latency: done in $((SECONDS - started)) s (setup and build included)"
