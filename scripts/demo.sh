#!/usr/bin/env bash
# The main job, as far as the project goes today: set up a fresh machine, build, bring up a namespace lab with
# a kernel nginx peer, capture a real HTTP download there, and decode it with the stack's own wire layer side
# by side with tcpdump. (The user-space download against kernel sockets joins this when the stack is live.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pcap=$(mktemp --suffix=.pcap)
trap 'rm -f "$pcap"' EXIT
bash scripts/capture-http.sh "$pcap" --offload off --size 1000000
frames=$(./usertcp decode "$pcap" | tee /dev/stderr | wc -l)
ok=$(./usertcp decode "$pcap" | grep -c "cksum ok" || true)
echo
echo "decoded $frames frames of real kernel traffic with the user-space wire layer; $ok transport checksums verified"
echo "first frames as tcpdump sees them:"
tcpdump -nn -e -S -r "$pcap" 2>/dev/null | head -5
