#!/usr/bin/env bash
# The user-space stack, lwIP 2.1 and the kernel on one TAP lab: in one run, alternating, downloads of the same file into
# /dev/null by `usertcp get` on the lab's TAP, by bench/peers/lwip-get (lwIP on the same TAP) and by curl from the bridge
# that joins the TAP and the client veth, offloads off and on; then perf-results/README.md.
#
#   bench/run-tap.sh              full run: 1G, 5 rounds (one download per client each) per offload setting (about 2
#                                 minutes): regenerates perf-results/tap.md, perf-results/data/tap.csv, perf-results/README.md
#   bench/run-tap.sh --runs N     full run with N rounds per offload setting
#   bench/run-tap.sh --quick      10M, 2 rounds (a dry run, about 10 s with a built tree): everything goes to a temporary
#                                 folder, tap.md is printed; perf-results is left alone
#
# Needs root: it installs what is missing (scripts/setup.sh, which also builds; lwip-get is built here with make),
# brings up its own TAP lab with a unique name (TAP_LAB=NAME chooses it), and always tears it down. Exit status: 0 on
# success, 1 when a measurement failed (a byte count that is not the file's fails it), 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }

source "$(dirname "${BASH_SOURCE[0]}")/live-common.sh"
live_parse_quick_and_runs "$@"
live_prepare run-tap "network namespaces, a TAP device, the lab's nginx"
make -s -C "$repo/bench/peers/lwip-get"
if [[ $quick == yes ]]; then
    results=$(mktemp -d "${TMPDIR:-/tmp}/tap-quick.XXXXXX")
else
    results="$repo/perf-results"
fi
if [[ -n ${TAP_LAB:-} ]]; then lab=$TAP_LAB; else live_unique_lab tp; fi
cleanup() {
    live_remove_lab
    if [[ $quick == yes ]]; then rm -rf "$results"; fi
}
trap cleanup EXIT

dotnet "$harness" tap --lwip "$repo/bench/peers/lwip-get/lwip-get" --lab "$lab" --results "$results" --commit "$commit" "${harness_args[@]}"
if [[ $quick == yes ]]; then cat "$results/tap.md"; else dotnet "$harness" readme --results "$results"; fi
echo "run-tap: done in $((SECONDS - started)) s (setup and build included)"
