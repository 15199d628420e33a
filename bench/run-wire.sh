#!/usr/bin/env bash
# Regenerates perf-results/wire.md (or, with --dry, smoke-tests the wire suite): bench/run.sh wire.
exec "$(dirname "${BASH_SOURCE[0]}")/run.sh" wire "$@"
