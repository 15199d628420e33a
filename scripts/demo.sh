#!/usr/bin/env bash
# The main job: set up a fresh machine, build, bring up the lab (network namespaces + a kernel nginx), and download
# the same page (1 GiB by default; DEMO_SIZE=256M for a quicker run) over the same veth twice: through the user-space
# TCP/IP stack, and through kernel sockets (curl). Both bodies are checked against the served file's SHA-256, and the
# server namespace's counters give each run's resets and retransmissions; the two runs are printed side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
lab=demo
size=${DEMO_SIZE:-1G}
work=$(mktemp -d)
trap './usertcp lab down --name "$lab" >/dev/null 2>&1; rm -rf "$work"' EXIT
./usertcp lab up --name "$lab" --files "$size" >/dev/null
./usertcp lab status --name "$lab" --json > "$work/lab.json"
url=$(python3 -c "import json; print(json.load(open('$work/lab.json'))['files']['$size']['url'])")
client_ns=$(python3 -c "import json; print(json.load(open('$work/lab.json'))['client_netns'])")
client_if=$(python3 -c "import json; print(json.load(open('$work/lab.json'))['client_iface'])")

# Seconds taken by the command that follows, written to $work/$1.seconds; the counters around it to $work/$1.*.json.
measure() {
  local name=$1; shift
  ./usertcp lab nstat --name "$lab" --json > "$work/$name.before.json"
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  ./usertcp lab nstat --name "$lab" --json > "$work/$name.after.json"
  python3 -c "print($end - $start)" > "$work/$name.seconds"
}

echo "user-space stack: ./usertcp get $url"
measure stack ./usertcp get "$url" -o "$work/stack.body" --lab "$lab"
echo
echo "kernel sockets:   curl $url (from 198.18.0.3 on the same veth, added for this run only)"
ip -n "$client_ns" addr add 198.18.0.3/24 dev "$client_if"
measure kernel ip netns exec "$client_ns" curl -sS -o "$work/kernel.body" "$url"
ip -n "$client_ns" addr del 198.18.0.3/24 dev "$client_if"

python3 - "$work" "$size" <<'PY'
import hashlib, json, os, sys
work, size = sys.argv[1], sys.argv[2]
expected = json.load(open(f"{work}/lab.json"))["files"][size]["sha256"]
rows, ok = [], True
for name, label in (("stack", "user-space stack"), ("kernel", "kernel sockets")):
    body = f"{work}/{name}.body"
    digest = hashlib.sha256()
    with open(body, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    exact = digest.hexdigest() == expected
    before, after = (json.load(open(f"{work}/{name}.{w}.json")) for w in ("before", "after"))
    delta = lambda k: after.get(k, 0) - before.get(k, 0)
    seconds = float(open(f"{work}/{name}.seconds").read())
    length = os.path.getsize(body)
    resets = delta("TcpOutRsts") + delta("TcpEstabResets")
    ok &= exact and resets == 0
    rows.append((label, length, seconds, length * 8 / seconds / 1e9, "yes" if exact else "NO", resets, delta("TcpRetransSegs")))
print()
print(f"{'':18} {'bytes':>12} {'seconds':>8} {'Gbit/s':>7} {'sha256 ok':>9} {'resets':>6} {'server rtx':>10}")
for label, length, seconds, rate, exact, resets, rtx in rows:
    print(f"{label:18} {length:12} {seconds:8.3f} {rate:7.3f} {exact:>9} {resets:6} {rtx:10}")
print("\n(seconds include starting the program; the stack's own transfer time and rate are in its summary line above)")
sys.exit(0 if ok else 1)
PY
