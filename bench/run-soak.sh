#!/usr/bin/env bash
# The soak (issue 14): one long-lived stack process (the library as an application uses it) in a lab of its own, with two
# clients downloading random files of the lab's nginx back to back (each checked byte-exact by length and SHA-256), a slow
# reader and an aborting client, while the link's loss and rate change at random about every minute. Samples RSS, open
# descriptors, the managed heap, threads and the clients' totals; writes perf-results/soak.md, perf-results/data/soak.csv
# and perf-results/plots/soak.svg.
#
#   bench/run-soak.sh                      60 minutes, a sample and a link change every minute
#   bench/run-soak.sh --minutes N          N minutes (under 10: a sample and a change every 10 s)
#   bench/run-soak.sh --max-drift PERCENT  also fail when RSS or descriptors grew by more than PERCENT (CI's leak bound)
#   bench/run-soak.sh --report FILE --csv FILE
#                                          write the report and data there instead (the plot goes beside the report, in plots/)
#
# Needs root: it installs what is missing (scripts/setup.sh, which also builds), brings up its own lab with a unique
# name, and always tears it down. Exit status: 0 on success, 1 on a failed download or a failed measurement (or growth
# beyond --max-drift), 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

harness_args=()
while (($#)); do
    case $1 in
        --minutes) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }; harness_args+=(--minutes "$2"); shift 2 ;;
        --max-drift) [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { usage >&2; exit 2; }; harness_args+=(--max-drift "$2"); shift 2 ;;
        --report | --csv) [[ -n ${2:-} ]] || { usage >&2; exit 2; }; harness_args+=("$1" "$(realpath -m "$2")"); shift 2 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done
source "$(dirname "${BASH_SOURCE[0]}")/live-common.sh"
live_prepare run-soak "network namespaces, packet sockets"
live_unique_lab hk
trap live_remove_lab EXIT

cd "$repo"
# glibc gives each new thread an arena of its own, up to 8 per core (16 here), and keeps it after the thread exits: over an
# hour the thread pool's threads come and go and each new arena adds 0.3-2.5 MiB of resident memory that is nobody's leak
# (seen in /proc/PID/smaps: a seventh arena appeared after 11 minutes). Two arenas bound that, as for any long-lived .NET
# process on glibc; the report says so.
export MALLOC_ARENA_MAX=2
dotnet "$harness" soak --lab "$lab" --commit "$commit" "${harness_args[@]}"
echo "run-soak: done in $((SECONDS - started)) s (setup and build included)"
