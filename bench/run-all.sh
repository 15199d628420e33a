#!/usr/bin/env bash
# Regenerates every report in perf-results/, one after the other (never two at once: they share the machine's two
# cores), and perf-results/README.md with its plots last. About 35 minutes.
#
#   bench/run-all.sh     (root) bench/run.sh wire, tcp, interface and loop (BenchmarkDotNet), bench/run-live.sh,
#                        bench/run-perf.sh and bench/run-ack-latency.sh
#
# Stops at the first command that fails, with that command's exit status.
set -euo pipefail
case $# in
    0) ;;
    *) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
bench=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for suite in wire tcp interface loop; do
    "$bench/run.sh" "$suite"
done
"$bench/run-live.sh"
"$bench/run-perf.sh"          # also regenerates README.md
"$bench/run-ack-latency.sh"   # and again, now with everything
