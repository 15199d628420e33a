#!/usr/bin/env python3
"""A kernel-socket sender with a clamped MSS, for the ACK-rule tests: bursts after idle periods.

usage: burst-peer.py ADDRESS PORT MAXSEG BURST_BYTES TAIL_BYTES IDLE_MS[,IDLE_MS...]

Sets TCP_MAXSEG on the listener (so the SYN-ACK advertises it and every segment the kernel sends carries at most that
much, less the timestamp option), accepts one connection, reads the client's one-byte request, then for each idle period
sleeps that long, writes BURST_BYTES in one write(2) (the kernel sends it as a burst, PSH on the last segment) and, 2 ms
later, TAIL_BYTES in another (TCP_NODELAY: it leaves at once, alone, as a server writing a response in pieces). After
each burst it waits until the client has acknowledged every byte (SIOCOUTQ reaches 0) and prints
"burst N acked after X ms". Then it closes and prints "done TOTAL". Prints "listening" once it accepts connections.
"""
import array
import fcntl
import socket
import sys
import termios
import time

address, port, maxseg, burst, tail = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
idles = [int(ms) for ms in sys.argv[6].split(",")]
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, maxseg)
listener.bind((address, port))
listener.listen(1)
print("listening", flush=True)
connection, _ = listener.accept()
connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
connection.recv(1)
payload = bytes(i % 251 for i in range(burst + tail))
unacknowledged = array.array("i", [0])  # SIOCOUTQ: bytes sent but not yet acknowledged
for number, idle in enumerate(idles, 1):
    time.sleep(idle / 1000)
    start = time.monotonic()
    connection.sendall(payload[:burst])
    time.sleep(0.002)
    connection.sendall(payload[burst:])
    while fcntl.ioctl(connection, termios.TIOCOUTQ, unacknowledged) == 0 and unacknowledged[0] > 0:
        if time.monotonic() - start > 5:
            print(f"burst {number} not acknowledged after 5 s", flush=True)
            sys.exit(1)
        time.sleep(0.0002)
    print(f"burst {number} acked after {(time.monotonic() - start) * 1000:.2f} ms", flush=True)
connection.close()
print(f"done {len(payload) * len(idles)}", flush=True)
