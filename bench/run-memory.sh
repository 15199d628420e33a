#!/usr/bin/env bash
# Measures memory per connection of the stack used as a library (NetworkStack, TcpStream) against a kernel listener in
# the lab: per idle established connection, per connection receiving at a bounded rate, per TIME-WAIT entry; writes
# perf-results/memory.md and perf-results/data/memory.csv.
#
#   bench/run-memory.sh                          1,000 and 10,000 connections, each receiving 64 KiB/s when active
#   bench/run-memory.sh --connections 100,1000x65536
#                                                other cases, comma-separated, one stack process each: COUNT connections
#                                                (1..20,000) with the library's default buffers, or xBYTES: the receive and
#                                                send buffers' maxima that size (what the maxima cost an idle connection)
#   bench/run-memory.sh --rate BYTES             the active phase's rate per connection, bytes per second
#
# A stack process refuses a count whose connections would not fit in 60 % of the machine's available memory (it
# measures the first 64 connections, idle, and extrapolates). Needs root: it installs what is missing (scripts/setup.sh,
# which also builds), brings up its own lab with a unique name, and always tears it down. Exit status: 0 on success, 1
# when a measurement failed, 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

harness_args=()
while (($#)); do
    case $1 in
        --connections) [[ ${2:-} =~ ^[1-9][0-9]*(x[1-9][0-9]*)?(,[1-9][0-9]*(x[1-9][0-9]*)?)*$ ]] || { usage >&2; exit 2; }; harness_args+=(--connections "$2"); shift 2 ;;
        --rate) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }; harness_args+=(--rate "$2"); shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
source "$(dirname "${BASH_SOURCE[0]}")/live-common.sh"
live_prepare run-memory "network namespaces, packet sockets"
live_unique_lab m7
trap live_remove_lab EXIT

cd "$repo"
dotnet "$harness" memory --lab "$lab" --report perf-results/memory.md --csv perf-results/data/memory.csv \
    --commit "$commit" "${harness_args[@]}"
echo "run-memory: done in $((SECONDS - started)) s (setup and build included)"
