#!/usr/bin/env bash
# The user-space stack against kernel sockets: downloads of the same files over the same veth by curl and by
# `usertcp get`, in alternating pairs, offloads off and on; then perf-results/README.md and its plots.
#
#   bench/run-perf.sh              full run: 64K (the fixed-cost reference), 10M, 100M and 1G, 5 pairs each (about
#                                  2 minutes): regenerates perf-results/compare.md, perf-results/data/compare.csv,
#                                  perf-results/README.md and perf-results/plots/
#   bench/run-perf.sh --runs N     full run with N pairs per size and offload setting
#   bench/run-perf.sh --quick      64K and 10M, 2 pairs (about 10 s): everything goes to a temporary folder, compare.md
#                                  is printed; perf-results is left alone
#
# Needs root: it installs what is missing (scripts/setup.sh, which also builds), brings up its own lab with a unique
# name, and always tears it down. Exit status: 0 on success, 1 when a measurement failed (a body that is not byte-exact
# fails it), 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }

harness_args=()
quick=no
while (($#)); do
    case $1 in
        --quick) quick=yes; harness_args+=(--quick); shift ;;
        --runs) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }; harness_args+=(--runs "$2"); shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
[[ $(id -u) -eq 0 ]] || { echo "run-perf: needs root (network namespaces, the lab's nginx)" >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
started=$SECONDS
bash "$repo/scripts/setup.sh"

# Recorded before the run, so the report names the code that was measured; the reports themselves do not count.
commit=$(git -C "$repo" rev-parse --short HEAD)
if [[ -n $(git -C "$repo" status --porcelain -- . ':(exclude)perf-results') ]]; then
    commit+=" (dirty: uncommitted changes were measured)"
fi
if [[ $quick == yes ]]; then
    results=$(mktemp -d "${TMPDIR:-/tmp}/perf-quick.XXXXXX")
else
    results="$repo/perf-results"
fi
# A unique lab: two runs on one machine never share one. The harness removes it itself; this trap only matters when the
# harness could not (killed with SIGKILL, say), and finds nothing to do otherwise.
lab="pf$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
cleanup() {
    if [[ -d /var/lib/usertcp-lab/$lab ]]; then "$repo/usertcp" lab down --name "$lab" >/dev/null || true; fi
    rm -rf "/dev/shm/usertcp-perf-$lab"
    if [[ $quick == yes ]]; then rm -rf "$results"; fi
}
trap cleanup EXIT

harness="$repo/bench/UserTcp.LiveBench/bin/Release/net10.0/UserTcp.LiveBench.dll"
dotnet "$harness" compare --lab "$lab" --results "$results" --commit "$commit" "${harness_args[@]}"
dotnet "$harness" readme --results "$results"
if [[ $quick == yes ]]; then cat "$results/compare.md"; fi
echo "run-perf: done in $((SECONDS - started)) s (setup and build included)"
