#!/usr/bin/env bash
# The serve benchmark (issue 12): the lab the other way round. Servers in the lab's client namespace: the user-space
# stack (usertcp serve --root: static files on Kestrel over the stack), the same app on Kestrel over kernel sockets
# (usertcp serve --root --kernel-sockets) and nginx; kernel clients in the server namespace: wrk, curl, python3, hping3.
# Measures requests per second and latency (1 KiB and 64 KiB at 1, 64 and 1,000 connections), the accept rate, 1 GiB to
# curl with offloads off and on, memory per idle and per active connection up to 10,000 idle connections, and a
# 100,000-SYN flood at the stack; writes perf-results/serve.md, perf-results/data/serve.csv and the plots (readme).
#
#   bench/run-serve.sh             3 rounds of everything, servers' order rotating (about 10 minutes)
#   bench/run-serve.sh --runs N    N rounds
#   bench/run-serve.sh --quick     seconds per case, small counts: proves the harness works (figures not comparable)
#
# It is a timing measurement: on a shared machine run it under `flock -x /tmp/measure.lock`. Needs root: it installs
# what is missing (scripts/setup.sh, which also builds), brings up its own lab with a unique name, sends traffic only to
# the lab's addresses (198.18.0.0/15), and always tears the lab down. Exit status: 0 on success, 1 when the harness
# failed, 2 on bad usage. A server or measurement that failed is named in the report's notes, not an exit status.
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; }

source "$(dirname "${BASH_SOURCE[0]}")/live-common.sh"
live_parse_quick_and_runs "$@"
live_prepare run-serve "network namespaces, the lab's nginx, a SYN flood"
live_unique_lab sb
trap live_remove_lab EXIT

cd "$repo"
dotnet "$harness" serve --lab "$lab" --results perf-results --commit "$commit" "${harness_args[@]}"
dotnet "$harness" readme --results perf-results
echo "run-serve: done in $((SECONDS - started)) s (setup and build included)"
