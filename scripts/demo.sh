#!/usr/bin/env bash
# The main job: set up a fresh machine, build, bring up the lab (network namespaces + a kernel nginx), and download
# the same page (1 GiB by default; DEMO_SIZE=256M for a quicker run) over the same veth through the user-space TCP/IP
# stack (`usertcp get`) and through kernel sockets (curl), both clients into the same sink each time:
#   1. /dev/null, the comparison: neither client keeps the body, so the figures are the stacks', not a file system's;
#      each client's reported byte count must be the file's;
#   2. a file, the proof: both bodies are checked against the served file's SHA-256 (their timings then include
#      writing the file, the same for both).
# The server namespace's counters give each run's resets and retransmissions; the four runs are printed side by side.
# DEMO_LAB=NAME names the lab (default: demo).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
lab=${DEMO_LAB:-demo}
size=${DEMO_SIZE:-1G}
work=$(mktemp -d)
trap './usertcp lab down --name "$lab" >/dev/null 2>&1; rm -rf "$work"' EXIT
./usertcp lab up --name "$lab" --files "$size" >/dev/null
./usertcp lab status --name "$lab" --json > "$work/lab.json"
url=$(python3 -c "import json; print(json.load(open('$work/lab.json'))['files']['$size']['url'])")
client_ns=$(python3 -c "import json; print(json.load(open('$work/lab.json'))['client_netns'])")
client_if=$(python3 -c "import json; print(json.load(open('$work/lab.json'))['client_iface'])")
# Both clients write "/dev/null" through this link: should usertcp get fail mid-body, it deletes its partial output,
# and as root that must be the link, never the device.
ln -s /dev/null "$work/null"

# Runs the command that follows as run $1: its seconds to $work/$1.seconds, its output to $work/$1.out and .err (then
# shown), the server's counters around it to $work/$1.*.json. A failure is shown, and the check below fails the demo.
measure() {
  local name=$1; shift
  ./usertcp lab nstat --name "$lab" --json > "$work/$name.before.json"
  local start end
  start=$(date +%s.%N)
  "$@" > "$work/$name.out" 2> "$work/$name.err" || echo "(exit status $?)" >> "$work/$name.err"
  end=$(date +%s.%N)
  ./usertcp lab nstat --name "$lab" --json > "$work/$name.after.json"
  python3 -c "print($end - $start)" > "$work/$name.seconds"
  cat "$work/$name.err" >&2
}

# stack|kernel, the run's name, -o's target.
download() {
  local client=$1 name=$2 target=$3
  if [[ $client == stack ]]; then
    echo "user-space stack: ./usertcp get $url -o $target"
    measure "$name" ./usertcp get "$url" -o "$target" --lab "$lab"
  else
    echo "kernel sockets:   curl -o $target $url (from 198.18.0.3 on the same veth, added for this run only)"
    ip -n "$client_ns" addr add 198.18.0.3/24 dev "$client_if"
    measure "$name" ip netns exec "$client_ns" curl -sS -o "$target" -w '%{size_download}\n' "$url"
    ip -n "$client_ns" addr del 198.18.0.3/24 dev "$client_if"
  fi
}

echo "== 1. both bodies to /dev/null: the comparison"
download stack stack-null "$work/null"
download kernel kernel-null "$work/null"
echo
echo "== 2. both bodies to a file ($work), checked against the served file's SHA-256"
download stack stack-file "$work/stack.body"
download kernel kernel-file "$work/kernel.body"

python3 - "$work" "$size" <<'PY'
import hashlib, json, os, re, sys
work, size = sys.argv[1], sys.argv[2]
served = json.load(open(f"{work}/lab.json"))["files"][size]
rows, ok = [], True
for name, label, sink in (("stack-null", "user-space stack", "/dev/null"), ("kernel-null", "kernel sockets", "/dev/null"),
                          ("stack-file", "user-space stack", "file"), ("kernel-file", "kernel sockets", "file")):
    if sink == "file":
        body = f"{work}/{name.split('-')[0]}.body"
        digest = hashlib.sha256()
        length = 0
        if os.path.exists(body):
            with open(body, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
            length = os.path.getsize(body)
        exact = digest.hexdigest() == served["sha256"]
        check = "sha256 ok" if exact else "sha256 WRONG"
    else:
        # The count each client reports: curl's size_download, usertcp get's summary line ("URL: N bytes in ...").
        text = open(f"{work}/{name}.out").read() if name.startswith("kernel") else open(f"{work}/{name}.err").read()
        found = re.findall(r"^(\d+)$", text, re.M) if name.startswith("kernel") else re.findall(r": (\d+) bytes", text)
        length = int(found[-1]) if found else 0
        exact = length == served["bytes"]
        check = "count ok" if exact else "count WRONG"
    before, after = (json.load(open(f"{work}/{name}.{w}.json")) for w in ("before", "after"))
    delta = lambda k: after.get(k, 0) - before.get(k, 0)
    seconds = float(open(f"{work}/{name}.seconds").read())
    resets = delta("TcpOutRsts") + delta("TcpEstabResets")
    ok &= exact and resets == 0
    rows.append((label, sink, length, seconds, length * 8 / seconds / 1e9, check, resets, delta("TcpRetransSegs")))
print()
print(f"{'':18} {'sink':>9} {'bytes':>12} {'seconds':>8} {'Gbit/s':>7} {'check':>12} {'resets':>6} {'server rtx':>10}")
for label, sink, length, seconds, rate, check, resets, rtx in rows:
    print(f"{label:18} {sink:>9} {length:12} {seconds:8.3f} {rate:7.3f} {check:>12} {resets:6} {rtx:10}")
print("\nBoth clients used the same sink in each pair of rows; compare the stacks on the /dev/null rows. Seconds include")
print("starting the program (a .NET start for the stack, twice: it re-runs itself inside the namespace); the stack's own")
print("transfer time and rate are in its summary lines above. bench/run-perf.sh measures both sinks in alternating pairs.")
sys.exit(0 if ok else 1)
PY
