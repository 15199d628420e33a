#!/usr/bin/env bash
# Measures the live stack's cost per frame on a real device (a veth in a lab of network namespaces) and writes the report.
#
#   bench/run-live.sh              full run (about 3.5 minutes): regenerates perf-results/live.md
#   bench/run-live.sh --runs N     full run with N timed runs per case (default 5)
#   bench/run-live.sh --quick      every case once and small (about 20 s): the report goes to a temporary file and is
#                                  printed; perf-results/live.md is left alone
#
# Needs root: it installs what is missing (scripts/setup.sh, which also builds), brings up its own lab with a unique
# name, and always tears it down. Exit status: 0 on success, 1 when a measurement failed, 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; }

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
[[ $(id -u) -eq 0 ]] || { echo "run-live: needs root (network namespaces, packet sockets, strace)" >&2; exit 1; }

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
started=$SECONDS
bash "$repo/scripts/setup.sh"

# Recorded before the run, so the report names the code that was measured; the report itself does not count.
commit=$(git -C "$repo" rev-parse --short HEAD)
if [[ -n $(git -C "$repo" status --porcelain -- . ':(exclude)perf-results') ]]; then
    commit+=" (dirty: uncommitted changes were measured)"
fi
if [[ $quick == yes ]]; then
    report=$(mktemp "${TMPDIR:-/tmp}/live-quick.XXXXXX.md")
else
    report="$repo/perf-results/live.md"
fi
# A unique lab: two runs on one machine never share one. The harness removes it itself; this trap only matters when the
# harness could not (killed with SIGKILL, say), and finds nothing to do otherwise.
lab="lv$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
cleanup() {
    if [[ -d /var/lib/usertcp-lab/$lab ]]; then "$repo/usertcp" lab down --name "$lab" >/dev/null || true; fi
    if [[ $quick == yes ]]; then rm -f "$report"; fi
}
trap cleanup EXIT

dotnet "$repo/bench/UserTcp.LiveBench/bin/Release/net10.0/UserTcp.LiveBench.dll" run --lab "$lab" --report "$report" \
    --commit "$commit" "${harness_args[@]}"
if [[ $quick == yes ]]; then cat "$report"; fi
echo "run-live: done in $((SECONDS - started)) s (setup and build included)"
