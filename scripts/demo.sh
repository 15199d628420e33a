#!/usr/bin/env bash
# The main job, as far as the project goes today: set up a fresh machine, build, bring up the lab (network
# namespaces + a kernel nginx), and download a file from nginx through the user-space TCP/IP stack: ARP, ping,
# handshake, the whole body, a clean close; then check the body's SHA-256 and that the kernel counted no reset.
# (The 1 GiB side-by-side run against kernel sockets replaces the download here when the Stream API lands.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
lab=demo
size=${DEMO_SIZE:-16M}
./usertcp lab up --name "$lab" --files "$size" >/dev/null
body=$(mktemp)
trap './usertcp lab down --name "$lab" >/dev/null; rm -f "$body"' EXIT

./usertcp ping 198.18.0.1 -c 3 -i 0.2 --lab "$lab"
echo
before=$(./usertcp lab nstat --name "$lab" --json)
./usertcp connect 198.18.0.1:80 --send "GET /$size HTTP/1.0\r\nHost: lab\r\n\r\n" --lab "$lab" --stats > "$body"
after=$(./usertcp lab nstat --name "$lab" --json)
expected=$(./usertcp lab status --name "$lab" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['files']['$size']['sha256'])")
python3 - "$body" "$expected" "$before" "$after" <<'PY'
import hashlib, json, sys
data = open(sys.argv[1], "rb").read()
headers, _, payload = data.partition(b"\r\n\r\n")
digest = hashlib.sha256(payload).hexdigest()
before, after = json.loads(sys.argv[3]), json.loads(sys.argv[4])
resets = sum(after.get(k, 0) - before.get(k, 0) for k in ("TcpOutRsts", "TcpEstabResets"))
status_line = headers.split(b"\r\n")[0].decode()
print(f"\n{status_line}: {len(payload)} bytes through the user-space stack")
print(f"sha256 {digest} {'matches' if digest == sys.argv[2] else 'DIFFERS from'} the served file")
print(f"kernel resets counted in the server namespace: {resets}")
sys.exit(0 if digest == sys.argv[2] and resets == 0 else 1)
PY
