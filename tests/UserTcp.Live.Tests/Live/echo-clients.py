#!/usr/bin/env python3
"""Kernel TCP clients for an echo server: CONNECTIONS parallel connections to ADDRESS:PORT, each sending BYTES random
bytes while reading the echo back, then half-closing and reading to the end. Prints "ok N" when every echo was byte-exact,
else a line per failure and exit 1."""
import os, socket, sys, threading

address, port, connections, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
failures = []

def client(index):
    data = os.urandom(size)
    try:
        with socket.create_connection((address, port), timeout=20) as s:
            writer = threading.Thread(target=lambda: (s.sendall(data), s.shutdown(socket.SHUT_WR)))
            writer.start()
            echoed = bytearray()
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                echoed += chunk
            writer.join()
        if bytes(echoed) != data:
            failures.append(f"connection {index}: {len(echoed)} bytes back of {size}, {'a prefix' if data.startswith(bytes(echoed)) else 'different bytes'}")
    except Exception as e:  # noqa: BLE001 - every failure is reported
        failures.append(f"connection {index}: {e!r}")

threads = [threading.Thread(target=client, args=(i,)) for i in range(connections)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for failure in failures:
    print(failure)
print(f"ok {connections}" if not failures else f"failed {len(failures)}")
sys.exit(1 if failures else 0)
