#!/usr/bin/env bash
# Issue 13's comparison: the same downloads by curl and by `usertcp get` in the FLAT lab and in the ROUTED lab (a LAN, a NAT
# router and a 1400-byte-MTU link to the server), the two labs up side by side and their pairs interleaved, offloads off
# and on, every body into /dev/null; then the routed lab's stack/kernel throughput ratio against the flat lab's, size by
# size (the target: within 10 %).
#
#   bench/run-routed.sh              full run: 64K (the fixed-cost reference), 100M and 1G, 15 pairs each per lab and offload
#                                    setting (about 5 minutes): regenerates perf-results/routed.md and perf-results/data/routed.csv
#   bench/run-routed.sh --runs N     full run with N pairs per size, offload setting and lab
#   bench/run-routed.sh --quick      64K and 10M, 2 pairs (about 30 s): everything goes to a temporary folder, routed.md is
#                                    printed; perf-results is left alone
#
# Needs root: it installs what is missing (scripts/setup.sh, which also builds), brings up its own two labs with unique names
# (ROUTED_FLAT_LAB=NAME and ROUTED_LAB=NAME choose them), and always tears them down. Exit status: 0 on success, 1 when a
# measurement failed (a byte count that is not the file's fails it), 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

source "$(dirname "${BASH_SOURCE[0]}")/live-common.sh"
live_parse_quick_and_runs "$@"
live_prepare run-routed "network namespaces, the labs' nginx, router and dnsmasq"
if [[ $quick == yes ]]; then
    results=$(mktemp -d "${TMPDIR:-/tmp}/routed-quick.XXXXXX")
else
    results="$repo/perf-results"
fi
if [[ -n ${ROUTED_FLAT_LAB:-} ]]; then flat_lab=$ROUTED_FLAT_LAB; else live_unique_lab hp; flat_lab=$lab; fi
if [[ -n ${ROUTED_LAB:-} ]]; then routed_lab=$ROUTED_LAB; else live_unique_lab hp; routed_lab=$lab; fi
cleanup() {
    for lab in "$flat_lab" "$routed_lab"; do live_remove_lab; done
    if [[ $quick == yes ]]; then rm -rf "$results"; fi
}
trap cleanup EXIT

dotnet "$harness" routed --lab "$flat_lab" --routed-lab "$routed_lab" --results "$results" --commit "$commit" "${harness_args[@]}"
if [[ $quick == yes ]]; then cat "$results/routed.md"; fi
echo "run-routed: done in $((SECONDS - started)) s (setup and build included)"
