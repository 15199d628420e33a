#!/usr/bin/env bash
# The user-space stack against kernel sockets: downloads of the same files over the same veth by curl and by
# `usertcp get`, in alternating pairs, offloads off and on, both clients of a pair putting the body in the same sink:
# /dev/null (the headline) and a file in tmpfs (a second table); then uploads of one tmpfs file by curl -T and `usertcp put`
# to the lab's upload sink, in alternating pairs too (100M and 1G; 10M with --quick); then perf-results/README.md and its plots.
#
#   bench/run-perf.sh              full run: 64K (the fixed-cost reference), 10M, 100M and 1G, 5 pairs each into each
#                                  sink (about 5 minutes): regenerates perf-results/compare.md, perf-results/data/compare.csv,
#                                  perf-results/README.md and perf-results/plots/
#   bench/run-perf.sh --runs N     full run with N pairs per size, offload setting and sink
#   bench/run-perf.sh --quick      64K and 10M, 2 pairs (about 30 s): everything goes to a temporary folder, compare.md
#                                  is printed; perf-results is left alone
#
# Needs root: it installs what is missing (scripts/setup.sh, which also builds), brings up its own lab with a unique
# name (PERF_LAB=NAME chooses it), and always tears it down. Exit status: 0 on success, 1 when a measurement failed (a
# byte count that is not the file's, or a file body that is not byte-exact, fails it), 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

source "$(dirname "${BASH_SOURCE[0]}")/live-common.sh"
live_parse_quick_and_runs "$@"
live_prepare run-perf "network namespaces, the lab's nginx"
if [[ $quick == yes ]]; then
    results=$(mktemp -d "${TMPDIR:-/tmp}/perf-quick.XXXXXX")
else
    results="$repo/perf-results"
fi
if [[ -n ${PERF_LAB:-} ]]; then lab=$PERF_LAB; else live_unique_lab pf; fi
cleanup() {
    live_remove_lab
    rm -rf "/dev/shm/usertcp-perf-$lab"
    if [[ $quick == yes ]]; then rm -rf "$results"; fi
}
trap cleanup EXIT

dotnet "$harness" compare --lab "$lab" --results "$results" --commit "$commit" "${harness_args[@]}"
dotnet "$harness" readme --results "$results"
if [[ $quick == yes ]]; then cat "$results/compare.md"; fi
echo "run-perf: done in $((SECONDS - started)) s (setup and build included)"
