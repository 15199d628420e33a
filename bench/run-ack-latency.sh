#!/usr/bin/env bash
# Measures ACK latency under bursts of full and of sub-MSS segments, inside the user-space stack and by an observer on the
# wire, for the kernel receiver and the stack, and the answers to single events after idle (injected frames), and writes the report.
#
#   bench/run-ack-latency.sh           full run (about 6 minutes): regenerates perf-results/ack-latency.md,
#                                      perf-results/data/ack-latency.csv and ack-latency-events.csv, then perf-results/README.md and its plots
#   bench/run-ack-latency.sh --quick   one connection of 3 bursts per case, one sub-MSS size, two of each event (about a
#                                      minute): the report and the samples go to temporary files and the report is printed
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
source "$(dirname "${BASH_SOURCE[0]}")/live-common.sh"
live_prepare run-ack-latency "network namespaces, packet sockets"
harness_args=()
if [[ $quick == yes ]]; then
    report=$(mktemp "${TMPDIR:-/tmp}/ack-latency-quick.XXXXXX.md")
    csv=$(mktemp "${TMPDIR:-/tmp}/ack-latency-quick.XXXXXX.csv")
    harness_args+=(--quick)
else
    report="$repo/perf-results/ack-latency.md"
    csv="$repo/perf-results/data/ack-latency.csv"
fi
live_unique_lab ak
cleanup() {
    live_remove_lab
    if [[ $quick == yes ]]; then rm -f "$report" "$csv" "${csv%.csv}-events.csv"; fi
}
trap cleanup EXIT

dotnet "$harness" ack --lab "$lab" --report "$report" --csv "$csv" \
    --commit "$commit" "${harness_args[@]}"
if [[ $quick == yes ]]; then
    cat "$report"
    echo "run-ack-latency: $(($(wc -l < "$csv") - 1)) samples in the CSV (not kept)"
else
    dotnet "$harness" readme --results "$repo/perf-results"
fi
echo "run-ack-latency: done in $((SECONDS - started)) s (setup and build included)"
