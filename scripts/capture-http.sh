#!/usr/bin/env bash
# Captures real Linux traffic for the decoder tests: two network namespaces joined by a veth pair, nginx in
# one, and from the other an ARP exchange, two pings, a UDP datagram to a closed port (ICMP unreachable back)
# and a curl download. Every frame on the client's veth goes to OUT.pcap. Always tears down.
#
# usage: scripts/capture-http.sh OUT.pcap [--offload on|off] [--size BYTES]
set -euo pipefail
out=${1:?usage: capture-http.sh OUT.pcap [--offload on|off] [--size BYTES]}
shift
offload=off
size=65536
while (($#)); do
  case $1 in
    --offload) offload=${2:?}; shift 2 ;;
    --size) size=${2:?}; shift 2 ;;
    *) echo "capture-http: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ $offload == on || $offload == off ]] || { echo "capture-http: --offload takes on or off" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "capture-http: needs root (network namespaces)" >&2; exit 1; }
for tool in ip nginx tcpdump curl ethtool ping; do
  command -v $tool >/dev/null || { echo "capture-http: $tool is missing: run scripts/setup.sh" >&2; exit 1; }
done

# A per-run prefix keeps parallel runs apart; interface names stay within 15 characters.
prefix="utc$$"
server_ns="${prefix}-srv"
client_ns="${prefix}-cli"
server_if="${prefix}s"
client_if="${prefix}c"
server_ip=198.18.0.1
client_ip=198.18.0.2
work=$(mktemp -d)
tcpdump_pid=""

teardown() {
  [[ -n $tcpdump_pid ]] && kill "$tcpdump_pid" 2>/dev/null || true
  [[ -f $work/nginx.pid ]] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
  ip netns del "$server_ns" 2>/dev/null || true
  ip netns del "$client_ns" 2>/dev/null || true
  rm -rf "$work"
}
trap teardown EXIT

ip netns add "$server_ns"
ip netns add "$client_ns"
# IPv6 off before the veth exists, so no neighbour discovery or MLD frames join the capture.
for ns in "$server_ns" "$client_ns"; do
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "$server_if" netns "$server_ns" type veth peer name "$client_if" netns "$client_ns"
ip -n "$server_ns" addr add "$server_ip/24" dev "$server_if"
ip -n "$client_ns" addr add "$client_ip/24" dev "$client_if"
for ns_if in "$server_ns:$server_if" "$client_ns:$client_if"; do
  ns=${ns_if%%:*}; dev=${ns_if##*:}
  ip -n "$ns" link set lo up
  ip -n "$ns" link set "$dev" up
  if [[ $offload == off ]]; then
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off >/dev/null 2>&1
  fi
done

mkdir -p "$work/www" "$work/tmp"
chmod 755 "$work" "$work/www" # nginx workers run unprivileged
head -c "$size" /dev/urandom > "$work/www/file"
cat > "$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $work/tmp;
  proxy_temp_path $work/tmp;
  fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp;
  scgi_temp_path $work/tmp;
  server { listen $server_ip:80; root $work/www; }
}
CONF
ip netns exec "$server_ns" nginx -p "$work" -e "$work/error.log" -c "$work/nginx.conf"

ip netns exec "$client_ns" tcpdump -i "$client_if" --immediate-mode -Z root -s 0 -U -n -w "$out" 2>"$work/tcpdump.err" &
tcpdump_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/tcpdump.err" 2>/dev/null && break; sleep 0.05; done
grep -q "listening on" "$work/tcpdump.err" || { cat "$work/tcpdump.err" >&2; echo "capture-http: tcpdump did not start" >&2; exit 1; }

ip netns exec "$client_ns" ping -c 2 -i 0.2 -W 2 "$server_ip" >/dev/null
ip netns exec "$client_ns" bash -c "echo hello > /dev/udp/$server_ip/9" || true
ip netns exec "$client_ns" curl -sS --max-time 20 -o "$work/downloaded" "http://$server_ip/file"
cmp -s "$work/downloaded" "$work/www/file" || { echo "capture-http: curl download differs from the served file" >&2; exit 1; }

sleep 0.2 # let the last FIN/ACK reach the capture
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
tcpdump_pid=""
echo "capture-http: wrote $out (offload $offload, $size-byte download)"
