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

source "$(dirname "${BASH_SOURCE[0]}")/live-common.sh"
live_parse_quick_and_runs "$@"
live_prepare run-live "network namespaces, packet sockets, strace"
if [[ $quick == yes ]]; then
    report=$(mktemp "${TMPDIR:-/tmp}/live-quick.XXXXXX.md")
else
    report="$repo/perf-results/live.md"
fi
live_unique_lab lv
cleanup() {
    live_remove_lab
    if [[ $quick == yes ]]; then rm -f "$report"; fi
}
trap cleanup EXIT

dotnet "$harness" run --lab "$lab" --report "$report" \
    --commit "$commit" "${harness_args[@]}"
if [[ $quick == yes ]]; then cat "$report"; fi
echo "run-live: done in $((SECONDS - started)) s (setup and build included)"
