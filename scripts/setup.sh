#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine (as root), then restores and builds.
# Idempotent: packages already present are not reinstalled; apt-get update runs only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# libpcap0.8: SharpPcap's native library. tcpdump: capture oracle in tests. iproute2/nftables/ethtool:
# the lab (namespaces, ping, loss, offloads). nginx-light/curl/dnsmasq-base: kernel peers (HTTP, HTTPS, DNS); openssl: the
# lab's self-signed certificate. procps: sysctl/pgrep.
# python3: the hostile-frame sender of the live tests (AF_PACKET). strace: device tests and bench/run-live.sh count system
# calls per frame. tcpreplay: bench/run-live.sh replays a recorded download's server frames at the stack at fixed rates.
# time (GNU time): bench/run-perf.sh reads each client's peak RSS through it (a small C parent, so the memory of the .NET
# harness that starts it does not count). fonts-dejavu-core: the font ScottPlot measures the plots' labels with.
# gcc, make, liblwip-dev (lwIP 2.1.3): bench/run-tap.sh builds bench/peers/lwip-get, the lwIP peer on the TAP lab, with them.
# clang, lld: Native AOT's native toolchain (./usertcp publishes the CLI ahead of time; ILCompiler links with clang and lld).
# wrk, hping3: bench/run-serve.sh's kernel clients: wrk loads the servers (requests per second, latency, accept rate),
# hping3 sends its bounded SYN flood at the stack's port from a lab address.
# afl++: bench/run-fuzz.sh's afl-fuzz, which CI (scripts/test.sh) runs on every fuzz target.
packages=(libpcap0.8 tcpdump iproute2 iputils-ping nftables ethtool nginx-light curl dnsmasq-base openssl procps python3 strace tcpreplay
          time fonts-dejavu-core gcc make liblwip-dev clang lld wrk hping3 afl++)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages (${missing[*]}) and not root: run as root" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  # policy-rc.d 101 keeps package scripts from starting nginx/dnsmasq daemons in the root namespace.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore UserTcp.Fast.sln --verbosity quiet
dotnet tool restore >/dev/null   # sharpfuzz (.config/dotnet-tools.json): bench/run-fuzz.sh instruments the library with it
dotnet build UserTcp.Fast.sln -c Release --no-restore --verbosity quiet -nologo
# The usertcp binary (Native AOT) that ./usertcp, the live tests and the benchmarks run: published now if it is missing or
# older than the sources, so no test pays for it.
USERTCP_PUBLISH_ONLY=1 ./usertcp >/dev/null
