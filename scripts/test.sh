#!/usr/bin/env bash
# The test command (README, CI): set-up, the whole xunit suite (lab tests included: they need root),
# then every benchmark once in BenchmarkDotNet's dry mode to prove the suites run and allocate nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
dotnet test UserTcp.Fast.sln -c Release --no-build --logger "console;verbosity=normal"
bash bench/run.sh all --dry
